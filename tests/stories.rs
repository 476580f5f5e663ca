//! One story once: two boards publish the seed visit in their own words (plus an
//! unrelated story); the merged feed holds two stories, the visit with both sources,
//! tagged Hưng Yên + Khánh Hòa and cooperation. GUID churn and http↔https variants add
//! nothing; an edited title updates in place; a restart keeps all of it.

mod common;

use std::path::Path;

use common::{Reply, TestServer};
use tokio::net::TcpListener;
use zonewire::app;
use zonewire::archive::Query;
use zonewire::config::Config;

const KH_TITLE: &str = "ĐOÀN CÔNG TÁC BAN QUẢN LÝ CÁC KHU CÔNG NGHIỆP TỈNH HƯNG YÊN ĐẾN THĂM, LÀM VIỆC TẠI BAN QUẢN LÝ KHU KINH TẾ VÀ KHU CÔNG NGHIỆP TỈNH KHÁNH HÒA";
const KH_LEAD: &str = "Ngày 06/9/2025, Đoàn Công tác của Ban Quản lý các Khu công nghiệp tỉnh Hưng Yên do ông Hoàng Văn Mai – Phó Trưởng Ban Quản lý làm Trưởng đoàn đến làm việc tại Ban Quản lý Khu kinh tế và Khu công nghiệp tỉnh Khánh Hòa để tham quan, học tập, trao đổi kinh nghiệm trong công tác quản lý các khu công nghiệp. Làm việc với Đoàn, về phía Ban Quản lý Khu kinh tế và Khu công nghiệp tỉnh Khánh Hòa có ông Trần Minh Chiến – Trưởng Ban Quản lý và đại diện lãnh đạo các phòng, đơn vị trực thuộc.";

fn kh_feed(guid: &str, link: &str, title: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>BQL KKT và KCN Khánh Hòa</title><link>https://bqlkktkcn.khanhhoa.gov.vn/</link><description>Tin văn</description>
<item><title>{title}</title><link>{link}</link><guid isPermaLink="false">{guid}</guid>
<pubDate>Sat, 06 Sep 2025 16:20:00 +0700</pubDate><description><![CDATA[<p>{KH_LEAD}</p>]]></description></item>
</channel></rss>"#
    )
}

fn hy_feed() -> String {
    // The Hưng Yên board's own report: other words, other title, two days later; plus an
    // unrelated story about the same board.
    r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>BQL các KCN Hưng Yên</title><id>urn:hy</id><updated>2025-09-08T10:00:00+07:00</updated>
<entry><title>Ban Quản lý các KCN tỉnh Hưng Yên thăm và làm việc với Ban Quản lý KKT và KCN tỉnh Khánh Hòa</title>
<id>urn:hy:5120</id><link href="http://banqlkcn.hungyen.gov.vn/tham-lam-viec-khanh-hoa-c5120.html"/>
<updated>2025-09-08T09:30:00+07:00</updated>
<summary>Ngày 06/9/2025, đoàn công tác Ban Quản lý các Khu công nghiệp tỉnh Hưng Yên do ông Hoàng Văn Mai, Phó Trưởng Ban Quản lý làm trưởng đoàn đã đến thăm, làm việc tại Ban Quản lý Khu kinh tế và Khu công nghiệp tỉnh Khánh Hòa. Tiếp đoàn có ông Trần Minh Chiến, Trưởng Ban Quản lý; hai bên trao đổi kinh nghiệm trong công tác quản lý các khu công nghiệp, thu hút đầu tư và cải cách thủ tục hành chính.</summary></entry>
<entry><title>Hưng Yên: thu hút thêm 12 dự án FDI vào các khu công nghiệp trong tháng 8/2025</title>
<id>urn:hy:5098</id><link href="http://banqlkcn.hungyen.gov.vn/thu-hut-12-du-an-fdi-c5098.html"/>
<updated>2025-09-02T08:00:00+07:00</updated>
<summary>Tính đến hết tháng 8/2025, các khu công nghiệp trên địa bàn tỉnh đã thu hút thêm 12 dự án có vốn đầu tư nước ngoài với tổng vốn đăng ký 310 triệu USD.</summary></entry>
</feed>"#
        .to_string()
}

const KH_LINK: &str = "https://bqlkktkcn.khanhhoa.gov.vn/article/tin-van/doan-cong-tac-hung-yen-den-tham-khanh-hoa.html";

fn config(server: &TestServer, store: &Path) -> Config {
    let text = format!(
        r#"
[server]
listen = "127.0.0.1:0"
base_url = "http://stories.test"
[store]
path = "{}"
[poll]
allow_private = true
[[source]]
id = "khanhhoa-bqlkkt"
name = "Ban Quản lý KKT và KCN tỉnh Khánh Hòa"
province = "Khánh Hòa"
url = "{}"
[[source]]
id = "hungyen-bqlkcn"
name = "Ban Quản lý các KCN tỉnh Hưng Yên"
province = "Hưng Yên"
url = "{}"
"#,
        store.display(),
        server.url("/kh.xml"),
        server.url("/hy.atom")
    );
    Config::parse(&text, Path::new("stories.toml")).unwrap()
}

