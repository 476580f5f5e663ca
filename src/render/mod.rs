//! Rendering stories as RSS 2.0, Atom 1.0, JSON Feed 1.1, HTML pages and OPML.
//!
//! Every renderer is a pure function of its inputs, so the server can render once per
//! change and cache the bytes. Strings come from the network: each one passes through
//! `xml_clean` (XML 1.0 forbids some characters outright, and one of them makes the
//! whole document unreadable) and then through the escaping its context needs.

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::{DateTime, FixedOffset, SecondsFormat, TimeZone, Utc};

use crate::model::{Item, SourceInfo, SourceState, Story, vn_offset};

mod atom;
mod health;
mod html;
mod json;
mod opml;
mod rss;

/// Also the store's tests' items.
#[cfg(test)]
pub(crate) mod testdata;

/// Channel-level facts for one rendered output.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FeedMeta {
    pub title: String,
    pub description: String,
    /// Site root, e.g. `http://127.0.0.1:8080` (no trailing slash).
    pub base_url: String,
    /// The exact URL this output is served at, query included (atom:link rel=self).
    pub self_url: String,
    /// URL of the next (older) page, when there is one.
    pub next_url: Option<String>,
    /// Newest change in the store (lastBuildDate / updated).
    pub updated: DateTime<Utc>,
    pub ttl_minutes: u32,
    /// Province slug → display name (e.g. `khanh-hoa` → `Khánh Hòa`), for categories,
    /// tags and the HTML province picker. A slug missing here is shown as the slug itself;
    /// the caller fills it from `provinces::all()` so this module stays independent of it.
    pub province_names: HashMap<String, String>,
}

pub type Sources = HashMap<String, SourceInfo>;

/// Merged RSS 2.0 (`/feed.xml`).
pub fn rss(meta: &FeedMeta, stories: &[Story], sources: &Sources) -> String {
    rss::render(meta, stories, sources)
}

/// Merged Atom 1.0 (`/feed.atom`).
pub fn atom(meta: &FeedMeta, stories: &[Story], sources: &Sources) -> String {
    atom::render(meta, stories, sources)
}

/// Merged JSON Feed 1.1 (`/feed.json`).
pub fn json_feed(meta: &FeedMeta, stories: &[Story], sources: &Sources) -> String {
    json::render(meta, stories, sources)
}

/// Filter values echoed into the HTML page's forms.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PageFilter {
    pub q: Option<String>,
    pub province: Option<String>,
    pub source: Option<String>,
    pub cooperation: bool,
}

/// The page for people (`GET /`).
pub fn html_page(
    meta: &FeedMeta,
    stories: &[Story],
    sources: &Sources,
    filter: &PageFilter,
) -> String {
    html::page(meta, stories, sources, filter)
}

/// Source health page (`GET /sources`).
pub fn sources_page(meta: &FeedMeta, rows: &[(SourceInfo, SourceState)]) -> String {
    health::sources_page(meta, rows)
}

/// The sources as OPML 2.0.
///
/// `base_url` (site root, no trailing slash) is needed because HTML sources have no feed
/// of their own: their outline points at zonewire's per-source feed instead.
pub fn opml(title: &str, base_url: &str, sources: &[SourceInfo]) -> String {
    opml::render(title, base_url, sources)
}

/// One feed outline from an OPML file.
#[derive(Debug, Clone, PartialEq)]
pub struct Outline {
    pub title: String,
    pub xml_url: String,
    pub html_url: Option<String>,
}

#[derive(Debug, thiserror::Error)]
#[error("OPML: {0}")]
pub struct OpmlError(pub String);

/// Every `outline` with an `xmlUrl`, at any depth.
pub fn parse_opml(xml: &str) -> Result<Vec<Outline>, OpmlError> {
    opml::parse(xml)
}

// ---------------------------------------------------------------------------------------
// Helpers shared by the renderers.

/// Characters XML 1.0 allows (production `Char`), minus the C1 controls and DEL, which
/// are legal but "discouraged" and only ever appear here as decoding debris; validators
/// warn about them.
fn is_wanted_xml_char(c: char) -> bool {
    matches!(c,
        '\t' | '\n' | '\r'
        | '\u{20}'..='\u{7E}'
        | '\u{A0}'..='\u{D7FF}'
        | '\u{E000}'..='\u{FFFD}'
        | '\u{10000}'..='\u{10FFFF}')
}

/// `s` without characters that XML 1.0 forbids (or that validators flag). Borrowed when
/// nothing had to go, which is almost always.
pub(crate) fn xml_clean(s: &str) -> Cow<'_, str> {
    if s.chars().all(is_wanted_xml_char) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.chars().filter(|&c| is_wanted_xml_char(c)).collect())
    }
}

