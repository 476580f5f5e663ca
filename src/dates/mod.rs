//! Dates as Vietnamese sites write them: always day-first, always Asia/Ho_Chi_Minh.
//!
//! One scanner handles every form in vietnamese-sources.md §6: it finds the earliest
//! date-shaped token (day-first numeric, ISO `yyyy-mm-dd`, the formal `ngày … tháng … năm`,
//! or RFC 2822's `4 May 2026`), then looks for a time just after it (or just before it,
//! `16:03 | 15/06/2020`), then for an explicit offset after that. Weekday names are never
//! read, so a wrong weekday on the page cannot reject a good date.

use std::sync::LazyLock;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use regex::Regex;

use crate::model::vn_offset;

#[cfg(test)]
mod tests;

/// Day-first numeric date. The leading group stops `2025-09-06` or `192.168.1.1` from
/// yielding a false day/month; the trailing group stops `15/06/20201` from matching.
static DMY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?:^|[^0-9./\-])(\d{1,2})([/.\-])(\d{1,2})(?:([/.\-])(\d{4}|\d{2}))?(?:$|[^0-9./\-]|[./\-](?:$|[^0-9]))",
    )
    .expect("DMY regex")
});

/// Year-first (ISO and `yyyy/mm/dd`): a four-digit year first is never ambiguous.
static YMD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[^0-9])(\d{4})([\-/.])(\d{1,2})([\-/.])(\d{1,2})(?:$|[^0-9])")
        .expect("YMD regex")
});

/// `ngày 10 tháng 08 năm 2016` (formal documents).
static FORMAL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})(?:\s*(?:năm|,)\s*(\d{4}))?")
        .expect("FORMAL regex")
});

/// RFC 2822 / English `4 May 2026` (day-first with a month name).
static DAY_MONTH_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?:^|[^0-9])(\d{1,2})[\s\-]+(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?,?[\s\-]+(\d{4}|\d{2})(?:$|[^0-9])",
    )
    .expect("DAY_MONTH_NAME regex")
});

const TIME: &str = r"(\d{1,2})(?::|h)(\d{2})(?::(\d{2}))?(?:[.,]\d+)?(?:\s*(sa|ch|am|pm)\b)?";

/// A time shortly after the date (`, 08:30`, ` | 10:18:56`, `T08:30:00`, ` lúc 8h30`).
static TIME_AFTER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"^[^0-9]{{0,12}}?{TIME}")).expect("TIME_AFTER regex"));

/// A time shortly before the date (`16:03 | 15/06/2020`, `8h30 ngày 6/9/2025`).
static TIME_BEFORE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"{TIME}[^0-9]{{0,8}}$")).expect("TIME_BEFORE regex"));

/// An explicit offset right after the time: `(GMT+7)`, `[GMT +7]`, `+0700`, `+07:00`,
/// `GMT`, `UT`, `Z`, `ICT`.
static OFFSET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^[\s(\[,]*(?:(?:gmt|utc|ut)\s*(?:([+\-])\s*(\d{1,2})(?::?(\d{2}))?)?|([+\-])(\d{2}):?(\d{2})|(z)|(ict))(?:$|[^a-z0-9])",
    )
    .expect("OFFSET regex")
});

/// Words that make a year-less `16.6` a date rather than a number ("Ngày 16.6", "Sáng 14.9").
static YEARLESS_CUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:ngày|sáng|chiều|trưa|tối|đêm|rạng sáng|hôm|từ|đến)\s*$").expect("CUE regex")
});

/// Plausible years for text dates (URL dates are stricter, see `date_from_url`).
const MIN_YEAR: i32 = 1970;
const MAX_YEAR: i32 = 2100;

#[derive(Debug, Clone, Copy)]
struct Found {
    start: usize,
    end: usize,
    year: Option<i32>,
    month: u32,
    day: u32,
}

