//! The HTML pages for people: server-rendered, no JavaScript, Vietnamese UI text.
//!
//! Every dynamic value goes through `esc_text` (element content) or `esc_attr`
//! (attribute values), and every link target through `safe_href`.

use std::fmt::Write as _;

use chrono::{DateTime, TimeZone};

use super::{
    ALSO_REPORTED, FeedMeta, PageFilter, Sources, esc_attr, esc_text, plain_summary, province_name,
    rfc3339_vn, safe_href, source_name, to_vn,
};
use crate::model::Story;

/// Heading used when the configured title is empty.
const DEFAULT_HEADING: &str = "Tin khu công nghiệp — tổng hợp";

/// Small, phone-first stylesheet; inline so the page is one request and needs no
/// static-file route.
const STYLE: &str = "\
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;line-height:1.5;\
margin:0 auto;max-width:46rem;padding:0 1rem 2rem;color:#1b1b1b;background:#fff;\
overflow-wrap:anywhere}\
h1{font-size:1.5rem;margin:1rem 0 .25rem}h2{font-size:1.1rem;margin:0 0 .25rem}\
a{color:#0b57a4}form{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;\
margin:1rem 0;padding:.75rem;background:#f3f5f8;border-radius:.5rem}\
input[type=search],select{font:inherit;padding:.3rem;max-width:100%}\
button{font:inherit;padding:.3rem .8rem}\
ol.stories{list-style:none;padding:0;margin:0}\
ol.stories>li{border-bottom:1px solid #dde1e6;padding:.9rem 0}\
.meta{color:#555;font-size:.9rem;margin:0 0 .25rem}\
.tag{display:inline-block;background:#e8eef6;border-radius:.3rem;padding:0 .35rem;\
margin-right:.25rem;font-size:.85rem;text-decoration:none}\
.coop{background:#fdf0d5}.also{font-size:.9rem}.summary{margin:.25rem 0}\
nav.feeds,footer{margin:1rem 0;font-size:.9rem}\
.table-wrap{overflow-x:auto}table{border-collapse:collapse;font-size:.85rem}\
th,td{border:1px solid #dde1e6;padding:.3rem .4rem;text-align:left;vertical-align:top}\
tr.error td{background:#fdecea}";

/// `dd/mm/yyyy HH:MM` in Vietnam time, as readers there write it.
pub(crate) fn vn_datetime<Tz: TimeZone>(t: &DateTime<Tz>) -> String {
    to_vn(t).format("%d/%m/%Y %H:%M").to_string()
}

/// `?q=…&province=…` for the current filter (empty when there is no filter), URL-encoded.
pub(crate) fn filter_query(filter: &PageFilter) -> String {
    let mut ser = url::form_urlencoded::Serializer::new(String::new());
    let mut any = false;
    for (key, value) in [
        ("q", &filter.q),
        ("province", &filter.province),
        ("source", &filter.source),
    ] {
        if let Some(v) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            ser.append_pair(key, v);
            any = true;
        }
    }
    if filter.cooperation {
        ser.append_pair("cooperation", "1");
        any = true;
    }
    if any {
        format!("?{}", ser.finish())
    } else {
        String::new()
    }
}