/// Cleaned and escaped for element content (XML or HTML).
pub(crate) fn esc_text(s: &str) -> String {
    let s = xml_clean(s);
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// Cleaned and escaped for a double- or single-quoted attribute value (XML or HTML).
/// Tab and line breaks become character references because an XML parser would
/// otherwise normalise them to spaces.
pub(crate) fn esc_attr(s: &str) -> String {
    let s = xml_clean(s);
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
    out
}

/// A URL that is safe to put in an `href`: http(s) or site-relative. Anything else
/// (`javascript:`, `data:`) becomes `#`; the sanitiser upstream should already have
/// stopped those, this is the last line.
pub(crate) fn safe_href(url: &str) -> &str {
    let t = url.trim();
    let lower = t.get(..8).unwrap_or(t).to_ascii_lowercase();
    if lower.starts_with("http://")
        || lower.starts_with("https://")
        || (t.starts_with('/') && !t.starts_with("//"))
    {
        t
    } else {
        "#"
    }
}

/// `urn:zonewire:<id>`: the published identity of an item (never changes).
pub(crate) fn item_urn(item: &Item) -> String {
    format!("urn:zonewire:{}", xml_clean(&item.id))
}

/// A time in Vietnam's offset.
pub(crate) fn to_vn<Tz: TimeZone>(t: &DateTime<Tz>) -> DateTime<FixedOffset> {
    t.with_timezone(&vn_offset())
}

/// RFC 3339 in +07:00, whole seconds.
pub(crate) fn rfc3339_vn<Tz: TimeZone>(t: &DateTime<Tz>) -> String {
    to_vn(t).to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// When the lead item last changed: its `updated` stamp, never earlier than published.
pub(crate) fn item_modified(item: &Item) -> DateTime<FixedOffset> {
    let published = to_vn(&item.published);
    match item.updated {
        Some(u) if to_vn(&u) > published => to_vn(&u),
        _ => published,
    }
}

/// Display name of a province slug, the slug itself when unknown.
pub(crate) fn province_name<'a>(meta: &'a FeedMeta, slug: &'a str) -> &'a str {
    meta.province_names
        .get(slug)
        .map(String::as_str)
        .unwrap_or(slug)
}

/// Display name of a source id, the id itself when the source is gone from the config.
pub(crate) fn source_name<'a>(sources: &'a Sources, id: &'a str) -> &'a str {
    sources.get(id).map(|s| s.name.as_str()).unwrap_or(id)
}

/// Longest plain-text summary we publish when the source gave none.
const SUMMARY_CHARS: usize = 300;

/// The item's plain-text summary; when the source gave none, the start of its body.
pub(crate) fn plain_summary(item: &Item) -> String {
    if !item.summary.trim().is_empty() {
        return item.summary.clone();
    }
    match &item.content_html {
        Some(html) => crate::text::truncate_words(&crate::text::html_to_text(html), SUMMARY_CHARS),
        None => String::new(),
    }
}

/// Heading of the block that lists the other reports of a story.
pub(crate) const ALSO_REPORTED: &str = "Cũng được đưa tin bởi";

/// The "also reported by" block as an HTML fragment, `None` when only one source
/// reported the story.
pub(crate) fn also_reported_html(story: &Story, sources: &Sources) -> Option<String> {
    if story.others.is_empty() {
        return None;
    }
    let mut out = format!(
        "<div class=\"also-reported\"><p><strong>{}:</strong></p><ul>",
        esc_text(ALSO_REPORTED)
    );
    for other in &story.others {
        out.push_str(&format!(
            "<li><a href=\"{}\">{}</a>: {}</li>",
            esc_attr(safe_href(&other.link)),
            esc_text(source_name(sources, &other.source)),
            esc_text(&other.title),
        ));
    }
    out.push_str("</ul></div>");
    Some(out)
}

/// The story's full HTML body: the lead's sanitised content (or its summary when there
/// is no content but there are other reports to list) followed by the also-reported
/// block. `None` when there is nothing beyond the summary.
pub(crate) fn story_body_html(story: &Story, sources: &Sources) -> Option<String> {
    let block = also_reported_html(story, sources);
    match (&story.lead.content_html, block) {
        (Some(content), Some(block)) => Some(format!("{}{block}", xml_clean(content))),
        (Some(content), None) => Some(xml_clean(content).into_owned()),
        (None, Some(block)) => {
            let summary = plain_summary(&story.lead);
            if summary.is_empty() {
                Some(block)
            } else {
                Some(format!("<p>{}</p>{block}", esc_text(&summary)))
            }
        }
        (None, None) => None,
    }
}

/// The feed a reader should subscribe to for one source: its own URL for feeds, and
/// zonewire's per-source feed for HTML news lists, which are not feeds at all.
pub(crate) fn source_feed_url(base_url: &str, source: &SourceInfo) -> String {
    if source.kind == "html" {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("source", &source.id)
            .finish();
        format!("{base_url}/feed.xml?{query}")
    } else {
        source.url.clone()
    }
}

/// `zonewire <version>`.
pub(crate) fn generator() -> String {
    format!("zonewire {}", env!("CARGO_PKG_VERSION"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_clean_drops_forbidden_characters_only() {
        let cases = [
            ("Khánh Hòa", "Khánh Hòa"),
            ("a\u{0}b\u{1}c\u{8}d\u{b}e\u{c}f\u{1f}g", "abcdefg"),
            ("tab\tlf\ncr\r", "tab\tlf\ncr\r"),
            ("x\u{fffe}y\u{ffff}z", "xyz"),
            ("c1\u{85}\u{9f}\u{7f}", "c1"),
            ("emoji 🏭", "emoji 🏭"),
        ];
        for (input, want) in cases {
            assert_eq!(xml_clean(input), want, "input {input:?}");
        }
    }

    #[test]
    fn escaping_text_and_attributes() {
        assert_eq!(esc_text("<a & b>"), "&lt;a &amp; b&gt;");
        assert_eq!(esc_attr("x\"y'z&<\n"), "x&quot;y&#39;z&amp;&lt;&#10;");
        assert_eq!(esc_text("a\u{1}b"), "ab");
    }

    #[test]
    fn safe_href_allows_only_web_and_site_urls() {
        let cases = [
            ("https://a.vn/x", "https://a.vn/x"),
            ("HTTP://A.VN", "HTTP://A.VN"),
            ("/feed.xml?x=1", "/feed.xml?x=1"),
            ("javascript:alert(1)", "#"),
            (" JavaScript:alert(1)", "#"),
            ("data:text/html,x", "#"),
            ("//evil.example/x", "#"),
        ];
        for (input, want) in cases {
            assert_eq!(safe_href(input), want, "input {input:?}");
        }
    }
}
