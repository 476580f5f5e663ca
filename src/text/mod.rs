//! Vietnamese text hygiene: normalisation of every stored string, and (in `fold`) the one
//! folding function used for keys and search.
//!
//! Why each step exists is in vietnamese-sources.md §7: portals mix NFC, NFD and
//! "half-decomposed" text (`ô` + U+0301), sprinkle zero-width spaces and soft hyphens, put
//! entities in metadata, and sometimes serve double-decoded UTF-8.

mod entities;
mod entity_table;
mod fold;
mod mojibake;
mod serialized;
#[cfg(test)]
mod tests;

use scraper::{Html, Node};
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};

pub(crate) use fold::ByteFold;
pub use fold::{fold, fold_into};
pub use mojibake::has_mojibake;
pub(crate) use serialized::read_tag;
pub use serialized::sanitized_html_to_text;
#[cfg(test)]
pub(crate) use serialized::scan as scan_for_tests;

/// A letter, digit or combining mark: what syllables are made of, for the tokenisers of
/// dedup and of the province tagger. `char::is_alphanumeric` answers Vietnamese letters
/// by a table search (`alphabetic::lookup_slow` was 2.5 % of a cold round's CPU), so the
/// Latin blocks Vietnamese is written in, every one of whose characters is a letter, are
/// answered by range first. A test checks the shortcut against the full answer for every
/// character.
pub(crate) fn is_word_char(c: char) -> bool {
    match c {
        'a'..='z' | 'A'..='Z' | '0'..='9' => true,
        '\0'..='\u{7F}' => false,
        // Latin-1 letters, Latin Extended-A and -B, IPA; Latin Extended Additional.
        '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}' | '\u{F8}'..='\u{2AF}' => true,
        '\u{1E00}'..='\u{1EFF}' => true,
        _ => c.is_alphanumeric() || is_combining_mark(c),
    }
}

/// True when `s` is in NFC, like `is_nfc_quick(s) == Yes`. Text made only of the
/// characters Vietnamese is written in is answered by range: every character below
/// U+0300 (Latin up to IPA), the Vietnamese letters U+1EA0–U+1EF9 and the punctuation
/// U+2010–U+2027 has NFC_Quick_Check=Yes and combining class 0, and a string of such
/// characters is NFC. The library's check looks each character up in two tables; it ran
/// three times over every text (4 % of a cold round's instructions). A test checks the
/// ranges against the tables for every character in them.
pub(crate) fn is_nfc_yes(s: &str) -> bool {
    s.chars().all(nfc_stable) || is_nfc_quick(s.chars()) == IsNormalized::Yes
}

/// The characters of `s` in NFC, like `s.nfc()`, read straight from `s` when
/// [`is_nfc_yes`] says it is NFC already: the recomposing iterator costs ~200
/// instructions a character even when it changes nothing.
pub(crate) fn nfc_chars(s: &str) -> NfcChars<'_> {
    if is_nfc_yes(s) {
        NfcChars::Same(s.chars())
    } else {
        NfcChars::Composed(s.nfc())
    }
}

pub(crate) enum NfcChars<'a> {
    Same(std::str::Chars<'a>),
    Composed(unicode_normalization::Recompositions<std::str::Chars<'a>>),
}

impl Iterator for NfcChars<'_> {
    type Item = char;

    fn next(&mut self) -> Option<char> {
        match self {
            NfcChars::Same(c) => c.next(),
            NfcChars::Composed(c) => c.next(),
        }
    }
}

pub(crate) fn nfc_stable(c: char) -> bool {
    matches!(c, '\0'..='\u{2FF}' | '\u{1EA0}'..='\u{1EF9}' | '\u{2010}'..='\u{2027}')
}

/// `char::is_alphabetic`, with the Latin blocks of [`is_word_char`] answered by range
/// (they hold no digits): the table search behind it was 1.5 % of a cold round's
/// instructions, asked for every letter of every fingerprinted word.
pub(crate) fn is_letter(c: char) -> bool {
    match c {
        'a'..='z' | 'A'..='Z' => true,
        '\0'..='\u{7F}' => false,
        '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}' | '\u{F8}'..='\u{2AF}' => true,
        '\u{1E00}'..='\u{1EFF}' => true,
        _ => c.is_alphabetic(),
    }
}

/// Invisible characters that carry no text: zero-width space/non-joiner/joiner, word joiner,
/// BOM, soft hyphen, bidi marks (Vietnamese is always LTR), and C0/C1 controls. Whitespace
/// controls (`\t`, `\n`, `\r`, U+0085…) are not listed: callers test whitespace first.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200F}' | '\u{2060}' | '\u{FEFF}' | '\u{AD}' | '\u{0}'..='\u{1F}'
            | '\u{7F}'..='\u{9F}'
    )
}

