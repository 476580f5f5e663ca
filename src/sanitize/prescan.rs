//! The scan that lets most bodies skip the pruning parse ([`super::prune_elements`]).
//! Most articles carry images and nothing to prune, and the parse that proved it was a
//! quarter of sanitising. The scan reads every `<img` start tag the way the HTML
//! tokenizer does, so the two cannot disagree on which `src`, `width` and `height` a tag
//! has; whatever the tokenizer would rewrite (a character reference, a NUL) or the scan
//! does not follow makes it answer "parse".

use super::{allowed_url, contains_ignore_ascii_case, is_tiny};

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

/// Every `<img` start tag of `html` (any case): `Some` with what pruning reads from it,
/// `None` when the scan cannot vouch for the tag: a character reference or a NUL in it,
/// no `>` before the end, or `<image`, which parsers read as `<img>`. Found by a scan
/// for `<` because the case-insensitive pattern it replaced found no fast prefix and
/// cost as much as the parse it saves; read by hand because a pattern cut tags at a `>`
/// inside a quoted value and read `src=` inside another attribute's value (both found by
/// fuzzing: a refused image was left as an `<img>` without `src`).
pub(super) fn img_tags(html: &str) -> impl Iterator<Item = Option<ImgTag<'_>>> {
    let bytes = html.as_bytes();
    let mut at = 0;
    std::iter::from_fn(move || {
        loop {
            let lt = at + memchr::memchr(b'<', bytes.get(at..)?)?;
            at = lt + 1;
            let named = |n: &[u8]| {
                bytes
                    .get(lt + 1..lt + 1 + n.len())
                    .is_some_and(|w| w.eq_ignore_ascii_case(n))
            };
            if !named(b"img") {
                if named(b"image") {
                    return Some(None);
                }
                continue;
            }
            match bytes.get(lt + 4) {
                Some(&c) if is_space(c) || c == b'/' || c == b'>' => {}
                // `<img` at the very end: the parser drops it, the scan cannot tell.
                None => return Some(None),
                // `<imgx`, `<img-x>`: another element.
                Some(_) => continue,
            }
            // The scan goes on from just after this `<`, not after the tag: a `<img`
            // the scan reads inside a comment may swallow a real one that the parser
            // sees once the comment ends (found by fuzzing: `</x <img src='a>' <img>`).
            return Some(read_attributes(html, lt + 4));
        }
    })
}

/// The attributes of a start tag from `from` (just after its name) to its `>`, by the
/// tokenizer's states. `None` for the unusual cases of [`img_tags`].
fn read_attributes(html: &str, from: usize) -> Option<ImgTag<'_>> {
    let b = html.as_bytes();
    let mut tag = ImgTag::default();
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
            Some(b'>') => return Some(tag),
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
        if b.get(i) == Some(&b'=') {
            i += 1;
            skip(&mut i, &is_space);
            match b.get(i) {
                Some(&q @ (b'"' | b'\'')) => {
                    let len = b.get(i + 1..).and_then(|rest| memchr::memchr(q, rest))?;
                    value = html.get(i + 1..i + 1 + len).unwrap_or_default();
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
        if name.contains(['&', '\0']) || value.contains(['&', '\0']) {
            return None;
        }
        let slot = if name.eq_ignore_ascii_case("src") {
            &mut tag.src
        } else if name.eq_ignore_ascii_case("width") {
            &mut tag.width
        } else if name.eq_ignore_ascii_case("height") {
            &mut tag.height
        } else {
            continue;
        };
        slot.get_or_insert(value);
    }
}
