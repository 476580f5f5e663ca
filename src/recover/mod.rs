//! The liberal fallback behind `parse::feed_entries`: what feed-rs rejects, panics on, or
//! reads as empty is repaired and re-parsed, and failing that read by a tolerant
//! extractor, so that we ingest what a liberal reader (Python feedparser) ingests.
//!
//! 1. Decode to UTF-8 ourselves (BOMs, UTF-16/32 with or without a BOM, declarations that
//!    disagree with the bytes, legacy charsets with no declaration), drop the declaration,
//!    give `<rss>` a version feed-rs knows, and make every `&` legal XML (HTML entities to
//!    numeric references, bare `&` to `&amp;`); then run feed-rs again.
//! 2. If feed-rs still fails or finds fewer entries than there are `<item>`/`<entry>`
//!    elements (Atom 0.3, RSS 0.90, `<rss>` without `<channel>`, broken markup), extract
//!    the entries with the tolerant scanner.
//!
//! Nothing here fetches anything or expands a DTD entity, and all work is linear in the
//! document with the nesting depth and the number of entries capped.

mod entities;
mod extract;
mod repair;
mod scan;

use url::Url;

pub use extract::{count_entries, extract};
pub use repair::{decode_to_utf8, repair_xml};

use crate::parse::{ParseError, ParsedFeed};

fn is_json(body: &[u8]) -> bool {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    body.iter().find(|c| !c.is_ascii_whitespace()) == Some(&b'{')
}

fn seen(r: &Result<ParsedFeed, ParseError>) -> usize {
    r.as_ref().map_or(0, |f| f.entries.len() + f.truncated)
}

/// Improve on `first`, feed-rs's result for `body` as fetched (`header_charset` from the
/// HTTP Content-Type). Returns `first` untouched when it already has every entry, a
/// title, and a date (or undated text) for every entry.
pub fn recover(
    body: &[u8],
    header_charset: Option<&str>,
    base: &Url,
    first: Result<ParsedFeed, ParseError>,
) -> Result<ParsedFeed, ParseError> {
    if is_json(body) {
        return recover_json(body, base, first);
    }
    let text = decode_to_utf8(body, header_charset);
    let expected = count_entries(&text);
    if first.is_ok() && seen(&first) >= expected {
        return fill_gaps(first, &text, base);
    }
    let repaired = repair_xml(&text);
    let second = crate::parse::parse_feed(repaired.as_bytes(), base);
    if second.is_ok() && seen(&second) >= expected {
        return fill_gaps(second, &text, base);
    }
    if expected == 0 {
        // Nothing the tolerant reader could add: keep whichever feed-rs run succeeded.
        let kept = if first.is_ok() || second.is_err() {
            first
        } else {
            second
        };
        return fill_gaps(kept, &text, base);
    }
    let mut tolerant = extract(&repaired, base);
    if tolerant.title.is_none() {
        tolerant.title = [&second, &first]
            .into_iter()
            .find_map(|r| r.as_ref().ok().and_then(|f| f.title.clone()));
    }
    if tolerant.ttl.is_none() {
        tolerant.ttl = [&second, &first]
            .into_iter()
            .find_map(|r| r.as_ref().ok().and_then(|f| f.ttl));
    }
    Ok(tolerant)
}

