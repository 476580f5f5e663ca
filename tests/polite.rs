//! Politeness through the whole poll path (the fetch layer's own tests are in fetch.rs):
//! validators stored and sent, 304 costs no parsing, unchanged bodies are skipped,
//! backoff grows and resets, Retry-After is a floor, a permanent redirect is remembered
//! across restarts, the configured User-Agent is sent.

mod common;

use std::path::Path;

use chrono::Utc;
use common::{Reply, TestServer, demo};
use zonewire::app;
use zonewire::config::Config;
use zonewire::model::SourceState;
use zonewire::poller::PollStatus;

fn config(url: &str, store: &Path) -> Config {
    let text = format!(
        "[store]\npath = \"{}\"\n[poll]\nallow_private = true\ninterval = \"10m\"\nmax_backoff = \"6h\"\nuser_agent = \"zonewire-test/1 (+https://example.test)\"\n[[source]]\nid = \"s\"\nurl = \"{url}\"\n",
        store.display()
    );
    Config::parse(&text, Path::new("polite.toml")).unwrap()
}

async fn poll(cfg: &Config) -> (PollStatus, usize, SourceState) {
    let out = app::poll_once(cfg, &[]).await.unwrap();
    let archive = app::open_archive(cfg).unwrap();
    let st = archive.source_state("s").unwrap().unwrap();
    (out[0].status.clone(), out[0].report.new, st)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validators_are_kept_and_a_304_costs_nothing() {
    let server = TestServer::start().await;
    let body = demo("khanhhoa-bqlkkt.xml");
    server.route_fn("/feed.xml", move |req| {
        if req.header("if-none-match") == Some("\"v1\"") {
            Reply::status(304)
        } else {
            Reply::ok(body.clone())
                .header("ETag", "\"v1\"")
                .header("Last-Modified", "Sat, 06 Sep 2025 09:00:00 GMT")
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(server.url("/feed.xml").as_str(), &dir.path().join("s.sled"));
    let (status, new, st) = poll(&cfg).await;
    assert_eq!((status, new), (PollStatus::New, 3));
    assert_eq!(st.etag.as_deref(), Some("\"v1\""));
    let (status, new, st) = poll(&cfg).await;
    assert_eq!((status, new), (PollStatus::NotModified, 0));
    assert_eq!(st.last_status.as_deref(), Some("not-modified"));
    let reqs = server.requests_to("/feed.xml");
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].header("if-none-match"), None);
    assert_eq!(reqs[1].header("if-none-match"), Some("\"v1\""));
    assert_eq!(
        reqs[1].header("if-modified-since"),
        Some("Sat, 06 Sep 2025 09:00:00 GMT")
    );
    assert_eq!(
        reqs[1].header("user-agent"),
        Some("zonewire-test/1 (+https://example.test)")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unchanged_body_without_validators_is_skipped() {
    let server = TestServer::start().await;
    server.route("/feed.xml", Reply::ok(demo("hungyen-bqlkcn.atom")));
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(server.url("/feed.xml").as_str(), &dir.path().join("s.sled"));
    assert_eq!(poll(&cfg).await.0, PollStatus::New);
    let (status, _, st) = poll(&cfg).await;
    assert_eq!(status, PollStatus::Unchanged);
    assert!(st.body_hash.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backoff_grows_then_resets_and_retry_after_is_a_floor() {
    let server = TestServer::start().await;
    server.route("/feed.xml", Reply::status(500));
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(server.url("/feed.xml").as_str(), &dir.path().join("s.sled"));
    let minutes =
        |st: &SourceState| (st.next_poll.unwrap() - Utc::now()).num_seconds() as f64 / 60.0;
    let mut delays = Vec::new();
    for expected_failures in 1..=4 {
        let (status, _, st) = poll(&cfg).await;
        assert!(matches!(status, PollStatus::Error(_)), "{status:?}");
        assert_eq!(st.consecutive_failures, expected_failures);
        delays.push(minutes(&st));
    }
    // 10 min × 1, 2, 4, 8, each ±10%.
    for (i, d) in delays.iter().enumerate() {
        let base = 10.0 * f64::from(1u32 << i);
        assert!(
            *d > base * 0.85 && *d < base * 1.15,
            "failure {}: {d} min, want ~{base}",
            i + 1
        );
    }
    // 429 with Retry-After of two hours: the next poll waits at least that long.
    server.route(
        "/feed.xml",
        Reply::status(429).header("Retry-After", "7200"),
    );
    let (_, _, st) = poll(&cfg).await;
    assert!(minutes(&st) >= 119.0, "{}", minutes(&st));
    // Retry-After as an HTTP date.
    let when = httpdate::fmt_http_date(
        std::time::SystemTime::now() + std::time::Duration::from_secs(3 * 3600),
    );
    server.route("/feed.xml", Reply::status(503).header("Retry-After", &when));
    let (_, _, st) = poll(&cfg).await;
    assert!(minutes(&st) >= 170.0, "{}", minutes(&st));
    // Success resets the streak and the interval.
    server.route("/feed.xml", Reply::ok(demo("khanhhoa-bqlkkt.xml")));
    let (status, _, st) = poll(&cfg).await;
    assert_eq!(status, PollStatus::New);
    assert_eq!(st.consecutive_failures, 0);
    assert!(st.last_error.is_none());
    // Back to the normal schedule, lengthened by the feed's <ttl>30</ttl> (a lower bound
    // when longer than our 10 min interval).
    let d = minutes(&st);
    assert!(d > 26.5 && d < 33.5, "{d}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_permanent_redirect_is_remembered_across_restarts() {
    let server = TestServer::start().await;
    server.route("/old.xml", Reply::redirect(301, "/new.xml"));
    server.route("/new.xml", Reply::ok(demo("khanhhoa-bqlkkt.xml")));
    server.route("/temp.xml", Reply::redirect(302, "/new.xml"));
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(server.url("/old.xml").as_str(), &dir.path().join("s.sled"));
    let (_, new, st) = poll(&cfg).await;
    assert_eq!(new, 3);
    assert_eq!(
        st.effective_url.as_deref(),
        Some(server.url("/new.xml").as_str())
    );
    // Each poll_once opens the store afresh: a restart.
    poll(&cfg).await;
    assert_eq!(server.hits("/old.xml"), 1, "the old URL is not asked again");
    assert_eq!(server.hits("/new.xml"), 2);

    // A temporary redirect is followed but not remembered.
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(server.url("/temp.xml").as_str(), &dir.path().join("s.sled"));
    let (_, _, st) = poll(&cfg).await;
    assert_eq!(st.effective_url, None);
    poll(&cfg).await;
    assert_eq!(server.hits("/temp.xml"), 2);
}

fn three_items(extra: &str, second_title: &str) -> String {
    let item = |n: u32, title: &str| {
        format!(
            "<item><title>{title}</title><link>http://board.test/tin/{n}.html</link>\
             <pubDate>0{n} Sep 2025 08:00:00 +0700</pubDate>\
             <description>Ban Quản lý các Khu công nghiệp tỉnh Hưng Yên thông tin số {n}.</description></item>"
        )
    };
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>B</title>\
         <link>http://board.test/</link><description>d</description>\
         <lastBuildDate>{extra}</lastBuildDate>{extra_item}{}{}{}</channel></rss>",
        item(1, "Tin thứ nhất về khu công nghiệp"),
        item(2, second_title),
        item(3, "Tin thứ ba về khu kinh tế"),
        extra_item = if extra.is_empty() {
            String::new()
        } else {
            item(4, "Tin mới: khởi công nhà máy")
        },
    )
}

/// A feed that changed (a new item, a CMS re-stamping it) is mostly old entries: those
/// are recognised by their raw digest and not normalised again, yet an edit, and an edit
/// taken back, still update the stored item.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn known_entries_of_a_changed_feed_are_not_normalised_again() {
    let server = TestServer::start().await;
    let original = "Tin thứ hai về cảng biển";
    server.route("/feed.xml", Reply::ok(three_items("", original)));
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(server.url("/feed.xml").as_str(), &dir.path().join("s.sled"));
    let report = |out: &[zonewire::poller::PollOutcome]| out[0].report.clone();

    let r = report(&app::poll_once(&cfg, &[]).await.unwrap());
    assert_eq!((r.new, r.skipped), (3, 0), "{r:?}");

    // One new item and a new build date: the three old entries are skipped.
    let stamped = "Sat, 06 Sep 2025 09:00:00 +0700";
    server.route("/feed.xml", Reply::ok(three_items(stamped, original)));
    let r = report(&app::poll_once(&cfg, &[]).await.unwrap());
    assert_eq!(
        (r.new, r.updated, r.unchanged, r.skipped),
        (1, 0, 3, 3),
        "{r:?}"
    );

    // An edited title is a changed entry: normalised, and stored as an update.
    let edited = "Tin thứ hai về cảng biển (cập nhật)";
    server.route("/feed.xml", Reply::ok(three_items(stamped, edited)));
    let r = report(&app::poll_once(&cfg, &[]).await.unwrap());
    assert_eq!((r.new, r.updated, r.skipped), (0, 1, 3), "{r:?}");

    // Taking the edit back is an update too: the digest of the first version no longer
    // describes what is stored.
    server.route("/feed.xml", Reply::ok(three_items(stamped, original)));
    let r = report(&app::poll_once(&cfg, &[]).await.unwrap());
    assert_eq!((r.new, r.updated, r.skipped), (0, 1, 3), "{r:?}");
    let archive = app::open_archive(&cfg).unwrap();
    let page = archive.query(&zonewire::archive::Query::default()).unwrap();
    let second = page
        .stories
        .iter()
        .find(|s| s.lead.link.ends_with("/tin/2.html"))
        .unwrap();
    assert_eq!(second.lead.title, original);
    assert_eq!(second.lead.revisions.len(), 2);
    drop(archive);

    // Digests survive a restart (every poll here reopens the store): still skipped.
    server.route(
        "/feed.xml",
        Reply::ok(three_items("Sun, 07 Sep 2025 09:00:00 +0700", original)),
    );
    let r = report(&app::poll_once(&cfg, &[]).await.unwrap());
    assert_eq!((r.new, r.updated, r.skipped), (0, 0, 4), "{r:?}");
}

/// Records stored before digests existed carry none: the first poll that sees their
/// entries unchanged records the digest, so later polls skip them.
#[test]
fn records_without_a_digest_get_one_on_the_next_unchanged_poll() {
    use std::sync::Arc;
    use zonewire::archive::Archive;
    use zonewire::normalize::{entry_digest, normalize};
    use zonewire::store::{SledStore, Store};

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.sled");
    let base = url::Url::parse("http://board.test/feed.xml").unwrap();
    let entries = zonewire::parse::feed_entries(
        three_items("", "Tin thứ hai").as_bytes(),
        Some("application/rss+xml"),
        &base,
    )
    .unwrap()
    .entries;
    let candidates = |digest: bool| -> Vec<_> {
        entries
            .iter()
            .filter_map(|e| normalize(e.clone(), "s", None, &base, Utc::now()))
            .map(|mut c| {
                if !digest {
                    c.digest = 0;
                }
                c
            })
            .collect()
    };
    let digests: Vec<u64> = entries
        .iter()
        .map(|e| entry_digest(e, "s", None, &base))
        .collect();
    {
        let store: Arc<dyn Store> = Arc::new(SledStore::open(&path).unwrap());
        let archive = Archive::new(store).unwrap();
        let r = archive
            .ingest("s", candidates(false), SourceState::default())
            .unwrap();
        assert_eq!(r.new, 3);
        assert!(digests.iter().all(|d| !archive.knows_entry(*d)));
        let r = archive
            .ingest("s", candidates(true), SourceState::default())
            .unwrap();
        assert_eq!((r.new, r.updated, r.unchanged), (0, 0, 3), "{r:?}");
        assert!(digests.iter().all(|d| archive.knows_entry(*d)));
    }
    let store: Arc<dyn Store> = Arc::new(SledStore::open(&path).unwrap());
    let archive = Archive::new(store).unwrap();
    assert!(
        digests.iter().all(|d| archive.knows_entry(*d)),
        "digests are stored, not only kept in memory"
    );
    assert!(!archive.knows_entry(entry_digest(&entries[0], "other-source", None, &base)));
}
