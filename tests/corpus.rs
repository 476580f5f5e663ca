//! Corpus conformance: every file of `../shared/corpus` goes through the path the daemon
//! uses (served over HTTP on 127.0.0.1, fetched with `fetch::Fetcher`, parsed with
//! `parse::feed_entries`, each entry passed to `normalize::normalize`) under
//! `catch_unwind` and a per-file timeout, and is checked against what the corpus states:
//!
//! - no panic, no hang, bounded memory (peak RSS of the whole test process);
//! - where Python feedparser found entries (`OBSERVED.tsv`), the same number of entries;
//! - the simple `Expect:` forms of `MANIFEST.tsv` (entry/feed titles, links, guids, dates,
//!   `len(entries)`) and the `title=… entries=N` lines other projects state;
//! - entry titles from the upstream expected-output JSON in `_expected/`.
//!
//! Anything else the MANIFEST says (sanitizer output, `title_detail`, encodings, bozo
//! flags) is counted as not checkable. Files are never copied into the repository; the
//! test skips with a message when the corpus is absent.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderName, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use url::Url;

#[path = "corpus/expect.rs"]
mod expect;
#[path = "corpus/serve.rs"]
mod serve;

use expect::{Check, Group, expected_titles, feedparser_checks, other_project_checks, run_check};
use serve::{Served, fetch, serve_file, server_self_check};
use zonewire::fetch::{FetchConfig, FetchOutcome, FetchRequest, Fetcher};
use zonewire::parse::{ParseError, ParsedFeed};

/// `../shared/corpus` beside the repository (CI); `../../shared/corpus` from a git
/// worktree under `wt/`.
const CORPUS_DIRS: [&str; 2] = ["../shared/corpus", "../../shared/corpus"];
const FILE_TIMEOUT: Duration = Duration::from_secs(30);
/// Peak RSS allowed for the whole test process (harness, server and all 379 files).
const MAX_RSS_KB: u64 = 512 * 1024;
/// Files that must pass, set from what the implementation achieves; the bar only goes up.
/// 289 of 379 pass (1 fails, 89 have nothing checkable beyond no-panic/no-hang); the same
/// with the real fetcher as when it was first measured, over stubs. The one failure is
/// `hostile/feedparser__rss__entity_in_doctype.xml`: feedparser expands an internal DTD
/// entity, which we refuse to do on purpose.
const PASS_BAR: usize = 289;
/// Files where feedparser finds entries (252) whose entry count we match: all of them
/// (feed-rs alone matches 190).
const COUNT_BAR: usize = 252;

// ---------------------------------------------------------------------------------------
// Reading the corpus tables.

/// Rows of a TSV with `#` comment lines, keyed by column name.
fn read_tsv(path: &Path) -> Vec<HashMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty());
    let header: Vec<String> = lines
        .next()
        .unwrap_or_default()
        .split('\t')
        .map(str::to_string)
        .collect();
    lines
        .map(|l| {
            header
                .iter()
                .cloned()
                .zip(
                    l.split('\t')
                        .map(str::to_string)
                        .chain(std::iter::repeat(String::new())),
                )
                .collect()
        })
        .collect()
}

/// `HTTP headers needed: Content-type:text/xml | SkipUnless: …` → [(name, value)].
fn needed_headers(notes: &str) -> Vec<(String, String)> {
    notes
        .split(" | ")
        .filter_map(|part| part.trim().strip_prefix("HTTP headers needed:"))
        .flat_map(|h| h.split(','))
        .filter_map(|h| h.trim().split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect()
}

fn content_type_for(file: &str, headers: &[(String, String)]) -> String {
    headers
        .iter()
        .find(|(n, _)| n == "content-type")
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| {
            if file.ends_with(".json") {
                "application/json".into()
            } else {
                "application/xml".into()
            }
        })
}

// ---------------------------------------------------------------------------------------
// The run.

enum Outcome {
    /// The feed and how many entries survived normalisation.
    Parsed(ParsedFeed, usize),
    Error(ParseError),
    Panicked(String),
    TimedOut,
}

#[derive(Default)]
struct Tally {
    passed: usize,
    failed: usize,
    skipped: usize,
    fp_files: usize,
    count_ok: usize,
    feedrs_ok: usize,
}

