//! The plain types that flow between stages (see design.md, "Data flows one way").
//!
//! `RawEntry` is what a parser or extractor saw on the wire; `Item` is the normalised,
//! identified record the store keeps; `Story` is what the feeds publish: one lead item
//! plus every other source that reported the same event.

use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};

/// Vietnam has used UTC+7 without daylight saving since 1975, so a fixed offset is exact
/// for every date this product sees (and avoids embedding the tz database).
pub const VN_OFFSET_SECS: i32 = 7 * 3600;

/// The Asia/Ho_Chi_Minh offset.
pub fn vn_offset() -> FixedOffset {
    // A constant 7 h is always valid; `east_opt` only fails outside ±24 h.
    FixedOffset::east_opt(VN_OFFSET_SECS).expect("UTC+7 is a valid offset")
}

/// One entry as a feed parser or an HTML extractor produced it, before normalisation.
/// Strings may still hold entities, odd whitespace or NFD text; URLs are absolute
/// (resolved against the page or feed URL) but not canonicalised.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawEntry {
    /// The source's own identifier (RSS guid, Atom id, JSON Feed id) when the source
    /// really gave one; never an id invented by the parser.
    pub guid: Option<String>,
    pub title: String,
    pub link: Option<String>,
    pub published: Option<DateTime<FixedOffset>>,
    pub updated: Option<DateTime<FixedOffset>>,
    /// Short summary, HTML or plain text.
    pub summary: Option<String>,
    /// Full body as HTML, when known.
    pub content: Option<String>,
    pub authors: Vec<String>,
    pub categories: Vec<String>,
    /// Absolute URL of a lead image.
    pub image: Option<String>,
    /// `<link rel=canonical>` of the article page, when an article page was read.
    pub canonical: Option<String>,
    /// Raw date text that could not be parsed (kept so the failure can be reported).
    pub unparsed_date: Option<String>,
}

/// A previous version of an item, kept when the source edits it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Revision {
    pub title: String,
    pub summary: String,
    pub content_html: Option<String>,
    /// When this revision was replaced.
    pub replaced_at: DateTime<Utc>,
}

/// A normalised, identified item: what the store keeps and the feeds publish.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// Stable id (hex), derived from the strongest key the source offers; never changes.
    pub id: String,
    /// Config id of the source that reported it.
    pub source: String,
    /// Plain text, NFC, cleaned.
    pub title: String,
    /// Link to the original article (canonical form).
    pub link: String,
    /// Publication time in +07:00.
    pub published: DateTime<FixedOffset>,
    /// True when the source gave no usable date and `published` is the first-seen time.
    pub date_is_first_seen: bool,
    pub first_seen: DateTime<Utc>,
    /// Set when the source changed the item after we first stored it.
    pub updated: Option<DateTime<Utc>>,
    /// Plain-text summary (may be empty).
    pub summary: String,
    /// Sanitised HTML body, when known.
    pub content_html: Option<String>,
    pub authors: Vec<String>,
    /// The source's own categories (plain text).
    pub categories: Vec<String>,
    pub image: Option<String>,
    /// Province slugs (see `provinces`): the source's province first, then every
    /// province the text names, without repeats.
    pub provinces: Vec<String>,
    /// Earlier versions, oldest first.
    #[serde(default)]
    pub revisions: Vec<Revision>,
}

impl Item {
    /// Items that name two or more provinces are what analysts call cooperation items.
    pub fn is_cooperation(&self) -> bool {
        self.provinces.len() >= 2
    }
}

/// One event as the feeds publish it: the earliest report leads, the others are
/// listed as "also reported by".
#[derive(Debug, Clone, PartialEq)]
pub struct Story {
    pub lead: Item,
    /// Other reports of the same event, oldest first.
    pub others: Vec<Item>,
}

impl Story {
    /// Provinces of every report, lead's first, without repeats.
    pub fn provinces(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for item in std::iter::once(&self.lead).chain(self.others.iter()) {
            for p in &item.provinces {
                if !out.contains(p) {
                    out.push(p.clone());
                }
            }
        }
        out
    }

    pub fn is_cooperation(&self) -> bool {
        self.provinces().len() >= 2
    }

    /// Source ids of every report, lead's first.
    pub fn sources(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for item in std::iter::once(&self.lead).chain(self.others.iter()) {
            if !out.contains(&item.source) {
                out.push(item.source.clone());
            }
        }
        out
    }
}

/// What the output side needs to know about a source (from the config).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceInfo {
    pub id: String,
    pub name: String,
    /// The URL we poll (after any remembered permanent redirect).
    pub url: String,
    /// Province slug of the source, if it has one.
    pub province: Option<String>,
    /// "feed", "html" or "auto".
    pub kind: String,
}

/// What we remember about a source between polls (persisted in the store).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SourceState {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// Hash of the last body we processed, to skip work when a server ignores validators.
    pub body_hash: Option<String>,
    /// Where a permanent redirect (301/308) sent us; polled instead of the configured URL.
    pub effective_url: Option<String>,
    /// The configured URL the effective URL was learned for (a config change resets it).
    pub configured_url: Option<String>,
    pub next_poll: Option<DateTime<Utc>>,
    pub last_attempt: Option<DateTime<Utc>>,
    pub last_success: Option<DateTime<Utc>>,
    /// "new", "updated", "unchanged", "not-modified" or "error".
    pub last_status: Option<String>,
    pub last_error: Option<String>,
    pub consecutive_failures: u32,
    /// Items this source has contributed (new ones only).
    pub items_seen: u64,
    /// Dates we could not parse and replaced with the first-seen time.
    pub unparsed_dates: u64,
    /// Items rejected or flagged for mojibake.
    pub mojibake: u64,
}
