//! Every format re-read field by field, by feed-rs, `rss`, feedparser and xmllint.

use std::collections::HashSet;
use std::path::Path;
use std::process::Command;

use chrono::{DateTime, Utc};

use crate::support::*;

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
