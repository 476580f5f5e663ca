//! The HTML page, source health, province counts and the OPML round trip.

use std::process::Command;

use zonewire::config::Config;

use crate::support::*;

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
