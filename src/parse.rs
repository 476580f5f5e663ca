//! Feeds (RSS 0.9x/1.0/2.0, Atom, JSON Feed) → `RawEntry`, via feed-rs, with
//! `crate::recover` as the liberal fallback.
//!
//! feed-rs gets raw bytes (see `charset::feed_bytes`) with `base_uri` set, our own date
//! parser as its `timestamp_parser`, and an id generator whose ids we recognise and throw
//! away: an id feed-rs invents is not the source's, and identity is computed later from
//! the strongest real key (design.md).

use std::time::Duration;

use chrono::{DateTime, FixedOffset, Utc};
use url::Url;

use crate::model::{RawEntry, vn_offset};

/// Marks ids feed-rs generated for entries without a guid.
const GENERATED_ID: &str = "zonewire-generated-id";

/// Hard limits that keep one hostile document from hurting the daemon.
pub const MAX_ENTRIES: usize = 5_000;
const PARSE_TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ParseError {
    #[error("not a feed: {0}")]
    NotAFeed(String),
    #[error("feed parse error: {0}")]
    Invalid(String),
    #[error("feed parser crashed on this document: {0}")]
    Panicked(String),
    #[error("parsing took longer than {0:?}")]
    Timeout(Duration),
}

/// A parsed feed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedFeed {
    pub title: Option<String>,
    pub entries: Vec<RawEntry>,
    /// RSS `<ttl>`.
    pub ttl: Option<Duration>,
    /// Entries beyond `MAX_ENTRIES` that were dropped.
    pub truncated: usize,
}

/// True when the bytes start like a feed document (XML or JSON), after any BOM and
/// whitespace. HTML pages are not feeds even though they start with `<`.
pub fn looks_like_feed(body: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&body[..body.len().min(2048)]).to_ascii_lowercase();
    let head = head.trim_start_matches('\u{feff}').trim_start();
    if head.starts_with('{') {
        return head.contains("jsonfeed") || head.contains("\"items\"");
    }
    (head.contains("<rss")
        || head.contains("<feed")
        || head.contains("<rdf:rdf")
        || head.contains("<channel"))
        && !head.contains("<html")
}

/// Parse feed bytes (already passed through `charset::feed_bytes`). Blocking and CPU
/// bound: call it from `spawn_blocking` (see `parse_feed_async`).
pub fn parse_feed(body: &[u8], base: &Url) -> Result<ParsedFeed, ParseError> {
    let parser = feed_rs::parser::Builder::new()
        .base_uri(Some(base.as_str()))
        .timestamp_parser(crate::dates::parse_feed_timestamp)
        .id_generator(|_links, _title, _uri| GENERATED_ID.to_string())
        .build();
    // feed-rs has panicked on real input (a UTF-16 BOM disagreeing with the declaration);
    // one bad document must never take the daemon down.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| parser.parse(body)));
    let feed = match result {
        Ok(Ok(feed)) => feed,
        Ok(Err(e)) => {
            let msg = e.to_string();
            return Err(
                if msg.contains("no root element")
                    || msg.contains("unsupported")
                    || msg.contains("Unknown")
                {
                    ParseError::NotAFeed(msg)
                } else {
                    ParseError::Invalid(msg)
                },
            );
        }
        Err(panic) => {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown panic".into());
            return Err(ParseError::Panicked(msg));
        }
    };
    let total = feed.entries.len();
    let entries: Vec<RawEntry> = feed
        .entries
        .into_iter()
        .take(MAX_ENTRIES)
        .map(convert)
        .collect();
    Ok(ParsedFeed {
        title: feed.title.map(|t| t.content),
        truncated: total.saturating_sub(entries.len()),
        entries,
        ttl: feed.ttl.map(|m| Duration::from_secs(u64::from(m) * 60)),
    })
}

/// The whole feed path the daemon uses for a fetched body: charset handling (raw bytes
/// when the document declares its encoding, transcoding otherwise), parsing with feed-rs,
/// then `recover` for what feed-rs rejects or drops.
/// `content_type` is the HTTP Content-Type header, if any. Blocking.
pub fn feed_entries(
    body: &[u8],
    content_type: Option<&str>,
    base: &Url,
) -> Result<ParsedFeed, ParseError> {
    let header_charset = content_type.and_then(crate::charset::charset_from_content_type);
    let bytes = crate::charset::feed_bytes(body, header_charset.as_deref());
    let first = parse_feed(&bytes, base);
    // feed-rs is strict where feeds are not: what it rejects, panics on or reads as empty
    // is repaired and, failing that, read by a tolerant extractor (see `recover`).
    crate::recover::recover(body, header_charset.as_deref(), base, first)
}

