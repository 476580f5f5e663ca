//! Sites without feeds, end to end: two boards' HTML list pages (Khánh Hòa's board with
//! article pages followed, Hưng Yên's vendor portal) served from a local server; the
//! seed visit comes out once with both sources and a body cut at "Tin tức khác"; a
//! redesigned page marks its source failing with the dead selector named; `probe`
//! suggests selectors for an unconfigured page.

mod common;

use std::path::Path;
use std::process::Command;

use common::{Reply, TestServer};
use zonewire::app;
use zonewire::archive::Query;
use zonewire::config::Config;
use zonewire::poller::PollStatus;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/html")
            .join(name),
    )
    .unwrap()
}

const KH_SEED_PATH: &str = "/article/tin-van/doan-cong-tac-ban-quan-ly-cac-khu-cong-nghiep-tinh-hung-yen-den-tham-lam-viec-tai-ban-quan-ly-khu-kinh-te-va-khu-cong-nghiep-tinh-khanh-hoa.html";
const HY_LIST_PATH: &str = "/chuyen-muc-tin-tuc-su-kien-c221-1.html";

fn html(body: Vec<u8>) -> Reply {
    Reply::ok(body).header("content-type", "text/html; charset=utf-8")
}

fn config(kh: &TestServer, hy: &TestServer, store: &Path) -> Config {
    let text = format!(
        r#"
[store]
path = "{}"
[poll]
allow_private = true
[[source]]
id = "khanhhoa-bqlkktkcn"
name = "Ban Quản lý KKT và KCN tỉnh Khánh Hòa"
province = "Khánh Hòa"
url = "{}"
kind = "html"
[source.html]
preset = "khanhhoa-board"
follow = true
[[source]]
id = "hungyen-banqlkcn"
name = "Ban Quản lý các KCN tỉnh Hưng Yên"
province = "Hưng Yên"
url = "{}"
kind = "html"
[source.html]
preset = "vnportal"
"#,
        store.display(),
        kh.url("/tin-van.html"),
        hy.url(HY_LIST_PATH),
    );
    Config::parse(&text, Path::new("html.toml")).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_html_boards_one_story_with_followed_body() {
    let kh = TestServer::start().await;
    kh.route("/tin-van.html", html(fixture("khanhhoa_list.html")));
    kh.route(KH_SEED_PATH, html(fixture("khanhhoa_article.html")));
    let hy = TestServer::start().await;
    hy.route(HY_LIST_PATH, html(fixture("vnportal_list.html")));
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(&kh, &hy, &dir.path().join("s.sled"));

    let out = app::poll_once(&cfg, &[]).await.unwrap();
    for o in &out {
        assert!(!matches!(o.status, PollStatus::Error(_)), "{o:?}");
    }
    // Five Khánh Hòa items (thumbnails, "Xem tiếp" and side boxes repeat their links).
    let kh_new = out
        .iter()
        .find(|o| o.source == "khanhhoa-bqlkktkcn")
        .unwrap()
        .report
        .new;
    assert_eq!(kh_new, 5, "{out:?}");
    // Each new Khánh Hòa item's page was fetched exactly once.
    assert_eq!(kh.hits(KH_SEED_PATH), 1);

    let archive = app::open_archive(&cfg).unwrap();
    let stories = archive.query(&Query::default()).unwrap().stories;
    let visit: Vec<_> = stories.iter().filter(|s| !s.others.is_empty()).collect();
    assert_eq!(
        visit.len(),
        1,
        "exactly one story has two reports: {stories:#?}"
    );
    let visit = visit[0];
    assert_eq!(
        visit.sources(),
        vec!["khanhhoa-bqlkktkcn", "hungyen-banqlkcn"]
    );
    assert!(visit.is_cooperation());
    let lead = &visit.lead;
    // The exact date came from the article page ("Ngày 06/9/2025"), not first-seen time.
    assert_eq!(lead.published.date_naive().to_string(), "2025-09-06");
    assert!(!lead.date_is_first_seen);
    let body = lead.content_html.as_deref().expect("followed body");
    assert!(body.contains("L.T.N.Dung"), "{body}");
    assert!(!body.contains("Tin tức khác"), "body not cut: {body}");
    assert!(!body.contains("229 KB"), "image-size artefact kept: {body}");
    assert!(body.contains("<img"), "real images kept: {body}");
    assert!(!body.contains("<script"), "{body}");
    // The Hưng Yên report keeps its own list date.
    assert_eq!(
        visit.others[0].published.date_naive().to_string(),
        "2025-09-08"
    );
    drop(archive);

    // A second poll fetches no article page again and adds nothing.
    let out = app::poll_once(&cfg, &[]).await.unwrap();
    assert_eq!(
        out.iter().map(|o| o.report.new).sum::<usize>(),
        0,
        "{out:?}"
    );
    assert_eq!(kh.hits(KH_SEED_PATH), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redesign_fails_loudly_naming_the_selector() {
    let kh = TestServer::start().await;
    kh.route("/tin-van.html", html(fixture("khanhhoa_list.html")));
    let hy = TestServer::start().await;
    hy.route(HY_LIST_PATH, html(fixture("vnportal_redesigned.html")));
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(&kh, &hy, &dir.path().join("s.sled"));
    let out = app::poll_once(&cfg, &[]).await.unwrap();
    let hy_out = out.iter().find(|o| o.source == "hungyen-banqlkcn").unwrap();
    match &hy_out.status {
        PollStatus::Error(reason) => assert!(reason.contains("div.item-new"), "{reason}"),
        other => panic!("a redesigned page must fail, got {other:?}"),
    }
    // The other board is unaffected.
    let kh_out = out
        .iter()
        .find(|o| o.source == "khanhhoa-bqlkktkcn")
        .unwrap();
    assert!(!matches!(kh_out.status, PollStatus::Error(_)), "{kh_out:?}");
    let archive = app::open_archive(&cfg).unwrap();
    let st = archive.source_state("hungyen-banqlkcn").unwrap().unwrap();
    assert_eq!(st.last_status.as_deref(), Some("error"));
    assert_eq!(st.consecutive_failures, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probe_suggests_selectors_for_an_unconfigured_page() {
    let hy = TestServer::start().await;
    hy.route(HY_LIST_PATH, html(fixture("vnportal_list.html")));
    let url = hy.url(HY_LIST_PATH).to_string();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_zonewire"))
            .args([
                "probe",
                &url,
                "--allow-private",
                "--config",
                "/nonexistent/zonewire.toml",
            ])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let first = stdout.split("suggestion 2").next().unwrap();
    assert!(first.contains("suggestion 1"), "{stdout}");
    assert!(first.contains("item = \"div.item-new\""), "{stdout}");
    assert!(
        first.contains("Đoàn công tác Ban Quản lý các Khu công nghiệp tỉnh Hưng Yên học tập kinh nghiệm tại Khánh Hòa"),
        "{stdout}"
    );
    // With a preset it prints what the selectors extract.
    let url = hy.url(HY_LIST_PATH).to_string();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_zonewire"))
            .args([
                "probe",
                &url,
                "--allow-private",
                "--preset",
                "vnportal",
                "--config",
                "/nonexistent/zonewire.toml",
            ])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("7 items"), "{stdout}");
    assert!(
        stdout.contains("date: 2025-09-08T00:00:00+07:00"),
        "{stdout}"
    );
}
