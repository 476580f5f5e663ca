//! Text-level repairs that turn what feed-rs rejects into what it accepts: decoding to
//! UTF-8 (BOMs, UTF-16/32 without a BOM, a declaration that disagrees with the bytes,
//! legacy charsets with no declaration at all), a missing or unknown `<rss version>`, and
//! references XML does not define (`&nbsp;`, a bare `&`, `&#X41;`).

use std::borrow::Cow;

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE};

use super::entities::{self, Reference};
use super::scan::{self, Kind};

/// RSS versions feed-rs parses; anything else on `<rss>` is rewritten to 2.0, which is a
/// superset of 0.9x for the elements we read.
const KNOWN_RSS_VERSIONS: [&str; 3] = ["2.0", "0.91", "0.92"];

fn utf32(body: &[u8], big_endian: bool) -> String {
    body.chunks(4)
        .map(|c| {
            let mut w = [0u8; 4];
            w[..c.len()].copy_from_slice(c);
            let v = if big_endian {
                u32::from_be_bytes(w)
            } else {
                u32::from_le_bytes(w)
            };
            char::from_u32(v).unwrap_or('\u{FFFD}')
        })
        .collect()
}

/// The `encoding` pseudo-attribute of an XML declaration at the start of ASCII-compatible
/// bytes.
fn declared_encoding(body: &[u8]) -> Option<&'static Encoding> {
    let head = &body[..body.len().min(512)];
    let start = head.windows(5).position(|w| w == b"<?xml")?;
    let end = start + head[start..].windows(2).position(|w| w == b"?>")?;
    let decl = std::str::from_utf8(&head[start + 5..end]).ok()?;
    let label = scan::attr(decl, "encoding")?;
    Encoding::for_label(label.trim().as_bytes())
}

/// Decode a feed body to UTF-8 text: BOM, then UTF-16/32 sniffed from the first `<`, then
/// the declaration, then the HTTP charset, then UTF-8 if valid, then a chardetng guess.
pub fn decode_to_utf8<'a>(body: &'a [u8], header_charset: Option<&str>) -> Cow<'a, str> {
    // UTF-32 first: its little-endian BOM starts with the UTF-16 one.
    match body {
        [0xEF, 0xBB, 0xBF, rest @ ..] => return String::from_utf8_lossy(rest),
        [0xFF, 0xFE, 0, 0, rest @ ..] => return Cow::Owned(utf32(rest, false)),
        [0, 0, 0xFE, 0xFF, rest @ ..] => return Cow::Owned(utf32(rest, true)),
        [0xFF, 0xFE, rest @ ..] => {
            return Cow::Owned(UTF_16LE.decode_without_bom_handling(rest).0.into_owned());
        }
        [0xFE, 0xFF, rest @ ..] => {
            return Cow::Owned(UTF_16BE.decode_without_bom_handling(rest).0.into_owned());
        }
        [b'<', 0, 0, 0, ..] => return Cow::Owned(utf32(body, false)),
        [0, 0, 0, b'<', ..] => return Cow::Owned(utf32(body, true)),
        [b'<', 0, _, 0, ..] => {
            return Cow::Owned(UTF_16LE.decode_without_bom_handling(body).0.into_owned());
        }
        [0, b'<', 0, _, ..] => {
            return Cow::Owned(UTF_16BE.decode_without_bom_handling(body).0.into_owned());
        }
        _ => {}
    }
    let header = header_charset.and_then(|c| Encoding::for_label(c.trim().as_bytes()));
    // A UTF-16 label on bytes that are plainly ASCII-compatible is a lie; so is UTF-8 on
    // bytes that are not UTF-8.
    let labelled = declared_encoding(body)
        .or(header)
        .filter(|e| *e != UTF_16LE && *e != UTF_16BE);
    if let Some(enc) = labelled {
        let (text, had_errors) = enc.decode_without_bom_handling(body);
        if !(had_errors && enc == UTF_8) {
            return text;
        }
    }
    if let Ok(s) = std::str::from_utf8(body) {
        return Cow::Borrowed(s);
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(body, true);
    let guess = detector.guess(Some(b"vn"), chardetng::Utf8Detection::Allow);
    guess.decode_without_bom_handling(body).0
}

/// Remove a leading BOM character and XML declaration: the text is UTF-8 now, and a stale
/// `encoding="utf-16"` would make the parser decode it a second time.
fn strip_declaration(text: &str) -> &str {
    let t = text.trim_start_matches('\u{feff}').trim_start();
    if t.starts_with("<?xml")
        && let Some(end) = t.find("?>")
    {
        return &t[end + 2..];
    }
    t
}

/// Give the root `<rss>` a version feed-rs understands.
fn fix_rss_version(text: &str) -> Cow<'_, str> {
    let Some(root) = scan::tags(text).find(|t| t.kind != Kind::Close) else {
        return Cow::Borrowed(text);
    };
    if !root.name.eq_ignore_ascii_case("rss") {
        return Cow::Borrowed(text);
    }
    if let Some(v) = root.attr("version")
        && KNOWN_RSS_VERSIONS.contains(&v.trim())
    {
        return Cow::Borrowed(text);
    }
    let kept: Vec<String> = scan::attrs(root.attrs)
        .into_iter()
        .filter(|(n, _)| !n.eq_ignore_ascii_case("version"))
        .map(|(n, v)| {
            format!(
                " {n}=\"{}\"",
                v.replace('&', "&amp;").replace('"', "&quot;")
            )
        })
        .collect();
    let close = if root.kind == Kind::Empty { "/>" } else { ">" };
    Cow::Owned(format!(
        "{}<rss version=\"2.0\"{}{close}{}",
        &text[..root.start],
        kept.concat(),
        &text[root.end..]
    ))
}