fn stories(cfg: &Config) -> Vec<zonewire::model::Story> {
    let archive = app::open_archive(cfg).unwrap();
    archive.query(&Query::default()).unwrap().stories
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_visit_is_published_once_with_both_sources() {
    let server = TestServer::start().await;
    server.route("/kh.xml", Reply::ok(kh_feed("kh-1", KH_LINK, KH_TITLE)));
    server.route("/hy.atom", Reply::ok(hy_feed()));
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(&server, &dir.path().join("s.sled"));

    let out = app::poll_once(&cfg, &[]).await.unwrap();
    assert_eq!(
        out.iter().map(|o| o.report.new).sum::<usize>(),
        3,
        "{out:?}"
    );
    assert_eq!(
        out.iter().map(|o| o.report.clustered).sum::<usize>(),
        1,
        "{out:?}"
    );
    let s = stories(&cfg);
    assert_eq!(s.len(), 2, "{s:#?}");
    let visit = s
        .iter()
        .find(|s| !s.others.is_empty())
        .expect("the visit has two reports");
    // The earliest report leads.
    assert_eq!(visit.lead.source, "khanhhoa-bqlkkt");
    assert_eq!(visit.others[0].source, "hungyen-bqlkcn");
    assert_eq!(visit.sources(), vec!["khanhhoa-bqlkkt", "hungyen-bqlkcn"]);
    let provinces = visit.provinces();
    assert!(
        provinces.contains(&"khanh-hoa".to_string()) && provinces.contains(&"hung-yen".to_string()),
        "{provinces:?}"
    );
    assert!(visit.is_cooperation());
    let fdi = s.iter().find(|s| s.others.is_empty()).unwrap();
    assert!(fdi.lead.title.contains("FDI"));
    let lead_id = visit.lead.id.clone();

    // GUID churn with an http + www variant of the same link: nothing new.
    let variant = KH_LINK.replace("https://", "http://www.") + "?utm_source=zalo#top";
    server.route(
        "/kh.xml",
        Reply::ok(kh_feed("kh-1-republished", &variant, KH_TITLE)),
    );
    let out = app::poll_once(&cfg, &[]).await.unwrap();
    assert_eq!(
        out.iter().map(|o| o.report.new).sum::<usize>(),
        0,
        "{out:?}"
    );
    assert_eq!(stories(&cfg).len(), 2);

    // An edited title updates the item in place and keeps the old revision.
    let edited =
        "Đoàn công tác Ban Quản lý các KCN tỉnh Hưng Yên làm việc tại Khánh Hòa (cập nhật)";
    server.route("/kh.xml", Reply::ok(kh_feed("kh-1", KH_LINK, edited)));
    let out = app::poll_once(&cfg, &[]).await.unwrap();
    assert_eq!(
        out.iter().map(|o| o.report.updated).sum::<usize>(),
        1,
        "{out:?}"
    );
    assert_eq!(
        out.iter().map(|o| o.report.new).sum::<usize>(),
        0,
        "{out:?}"
    );
    let s = stories(&cfg);
    assert_eq!(s.len(), 2);
    let visit = s.iter().find(|s| !s.others.is_empty()).unwrap();
    assert_eq!(visit.lead.id, lead_id, "same id after an edit");
    assert_eq!(visit.lead.title, edited);
    assert!(visit.lead.updated.is_some());
    assert_eq!(visit.lead.revisions.len(), 1);
    assert_eq!(visit.lead.revisions[0].title, KH_TITLE);

    // The daemon (a restart of the store) serves the same: one item, both sources listed.
    let d = app::start_on(cfg.clone(), TcpListener::bind("127.0.0.1:0").await.unwrap())
        .await
        .unwrap();
    let body = reqwest::get(format!("http://{}/feed.xml?cooperation=1", d.addr))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let feed = feed_rs::parser::parse(body.as_bytes()).unwrap();
    assert_eq!(feed.entries.len(), 1, "{body}");
    assert!(
        body.contains("Ban Quản lý các KCN tỉnh Hưng Yên"),
        "also-reported source named: {body}"
    );
    assert!(
        body.contains("banqlkcn.hungyen.gov.vn/tham-lam-viec-khanh-hoa-c5120.html"),
        "{body}"
    );
    // The previous revision is retrievable over HTTP.
    let item: serde_json::Value = serde_json::from_str(
        &reqwest::get(format!("http://{}/items/{}", d.addr, feed.entries[0].id))
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(item["title"], edited);
    assert_eq!(item["revisions"][0]["title"], KH_TITLE);
    let cats: Vec<String> = feed.entries[0]
        .categories
        .iter()
        .map(|c| c.term.clone())
        .collect();
    assert!(
        cats.iter().any(|c| c == "Hưng Yên") && cats.iter().any(|c| c == "Khánh Hòa"),
        "{cats:?}"
    );
    d.shutdown().await.unwrap();
}
