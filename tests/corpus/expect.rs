//! What the corpus says a correct reader yields, in the forms we can check: feedparser
//! `Expect:` expressions (parsed, not evaluated), other projects' `title=… entries=N`
//! lines, and upstream expected-output JSON.

use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};
use regex::Regex;
use unicode_normalization::UnicodeNormalization;
use url::Url;
use zonewire::model::RawEntry;
use zonewire::parse::ParsedFeed;

#[derive(Debug, Clone)]
pub enum Check {
    Count(usize),
    FeedTitle(String),
    EntryTitle(String),
    EntryTitles(Vec<Option<String>>),
    Link(String),
    Guid(String),
    Date(DateTime<Utc>),
}

/// Checks from one statement; with `any`, one passing check is enough (Python `or`).
#[derive(Debug, Clone)]
pub struct Group {
    pub source: &'static str,
    pub any: bool,
    pub checks: Vec<Check>,
}

/// Python string literals replaced by `\x01N\x02` placeholders, and their values.
fn py_strings(expr: &str) -> (String, Vec<String>) {
    let chars: Vec<char> = expr.chars().collect();
    let mut skeleton = String::new();
    let mut strings = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let q = chars[i];
        if q != '\'' && q != '"' {
            skeleton.push(q);
            i += 1;
            continue;
        }
        let triple = chars.get(i + 1) == Some(&q) && chars.get(i + 2) == Some(&q);
        let qlen = if triple { 3 } else { 1 };
        i += qlen;
        let mut s = String::new();
        while i < chars.len() {
            let c = chars[i];
            if c == q && (!triple || (chars.get(i + 1) == Some(&q) && chars.get(i + 2) == Some(&q)))
            {
                i += qlen;
                break;
            }
            if c == '\\' && i + 1 < chars.len() {
                let e = chars[i + 1];
                let hex = |n: usize| -> Option<char> {
                    let h: String = chars.get(i + 2..i + 2 + n)?.iter().collect();
                    u32::from_str_radix(&h, 16).ok().and_then(char::from_u32)
                };
                let (ch, used) = match e {
                    'n' => (Some('\n'), 2),
                    't' => (Some('\t'), 2),
                    'r' => (Some('\r'), 2),
                    'x' => (hex(2), 4),
                    'u' => (hex(4), 6),
                    'U' => (hex(8), 10),
                    other => (Some(other), 2),
                };
                if let Some(ch) = ch {
                    s.push(ch);
                }
                i += used;
                continue;
            }
            s.push(c);
            i += 1;
        }
        skeleton.push_str(&format!("\x01{}\x02", strings.len()));
        strings.push(s);
    }
    (skeleton, strings)
}

/// Parse a feedparser `Expect:` expression into the checks we can make; the second value
/// counts the comparisons we could not check.
pub fn feedparser_checks(expr: &str, origin: &str) -> (Option<Group>, usize) {
    let (sk, strings) = py_strings(expr);
    let path_re = Regex::new(
        r"(feed|entries\[0\])((?:\[\x01\d+\x02\]|\[\d+\]|\.\w+)*)\s*==\s*((?:\x01\d+\x02(?:\s*\+\s*\x01\d+\x02)*)|\([\d,\s]+\))",
    )
    .unwrap();
    let seg_re = Regex::new(r"\[\x01(\d+)\x02\]|\[(\d+)\]|\.(\w+)").unwrap();
    let str_re = Regex::new(r"\x01(\d+)\x02").unwrap();
    let len_re = Regex::new(r"len\(entries\)\s*==\s*(\d+)").unwrap();
    let total = sk.matches("==").count();
    let mut checks = Vec::new();
    let mut checked = 0;
    for c in len_re.captures_iter(&sk) {
        checks.push(Check::Count(c[1].parse().unwrap()));
        checked += 1;
    }
    for c in path_re.captures_iter(&sk) {
        let path: Vec<String> = seg_re
            .captures_iter(&c[2])
            .map(|s| {
                s.get(1)
                    .map(|m| strings[m.as_str().parse::<usize>().unwrap()].clone())
                    .or_else(|| s.get(2).map(|m| m.as_str().to_string()))
                    .or_else(|| s.get(3).map(|m| m.as_str().to_string()))
                    .unwrap_or_default()
            })
            .collect();
        let value: String = str_re
            .captures_iter(&c[3])
            .map(|m| strings[m[1].parse::<usize>().unwrap()].clone())
            .collect();
        let value = value.replace("http://127.0.0.1:8097", origin);
        let key = format!("{} {}", &c[1], path.join("."));
        let check = match key.as_str() {
            "feed title" => Some(Check::FeedTitle(value)),
            "entries[0] title" => Some(Check::EntryTitle(value)),
            "entries[0] link" | "entries[0] links.0.href" => Some(Check::Link(value)),
            "entries[0] id" | "entries[0] guid" => Some(Check::Guid(value)),
            "entries[0] published" | "entries[0] updated" => parse_date(&value).map(Check::Date),
            "entries[0] updated_parsed" | "entries[0] published_parsed" => {
                parse_time_tuple(&c[3]).map(Check::Date)
            }
            _ => None,
        };
        if let Some(check) = check {
            checks.push(check);
            checked += 1;
        }
    }
    let any = sk.contains(" or ");
    let group = (!checks.is_empty()).then_some(Group {
        source: "MANIFEST feedparser Expect",
        any,
        checks,
    });
    (group, total.saturating_sub(checked))
}

fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc2822(s)
        .or_else(|_| DateTime::parse_from_rfc3339(s))
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// `(2003, 12, 31, 10, 14, 55, 2, 365, 0)` → the UTC instant.
fn parse_time_tuple(s: &str) -> Option<DateTime<Utc>> {
    let n: Vec<u32> = s
        .trim_matches(|c| c == '(' || c == ')')
        .split(',')
        .filter_map(|p| p.trim().parse().ok())
        .collect();
    let d = NaiveDate::from_ymd_opt(*n.first()? as i32, *n.get(1)?, *n.get(2)?)?;
    Some(d.and_hms_opt(*n.get(3)?, *n.get(4)?, *n.get(5)?)?.and_utc())
}

/// `feed-rs serde: feed_type=RSS0 title='X' entries=1`, `rss-parser(js) output: title='X'
/// items=40`, `gofeed parser_test.go: type=rss title='X' no error`.
pub fn other_project_checks(expect: &str) -> Option<Group> {
    if !(expect.starts_with("feed-rs serde:")
        || expect.starts_with("rss-parser(js) output:")
        || expect.starts_with("gofeed parser_test.go:"))
    {
        return None;
    }
    let mut checks = Vec::new();
    if let Some(c) = Regex::new(r"title='(.*?)'(?:\s|$)")
        .unwrap()
        .captures(expect)
    {
        checks.push(Check::FeedTitle(c[1].to_string()));
    }
    if let Some(c) = Regex::new(r"(?:entries|items)=(\d+)")
        .unwrap()
        .captures(expect)
    {
        checks.push(Check::Count(c[1].parse().ok()?));
    }
    (!checks.is_empty()).then_some(Group {
        source: "MANIFEST upstream output",
        any: false,
        checks,
    })
}

/// Entry titles in an upstream expected-output JSON (feed-rs serde, rss-parser, gofeed).
pub fn expected_titles(path: &Path) -> Option<Group> {
    let bytes = std::fs::read(path).ok()?;
    // Some upstream files are Latin-1, not UTF-8.
    let text = match std::str::from_utf8(&bytes) {
        Ok(t) => std::borrow::Cow::Borrowed(t),
        Err(_) => {
            encoding_rs::WINDOWS_1252
                .decode_without_bom_handling(&bytes)
                .0
        }
    };
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    let list = json
        .get("entries")
        .or_else(|| json.get("items"))
        .or_else(|| json.get("feed").and_then(|f| f.get("items")))?
        .as_array()?;
    let titles: Vec<Option<String>> = list
        .iter()
        .map(|e| {
            let t = e.get("title")?;
            t.get("content")
                .and_then(|c| c.as_str())
                .or_else(|| t.as_str())
                .map(str::to_string)
        })
        .collect();
    if titles.iter().all(Option::is_none) {
        return None;
    }
    Some(Group {
        source: "_expected titles",
        any: false,
        checks: vec![Check::EntryTitles(titles)],
    })
}

/// Titles compared as text, as a reader sees them: references decoded, comments and
/// script/style elements dropped (feedparser sanitises them away; our normalize stage's
/// html_to_text does the same), tags dropped, whitespace collapsed, NFC.
fn text_key(s: &str) -> String {
    let decoded = decode_basic(&decode_basic(s));
    let comments = Regex::new(r"(?s)<!--(?:.*?-->|[^>]*>)").unwrap();
    let scripts = Regex::new(r"(?is)<script\b.*?(?:</script\s*>|$)").unwrap();
    let styles = Regex::new(r"(?is)<style\b.*?(?:</style\s*>|$)").unwrap();
    let decoded = comments.replace_all(&decoded, "");
    let decoded = scripts.replace_all(&decoded, "");
    let decoded = styles.replace_all(&decoded, "");
    let mut out = String::new();
    let mut in_tag = false;
    for c in decoded.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .nfc()
        .collect()
}

fn decode_basic(s: &str) -> String {
    let re = Regex::new(r"&(#[0-9]+|#[xX][0-9a-fA-F]+|amp|lt|gt|quot|apos|nbsp);").unwrap();
    re.replace_all(s, |c: &regex::Captures| {
        let name = &c[1];
        let ch = match name {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some('\u{a0}'),
            n if n.starts_with("#x") || n.starts_with("#X") => u32::from_str_radix(&n[2..], 16)
                .ok()
                .and_then(char::from_u32),
            n => n[1..].parse().ok().and_then(char::from_u32),
        };
        ch.map_or_else(|| c[0].to_string(), String::from)
    })
    .into_owned()
}

