//! HTML news-list pages and article pages, read with CSS selectors and platform presets.
//!
//! STUB — to be completed (HTML helper). Signatures are the contract.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::model::RawEntry;

/// `[source.html]` as written in the config. Every field is optional: a `preset` fills
/// what is not given. Selectors may end in `@attr` to take an attribute instead of text.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HtmlConfig {
    pub preset: Option<String>,
    pub item: Option<String>,
    pub title: Option<String>,
    pub link: Option<String>,
    pub date: Option<String>,
    pub summary: Option<String>,
    pub image: Option<String>,
    /// Fetch each new item's article page for body, exact date and canonical link.
    pub follow: Option<bool>,
    pub body: Option<String>,
    /// Date selector on the article page.
    pub article_date: Option<String>,
    pub stop_at: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ExtractError {
    #[error("unknown preset {0:?} (known: {1})")]
    UnknownPreset(String, String),
    #[error("html.{field}: invalid selector {selector:?}: {reason}")]
    BadSelector {
        field: &'static str,
        selector: String,
        reason: String,
    },
    #[error("html.{0} is required (no preset gives it)")]
    Missing(&'static str),
    #[error("item selector {selector:?} matched nothing on the page (site redesigned?)")]
    NoItems { selector: String },
    #[error(
        "item selector {item:?} matched {count} blocks but link selector {link:?} found no link in any"
    )]
    NoLinks {
        item: String,
        link: String,
        count: usize,
    },
}

/// Compiled selectors for one source.
#[derive(Debug, Clone)]
pub struct HtmlRules {
    pub follow: bool,
}

impl HtmlRules {
    /// Apply the preset, then the per-field overrides, and compile every selector.
    pub fn compile(cfg: &HtmlConfig) -> Result<Self, ExtractError> {
        Ok(Self {
            follow: cfg.follow.unwrap_or(false),
        })
    }
}

/// Names of the built-in presets.
pub fn preset_names() -> Vec<&'static str> {
    Vec::new()
}

/// Entries of a list page. Links and images absolute against `page_url` (or `<base href>`).
/// Zero items, or items without links, is an error naming the selector.
pub fn extract_list(
    _html: &str,
    _page_url: &Url,
    _rules: &HtmlRules,
    _now: DateTime<FixedOffset>,
) -> Result<Vec<RawEntry>, ExtractError> {
    Ok(Vec::new())
}

/// What an article page adds to a list entry.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Article {
    /// Body HTML cut at the first `stop_at` marker, image-size artefacts removed (not yet
    /// sanitised).
    pub body_html: Option<String>,
    pub published: Option<DateTime<FixedOffset>>,
    pub canonical: Option<String>,
    pub title: Option<String>,
    pub image: Option<String>,
}

pub fn extract_article(
    _html: &str,
    _page_url: &Url,
    _rules: &HtmlRules,
    _now: DateTime<FixedOffset>,
) -> Article {
    Article::default()
}

/// True when the text looks like an HTML page rather than a feed.
pub fn looks_like_html(text: &str) -> bool {
    let head: String = text
        .chars()
        .take(1024)
        .collect::<String>()
        .to_ascii_lowercase();
    head.contains("<html") || head.contains("<!doctype html")
}

/// Feed links a page advertises (`<link rel="alternate" type="application/rss+xml">` …).
pub fn feed_links(_html: &str, _page_url: &Url) -> Vec<String> {
    Vec::new()
}

/// A selector set proposed for an unconfigured page, best first.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    pub item: String,
    pub title: String,
    pub link: String,
    pub date: Option<String>,
    pub count: usize,
    /// A few sample (title, link) pairs it extracts.
    pub samples: Vec<(String, String)>,
}

/// Find repeated link blocks on a page and propose item/title/link/date selectors.
pub fn suggest(_html: &str, _page_url: &Url) -> Vec<Suggestion> {
    Vec::new()
}
