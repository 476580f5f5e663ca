use chrono::{DateTime, FixedOffset, TimeZone};
use url::Url;

use super::*;
use crate::model::vn_offset;

fn vn(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<FixedOffset> {
    vn_offset().with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
}

fn now() -> DateTime<FixedOffset> {
    vn(2026, 7, 15, 10, 0, 0)
}

fn url(s: &str) -> Url {
    Url::parse(s).unwrap()
}

fn cfg(item: &str, title: &str) -> HtmlConfig {
    HtmlConfig {
        item: Some(item.into()),
        title: Some(title.into()),
        ..HtmlConfig::default()
    }
}

#[test]
fn compile_errors_name_the_problem() {
    let unknown = HtmlRules::compile(&HtmlConfig {
        preset: Some("joomla".into()),
        ..HtmlConfig::default()
    });
    match unknown {
        Err(ExtractError::UnknownPreset(name, known)) => {
            assert_eq!(name, "joomla");
            for p in [
                "vnportal",
                "bacninh-iza",
                "nukeviet",
                "wordpress",
                "sharepoint",
                "aspnet-portal",
                "khanhhoa-board",
            ] {
                assert!(known.contains(p), "{known} lacks {p}");
            }
        }
        other => panic!("expected UnknownPreset, got {other:?}"),
    }
    let bad = HtmlRules::compile(&HtmlConfig {
        preset: Some("vnportal".into()),
        date: Some("span..date".into()),
        ..HtmlConfig::default()
    });
    match bad {
        Err(ExtractError::BadSelector {
            field, selector, ..
        }) => {
            assert_eq!(field, "date");
            assert_eq!(selector, "span..date");
        }
        other => panic!("expected BadSelector, got {other:?}"),
    }
    assert_eq!(
        HtmlRules::compile(&HtmlConfig {
            title: Some("a".into()),
            ..HtmlConfig::default()
        })
        .err(),
        Some(ExtractError::Missing("item"))
    );
    assert_eq!(
        HtmlRules::compile(&HtmlConfig {
            item: Some("li".into()),
            ..HtmlConfig::default()
        })
        .err(),
        Some(ExtractError::Missing("title"))
    );
    assert_eq!(
        HtmlRules::compile(&HtmlConfig {
            item: Some("li[".into()),
            title: Some("a".into()),
            ..HtmlConfig::default()
        })
        .err()
        .map(|e| e.to_string().starts_with("html.item: invalid selector")),
        Some(true)
    );
}

#[test]
fn preset_then_overrides() {
    let r = HtmlRules::compile(&HtmlConfig {
        preset: Some("khanhhoa-board".into()),
        ..HtmlConfig::default()
    })
    .unwrap();
    assert!(
        r.follow,
        "khanhhoa-board lists carry no dates, so it follows articles"
    );
    assert_eq!(r.preset(), Some("khanhhoa-board"));
    let r = HtmlRules::compile(&HtmlConfig {
        preset: Some("vnportal".into()),
        item: Some("li.news".into()),
        follow: Some(true),
        date: Some(String::new()),
        ..HtmlConfig::default()
    })
    .unwrap();
    assert_eq!(r.item_selector(), "li.news");
    assert!(r.follow);
    assert!(
        r.date.is_none(),
        "an empty string switches the preset's date off"
    );
    assert_eq!(r.stop_at.len(), 4);
}

#[test]
fn attributes_scope_and_alternatives() {
    let html = r##"<html><head><base href="https://b.gov.vn/tin/"></head><body>
      <ul class="news">
        <li><a href="javascript:void(0)" class="t">Tin một rất dài về khu công nghiệp</a>
            <a href="mot.html">Xem</a><i data-d="2025-09-06T08:30:00+07:00"></i></li>
        <li><a href="#top" class="t">Tin không có liên kết thật</a></li>
        <li><a href="hai.html" class="t" title="Tin hai đầy đủ tiêu đề dài">Tin hai đầy đủ…</a>
            <span class="d">ngày 6/6/2024 (thứ 5)</span><img src="data:," data-src="/img/2.jpg"></li>
        <li><a href="hai.html#c" class="t">Tin hai lặp lại</a></li>
        <li><a href="/2024/06/05/ba.html" class="t">Tin ba</a><span class="d">Đang cập nhật</span></li>
        <li><a href="bon.html" class="t">Hội nghị ngày 03/6/2024 của Ban</a><span class="d">—</span></li>
        <li><span>no title here</span></li>
      </ul></body></html>"##;
    let mut c = cfg("ul.news > li", "a.t");
    c.date = Some("i@data-d, span.d".into());
    c.image = Some("img@src".into());
    let rules = HtmlRules::compile(&c).unwrap();
    let got = extract_list(html, &url("https://a.gov.vn/list.html"), &rules, now()).unwrap();
    let titles: Vec<&str> = got.iter().map(|e| e.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "Tin một rất dài về khu công nghiệp",
            "Tin hai đầy đủ tiêu đề dài",
            "Tin ba",
            "Hội nghị ngày 03/6/2024 của Ban"
        ]
    );
    assert_eq!(
        got[0].link.as_deref(),
        Some("https://b.gov.vn/tin/mot.html")
    );
    assert_eq!(got[0].published, Some(vn(2025, 9, 6, 8, 30, 0)));
    assert_eq!(
        got[1].link.as_deref(),
        Some("https://b.gov.vn/tin/hai.html")
    );
    assert_eq!(got[1].published, Some(vn(2024, 6, 6, 0, 0, 0)));
    assert_eq!(got[1].image.as_deref(), Some("https://b.gov.vn/img/2.jpg"));
    assert_eq!(
        got[2].published,
        Some(vn(2024, 6, 5, 0, 0, 0)),
        "date from the URL"
    );
    assert_eq!(got[2].unparsed_date, None);
    assert_eq!(
        got[3].published,
        Some(vn(2024, 6, 3, 0, 0, 0)),
        "date from the title"
    );

    // Without a usable date anywhere the raw text is kept for reporting.
    let html2 = r#"<div class="x"><a href="/a.html">Một tin</a><b>Đang cập nhật</b></div>"#;
    let mut c2 = cfg("div.x", ":scope > a");
    c2.date = Some("b".into());
    let got = extract_list(
        html2,
        &url("https://a.gov.vn/"),
        &HtmlRules::compile(&c2).unwrap(),
        now(),
    )
    .unwrap();
    assert_eq!(got[0].published, None);
    assert_eq!(got[0].unparsed_date.as_deref(), Some("Đang cập nhật"));
}

