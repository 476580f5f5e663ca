//! RSS 2.0 with the `rss` crate, shaped to pass the W3C feed validator cleanly.

use std::collections::BTreeMap;

use rss::extension::Extension;
use rss::extension::atom::{AtomExtension, Link};
use rss::extension::dublincore::DublinCoreExtension;
use rss::{Category, Channel, Guid, Item as RssItem, Source};

use super::{
    FeedMeta, Sources, generator, item_urn, plain_summary, province_name, source_feed_url,
    story_body_html, to_vn, xml_clean,
};
use crate::model::Story;

/// Media RSS; used for the lead image because an `<enclosure>` needs a byte length we
/// do not know, and `length="0"` draws a validator warning.
const MEDIA_NS: &str = "http://search.yahoo.com/mrss/";

/// Cleaned owned string (every value the crate writes goes through here).
fn c(s: &str) -> String {
    xml_clean(s).into_owned()
}

/// MIME type of an image from its URL's extension, when it is a common one.
pub(crate) fn image_type(url: &str) -> Option<&'static str> {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let ext = path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase())?;
    match ext.as_str() {
        "jpg" | "jpeg" | "jpe" => Some("image/jpeg"),
        "png" => Some("image/png"),
        "gif" => Some("image/gif"),
        "webp" => Some("image/webp"),
        "avif" => Some("image/avif"),
        "svg" => Some("image/svg+xml"),
        "bmp" => Some("image/bmp"),
        _ => None,
    }
}

fn atom_link(href: &str, rel: &str) -> Link {
    Link {
        href: c(href),
        rel: rel.to_string(),
        mime_type: Some("application/rss+xml".to_string()),
        ..Link::default()
    }
}

fn category(name: &str, domain: Option<&str>) -> Category {
    Category {
        name: c(name),
        domain: domain.map(str::to_string),
    }
}

fn item(meta: &FeedMeta, story: &Story, sources: &Sources) -> (RssItem, bool) {
    let lead = &story.lead;
    let mut it = RssItem {
        title: Some(c(&lead.title)),
        link: Some(c(&lead.link)),
        guid: Some(Guid {
            value: item_urn(lead),
            permalink: false,
        }),
        pub_date: Some(to_vn(&lead.published).to_rfc2822()),
        ..RssItem::default()
    };

    // RSS descriptions are HTML by convention, so the plain summary is escaped once
    // more; a literal `<` in the text must not turn into markup in a reader.
    let summary = plain_summary(lead);
    if !summary.is_empty() {
        it.description = Some(super::esc_text(&summary));
    }
    it.content = story_body_html(story, sources);

    if !lead.authors.is_empty() {
        let authors: Vec<String> = lead.authors.iter().map(|a| c(a)).collect();
        it.dublin_core_ext = Some(DublinCoreExtension {
            creators: vec![authors.join(", ")],
            ..DublinCoreExtension::default()
        });
    }

    // RSS allows one <source>; the also-reported block in the body carries the rest.
    // Its url must be a feed ("the XMLization of the source").
    if let Some(src) = sources.get(&lead.source) {
        it.source = Some(Source {
            url: c(&source_feed_url(&meta.base_url, src)),
            title: Some(c(&src.name)),
        });
    }

    let mut categories: Vec<Category> = story
        .provinces()
        .iter()
        .map(|slug| category(province_name(meta, slug), Some("province")))
        .collect();
    categories.extend(lead.categories.iter().map(|n| category(n, Some("source"))));
    if story.is_cooperation() {
        categories.push(category("cooperation", Some("zonewire")));
    }
    it.categories = categories;

    let mut has_media = false;
    if let Some(image) = lead.image.as_deref().filter(|u| !u.trim().is_empty()) {
        let mut attrs = BTreeMap::new();
        attrs.insert("url".to_string(), c(image));
        attrs.insert("medium".to_string(), "image".to_string());
        if let Some(t) = image_type(image) {
            attrs.insert("type".to_string(), t.to_string());
        }
        let ext = Extension {
            name: "media:content".to_string(),
            attrs,
            ..Extension::default()
        };
        let mut by_name = BTreeMap::new();
        by_name.insert("content".to_string(), vec![ext]);
        it.extensions.insert("media".to_string(), by_name);
        has_media = true;
    }
    (it, has_media)
}