/// `feed_entries` off the async runtime, under a time limit.
pub async fn parse_feed_async(
    body: bytes::Bytes,
    content_type: Option<String>,
    base: Url,
) -> Result<ParsedFeed, ParseError> {
    let task =
        tokio::task::spawn_blocking(move || feed_entries(&body, content_type.as_deref(), &base));
    match tokio::time::timeout(PARSE_TIMEOUT, task).await {
        Ok(Ok(result)) => result,
        Ok(Err(join)) => Err(ParseError::Panicked(join.to_string())),
        Err(_) => Err(ParseError::Timeout(PARSE_TIMEOUT)),
    }
}

fn to_vn(d: DateTime<Utc>) -> DateTime<FixedOffset> {
    d.with_timezone(&vn_offset())
}

fn convert(e: feed_rs::model::Entry) -> RawEntry {
    let guid = Some(e.id.trim().to_string()).filter(|id| !id.is_empty() && id != GENERATED_ID);
    let link = e
        .links
        .iter()
        .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
        .or_else(|| e.links.first())
        .map(|l| l.href.clone());
    let image = e.media.iter().find_map(|m| {
        m.thumbnails
            .first()
            .map(|t| t.image.uri.clone())
            .or_else(|| {
                m.content
                    .iter()
                    .find(|c| {
                        c.content_type
                            .as_ref()
                            .is_some_and(|t| t.ty().as_str() == "image")
                    })
                    .and_then(|c| c.url.as_ref().map(|u| u.to_string()))
            })
    });
    RawEntry {
        guid,
        title: e.title.map(|t| t.content).unwrap_or_default(),
        link,
        published: e.published.or(e.updated).map(to_vn),
        updated: e.updated.map(to_vn),
        summary: e.summary.map(|s| s.content),
        content: e.content.and_then(|c| c.body),
        authors: e
            .authors
            .into_iter()
            .filter_map(|a| a.name)
            .filter(|n| !n.trim().is_empty())
            .collect(),
        categories: e
            .categories
            .into_iter()
            .map(|c| c.label.unwrap_or(c.term))
            .filter(|c| !c.trim().is_empty())
            .collect(),
        image,
        canonical: None,
        unparsed_date: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://example.vn/feed.xml").unwrap()
    }

    #[test]
    fn rss_without_guids_gets_no_invented_guid() {
        let xml = br#"<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>
            <item><title>Tin A</title><link>/a.html</link><pubDate>Sat, 06 Sep 2025 08:30:00 +0700</pubDate></item>
            <item><title>Tin B</title><link>https://example.vn/b.html</link><guid>b-1</guid></item>
            </channel></rss>"#;
        let f = parse_feed(xml, &base()).unwrap();
        assert_eq!(f.entries.len(), 2);
        assert_eq!(f.entries[0].guid, None);
        assert_eq!(
            f.entries[0].link.as_deref(),
            Some("https://example.vn/a.html")
        );
        assert_eq!(
            f.entries[0].published.unwrap().to_rfc3339(),
            "2025-09-06T08:30:00+07:00"
        );
        assert_eq!(f.entries[1].guid.as_deref(), Some("b-1"));
    }

    #[test]
    fn html_is_not_a_feed() {
        assert!(!looks_like_feed(
            b"<!doctype html><html><body>x</body></html>"
        ));
        assert!(looks_like_feed(
            b"\xef\xbb\xbf  <?xml version=\"1.0\"?><rss version=\"2.0\">"
        ));
        assert!(looks_like_feed(
            br#"{"version":"https://jsonfeed.org/version/1.1","items":[]}"#
        ));
        assert!(parse_feed(b"<html><body>oops</body></html>", &base()).is_err());
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(parse_feed(b"\x00\x01\x02garbage", &base()).is_err());
        assert!(parse_feed(b"", &base()).is_err());
    }
}
