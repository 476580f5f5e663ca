//! Atom 1.0 (RFC 4287), written by hand: the format is small and every value goes
//! through the shared escaping helpers.

use std::fmt::Write as _;

use sha2::{Digest, Sha256};

use super::{
    FeedMeta, Sources, esc_attr, esc_text, item_modified, item_urn, plain_summary, province_name,
    rfc3339_vn, safe_href, source_name, story_body_html,
};
use crate::model::Story;

/// Query parameters that page through one feed rather than select a different one.
const PAGING_PARAMS: [&str; 2] = ["before", "limit"];

/// A feed id that stays the same across restarts, hosts' query order and pages
/// (RFC 5005: pages of one feed share its id) but differs between filters, since each
/// filter is a different feed. Derived from the self URL without paging parameters,
/// with the remaining parameters sorted.
pub(crate) fn feed_id(self_url: &str) -> String {
    let key = match url::Url::parse(self_url) {
        Ok(u) => {
            let mut pairs: Vec<(String, String)> = u
                .query_pairs()
                .filter(|(k, _)| !PAGING_PARAMS.contains(&k.as_ref()))
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            pairs.sort();
            let query = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(pairs)
                .finish();
            format!("{}://{}{}?{query}", u.scheme(), u.authority(), u.path())
        }
        Err(_) => self_url.to_string(),
    };
    let digest = Sha256::digest(key.as_bytes());
    format!("urn:zonewire:feed:{}", crate::hex(&digest[..16]))
}

fn link(out: &mut String, rel: &str, mime: Option<&str>, href: &str, title: Option<&str>) {
    let _ = write!(out, "<link rel=\"{}\"", esc_attr(rel));
    if let Some(m) = mime {
        let _ = write!(out, " type=\"{}\"", esc_attr(m));
    }
    let _ = write!(out, " href=\"{}\"", esc_attr(href));
    if let Some(t) = title {
        let _ = write!(out, " title=\"{}\"", esc_attr(t));
    }
    out.push_str("/>\n");
}

fn category(out: &mut String, term: &str, scheme: &str, label: Option<&str>) {
    let _ = write!(
        out,
        "<category term=\"{}\" scheme=\"{}\"",
        esc_attr(term),
        esc_attr(scheme)
    );
    if let Some(l) = label {
        let _ = write!(out, " label=\"{}\"", esc_attr(l));
    }
    out.push_str("/>\n");
}

fn entry(out: &mut String, meta: &FeedMeta, story: &Story, sources: &Sources) {
    let lead = &story.lead;
    out.push_str("<entry>\n");
    let _ = writeln!(out, "<id>{}</id>", esc_text(&item_urn(lead)));
    let _ = writeln!(
        out,
        "<title type=\"text\">{}</title>",
        esc_text(&lead.title)
    );
    let _ = writeln!(
        out,
        "<updated>{}</updated>",
        rfc3339_vn(&item_modified(lead))
    );
    let _ = writeln!(
        out,
        "<published>{}</published>",
        rfc3339_vn(&lead.published)
    );
    link(
        out,
        "alternate",
        Some("text/html"),
        safe_href(&lead.link),
        None,
    );
    if let Some(src) = sources.get(&lead.source) {
        link(out, "via", None, safe_href(&src.url), Some(&src.name));
    }
    for other in &story.others {
        link(
            out,
            "related",
            Some("text/html"),
            safe_href(&other.link),
            Some(source_name(sources, &other.source)),
        );
    }
    for author in lead.authors.iter().filter(|a| !a.trim().is_empty()) {
        let _ = writeln!(out, "<author><name>{}</name></author>", esc_text(author));
    }
    let summary = plain_summary(lead);
    if !summary.is_empty() {
        let _ = writeln!(
            out,
            "<summary type=\"text\">{}</summary>",
            esc_text(&summary)
        );
    }
    if let Some(body) = story_body_html(story, sources) {
        let _ = writeln!(out, "<content type=\"html\">{}</content>", esc_text(&body));
    }
    for slug in story.provinces() {
        category(
            out,
            &slug,
            "urn:zonewire:province",
            Some(province_name(meta, &slug)),
        );
    }
    for cat in lead.categories.iter().filter(|c| !c.trim().is_empty()) {
        category(out, cat, "urn:zonewire:source-category", None);
    }
    if story.is_cooperation() {
        category(
            out,
            "cooperation",
            "urn:zonewire",
            Some("Hợp tác liên tỉnh"),
        );
    }
    out.push_str("</entry>\n");
}

