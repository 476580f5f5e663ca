//! Detection of UTF-8 that was decoded a second time as windows-1252 / Latin-1 or Mac Roman
//! ("KhÃ¡nh HÃ²a", "B√°o ti·∫øng Vi·ªát").
//!
//! Rather than a list of tell-tale substrings, we undo the wrong decoding locally: map each
//! character back to the byte the wrong codec would have produced and look for a valid
//! UTF-8 lead byte followed by continuation bytes that spell a Vietnamese letter, a combining
//! tone mark or typographic punctuation. Real Vietnamese text almost never forms such runs,
//! because the lead bytes map to symbols (`√ · ƒ ∆`) or to letters (`Ã Â á`) that are not
//! followed by `¡ ² º ª €…` in any real word.

use std::sync::LazyLock;

/// Characters below this are answered by [`Reverse::direct`]: Latin-1 and the Latin
/// blocks up to the Vietnamese letters (U+1EA0–U+1EF9), where almost every non-ASCII
/// character of real text lies.
const DIRECT: usize = 0x2000;

/// Reverse tables (char → byte for 0x80–0xFF) built from encoding_rs itself, so they cannot
/// drift from the codecs that produce the mojibake in the first place.
struct Reverse {
    /// The byte of each character below [`DIRECT`], 0 for none (every byte is ≥ 0x80).
    /// A binary search per non-ASCII character, twice (two codecs), was 1.4 % of a cold
    /// round's instructions; most of them, Vietnamese letters, are in neither table.
    direct: Vec<u8>,
    /// The other characters (typographic symbols, `€`, `√`, `ﬁ`…), sorted.
    high: Vec<(char, u8)>,
}

impl Reverse {
    fn build(enc: &'static encoding_rs::Encoding) -> Reverse {
        let mut direct = vec![0; DIRECT];
        let mut high = Vec::new();
        for (c, b) in reverse_pairs(enc) {
            match direct.get_mut(c as usize) {
                Some(slot) => *slot = b,
                None => high.push((c, b)),
            }
        }
        high.sort_unstable();
        Reverse { direct, high }
    }

    fn byte(&self, c: char) -> Option<u8> {
        if c.is_ascii() {
            return None;
        }
        match self.direct.get(c as usize) {
            Some(&0) => None,
            Some(&b) => Some(b),
            None => self
                .high
                .binary_search_by(|(k, _)| k.cmp(&c))
                .ok()
                .map(|i| self.high[i].1),
        }
    }
}

/// Each byte 0x80–0xFF that `enc` decodes to one character, with that character.
fn reverse_pairs(enc: &'static encoding_rs::Encoding) -> impl Iterator<Item = (char, u8)> {
    (0x80u8..=0xFF).filter_map(move |b| {
        let byte = [b];
        let (text, _) = enc.decode_without_bom_handling(&byte);
        let mut chars = text.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) if c != '\u{FFFD}' => Some((c, b)),
            _ => None,
        }
    })
}

static CP1252: LazyLock<Reverse> = LazyLock::new(|| Reverse::build(encoding_rs::WINDOWS_1252));
static MAC_ROMAN: LazyLock<Reverse> = LazyLock::new(|| Reverse::build(encoding_rs::MACINTOSH));

/// windows-1252 leaves five bytes undefined and true Latin-1 decoders turn 0x80–0x9F into C1
/// controls; accepting every U+0080–U+00FF as its own byte covers both.
fn cp1252_byte(c: char) -> Option<u8> {
    CP1252
        .byte(c)
        .or_else(|| u8::try_from(u32::from(c)).ok().filter(|b| *b >= 0x80))
}

fn mac_byte(c: char) -> Option<u8> {
    MAC_ROMAN.byte(c)
}

/// Characters that can legitimately follow a word ending in `Ã`/`Â`/`á` in real text
/// ("XÃ”", "«Đá»…"); a run made only of these counts as weak evidence.
fn is_weak_follower(c: char) -> bool {
    matches!(
        c,
        '\u{A0}'
            | '‘'
            | '’'
            | '‚'
            | '“'
            | '”'
            | '„'
            | '«'
            | '»'
            | '‹'
            | '›'
            | '–'
            | '—'
            | '…'
            | '•'
    )
}

fn is_interesting(cp: u32, len: usize) -> bool {
    match len {
        // Latin-1 letters, Latin Extended-A/B up to ư, Vietnamese tone marks, NBSP/«»©.
        2 => (0xA0..=0x1B0).contains(&cp) || (0x300..=0x323).contains(&cp),
        // Vietnamese precomposed block and general punctuation (smart quotes, dashes, …).
        _ => (0x1EA0..=0x1EF9).contains(&cp) || (0x2010..=0x2026).contains(&cp),
    }
}

