//! JSON Feed 1.1 (<https://jsonfeed.org/version/1.1>) via serde_json.

use serde::Serialize;

use super::{
    FeedMeta, Sources, item_modified, item_urn, plain_summary, province_name, rfc3339_vn,
    story_body_html, xml_clean,
};
use crate::model::Story;

/// Cleaned owned string. JSON could carry control characters, but readers often put
/// these strings straight into XML or HTML, so they get the same hygiene as the feeds.
fn c(s: &str) -> String {
    xml_clean(s).into_owned()
}

#[derive(Serialize)]
struct Feed {
    version: &'static str,
    title: String,
    home_page_url: String,
    feed_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    language: &'static str,
    authors: Vec<Author>,
    items: Vec<JsonItem>,
}

#[derive(Serialize)]
struct Author {
    name: String,
}

#[derive(Serialize)]
struct JsonItem {
    id: String,
    url: String,
    title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    content_html: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    content_text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<String>,
    date_published: String,
    date_modified: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    authors: Vec<Author>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<String>,
    _zonewire: Extension,
}

/// Our extension object (JSON Feed reserves keys starting with `_` for this).
#[derive(Serialize)]
struct Extension {
    provinces: Vec<String>,
    cooperation: bool,
    /// Whether `date_published` is only when we first saw the item.
    date_is_first_seen: bool,
    sources: Vec<SourceRef>,
}

#[derive(Serialize)]
struct SourceRef {
    id: String,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    link: String,
}

fn item(meta: &FeedMeta, story: &Story, sources: &Sources) -> JsonItem {
    let lead = &story.lead;
    let provinces = story.provinces();
    let mut tags: Vec<String> = provinces
        .iter()
        .map(|s| c(province_name(meta, s)))
        .collect();
    for cat in &lead.categories {
        let cat = c(cat);
        if !cat.trim().is_empty() && !tags.contains(&cat) {
            tags.push(cat);
        }
    }
    let summary = plain_summary(lead);
    let content_html = story_body_html(story, sources);
    // JSON Feed requires content_html or content_text; the summary (or, failing that,
    // the title) stands in when there is no body.
    let content_text = match content_html {
        Some(_) => None,
        None if !summary.is_empty() => Some(c(&summary)),
        None => Some(c(&lead.title)),
    };
    let reports = std::iter::once(lead).chain(story.others.iter());
    JsonItem {
        id: item_urn(lead),
        url: c(&lead.link),
        title: c(&lead.title),
        content_html,
        content_text,
        summary: (!summary.is_empty()).then(|| c(&summary)),
        image: lead
            .image
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(c),
        date_published: rfc3339_vn(&lead.published),
        date_modified: rfc3339_vn(&item_modified(lead)),
        authors: lead
            .authors
            .iter()
            .filter(|a| !a.trim().is_empty())
            .map(|a| Author { name: c(a) })
            .collect(),
        tags,
        _zonewire: Extension {
            provinces: provinces.iter().map(|s| c(s)).collect(),
            cooperation: story.is_cooperation(),
            date_is_first_seen: lead.date_is_first_seen,
            sources: reports
                .map(|it| {
                    let info = sources.get(&it.source);
                    SourceRef {
                        id: c(&it.source),
                        name: c(info.map(|s| s.name.as_str()).unwrap_or(&it.source)),
                        url: info.map(|s| c(&s.url)),
                        link: c(&it.link),
                    }
                })
                .collect(),
        },
    }
}

pub(super) fn render(meta: &FeedMeta, stories: &[Story], sources: &Sources) -> String {
    let feed = Feed {
        version: "https://jsonfeed.org/version/1.1",
        title: c(&meta.title),
        home_page_url: c(&format!("{}/", meta.base_url)),
        feed_url: c(&meta.self_url),
        next_url: meta.next_url.as_deref().map(c),
        description: (!meta.description.trim().is_empty()).then(|| c(&meta.description)),
        language: "vi",
        authors: vec![Author {
            name: c(&meta.title),
        }],
        items: stories.iter().map(|s| item(meta, s, sources)).collect(),
    };
    serde_json::to_string_pretty(&feed).unwrap_or_else(|e| {
        // Plain structs of strings and bools always serialise; log rather than panic.
        tracing::error!(error = %e, "writing JSON Feed failed");
        String::new()
    })
}

#[cfg(test)]
mod tests {
    use super::super::testdata::*;
    use super::*;
    use serde_json::Value;

    #[test]
    fn has_required_keys_and_extension() {
        let (meta, stories, sources) = fixture();
        let text = render(&meta, &stories, &sources);
        let v: Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(v["version"], "https://jsonfeed.org/version/1.1");
        assert_eq!(v["title"], meta.title.as_str());
        assert_eq!(v["home_page_url"], "http://127.0.0.1:8080/");
        assert_eq!(v["feed_url"], meta.self_url.as_str());
        assert_eq!(v["next_url"].as_str(), meta.next_url.as_deref());
        assert_eq!(v["language"], "vi");
        let items = v["items"].as_array().expect("items");
        assert_eq!(items.len(), 2);
        let it = &items[0];
        assert_eq!(it["id"], "urn:zonewire:a1b2c3");
        assert_eq!(it["title"], TITLE_VI);
        assert_eq!(it["url"], stories[0].lead.link.as_str());
        assert_eq!(it["date_published"], "2025-09-06T08:30:00+07:00");
        assert_eq!(it["date_modified"], "2025-09-06T09:00:00+07:00");
        assert_eq!(it["summary"], "Tóm tắt <ngắn> & rõ");
        assert_eq!(it["image"], "https://kkt.khanhhoa.gov.vn/img/a.jpg");
        assert!(
            it["content_html"]
                .as_str()
                .unwrap_or("")
                .contains(ALSO_REPORTED_VI)
        );
        assert_eq!(it["authors"][0]["name"], "Minh Anh");
        assert_eq!(
            it["tags"],
            serde_json::json!(["Khánh Hòa", "Hưng Yên", "Đầu tư"])
        );
        let z = &it["_zonewire"];
        assert_eq!(z["provinces"], serde_json::json!(["khanh-hoa", "hung-yen"]));
        assert_eq!(z["cooperation"], true);
        let ids: Vec<&str> = z["sources"]
            .as_array()
            .expect("sources")
            .iter()
            .filter_map(|s| s["id"].as_str())
            .collect();
        assert_eq!(ids, ["kh", "hy"]);
        assert_eq!(
            z["sources"][1]["link"],
            "https://bqlkcn.hungyen.gov.vn/tin/1"
        );
        // The second story has no body: content_text carries its summary.
        assert_eq!(items[1]["content_text"], "Tóm tắt 0f0f0f");
        assert!(items[1].get("content_html").is_none());
        assert_eq!(items[1]["_zonewire"]["cooperation"], false);
    }

    #[test]
    fn feed_rs_reads_it() {
        let (meta, stories, sources) = fixture();
        let text = render(&meta, &stories, &sources);
        let feed = feed_rs::parser::parse(text.as_bytes()).expect("feed-rs parses our JSON Feed");
        assert_eq!(feed.entries.len(), 2);
        let e = &feed.entries[0];
        assert_eq!(e.id, "urn:zonewire:a1b2c3");
        assert_eq!(e.title.as_ref().map(|t| t.content.as_str()), Some(TITLE_VI));
        assert_eq!(
            e.published.map(|d| d.to_rfc3339()),
            Some("2025-09-06T01:30:00+00:00".to_string())
        );
    }
}