pub(super) fn head(out: &mut String, title: &str, alternates: &[(&str, &str, String)]) {
    out.push_str("<!DOCTYPE html>\n<html lang=\"vi\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(out, "<title>{}</title>", esc_text(title));
    for (mime, label, href) in alternates {
        let _ = writeln!(
            out,
            "<link rel=\"alternate\" type=\"{}\" title=\"{}\" href=\"{}\">",
            esc_attr(mime),
            esc_attr(label),
            esc_attr(href)
        );
    }
    let _ = writeln!(out, "<style>{STYLE}</style>\n</head>\n<body>");
}

pub(super) fn heading(meta: &FeedMeta) -> &str {
    if meta.title.trim().is_empty() {
        DEFAULT_HEADING
    } else {
        &meta.title
    }
}

/// Province choices from `province_names`, sorted the way a Vietnamese reader expects
/// (folded, so `Đồng Nai` sits among the D's).
fn province_options(meta: &FeedMeta) -> Vec<(&str, &str)> {
    let mut v: Vec<(&str, &str)> = meta
        .province_names
        .iter()
        .map(|(slug, name)| (slug.as_str(), name.as_str()))
        .collect();
    v.sort_by_cached_key(|(slug, name)| (crate::text::fold(name), name.to_string(), *slug));
    v
}

fn filter_form(out: &mut String, meta: &FeedMeta, filter: &PageFilter) {
    let _ = writeln!(
        out,
        "<form method=\"get\" action=\"{}\" role=\"search\">",
        esc_attr(&format!("{}/", meta.base_url))
    );
    let _ = writeln!(
        out,
        "<label>Tìm kiếm <input type=\"search\" name=\"q\" value=\"{}\"></label>",
        esc_attr(filter.q.as_deref().unwrap_or(""))
    );
    out.push_str(
        "<label>Tỉnh/thành <select name=\"province\">\n<option value=\"\">Tất cả</option>\n",
    );
    for (slug, name) in province_options(meta) {
        let selected = if filter.province.as_deref() == Some(slug) {
            " selected"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "<option value=\"{}\"{selected}>{}</option>",
            esc_attr(slug),
            esc_text(name)
        );
    }
    out.push_str("</select></label>\n");
    if let Some(source) = filter.source.as_deref().filter(|s| !s.is_empty()) {
        let _ = writeln!(
            out,
            "<input type=\"hidden\" name=\"source\" value=\"{}\">",
            esc_attr(source)
        );
    }
    let _ = writeln!(
        out,
        "<label><input type=\"checkbox\" name=\"cooperation\" value=\"1\"{}> Chỉ tin hợp tác liên tỉnh</label>",
        if filter.cooperation { " checked" } else { "" }
    );
    out.push_str("<button type=\"submit\">Lọc</button>\n</form>\n");
}

fn story_html(out: &mut String, meta: &FeedMeta, story: &Story, sources: &Sources) {
    let lead = &story.lead;
    out.push_str("<li><article>\n");
    let _ = writeln!(
        out,
        "<h2><a href=\"{}\" rel=\"noopener noreferrer\">{}</a></h2>",
        esc_attr(safe_href(&lead.link)),
        esc_text(&lead.title)
    );
    out.push_str("<p class=\"meta\">");
    let when_title = if lead.date_is_first_seen {
        " title=\"Thời điểm thu thập (nguồn không ghi ngày)\""
    } else {
        ""
    };
    let _ = write!(
        out,
        "<time datetime=\"{}\"{when_title}>{}</time>",
        esc_attr(&rfc3339_vn(&lead.published)),
        esc_text(&vn_datetime(&lead.published))
    );
    match sources.get(&lead.source) {
        Some(src) => {
            let _ = write!(
                out,
                " · Nguồn: <a href=\"{}\">{}</a>",
                esc_attr(safe_href(&src.url)),
                esc_text(&src.name)
            );
        }
        None => {
            let _ = write!(out, " · Nguồn: {}", esc_text(&lead.source));
        }
    }
    out.push_str("</p>\n");

    let provinces = story.provinces();
    if !provinces.is_empty() || story.is_cooperation() {
        out.push_str("<p class=\"tags\">");
        for slug in &provinces {
            let q = filter_query(&PageFilter {
                province: Some(slug.clone()),
                ..PageFilter::default()
            });
            let _ = write!(
                out,
                "<a class=\"tag\" href=\"{}\">{}</a>",
                esc_attr(&format!("{}/{q}", meta.base_url)),
                esc_text(province_name(meta, slug))
            );
        }
        if story.is_cooperation() {
            let _ = write!(
                out,
                "<a class=\"tag coop\" href=\"{}\">Hợp tác liên tỉnh</a>",
                esc_attr(&format!("{}/?cooperation=1", meta.base_url))
            );
        }
        out.push_str("</p>\n");
    }

    let summary = plain_summary(lead);
    if !summary.is_empty() {
        let _ = writeln!(out, "<p class=\"summary\">{}</p>", esc_text(&summary));
    }
    if !story.others.is_empty() {
        let _ = write!(out, "<p class=\"also\">{}: ", esc_text(ALSO_REPORTED));
        for (i, other) in story.others.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            let _ = write!(
                out,
                "<a href=\"{}\" rel=\"noopener noreferrer\" title=\"{}\">{}</a>",
                esc_attr(safe_href(&other.link)),
                esc_attr(&other.title),
                esc_text(source_name(sources, &other.source))
            );
        }
        out.push_str("</p>\n");
    }
    out.push_str("</article></li>\n");
}