/// feed-rs ignores some elements the tolerant reader knows (Atom 0.3 feed titles,
/// `dcterms:modified`) and never reports a date it could not parse. When its result lacks
/// a title or an entry lacks a date, take those from the tolerant reader; entries are
/// matched by position, so only when both readers see the same number.
fn fill_gaps(
    result: Result<ParsedFeed, ParseError>,
    text: &str,
    base: &Url,
) -> Result<ParsedFeed, ParseError> {
    let Ok(mut feed) = result else {
        return result;
    };
    let needs_title = feed.title.as_deref().is_none_or(|t| t.trim().is_empty());
    let needs_dates = feed
        .entries
        .iter()
        .any(|e| e.published.is_none() && e.unparsed_date.is_none());
    if !needs_title && !needs_dates {
        return Ok(feed);
    }
    let tolerant = extract(text, base);
    if needs_title && tolerant.title.is_some() {
        feed.title = tolerant.title;
    }
    if needs_dates && tolerant.entries.len() == feed.entries.len() {
        for (e, t) in feed.entries.iter_mut().zip(tolerant.entries) {
            if e.published.is_none() {
                e.published = t.published;
                e.unparsed_date = e.unparsed_date.take().or(t.unparsed_date);
            }
            if e.updated.is_none() {
                e.updated = t.updated;
            }
        }
    }
    Ok(feed)
}

