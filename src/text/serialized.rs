//! Plain text of HTML that `sanitize::sanitize_html` wrote, read without a parser.
//!
//! Every stored body is sanitised and then read again as text (province tags, the lead of
//! its fingerprint, search), and parsing the sanitiser's own output was 45 % of that
//! reading and 3 % of a cold round's instructions. That output is regular: html5ever's
//! serializer writes `<name attr="value">` with every value double-quoted and its `"`
//! and `&` escaped, text with `&`, `<`, `>` and NBSP escaped, an end tag for every
//! non-void element, and no comments (ammonia strips them). So a scan can walk it the way
//! [`super::html_to_text`] walks the parsed tree: text in order, a break at every block
//! element's start and end, nothing from skipped elements. Whatever does not fit that
//! shape makes the scan give up, and the caller parses.

use super::{clean_decoded, is_block, is_skipped};

/// [`super::html_to_text`] of sanitiser output, by scan when it has the serializer's
/// shape (see the module docs) and by parse otherwise.
pub fn sanitized_html_to_text(html: &str) -> String {
    match scan(html) {
        Some(raw) => clean_decoded(&raw),
        None => super::html_to_text(html),
    }
}

/// The raw text (before [`clean_decoded`]) of serializer output, or `None` when `html`
/// is not shaped like it.
pub(crate) fn scan(html: &str) -> Option<String> {
    let bytes = html.as_bytes();
    let mut raw = String::with_capacity(html.len());
    let mut at = 0;
    while at < bytes.len() {
        let next = memchr::memchr2(b'<', b'&', bytes.get(at..)?).map_or(bytes.len(), |i| at + i);
        raw.push_str(html.get(at..next)?);
        at = next;
        match bytes.get(at) {
            None => break,
            Some(b'&') => {
                let rest = html.get(at..)?;
                let (c, len) = [
                    ("&amp;", '&'),
                    ("&lt;", '<'),
                    ("&gt;", '>'),
                    ("&nbsp;", '\u{a0}'),
                ]
                .into_iter()
                .find(|(e, _)| rest.starts_with(e))
                .map(|(e, c)| (c, e.len()))?;
                raw.push(c);
                at += len;
            }
            Some(_) => {
                let tag = read_tag(bytes, at)?;
                at = tag.end;
                if is_skipped(tag.name) {
                    // Only an allowed embed survives sanitising, emptied by the pruning
                    // pass; anything else skipped is not the serializer's output.
                    if tag.name != "iframe" || tag.closing {
                        return None;
                    }
                    let close = b"</iframe>";
                    if bytes.get(at..at + close.len()) != Some(close.as_slice()) {
                        return None;
                    }
                    at += close.len();
                } else if is_block(tag.name) {
                    raw.push('\n');
                }
            }
        }
    }
    Some(raw)
}

pub(crate) struct Tag<'a> {
    pub(crate) name: &'a str,
    pub(crate) closing: bool,
    /// Just past the `>`.
    pub(crate) end: usize,
}

/// The tag starting at `bytes[at] == b'<'`, if it is written as the serializer writes one.
pub(crate) fn read_tag(bytes: &[u8], at: usize) -> Option<Tag<'_>> {
    let mut i = at + 1;
    let closing = bytes.get(i) == Some(&b'/');
    if closing {
        i += 1;
    }
    let name_start = i;
    while bytes
        .get(i)
        .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
    {
        i += 1;
    }
    let name = std::str::from_utf8(bytes.get(name_start..i)?).ok()?;
    if name.is_empty() {
        return None;
    }
    if !closing {
        // ` attr="value"`, repeated; values never hold a raw `"`.
        while bytes.get(i) == Some(&b' ') {
            i += 1;
            while bytes
                .get(i)
                .is_some_and(|b| !matches!(b, b'=' | b' ' | b'>' | b'"' | b'<'))
            {
                i += 1;
            }
            if bytes.get(i) == Some(&b'=') {
                if bytes.get(i + 1) != Some(&b'"') {
                    return None;
                }
                i += 2;
                i += memchr::memchr(b'"', bytes.get(i..)?)? + 1;
            }
        }
    }
    (bytes.get(i) == Some(&b'>')).then_some(Tag {
        name,
        closing,
        end: i + 1,
    })
}
