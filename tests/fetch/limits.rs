//! Deadlines and size caps: a stalled server times out while another source completes,
//! and bodies stop at the cap, compressed, plain or read from a file.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_drip_times_out_while_another_source_completes() {
    let drip = TestServer::start().await;
    let quick = TestServer::start().await;
    // Headers and a few bytes, then nothing: only the overall deadline can end this.
    drip.route(
        "/drip",
        Reply::ok("<rss><channel>")
            .header("Content-Length", "100000")
            .stall(),
    );
    // No headers at all.
    drip.route("/silent", Reply::ok("never").gated(&Gate::new()));
    quick.route("/feed", Reply::ok("<rss/>"));
    let timeout = Duration::from_millis(300);
    // Enough slots that the three requests (all to 127.0.0.1) really run side by side.
    let fetcher = Fetcher::new(FetchConfig {
        timeout,
        per_host: 3,
        ..cfg()
    })
    .expect("client");

    let (drip_req, silent_req, quick_req) = (
        request(drip.url("/drip")),
        request(drip.url("/silent")),
        request(quick.url("/feed")),
    );
    let started = Instant::now();
    let (drip_result, silent_result, quick_result) = tokio::join!(
        fetcher.fetch(&drip_req),
        fetcher.fetch(&silent_req),
        fetcher.fetch(&quick_req)
    );
    assert_eq!(drip_result, Err(FetchError::Timeout(timeout)));
    assert_eq!(silent_result, Err(FetchError::Timeout(timeout)));
    assert!(
        matches!(quick_result, Ok(FetchOutcome::Fetched(_))),
        "{quick_result:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the deadline was not enforced"
    );
}

#[tokio::test]
async fn gzip_bomb_stops_at_the_cap() {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..100 {
        encoder.write_all(&zeros).expect("in-memory write");
    }
    let bomb = encoder.finish().expect("in-memory gzip");
    assert!(
        bomb.len() < 1 << 20,
        "the bomb should be small on the wire: {}",
        bomb.len()
    );

    let server = TestServer::start().await;
    server.route(
        "/bomb.xml",
        Reply::ok(bomb)
            .header("Content-Encoding", "gzip")
            .header("Content-Type", "application/xml"),
    );
    let cap = 1 << 20;
    let fetcher = Fetcher::new(FetchConfig {
        max_body: cap,
        ..cfg()
    })
    .expect("client");
    assert_eq!(
        fetcher.fetch(&request(server.url("/bomb.xml"))).await,
        Err(FetchError::TooLarge { cap })
    );
}

#[tokio::test]
async fn body_cap_applies_to_plain_bodies() {
    let server = TestServer::start().await;
    let cap = 1000u64;
    server.route("/exact", Reply::ok(vec![b'a'; 1000]));
    server.route("/over", Reply::ok(vec![b'a'; 1001]));
    // A declared length over the cap is refused before any body arrives (it never would).
    server.route(
        "/declared",
        Reply::ok("x").header("Content-Length", "5000000").stall(),
    );
    let fetcher = Fetcher::new(FetchConfig {
        max_body: cap,
        ..cfg()
    })
    .expect("client");

    assert_eq!(
        fetch_ok(&fetcher, server.url("/exact")).await.body.len(),
        1000
    );
    assert_eq!(
        fetcher.fetch(&request(server.url("/over"))).await,
        Err(FetchError::TooLarge { cap })
    );
    assert_eq!(
        fetcher.fetch(&request(server.url("/declared"))).await,
        Err(FetchError::TooLarge { cap })
    );
}

#[tokio::test]
async fn file_urls_are_read_under_the_cap() {
    let dir = tempfile::tempdir().expect("temp dir");
    let feed = dir.path().join("feed.xml");
    std::fs::write(&feed, b"<rss/>").expect("write fixture");
    let big = dir.path().join("big.html");
    std::fs::write(&big, vec![b'a'; 2000]).expect("write fixture");
    let fetcher = Fetcher::new(FetchConfig {
        max_body: 1000,
        ..cfg()
    })
    .expect("client");

    let url = Url::from_file_path(&feed).expect("absolute path");
    let fetched = fetch_ok(&fetcher, url.clone()).await;
    assert_eq!(&fetched.body[..], b"<rss/>");
    assert_eq!(fetched.final_url, url);
    assert_eq!(fetched.content_type.as_deref(), Some("application/xml"));

    let big_url = Url::from_file_path(&big).expect("absolute path");
    assert_eq!(
        fetcher.fetch(&request(big_url)).await,
        Err(FetchError::TooLarge { cap: 1000 })
    );

    let missing = Url::from_file_path(dir.path().join("missing.xml")).expect("absolute path");
    assert!(matches!(
        fetcher.fetch(&request(missing)).await,
        Err(FetchError::Other(_))
    ));
}
