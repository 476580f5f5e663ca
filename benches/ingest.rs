//! Ingestion of the same feed bytes: bare feed-rs parsing against zonewire's whole path.
//!
//! Feeds: the farm's 50-item and a 3,000-item Vietnamese RSS 2.0 document (bench/gen.rs).
//! For each, per element (= item):
//! - `feed_rs_bare`: `feed_rs::parser::parse`, default settings — the ceiling we compare with;
//! - `full_new`: `parse::feed_entries` → `normalize` → `Archive::ingest` into an empty
//!   sled store (in a tempdir; the store set-up is not timed) — what a first poll costs;
//! - `full_new_warm_store`: the same path for a source never seen before, into one store
//!   that every iteration adds to — what a daemon pays for a new source's first poll once
//!   its store is open and warm (the first commit of a fresh sled store is not in it);
//! - `stage_parse` and `stage_normalize`: the two stages of `full_new` before
//!   `Archive::ingest` (our parse: charset, feed-rs, our dates and recovery; then every
//!   entry normalised), so that the store's share is what `full_new` adds to them;
//! - `full_known`: the same path when the body changed (a new `lastBuildDate`) but every
//!   item is already stored — a server that rewrites its feed on each request (the
//!   entries are recognised by their digest and not normalised again);
//! - `unchanged_repoll`: what the poller does when a server ignores validators and
//!   resends identical bytes (src/poller.rs): read the source state, SHA-256 the body,
//!   compare with the stored hash, commit the state (one insert, flushed by sled later);
//! - `unchanged_hash_only`: the hash compare alone, without the state commit.
//!
//! Run: `cargo bench --bench ingest` (BENCHMARKS.md has the figures).

#[path = "../bench/gen.rs"]
mod generator;

use std::hint::black_box;
use std::sync::Arc;

use chrono::Utc;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use sha2::{Digest, Sha256};
use url::Url;
use zonewire::archive::Archive;
use zonewire::model::SourceState;
use zonewire::normalize::normalize_unseen;
use zonewire::store::{SledStore, Store};

const BASE: i64 = 1_790_000_000;
const ORIGIN: &str = "http://127.0.0.2:18080";

fn fresh_archive() -> (tempfile::TempDir, Archive) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store: Arc<dyn Store> =
        Arc::new(SledStore::open(&dir.path().join("db")).expect("open sled"));
    let archive = Archive::new(store).expect("archive");
    (dir, archive)
}

/// Our full path for one fetched body, as the poller runs it (minus the async hops).
fn full_path(archive: &Archive, body: &[u8], base: &Url) -> usize {
    full_path_of(archive, "s0", body, base)
}

fn full_path_of(archive: &Archive, source: &str, body: &[u8], base: &Url) -> usize {
    let feed =
        zonewire::parse::feed_entries(body, Some("application/rss+xml; charset=utf-8"), base)
            .expect("parse");
    let now = Utc::now();
    // As the poller does: entries whose digest is stored are not normalised again.
    let unseen = normalize_unseen(feed.entries, source, Some("khanh-hoa"), base, now, |d| {
        archive.knows_entry(d)
    });
    let report = archive
        .ingest(source, unseen.candidates, SourceState::default())
        .expect("ingest");
    report.new + report.unchanged + unseen.skipped
}

