//! Faults: several broken sources at once (one hangs, one resets connections, one
//! answers 500, one sends an HTML error page with 200, one turns into a different feed);
//! only they suffer, the others are stored and the feeds keep serving. Bad queries get a
//! 400, never a panic. A store that is locked or unwritable is a clear error naming it.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::{Reply, TestServer, demo};
use tokio::net::TcpListener;
use zonewire::app;
use zonewire::config::Config;
use zonewire::poller::PollStatus;

fn config(server: &TestServer, store: &Path) -> Config {
    let mut text = format!(
        "[store]\npath = \"{}\"\n[poll]\nallow_private = true\ntimeout = \"1s\"\nper_host = 8\ninterval = \"1h\"\n",
        store.display()
    );
    for (id, path, kind) in [
        ("good-kh", "/kh.xml", "auto"),
        ("good-hy", "/hy.atom", "auto"),
        ("hangs", "/hang.xml", "feed"),
        ("resets", "/reset.xml", "feed"),
        ("error-500", "/500.xml", "feed"),
        ("html-200", "/maintenance.xml", "auto"),
        ("html-200-feed", "/maintenance.xml", "feed"),
        ("changes", "/changes.xml", "feed"),
    ] {
        text.push_str(&format!(
            "\n[[source]]\nid = \"{id}\"\nurl = \"{}\"\nkind = \"{kind}\"\n",
            server.url(path)
        ));
    }
    Config::parse(&text, Path::new("faults.toml")).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_sources_only_hurt_themselves() {
    let server = TestServer::start().await;
    server.route("/kh.xml", Reply::ok(demo("khanhhoa-bqlkkt.xml")));
    server.route("/hy.atom", Reply::ok(demo("hungyen-bqlkcn.atom")));
    server.route(
        "/hang.xml",
        Reply::ok(&b"<?xml version=\"1.0\"?><rss version=\"2.0\"><channel>"[..])
            .header("Content-Length", "100000")
            .stall(),
    );
    server.route("/reset.xml", Reply::status(200).drop_connection());
    server.route("/500.xml", Reply::status(500).body("Internal Server Error"));
    server.route(
        "/maintenance.xml",
        Reply::ok("<!DOCTYPE html><html><head><title>Bảo trì hệ thống</title></head><body><h1>Hệ thống đang bảo trì</h1></body></html>")
            .header("content-type", "text/html; charset=utf-8"),
    );
    server.route("/changes.xml", Reply::ok(demo("nghison-noguid.xml")));
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(&server, &dir.path().join("s.sled"));
    let n = cfg.sources.len() as u64;

    let mut d = app::start_on(cfg.clone(), TcpListener::bind("127.0.0.1:0").await.unwrap())
        .await
        .unwrap();
    tokio::time::timeout(Duration::from_secs(60), d.polls.wait_for(|c| *c >= n))
        .await
        .expect("every source polled")
        .unwrap();
    let sources: serde_json::Value = serde_json::from_str(
        &reqwest::get(format!("http://{}/sources.json", d.addr))
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    )
    .unwrap();
    let by_id = |id: &str| {
        sources["sources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == id)
            .cloned()
            .unwrap()
    };
    for id in ["good-kh", "good-hy", "changes"] {
        assert_eq!(by_id(id)["status"], "new", "{id}: {}", by_id(id));
    }
    let expect_error = |id: &str, needle: &str| {
        let s = by_id(id);
        assert_eq!(s["status"], "error", "{id}: {s}");
        let err = s["error"].as_str().unwrap_or("").to_lowercase();
        assert!(
            err.contains(needle),
            "{id}: {err:?} should mention {needle:?}"
        );
        assert_eq!(s["consecutive_failures"], 1, "{id}: {s}");
    };
    expect_error("hangs", "timed out");
    expect_error("resets", "connect");
    expect_error("error-500", "500");
    expect_error("html-200", "html page");
    expect_error("html-200-feed", "feed");

    let feed = reqwest::get(format!("http://{}/feed.xml", d.addr))
        .await
        .unwrap();
    assert_eq!(feed.status(), 200);
    let body = feed.text().await.unwrap();
    assert!(
        body.contains("Ninh Thủy") && body.contains("Thăng Long II"),
        "{body}"
    );
    d.shutdown().await.unwrap();

    // The "changes" source turns into a different feed: its old items stay, the new
    // ones are added, and nothing else is touched.
    server.route("/changes.xml", Reply::ok(demo("danang-dseza.json")));
    let out = app::poll_once(&cfg, &["changes".to_string()])
        .await
        .unwrap();
    assert_eq!(out[0].status, PollStatus::New, "{out:?}");
    let archive = app::open_archive(&cfg).unwrap();
    let counts = archive.source_counts();
    assert_eq!(counts.get("changes"), Some(&4), "{counts:?}");
    assert_eq!(counts.get("good-kh"), Some(&3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_queries_get_400_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = Config::parse(
        &format!(
            "[store]\npath = \"{}\"\n",
            dir.path().join("s.sled").display()
        ),
        Path::new("q.toml"),
    )
    .unwrap();
    let d = app::start_on(cfg, TcpListener::bind("127.0.0.1:0").await.unwrap())
        .await
        .unwrap();
    for (query, needle) in [
        ("province=Atlantis", "province"),
        ("limit=-1", "limit"),
        ("limit=501", "limit"),
        ("before=2025-13-01", "before"),
        ("cooperation=perhaps", "cooperation"),
        ("source=%3Cscript%3E", "source"),
        (&format!("q={}", "a".repeat(300)), "q"),
    ] {
        for path in ["/feed.xml", "/feed.atom", "/feed.json", "/"] {
            let r = reqwest::get(format!("http://{}{path}?{query}", d.addr))
                .await
                .unwrap();
            assert_eq!(r.status(), 400, "{path}?{query}");
            let text = r.text().await.unwrap();
            assert_eq!(text.lines().count(), 1, "one-line reason: {text:?}");
            assert!(text.contains(needle), "{path}?{query}: {text}");
        }
    }
    // Odd but valid input is served.
    for query in [
        "q=%F0%9F%98%80",
        "q=%00",
        "province=Th%E1%BB%ABa+Thi%C3%AAn+Hu%E1%BA%BF",
        "limit=1&limit=2",
    ] {
        let r = reqwest::get(format!("http://{}/feed.xml?{query}", d.addr))
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{query}");
    }
    d.shutdown().await.unwrap();
}

#[test]
fn locked_or_unwritable_store_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.sled");
    let config = dir.path().join("z.toml");
    std::fs::write(
        &config,
        format!("[store]\npath = \"{}\"\n", store.display()),
    )
    .unwrap();
    // Another process holds the store: start the daemon, wait for it to serve.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"127.0.0.1:{port}\"\n[store]\npath = \"{}\"\n",
            store.display()
        ),
    )
    .unwrap();
    let mut daemon = Command::new(env!("CARGO_BIN_EXE_zonewire"))
        .args(["run", "--config"])
        .arg(&config)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = daemon.stderr.take().unwrap();
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(stderr));
    assert!(
        lines
            .by_ref()
            .map_while(Result::ok)
            .any(|l| l.contains("serving")),
        "daemon did not start"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_zonewire"))
        .args(["poll", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    let _ = daemon.kill();
    let _ = daemon.wait();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(&store.display().to_string()), "{err}");
    assert!(err.contains("another zonewire process"), "{err}");

    // A store path below a regular file cannot be created.
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, "x").unwrap();
    let bad = blocker.join("store.sled");
    std::fs::write(&config, format!("[store]\npath = \"{}\"\n", bad.display())).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_zonewire"))
        .args(["poll", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(&bad.display().to_string()), "{err}");
}