/// Lower-cased NFC with every kind of space as ASCII space and zero-width characters gone,
/// so NFD input and NBSP-separated dates parse like clean ones.
fn prepare(text: &str) -> String {
    crate::text::nfc_chars(text)
        .filter(|c| !matches!(c, '\u{200B}'..='\u{200D}' | '\u{FEFF}' | '\u{00AD}'))
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .flat_map(char::to_lowercase)
        .collect()
}

fn month_from_name(name: &str) -> Option<u32> {
    const NAMES: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    NAMES
        .iter()
        .position(|n| name.starts_with(n))
        .map(|i| i as u32 + 1)
}

fn two_digit_year(y: &str) -> Option<i32> {
    let v: i32 = y.parse().ok()?;
    Some(if y.len() == 2 { 2000 + v } else { v })
}

/// Every date-shaped token in the text, in no particular order.
fn candidates(s: &str) -> Vec<Found> {
    let mut out = Vec::new();
    for c in DMY.captures_iter(s) {
        let (Some(d), Some(sep1), Some(m)) = (c.get(1), c.get(2), c.get(3)) else {
            continue;
        };
        let year = match (c.get(4), c.get(5)) {
            (Some(sep2), Some(y)) => {
                // `06/9-2025` is not a date anyone writes; mixed separators are noise.
                if sep2.as_str() != sep1.as_str() {
                    continue;
                }
                two_digit_year(y.as_str())
            }
            _ => {
                // A year-less `16-6` is too often a score or a range; only `/` and `.`.
                if sep1.as_str() == "-" {
                    continue;
                }
                None
            }
        };
        let end = c.get(5).map_or(m.end(), |y| y.end());
        let (Ok(day), Ok(month)) = (d.as_str().parse(), m.as_str().parse()) else {
            continue;
        };
        out.push(Found {
            start: d.start(),
            end,
            year,
            month,
            day,
        });
    }
    for c in YMD.captures_iter(s) {
        let (Some(y), Some(sep1), Some(m), Some(sep2), Some(d)) =
            (c.get(1), c.get(2), c.get(3), c.get(4), c.get(5))
        else {
            continue;
        };
        if sep1.as_str() != sep2.as_str() {
            continue;
        }
        let (Ok(year), Ok(month), Ok(day)) =
            (y.as_str().parse(), m.as_str().parse(), d.as_str().parse())
        else {
            continue;
        };
        out.push(Found {
            start: y.start(),
            end: d.end(),
            year: Some(year),
            month,
            day,
        });
    }
    for c in FORMAL.captures_iter(s) {
        let (Some(all), Some(d), Some(m)) = (c.get(0), c.get(1), c.get(2)) else {
            continue;
        };
        let year = c.get(3).and_then(|y| y.as_str().parse().ok());
        let (Ok(day), Ok(month)) = (d.as_str().parse(), m.as_str().parse()) else {
            continue;
        };
        out.push(Found {
            start: all.start(),
            end: all.end(),
            year,
            month,
            day,
        });
    }
    for c in DAY_MONTH_NAME.captures_iter(s) {
        let (Some(d), Some(m), Some(y)) = (c.get(1), c.get(2), c.get(3)) else {
            continue;
        };
        let (Ok(day), Some(month), Some(year)) = (
            d.as_str().parse(),
            month_from_name(m.as_str()),
            two_digit_year(y.as_str()),
        ) else {
            continue;
        };
        out.push(Found {
            start: d.start(),
            end: y.end(),
            year: Some(year),
            month,
            day,
        });
    }
    out.sort_by_key(|f| (f.start, std::cmp::Reverse(f.end)));
    out
}

/// (hour, minute, second) from TIME captures, applying SA/CH/AM/PM.
fn time_from(c: &regex::Captures<'_>) -> Option<(u32, u32, u32)> {
    let mut h: u32 = c.get(1)?.as_str().parse().ok()?;
    let m: u32 = c.get(2)?.as_str().parse().ok()?;
    let sec: u32 = c.get(3).map_or(Some(0), |x| x.as_str().parse().ok())?;
    match c.get(4).map(|x| x.as_str()) {
        Some("sa" | "am") => {
            if h > 12 {
                return None;
            }
            if h == 12 {
                h = 0;
            }
        }
        Some("ch" | "pm") => {
            if h > 12 {
                return None;
            }
            if h < 12 {
                h += 12;
            }
        }
        _ => {}
    }
    (h < 24 && m < 60 && sec < 60).then_some((h, m, sec))
}

