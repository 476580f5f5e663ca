//! `RawEntry` → identified, cleaned item candidate: every string cleaned (NFC, invisibles,
//! entities), links canonical, HTML sanitised, date in +07:00 (or first-seen), provinces
//! tagged, identity keys and fingerprint computed. Pure: no I/O.

use chrono::{DateTime, Utc};
use url::Url;

use crate::dedup::{self, Fingerprint};
use crate::model::{Item, RawEntry, vn_offset};
use crate::{dates, provinces, sanitize, text, urlnorm};

/// Length of body text kept in the search index (title and summary are always kept).
const SEARCH_BODY_CHARS: usize = 600;
/// Syllables of lead text used for the near-duplicate fingerprint.
const LEAD_CHARS: usize = 400;

/// A normalised entry, ready for dedup and storage. `item.id` is empty until the dedup
/// stage decides whether it is new.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub item: Item,
    /// Identity keys, strongest first.
    pub keys: Vec<String>,
    pub fingerprint: Fingerprint,
    /// Folded text for `q=`.
    pub search: String,
    pub mojibake: bool,
    /// The source gave no usable date; `published` is the first-seen time.
    pub date_missing: bool,
}

/// Normalise one entry of source `source_id` (province slug `source_province`). `base` is
/// the page or feed URL that relative links resolve against. `None` when the entry has
/// neither a title nor a link (nothing a reader could use).
pub fn normalize(
    entry: RawEntry,
    source_id: &str,
    source_province: Option<&str>,
    base: &Url,
    now: DateTime<Utc>,
) -> Option<Candidate> {
    let link = entry
        .canonical
        .as_deref()
        .and_then(|c| urlnorm::canonicalize(c, Some(base)))
        .or_else(|| {
            entry
                .link
                .as_deref()
                .and_then(|l| urlnorm::canonicalize(l, Some(base)))
        });
    let title = text::html_to_text(&entry.title);
    if title.is_empty() && link.is_none() {
        return None;
    }
    let article_base = link.as_deref().and_then(|l| Url::parse(l).ok());
    let summary_html = entry.summary.unwrap_or_default();
    let summary = text::html_to_text(&summary_html);
    let content_html = entry
        .content
        .filter(|c| !c.trim().is_empty())
        .map(|c| sanitize::sanitize_html(&c, article_base.as_ref().or(Some(base))))
        .filter(|c| !c.trim().is_empty());
    let body_text = content_html
        .as_deref()
        .map(text::html_to_text)
        .unwrap_or_default();

    let url_date = link.as_deref().and_then(dates::date_from_url);
    let date_missing = entry.published.is_none() && url_date.is_none();
    let published = entry
        .published
        .or(url_date)
        .unwrap_or_else(|| now.with_timezone(&vn_offset()));
    // A date in the future is a source's clock or parser error; clamp it to now so it
    // cannot pin itself to the top of every feed.
    let published = if published.with_timezone(&Utc) > now + chrono::Duration::hours(1) {
        now.with_timezone(&vn_offset())
    } else {
        published
    };

    let mut provinces: Vec<String> = source_province
        .map(|p| vec![p.to_string()])
        .unwrap_or_default();
    let tag_text = format!("{title}\n{summary}\n{body_text}");
    for slug in provinces::tag(&tag_text) {
        if !provinces.iter().any(|p| p == slug) {
            provinces.push(slug.to_string());
        }
    }

    let mojibake = text::has_mojibake(&title) || text::has_mojibake(&summary);
    let lead_source = if summary.is_empty() {
        &body_text
    } else {
        &summary
    };
    let lead: String = lead_source.chars().take(LEAD_CHARS).collect();
    let fingerprint = dedup::fingerprint(&title, &lead);
    let body_prefix: String = body_text.chars().take(SEARCH_BODY_CHARS).collect();
    let search = text::fold(&format!("{title} {summary} {body_prefix}"));
    let guid = entry
        .guid
        .map(|g| text::normalize_text(&g))
        .filter(|g| !g.is_empty());
    let keys = dedup::identity_keys(
        source_id,
        guid.as_deref(),
        link.as_deref(),
        &title,
        (!date_missing).then_some(published),
    );
    let clean_list = |v: Vec<String>| -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for s in v
            .iter()
            .map(|s| text::normalize_text(s))
            .filter(|s| !s.is_empty())
        {
            if !out.contains(&s) {
                out.push(s);
            }
        }
        out
    };
    let item = Item {
        id: String::new(),
        source: source_id.to_string(),
        title: if title.is_empty() {
            link.clone().unwrap_or_default()
        } else {
            title
        },
        link: link.unwrap_or_else(|| base.to_string()),
        published,
        date_is_first_seen: date_missing,
        first_seen: now,
        updated: None,
        summary,
        content_html,
        authors: clean_list(entry.authors),
        categories: clean_list(entry.categories),
        image: entry
            .image
            .as_deref()
            .and_then(|i| urlnorm::canonicalize(i, article_base.as_ref().or(Some(base)))),
        provinces,
        revisions: Vec::new(),
    };
    Some(Candidate {
        item,
        keys,
        fingerprint,
        search,
        mojibake,
        date_missing,
    })
}
