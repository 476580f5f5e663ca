//! Republishing, end to end: three boards (RSS, Atom, JSON Feed; Vietnamese text, dates
//! in +07:00, GMT and Z) are polled from a fixture server, and every output the daemon
//! serves is read back by independent parsers: feed-rs and the `rss` crate for all
//! formats, Python's feedparser for the RSS, xmllint with the RFC 4287 RELAX NG grammar
//! for the Atom. Also: filters, paging, conditional GET, single-flight rendering, the
//! HTML page, source health, province counts and the OPML round trip through the CLI.
//!
//! The external checkers skip with a message when absent locally; under `CI=true`
//! (`.ci/run` installs them) a missing checker fails the test instead.

mod common;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, Utc};
use common::{Reply, TestServer};
use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap};
use tokio::net::TcpListener;
use zonewire::app;
use zonewire::config::Config;

/// Public base URL of the daemon under test (links and self links use it).
const BASE: &str = "http://republish.test";

/// The render-cache counters are process-global: the test that counts misses takes this
/// for writing, every other test (they all render) for reading.
static RENDERS: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());

/// One expected story, newest first in [`EXPECTED`].
struct Expected {
    title: &'static str,
    link: &'static str,
    /// Publication time as the daemon must publish it, in +07:00.
    vn: &'static str,
    source: &'static str,
    provinces: &'static [&'static str],
}

const HOSTILE: &str =
    "<script>alert(\"xss\")</script> Cảnh báo giả danh Ban Quản lý & \"nhà đầu tư\"";

const EXPECTED: [Expected; 6] = [
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

const K1: usize = 0;
const B1: usize = 1;
const K2: usize = 2;
const K3: usize = 3;
const D1: usize = 4;
const B2: usize = 5;

const NEW_TITLE: &str = "Khánh Hòa: Khu kinh tế Vân Phong khởi công bến cảng container";
const NEW_ITEM: &str = r#"<item>
<title>Khánh Hòa: Khu kinh tế Vân Phong khởi công bến cảng container</title>
<link>https://bqlkktkcn.khanhhoa.gov.vn/article/tin-hoat-dong/van-phong-khoi-cong-ben-cang.html</link>
<guid isPermaLink="false">kh-104</guid>
<pubDate>Sun, 07 Sep 2025 10:00:00 +0700</pubDate>
<description>Bến cảng container tổng hợp Vân Phong được khởi công.</description>
</item>"#;

fn titles_of(idx: &[usize]) -> Vec<String> {
    idx.iter().map(|&i| EXPECTED[i].title.to_string()).collect()
}

fn all_titles() -> Vec<String> {
    EXPECTED.iter().map(|e| e.title.to_string()).collect()
}

fn vn_time(e: &Expected) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(e.vn).unwrap()
}

fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/republish")
        .join(name)
}

