//! Conditional GET, filters, 400s, paging and single-flight rendering.

use reqwest::StatusCode;
use reqwest::header;
use zonewire::app;
use zonewire::config::Config;

use crate::common::{Reply, TestServer};
use crate::support::*;

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