#[test]
fn no_items_and_no_links_name_the_selectors() {
    let rules = HtmlRules::compile(&cfg("div.item-new", "a.article-title")).unwrap();
    let err = extract_list(
        "<html><body><p>x</p></body></html>",
        &url("https://a.gov.vn/"),
        &rules,
        now(),
    );
    assert_eq!(
        err,
        Err(ExtractError::NoItems {
            selector: "div.item-new".into()
        })
    );
    let html = r#"<div class="item-new"><a class="article-title" href="javascript:;">A</a></div>
                  <div class="item-new"><a class="article-title">B</a></div>"#;
    match extract_list(html, &url("https://a.gov.vn/"), &rules, now()) {
        Err(ExtractError::NoLinks { item, count, .. }) => {
            assert_eq!(item, "div.item-new");
            assert_eq!(count, 2);
        }
        other => panic!("expected NoLinks, got {other:?}"),
    }
}

fn body_of(html: &str) -> String {
    let mut c = cfg("li", "a");
    c.body = Some("div.content".into());
    let rules = HtmlRules::compile(&c).unwrap();
    extract_article(html, &url("https://a.gov.vn/a.html"), &rules, now())
        .body_html
        .unwrap_or_default()
}

#[test]
fn body_is_cut_at_markers_in_every_shape() {
    // A heading element.
    let b = body_of(
        r#"<div class="content"><p>Một.</p><p>L.T.N.Dung</p><h3>TIN TỨC KHÁC</h3><ul><li>Tin A</li></ul></div>"#,
    );
    assert!(
        b.contains("L.T.N.Dung") && !b.contains("Tin A") && !b.contains("KHÁC"),
        "{b}"
    );
    // A wrapper whose text starts with the marker, nested deeper than the paragraphs.
    let b = body_of(
        r#"<div class="content"><div><p>Một.</p><div class="other"><span>Tin liên quan:</span><a href="/x">Tin B</a></div><p>Sau</p></div><p>Cuối</p></div>"#,
    );
    assert!(
        b.contains("Một.") && !b.contains("Tin B") && !b.contains("Sau") && !b.contains("Cuối"),
        "{b}"
    );
    // Inline text at the end of the last paragraph, NBSP inside the marker.
    let b = body_of(
        "<div class=\"content\"><p>Một.</p><p>L.T.N.Dung Tin\u{a0}tức khác</p><a href=\"/y\">Tin C</a></div>",
    );
    assert!(
        b.contains("L.T.N.Dung") && !b.contains("tức") && !b.contains("Tin C"),
        "{b}"
    );
    // A marker in the middle of a sentence is prose, not a heading.
    let b = body_of(
        r#"<div class="content"><p>Đọc thêm các tin liên quan đến dự án ở cuối trang.</p></div>"#,
    );
    assert!(b.contains("dự án"), "{b}");
}