fn feed_rs_alone(body: &[u8]) -> Option<usize> {
    std::panic::catch_unwind(|| feed_rs::parser::parse(body).ok().map(|f| f.entries.len()))
        .ok()
        .flatten()
}

fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

async fn run_corpus(root: PathBuf) {
    let manifest = read_tsv(&root.join("MANIFEST.tsv"));
    let observed: HashMap<String, HashMap<String, String>> = read_tsv(&root.join("OBSERVED.tsv"))
        .into_iter()
        .map(|r| (r["file"].clone(), r))
        .collect();
    let headers: HashMap<String, Vec<(String, String)>> = manifest
        .iter()
        .map(|r| (r["file"].clone(), needed_headers(&r["notes"])))
        .collect();

    let app = Router::new()
        .fallback(serve_file)
        .with_state(Arc::new(Served {
            root: root.clone(),
            headers: headers.clone(),
        }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let origin = format!("http://{addr}");

    server_self_check(&origin, &root).await;

    let fetcher = Fetcher::new(FetchConfig {
        allow_private: true,
        ..Default::default()
    })
    .unwrap();

    let mut by_cat: BTreeMap<String, Tally> = BTreeMap::new();
    let mut total = Tally::default();
    let mut failures: Vec<String> = Vec::new();
    let mut not_checkable = 0usize;
    let (mut parsed_entries, mut normalized) = (0usize, 0usize);

    for row in &manifest {
        let file = row["file"].clone();
        let category = row["category"].clone();
        let needed = &headers[&file];
        let url = Url::parse(&format!("{origin}/{file}")).unwrap();
        let tally = by_cat.entry(category.clone()).or_default();

        // What to check.
        let mut groups: Vec<Group> = Vec::new();
        let obs = observed.get(&file);
        let fp_entries: usize = obs
            .and_then(|o| o.get("pyfp6_entries"))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        if fp_entries > 0 {
            groups.push(Group {
                source: "OBSERVED feedparser count",
                any: false,
                checks: vec![Check::Count(fp_entries)],
            });
        }
        if category == "not_a_feed" {
            groups.push(Group {
                source: "not a feed: no entries",
                any: false,
                checks: vec![Check::Count(0)],
            });
        }
        let expect = row["expect"].as_str();
        let uses_content_location = needed.iter().any(|(n, _)| n == "content-location");
        if let Some(fp) = expect.strip_prefix("feedparser:") {
            if uses_content_location {
                // feedparser resolves against Content-Location; the daemon (like RFC 7231)
                // resolves against the request URL, so these are not ours to check.
                not_checkable += 1;
            } else {
                let (g, skipped) = feedparser_checks(fp, &origin);
                not_checkable += skipped;
                groups.extend(g);
            }
        } else if let Some(g) = other_project_checks(expect) {
            groups.push(g);
        }
        if !row["expected_file"].is_empty() {
            groups.extend(expected_titles(&root.join(&row["expected_file"])));
        } else {
            let guess = root.join("_expected").join(format!("{file}.expected.json"));
            if guess.exists() {
                groups.extend(expected_titles(&guess));
            }
        }

        // Fetch and ingest.
        let (body, content_type, final_url) = match fetch(&fetcher, &url).await {
            Ok(x) => x,
            Err(e) => {
                tally.failed += 1;
                total.failed += 1;
                failures.push(format!("{file}: {e}"));
                continue;
            }
        };
        let fr = feed_rs_alone(&body);
        let task = tokio::task::spawn_blocking(move || {
            std::panic::catch_unwind(|| {
                match zonewire::parse::feed_entries(&body, content_type.as_deref(), &final_url) {
                    Ok(feed) => {
                        let now = Utc::now();
                        let kept = feed
                            .entries
                            .iter()
                            .cloned()
                            .filter_map(|e| {
                                zonewire::normalize::normalize(e, "corpus", None, &final_url, now)
                            })
                            .count();
                        Outcome::Parsed(feed, kept)
                    }
                    Err(e) => Outcome::Error(e),
                }
            })
            .unwrap_or_else(|p| {
                Outcome::Panicked(
                    p.downcast_ref::<String>()
                        .cloned()
                        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_default(),
                )
            })
        });
        let outcome = match tokio::time::timeout(FILE_TIMEOUT, task).await {
            Ok(Ok(o)) => o,
            Ok(Err(join)) => Outcome::Panicked(join.to_string()),
            Err(_) => Outcome::TimedOut,
        };

        // Judge.
        let empty = ParsedFeed::default();
        let (feed, problem) = match &outcome {
            Outcome::Parsed(f, kept) => {
                parsed_entries += f.entries.len();
                normalized += kept;
                (f, None)
            }
            Outcome::Error(_) => (&empty, None),
            Outcome::Panicked(m) => (&empty, Some(format!("PANIC {m}"))),
            Outcome::TimedOut => (&empty, Some(format!("HANG (> {FILE_TIMEOUT:?})"))),
        };
        if fp_entries > 0 {
            tally.fp_files += 1;
            total.fp_files += 1;
            if fr == Some(fp_entries) {
                tally.feedrs_ok += 1;
                total.feedrs_ok += 1;
            }
            if feed.entries.len() + feed.truncated == fp_entries {
                tally.count_ok += 1;
                total.count_ok += 1;
            }
        }
        let mut errors: Vec<String> = problem.into_iter().collect();
        for g in &groups {
            let results: Vec<Result<(), String>> =
                g.checks.iter().map(|c| run_check(c, feed)).collect();
            let ok = if g.any {
                results.iter().any(Result::is_ok)
            } else {
                results.iter().all(Result::is_ok)
            };
            if !ok {
                let why: Vec<String> = results.into_iter().filter_map(Result::err).collect();
                errors.push(format!("{}: {}", g.source, why.join("; ")));
            }
        }
        // The parse error explains failed checks; alone it is not a failure (not every
        // file is a feed).
        if let Outcome::Error(e) = &outcome
            && !errors.is_empty()
        {
            errors.push(format!("parse error: {e}"));
        }
        if !errors.is_empty() {
            tally.failed += 1;
            total.failed += 1;
            failures.push(format!("{file}: {}", errors.join(" | ")));
        } else if groups.is_empty() {
            tally.skipped += 1;
            total.skipped += 1;
        } else {
            tally.passed += 1;
            total.passed += 1;
        }
    }

    println!(
        "{:<16} {:>6} {:>6} {:>7} {:>14} {:>14}",
        "category", "passed", "failed", "skipped", "count=feedparser", "feed-rs alone"
    );
    for (cat, t) in &by_cat {
        println!(
            "{cat:<16} {:>6} {:>6} {:>7} {:>10}/{:<5} {:>8}/{:<5}",
            t.passed, t.failed, t.skipped, t.count_ok, t.fp_files, t.feedrs_ok, t.fp_files
        );
    }
    for f in &failures {
        println!("FAIL {f}");
    }
    println!("not checkable expectations: {not_checkable}");
    println!("entries parsed: {parsed_entries}, kept by normalize: {normalized}");
    println!(
        "corpus: {} passed, {} failed, {} skipped",
        total.passed, total.failed, total.skipped
    );
    println!(
        "entry counts equal to feedparser: {}/{}; feed-rs alone: {}/{}",
        total.count_ok, total.fp_files, total.feedrs_ok, total.fp_files
    );
    if let Some(kb) = peak_rss_kb() {
        println!("peak RSS: {} MB", kb / 1024);
        assert!(kb < MAX_RSS_KB, "peak RSS {kb} kB over {MAX_RSS_KB} kB");
    }
    assert!(
        !failures
            .iter()
            .any(|f| f.contains("PANIC") || f.contains("HANG")),
        "a file panicked or hung"
    );
    assert!(
        total.passed >= PASS_BAR,
        "{} passed, bar {PASS_BAR}",
        total.passed
    );
    assert!(
        total.count_ok >= COUNT_BAR,
        "{} counts match, bar {COUNT_BAR}",
        total.count_ok
    );
}

#[test]
fn corpus_conformance() {
    let Some(root) = CORPUS_DIRS
        .iter()
        .map(PathBuf::from)
        .find(|d| d.join("MANIFEST.tsv").exists())
    else {
        eprintln!(
            "SKIP corpus_conformance: no corpus at {CORPUS_DIRS:?} (the shared corpus lies beside the repo in CI)"
        );
        return;
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run_corpus(root));
    // A hung parse keeps its blocking thread; do not wait for it forever.
    rt.shutdown_timeout(Duration::from_secs(1));
}