pub(super) fn render(meta: &FeedMeta, stories: &[Story], sources: &Sources) -> String {
    let mut out = String::with_capacity(4096 + stories.len() * 2048);
    out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    out.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"vi\">\n");
    let _ = writeln!(out, "<id>{}</id>", feed_id(&meta.self_url));
    let _ = writeln!(
        out,
        "<title type=\"text\">{}</title>",
        esc_text(&meta.title)
    );
    if !meta.description.trim().is_empty() {
        let _ = writeln!(
            out,
            "<subtitle type=\"text\">{}</subtitle>",
            esc_text(&meta.description)
        );
    }
    let _ = writeln!(out, "<updated>{}</updated>", rfc3339_vn(&meta.updated));
    link(
        &mut out,
        "self",
        Some("application/atom+xml"),
        &meta.self_url,
        None,
    );
    link(
        &mut out,
        "alternate",
        Some("text/html"),
        &format!("{}/", meta.base_url),
        None,
    );
    if let Some(next) = &meta.next_url {
        link(&mut out, "next", Some("application/atom+xml"), next, None);
    }
    // RFC 4287 requires an author on every entry, directly or through the feed; most
    // boards name nobody, so the feed itself is the fallback author.
    let _ = writeln!(
        out,
        "<author><name>{}</name><uri>{}</uri></author>",
        esc_text(&meta.title),
        esc_text(&format!("{}/", meta.base_url))
    );
    let _ = writeln!(
        out,
        "<generator version=\"{}\">zonewire</generator>",
        esc_attr(env!("CARGO_PKG_VERSION"))
    );
    for story in stories {
        entry(&mut out, meta, story, sources);
    }
    out.push_str("</feed>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::super::testdata::*;
    use super::*;
    use crate::model::Story;

    fn parse(xml: &str) -> feed_rs::model::Feed {
        feed_rs::parser::parse(xml.as_bytes()).expect("feed-rs parses our Atom")
    }

    #[test]
    fn feed_rs_reads_back_every_field() {
        let (meta, stories, sources) = fixture();
        let xml = render(&meta, &stories, &sources);
        let feed = parse(&xml);
        assert_eq!(feed.feed_type, feed_rs::model::FeedType::Atom);
        assert_eq!(feed.id, feed_id(&meta.self_url));
        assert_eq!(
            feed.title.as_ref().map(|t| t.content.as_str()),
            Some(meta.title.as_str())
        );
        assert_eq!(
            feed.updated.map(|d| d.to_rfc3339()),
            Some("2025-09-06T03:00:00+00:00".into())
        );
        let self_link = feed.links.iter().find(|l| l.rel.as_deref() == Some("self"));
        assert_eq!(
            self_link.map(|l| l.href.as_str()),
            Some(meta.self_url.as_str())
        );
        let next = feed.links.iter().find(|l| l.rel.as_deref() == Some("next"));
        assert_eq!(next.map(|l| l.href.clone()), meta.next_url.clone());
        assert_eq!(feed.authors[0].name.as_deref(), Some(meta.title.as_str()));

        let e = &feed.entries[0];
        let lead = &stories[0].lead;
        assert_eq!(e.id, format!("urn:zonewire:{}", lead.id));
        assert_eq!(e.title.as_ref().map(|t| t.content.as_str()), Some(TITLE_VI));
        assert_eq!(
            e.published.map(|d| d.to_rfc3339()),
            Some("2025-09-06T01:30:00+00:00".to_string())
        );
        // updated (02:00Z) is later than published, so it is the modification time.
        assert_eq!(
            e.updated.map(|d| d.to_rfc3339()),
            Some("2025-09-06T02:00:00+00:00".into())
        );
        let alt = e
            .links
            .iter()
            .find(|l| l.rel.as_deref() == Some("alternate"));
        assert_eq!(alt.map(|l| l.href.as_str()), Some(lead.link.as_str()));
        let related: Vec<&str> = e
            .links
            .iter()
            .filter(|l| l.rel.as_deref() == Some("related"))
            .map(|l| l.href.as_str())
            .collect();
        assert_eq!(related, ["https://bqlkcn.hungyen.gov.vn/tin/1"]);
        let authors: Vec<Option<&str>> = e.authors.iter().map(|a| a.name.as_deref()).collect();
        assert_eq!(authors, [Some("Minh Anh"), Some("Thu Hà")]);
        assert_eq!(
            e.summary.as_ref().map(|s| s.content.as_str()),
            Some("Tóm tắt <ngắn> & rõ")
        );
        let body = e
            .content
            .as_ref()
            .and_then(|c| c.body.clone())
            .unwrap_or_default();
        assert!(body.starts_with("<p>Đoàn công tác"));
        assert!(body.contains(ALSO_REPORTED_VI));
        let cats: Vec<(&str, Option<&str>)> = e
            .categories
            .iter()
            .map(|c| (c.term.as_str(), c.label.as_deref()))
            .collect();
        assert_eq!(
            cats,
            [
                ("khanh-hoa", Some("Khánh Hòa")),
                ("hung-yen", Some("Hưng Yên")),
                ("Đầu tư", None),
                ("cooperation", Some("Hợp tác liên tỉnh")),
            ]
        );
        assert!(
            !feed.entries[1]
                .categories
                .iter()
                .any(|c| c.term == "cooperation")
        );
        assert!(xml.contains("<published>2025-09-06T08:30:00+07:00</published>"));
    }

    #[test]
    fn feed_id_is_stable_across_pages_and_query_order() {
        let a = feed_id("http://h/feed.atom?province=khanh-hoa&cooperation=1");
        let b = feed_id("http://h/feed.atom?cooperation=1&province=khanh-hoa&before=2025-01-01");
        let c = feed_id("http://h/feed.atom?province=hung-yen");
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert!(a.starts_with("urn:zonewire:feed:"));
    }

    #[test]
    fn hostile_text_is_escaped_and_controls_removed() {
        let (meta, _, sources) = fixture();
        let mut lead = item_in("kh", "h1", "khanh-hoa");
        lead.title = "<script>alert(1)</script>\u{1}".to_string();
        lead.content_html = Some("<p>a ]]> b\u{0}</p>".to_string());
        let xml = render(
            &meta,
            &[Story {
                lead,
                others: vec![],
            }],
            &sources,
        );
        assert!(!xml.contains("<script>"));
        let feed = parse(&xml);
        let e = &feed.entries[0];
        assert_eq!(
            e.title.as_ref().map(|t| t.content.as_str()),
            Some("<script>alert(1)</script>")
        );
        let body = e.content.as_ref().and_then(|c| c.body.clone());
        assert_eq!(body.as_deref(), Some("<p>a ]]> b</p>"));
    }
}
