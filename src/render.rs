//! Rendering stories as RSS 2.0, Atom 1.0, JSON Feed 1.1, HTML pages and OPML.
//!
//! STUB — to be completed (render helper). Signatures are the contract.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::model::{SourceInfo, SourceState, Story};

/// Channel-level facts for one rendered output.
#[derive(Debug, Clone, PartialEq)]
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
    /// Province slug → display name.
    pub province_names: HashMap<String, String>,
}

pub type Sources = HashMap<String, SourceInfo>;

pub fn rss(_meta: &FeedMeta, _stories: &[Story], _sources: &Sources) -> String {
    String::new()
}

pub fn atom(_meta: &FeedMeta, _stories: &[Story], _sources: &Sources) -> String {
    String::new()
}

pub fn json_feed(_meta: &FeedMeta, _stories: &[Story], _sources: &Sources) -> String {
    String::new()
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
    _meta: &FeedMeta,
    _stories: &[Story],
    _sources: &Sources,
    _filter: &PageFilter,
) -> String {
    String::new()
}

/// Source health page (`GET /sources`).
pub fn sources_page(_meta: &FeedMeta, _rows: &[(SourceInfo, SourceState)]) -> String {
    String::new()
}

/// The sources as OPML 2.0.
pub fn opml(_title: &str, _sources: &[SourceInfo], _base_url: &str) -> String {
    String::new()
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
pub fn parse_opml(_xml: &str) -> Result<Vec<Outline>, OpmlError> {
    Ok(Vec::new())
}
