//! Scans of `<img>` start tags that stand in for a parse, reading attributes the way the
//! HTML tokenizer does so that the two cannot disagree on what a tag holds.
//!
//! - The pruning pre-scan lets most bodies skip the pruning parse
//!   ([`super::prune_elements`]). Most articles carry images and nothing to prune, and the
//!   parse that proved it was a quarter of sanitising. Whatever the tokenizer would
//!   rewrite (a character reference, a NUL) or the scan does not follow makes it answer
//!   "parse".
//! - The lazy-image scan finds the tags whose real image sits in `data-src` (or a
//!   sibling) for [`super::promote_lazy_images`].

use super::{allowed_url, contains_ignore_ascii_case, is_empty_url, is_tiny};

/// What pruning looks at in an `<img>` start tag: the first occurrence of each
/// attribute, as the parser keeps it.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct ImgTag<'a> {
    pub(super) src: Option<&'a str>,
    pub(super) width: Option<&'a str>,
    pub(super) height: Option<&'a str>,
}

/// Whether [`super::prune_elements`] could remove anything: `false` only when there is no
/// iframe and every `<img` is a tag whose `src` is allowed and which is not a pixel.
/// Anything the scan cannot vouch for answers `true`.
pub(super) fn may_prune(html: &str) -> bool {
    if contains_ignore_ascii_case(html, "<iframe") {
        return true;
    }
    for tag in img_tags(html) {
        let Some(ImgTag { src, width, height }) = tag else {
            return true;
        };
        match src {
            Some(src) if allowed_url("img", "src", src).is_some() => {}
            _ => return true,
        }
        if is_tiny(width) && is_tiny(height) {
            return true;
        }
    }
    false
}

/// The tokenizer's whitespace (CR included: the input stream turns it into LF).
fn is_space(c: u8) -> bool {
    matches!(c, b'\t' | b'\n' | b'\x0C' | b'\r' | b' ')
}

/// Whether the `<` at `lt` starts an `<img` start tag.
enum ImgAt {
    Tag,
    /// `<image`, which parsers read as `<img>`, or `<img` at the very end, which the
    /// parser drops: the scans cannot read either as a tag.
    Unreadable,
    Not,
}

fn img_at(bytes: &[u8], lt: usize) -> ImgAt {
    let named = |n: &[u8]| {
        bytes
            .get(lt + 1..lt + 1 + n.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(n))
    };
    if !named(b"img") {
        return if named(b"image") {
            ImgAt::Unreadable
        } else {
            ImgAt::Not
        };
    }
    match bytes.get(lt + 4) {
        Some(&c) if is_space(c) || c == b'/' || c == b'>' => ImgAt::Tag,
        None => ImgAt::Unreadable,
        // `<imgx`, `<img-x>`: another element.
        Some(_) => ImgAt::Not,
    }
}

/// Every `<img` start tag of `html` (any case): `Some` with what pruning reads from it,
/// `None` when the scan cannot vouch for the tag: a character reference or a NUL in it,
/// no `>` before the end, or `<image`, which parsers read as `<img>`. Found by a scan
/// for `<` because the case-insensitive pattern it replaced found no fast prefix and
/// cost as much as the parse it saves; read by hand because a pattern cut tags at a `>`
/// inside a quoted value and read `src=` inside another attribute's value (both found by
/// fuzzing: a refused image was left as an `<img>` without `src`).
pub(super) fn img_tags(html: &str) -> impl Iterator<Item = Option<ImgTag<'_>>> {
    let mut at = 0;
    std::iter::from_fn(move || {
        let (lt, found) = next_img(html.as_bytes(), at)?;
        // The scan goes on from just after this `<`, not after the tag: a `<img` the
        // scan reads inside a comment may swallow a real one that the parser sees once
        // the comment ends (found by fuzzing: `</x <img src='a>' <img>`).
        at = lt + 1;
        Some(match found {
            ImgAt::Tag => img_tag(html, lt + 4),
            _ => None,
        })
    })
}

/// The next `<` from `at` on that starts an `<img` tag or an unreadable one.
fn next_img(bytes: &[u8], mut at: usize) -> Option<(usize, ImgAt)> {
    loop {
        let lt = at + memchr::memchr(b'<', bytes.get(at..)?)?;
        at = lt + 1;
        match img_at(bytes, lt) {
            ImgAt::Not => continue,
            found => return Some((lt, found)),
        }
    }
}

