//! Operations: metrics after a poll, live reconfiguration (added, removed, changed,
//! invalid), retention pruning with tombstones.

use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::net::TcpListener;
use zonewire::app;
use zonewire::config::Config;

fn demo(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("config/demo")
        .join(name)
}

fn config_text(store: &Path, sources: &[(&str, &str, &str)]) -> String {
    let mut text = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\n\n[store]\npath = \"{}\"\n\n[poll]\ninterval = \"1h\"\n",
        store.display()
    );
    for (id, province, file) in sources {
        text.push_str(&format!(
            "\n[[source]]\nid = \"{id}\"\nprovince = \"{province}\"\nurl = \"file://{}\"\n",
            demo(file).display()
        ));
    }
    text
}

async fn get(addr: std::net::SocketAddr, path: &str) -> String {
    reqwest::get(format!("http://{addr}{path}"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn wait_polls(d: &mut app::Daemon, n: u64) {
    tokio::time::timeout(Duration::from_secs(60), d.polls.wait_for(|c| *c >= n))
        .await
        .expect("polls finished in time")
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_polls_and_items() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("zonewire.toml");
    std::fs::write(
        &path,
        config_text(
            &dir.path().join("s.sled"),
            &[("metrics-kh", "Khánh Hòa", "khanhhoa-bqlkkt.xml")],
        ),
    )
    .unwrap();
    let cfg = Config::load(&path).unwrap();
    let mut d = app::start_on(cfg, TcpListener::bind("127.0.0.1:0").await.unwrap())
        .await
        .unwrap();
    wait_polls(&mut d, 1).await;
    let _ = get(d.addr, "/feed.xml").await;
    let _ = get(d.addr, "/feed.xml").await;
    let m = get(d.addr, "/metrics").await;
    assert!(
        m.contains(r#"zonewire_polls_total{source="metrics-kh",outcome="new"} 1"#),
        "{m}"
    );
    assert!(
        m.contains(r#"zonewire_items_total{source="metrics-kh",kind="new"} 3"#),
        "{m}"
    );
    assert!(
        m.contains(r#"zonewire_source_consecutive_failures{source="metrics-kh"} 0"#),
        "{m}"
    );
    assert!(m.contains("zonewire_store_items 3"), "{m}");
    let store_bytes: f64 = m
        .lines()
        .find_map(|l| l.strip_prefix("zonewire_store_size_bytes "))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    assert!(store_bytes > 0.0, "{m}");
    assert!(m.contains("zonewire_fetch_duration_seconds_count"), "{m}");
    // Metrics are process-wide and other tests in this binary serve feeds too.
    let served: f64 = m
        .lines()
        .find_map(|l| {
            l.strip_prefix(r#"zonewire_http_requests_total{route="/feed.xml",status="200"} "#)
        })
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    assert!(served >= 2.0, "{m}");
    assert!(
        m.contains(r#"zonewire_render_cache_total{result="hit"}"#),
        "{m}"
    );
    d.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_adds_removes_and_rejects_bad_config() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.sled");
    let path = dir.path().join("zonewire.toml");
    std::fs::write(
        &path,
        config_text(&store, &[("kh", "Khánh Hòa", "khanhhoa-bqlkkt.xml")]),
    )
    .unwrap();
    let cfg = Config::load(&path).unwrap();
    let mut d = app::start_on(cfg, TcpListener::bind("127.0.0.1:0").await.unwrap())
        .await
        .unwrap();
    wait_polls(&mut d, 1).await;
    assert!(get(d.addr, "/feed.xml").await.contains("Ninh Thủy"));

    // An invalid file is rejected and the old config stays in force.
    std::fs::write(&path, "[[source]]\nid = \"kh\"\nurl = \"ftp://nope\"\n").unwrap();
    let err = d.reload_from_file().unwrap_err().to_string();
    assert!(err.contains("ftp"), "{err}");
    assert!(get(d.addr, "/sources.json").await.contains("\"kh\""));

    // Replace kh by the Nghi Sơn feed: kh stops (its items stay), ns starts and polls.
    std::fs::write(
        &path,
        config_text(&store, &[("ns", "Thanh Hóa", "nghison-noguid.xml")]),
    )
    .unwrap();
    let summary = d.reload_from_file().unwrap();
    assert_eq!(summary.added, vec!["ns".to_string()]);
    assert_eq!(summary.removed, vec!["kh".to_string()]);
    wait_polls(&mut d, 2).await;
    let feed = get(d.addr, "/feed.xml").await;
    assert!(feed.contains("thép tấm"), "new source's items served");
    assert!(feed.contains("Ninh Thủy"), "removed source's items kept");
    let sources = get(d.addr, "/sources.json").await;
    assert!(
        sources.contains("\"ns\"") && !sources.contains("\"kh\""),
        "{sources}"
    );

    // A changed source restarts.
    std::fs::write(
        &path,
        config_text(&store, &[("ns", "Nghệ An", "nghison-noguid.xml")]),
    )
    .unwrap();
    let summary = d.reload_from_file().unwrap();
    assert_eq!(summary.changed, vec!["ns".to_string()]);
    d.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pruned_items_never_come_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("zonewire.toml");
    let feed = dir.path().join("kh.xml");
    let original = std::fs::read_to_string(demo("khanhhoa-bqlkkt.xml")).unwrap();
    std::fs::write(&feed, &original).unwrap();
    std::fs::write(
        &path,
        format!(
            "[store]\npath = \"{}\"\n\n[[source]]\nid = \"kh\"\nurl = \"file://{}\"\n",
            dir.path().join("s.sled").display(),
            feed.display()
        ),
    )
    .unwrap();
    let cfg = Config::load(&path).unwrap();
    let first = app::poll_once(&cfg, &[]).await.unwrap();
    assert_eq!(first[0].report.new, 3);
    {
        let archive = app::open_archive(&cfg).unwrap();
        // Everything in the demo feed is from 2025: prune up to 1 Sept 2025 removes one.
        let cut = chrono::DateTime::parse_from_rfc3339("2025-09-01T00:00:00+07:00")
            .unwrap()
            .with_timezone(&chrono::Utc);
        assert_eq!(archive.prune_before(cut).unwrap(), 1);
        assert_eq!(archive.len(), 2);
    }
    // The source still lists it (in a changed body, so it is really re-read), but its
    // keys are tombstones: it is not stored again.
    std::fs::write(
        &feed,
        original.replace("</channel>", "<!-- edited --></channel>"),
    )
    .unwrap();
    let again = app::poll_once(&cfg, &[]).await.unwrap();
    assert_eq!(again[0].report.new, 0, "{again:?}");
    let archive = app::open_archive(&cfg).unwrap();
    assert_eq!(archive.len(), 2);
}