/// Rewrite every `&` that XML would reject: HTML entities become numeric references,
/// unknown names and bare ampersands become `&amp;`, `&#X` becomes `&#x`, references to
/// characters XML forbids become U+FFFD. CDATA, comments and the DOCTYPE are copied as is.
fn fix_references(text: &str) -> Cow<'_, str> {
    if !text.contains('&') {
        return Cow::Borrowed(text);
    }
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len() + 64);
    let mut i = 0;
    let mut copied = 0;
    while i < b.len() {
        let skip_to = |open: &str, close: &str| -> Option<usize> {
            text[i..].starts_with(open).then(|| {
                text[i + open.len()..]
                    .find(close)
                    .map_or(b.len(), |j| i + open.len() + j + close.len())
            })
        };
        if b[i] == b'<' {
            if let Some(end) = skip_to("<![CDATA[", "]]>")
                .or_else(|| skip_to("<!--", "-->"))
                .or_else(|| {
                    text[i..]
                        .starts_with("<!DOCTYPE")
                        .then(|| scan::skip_declaration(b, i))
                })
            {
                i = end;
                continue;
            }
            i += 1;
            continue;
        }
        if b[i] != b'&' {
            i += 1;
            continue;
        }
        out.push_str(&text[copied..i]);
        match entities::reference_at(&text[i..]) {
            Some(Reference::Numeric(Some(c), len)) => {
                out.push_str(&format!("&#x{:X};", c as u32));
                i += len;
            }
            Some(Reference::Numeric(None, len)) => {
                out.push_str("&#xFFFD;");
                i += len;
            }
            Some(Reference::Named(c, len)) => {
                let name = &text[i + 1..i + len - 1];
                if entities::is_xml_entity(name) {
                    out.push_str(&text[i..i + len]);
                } else {
                    out.push_str(&format!("&#x{:X};", c as u32));
                }
                i += len;
            }
            Some(Reference::Unknown) | None => {
                out.push_str("&amp;");
                i += 1;
            }
        }
        copied = i;
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

/// Everything above, on already-decoded text.
pub fn repair_xml(text: &str) -> String {
    let t = strip_declaration(text);
    let t = fix_rss_version(t);
    fix_references(&t).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_boms_and_sniffs_utf16() {
        let utf16le: Vec<u8> = "\u{feff}<?xml version=\"1.0\" encoding=\"utf-8\"?><rss>ạ</rss>"
            .encode_utf16()
            .flat_map(|u| u.to_le_bytes())
            .collect();
        let text = decode_to_utf8(&utf16le, None);
        assert!(text.starts_with("<?xml"));
        assert!(text.ends_with("<rss>ạ</rss>"));
        let no_bom_be: Vec<u8> = "<rss>x</rss>"
            .encode_utf16()
            .flat_map(|u| u.to_be_bytes())
            .collect();
        assert_eq!(decode_to_utf8(&no_bom_be, None), "<rss>x</rss>");
        let utf32: Vec<u8> = "<a>é</a>"
            .chars()
            .flat_map(|c| (c as u32).to_le_bytes())
            .collect();
        assert_eq!(decode_to_utf8(&utf32, None), "<a>é</a>");
    }

    #[test]
    fn decodes_declared_header_and_guessed_charsets() {
        let latin1 = b"<?xml version=\"1.0\" encoding=\"iso-8859-1\"?><t>caf\xe9</t>";
        assert!(decode_to_utf8(latin1, None).ends_with("café</t>"));
        let cp1251 = b"<t>\xcd\xee\xe2\xee\xf1\xf2\xe8</t>";
        assert_eq!(
            decode_to_utf8(cp1251, Some("windows-1251")),
            "<t>Новости</t>"
        );
        // No label anywhere: not UTF-8, so it is guessed rather than mangled.
        let guessed = decode_to_utf8(
            b"<t>\xcd\xee\xe2\xee\xf1\xf2\xe8 \xe8 \xf1\xee\xe1\xfb\xf2\xe8\xff</t>",
            None,
        );
        assert!(!guessed.contains('\u{FFFD}'), "{guessed}");
    }

    #[test]
    fn rss_version_is_fixed() {
        let cases = [
            (
                "<rss><channel/></rss>",
                "<rss version=\"2.0\"><channel/></rss>",
            ),
            (
                "<!-- c --><rss version=\"0.93\" xmlns:a=\"u\">",
                "<!-- c --><rss version=\"2.0\" xmlns:a=\"u\">",
            ),
            ("<rss version=\"0.92\">", "<rss version=\"0.92\">"),
            ("<feed><rss/></feed>", "<feed><rss/></feed>"),
        ];
        for (input, want) in cases {
            assert_eq!(fix_rss_version(input), want, "{input}");
        }
    }

    #[test]
    fn references_are_made_legal() {
        let cases = [
            ("Fish & Chips", "Fish &amp; Chips"),
            ("a&nbsp;b &amp; c", "a&#xA0;b &amp; c"),
            ("&#X41;", "&#x41;"),
            ("&doesnotexist;", "&amp;doesnotexist;"),
            (
                "<![CDATA[a & b]]> & <!-- x & y -->",
                "<![CDATA[a & b]]> &amp; <!-- x & y -->",
            ),
            ("?a=1&b=2", "?a=1&amp;b=2"),
            ("&#1;", "&#xFFFD;"),
        ];
        for (input, want) in cases {
            assert_eq!(fix_references(input), want, "{input}");
        }
    }
}