#[derive(Default)]
struct Evidence {
    strong: usize,
    weak: usize,
}

fn scan(chars: &[char], to_byte: fn(char) -> Option<u8>, ev: &mut Evidence) {
    let cont = |i: usize| -> Option<u32> {
        let b = to_byte(*chars.get(i)?)?;
        (0x80..=0xBF).contains(&b).then_some(u32::from(b & 0x3F))
    };
    let mut i = 0;
    while i < chars.len() {
        let lead = chars[i];
        let (len, mut cp) = match to_byte(lead) {
            Some(b @ 0xC2..=0xDF) => (2, u32::from(b & 0x1F)),
            Some(b @ 0xE0..=0xEF) => (3, u32::from(b & 0x0F)),
            _ => {
                i += 1;
                continue;
            }
        };
        let mut ok = true;
        for k in 1..len {
            match cont(i + k) {
                Some(bits) => cp = (cp << 6) | bits,
                None => {
                    ok = false;
                    break;
                }
            }
        }
        if !ok || !is_interesting(cp, len) {
            i += 1;
            continue;
        }
        let followers = &chars[i + 1..i + len];
        let next_is_alnum = chars.get(i + len).is_some_and(|c| c.is_alphanumeric());
        let ends_in_nbsp = followers.last() == Some(&'\u{A0}');
        let weak = lead.is_alphabetic()
            && followers.iter().all(|c| is_weak_follower(*c))
            && (ends_in_nbsp || !next_is_alnum);
        if weak {
            ev.weak += 1;
        } else {
            ev.strong += 1;
        }
        i += len;
    }
}

/// True when the text shows signs of double decoding (`á»`, `Ã`, `Ä‘`, `√°`…).
///
/// One strong run is enough (`Ã¡`, `á»‡`, `Ä‘`, `√°`, `·∫`); runs that real text can also
/// produce (an upper-case `XÃ` before a closing quote) need three occurrences. Works on raw
/// or normalised text; on normalised text a one-word string whose only damaged letters were
/// `à`/`Đ` can escape, because their second byte maps to NBSP/C1 and is cleaned away.
pub fn has_mojibake(s: &str) -> bool {
    if s.is_ascii() {
        return false;
    }
    thread_local! {
        // Every title and summary is checked: a fresh vector each time was ~1 % of a
        // cold round's CPU in the allocator.
        static CHARS: std::cell::RefCell<Vec<char>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    CHARS.with(|cell| {
        let Ok(mut chars) = cell.try_borrow_mut() else {
            return detect(&s.chars().collect::<Vec<_>>());
        };
        chars.clear();
        chars.extend(s.chars());
        let found = detect(&chars);
        if chars.capacity() > 1 << 16 {
            *chars = Vec::new();
        }
        found
    })
}

fn detect(chars: &[char]) -> bool {
    let mut ev = Evidence::default();
    scan(chars, cp1252_byte, &mut ev);
    scan(chars, mac_byte, &mut ev);
    ev.strong > 0 || ev.weak >= 3
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn direct_table_answers_like_a_search_for_every_character() {
        for (enc, table) in [
            (encoding_rs::WINDOWS_1252, &*CP1252),
            (encoding_rs::MACINTOSH, &*MAC_ROMAN),
        ] {
            // The lookup before the direct table: one binary search over every pair.
            let mut sorted: Vec<(char, u8)> = reverse_pairs(enc).collect();
            sorted.sort_unstable();
            let searched = |c: char| {
                sorted
                    .binary_search_by(|(k, _)| k.cmp(&c))
                    .ok()
                    .map(|i| sorted[i].1)
                    .filter(|_| !c.is_ascii())
            };
            // Every character below the direct limit and a stretch above it, and a band
            // around each character the codec decodes to.
            let around = sorted
                .iter()
                .flat_map(|&(c, _)| u32::from(c).saturating_sub(2)..=u32::from(c) + 2);
            for cp in (0..DIRECT as u32 + 0x100).chain(around) {
                if let Some(c) = char::from_u32(cp) {
                    assert_eq!(table.byte(c), searched(c), "{c:?} in {}", enc.name());
                }
            }
            assert!(table.high.iter().all(|&(c, _)| c as usize >= DIRECT));
        }
    }
}