/// One never-polled source's feed, as the farm serves it.
fn new_source(source: usize, items: usize) -> (String, Vec<u8>, Url) {
    let origin = format!("http://{}:18080", generator::host_of(source));
    let body = generator::rss(source, items, BASE, generator::DAILY, &origin).into_bytes();
    let base = Url::parse(&format!("{origin}/s{source}/rss.xml")).expect("url");
    (format!("s{source}"), body, base)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The poller's skip for an identical body (src/poller.rs `fetch_and_ingest`).
fn unchanged_repoll(archive: &Archive, body: &[u8]) -> bool {
    let mut state = archive
        .source_state("s0")
        .expect("state")
        .unwrap_or_default();
    state.last_attempt = Some(Utc::now());
    let hash = hex(&Sha256::digest(body));
    let same = state.body_hash.as_deref() == Some(hash.as_str());
    assert!(same, "the bench must exercise the skip");
    state.last_success = Some(Utc::now());
    state.last_status = Some("unchanged".into());
    archive.put_source_state("s0", state).expect("put state");
    same
}

fn bench_feed(c: &mut Criterion, items: usize) {
    let body = generator::rss(0, items, BASE, generator::DAILY, ORIGIN).into_bytes();
    // Same items in a re-rendered document (a CMS stamping each response): the hash
    // misses and every item is already known.
    let rewritten = generator::rss(0, items, BASE, generator::DAILY, ORIGIN)
        .replacen("<channel>\n", "<channel>\n<!-- rendered again -->\n", 1)
        .into_bytes();
    let base = Url::parse(&format!("{ORIGIN}/s0/rss.xml")).expect("url");
    let mut g = c.benchmark_group(format!("ingest_{items}_items"));
    g.throughput(Throughput::Elements(items as u64));
    if items > 100 {
        g.sample_size(10);
    } else {
        g.sample_size(30);
    }
    eprintln!("feed of {items} items: {} bytes", body.len());

    g.bench_function("feed_rs_bare", |b| {
        b.iter(|| {
            let feed = feed_rs::parser::parse(black_box(&body[..])).expect("parse");
            black_box(feed.entries.len())
        })
    });

    g.bench_function("full_new", |b| {
        b.iter_batched(
            fresh_archive,
            |(dir, archive)| {
                let n = full_path(&archive, black_box(&body), &base);
                (dir, archive, n)
            },
            BatchSize::PerIteration,
        )
    });

    g.bench_function("stage_parse", |b| {
        b.iter(|| {
            zonewire::parse::feed_entries(
                black_box(&body),
                Some("application/rss+xml; charset=utf-8"),
                &base,
            )
            .expect("parse")
            .entries
            .len()
        })
    });

    let parsed =
        zonewire::parse::feed_entries(&body, Some("application/rss+xml; charset=utf-8"), &base)
            .expect("parse")
            .entries;
    g.bench_function("stage_normalize", |b| {
        b.iter_batched(
            || parsed.clone(),
            |entries| {
                normalize_unseen(entries, "s0", Some("khanh-hoa"), &base, Utc::now(), |_| {
                    false
                })
                .candidates
                .len()
            },
            BatchSize::SmallInput,
        )
    });

    {
        let (_dir, archive) = fresh_archive();
        // Sources 1.. are new to the store; each iteration polls the next one first.
        let next = std::cell::Cell::new(1usize);
        g.bench_function("full_new_warm_store", |b| {
            b.iter_batched(
                || {
                    let n = next.get();
                    next.set(n + 1);
                    new_source(n, items)
                },
                |(source, body, base)| full_path_of(&archive, &source, black_box(&body), &base),
                BatchSize::PerIteration,
            )
        });
    }

    let (_dir, archive) = fresh_archive();
    full_path(&archive, &body, &base);
    g.bench_function("full_known", |b| {
        b.iter(|| full_path(&archive, black_box(&rewritten), &base))
    });

    let mut state = SourceState {
        body_hash: Some(hex(&Sha256::digest(&body))),
        etag: Some("\"abc\"".into()),
        ..SourceState::default()
    };
    state.items_seen = items as u64;
    archive.put_source_state("s0", state).expect("put");
    g.bench_function("unchanged_repoll", |b| {
        b.iter(|| unchanged_repoll(&archive, black_box(&body)))
    });
    g.bench_function("unchanged_hash_only", |b| {
        let stored = hex(&Sha256::digest(&body));
        b.iter(|| hex(&Sha256::digest(black_box(&body))) == stored)
    });
    g.finish();
}

fn ingest(c: &mut Criterion) {
    bench_feed(c, 50);
    bench_feed(c, 3000);
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(4));
    targets = ingest
}
criterion_main!(benches);