fn img_tag(html: &str, from: usize) -> Option<ImgTag<'_>> {
    let mut tag = ImgTag::default();
    let mut unsure = false;
    read_attributes(html, from, |attr| {
        if attr.name.contains(['&', '\0']) || attr.value.contains(['&', '\0']) {
            unsure = true;
        }
        let slot = if attr.name.eq_ignore_ascii_case("src") {
            &mut tag.src
        } else if attr.name.eq_ignore_ascii_case("width") {
            &mut tag.width
        } else if attr.name.eq_ignore_ascii_case("height") {
            &mut tag.height
        } else {
            return;
        };
        slot.get_or_insert(attr.value);
    })?;
    (!unsure).then_some(tag)
}

/// The attributes that lazy-loading scripts read the real image from.
pub(super) const LAZY_ATTRIBUTES: &[&str] = &["data-src", "data-original", "data-lazy-src"];

/// Every `<img>` start tag of `html` that carries a lazy-loading attribute with a
/// value: where its name ends, and that attribute (the first one, in the tag's order,
/// that is not a duplicate and not empty as a URL: promoting an empty one would lose
/// the image). Unlike [`img_tags`], the scan goes on after
/// each tag it read, as the tokenizer does outside comments and raw text: this scan
/// changes the input, so it must not rewrite a `<img` written inside another tag's value.
pub(super) fn lazy_images(html: &str) -> impl Iterator<Item = (usize, Attribute<'_>)> {
    let mut at = 0;
    std::iter::from_fn(move || {
        loop {
            let (lt, found) = next_img(html.as_bytes(), at)?;
            at = lt + 1;
            if !matches!(found, ImgAt::Tag) {
                continue;
            }
            let mut lazy = None;
            let mut seen = [false; LAZY_ATTRIBUTES.len()];
            // No `>` before the end: the parser drops the tag, and so does every later
            // `<img`, which would be inside it.
            at = read_attributes(html, lt + 4, |attr| {
                let Some(k) = LAZY_ATTRIBUTES
                    .iter()
                    .position(|n| attr.name.eq_ignore_ascii_case(n))
                else {
                    return;
                };
                // The parser keeps only the first of duplicate attributes.
                if !std::mem::replace(&mut seen[k], true)
                    && lazy.is_none()
                    && !is_empty_url(attr.value)
                {
                    lazy = Some(attr);
                }
            })?;
            if let Some(attr) = lazy {
                return Some((lt + 4, attr));
            }
        }
    })
}

/// One attribute of a start tag as the tokenizer reads it, before character references
/// are decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Attribute<'a> {
    pub(super) name: &'a str,
    pub(super) value: &'a str,
    /// `"` or `'` around the value, `None` when it is unquoted (or absent).
    pub(super) quote: Option<u8>,
}

/// Calls `each` with every attribute of a start tag, in order, from `from` (just after
/// its name) to its `>`, read by the tokenizer's states; returns the index just after the
/// `>`, or `None` when the input ends first.
fn read_attributes<'a>(
    html: &'a str,
    from: usize,
    mut each: impl FnMut(Attribute<'a>),
) -> Option<usize> {
    let b = html.as_bytes();
    let mut i = from;
    let skip = |i: &mut usize, while_: &dyn Fn(u8) -> bool| {
        while b.get(*i).is_some_and(|&c| while_(c)) {
            *i += 1;
        }
    };
    loop {
        // Before an attribute name; a `/` not followed by `>` is ignored there too.
        skip(&mut i, &|c| is_space(c) || c == b'/');
        match b.get(i) {
            None => return None,
            Some(b'>') => return Some(i + 1),
            Some(_) => {}
        }
        // The name: its first character may be `=`.
        let start = i;
        i += 1;
        skip(&mut i, &|c| {
            !(is_space(c) || matches!(c, b'/' | b'>' | b'='))
        });
        let name = html.get(start..i).unwrap_or_default();
        skip(&mut i, &is_space);
        let mut value = "";
        let mut quote = None;
        if b.get(i) == Some(&b'=') {
            i += 1;
            skip(&mut i, &is_space);
            match b.get(i) {
                Some(&q @ (b'"' | b'\'')) => {
                    let len = b.get(i + 1..).and_then(|rest| memchr::memchr(q, rest))?;
                    value = html.get(i + 1..i + 1 + len).unwrap_or_default();
                    quote = Some(q);
                    i += len + 2;
                }
                // `a=>`: an empty value, and the tag ends.
                Some(b'>') => {}
                None => return None,
                Some(_) => {
                    let start = i;
                    skip(&mut i, &|c| !(is_space(c) || c == b'>'));
                    value = html.get(start..i).unwrap_or_default();
                }
            }
        }
        each(Attribute { name, value, quote });
    }
}
