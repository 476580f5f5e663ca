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