/// Clean one field for storage: decode HTML entities, NFC, strip zero-width, soft hyphen,
/// BOM and control characters, collapse whitespace (NBSP included), trim.
///
/// Entities are decoded exactly one level (`&amp;lt;` → `&lt;`), so the function is
/// idempotent on everything except text whose decoded form still spells an entity; such
/// double-escaped input is rare and a second call would be a double decode, which is the
/// bug we must not have. Named entities need their `;`; unknown ones stay literal.
pub fn normalize_text(s: &str) -> String {
    clean_decoded(&entities::decode_entities(s))
}

/// What [`clean_decoded`] does with a character: keep it, read it as a word break, or
/// drop it. Whitespace first: `\n`/`\t`/U+0085 are controls too, but they separate words.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Clean {
    Keep,
    Space,
    Drop,
    /// A lead byte of characters of both kinds: decode the character to know.
    Look,
    /// Kept, but the character (U+0300 and up) may not be [`nfc_stable`]: the text needs
    /// the NFC check at the end.
    Wide,
}

fn clean_class(c: char) -> Clean {
    if c.is_whitespace() {
        Clean::Space
    } else if is_invisible(c) {
        Clean::Drop
    } else {
        Clean::Keep
    }
}

/// [`clean_class`] per byte of UTF-8. Every whitespace and invisible character is ASCII
/// or starts with one of five lead bytes (U+0080-U+00BF, U+1680, U+2000-U+206F, U+3000,
/// U+FEFF); all other bytes, continuation bytes included, are kept as they are, so a
/// text is scanned a byte at a time with no decoding (a test checks every character).
/// Below U+0300 every character is also [`nfc_stable`], so a text whose lead bytes are
/// all under 0xCC (Vietnamese letters aside, see [`clean_decoded`]) skips the NFC check.
static CLEAN_BYTES: [Clean; 256] = {
    let mut t = [Clean::Keep; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = Clean::Drop;
        b += 1;
    }
    t[0x7F] = Clean::Drop;
    t[b' ' as usize] = Clean::Space;
    b = 0x09; // \t \n vertical tab, form feed, \r
    while b <= 0x0D {
        t[b] = Clean::Space;
        b += 1;
    }
    // Lead bytes of U+0300 and up; E1, E2, E3 and EF are set to `Look` below.
    b = 0xCC;
    while b <= 0xF4 {
        t[b] = Clean::Wide;
        b += 1;
    }
    t[0xC2] = Clean::Look;
    t[0xE1] = Clean::Look;
    t[0xE2] = Clean::Look;
    t[0xE3] = Clean::Look;
    t[0xEF] = Clean::Look;
    t
};

/// Everything `normalize_text` does after entity decoding; used directly on text that an
/// HTML parser has already decoded, so entities are never decoded twice.
fn clean_decoded(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    // Kept characters are copied a run at a time, found by a byte table: a loop over
    // `chars` pushing them one by one was 1.6 % of a cold round's CPU (BENCHMARKS.md §1).
    let keep = |out: &mut String, run: &str, pending_space: &mut bool| {
        if run.is_empty() {
            return;
        }
        if *pending_space && !out.is_empty() {
            out.push(' ');
        }
        *pending_space = false;
        out.push_str(run);
    };
    let bytes = s.as_bytes();
    let (mut run, mut i) = (0, 0);
    // Whether a kept character may not be `nfc_stable`. Tracked here because checking
    // the output afterwards read every character a second time (1.1 % of normalisation's
    // instructions, BENCHMARKS.md §1), where Vietnamese text almost never needs it.
    let mut unstable = false;
    while let Some(&b) = bytes.get(i) {
        let (class, len) = match CLEAN_BYTES[usize::from(b)] {
            Clean::Keep => {
                i += 1;
                continue;
            }
            Clean::Wide => {
                unstable = true;
                i += 1;
                continue;
            }
            // Vietnamese letters with a tone (U+1EA0–U+1EF9) start E1 BA or E1 BB, and
            // nothing from U+1E00 to U+1FFF is whitespace or invisible: kept without
            // decoding, where decoding them was most of this loop's work on real text.
            Clean::Look if b == 0xE1 && matches!(bytes.get(i + 1), Some(0xB8..=0xBF)) => {
                let low = |k: usize| u32::from(bytes.get(i + k).map_or(0, |b| b & 0x3F));
                let cp = 0x1000 | (low(1) << 6) | low(2);
                unstable |= !(0x1EA0..=0x1EF9).contains(&cp);
                i += 3;
                continue;
            }
            // A lead byte is a character boundary.
            Clean::Look => match s.get(i..).and_then(|t| t.chars().next()) {
                Some(c) => {
                    let class = clean_class(c);
                    unstable |= class == Clean::Keep && !nfc_stable(c);
                    (class, c.len_utf8())
                }
                None => (Clean::Keep, 1),
            },
            class => (class, 1),
        };
        if class != Clean::Keep {
            keep(&mut out, s.get(run..i).unwrap_or(""), &mut pending_space);
            pending_space |= class == Clean::Space;
            run = i + len;
        }
        i += len;
    }
    keep(&mut out, s.get(run..).unwrap_or(""), &mut pending_space);
    // Stripping comes before NFC so that `a` + ZWSP + U+0301 composes to `á`. NFC never
    // creates or removes whitespace, so the collapsing above stays valid.
    if !unstable || is_nfc_yes(&out) {
        out
    } else {
        out.nfc().collect()
    }
}