fn fixture(name: &str) -> String {
    let path = fixture_path(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

const SOURCES: [(&str, &str, &str, &str); 3] = [
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

struct Env {
    server: TestServer,
    _dir: tempfile::TempDir,
    dir: PathBuf,
    config_path: PathBuf,
    cfg: Config,
}

fn server_text(store: &Path) -> String {
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

async fn env() -> Env {
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
async fn start(cfg: &Config) -> app::Daemon {
    let mut d = restart(cfg).await;
    let n = cfg.sources.len() as u64;
    tokio::time::timeout(Duration::from_secs(60), d.polls.wait_for(|c| *c >= n))
        .await
        .expect("all sources polled in time")
        .unwrap();
    d
}

/// Start the daemon without waiting for polls (on a restart none are due for an hour).
async fn restart(cfg: &Config) -> app::Daemon {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    app::start_on(cfg.clone(), listener).await.unwrap()
}

struct Got {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Got {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

async fn get_with(client: &reqwest::Client, addr: std::net::SocketAddr, path: &str) -> Got {
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

async fn get(addr: std::net::SocketAddr, path: &str) -> Got {
    get_with(&reqwest::Client::new(), addr, path).await
}

fn parse(body: &str) -> feed_rs::model::Feed {
    feed_rs::parser::parse(body.as_bytes()).unwrap_or_else(|e| panic!("{e}: {body}"))
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

fn ids(feed: &feed_rs::model::Feed) -> Vec<String> {
    feed.entries.iter().map(|e| e.id.clone()).collect()
}

fn link_rel<'a>(feed: &'a feed_rs::model::Feed, rel: &str) -> Option<&'a str> {
    feed.links
        .iter()
        .find(|l| l.rel.as_deref() == Some(rel))
        .map(|l| l.href.as_str())
}

fn json_titles(body: &str) -> Vec<String> {
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
fn require(tool: &str, probe: &mut Command) -> Option<()> {
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

// ---- every format, field by field -----------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_format_reparses_field_by_field_and_guids_survive_restart() {
    let _r = RENDERS.read().await;
    let env = env().await;
    let d = start(&env.cfg).await;

    // Ignored parameters still belong to the requested URL, which the self links echo.
    let query = "limit=50&utm_source=zalo";
    let rss = get(d.addr, &format!("/feed.xml?{query}")).await;
    let atom = get(d.addr, &format!("/feed.atom?{query}")).await;
    let json = get(d.addr, &format!("/feed.json?{query}")).await;
    for (got, ct) in [
        (&rss, "application/rss+xml; charset=utf-8"),
        (&atom, "application/atom+xml; charset=utf-8"),
        (&json, "application/feed+json; charset=utf-8"),
    ] {
        assert_eq!(got.status, 200, "{}", got.body);
        assert_eq!(got.header("content-type"), Some(ct));
    }
    let rss_feed = parse(&rss.body);
    let atom_feed = parse(&atom.body);
    let json_feed = parse(&json.body);

    // Titles exact (Vietnamese, NFC as written, the hostile one as text), newest first.
    for feed in [&rss_feed, &atom_feed, &json_feed] {
        assert_eq!(titles(feed), all_titles());
    }
    // One published identity per story, the same in every format, unique.
    let guids = ids(&rss_feed);
    assert_eq!(ids(&atom_feed), guids);
    assert_eq!(ids(&json_feed), guids);
    assert_eq!(guids.iter().collect::<HashSet<_>>().len(), guids.len());
    for g in &guids {
        assert!(g.starts_with("urn:zonewire:"), "{g}");
    }
    // Dates: every input offset (+0700, GMT, Z) lands on the right instant.
    for feed in [&rss_feed, &atom_feed, &json_feed] {
        for (entry, want) in feed.entries.iter().zip(&EXPECTED) {
            let want_utc = vn_time(want).with_timezone(&Utc);
            assert_eq!(entry.published, Some(want_utc), "{}", want.title);
            let link = entry.links.first().map(|l| l.href.as_str());
            assert_eq!(link, Some(want.link), "{}", want.title);
        }
    }

    // ---- RSS specifics, checked by a second parser (`rss`), which exposes <source>.
    let channel = rss::Channel::read_from(rss.body.as_bytes()).unwrap();
    assert_eq!(channel.language(), Some("vi"));
    assert_eq!(channel.ttl(), Some("60"), "ttl follows poll.interval");
    assert_eq!(rss_feed.language.as_deref(), Some("vi"));
    assert_eq!(rss_feed.ttl, Some(60));
    let self_links: Vec<_> = channel
        .atom_ext()
        .unwrap()
        .links()
        .iter()
        .filter(|l| l.rel() == "self")
        .map(|l| l.href().to_string())
        .collect();
    assert_eq!(self_links, vec![format!("{BASE}/feed.xml?{query}")]);
    for (item, want) in channel.items().iter().zip(&EXPECTED) {
        let guid = item.guid().unwrap();
        assert!(!guid.is_permalink());
        // pubDate keeps Vietnam's offset and names the right instant.
        let pub_date = DateTime::parse_from_rfc2822(item.pub_date().unwrap()).unwrap();
        assert_eq!(pub_date, vn_time(want));
        assert_eq!(pub_date.offset().local_minus_utc(), 7 * 3600);
        let source = item.source().unwrap();
        let (_, name, _, path) = SOURCES.iter().find(|s| s.0 == want.source).unwrap();
        assert_eq!(source.url(), env.server.url(path).as_str());
        assert_eq!(source.title(), Some(*name));
        let province_cats: Vec<&str> = item
            .categories()
            .iter()
            .filter(|c| c.domain() == Some("province"))
            .map(|c| c.name())
            .collect();
        assert_eq!(
            province_cats.len(),
            want.provinces.len(),
            "{province_cats:?}"
        );
    }
    let k1 = &channel.items()[K1];
    assert!(
        k1.content()
            .unwrap()
            .contains("<strong>120 triệu USD</strong>"),
        "content:encoded carries the sanitised body: {:?}",
        k1.content()
    );
    assert_eq!(
        k1.dublin_core_ext().unwrap().creators(),
        ["Phòng Đầu tư".to_string()]
    );
    assert_eq!(
        k1.description(),
        Some(
            "Dự án nhà máy linh kiện điện tử vốn 120 triệu USD được cấp Giấy chứng nhận đăng ký đầu tư."
        )
    );
    let cats: Vec<(&str, Option<&str>)> = k1
        .categories()
        .iter()
        .map(|c| (c.name(), c.domain()))
        .collect();
    assert!(cats.contains(&("Khánh Hòa", Some("province"))), "{cats:?}");
    assert!(
        cats.contains(&("Thu hút đầu tư", Some("source"))),
        "{cats:?}"
    );
    let b2: Vec<&str> = channel.items()[B2]
        .categories()
        .iter()
        .map(|c| c.name())
        .collect();
    for want in ["Thanh Hóa", "Bắc Ninh", "cooperation"] {
        assert!(b2.contains(&want), "{b2:?}");
    }
    // feed-rs sees the same extension fields.
    let e = &rss_feed.entries[K1];
    assert_eq!(e.authors[0].name.as_deref(), Some("Phòng Đầu tư"));
    assert!(
        e.content
            .as_ref()
            .and_then(|c| c.body.as_deref())
            .unwrap()
            .contains("120 triệu USD")
    );

    // ---- Atom specifics.
    assert_eq!(
        link_rel(&atom_feed, "self"),
        Some(format!("{BASE}/feed.atom?{query}").as_str())
    );
    assert!(atom.body.contains("xml:lang=\"vi\""));
    assert!(
        atom_feed.id.starts_with("urn:zonewire:feed:"),
        "{}",
        atom_feed.id
    );
    for (entry, want) in atom_feed.entries.iter().zip(&EXPECTED) {
        // Dates are written in +07:00, not converted to UTC.
        assert!(
            atom.body
                .contains(&format!("<published>{}</published>", want.vn)),
            "{}",
            want.vn
        );
        let terms: Vec<&str> = entry
            .categories
            .iter()
            .filter(|c| c.scheme.as_deref() == Some("urn:zonewire:province"))
            .map(|c| c.term.as_str())
            .collect();
        let mut want_terms = want.provinces.to_vec();
        let mut got_terms = terms.clone();
        want_terms.sort();
        got_terms.sort();
        assert_eq!(got_terms, want_terms, "{}", want.title);
    }
    assert_eq!(
        atom_feed.entries[K1].authors[0].name.as_deref(),
        Some("Phòng Đầu tư")
    );
    // The body is HTML carried as escaped text: it comes back as the same markup.
    let body = atom_feed.entries[K1].content.as_ref().unwrap();
    assert!(
        body.body
            .as_deref()
            .unwrap()
            .contains("<strong>120 triệu USD</strong>")
    );

    // ---- JSON Feed 1.1.
    let v: serde_json::Value = serde_json::from_str(&json.body).unwrap();
    assert_eq!(v["version"], "https://jsonfeed.org/version/1.1");
    assert_eq!(v["feed_url"], format!("{BASE}/feed.json?{query}"));
    assert_eq!(v["language"], "vi");
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), EXPECTED.len());
    for (item, want) in items.iter().zip(&EXPECTED) {
        assert_eq!(item["date_published"], want.vn);
        assert_eq!(item["url"], want.link);
        assert!(
            item["content_html"].is_string() || item["content_text"].is_string(),
            "JSON Feed needs content: {item}"
        );
        let provinces: HashSet<&str> = item["_zonewire"]["provinces"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap())
            .collect();
        assert_eq!(
            provinces,
            want.provinces.iter().copied().collect::<HashSet<_>>()
        );
        assert_eq!(item["_zonewire"]["sources"][0]["id"], want.source);
    }
    assert_eq!(items[D1]["authors"][0]["name"], "DSEZA");
    assert_eq!(items[B2]["_zonewire"]["cooperation"], true);

    // The self link is the URL as requested: a percent-encoded Vietnamese value and
    // the parameter order are kept, not canonicalised.
    let query = "utm_source=zalo&province=B%E1%BA%AFc+Giang";
    for path in ["/feed.xml", "/feed.atom"] {
        let feed = parse(&get(d.addr, &format!("{path}?{query}")).await.body);
        let want = format!("{BASE}{path}?{query}");
        assert_eq!(link_rel(&feed, "self"), Some(want.as_str()));
        assert_eq!(titles(&feed), titles_of(&[B1, B2]));
    }
    let v: serde_json::Value =
        serde_json::from_str(&get(d.addr, &format!("/feed.json?{query}")).await.body).unwrap();
    assert_eq!(v["feed_url"], format!("{BASE}/feed.json?{query}"));

    // ---- Restart: the same ids in every format.
    d.shutdown().await.unwrap();
    let d = restart(&env.cfg).await;
    for path in ["/feed.xml", "/feed.atom", "/feed.json"] {
        let again = parse(&get(d.addr, path).await.body);
        assert_eq!(ids(&again), guids, "{path} after restart");
        assert_eq!(titles(&again), all_titles());
    }
    d.shutdown().await.unwrap();
}

// ---- independent checkers ---------------------------------------------------------------

/// Prints what feedparser made of the file as JSON.
const FEEDPARSER: &str = r#"
import json, sys, calendar, feedparser
d = feedparser.parse(sys.argv[1])
print(json.dumps({
    "bozo": int(bool(d.bozo)),
    "bozo_exception": str(d.get("bozo_exception", "")),
    "version": d.version,
    "language": d.feed.get("language"),
    "self": [l.get("href") for l in d.feed.get("links", []) if l.get("rel") == "self"],
    "titles": [e.get("title") for e in d.entries],
    "ids": [e.get("id") for e in d.entries],
    "links": [e.get("link") for e in d.entries],
    "published": [calendar.timegm(e.published_parsed) if e.get("published_parsed") else None for e in d.entries],
}, ensure_ascii=False))
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_feedparser_reads_our_rss_cleanly() {
    if require(
        "python3 with feedparser",
        Command::new("python3").args(["-c", "import feedparser"]),
    )
    .is_none()
    {
        return;
    }
    let _r = RENDERS.read().await;
    let env = env().await;
    let d = start(&env.cfg).await;
    let rss = get(d.addr, "/feed.xml").await;
    d.shutdown().await.unwrap();
    let file = env.dir.join("feed.xml");
    std::fs::write(&file, &rss.body).unwrap();
    let out = Command::new("python3")
        .args(["-c", FEEDPARSER])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["bozo"], 0, "feedparser: {}", v["bozo_exception"]);
    assert_eq!(v["version"], "rss20");
    assert_eq!(v["language"], "vi");
    assert_eq!(v["self"][0], format!("{BASE}/feed.xml"));
    let got: Vec<&str> = v["titles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert_eq!(got.len(), EXPECTED.len(), "{got:?}");
    // Exact, the hostile title included: it is plain text, escaped once.
    assert_eq!(got, all_titles());
    for (i, want) in EXPECTED.iter().enumerate() {
        assert_eq!(v["links"][i], want.link);
        assert_eq!(
            v["published"][i],
            vn_time(want).timestamp(),
            "{}",
            want.title
        );
        assert!(v["ids"][i].as_str().unwrap().starts_with("urn:zonewire:"));
    }
}

fn xmllint_relaxng(file: &Path) -> std::process::Output {
    Command::new("xmllint")
        .args(["--noout", "--relaxng"])
        .arg(fixture_path("atom.rng"))
        .arg(file)
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn atom_is_valid_rfc4287() {
    if require("xmllint", Command::new("xmllint").arg("--version")).is_none() {
        return;
    }
    let _r = RENDERS.read().await;
    let env = env().await;
    let d = start(&env.cfg).await;
    // Plain, filtered, and a page with a rel="next" link.
    let mut first = None;
    for (i, path) in [
        "/feed.atom",
        "/feed.atom?cooperation=1",
        "/feed.atom?limit=2&q=KCN",
        "/feed.atom?province=b%E1%BA%AFc+giang",
    ]
    .iter()
    .enumerate()
    {
        let got = get(d.addr, path).await;
        assert_eq!(got.status, 200);
        let file = env.dir.join(format!("feed-{i}.atom"));
        std::fs::write(&file, &got.body).unwrap();
        let out = xmllint_relaxng(&file);
        assert!(
            out.status.success(),
            "{path} is not valid RFC 4287:\n{}\n{}",
            String::from_utf8_lossy(&out.stderr),
            got.body
        );
        first.get_or_insert(got.body);
    }
    d.shutdown().await.unwrap();

    // The check can fail: the same document without an entry's required <updated>.
    let body = first.unwrap();
    let entry = body.find("<entry>").unwrap();
    let start = entry + body[entry..].find("<updated>").unwrap();
    let end = start + body[start..].find("</updated>").unwrap() + "</updated>".len();
    let broken = format!("{}{}", &body[..start], &body[end..]);
    let file = env.dir.join("broken.atom");
    std::fs::write(&file, broken).unwrap();
    assert!(!xmllint_relaxng(&file).status.success());
}

// ---- HTTP behaviour -------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conditional_get_answers_304_until_a_new_item_arrives() {
    let _r = RENDERS.read().await;
    let env = env().await;
    let d = start(&env.cfg).await;
    let client = reqwest::Client::builder().no_gzip().build().unwrap();
    let path = "/feed.xml?source=khanhhoa-bqlkkt";
    let first = get_with(&client, d.addr, path).await;
    assert_eq!(first.status, 200);
    let etag = first.header("etag").unwrap().to_string();
    assert!(
        etag.starts_with('"') && etag.ends_with('"'),
        "strong ETag: {etag}"
    );
    assert!(first.header("last-modified").is_some());

    let cond = |tag: String| {
        let client = client.clone();
        async move {
            let r = client
                .get(format!("http://{}{path}", d.addr))
                .header(header::IF_NONE_MATCH, tag)
                .send()
                .await
                .unwrap();
            let status = r.status();
            let etag = r.headers()[header::ETAG].to_str().unwrap().to_string();
            (status, etag, r.text().await.unwrap())
        }
    };
    let (status, tag, body) = cond(etag.clone()).await;
    assert_eq!(status, 304);
    assert_eq!(tag, etag);
    assert!(body.is_empty());
    let (status, _, _) = cond("\"something-else\"".into()).await;
    assert_eq!(status, 200);

    // A new item on the source: the daemon's own archive takes it in.
    env.server.route(
        "/kh.xml",
        Reply::ok(fixture("khanhhoa.xml").replace("<!--NEW-->", NEW_ITEM)),
    );
    let poller = app::poller(&env.cfg, d.archive.clone()).unwrap();
    let outcome = poller
        .poll(env.cfg.source("khanhhoa-bqlkkt").unwrap())
        .await;
    assert_eq!(outcome.report.new, 1, "{outcome:?}");

    let (status, new_tag, body) = cond(etag.clone()).await;
    assert_eq!(status, 200, "the old ETag no longer matches");
    assert_ne!(new_tag, etag);
    let feed = parse(&body);
    assert_eq!(
        titles(&feed),
        [
            NEW_TITLE,
            EXPECTED[K1].title,
            EXPECTED[K2].title,
            EXPECTED[K3].title
        ]
    );
    let (status, _, _) = cond(new_tag).await;
    assert_eq!(status, 304);
    d.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_select_the_right_stories_in_every_format() {
    let _r = RENDERS.read().await;
    let env = env().await;
    let d = start(&env.cfg).await;
    let kh = [K1, K2, K3];
    let bn = [B1, B2];
    let cases: &[(&str, &[usize])] = &[
        ("", &[K1, B1, K2, K3, D1, B2]),
        ("utm_source=zalo&fbclid=x", &[K1, B1, K2, K3, D1, B2]),
        ("province=khanh-hoa", &kh),
        // Any spelling: diacritics, case, either tone placement, an old province name.
        ("province=Kh%C3%A1nh+H%C3%B2a", &kh),
        ("province=KH%C3%81NH+HO%C3%80", &kh),
        ("province=khanh+hoa", &kh),
        ("province=Ninh+Thu%E1%BA%ADn", &kh),
        ("province=bac-ninh", &bn),
        ("province=B%E1%BA%AFc+Giang", &bn),
        ("province=tinh+bac+giang", &bn),
        ("province=thanh-hoa", &[B2]),
        ("province=da+nang", &[D1]),
        ("province=ha-noi", &[]),
        ("source=danang-dseza", &[D1]),
        ("source=bacgiang-bqlkcn", &bn),
        ("source=nobody", &[]),
        // q ignores diacritics, case and tone placement.
        ("q=ninh+thuy", &[K1]),
        ("q=Ninh+Th%E1%BB%A7y", &[K1]),
        ("q=THANH+HO%C3%80", &[B2]),
        ("q=thanh+h%C3%B3a", &[B2]),
        ("q=b%C3%A1n+d%E1%BA%ABn", &[D1]),
        ("q=nha+dau+tu+nhat", &[K3]),
        ("q=kh%C3%B4ng+c%C3%B3+g%C3%AC", &[]),
        ("cooperation=1", &[B2]),
        ("cooperation=1&province=khanh-hoa", &[]),
        ("cooperation=0", &[K1, B1, K2, K3, D1, B2]),
        ("limit=2", &[K1, B1]),
        ("province=khanh-hoa&limit=1", &[K1]),
        ("before=2025-09-05T00:00:00%2B07:00", &[K3, D1, B2]),
        (
            "province=khanh-hoa&before=2025-09-05T12:00:00%2B07:00",
            &[K2, K3],
        ),
        ("before=2025-09-04T01:00:00Z", &[B2]),
    ];
    for (query, want) in cases {
        let want = titles_of(want);
        for format in ["/feed.xml", "/feed.atom", "/feed.json"] {
            let path = format!("{format}?{query}");
            let got = get(d.addr, &path).await;
            assert_eq!(got.status, 200, "{path}: {}", got.body);
            let got_titles = if format == "/feed.json" {
                json_titles(&got.body)
            } else {
                titles(&parse(&got.body))
            };
            assert_eq!(got_titles, want, "{path}");
        }
    }

    // Bad values: 400 with a one-line reason naming the parameter, in every output.
    let long_q = "a".repeat(201);
    let bad: &[(&str, &str)] = &[
        ("province=Atlantis", "province"),
        ("province=", ""),
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("limit=m%C6%B0%E1%BB%9Di", "limit"),
        ("before=h%C3%B4m+qua", "before"),
        ("before=2025-09-05", "before"),
        ("cooperation=maybe", "cooperation"),
        ("source=..%2Fetc", "source"),
        ("source=Khanh+Hoa", "source"),
        (&format!("q={long_q}"), "q"),
    ];
    for (query, names) in bad {
        if names.is_empty() {
            // An empty value means "no filter", not an error.
            let got = get(d.addr, &format!("/feed.xml?{query}")).await;
            assert_eq!(got.status, 200, "{query}");
            continue;
        }
        for format in ["/feed.xml", "/feed.atom", "/feed.json", "/"] {
            let path = format!("{format}?{query}");
            let got = get(d.addr, &path).await;
            assert_eq!(got.status, 400, "{path}");
            assert_eq!(
                got.header("content-type"),
                Some("text/plain; charset=utf-8")
            );
            let reason = got.body.strip_suffix('\n').unwrap_or(&got.body);
            assert!(
                !reason.is_empty() && !reason.contains('\n'),
                "one line: {:?}",
                got.body
            );
            assert!(reason.contains(names), "{path}: {reason}");
        }
    }
    d.shutdown().await.unwrap();
}

fn link_header_next(got: &Got) -> Option<String> {
    let v = got.header("link")?;
    let (target, params) = v.split_once(';')?;
    assert_eq!(params.trim(), "rel=\"next\"", "{v}");
    Some(
        target
            .trim()
            .trim_start_matches('<')
            .trim_end_matches('>')
            .to_string(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paging_back_follows_next_links_and_link_headers() {
    let _r = RENDERS.read().await;
    let env = env().await;
    let d = start(&env.cfg).await;

    // Atom: rel="next" in the body and the same URL in the Link header, to the end.
    let mut url = format!("{BASE}/feed.atom?limit=2");
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let got = get(d.addr, url.strip_prefix(BASE).unwrap()).await;
        assert_eq!(got.status, 200, "{url}: {}", got.body);
        let feed = parse(&got.body);
        pages += 1;
        assert_eq!(link_rel(&feed, "self"), Some(url.as_str()));
        seen.extend(titles(&feed));
        let body_next = link_rel(&feed, "next").map(str::to_string);
        assert_eq!(link_header_next(&got), body_next, "{url}");
        match body_next {
            Some(next) => {
                assert!(
                    next.contains("limit=2") && next.contains("before="),
                    "{next}"
                );
                url = next;
            }
            None => break,
        }
        assert!(pages < 10, "paging does not end");
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, all_titles(), "every story once, in order");

    // The filters carry over to the next page; RSS and JSON Feed announce it too.
    let got = get(d.addr, "/feed.xml?province=khanh-hoa&limit=2").await;
    let next = link_header_next(&got).expect("Link header on a full page");
    let rss_next = link_rel(&parse(&got.body), "next").map(str::to_string);
    assert_eq!(rss_next.as_deref(), Some(next.as_str()));
    let older = parse(&get(d.addr, next.strip_prefix(BASE).unwrap()).await.body);
    assert_eq!(titles(&older), titles_of(&[K3]));
    let got = get(d.addr, "/feed.json?limit=4").await;
    let v: serde_json::Value = serde_json::from_str(&got.body).unwrap();
    assert_eq!(
        v["next_url"].as_str(),
        link_header_next(&got).as_deref(),
        "JSON next_url and Link agree"
    );
    let older = get(
        d.addr,
        v["next_url"].as_str().unwrap().strip_prefix(BASE).unwrap(),
    )
    .await;
    assert_eq!(json_titles(&older.body), titles_of(&[D1, B2]));
    // A page that holds everything has no next page.
    let got = get(d.addr, "/feed.json").await;
    assert!(got.header("link").is_none());
    let v: serde_json::Value = serde_json::from_str(&got.body).unwrap();
    assert!(v.get("next_url").is_none());
    d.shutdown().await.unwrap();
}

/// Boards that print only a date publish many stories at the same instant (00:00). The
/// page cursor is a time, so a page boundary inside such a group must not lose the rest
/// of the group.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "known bug: Archive::query pages by `published < before`, so stories sharing the \
            last story's second on a full page are skipped (fix in archive.rs)"]
async fn paging_keeps_stories_that_share_a_second() {
    let _r = RENDERS.read().await;
    let titles = [
        "Khánh Hòa khởi công nhà máy điện gió ngoài khơi",
        "Hưng Yên cấp phép dự án dệt may vốn Hàn Quốc",
        "Đà Nẵng tổ chức hội nghị xúc tiến đầu tư bán dẫn",
    ];
    let items: String = titles
        .iter()
        .enumerate()
        .map(|(i, t)| {
            format!(
                "<item><title>{t}</title><link>https://bqlkcn.example.vn/tin/{i}.html</link>\
                 <guid>same-{i}</guid><pubDate>Sat, 06 Sep 2025 00:00:00 +0700</pubDate></item>"
            )
        })
        .collect();
    let server = TestServer::start().await;
    server.route(
        "/same.xml",
        Reply::ok(format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel>\
             <title>Tin</title><link>https://bqlkcn.example.vn/</link><description>Tin</description>\
             {items}</channel></rss>"
        )),
    );
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{}\n[[source]]\nid = \"same\"\nurl = \"{}\"\n",
        server_text(&dir.path().join("s.sled")),
        server.url("/same.xml")
    );
    let cfg = Config::parse(&text, &dir.path().join("z.toml")).unwrap();
    let d = start(&cfg).await;
    let mut url = format!("{BASE}/feed.json?limit=2");
    let mut seen = Vec::new();
    for _ in 0..5 {
        let got = get(d.addr, url.strip_prefix(BASE).unwrap()).await;
        seen.extend(json_titles(&got.body));
        match link_header_next(&got) {
            Some(next) => url = next,
            None => break,
        }
    }
    d.shutdown().await.unwrap();
    seen.sort();
    let mut want: Vec<String> = titles.iter().map(|t| t.to_string()).collect();
    want.sort();
    assert_eq!(seen, want, "every story reachable by paging, once");
}

async fn render_misses(addr: std::net::SocketAddr) -> u64 {
    let metrics = get(addr, "/metrics").await.body;
    metrics
        .lines()
        .find(|l| l.starts_with("zonewire_render_cache_total{result=\"miss\"}"))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|n| n.parse::<f64>().ok())
        .map(|n| n as u64)
        // No miss yet in this process: the series does not exist.
        .unwrap_or(0)
}

async fn burst(addr: std::net::SocketAddr, path: &str, n: usize) -> Vec<(StatusCode, String)> {
    let client = reqwest::Client::new();
    let mut set = tokio::task::JoinSet::new();
    let gate = std::sync::Arc::new(tokio::sync::Barrier::new(n));
    for _ in 0..n {
        let client = client.clone();
        let url = format!("http://{addr}{path}");
        let gate = gate.clone();
        set.spawn(async move {
            gate.wait().await;
            let r = client.get(url).send().await.unwrap();
            (r.status(), r.text().await.unwrap())
        });
    }
    set.join_all().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_identical_requests_renders_once_per_store_change() {
    // Exclusive: no other test in this process may render while misses are counted.
    let _w = RENDERS.write().await;
    let env = env().await;
    let d = start(&env.cfg).await;
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    // Unknown parameters are ignored by the filters but make a distinct variant.
    let path = format!("/feed.json?limit=7&burst={nonce}");

    let before = render_misses(d.addr).await;
    let replies = burst(d.addr, &path, 50).await;
    assert!(replies.iter().all(|(s, _)| *s == 200));
    assert!(replies.iter().all(|(_, b)| *b == replies[0].1));
    assert_eq!(json_titles(&replies[0].1), all_titles());
    let after_first = render_misses(d.addr).await;
    assert_eq!(
        after_first - before,
        1,
        "50 concurrent requests, one render"
    );

    // Served from the cache while nothing changes.
    burst(d.addr, &path, 20).await;
    assert_eq!(render_misses(d.addr).await, after_first);

    // A store change: the next burst renders exactly once more.
    env.server.route(
        "/kh.xml",
        Reply::ok(fixture("khanhhoa.xml").replace("<!--NEW-->", NEW_ITEM)),
    );
    let poller = app::poller(&env.cfg, d.archive.clone()).unwrap();
    let outcome = poller
        .poll(env.cfg.source("khanhhoa-bqlkkt").unwrap())
        .await;
    assert_eq!(outcome.report.new, 1, "{outcome:?}");
    let replies = burst(d.addr, &path, 50).await;
    assert_eq!(json_titles(&replies[0].1)[0], NEW_TITLE);
    assert_eq!(render_misses(d.addr).await - after_first, 1);
    d.shutdown().await.unwrap();
}

// ---- pages for people -------------------------------------------------------------------

fn alternates(html: &str) -> Vec<(String, String)> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse("head link[rel=alternate]").unwrap();
    doc.select(&sel)
        .map(|l| {
            (
                l.value().attr("type").unwrap_or("").to_string(),
                l.value().attr("href").unwrap_or("").to_string(),
            )
        })
        .collect()
}

fn page_stories(html: &str) -> Vec<(String, String)> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse("ol.stories > li h2 a").unwrap();
    doc.select(&sel)
        .map(|a| {
            (
                a.text().collect::<String>(),
                a.value().attr("href").unwrap_or("").to_string(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn html_page_lists_items_escapes_and_advertises_feeds() {
    let _r = RENDERS.read().await;
    let env = env().await;
    let d = start(&env.cfg).await;
    let got = get(d.addr, "/").await;
    assert_eq!(got.status, 200);
    assert_eq!(got.header("content-type"), Some("text/html; charset=utf-8"));
    assert!(got.header("etag").is_some());
    let stories = page_stories(&got.body);
    let want: Vec<(String, String)> = EXPECTED
        .iter()
        .map(|e| (e.title.to_string(), e.link.to_string()))
        .collect();
    assert_eq!(stories, want);
    // The hostile title is text on the page, never markup.
    assert!(!got.body.contains("<script"), "{}", got.body);
    assert!(
        got.body
            .contains("&lt;script&gt;alert(\"xss\")&lt;/script&gt;")
    );
    assert!(got.body.contains("Ban Quản lý &amp; \"nhà đầu tư\""));
    assert_eq!(
        alternates(&got.body),
        vec![
            ("application/rss+xml".into(), format!("{BASE}/feed.xml")),
            ("application/atom+xml".into(), format!("{BASE}/feed.atom")),
            ("application/feed+json".into(), format!("{BASE}/feed.json")),
        ]
    );

    // A filtered page (old province name) lists its stories and advertises the same
    // filter on every feed, which serve the same stories.
    let got = get(d.addr, "/?province=B%E1%BA%AFc+Giang").await;
    assert_eq!(got.status, 200);
    let want = titles_of(&[B1, B2]);
    let listed: Vec<String> = page_stories(&got.body)
        .into_iter()
        .map(|(t, _)| t)
        .collect();
    assert_eq!(listed, want);
    let alts = alternates(&got.body);
    assert_eq!(alts.len(), 3);
    for (mime, href) in alts {
        assert!(href.ends_with("?province=bac-ninh"), "{href}");
        let feed = get(d.addr, href.strip_prefix(BASE).unwrap()).await;
        assert_eq!(feed.status, 200, "{href}");
        let got_titles = if mime == "application/feed+json" {
            json_titles(&feed.body)
        } else {
            titles(&parse(&feed.body))
        };
        assert_eq!(got_titles, want, "{href}");
    }
    // The chosen province is preselected in the filter form.
    assert!(got.body.contains("<option value=\"bac-ninh\" selected>"));
    d.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sources_page_and_province_counts() {
    let _r = RENDERS.read().await;
    let env = env().await;
    let d = start(&env.cfg).await;

    let page = get(d.addr, "/sources").await;
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    for (id, name, _, path) in SOURCES {
        assert!(page.body.contains(id), "{id}");
        assert!(page.body.contains(name), "{name}");
        assert!(page.body.contains(env.server.url(path).as_str()), "{path}");
    }
    let v: serde_json::Value =
        serde_json::from_str(&get(d.addr, "/sources.json").await.body).unwrap();
    let list = v["sources"].as_array().unwrap();
    assert_eq!(list.len(), 3);
    for s in list {
        let id = s["id"].as_str().unwrap();
        let want = EXPECTED.iter().filter(|e| e.source == id).count();
        assert_ne!(s["status"], "error", "{s}");
        assert_eq!(s["items"], want as u64, "{s}");
        assert!(s["last_success"].is_string(), "{s}");
    }
    let bg = list.iter().find(|s| s["id"] == "bacgiang-bqlkcn").unwrap();
    assert_eq!(bg["province"], "bac-ninh", "old name resolved: {bg}");

    let v: serde_json::Value =
        serde_json::from_str(&get(d.addr, "/provinces.json").await.body).unwrap();
    let provinces = v["provinces"].as_array().unwrap();
    assert_eq!(provinces.len(), 34);
    for p in provinces {
        let slug = p["slug"].as_str().unwrap();
        let want = EXPECTED
            .iter()
            .filter(|e| e.provinces.contains(&slug))
            .count();
        assert_eq!(p["items"], want as u64, "{p}");
    }
    let bn = provinces.iter().find(|p| p["slug"] == "bac-ninh").unwrap();
    assert_eq!(bn["name"], "Bắc Ninh");
    assert_eq!(bn["items"], 2);
    assert!(
        bn["merged_from"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n == "Bắc Giang"),
        "{bn}"
    );
    d.shutdown().await.unwrap();
}

// ---- OPML ---------------------------------------------------------------------------------

fn zonewire(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_zonewire"))
        .args(args)
        .env_remove("ZONEWIRE_CONFIG")
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

fn outline_set(xml: &str) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = zonewire::render::parse_opml(xml)
        .unwrap()
        .into_iter()
        .map(|o| (o.title, o.xml_url))
        .collect();
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opml_round_trips_through_export_and_import() {
    let _r = RENDERS.read().await;
    let env = env().await;
    let d = start(&env.cfg).await;
    let served = get(d.addr, "/opml").await;
    d.shutdown().await.unwrap();
    assert_eq!(served.status, 200);
    assert_eq!(
        served.header("content-type"),
        Some("text/x-opml; charset=utf-8")
    );
    let mut want: Vec<(String, String)> = SOURCES
        .iter()
        .map(|(_, name, _, path)| (name.to_string(), env.server.url(path).to_string()))
        .collect();
    want.sort();
    assert_eq!(outline_set(&served.body), want);

    // The CLI exports the same document.
    let config = env.config_path.to_str().unwrap();
    let out = zonewire(&["opml", "export", "--config", config]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8(out.stdout).unwrap(), served.body);

    // Import into a config without sources: every outline becomes a source.
    let opml_file = env.dir.join("subscriptions.opml");
    std::fs::write(&opml_file, &served.body).unwrap();
    let other = env.dir.join("other.toml");
    std::fs::write(&other, server_text(&env.dir.join("other.sled"))).unwrap();
    let other_s = other.to_str().unwrap();
    let opml_s = opml_file.to_str().unwrap();
    let out = zonewire(&["opml", "import", opml_s, "--config", other_s]);
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("added")).count(),
        3,
        "{stdout}"
    );
    let imported = Config::load(&other).unwrap();
    let mut got: Vec<(String, String)> = imported
        .sources
        .iter()
        .map(|s| (s.name.clone(), s.url.to_string()))
        .collect();
    got.sort();
    assert_eq!(got, want);
    // …and exports the same outlines again.
    let out = zonewire(&["opml", "export", "--config", other_s]);
    assert!(out.status.success());
    assert_eq!(outline_set(&String::from_utf8(out.stdout).unwrap()), want);

    // Importing again adds nothing and leaves the file alone; so does importing into the
    // config the list came from.
    for target in [&other, &env.config_path] {
        let before = std::fs::read_to_string(target).unwrap();
        let out = zonewire(&[
            "opml",
            "import",
            opml_s,
            "--config",
            target.to_str().unwrap(),
        ]);
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(out.status.success(), "{stdout}");
        assert_eq!(
            stdout
                .lines()
                .filter(|l| l.starts_with("duplicate"))
                .count(),
            3,
            "{stdout}"
        );
        assert!(!stdout.lines().any(|l| l.starts_with("added")), "{stdout}");
        assert_eq!(std::fs::read_to_string(target).unwrap(), before);
    }
}