fn offset_from(c: &regex::Captures<'_>) -> Option<FixedOffset> {
    let secs = if let (Some(sign), Some(h)) = (c.get(1), c.get(2)) {
        let h: i32 = h.as_str().parse().ok()?;
        let m: i32 = c.get(3).map_or(Some(0), |m| m.as_str().parse().ok())?;
        let v = h * 3600 + m * 60;
        if sign.as_str() == "-" { -v } else { v }
    } else if let (Some(sign), Some(h), Some(m)) = (c.get(4), c.get(5), c.get(6)) {
        let h: i32 = h.as_str().parse().ok()?;
        let m: i32 = m.as_str().parse().ok()?;
        let v = h * 3600 + m * 60;
        if sign.as_str() == "-" { -v } else { v }
    } else if c.get(8).is_some() {
        crate::model::VN_OFFSET_SECS
    } else {
        // Bare GMT / UTC / UT / Z.
        0
    };
    if secs.abs() > 14 * 3600 {
        return None;
    }
    FixedOffset::east_opt(secs)
}

/// The year to give `day/month` so the date is the nearest one not after `today`.
fn infer_year(day: u32, month: u32, today: NaiveDate) -> Option<i32> {
    // Eight years back is enough to reach a 29 February.
    (0..8)
        .map(|back| today.year() - back)
        .find(|&y| NaiveDate::from_ymd_opt(y, month, day).is_some_and(|d| d <= today))
}

/// Parse a date/time written on a Vietnamese page (any form of vietnamese-sources.md §6,
/// weekday names ignored, day-first, naive times taken as +07:00). `now` is used to infer a
/// missing year (the nearest date not in the future). Also accepts RFC 2822 / RFC 3339.
pub fn parse_vn_date(text: &str, now: DateTime<FixedOffset>) -> Option<DateTime<FixedOffset>> {
    let s = prepare(text);
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let today = now.with_timezone(&vn_offset()).date_naive();
    for f in candidates(s) {
        if let Some(dt) = resolve(s, f, today) {
            return Some(dt);
        }
    }
    None
}

/// Turn one candidate into an instant, or None when it is not a real date.
fn resolve(s: &str, f: Found, today: NaiveDate) -> Option<DateTime<FixedOffset>> {
    if !(1..=12).contains(&f.month) || !(1..=31).contains(&f.day) {
        return None;
    }
    let before = &s[..f.start];
    let after = &s[f.end..];

    let mut tail_from = f.end;
    let mut time = None;
    let mut time_span = None;
    if let Some(c) = TIME_AFTER.captures(after) {
        // A time-shaped token right after the date that is not a real time (`25:61`)
        // means the text is garbage, not that the time is missing.
        let t = time_from(&c)?;
        time = Some(t);
        let end = c.get(0).map_or(0, |m| m.end());
        tail_from = f.end + end;
        time_span = Some((f.end, f.end + end));
    }
    if time.is_none()
        && let Some(c) = TIME_BEFORE.captures(before)
        && let Some(t) = time_from(&c)
    {
        time = Some(t);
        let start = c.get(0).map_or(f.start, |m| m.start());
        time_span = Some((start, f.start));
    }

    let year = match f.year {
        Some(y) => y,
        None => {
            // `16.6` alone or after a cue word is a date; inside other text it is more
            // likely a number (`tăng 1.5 lần`, a version), so refuse it there.
            let cued = YEARLESS_CUE.is_match(before);
            let rest_has_words = s
                .char_indices()
                .filter(|(i, _)| {
                    !(f.start..f.end).contains(i)
                        && !time_span.is_some_and(|(a, b)| (a..b).contains(i))
                })
                .any(|(_, c)| c.is_alphanumeric());
            if !cued && rest_has_words {
                return None;
            }
            infer_year(f.day, f.month, today)?
        }
    };
    if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(year, f.month, f.day)?;
    let (h, m, sec) = time.unwrap_or((0, 0, 0));
    let naive: NaiveDateTime = date.and_hms_opt(h, m, sec)?;
    let offset = if time.is_some() {
        OFFSET
            .captures(&s[tail_from..])
            .and_then(|c| offset_from(&c))
            .unwrap_or_else(vn_offset)
    } else {
        vn_offset()
    };
    offset.from_local_datetime(&naive).single()
}

