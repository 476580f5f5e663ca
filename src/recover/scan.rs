//! A forgiving tag scanner: finds element tags in text that may not be well-formed XML.
//! Comments, CDATA sections, processing instructions and DOCTYPE declarations are skipped
//! whole (so markup inside them is never mistaken for elements, and nothing declared in a
//! DTD is ever used), a `<` that cannot start a tag is text, and a tag cut short by the
//! next `<` ends there, as browsers do. Linear in the input.

use std::borrow::Cow;

use super::entities;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Open,
    Close,
    Empty,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Tag<'a> {
    /// Qualified name as written (`dc:date`).
    pub name: &'a str,
    /// The raw attribute text.
    pub attrs: &'a str,
    pub kind: Kind,
    /// Byte offset of `<`.
    pub start: usize,
    /// Byte offset just past the tag.
    pub end: usize,
}

impl Tag<'_> {
    /// The name without its prefix, lowercased (feeds disagree about case).
    pub fn local(&self) -> String {
        local_name(self.name)
    }

    pub fn attr(&self, name: &str) -> Option<String> {
        attr(self.attrs, name)
    }
}

pub(crate) fn local_name(qname: &str) -> String {
    qname
        .rsplit(':')
        .next()
        .unwrap_or(qname)
        .to_ascii_lowercase()
}

pub(crate) fn prefix(qname: &str) -> Option<String> {
    qname.rsplit_once(':').map(|(p, _)| p.to_ascii_lowercase())
}

pub(crate) struct Tags<'a> {
    s: &'a str,
    pos: usize,
}

pub(crate) fn tags(s: &str) -> Tags<'_> {
    Tags { s, pos: 0 }
}

/// memchr's searches: every feed body is scanned (`count_entries`), and skipping its
/// CDATA sections window by window was most of the scanner's 1.2 % of a cold round.
fn find(b: &[u8], from: usize, pat: &[u8]) -> Option<usize> {
    memchr::memmem::find(b.get(from..)?, pat).map(|i| from + i)
}

fn is_name_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c == b':' || c >= 0x80
}

fn is_name_char(c: u8) -> bool {
    is_name_start(c) || c.is_ascii_digit() || c == b'-' || c == b'.'
}

/// End of a `<!...>` declaration starting at `i`, skipping a bracketed internal subset
/// and quoted strings (which may contain `>`).
pub(crate) fn skip_declaration(b: &[u8], i: usize) -> usize {
    let mut depth = 0usize;
    let mut quote: Option<u8> = None;
    let mut j = i + 2;
    while j < b.len() {
        let c = b[j];
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                b'"' | b'\'' => quote = Some(c),
                b'[' => depth += 1,
                b']' => depth = depth.saturating_sub(1),
                b'>' if depth == 0 => return j + 1,
                _ => {}
            },
        }
        j += 1;
    }
    b.len()
}

impl<'a> Iterator for Tags<'a> {
    type Item = Tag<'a>;

