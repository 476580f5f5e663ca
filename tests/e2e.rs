//! End to end: a fixture HTTP server on 127.0.0.1 serves several feeds (RSS with and
//! without guids, Atom, JSON Feed, Vietnamese text) and broken sources; the daemon polls
//! them, stores them once, and serves the merged feed over a real socket.

use std::path::{Path, PathBuf};

use axum::Router;
use axum::http::{StatusCode, header};
use axum::routing::get;
use tokio::net::TcpListener;
use unicode_normalization::UnicodeNormalization;
use zonewire::app;
use zonewire::config::Config;
use zonewire::poller::PollStatus;

fn demo(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("config/demo")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Serves the demo feeds over HTTP, plus a 404, a garbage body and an HTML error page.
async fn fixture_server() -> String {
    let rss = demo("khanhhoa-bqlkkt.xml");
    let atom = demo("hungyen-bqlkcn.atom");
    let json = demo("danang-dseza.json");
    let noguid = demo("nghison-noguid.xml");
    let app = Router::new()
        .route(
            "/kh.xml",
            get(move || async move { ([(header::CONTENT_TYPE, "application/rss+xml")], rss) }),
        )
        .route(
            "/hy.atom",
            get(move || async move { ([(header::CONTENT_TYPE, "application/atom+xml")], atom) }),
        )
        .route(
            "/dn.json",
            get(move || async move { ([(header::CONTENT_TYPE, "application/feed+json")], json) }),
        )
        .route("/ns.xml", get(move || async move { noguid }))
        .route(
            "/missing.xml",
            get(|| async { (StatusCode::NOT_FOUND, "not here") }),
        )
        .route(
            "/garbage.xml",
            get(|| async { "\u{0}\u{1}this is not a feed at all" }),
        );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

/// An address where nothing listens.
async fn refused_url() -> String {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    format!("http://{addr}/feed.xml")
}

fn config(base: &str, refused: &str, store: &Path) -> Config {
    let text = format!(
        r#"
[server]
listen = "127.0.0.1:0"
base_url = "http://zonewire.test"

[store]
path = "{store}"

[poll]
interval = "1h"
allow_private = true
timeout = "5s"

[[source]]
id = "khanhhoa-bqlkkt"
name = "Ban Quản lý KKT và KCN tỉnh Khánh Hòa"
province = "Khánh Hòa"
url = "{base}/kh.xml"

[[source]]
id = "hungyen-bqlkcn"
name = "Ban Quản lý các KCN tỉnh Hưng Yên"
province = "Hưng Yên"
url = "{base}/hy.atom"

[[source]]
id = "danang-dseza"
name = "DSEZA"
province = "Đà Nẵng"
url = "{base}/dn.json"

[[source]]
id = "thanhhoa-nghison"
name = "Nghi Sơn"
province = "Thanh Hóa"
url = "{base}/ns.xml"
kind = "feed"

[[source]]
id = "broken-404"
url = "{base}/missing.xml"

[[source]]
id = "broken-garbage"
url = "{base}/garbage.xml"
kind = "feed"

[[source]]
id = "broken-refused"
url = "{refused}"
"#,
        store = store.display()
    );
    Config::parse(&text, Path::new("e2e.toml")).expect("valid config")
}

async fn get_feed(
    addr: std::net::SocketAddr,
    path: &str,
) -> (reqwest::StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
    let resp = reqwest::get(format!("http://{addr}{path}")).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    (status, headers, resp.bytes().await.unwrap().to_vec())
}

fn titles(feed: &feed_rs::model::Feed) -> Vec<String> {
    feed.entries
        .iter()
        .map(|e| {
            e.title
                .as_ref()
                .map(|t| t.content.clone())
                .unwrap_or_default()
        })
        .collect()
}

const GOOD_ITEMS: usize = 3 + 3 + 2 + 2;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daemon_polls_stores_once_and_serves_merged_feed() {
    let base = fixture_server().await;
    let refused = refused_url().await;
    let dir = tempfile::tempdir().unwrap();
    let store: PathBuf = dir.path().join("store.sled");
    let cfg = config(&base, &refused, &store);
    let sources = cfg.sources.len() as u64;

    // First run: the daemon polls everything on start.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut daemon = app::start_on(cfg.clone(), listener).await.unwrap();
    tokio::time::timeout(
        std::time::Duration::from_secs(60),
        daemon.polls.wait_for(|n| *n >= sources),
    )
    .await
    .expect("all sources polled")
    .unwrap();
    let (status, headers, body) = get_feed(daemon.addr, "/feed.xml").await;
    assert_eq!(status, 200);
    assert_eq!(
        headers[header::CONTENT_TYPE.as_str()],
        "application/rss+xml; charset=utf-8"
    );
    let feed = feed_rs::parser::parse(body.as_slice()).expect("our RSS parses");
    let first_titles = titles(&feed);
    // The seed visit is reported by two boards and published once.
    assert_eq!(first_titles.len(), GOOD_ITEMS - 1, "{first_titles:#?}");
    let mut unique = first_titles.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), first_titles.len(), "an item appears twice");
    // Vietnamese titles round-trip exactly, in NFC.
    let kh = "Khánh Hòa cấp mới Giấy chứng nhận đăng ký đầu tư cho dự án nhà máy sản xuất linh kiện điện tử tại KCN Ninh Thủy";
    assert!(first_titles.iter().any(|t| t == kh), "{first_titles:#?}");
    for t in &first_titles {
        assert_eq!(t, &t.nfc().collect::<String>(), "title not NFC: {t}");
    }
    // Newest first.
    let dates: Vec<_> = feed
        .entries
        .iter()
        .map(|e| e.published.expect("pubDate"))
        .collect();
    let mut sorted = dates.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(dates, sorted);
    // Items without guids got stable ids of ours.
    let ns = feed
        .entries
        .iter()
        .find(|e| {
            e.title
                .as_ref()
                .is_some_and(|t| t.content.contains("thép tấm"))
        })
        .expect("no-guid item present");
    assert!(ns.id.starts_with("urn:zonewire:"), "{}", ns.id);
    let guids: Vec<String> = feed.entries.iter().map(|e| e.id.clone()).collect();

    // Broken sources are reported on themselves only.
    let (_, _, sources_json) = get_feed(daemon.addr, "/sources.json").await;
    let v: serde_json::Value = serde_json::from_slice(&sources_json).unwrap();
    for s in v["sources"].as_array().unwrap() {
        let id = s["id"].as_str().unwrap();
        let status = s["status"].as_str().unwrap_or("");
        if id.starts_with("broken-") {
            assert_eq!(status, "error", "{id}: {s}");
            assert!(s["error"].as_str().is_some_and(|e| !e.is_empty()), "{s}");
        } else {
            assert_ne!(status, "error", "{id}: {s}");
        }
    }
    let (status, _, _) = get_feed(daemon.addr, "/healthz").await;
    assert_eq!(status, 200);
    daemon.shutdown().await.unwrap();

    // A second pass adds nothing and reports the broken sources.
    let outcomes = app::poll_once(&cfg, &[]).await.unwrap();
    assert_eq!(
        outcomes.iter().map(|o| o.report.new).sum::<usize>(),
        0,
        "{outcomes:#?}"
    );
    for o in &outcomes {
        let broken = o.source.starts_with("broken-");
        assert_eq!(matches!(o.status, PollStatus::Error(_)), broken, "{o:?}");
    }
    let reason = |id: &str| match &outcomes.iter().find(|o| o.source == id).unwrap().status {
        PollStatus::Error(r) => r.clone(),
        other => panic!("{other:?}"),
    };
    assert!(
        reason("broken-404").contains("404"),
        "{}",
        reason("broken-404")
    );
    assert!(
        reason("broken-refused").to_lowercase().contains("connect"),
        "{}",
        reason("broken-refused")
    );

    // Restart: the same items, the same guids.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let daemon = app::start_on(cfg.clone(), listener).await.unwrap();
    let (_, _, body) = get_feed(daemon.addr, "/feed.xml").await;
    let feed = feed_rs::parser::parse(body.as_slice()).unwrap();
    assert_eq!(titles(&feed), first_titles);
    assert_eq!(
        feed.entries
            .iter()
            .map(|e| e.id.clone())
            .collect::<Vec<_>>(),
        guids
    );
    daemon.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feeds_answer_conditional_requests_and_gzip() {
    let base = fixture_server().await;
    let refused = refused_url().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(&base, &refused, &dir.path().join("s.sled"));
    app::poll_once(&cfg, &[]).await.unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let daemon = app::start_on(cfg, listener).await.unwrap();
    let client = reqwest::Client::builder().no_gzip().build().unwrap();
    let url = format!("http://{}/feed.xml?province=khanh-hoa", daemon.addr);
    let r = client.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let etag = r.headers()[header::ETAG.as_str()]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(r.headers()[header::VARY.as_str()], "Accept-Encoding");
    let plain = r.bytes().await.unwrap();
    let r = client
        .get(&url)
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
    let r = client
        .get(&url)
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()[header::CONTENT_ENCODING.as_str()], "gzip");
    let gz = r.bytes().await.unwrap();
    let mut d = flate2::read::GzDecoder::new(&gz[..]);
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut d, &mut out).unwrap();
    assert_eq!(out, plain);
    let r = client
        .get(format!("http://{}/feed.xml?limit=9999", daemon.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("limit"));
    daemon.shutdown().await.unwrap();
}