pub(super) fn page(
    meta: &FeedMeta,
    stories: &[Story],
    sources: &Sources,
    filter: &PageFilter,
) -> String {
    let q = filter_query(filter);
    let base = &meta.base_url;
    let feeds = [
        ("application/rss+xml", "RSS", format!("{base}/feed.xml{q}")),
        (
            "application/atom+xml",
            "Atom",
            format!("{base}/feed.atom{q}"),
        ),
        (
            "application/feed+json",
            "JSON Feed",
            format!("{base}/feed.json{q}"),
        ),
    ];
    let title = heading(meta);
    let mut out = String::with_capacity(8192 + stories.len() * 1024);
    head(&mut out, title, &feeds);
    let _ = writeln!(out, "<header>\n<h1>{}</h1>", esc_text(title));
    if !meta.description.trim().is_empty() {
        let _ = writeln!(out, "<p>{}</p>", esc_text(&meta.description));
    }
    out.push_str("</header>\n<main>\n");
    filter_form(&mut out, meta, filter);

    if stories.is_empty() {
        out.push_str("<p>Không có tin nào phù hợp.</p>\n");
    } else {
        out.push_str("<ol class=\"stories\">\n");
        for story in stories {
            story_html(&mut out, meta, story, sources);
        }
        out.push_str("</ol>\n");
    }
    if let Some(next) = &meta.next_url {
        let _ = writeln!(
            out,
            "<p class=\"next\"><a href=\"{}\" rel=\"next\">Trang sau →</a></p>",
            esc_attr(safe_href(next))
        );
    }
    out.push_str("</main>\n<footer>\n<nav class=\"feeds\">Theo dõi: ");
    for (_, label, href) in &feeds {
        let _ = write!(
            out,
            "<a href=\"{}\">{}</a> · ",
            esc_attr(href),
            esc_text(label)
        );
    }
    let _ = writeln!(
        out,
        "<a href=\"{}\">OPML</a></nav>",
        esc_attr(&format!("{base}/opml"))
    );
    let _ = writeln!(
        out,
        "<p><a href=\"{}\">Nguồn tin và tình trạng</a> · Cập nhật {}</p>",
        esc_attr(&format!("{base}/sources")),
        esc_text(&vn_datetime(&meta.updated))
    );
    out.push_str("</footer>\n</body>\n</html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::super::testdata::*;
    use super::*;
    use crate::model::Story;

    #[test]
    fn page_escapes_hostile_text_everywhere() {
        let (meta, _, mut sources) = fixture();
        let mut lead = item_in("kh", "h1", "khanh-hoa");
        lead.title = "<script>alert(1)</script>".to_string();
        lead.summary = "<img src=x onerror=alert(1)>".to_string();
        lead.link = "javascript:alert(1)".to_string();
        let mut other = item_in("hy", "h2", "hung-yen");
        other.title = "\"><script>alert(2)</script>".to_string();
        if let Some(s) = sources.get_mut("hy") {
            s.name = "<b>Hưng Yên</b>".to_string();
        }
        let filter = PageFilter {
            q: Some("\"><script>alert(3)</script>".to_string()),
            ..PageFilter::default()
        };
        let html = page(
            &meta,
            &[Story {
                lead,
                others: vec![other],
            }],
            &sources,
            &filter,
        );
        assert!(!html.contains("<script"), "no raw script tag: {html}");
        assert!(!html.contains("<img"));
        assert!(!html.contains("<b>"));
        assert!(!html.contains("javascript:"));
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(html.contains("value=\"&quot;&gt;&lt;script&gt;alert(3)&lt;/script&gt;\""));
    }

    #[test]
    fn page_has_autodiscovery_for_current_filter() {
        let (meta, stories, sources) = fixture();
        let filter = PageFilter {
            q: Some("hợp tác".to_string()),
            province: Some("khanh-hoa".to_string()),
            source: None,
            cooperation: true,
        };
        let html = page(&meta, &stories, &sources, &filter);
        let q = "?q=h%E1%BB%A3p+t%C3%A1c&amp;province=khanh-hoa&amp;cooperation=1";
        for (mime, path) in [
            ("application/rss+xml", "feed.xml"),
            ("application/atom+xml", "feed.atom"),
            ("application/feed+json", "feed.json"),
        ] {
            let want = format!("type=\"{mime}\"");
            assert!(html.contains(&want), "{mime}");
            let href = format!("href=\"http://127.0.0.1:8080/{path}{q}\"");
            assert!(html.contains(&href), "missing {href}");
        }
        assert!(html.contains("<html lang=\"vi\">"));
        assert!(html.contains("name=\"viewport\""));
        assert!(!html.contains("<script"));
        assert!(html.contains("<option value=\"khanh-hoa\" selected>Khánh Hòa</option>"));
        assert!(html.contains("name=\"cooperation\" value=\"1\" checked"));
        assert!(html.contains("06/09/2025 08:30"));
        assert!(
            html.contains("Cũng được đưa tin bởi: <a href=\"https://bqlkcn.hungyen.gov.vn/tin/1\"")
        );
        assert!(html.contains("href=\"http://127.0.0.1:8080/?province=hung-yen\""));
        assert!(html.contains("http://127.0.0.1:8080/sources"));
        assert!(html.contains("http://127.0.0.1:8080/opml"));
        assert!(html.contains("Trang sau"));
    }

    #[test]
    fn province_options_sorted_by_folded_name() {
        let meta = meta();
        let names: Vec<&str> = province_options(&meta)
            .into_iter()
            .map(|(_, n)| n)
            .collect();
        assert_eq!(names, ["An Giang", "Đồng Nai", "Hưng Yên", "Khánh Hòa"]);
    }

    #[test]
    fn filter_query_cases() {
        let cases = [
            (PageFilter::default(), ""),
            (
                PageFilter {
                    source: Some("kh".into()),
                    ..PageFilter::default()
                },
                "?source=kh",
            ),
            (
                PageFilter {
                    q: Some("  ".into()),
                    cooperation: true,
                    ..PageFilter::default()
                },
                "?cooperation=1",
            ),
            (
                PageFilter {
                    q: Some("a&b=c".into()),
                    ..PageFilter::default()
                },
                "?q=a%26b%3Dc",
            ),
        ];
        for (filter, want) in cases {
            assert_eq!(filter_query(&filter), want, "{filter:?}");
        }
    }
}
