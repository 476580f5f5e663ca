//! Tolerant extraction: RSS 0.9x/1.0/2.0 `<item>` and Atom 0.3/1.0 `<entry>` elements read
//! straight off the tag scanner, for documents feed-rs rejects or reads as empty. It
//! follows a liberal reader's rules (Python feedparser's, which the corpus measures us
//! against): every `item`/`entry` start tag begins an entry, wherever it appears; fields
//! are the entry's direct children; a close tag closes everything opened inside it; an
//! unclosed element runs to the end of the document.
//!
//! Work is bounded: one pass over the text, nesting capped at `MAX_DEPTH`, entries capped
//! at `MAX_ENTRIES`, nothing fetched, no DTD entity ever expanded.

use url::Url;

use super::entities;
use super::scan::{self, Kind};
use crate::model::{RawEntry, vn_offset};
use crate::parse::{MAX_ENTRIES, ParsedFeed};

/// Deeper documents are cut off there: no feed nests anywhere near this, and it keeps a
/// hostile document from growing the stack without bound.
const MAX_DEPTH: usize = 256;

/// An `item` or `entry` element in the namespaces feeds use (unprefixed, `atom:`, `rss:`).
pub(crate) fn is_entry_tag(qname: &str) -> bool {
    // Called for every tag of every feed polled: no allocation.
    let (prefix, local) = match qname.rsplit_once(':') {
        Some((p, l)) => (Some(p), l),
        None => (None, qname),
    };
    (local.eq_ignore_ascii_case("item") || local.eq_ignore_ascii_case("entry"))
        && prefix.is_none_or(|p| {
            p.get(..4).is_some_and(|a| a.eq_ignore_ascii_case("atom"))
                || p.eq_ignore_ascii_case("rss")
        })
}

/// How many entries the tolerant reader sees in `text` (without extracting them).
pub fn count_entries(text: &str) -> usize {
    scan::tags(text)
        .filter(|t| t.kind != Kind::Close && is_entry_tag(t.name))
        .count()
}

struct Frame {
    name: String,
    base: Option<Url>,
}

/// A direct child element of an entry, as written.
struct Field<'a> {
    name: &'a str,
    attrs: &'a str,
    raw: &'a str,
    base: Option<Url>,
}

impl Field<'_> {
    fn local(&self) -> String {
        scan::local_name(self.name)
    }
    fn prefix(&self) -> Option<String> {
        scan::prefix(self.name)
    }
    /// Unprefixed or in an Atom namespace prefix: the element the format itself defines.
    fn is_core(&self) -> bool {
        self.prefix().is_none_or(|p| p.starts_with("atom"))
    }
    fn attr(&self, name: &str) -> Option<String> {
        scan::attr(self.attrs, name)
    }
}

#[derive(Default)]
struct Draft<'a> {
    about: Option<String>,
    fields: Vec<Field<'a>>,
}

enum Target {
    Entry(usize),
    FeedTitle,
    Ttl,
}

struct Capture<'a> {
    target: Target,
    name: &'a str,
    attrs: &'a str,
    content_start: usize,
    depth: usize,
    base: Option<Url>,
}

fn resolve_base(parent: Option<&Url>, href: &str) -> Option<Url> {
    let href = href.trim();
    match parent {
        Some(p) => p.join(href).ok(),
        None => Url::parse(href).ok(),
    }
}

/// An absolute URL when it resolves; the trimmed text otherwise (normalisation decides).
fn resolve(base: Option<&Url>, href: &str) -> String {
    let href = href.trim();
    resolve_base(base, href).map_or_else(|| href.to_string(), |u| u.to_string())
}

/// Element content as text: CDATA sections unwrapped, references decoded outside them.
/// Markup outside CDATA is kept (it is HTML the feed embedded without escaping).
pub(crate) fn text_value(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(i) = rest.find("<![CDATA[") {
        out.push_str(&entities::decode(&rest[..i]));
        let after = &rest[i + 9..];
        match after.find("]]>") {
            Some(j) => {
                out.push_str(&after[..j]);
                rest = &after[j + 3..];
            }
            None => {
                out.push_str(after);
                rest = "";
            }
        }
    }
    out.push_str(&entities::decode(rest));
    out.trim().to_string()
}

fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => break,
            c if c.is_ascii_whitespace() => continue,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// Text constructs (Atom `type`/`mode`, RSS markup): HTML or text as a string.
fn rich_value(attrs: &str, raw: &str) -> String {
    let ty = scan::attr(attrs, "type")
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let mode = scan::attr(attrs, "mode")
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    // Atom 1.0: any media type that is not text or XML is base64; Atom 0.3 says so with
    // mode="base64".
    let binary_type = ty.contains('/')
        && !ty.starts_with("text/")
        && !ty.ends_with("xml")
        && !ty.contains("html");
    if mode == "base64" || binary_type {
        let text = text_value(raw);
        if let Some(bytes) = base64_decode(&text) {
            return String::from_utf8_lossy(&bytes).trim().to_string();
        }
        return text;
    }
    let has_markup = raw.contains('<') && !raw.trim_start().starts_with("<![CDATA[");
    if (ty == "xhtml" || ty.contains("xhtml") || mode == "xml") && has_markup {
        let t = raw.trim();
        // The wrapping <div xmlns="…"> belongs to the format, not to the content.
        if t.starts_with("<div")
            && t.ends_with("</div>")
            && let Some(open_end) = t.find('>')
        {
            return t[open_end + 1..t.len() - 6].trim().to_string();
        }
        return t.to_string();
    }
    text_value(raw)
}

fn parse_date(text: &str) -> Option<chrono::DateTime<chrono::FixedOffset>> {
    crate::dates::parse_feed_timestamp(text.trim()).map(|d| d.with_timezone(&vn_offset()))
}

/// The name of an Atom person (`<name>`), or the element's text (RSS, Dublin Core).
fn person(raw: &str) -> String {
    let mut name_start = None;
    for t in scan::tags(raw) {
        match t.kind {
            Kind::Open if t.local() == "name" => name_start = Some(t.end),
            Kind::Close if t.local() == "name" => {
                if let Some(s) = name_start {
                    return text_value(&raw[s..t.start]);
                }
            }
            _ => {}
        }
    }
    if raw.contains('<') && !raw.contains("<![CDATA[") {
        // Structured but without a name (only <email>, say): no usable author.
        return String::new();
    }
    text_value(raw)
}