static URL_YMD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"/(\d{4})[\-/](\d{1,2})[\-/](\d{1,2})(?:/|$|[^0-9])").expect("URL_YMD regex")
});
/// SharePoint page names: `/Pages/20180111083111.aspx`.
static URL_STAMP: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"/(\d{14})\.aspx").expect("URL_STAMP regex"));
/// Hà Nội article ids: `-4` + yyMMddHHmmss + 3 digits.
static URL_HANOI: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"-4(\d{12})\d{3}\.html?(?:$|[?#])").expect("URL_HANOI regex"));

/// A date embedded in a URL (`/2020-6-10/`, `/20180111083111.aspx`, Hà Nội ids
/// `-4250410182811455.htm`), as +07:00.
pub fn date_from_url(url: &str) -> Option<DateTime<FixedOffset>> {
    let max_year = Utc::now().with_timezone(&vn_offset()).year() + 1;
    let make = |y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32| {
        if !(1995..=max_year).contains(&y) {
            return None;
        }
        let naive = NaiveDate::from_ymd_opt(y, mo, d)?.and_hms_opt(h, mi, s)?;
        vn_offset().from_local_datetime(&naive).single()
    };
    let num = |s: &str, a: usize, b: usize| s.get(a..b).and_then(|x| x.parse::<u32>().ok());
    if let Some(c) = URL_STAMP.captures(url) {
        let s = c.get(1).map_or("", |m| m.as_str());
        let y = num(s, 0, 4)? as i32;
        if let Some(dt) = make(
            y,
            num(s, 4, 6)?,
            num(s, 6, 8)?,
            num(s, 8, 10)?,
            num(s, 10, 12)?,
            num(s, 12, 14)?,
        ) {
            return Some(dt);
        }
    }
    if let Some(c) = URL_HANOI.captures(url) {
        let s = c.get(1).map_or("", |m| m.as_str());
        let y = 2000 + num(s, 0, 2)? as i32;
        if let Some(dt) = make(
            y,
            num(s, 2, 4)?,
            num(s, 4, 6)?,
            num(s, 6, 8)?,
            num(s, 8, 10)?,
            num(s, 10, 12)?,
        ) {
            return Some(dt);
        }
    }
    for c in URL_YMD.captures_iter(url) {
        let parts = (c.get(1), c.get(2), c.get(3));
        let (Some(y), Some(m), Some(d)) = parts else {
            continue;
        };
        let (Ok(y), Ok(m), Ok(d)) = (y.as_str().parse(), m.as_str().parse(), d.as_str().parse())
        else {
            continue;
        };
        if let Some(dt) = make(y, m, d, 0, 0, 0) {
            return Some(dt);
        }
    }
    None
}

/// The `timestamp_parser` hook for feed-rs: lenient RFC forms first, then `parse_vn_date`.
pub fn parse_feed_timestamp(text: &str) -> Option<DateTime<Utc>> {
    let t = text.trim();
    DateTime::parse_from_rfc2822(t)
        .or_else(|_| DateTime::parse_from_rfc3339(t))
        .ok()
        .or_else(|| parse_vn_date(t, Utc::now().with_timezone(&vn_offset())))
        .map(|d| d.with_timezone(&Utc))
}