    fn next(&mut self) -> Option<Tag<'a>> {
        let b = self.s.as_bytes();
        loop {
            let i = self.pos + memchr::memchr(b'<', b.get(self.pos..)?)?;
            let rest = &b[i..];
            if rest.starts_with(b"<!--") {
                self.pos = find(b, i + 4, b"-->").map_or(b.len(), |j| j + 3);
                continue;
            }
            if rest.starts_with(b"<![CDATA[") {
                self.pos = find(b, i + 9, b"]]>").map_or(b.len(), |j| j + 3);
                continue;
            }
            if rest.starts_with(b"<!") {
                self.pos = skip_declaration(b, i);
                continue;
            }
            if rest.starts_with(b"<?") {
                self.pos = find(b, i + 2, b"?>").map_or(b.len(), |j| j + 2);
                continue;
            }
            let close = rest.get(1) == Some(&b'/');
            let name_start = i + if close { 2 } else { 1 };
            if !b.get(name_start).is_some_and(|&c| is_name_start(c)) {
                // A lone `<` in text.
                self.pos = i + 1;
                continue;
            }
            let name_end = name_start
                + b[name_start..]
                    .iter()
                    .position(|&c| !is_name_char(c))
                    .unwrap_or(b.len() - name_start);
            // Find the end of the tag, honouring quotes; an unterminated quote falls back
            // to the first `>`, and a `<` outside quotes means the tag was never closed.
            let mut quote: Option<u8> = None;
            let mut j = name_end;
            let mut tag_end: Option<(usize, usize)> = None; // (content end, next pos)
            while j < b.len() {
                let c = b[j];
                match quote {
                    Some(q) if c == q => quote = None,
                    Some(_) => {}
                    None => match c {
                        b'"' | b'\'' => quote = Some(c),
                        b'>' => {
                            tag_end = Some((j, j + 1));
                            break;
                        }
                        b'<' => {
                            tag_end = Some((j, j));
                            break;
                        }
                        _ => {}
                    },
                }
                j += 1;
            }
            let (inner_end, next) = match tag_end {
                Some(t) => t,
                None => match find(b, name_end, b">") {
                    Some(g) => (g, g + 1),
                    None => {
                        self.pos = b.len();
                        return None;
                    }
                },
            };
            let mut attrs_end = inner_end;
            while attrs_end > name_end && b[attrs_end - 1].is_ascii_whitespace() {
                attrs_end -= 1;
            }
            let self_closing = attrs_end > name_end && b[attrs_end - 1] == b'/';
            if self_closing {
                attrs_end -= 1;
            }
            let kind = match (close, self_closing) {
                (true, _) => Kind::Close,
                (false, true) => Kind::Empty,
                (false, false) => Kind::Open,
            };
            self.pos = next;
            return Some(Tag {
                name: &self.s[name_start..name_end],
                attrs: &self.s[name_end..attrs_end],
                kind,
                start: i,
                end: next,
            });
        }
    }
}

/// All attributes as (name as written, decoded value).
pub(crate) fn attrs(raw: &str) -> Vec<(&str, Cow<'_, str>)> {
    let b = raw.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
            i += 1;
        }
        let start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'=' {
            i += 1;
        }
        if start == i {
            break;
        }
        let name = &raw[start..i];
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if b.get(i) != Some(&b'=') {
            out.push((name, Cow::Borrowed("")));
            continue;
        }
        i += 1;
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let value = match b.get(i) {
            Some(&q @ (b'"' | b'\'')) => {
                let vs = i + 1;
                let ve = b[vs..]
                    .iter()
                    .position(|&c| c == q)
                    .map_or(b.len(), |p| vs + p);
                i = (ve + 1).min(b.len());
                &raw[vs..ve]
            }
            _ => {
                let vs = i;
                while i < b.len() && !b[i].is_ascii_whitespace() {
                    i += 1;
                }
                &raw[vs..i]
            }
        };
        out.push((name, entities::decode(value)));
    }
    out
}

/// One attribute by qualified name, case-insensitively.
pub(crate) fn attr(raw: &str, name: &str) -> Option<String> {
    attrs(raw)
        .into_iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_comments_cdata_and_doctype() {
        let doc = "<!DOCTYPE rss [<!ENTITY x '<item>'>]><!-- <item> --><rss>\
                   <d><![CDATA[<item>]]></d><a b='1>2'/>x < y</rss>";
        let got: Vec<(String, Kind)> = tags(doc).map(|t| (t.name.to_string(), t.kind)).collect();
        assert_eq!(
            got,
            vec![
                ("rss".into(), Kind::Open),
                ("d".into(), Kind::Open),
                ("d".into(), Kind::Close),
                ("a".into(), Kind::Empty),
                ("rss".into(), Kind::Close),
            ]
        );
    }

    #[test]
    fn unclosed_tag_ends_at_next_lt() {
        let doc = "<a href=\"x\"<b>t</b>";
        let names: Vec<&str> = tags(doc).map(|t| t.name).collect();
        assert_eq!(names, vec!["a", "b", "b"]);
    }

    #[test]
    fn attributes_decode_and_tolerate_odd_quoting() {
        assert_eq!(
            attr(r#" href="a?x=1&amp;y=2" rel='alternate'"#, "href").as_deref(),
            Some("a?x=1&y=2")
        );
        assert_eq!(
            attr(" rel = 'alternate' ", "rel").as_deref(),
            Some("alternate")
        );
        assert_eq!(attr(" version=2.0", "version").as_deref(), Some("2.0"));
        assert_eq!(
            attr(" a=\"unterminated", "a").as_deref(),
            Some("unterminated")
        );
        assert_eq!(attr(" a=\"1\"", "b"), None);
    }
}