/// Equal as text; a U+FFFD in `want` (an upstream parser that lost a character it could
/// not decode) matches any one character.
fn same_text(want: &str, got: &str) -> bool {
    let (w, g) = (text_key(want), text_key(got));
    w.chars().count() == g.chars().count()
        && w.chars()
            .zip(g.chars())
            .all(|(a, b)| a == b || a == '\u{FFFD}')
}

fn same_link(got: Option<&str>, want: &str) -> bool {
    let Some(got) = got else { return false };
    match (Url::parse(got.trim()), Url::parse(want.trim())) {
        (Ok(a), Ok(b)) => a == b,
        _ => got.trim() == want.trim(),
    }
}

pub fn run_check(check: &Check, feed: &ParsedFeed) -> Result<(), String> {
    let first: Option<&RawEntry> = feed.entries.first();
    let ok = match check {
        Check::Count(n) => feed.entries.len() + feed.truncated == *n,
        Check::FeedTitle(t) => feed.title.as_deref().is_some_and(|g| same_text(t, g)),
        Check::EntryTitle(t) => first.is_some_and(|e| same_text(t, &e.title)),
        Check::EntryTitles(ts) => {
            ts.len() == feed.entries.len()
                && ts
                    .iter()
                    .zip(&feed.entries)
                    .all(|(want, got)| want.as_ref().is_none_or(|w| same_text(w, &got.title)))
        }
        Check::Link(l) => same_link(first.and_then(|e| e.link.as_deref()), l),
        Check::Guid(g) => first.and_then(|e| e.guid.as_deref()).map(str::trim) == Some(g.trim()),
        Check::Date(d) => first.is_some_and(|e| {
            [e.published, e.updated]
                .iter()
                .flatten()
                .any(|x| x.with_timezone(&Utc) == *d)
        }),
    };
    if ok {
        return Ok(());
    }
    let got = match check {
        Check::Count(_) => format!("{} entries", feed.entries.len() + feed.truncated),
        Check::FeedTitle(_) => format!("{:?}", feed.title),
        Check::EntryTitle(_) => format!("{:?}", first.map(|e| &e.title)),
        Check::EntryTitles(_) => format!(
            "{:?}",
            feed.entries
                .iter()
                .take(3)
                .map(|e| &e.title)
                .collect::<Vec<_>>()
        ),
        Check::Link(_) => format!("{:?}", first.and_then(|e| e.link.as_deref())),
        Check::Guid(_) => format!("{:?}", first.and_then(|e| e.guid.as_deref())),
        Check::Date(_) => format!("{:?}", first.map(|e| (e.published, e.updated))),
    };
    let want = match check {
        Check::EntryTitles(ts) => format!("{} titles, first {:?}", ts.len(), ts.first()),
        other => format!("{other:?}"),
    };
    Err(format!("want {want}, got {got}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_literals_and_checks() {
        let (g, skipped) = feedparser_checks(
            r#" not bozo and entries[0]['title'] == 'it\'s \u00e9' and entries[0]['content'][0]['value'] == 'x'"#,
            "http://127.0.0.1:1",
        );
        let g = g.unwrap();
        assert_eq!(skipped, 1, "the content comparison is not checkable");
        assert!(!g.any);
        assert!(matches!(&g.checks[..], [Check::EntryTitle(t)] if t == "it's é"));

        let (g, _) = feedparser_checks(
            r#" entries[0].link == 'http://127.0.0.1:8097/a' or feed['title'] == """x" and 'y'""""#,
            "http://127.0.0.1:1",
        );
        let g = g.unwrap();
        assert!(g.any);
        assert!(
            matches!(&g.checks[..], [Check::Link(l), Check::FeedTitle(t)]
            if l == "http://127.0.0.1:1/a" && t == "x\" and 'y'")
        );

        let (g, _) = feedparser_checks(
            " entries[0]['updated_parsed'] == (2003, 12, 31, 10, 14, 55, 2, 365, 0)",
            "",
        );
        let want = parse_date("2003-12-31T10:14:55Z").unwrap();
        assert!(matches!(&g.unwrap().checks[..], [Check::Date(d)] if *d == want));
    }

    #[test]
    fn text_comparison() {
        assert!(same_text(
            "safe description",
            "safe<script>x()</script> description"
        ));
        assert!(same_text("safe", "sa<!-- -- nonwhitespace >fe"));
        assert!(same_text("simula\u{FFFD}\u{FFFD}es", "simulações"));
        assert!(!same_text("simulações", "simula\u{FFFD}\u{FFFD}es"));
        assert!(same_text("Blog &#8211; X", "Blog – X"));
        assert!(!same_text("A", "B"));
    }
}
