//! Dates as Vietnamese sites write them: always day-first, always Asia/Ho_Chi_Minh.
//!
//! STUB — to be completed (HTML helper). Signatures are the contract.

use chrono::{DateTime, FixedOffset, Utc};

/// Parse a date/time written on a Vietnamese page (any form of vietnamese-sources.md §6,
/// weekday names ignored, day-first, naive times taken as +07:00). `now` is used to infer a
/// missing year (the nearest date not in the future). Also accepts RFC 2822 / RFC 3339.
pub fn parse_vn_date(_text: &str, _now: DateTime<FixedOffset>) -> Option<DateTime<FixedOffset>> {
    None
}

/// A date embedded in a URL (`/2020-6-10/`, `/20180111083111.aspx`, Hà Nội ids
/// `-4250410182811455.htm`), as +07:00.
pub fn date_from_url(_url: &str) -> Option<DateTime<FixedOffset>> {
    None
}

/// The `timestamp_parser` hook for feed-rs: lenient RFC forms first, then `parse_vn_date`.
pub fn parse_feed_timestamp(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc2822(text.trim())
        .or_else(|_| DateTime::parse_from_rfc3339(text.trim()))
        .ok()
        .map(|d| d.with_timezone(&Utc))
}