#[test]
fn image_size_lines_go_images_and_captions_stay() {
    let b = body_of(
        r#"<div class="content"><table><tr><td> </td><td></td></tr></table>
        <p><img src="/u/h2.jpg" alt="h2.jpg"><br>h2.jpg (229 KB)</p><p><em>Toàn cảnh buổi làm việc</em></p>
        <p><a href="/u/h3.png">h3.png (826 KB)</a></p><p>Ông Chiến phát biểu</p>
        <div>H4.PNG (1.09 MB)</div><p>cảng.jpg là ảnh (không phải dòng kích thước)</p></div>"#,
    );
    assert!(!b.contains("KB") && !b.contains("MB"), "{b}");
    assert!(!b.contains("<table"), "{b}");
    assert!(
        b.contains(r#"src="/u/h2.jpg""#)
            && b.contains("Toàn cảnh buổi làm việc")
            && b.contains("Ông Chiến phát biểu"),
        "{b}"
    );
    assert!(b.contains("cảng.jpg là ảnh"), "{b}");
}

#[test]
fn article_metadata_sources() {
    let mut c = cfg("li", "a");
    c.article_date = Some(".post-date".into());
    c.body = Some(".content".into());
    let rules = HtmlRules::compile(&c).unwrap();
    let page = url("https://a.gov.vn/tin/a.html");
    let with_graph = r#"<html><head><script type="application/ld+json">
        {"@context":"https://schema.org","@graph":[{"@type":"WebPage"},{"@type":"NewsArticle","datePublished":"2025-09-08T09:15:00+07:00"}]}
        </script><link rel="canonical" href="/tin/a-c57120.html"><meta property="og:image" content="/u/a.jpg"></head>
        <body><h1> Tiêu  đề </h1><div class="post-date">06/09/2025 | 12 lượt xem</div></body></html>"#;
    let a = extract_article(with_graph, &page, &rules, now());
    assert_eq!(a.published, Some(vn(2025, 9, 8, 9, 15, 0)));
    assert_eq!(
        a.canonical.as_deref(),
        Some("https://a.gov.vn/tin/a-c57120.html")
    );
    assert_eq!(a.title.as_deref(), Some("Tiêu đề"));
    assert_eq!(a.image.as_deref(), Some("https://a.gov.vn/u/a.jpg"));
    assert_eq!(a.body_html, None);

    let with_array = r#"<script type="application/ld+json">[{"@type":"Article","datePublished":"2024-01-15T08:30:00+07:00"}]</script>"#;
    assert_eq!(
        extract_article(with_array, &page, &rules, now()).published,
        Some(vn(2024, 1, 15, 8, 30, 0))
    );

    let meta_first = r#"<head><meta property="article:published_time" content="2025-09-07T10:00:00+07:00"><meta property="og:title" content="OG &amp; tiêu đề"></head><h1>H1</h1><div class="post-date">06/09/2025</div>"#;
    let a = extract_article(meta_first, &page, &rules, now());
    assert_eq!(a.published, Some(vn(2025, 9, 7, 10, 0, 0)));
    assert_eq!(a.title.as_deref(), Some("OG & tiêu đề"));

    let selector_date = r#"<div class="post-date">Thứ Hai, 08/09/2025 10:15 | 532 lượt xem</div>"#;
    assert_eq!(
        extract_article(selector_date, &page, &rules, now()).published,
        Some(vn(2025, 9, 8, 10, 15, 0))
    );

    let lead_only = r#"<div class="content"><p> </p><p>Ngày 06/9/2025, Đoàn công tác đến làm việc.</p><p>Ngày 07/9/2025 …</p></div>"#;
    assert_eq!(
        extract_article(lead_only, &page, &rules, now()).published,
        Some(vn(2025, 9, 6, 0, 0, 0))
    );
}

#[test]
fn feed_links_found_and_wordpress_feed_added() {
    let page = url("https://heza.gov.vn/category/tin-tuc/");
    let html = r#"<html><head>
      <link rel="alternate" type="application/rss+xml" title="HEZA » Tin tức" href="/category/tin-tuc/feed/">
      <link rel="Alternate" type="application/atom+xml" href="https://heza.gov.vn/atom.xml">
      <link rel="alternate" type="application/feed+json" href="feed.json">
      <link rel="alternate" hreflang="en" href="/en/">
      <link rel="stylesheet" type="text/css" href="/wp-content/themes/x/style.css"></head></html>"#;
    assert_eq!(
        feed_links(html, &page),
        [
            "https://heza.gov.vn/category/tin-tuc/feed/",
            "https://heza.gov.vn/atom.xml",
            "https://heza.gov.vn/category/tin-tuc/feed.json",
            "https://heza.gov.vn/feed/",
        ]
    );
    let advertised = r#"<link rel="alternate" type="application/rss+xml" href="https://heza.gov.vn/feed"><img src="/wp-content/a.jpg">"#;
    assert_eq!(feed_links(advertised, &page), ["https://heza.gov.vn/feed"]);
    assert!(feed_links("<html><body>no feeds</body></html>", &page).is_empty());
}