pub(super) fn render(meta: &FeedMeta, stories: &[Story], sources: &Sources) -> String {
    let mut links = vec![atom_link(&meta.self_url, "self")];
    if let Some(next) = &meta.next_url {
        links.push(atom_link(next, "next"));
    }
    let description = if meta.description.trim().is_empty() {
        &meta.title
    } else {
        &meta.description
    };
    let mut channel = Channel {
        title: c(&meta.title),
        link: c(&format!("{}/", meta.base_url)),
        description: c(description),
        language: Some("vi".to_string()),
        last_build_date: Some(to_vn(&meta.updated).to_rfc2822()),
        generator: Some(generator()),
        // The validator rejects ttl="0"; a zero from config means "no hint".
        ttl: (meta.ttl_minutes > 0).then(|| meta.ttl_minutes.to_string()),
        atom_ext: Some(AtomExtension { links }),
        ..Channel::default()
    };
    let mut any_media = false;
    for story in stories {
        let (it, has_media) = item(meta, story, sources);
        any_media |= has_media;
        channel.items.push(it);
    }
    if any_media {
        channel
            .namespaces
            .insert("media".to_string(), MEDIA_NS.to_string());
    }
    match channel.write_to(Vec::new()) {
        Ok(bytes) => String::from_utf8(bytes).unwrap_or_else(|e| {
            // quick-xml writes the UTF-8 it is given; this cannot happen.
            String::from_utf8_lossy(e.as_bytes()).into_owned()
        }),
        Err(e) => {
            tracing::error!(error = %e, "writing RSS failed");
            String::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testdata::*;
    use super::*;

    fn parse(xml: &str) -> feed_rs::model::Feed {
        feed_rs::parser::parse(xml.as_bytes()).expect("feed-rs parses our RSS")
    }

    #[test]
    fn feed_rs_reads_back_every_field() {
        let (meta, stories, sources) = fixture();
        let xml = render(&meta, &stories, &sources);
        let feed = parse(&xml);
        assert_eq!(
            feed.title.as_ref().map(|t| t.content.as_str()),
            Some(meta.title.as_str())
        );
        assert_eq!(feed.language.as_deref(), Some("vi"));
        assert_eq!(feed.ttl, Some(30));
        assert_eq!(feed.entries.len(), stories.len());

        let e = &feed.entries[0];
        let lead = &stories[0].lead;
        // The expected title must itself be NFC for the exact comparison to mean anything.
        assert!(unicode_normalization::is_nfc(TITLE_VI));
        assert_eq!(e.id, format!("urn:zonewire:{}", lead.id));
        assert_eq!(e.title.as_ref().map(|t| t.content.as_str()), Some(TITLE_VI));
        assert_eq!(e.links[0].href, lead.link);
        assert_eq!(
            e.published.map(|d| d.to_rfc3339()),
            Some("2025-09-06T01:30:00+00:00".to_string())
        );
        assert_eq!(e.authors.len(), 1);
        assert_eq!(e.authors[0].name.as_deref(), Some("Minh Anh, Thu Hà"));
        let body = e
            .content
            .as_ref()
            .and_then(|c| c.body.clone())
            .unwrap_or_default();
        assert!(body.starts_with(lead.content_html.as_deref().unwrap_or("?")));
        assert!(body.contains(ALSO_REPORTED_VI));
        assert!(body.contains("Ban quản lý các KKT tỉnh Hưng Yên"));
        assert!(body.contains("https://bqlkcn.hungyen.gov.vn/tin/1"));
        let terms: Vec<&str> = e.categories.iter().map(|c| c.term.as_str()).collect();
        assert_eq!(terms, ["Khánh Hòa", "Hưng Yên", "Đầu tư", "cooperation"]);
        assert_eq!(e.media.len(), 1);
        let media_url = e.media[0].content[0].url.as_ref().map(|u| u.to_string());
        assert_eq!(media_url.as_deref(), lead.image.as_deref());
    }

    #[test]
    fn guid_is_stable_and_not_a_permalink() {
        let (meta, stories, sources) = fixture();
        let a = render(&meta, &stories, &sources);
        let b = render(&meta, &stories, &sources);
        assert_eq!(a, b, "rendering is deterministic");
        let ch = Channel::read_from(a.as_bytes()).expect("rss crate reads our RSS");
        let guid = ch.items[0].guid.as_ref().expect("guid");
        assert!(!guid.permalink);
        assert_eq!(guid.value, format!("urn:zonewire:{}", stories[0].lead.id));
    }

    #[test]
    fn rss_crate_round_trip_keeps_channel_facts() {
        let (meta, stories, sources) = fixture();
        let xml = render(&meta, &stories, &sources);
        let ch = Channel::read_from(xml.as_bytes()).expect("rss crate reads our RSS");
        assert_eq!(ch.title, meta.title);
        assert_eq!(ch.link, "http://127.0.0.1:8080/");
        assert_eq!(ch.ttl.as_deref(), Some("30"));
        assert_eq!(ch.generator.as_deref(), Some(generator().as_str()));
        assert_eq!(
            ch.last_build_date.as_deref(),
            Some("Sat, 6 Sep 2025 10:00:00 +0700")
        );
        let links = &ch.atom_ext.as_ref().expect("atom links").links;
        assert_eq!(links[0].rel, "self");
        assert_eq!(
            links[0].href, meta.self_url,
            "self link with & survives escaping"
        );
        assert!(meta.self_url.contains('&'));
        assert!(xml.contains("&amp;"), "the & is escaped in the document");
        assert_eq!(links[1].rel, "next");
        assert_eq!(Some(&links[1].href), meta.next_url.as_ref());

        let it = &ch.items[0];
        assert_eq!(
            it.pub_date.as_deref(),
            Some("Sat, 6 Sep 2025 08:30:00 +0700")
        );
        let src = it.source.as_ref().expect("source");
        assert_eq!(src.url, "https://kkt.khanhhoa.gov.vn/rss");
        assert_eq!(src.title.as_deref(), Some("BQL Khu kinh tế Vân Phong"));
        let domains: Vec<Option<&str>> =
            it.categories.iter().map(|c| c.domain.as_deref()).collect();
        assert_eq!(
            domains,
            [
                Some("province"),
                Some("province"),
                Some("source"),
                Some("zonewire")
            ]
        );
        assert_eq!(
            it.description.as_deref(),
            Some("Tóm tắt &lt;ngắn&gt; &amp; rõ")
        );
        assert!(xml.contains("xmlns:media=\"http://search.yahoo.com/mrss/\""));
        assert!(xml.contains("medium=\"image\""));
        assert!(xml.contains("type=\"image/jpeg\""));
    }

    #[test]
    fn cooperation_only_for_two_province_stories() {
        let (meta, stories, sources) = fixture();
        let ch = Channel::read_from(render(&meta, &stories, &sources).as_bytes())
            .expect("rss crate reads our RSS");
        for (story, it) in stories.iter().zip(&ch.items) {
            let tagged = it.categories.iter().any(|c| c.name == "cooperation");
            assert_eq!(
                tagged,
                story.provinces().len() >= 2,
                "story {}",
                story.lead.id
            );
        }
        assert!(
            ch.items
                .iter()
                .any(|i| i.categories.iter().any(|c| c.name == "cooperation"))
        );
        assert!(
            !ch.items
                .iter()
                .all(|i| i.categories.iter().any(|c| c.name == "cooperation"))
        );
    }

    #[test]
    fn hostile_text_cdata_and_controls_survive() {
        let (meta, _, sources) = fixture();
        let mut lead = item_in("kh", "h1", "khanh-hoa");
        lead.title = "<script>alert(1)</script> \u{1}tiêu\u{0b}đề".to_string();
        lead.content_html = Some("<p>a ]]> b \u{0}</p>".to_string());
        lead.summary = "x\u{1f}y".to_string();
        let story = Story {
            lead,
            others: vec![],
        };
        let xml = render(&meta, std::slice::from_ref(&story), &sources);
        assert!(!xml.contains("<script>"), "title is written as text");
        assert!(!xml.contains('\u{1}') && !xml.contains('\u{0}') && !xml.contains('\u{1f}'));
        let feed = parse(&xml);
        let e = &feed.entries[0];
        assert_eq!(
            e.title.as_ref().map(|t| t.content.as_str()),
            Some("<script>alert(1)</script> tiêuđề")
        );
        let ch = Channel::read_from(xml.as_bytes()).expect("rss crate reads it");
        assert_eq!(ch.items[0].content.as_deref(), Some("<p>a ]]> b </p>"));
        assert_eq!(ch.items[0].description.as_deref(), Some("xy"));
    }

    #[test]
    fn source_element_points_at_a_feed() {
        let (meta, _, sources) = fixture();
        let cases = [
            ("kh", "https://kkt.khanhhoa.gov.vn/rss"),
            ("dn", "https://dongnai.example.vn/feed"),
            ("hy", "http://127.0.0.1:8080/feed.xml?source=hy"),
        ];
        for (source, want) in cases {
            let story = Story {
                lead: item_in(source, "s1", "khanh-hoa"),
                others: vec![],
            };
            let xml = render(&meta, std::slice::from_ref(&story), &sources);
            let ch = Channel::read_from(xml.as_bytes()).expect("rss crate reads it");
            let src = ch.items[0].source.as_ref().expect("source");
            assert_eq!(src.url, want, "{source}");
            assert_eq!(src.title.as_deref(), Some(sources[source].name.as_str()));
        }
    }

    #[test]
    fn image_types_from_extensions() {
        let cases = [
            ("https://a.vn/x.JPG", Some("image/jpeg")),
            ("https://a.vn/x.png?w=300", Some("image/png")),
            ("https://a.vn/x.webp#f", Some("image/webp")),
            ("https://a.vn/image?id=3", None),
            ("https://a.vn/x.php", None),
        ];
        for (url, want) in cases {
            assert_eq!(image_type(url), want, "{url}");
        }
    }
}
