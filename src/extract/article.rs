//! One article page: metadata (date, canonical, title, image) and the body, cut at the
//! related-news block and cleaned of the CMS's image-size lines.

use std::sync::LazyLock;

use chrono::{DateTime, FixedOffset};
use ego_tree::NodeId;
use regex::Regex;
use scraper::{ElementRef, Html, Node, Selector};
use url::Url;

use super::dom::{self, clean_text, element_text};
use super::{Article, HtmlRules, date_after_ngay};
use crate::dates::parse_vn_date;

fn sel(css: &str) -> Selector {
    Selector::parse(css).expect("constant selector")
}

/// Publication-time metadata in the order one public crawler checks it
/// (vietnamese-sources.md §6): Open Graph article time, `pubdate`, schema.org microdata.
static META_DATES: LazyLock<Vec<(Selector, &'static str)>> = LazyLock::new(|| {
    vec![
        (sel(r#"meta[property="article:published_time"]"#), "content"),
        (
            sel(r#"meta[name="pubdate"], meta[name="PubDate"]"#),
            "content",
        ),
        (sel(r#"meta[itemprop="datePublished"]"#), "content"),
        (sel(r#"[itemprop="datePublished"][datetime]"#), "datetime"),
    ]
});
static JSON_LD: LazyLock<Selector> = LazyLock::new(|| sel(r#"script[type="application/ld+json"]"#));
static CANONICAL: LazyLock<Selector> = LazyLock::new(|| sel(r#"link[rel~="canonical"][href]"#));
static OG_TITLE: LazyLock<Selector> =
    LazyLock::new(|| sel(r#"meta[property="og:title"][content]"#));
static OG_IMAGE: LazyLock<Selector> =
    LazyLock::new(|| sel(r#"meta[property="og:image"][content]"#));
static H1: LazyLock<Selector> = LazyLock::new(|| sel("h1"));
static P: LazyLock<Selector> = LazyLock::new(|| sel("p"));

/// `h2.jpg (229 KB)`: the Khánh Hòa CMS (and vanphong.gov.vn) prints each image's file
/// name and size as text (vietnamese-sources.md §1).
static IMAGE_SIZE_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\S+\.(jpe?g|png|gif|webp)\s*\(\d+([.,]\d+)?\s*[KM]B\)$")
        .expect("IMAGE_SIZE_LINE regex")
});

pub(super) fn extract(
    html: &str,
    page_url: &Url,
    rules: &HtmlRules,
    now: DateTime<FixedOffset>,
) -> Article {
    let mut doc = Html::parse_document(html);
    let base = dom::base_url(&doc, page_url);
    let root = doc.root_element();

    let canonical = doc
        .select(&CANONICAL)
        .find_map(|l| l.attr("href").and_then(|h| dom::resolve(&base, h)));
    let title = doc
        .select(&OG_TITLE)
        .filter_map(|m| m.attr("content").map(clean_text))
        .find(|t| !t.is_empty())
        .or_else(|| doc.select(&H1).map(element_text).find(|t| !t.is_empty()));
    let image = doc
        .select(&OG_IMAGE)
        .find_map(|m| m.attr("content").and_then(|h| dom::resolve(&base, h)));

    let mut published = meta_published(&doc, now).or_else(|| {
        rules
            .article_date
            .as_ref()
            .and_then(|f| f.values(root).find_map(|(_, v)| parse_vn_date(&v, now)))
    });

    let body_id = rules
        .body
        .as_ref()
        .and_then(|f| f.first(root))
        .map(|(el, _)| el.id());
    let mut body_html = None;
    if let Some(id) = body_id {
        clean_body(&mut doc, id, &rules.stop_at);
        if let Some(body) = doc.tree.get(id).and_then(ElementRef::wrap) {
            if published.is_none() {
                published = lead_date(body, now);
            }
            let inner = body.inner_html();
            let inner = inner.trim();
            if !inner.is_empty() {
                body_html = Some(inner.to_string());
            }
        }
    }
    Article {
        body_html,
        published,
        canonical,
        title,
        image,
    }
}

fn meta_published(doc: &Html, now: DateTime<FixedOffset>) -> Option<DateTime<FixedOffset>> {
    for (s, attr) in META_DATES.iter() {
        if let Some(d) = doc
            .select(s)
            .find_map(|m| m.attr(attr).and_then(|v| parse_vn_date(v, now)))
        {
            return Some(d);
        }
    }
    doc.select(&JSON_LD).find_map(|script| {
        let text: String = script.text().collect();
        let value: serde_json::Value = serde_json::from_str(text.trim()).ok()?;
        json_date_published(&value).and_then(|d| parse_vn_date(d, now))
    })
}

/// The first `datePublished` in a JSON-LD value (objects, arrays and `@graph`).
fn json_date_published(v: &serde_json::Value) -> Option<&str> {
    match v {
        serde_json::Value::Object(map) => map
            .get("datePublished")
            .and_then(|d| d.as_str())
            .or_else(|| map.values().find_map(json_date_published)),
        serde_json::Value::Array(items) => items.iter().find_map(json_date_published),
        _ => None,
    }
}

/// "Ngày 06/9/2025, Đoàn công tác…": the date the lead paragraph states.
fn lead_date(body: ElementRef<'_>, now: DateTime<FixedOffset>) -> Option<DateTime<FixedOffset>> {
    let first = body
        .select(&P)
        .map(element_text)
        .find(|t| !t.is_empty())
        .unwrap_or_else(|| element_text(body).chars().take(300).collect());
    date_after_ngay(&first, now)
}

/// Where the related-news block starts.
enum Cut {
    /// Remove this node and everything after it.
    Node(NodeId),
    /// Keep this text node up to the byte offset (of its NFC form), remove what follows.
    TextAt(NodeId, String),
}

fn clean_body(doc: &mut Html, body: NodeId, markers: &[Regex]) {
    let Some(body_ref) = doc.tree.get(body) else {
        return;
    };
    let scripts: Vec<NodeId> = body_ref
        .descendants()
        .filter(|n| {
            n.value()
                .as_element()
                .is_some_and(|e| matches!(e.name(), "script" | "style" | "noscript" | "template"))
        })
        .map(|n| n.id())
        .collect();
    detach_all(doc, &scripts);

    if let Some(cut) = find_cut(doc, body, markers) {
        apply_cut(doc, body, cut);
    }
    strip_artefacts(doc, body);
}

fn detach_all(doc: &mut Html, ids: &[NodeId]) {
    for id in ids {
        if let Some(mut n) = doc.tree.get_mut(*id) {
            n.detach();
        }
    }
}

/// The first place (document order) where a marker starts a block: the outermost element
/// whose text starts with it, a text node that starts with it, or a text node that ends
/// with it ("… L.T.N.Dung Tin tức khác").
fn find_cut(doc: &Html, body: NodeId, markers: &[Regex]) -> Option<Cut> {
    let body_ref = doc.tree.get(body)?;
    let body_el = ElementRef::wrap(body_ref)?;
    let all = element_text(body_el);
    if !markers.iter().any(|m| m.is_match(&all)) {
        return None;
    }
    let starts = |text: &str| {
        markers
            .iter()
            .any(|m| m.find(text).is_some_and(|f| f.start() == 0))
    };
    for node in body_ref.descendants().skip(1) {
        match node.value() {
            Node::Element(_) => {
                if let Some(el) = ElementRef::wrap(node)
                    && starts(&element_text(el))
                {
                    return Some(Cut::Node(node.id()));
                }
            }
            Node::Text(t) => {
                let text = clean_text(t);
                if starts(&text) {
                    return Some(Cut::Node(node.id()));
                }
                for m in markers {
                    if let Some(f) = m.find(&text) {
                        let rest = text[f.end()..].trim_matches(|c: char| !c.is_alphanumeric());
                        if rest.is_empty() {
                            return Some(Cut::TextAt(
                                node.id(),
                                text[..f.start()].trim_end().to_string(),
                            ));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    None
}

fn apply_cut(doc: &mut Html, body: NodeId, cut: Cut) {
    let (start, keep_start) = match cut {
        Cut::Node(id) => (id, false),
        Cut::TextAt(id, kept) => {
            if let Some(mut n) = doc.tree.get_mut(id)
                && let Node::Text(t) = n.value()
            {
                t.text.clear();
                t.text.push_slice(&kept);
                // Keep a separating space so "Dung" and the next word do not merge.
                t.text.push_slice(" ");
            }
            (id, true)
        }
    };
    let mut doomed = Vec::new();
    if !keep_start {
        doomed.push(start);
    }
    let mut cur = doc.tree.get(start);
    while let Some(n) = cur {
        if n.id() == body {
            break;
        }
        doomed.extend(n.next_siblings().map(|s| s.id()));
        cur = n.parent();
    }
    detach_all(doc, &doomed);
}

fn has_media(el: ElementRef<'_>) -> bool {
    el.descendants().any(|n| {
        n.value().as_element().is_some_and(|e| {
            matches!(
                e.name(),
                "img" | "picture" | "video" | "iframe" | "svg" | "audio"
            )
        })
    })
}

/// Remove `h2.jpg (229 KB)` lines (whole elements when they hold nothing else, else the
/// text lines) and layout tables with no text, which render as the seed's `| |`; real
/// images and their captions stay.
fn strip_artefacts(doc: &mut Html, body: NodeId) {
    let Some(body_ref) = doc.tree.get(body) else {
        return;
    };
    let mut doomed = Vec::new();
    let mut rewrites: Vec<(NodeId, String)> = Vec::new();
    for node in body_ref.descendants().skip(1) {
        match node.value() {
            Node::Element(e) => {
                let Some(el) = ElementRef::wrap(node) else {
                    continue;
                };
                if has_media(el) {
                    continue;
                }
                let text = element_text(el);
                let artefact = IMAGE_SIZE_LINE.is_match(&text);
                let empty_table = e.name() == "table" && !text.chars().any(char::is_alphanumeric);
                if artefact || empty_table {
                    doomed.push(node.id());
                }
            }
            Node::Text(t) => {
                let mut changed = false;
                let kept: Vec<&str> = t
                    .lines()
                    .filter(|line| {
                        let hit = IMAGE_SIZE_LINE.is_match(&clean_text(line));
                        changed |= hit;
                        !hit
                    })
                    .collect();
                if changed {
                    rewrites.push((node.id(), kept.join("\n")));
                }
            }
            _ => {}
        }
    }
    for (id, text) in rewrites {
        if let Some(mut n) = doc.tree.get_mut(id)
            && let Node::Text(t) = n.value()
        {
            t.text.clear();
            t.text.push_slice(&text);
        }
    }
    detach_all(doc, &doomed);
}