/// Elements whose content is not visible text.
fn is_skipped(name: &str) -> bool {
    matches!(
        name,
        "script"
            | "style"
            | "noscript"
            | "template"
            | "head"
            | "title"
            | "iframe"
            | "object"
            | "embed"
            | "svg"
            | "math"
            | "select"
            | "textarea"
            | "button"
    )
}

/// Elements that start a new line when rendered; summaries turn those into spaces so
/// `<p>a</p><p>b</p>` reads "a b", while inline `<b>Khánh</b>Hòa` stays one word. Shared
/// with HTML extraction, so list titles and summaries are read the same way.
pub(crate) fn is_block(name: &str) -> bool {
    matches!(
        name,
        "address"
            | "article"
            | "aside"
            | "blockquote"
            | "br"
            | "caption"
            | "dd"
            | "details"
            | "div"
            | "dl"
            | "dt"
            | "figcaption"
            | "figure"
            | "footer"
            | "form"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "header"
            | "hr"
            | "li"
            | "main"
            | "nav"
            | "ol"
            | "p"
            | "pre"
            | "section"
            | "summary"
            | "table"
            | "tbody"
            | "td"
            | "tfoot"
            | "th"
            | "thead"
            | "tr"
            | "ul"
    )
}

/// Plain text of an HTML fragment (block elements become line/space breaks), normalised.
///
/// Input without `<` is treated as plain text and only entity-decoded and cleaned, which
/// skips the parser for the common RSS-title case. Otherwise html5ever decodes entities
/// while parsing and we do not decode again.
pub fn html_to_text(html: &str) -> String {
    if !html.contains('<') {
        return normalize_text(html);
    }
    let doc = Html::parse_fragment(html);
    let mut raw = String::with_capacity(html.len() / 2);
    // Explicit stack instead of recursion: hostile input can nest tens of thousands deep.
    // `None` marks the end of a block element.
    let mut stack = vec![Some(doc.tree.root())];
    while let Some(item) = stack.pop() {
        let Some(node) = item else {
            raw.push('\n');
            continue;
        };
        match node.value() {
            Node::Text(t) => raw.push_str(t),
            Node::Element(e) => {
                let name = e.name();
                if is_skipped(name) {
                    continue;
                }
                if is_block(name) {
                    raw.push('\n');
                    stack.push(None);
                }
                stack.extend(node.children().rev().map(Some));
            }
            Node::Document | Node::Fragment => stack.extend(node.children().rev().map(Some)),
            _ => {}
        }
    }
    clean_decoded(&raw)
}

/// Characters we drop from the end of a cut so the ellipsis does not follow `,` or `–`.
fn is_trailing_junk(c: char) -> bool {
    c.is_whitespace() || matches!(c, ',' | ';' | ':' | '-' | '–' | '—' | '(' | '“' | '‘' | '"')
}

/// First `max_chars` characters of `s`, cut at a word boundary, with `…` when cut.
///
/// The result, ellipsis included, never exceeds `max_chars` characters. A single word
/// longer than the limit is cut inside the word (but never inside a character or between
/// a letter and its combining mark).
pub fn truncate_words(s: &str, max_chars: usize) -> String {
    if max_chars == 0 {
        return String::new();
    }
    // Byte offset just past the first `max_chars - 1` chars, and whether more text follows
    // beyond `max_chars` chars at all.
    let mut keep_end = s.len();
    let mut over = false;
    for (n, (i, _)) in s.char_indices().enumerate() {
        if n == max_chars - 1 {
            keep_end = i;
        }
        if n == max_chars {
            over = true;
            break;
        }
    }
    if !over {
        return s.to_owned();
    }
    let head = &s[..keep_end];
    let next = s[keep_end..].chars().next();
    let at_boundary = next.is_some_and(char::is_whitespace);
    let mut cut = if at_boundary {
        head
    } else {
        match head.rfind(char::is_whitespace) {
            Some(ws) => &head[..ws],
            None => head,
        }
    };
    // Hard cut of one long word: step back over combining marks so `ệ` in NFD stays whole.
    if !at_boundary && cut.len() == head.len() {
        while let Some(last) = cut.chars().next_back() {
            let follows = &s[cut.len()..];
            if follows.chars().next().is_some_and(is_combining_mark) {
                cut = &cut[..cut.len() - last.len_utf8()];
            } else {
                break;
            }
        }
    }
    let cut = cut.trim_end_matches(is_trailing_junk);
    let mut out = String::with_capacity(cut.len() + 3);
    out.push_str(cut);
    out.push('…');
    out
}
