//! Shared fixtures of the republishing tests: the boards, the stories they must yield,
//! and starting the daemon.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use tokio::net::TcpListener;
use zonewire::app;
use zonewire::config::Config;

use crate::common::{Reply, TestServer};

/// Public base URL of the daemon under test (links and self links use it).
pub const BASE: &str = "http://republish.test";

/// The render-cache counters are process-global: the test that counts misses takes this
/// for writing, every other test (they all render) for reading.
pub static RENDERS: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());

/// One expected story, newest first in [`EXPECTED`].
pub struct Expected {
    pub title: &'static str,
    pub link: &'static str,
    /// Publication time as the daemon must publish it, in +07:00.
    pub vn: &'static str,
    pub source: &'static str,
    pub provinces: &'static [&'static str],
}

pub const HOSTILE: &str =
    "<script>alert(\"xss\")</script> Cảnh báo giả danh Ban Quản lý & \"nhà đầu tư\"";

pub const EXPECTED: [Expected; 6] = [
    Expected {
        title: "Khánh Hòa cấp mới Giấy chứng nhận đăng ký đầu tư cho dự án tại KCN Ninh Thủy",
        link: "https://bqlkktkcn.khanhhoa.gov.vn/article/tin-hoat-dong/cap-moi-gcn-ninh-thuy.html",
        vn: "2025-09-06T16:20:00+07:00",
        source: "khanhhoa-bqlkkt",
        provinces: &["khanh-hoa"],
    },
    Expected {
        title: "Bắc Giang: KCN Quang Châu thu hút thêm 3 dự án FDI",
        link: "https://bqlkcn.bacgiang.gov.vn/tin-tuc/kcn-quang-chau-thu-hut-3-du-an-fdi-881.html",
        // Given as 06:15 +07:00: the previous day in UTC.
        vn: "2025-09-06T06:15:00+07:00",
        source: "bacgiang-bqlkcn",
        provinces: &["bac-ninh"],
    },
    Expected {
        title: HOSTILE,
        link: "https://bqlkktkcn.khanhhoa.gov.vn/article/thong-bao/canh-bao-gia-danh.html",
        vn: "2025-09-05T09:00:00+07:00",
        source: "khanhhoa-bqlkkt",
        provinces: &["khanh-hoa"],
    },
    Expected {
        title: "KCN Du Long (Ninh Thuận cũ) đón đoàn nhà đầu tư Nhật Bản",
        link: "https://bqlkktkcn.khanhhoa.gov.vn/article/tin-hoat-dong/du-long-don-doan-nhat-ban.html",
        // Given as 16:45 GMT.
        vn: "2025-09-04T23:45:00+07:00",
        source: "khanhhoa-bqlkkt",
        provinces: &["khanh-hoa"],
    },
    Expected {
        title: "Đà Nẵng: Khu công nghệ cao cấp phép dự án bán dẫn 50 triệu USD",
        link: "https://dseza.danang.gov.vn/tin-tuc/cap-phep-du-an-ban-dan-7.html",
        // Given as 01:00Z.
        vn: "2025-09-04T08:00:00+07:00",
        source: "danang-dseza",
        provinces: &["da-nang"],
    },
    Expected {
        title: "Thanh Hoá và Bắc Ninh ký kết hợp tác phát triển khu công nghiệp",
        link: "https://bqlkcn.bacgiang.gov.vn/tin-tuc/thanh-hoa-bac-ninh-hop-tac-870.html",
        vn: "2025-09-03T14:00:00+07:00",
        source: "bacgiang-bqlkcn",
        provinces: &["thanh-hoa", "bac-ninh"],
    },
];

/// Indexes into [`EXPECTED`]: K = Khánh Hòa (RSS), B = Bắc Giang (Atom), D = Đà Nẵng (JSON).
pub const K1: usize = 0;
pub const B1: usize = 1;
pub const K2: usize = 2;
pub const K3: usize = 3;
pub const D1: usize = 4;
pub const B2: usize = 5;

pub const NEW_TITLE: &str = "Khánh Hòa: Khu kinh tế Vân Phong khởi công bến cảng container";
pub const NEW_ITEM: &str = r#"<item>
<title>Khánh Hòa: Khu kinh tế Vân Phong khởi công bến cảng container</title>
<link>https://bqlkktkcn.khanhhoa.gov.vn/article/tin-hoat-dong/van-phong-khoi-cong-ben-cang.html</link>
<guid isPermaLink="false">kh-104</guid>
<pubDate>Sun, 07 Sep 2025 10:00:00 +0700</pubDate>
<description>Bến cảng container tổng hợp Vân Phong được khởi công.</description>
</item>"#;

pub fn titles_of(idx: &[usize]) -> Vec<String> {
    idx.iter().map(|&i| EXPECTED[i].title.to_string()).collect()
}

pub fn all_titles() -> Vec<String> {
    EXPECTED.iter().map(|e| e.title.to_string()).collect()
}

