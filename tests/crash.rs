//! Crash safety: the daemon binary is SIGKILLed at random moments while it ingests
//! hundreds of items from a local server, then restarted. After every round the store
//! opens, every item served before is still served, no item appears twice, and the count
//! only grows. A final SIGTERM must flush and lose nothing.

#![cfg(unix)]

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::header;
use axum::routing::get;

const SOURCES: usize = 12;
const ITEMS_PER_FEED: u64 = 40;
const ROUNDS: usize = 30;

/// Every request to a feed returns its latest 40 items of an ever-growing sequence, so
/// each poll brings new items: ingestion never stops while we kill the daemon.
async fn feed(
    State(counter): State<Arc<AtomicU64>>,
    UrlPath(n): UrlPath<usize>,
) -> impl axum::response::IntoResponse {
    let tick = counter.fetch_add(1, Ordering::SeqCst);
    let mut items = String::new();
    let newest = tick + ITEMS_PER_FEED;
    for k in (tick..newest).rev() {
        // Distinct words per item keep the story clustering out of the way.
        items.push_str(&format!(
            "<item><title>Nguồn {n} tin số {k}: dự án mã {h:x}</title>\
             <link>http://farm.test/{n}/{k}.html</link><guid>s{n}-{k}</guid>\
             <pubDate>{date}</pubDate><description>Mô tả {k} {h:x} {h2:x}</description></item>",
            h = k.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(n as u64),
            h2 = k.wrapping_mul(0xC2B2_AE3D_27D4_EB4F) ^ n as u64,
            date = chrono::DateTime::from_timestamp(1_750_000_000 + (k as i64) * 60 + n as i64, 0)
                .unwrap()
                .to_rfc2822(),
        ));
    }
    (
        [(header::CONTENT_TYPE, "application/rss+xml; charset=utf-8")],
        format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>Farm {n}</title>{items}</channel></rss>"
        ),
    )
}

fn start_farm(rt: &tokio::runtime::Runtime) -> String {
    let counter = Arc::new(AtomicU64::new(0));
    let app = Router::new()
        .route("/feed/{n}", get(feed))
        .with_state(counter);
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    rt.spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

fn write_config(dir: &Path, farm: &str, port: u16) -> std::path::PathBuf {
    let mut text = format!(
        "[server]\nlisten = \"127.0.0.1:{port}\"\n\n[store]\npath = \"{}\"\n\n[poll]\ninterval = \"1s\"\nconcurrency = 4\nper_host = 4\nallow_private = true\n",
        dir.join("store.sled").display()
    );
    for n in 0..SOURCES {
        text.push_str(&format!(
            "\n[[source]]\nid = \"farm-{n}\"\nurl = \"{farm}/feed/{n}\"\nkind = \"feed\"\n"
        ));
    }
    let path = dir.join("zonewire.toml");
    std::fs::write(&path, text).unwrap();
    path
}

struct Running {
    child: Child,
    lines: std::sync::mpsc::Receiver<String>,
}

/// Start the binary and wait until it logs that it serves (explicit readiness).
fn start(config: &Path) -> Running {
    let mut child = Command::new(env!("CARGO_BIN_EXE_zonewire"))
        .args(["--log-format", "json", "run", "--config"])
        .arg(config)
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start zonewire");
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let running = Running { child, lines: rx };
    wait_for_line(&running, "\"serving\"", 1);
    running
}

/// Block until `n` log lines containing `needle` were seen (or fail after a long guard).
fn wait_for_line(r: &Running, needle: &str, n: usize) {
    let mut seen = 0;
    while seen < n {
        match r.lines.recv_timeout(Duration::from_secs(60)) {
            Ok(line) if line.contains(needle) => seen += 1,
            Ok(line) if line.contains("\"ERROR\"") => panic!("daemon error: {line}"),
            Ok(_) => {}
            Err(e) => panic!("no {needle:?} log line within 60 s: {e}"),
        }
    }
}

/// Every report served, by link (story leads and the reports folded into them: a late
/// report with an earlier date can take over as lead), paging back.
fn served_ids(rt: &tokio::runtime::Runtime, port: u16) -> Vec<String> {
    rt.block_on(async {
        let mut ids = Vec::new();
        let mut url = format!("http://127.0.0.1:{port}/feed.json?limit=500");
        loop {
            let body = reqwest::get(&url).await.unwrap().text().await.unwrap();
            let v: serde_json::Value = serde_json::from_str(&body).unwrap();
            for item in v["items"].as_array().unwrap() {
                for report in item["_zonewire"]["sources"].as_array().unwrap() {
                    ids.push(report["link"].as_str().unwrap().to_string());
                }
            }
            match v["next_url"].as_str() {
                Some(next) => {
                    url = next.replace("http://crash.test", &format!("http://127.0.0.1:{port}"))
                }
                None => break,
            }
        }
        ids
    })
}

#[test]
fn sigkill_rounds_lose_and_duplicate_nothing() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let farm = start_farm(&rt);
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = write_config(dir.path(), &farm, port);
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        text.replace("[server]\n", "[server]\nbase_url = \"http://crash.test\"\n"),
    )
    .unwrap();

    let mut before: HashSet<String> = HashSet::new();
    let mut rng = fastrand::Rng::with_seed(0x5eed);
    for round in 0..ROUNDS {
        let mut running = start(&config);
        let ids = served_ids(&rt, port);
        let set: HashSet<String> = ids.iter().cloned().collect();
        assert_eq!(
            set.len(),
            ids.len(),
            "round {round}: an item is served twice"
        );
        let lost: Vec<_> = before.difference(&set).collect();
        assert!(
            lost.is_empty(),
            "round {round}: {} items lost, e.g. {:?}",
            lost.len(),
            lost.first()
        );
        assert!(set.len() >= before.len(), "round {round}: count went down");
        before = set;
        // Kill after a random number of finished polls: mid-ingestion, at varying points.
        wait_for_line(&running, "\"polled\"", rng.usize(1..=SOURCES));
        running.child.kill().unwrap();
        running.child.wait().unwrap();
    }
    assert!(before.len() > 100, "only {} items ingested", before.len());

    // A graceful stop loses nothing either.
    let running = start(&config);
    wait_for_line(&running, "\"polled\"", SOURCES);
    let served = served_ids(&rt, port);
    let pid = running.child.id().to_string();
    let status = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(status.success());
    let mut running = running;
    let exit = running.child.wait().unwrap();
    assert!(exit.success(), "SIGTERM exit: {exit:?}");
    let running = start(&config);
    let after: HashSet<String> = served_ids(&rt, port).into_iter().collect();
    for id in &served {
        assert!(after.contains(id), "{id} lost after SIGTERM");
    }
    let mut running = running;
    running.child.kill().unwrap();
    let _ = running.child.wait();
}