fn build(draft: Draft<'_>) -> RawEntry {
    let fields = &draft.fields;
    let first = |names: &[&str], core_only: bool| -> Option<&Field<'_>> {
        names.iter().find_map(|n| {
            fields
                .iter()
                .find(|f| f.local() == *n && (!core_only || f.is_core()))
        })
    };
    let non_empty = |s: String| Some(s).filter(|s| !s.is_empty());

    let title = first(&["title"], true)
        .or_else(|| first(&["title"], false))
        .map(|f| rich_value(f.attrs, f.raw))
        .unwrap_or_default();

    let links: Vec<&Field<'_>> = fields
        .iter()
        .filter(|f| f.local() == "link" && f.is_core())
        .collect();
    let link_value = |f: &Field<'_>| -> Option<String> {
        match f.attr("href") {
            Some(h) => non_empty(resolve(f.base.as_ref(), &h)),
            None => non_empty(text_value(f.raw)).map(|t| resolve(f.base.as_ref(), &t)),
        }
    };
    let guid_field = fields.iter().find(|f| {
        (f.local() == "guid" && f.prefix().is_none()) || (f.local() == "id" && f.is_core())
    });
    let guid = guid_field
        .and_then(|f| non_empty(text_value(f.raw)))
        .or_else(|| draft.about.clone().filter(|a| !a.trim().is_empty()));
    let link = links
        .iter()
        .filter(|f| {
            f.attr("rel")
                .is_none_or(|r| r.trim().eq_ignore_ascii_case("alternate"))
        })
        .find_map(|f| link_value(f))
        .or_else(|| links.iter().find_map(|f| link_value(f)))
        .or_else(|| {
            // An RSS guid that is a permalink is the link when there is no <link>.
            let f = guid_field.filter(|f| f.local() == "guid")?;
            let permalink = f
                .attr("isPermaLink")
                .is_none_or(|p| !p.trim().eq_ignore_ascii_case("false"));
            let g = text_value(f.raw);
            (permalink && (g.starts_with("http://") || g.starts_with("https://")))
                .then(|| resolve(f.base.as_ref(), &g))
        });

    let date_text = |names: &[&str]| -> Option<String> {
        names.iter().find_map(|n| {
            fields
                .iter()
                .filter(|f| f.local() == *n)
                .find_map(|f| non_empty(text_value(f.raw)))
        })
    };
    let published_text = date_text(&["pubdate", "published", "issued", "date", "created"]);
    let updated_text = date_text(&["updated", "modified"]);
    let published_own = published_text.as_deref().and_then(parse_date);
    let updated = updated_text.as_deref().and_then(parse_date);
    let unparsed_date = match (&published_text, published_own, &updated_text, updated) {
        (Some(t), None, _, _) => Some(t.clone()),
        (None, _, Some(t), None) => Some(t.clone()),
        _ => None,
    };

    let summary = first(&["description", "summary", "abstract"], false)
        .map(|f| rich_value(f.attrs, f.raw))
        .and_then(non_empty);
    let content = fields
        .iter()
        .find(|f| {
            let l = f.local();
            l == "encoded"
                || (l == "content" && f.is_core() && f.attr("src").is_none())
                || l == "body"
                || l == "fullitem"
        })
        .map(|f| rich_value(f.attrs, f.raw))
        .and_then(non_empty);

    let authors = fields
        .iter()
        .filter(|f| matches!(f.local().as_str(), "author" | "creator"))
        .map(|f| person(f.raw))
        .filter(|a| !a.trim().is_empty())
        .collect();
    let categories = fields
        .iter()
        .filter_map(|f| match f.local().as_str() {
            "category" => f
                .attr("label")
                .or_else(|| f.attr("term"))
                .or_else(|| non_empty(text_value(f.raw))),
            "subject" => non_empty(text_value(f.raw)),
            _ => None,
        })
        .filter(|c| !c.trim().is_empty())
        .collect();
    let image = fields.iter().find_map(|f| {
        let is_image = match f.local().as_str() {
            "thumbnail" => true,
            "enclosure" | "content" => {
                f.attr("type")
                    .is_some_and(|t| t.trim().starts_with("image/"))
                    || f.attr("medium").is_some_and(|m| m.trim() == "image")
            }
            _ => false,
        };
        if !is_image {
            return None;
        }
        f.attr("url").map(|u| resolve(f.base.as_ref(), &u))
    });

    RawEntry {
        guid,
        title,
        link,
        published: published_own.or(updated),
        updated,
        summary,
        content,
        authors,
        categories,
        image,
        canonical: None,
        unparsed_date,
    }
}