pub fn vn_time(e: &Expected) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(e.vn).unwrap()
}

pub fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/republish")
        .join(name)
}

pub fn fixture(name: &str) -> String {
    let path = fixture_path(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub const SOURCES: [(&str, &str, &str, &str); 3] = [
    (
        "khanhhoa-bqlkkt",
        "Ban Quản lý KKT và KCN tỉnh Khánh Hòa",
        "Khánh Hòa",
        "/kh.xml",
    ),
    // Configured under the old province name: it must land in Bắc Ninh.
    (
        "bacgiang-bqlkcn",
        "Ban Quản lý các KCN tỉnh Bắc Giang",
        "Bắc Giang",
        "/bg.atom",
    ),
    (
        "danang-dseza",
        "Ban Quản lý Khu công nghệ cao và các KCN Đà Nẵng",
        "Đà Nẵng",
        "/dn.json",
    ),
];

pub struct Env {
    pub server: TestServer,
    pub _dir: tempfile::TempDir,
    pub dir: PathBuf,
    pub config_path: PathBuf,
    pub cfg: Config,
}

pub fn server_text(store: &Path) -> String {
    format!(
        r#"[server]
listen = "127.0.0.1:0"
base_url = "{BASE}"
title = "Tin khu công nghiệp — kiểm thử"

[store]
path = "{}"

[poll]
interval = "1h"
allow_private = true
timeout = "5s"
"#,
        store.display()
    )
}

pub async fn env() -> Env {
    let server = TestServer::start().await;
    server.route(
        "/kh.xml",
        Reply::ok(fixture("khanhhoa.xml")).header("Content-Type", "application/rss+xml"),
    );
    server.route(
        "/bg.atom",
        Reply::ok(fixture("bacninh.atom")).header("Content-Type", "application/atom+xml"),
    );
    server.route(
        "/dn.json",
        Reply::ok(fixture("danang.json")).header("Content-Type", "application/feed+json"),
    );
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let mut text = server_text(&dir.join("store.sled"));
    for (id, name, province, path) in SOURCES {
        text.push_str(&format!(
            "\n[[source]]\nid = \"{id}\"\nname = \"{name}\"\nprovince = \"{province}\"\nurl = \"{}\"\nkind = \"feed\"\n",
            server.url(path)
        ));
    }
    let config_path = dir.join("zonewire.toml");
    std::fs::write(&config_path, text).unwrap();
    let cfg = Config::load(&config_path).unwrap();
    Env {
        server,
        _dir: tmp,
        dir,
        config_path,
        cfg,
    }
}

/// Start the daemon on a fresh store and wait until it has polled every source once.
pub async fn start(cfg: &Config) -> app::Daemon {
    let mut d = restart(cfg).await;
    let n = cfg.sources.len() as u64;
    tokio::time::timeout(Duration::from_secs(60), d.polls.wait_for(|c| *c >= n))
        .await
        .expect("all sources polled in time")
        .unwrap();
    d
}

/// Start the daemon without waiting for polls (on a restart none are due for an hour).
pub async fn restart(cfg: &Config) -> app::Daemon {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    app::start_on(cfg.clone(), listener).await.unwrap()
}

pub struct Got {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Got {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

pub async fn get_with(client: &reqwest::Client, addr: std::net::SocketAddr, path: &str) -> Got {
    let r = client
        .get(format!("http://{addr}{path}"))
        .send()
        .await
        .unwrap();
    Got {
        status: r.status(),
        headers: r.headers().clone(),
        body: r.text().await.unwrap(),
    }
}

pub async fn get(addr: std::net::SocketAddr, path: &str) -> Got {
    get_with(&reqwest::Client::new(), addr, path).await
}

pub fn parse(body: &str) -> feed_rs::model::Feed {
    feed_rs::parser::parse(body.as_bytes()).unwrap_or_else(|e| panic!("{e}: {body}"))
}

pub fn titles(feed: &feed_rs::model::Feed) -> Vec<String> {
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

pub fn ids(feed: &feed_rs::model::Feed) -> Vec<String> {
    feed.entries.iter().map(|e| e.id.clone()).collect()
}

pub fn link_rel<'a>(feed: &'a feed_rs::model::Feed, rel: &str) -> Option<&'a str> {
    feed.links
        .iter()
        .find(|l| l.rel.as_deref() == Some(rel))
        .map(|l| l.href.as_str())
}

pub fn json_titles(body: &str) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_str(body).unwrap();
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap().to_string())
        .collect()
}

/// `None` when `tool` is missing and we are not in CI (the caller skips); panics in CI,
/// where `.ci/run` installs it and a silent skip would hide a regression.
pub fn require(tool: &str, probe: &mut Command) -> Option<()> {
    let ok = probe.output().is_ok_and(|o| o.status.success());
    if ok {
        return Some(());
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{tool} is required in CI (.ci/run installs it) but is not available");
    }
    eprintln!("SKIP: {tool} is not available here; install it to run this check");
    None
}