/// JSON Feed: feed-rs only knows versions spelled as the spec URL; feeds in the wild also
/// write `"1"`, `"1.0"` or `"1.1"`.
fn recover_json(
    body: &[u8],
    base: &Url,
    first: Result<ParsedFeed, ParseError>,
) -> Result<ParsedFeed, ParseError> {
    let Err(err) = &first else {
        return first;
    };
    if !err.to_string().contains("unsupported version") {
        return first;
    }
    let Ok(mut doc) = serde_json::from_slice::<serde_json::Value>(body) else {
        return first;
    };
    let Some(version) = doc.get_mut("version") else {
        return first;
    };
    let short = version.as_str().map(str::trim).unwrap_or_default();
    if !matches!(short, "1" | "1.0" | "1.1") {
        return first;
    }
    *version = serde_json::Value::String("https://jsonfeed.org/version/1.1".into());
    match serde_json::to_vec(&doc) {
        Ok(fixed) => crate::parse::parse_feed(&fixed, base).or(first),
        Err(_) => first,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{MAX_ENTRIES, parse_feed};

    fn base() -> Url {
        Url::parse("https://example.vn/feeds/feed.xml").unwrap()
    }

    fn run_with(body: &[u8], charset: Option<&str>) -> Result<ParsedFeed, ParseError> {
        let first = parse_feed(body, &base());
        recover(body, charset, &base(), first)
    }

    fn run(body: &[u8]) -> ParsedFeed {
        run_with(body, None).unwrap_or_else(|e| panic!("{e}"))
    }

    fn titles(f: &ParsedFeed) -> Vec<&str> {
        f.entries.iter().map(|e| e.title.as_str()).collect()
    }

    #[test]
    fn rss_without_version_and_odd_versions() {
        // feed-rs rejects all three roots outright.
        let cases: [&[u8]; 3] = [
            b"<rss><channel><title>T</title><item><title>A</title><link>/a</link></item>\
              <item><title>B</title></item></channel></rss>",
            b"<?xml version=\"1.0\"?><rss version=\"0.93\"><channel><title>T</title>\
              <item><title>A</title><link>/a</link></item><item><title>B</title></item></channel></rss>",
            b"<rss version=\"0.94\"><channel><title>T</title><item><title>A</title>\
              <link>/a</link></item><item><title>B</title></item></channel></rss>",
        ];
        for body in cases {
            assert!(
                parse_feed(body, &base()).is_err(),
                "feed-rs alone should fail"
            );
            let f = run(body);
            assert_eq!(titles(&f), vec!["A", "B"]);
            assert_eq!(f.entries[0].link.as_deref(), Some("https://example.vn/a"));
            assert_eq!(f.title.as_deref(), Some("T"));
        }
    }

    #[test]
    fn rss_items_without_channel() {
        let f = run(b"<rss>\n<item>\n<description>x</description>\n</item>\n</rss>");
        assert_eq!(f.entries.len(), 1);
        assert_eq!(f.entries[0].summary.as_deref(), Some("x"));
    }

    #[test]
    fn bare_ampersand_and_html_entities() {
        let body = b"<rss version=\"2.0\"><channel><title>Fish & Chips</title>\
            <item><title>a&nbsp;b &hellip; &doesnotexist;</title><link>http://x.vn/?a=1&b=2</link></item>\
            </channel></rss>";
        assert!(
            parse_feed(body, &base()).is_err(),
            "feed-rs alone should fail"
        );
        let f = run(body);
        assert_eq!(f.title.as_deref(), Some("Fish & Chips"));
        assert_eq!(titles(&f), vec!["a\u{a0}b \u{2026} &doesnotexist;"]);
        assert_eq!(f.entries[0].link.as_deref(), Some("http://x.vn/?a=1&b=2"));
    }

    #[test]
    fn utf16_bom_disagreeing_with_declaration() {
        let xml = "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel>\
                   <title>Khu kinh tế</title><item><title>Tin mới</title></item></channel></rss>";
        for big_endian in [false, true] {
            let mut body: Vec<u8> = if big_endian {
                vec![0xFE, 0xFF]
            } else {
                vec![0xFF, 0xFE]
            };
            body.extend(xml.encode_utf16().flat_map(|u| {
                if big_endian {
                    u.to_be_bytes()
                } else {
                    u.to_le_bytes()
                }
            }));
            let f = run(&body);
            assert_eq!(titles(&f), vec!["Tin mới"]);
            assert_eq!(f.title.as_deref(), Some("Khu kinh tế"));
        }
    }

    #[test]
    fn legacy_charset_without_declaration() {
        // "Новости" in windows-1251, the charset only in the HTTP header.
        let body = b"<rss version=\"2.0\"><channel><item><title>\xcd\xee\xe2\xee\xf1\xf2\xe8</title></item></channel></rss>";
        let f = run_with(body, Some("windows-1251")).unwrap();
        assert_eq!(titles(&f), vec!["Новости"]);
    }

    #[test]
    fn atom_03_entries() {
        let body = br#"<feed version="0.3" xmlns="http://purl.org/atom/ns#" xml:base="http://example.org/blog/">
            <title>Example Atom</title>
            <entry>
              <title type="text/html" mode="escaped">Example &lt;b&gt;Atom&lt;/b&gt;</title>
              <link rel="alternate" type="text/html" href="2004/01/post.html"/>
              <id>tag:example.org,2004:1</id>
              <issued>2004-01-01T19:48:21Z</issued>
              <modified>Thu, 01 Jan 2004 19:48:21 GMT</modified>
              <content type="text/html" mode="base64">PHA+RXhhbXBsZTwvcD4=</content>
              <author><name>Mark</name><email>m@example.org</email></author>
            </entry>
            <entry><title>Second</title></entry>
        </feed>"#;
        let only_feed_rs = parse_feed(body, &base()).unwrap();
        assert!(
            only_feed_rs.entries.is_empty(),
            "feed-rs reads Atom 0.3 as empty"
        );
        let f = run(body);
        assert_eq!(titles(&f), vec!["Example <b>Atom</b>", "Second"]);
        let e = &f.entries[0];
        assert_eq!(
            e.link.as_deref(),
            Some("http://example.org/blog/2004/01/post.html")
        );
        assert_eq!(e.guid.as_deref(), Some("tag:example.org,2004:1"));
        assert_eq!(
            e.published.unwrap().to_rfc3339(),
            "2004-01-02T02:48:21+07:00"
        );
        assert_eq!(e.content.as_deref(), Some("<p>Example</p>"));
        assert_eq!(e.authors, vec!["Mark".to_string()]);
        assert_eq!(f.title.as_deref(), Some("Example Atom"));
    }

    #[test]
    fn rss_090_and_rdf_about() {
        let body = br#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://my.netscape.com/rdf/simple/0.9/">
            <channel><title>T</title></channel>
            <item rdf:about="http://example.org/1"><title>Item title</title><link>http://example.org/1</link></item>
            <item><title>Two</title></item>
        </rdf:RDF>"#;
        let f = run(body);
        assert_eq!(titles(&f), vec!["Item title", "Two"]);
        assert_eq!(f.entries[0].guid.as_deref(), Some("http://example.org/1"));
    }

    #[test]
    fn broken_markup_still_yields_entries() {
        let cases: [(&[u8], &str); 3] = [
            (b"<rss version=\"2.0\"><channel><item><title>A</title><description><![CDATA[x", "A"),
            (b"<rss version=\"2.0\"><channel><item><title>A</title><foo bar=\"1\"</item></channel></rss>", "A"),
            (b"<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><title type=\"\">evil</title></entry></feed>", "evil"),
        ];
        for (body, title) in cases {
            let f = run(body);
            assert_eq!(titles(&f), vec![title], "{}", String::from_utf8_lossy(body));
        }
    }

    #[test]
    fn well_formed_feeds_are_left_to_feed_rs() {
        let body = br#"<rss version="2.0"><channel><item><title>A &amp; B</title><guid>g1</guid></item></channel></rss>"#;
        let first = parse_feed(body, &base());
        let expected = first.clone();
        assert_eq!(recover(body, None, &base(), first), expected);
    }

    #[test]
    fn html_and_garbage_stay_errors() {
        for body in [
            &b"<!doctype html><html><body><p>hi & bye</p></body></html>"[..],
            b"\x00\x01garbage",
            b"",
        ] {
            assert!(run_with(body, None).is_err());
        }
    }

    #[test]
    fn dtd_entities_are_never_expanded() {
        let body =
            br#"<!DOCTYPE rss [<!ENTITY a "AAAAAAAAAA"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>
            <rss><channel><item><title>&b;&b;</title></item></channel></rss>"#;
        let f = run(body);
        assert_eq!(f.entries.len(), 1);
        assert!(
            !f.entries[0].title.contains("AAAA"),
            "{}",
            f.entries[0].title
        );
    }

    #[test]
    fn gaps_are_filled_from_the_tolerant_reader() {
        // feed-rs reads this feed but knows neither the Atom 0.3 title nor dcterms:modified.
        let body = br#"<rss version="2.0" xmlns:dcterms="http://purl.org/dc/terms/"><channel><title>T</title>
            <item><title>A</title><dcterms:modified>2003-12-31T10:14:55Z</dcterms:modified></item>
            <item><title>B</title><pubDate>yesterday</pubDate></item></channel></rss>"#;
        let f = run(body);
        assert_eq!(
            f.entries[0].published.unwrap().to_rfc3339(),
            "2003-12-31T17:14:55+07:00"
        );
        assert_eq!(f.entries[1].unparsed_date.as_deref(), Some("yesterday"));
        let atom03 = br#"<feed version="0.3" xmlns="http://purl.org/atom/ns#"><title>Example Atom</title></feed>"#;
        assert_eq!(run(atom03).title.as_deref(), Some("Example Atom"));
    }

    #[test]
    fn json_feed_short_versions() {
        let body = br#"{"version": "1.1", "title": "J", "items": [{"id": "1", "title": "x", "url": "https://e.vn/1"}]}"#;
        assert!(
            parse_feed(body, &base()).is_err(),
            "feed-rs alone should fail"
        );
        let f = run(body);
        assert_eq!(f.title.as_deref(), Some("J"));
        assert_eq!(titles(&f), vec!["x"]);
        assert!(run_with(br#"{"version": "9", "items": []}"#, None).is_err());
    }

    #[test]
    fn entries_are_capped() {
        let mut body = String::from("<rss><channel>");
        for i in 0..MAX_ENTRIES + 3 {
            body.push_str(&format!("<item><title>t{i}</title></item>"));
        }
        body.push_str("</channel></rss>");
        let f = run(body.as_bytes());
        assert_eq!(f.entries.len(), MAX_ENTRIES);
        assert_eq!(f.truncated, 3);
    }
}