/// Read every entry the tolerant rules find. Never fails: a document with no entries
/// yields an empty feed, and the caller decides what that means.
pub fn extract(text: &str, base: &Url) -> ParsedFeed {
    let mut stack: Vec<Frame> = Vec::new();
    let mut drafts: Vec<Draft<'_>> = Vec::new();
    let mut total = 0usize;
    // (index into drafts, stack depth of the entry element)
    let mut current: Option<(usize, usize)> = None;
    let mut capture: Option<Capture<'_>> = None;
    let mut feed_title: Option<String> = None;
    let mut ttl: Option<u64> = None;

    for tag in scan::tags(text) {
        match tag.kind {
            Kind::Open | Kind::Empty => {
                let parent_base = stack
                    .last()
                    .map_or_else(|| Some(base.clone()), |f| f.base.clone());
                let here_base = tag
                    .attr("xml:base")
                    .and_then(|b| resolve_base(parent_base.as_ref(), &b))
                    .or(parent_base);
                if is_entry_tag(tag.name) {
                    total += 1;
                    // A new entry interrupts whatever field was being read.
                    capture = None;
                    let idx = (drafts.len() < MAX_ENTRIES).then(|| {
                        drafts.push(Draft {
                            about: tag.attr("rdf:about"),
                            fields: Vec::new(),
                        });
                        drafts.len() - 1
                    });
                    current = None;
                    if tag.kind == Kind::Open {
                        if stack.len() >= MAX_DEPTH {
                            break;
                        }
                        stack.push(Frame {
                            name: tag.name.to_ascii_lowercase(),
                            base: here_base,
                        });
                        current = idx.map(|i| (i, stack.len()));
                    }
                    continue;
                }
                let depth = stack.len() + 1;
                let target = if capture.is_some() {
                    None
                } else if let Some((i, d)) = current {
                    (depth == d + 1).then_some(Target::Entry(i))
                } else {
                    let parent = stack.last().map(|f| scan::local_name(&f.name));
                    let in_channel = matches!(parent.as_deref(), Some("channel" | "feed"));
                    match tag.local().as_str() {
                        "title" if in_channel && feed_title.is_none() => Some(Target::FeedTitle),
                        "ttl" if in_channel && ttl.is_none() => Some(Target::Ttl),
                        _ => None,
                    }
                };
                if tag.kind == Kind::Empty {
                    if let Some(Target::Entry(i)) = target {
                        drafts[i].fields.push(Field {
                            name: tag.name,
                            attrs: tag.attrs,
                            raw: "",
                            base: here_base,
                        });
                    }
                    continue;
                }
                if stack.len() >= MAX_DEPTH {
                    break;
                }
                stack.push(Frame {
                    name: tag.name.to_ascii_lowercase(),
                    base: here_base.clone(),
                });
                if let Some(target) = target {
                    capture = Some(Capture {
                        target,
                        name: tag.name,
                        attrs: tag.attrs,
                        content_start: tag.end,
                        depth,
                        base: here_base,
                    });
                }
            }
            Kind::Close => {
                let name = tag.name.to_ascii_lowercase();
                let Some(pos) = stack.iter().rposition(|f| f.name == name) else {
                    continue;
                };
                let closed_depth = pos + 1;
                if capture.as_ref().is_some_and(|c| c.depth >= closed_depth)
                    && let Some(c) = capture.take()
                {
                    let raw = &text[c.content_start..tag.start];
                    apply(c, raw, &mut drafts, &mut feed_title, &mut ttl);
                }
                if current.is_some_and(|(_, d)| d >= closed_depth) {
                    current = None;
                }
                stack.truncate(pos);
            }
        }
    }
    if let Some(c) = capture.take() {
        let raw = &text[c.content_start.min(text.len())..];
        apply(c, raw, &mut drafts, &mut feed_title, &mut ttl);
    }
    let entries: Vec<RawEntry> = drafts.into_iter().map(build).collect();
    ParsedFeed {
        title: feed_title.filter(|t| !t.is_empty()),
        truncated: total.saturating_sub(entries.len()),
        entries,
        ttl: ttl.map(|m| std::time::Duration::from_secs(m.saturating_mul(60))),
    }
}

fn apply<'a>(
    c: Capture<'a>,
    raw: &'a str,
    drafts: &mut [Draft<'a>],
    feed_title: &mut Option<String>,
    ttl: &mut Option<u64>,
) {
    match c.target {
        Target::Entry(i) => {
            if let Some(d) = drafts.get_mut(i) {
                d.fields.push(Field {
                    name: c.name,
                    attrs: c.attrs,
                    raw,
                    base: c.base,
                });
            }
        }
        Target::FeedTitle => *feed_title = Some(rich_value(c.attrs, raw)),
        Target::Ttl => *ttl = text_value(raw).parse().ok(),
    }
}
