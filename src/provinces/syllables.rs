//! Splitting text into syllables for province matching, keeping for each one its folded
//! form (for lookup), its original case (for the capitalisation rules) and what separated
//! it from the previous syllable (so names do not match across sentences or commas).

use std::borrow::Cow;

use unicode_normalization::UnicodeNormalization;

use crate::text::{ByteFold, fold_into, is_word_char};

/// What stood between a syllable and the one before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Sep {
    /// First syllable of the text.
    Start,
    /// Only spaces (no line break).
    Space,
    /// A single dash (`Bà Rịa - Vũng Tàu`, `BR-VT`) or a dot with no space (`TP.HCM`).
    Join,
    /// A dot then spaces (`TP. Hồ Chí Minh`): a sentence end unless the left side is `TP`.
    DotSpace,
    /// Anything else: punctuation, brackets, line breaks.
    Hard,
}

#[derive(Debug)]
pub(super) struct Syllable<'a> {
    /// As written (NFC, invisible characters removed).
    pub word: &'a str,
    /// `crate::text::fold` of the syllable.
    pub folded: &'a str,
    /// Starts with an upper-case letter (all-caps text counts).
    pub caps: bool,
    /// Written without any diacritic (unaccented or English text).
    pub ascii: bool,
    pub sep_before: Sep,
}

impl Syllable<'_> {
    /// Lower-case, NFC, diacritics kept. Made on demand: only the syllables in and next to
    /// a candidate name need it, and lower-casing every word was a quarter of tagging.
    pub fn lower(&self) -> String {
        if self.ascii {
            self.word.to_ascii_lowercase()
        } else {
            self.word.to_lowercase()
        }
    }

    /// `self.lower() == w` for a lower-case word `w` without Greek letters (the word
    /// lists), without building the lower-case form.
    pub fn lower_is(&self, w: &str) -> bool {
        if self.ascii {
            self.word.eq_ignore_ascii_case(w)
        } else {
            // Per character, which differs from `str::to_lowercase` only for a final `Σ`.
            self.word.chars().flat_map(char::to_lowercase).eq(w.chars())
        }
    }
}

const DASHES: &[char] = &['-', '‐', '‑', '‒', '–', '—', '−'];

/// Characters that may sit inside a word without splitting it.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{AD}' | '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}'
    )
}

fn classify(sep: &str) -> Sep {
    // Most separators are one space.
    if sep == " " {
        return Sep::Space;
    }
    if sep.contains(['\n', '\r']) {
        return Sep::Hard;
    }
    let trimmed = sep.trim();
    let mut chars = trimmed.chars();
    match (chars.next(), chars.next()) {
        (None, _) => Sep::Space,
        (Some(c), None) if DASHES.contains(&c) => Sep::Join,
        (Some('.'), None) if sep.len() == 1 => Sep::Join,
        (Some('.'), None) if sep.starts_with('.') => Sep::DotSpace,
        _ => Sep::Hard,
    }
}

/// A text's syllables: spans of the (cleaned) text and of one buffer of folded forms. An
/// article has hundreds of words, and two Strings per word were a fifth of the
/// normalisation time (BENCHMARKS.md).
#[derive(Debug, Default)]
pub(super) struct Split<'t> {
    text: Cow<'t, str>,
    folded: String,
    spans: Vec<Span>,
}

#[derive(Debug)]
struct Span {
    word: (usize, usize),
    folded: (usize, usize),
    caps: bool,
    ascii: bool,
    sep_before: Sep,
}

impl Split<'_> {
    pub(super) fn syllables(&self) -> Vec<Syllable<'_>> {
        self.spans
            .iter()
            .map(|s| Syllable {
                word: self.text.get(s.word.0..s.word.1).unwrap_or(""),
                folded: self.folded.get(s.folded.0..s.folded.1).unwrap_or(""),
                caps: s.caps,
                ascii: s.ascii,
                sep_before: s.sep_before,
            })
            .collect()
    }

    /// Ends the word `w` at `to` of `text` (what becomes `self.text`), after the separator
    /// at `sep_from..w.start`.
    fn finish(&mut self, text: &str, sep_from: usize, w: Word, to: usize) {
        let word = text.get(w.start..to).unwrap_or("");
        if !w.simple {
            self.folded.truncate(w.folded_start);
            fold_into(word, &mut self.folded);
        }
        let sep_before = if self.spans.is_empty() {
            Sep::Start
        } else {
            classify(text.get(sep_from..w.start).unwrap_or(""))
        };
        self.spans.push(Span {
            word: (w.start, to),
            folded: (w.folded_start, self.folded.len()),
            caps: w.caps,
            ascii: w.ascii,
            sep_before,
        });
    }
}

/// A word being scanned: its folded form is written a character at a time while every
/// character folds to one ASCII byte (`simple`), and folded whole at its end otherwise.
struct Word {
    start: usize,
    folded_start: usize,
    simple: bool,
    ascii: bool,
    caps: bool,
}

/// Per ASCII byte: its fold (lower case) when it is a letter or a digit, 0 otherwise.
const ASCII_FOLD: [u8; 128] = {
    let mut table = [0u8; 128];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        if c.is_ascii_alphanumeric() {
            table[b] = c.to_ascii_lowercase();
        }
        b += 1;
    }
    table
};

/// The syllables of `text`, in order.
pub(super) fn split(text: &str) -> Split<'_> {
    // Normalised text (what `normalize` passes) is used as it is.
    scan(Cow::Borrowed(text), true).unwrap_or_else(|| {
        let clean: String = text.chars().filter(|&c| !is_invisible(c)).nfc().collect();
        scan(Cow::Owned(clean), false).unwrap_or_default()
    })
}

/// Whether `text` has invisible characters or is not NFC.
fn needs_cleaning(text: &str) -> bool {
    text.contains(is_invisible) || !crate::text::is_nfc_yes(text)
}

/// Splits `clean` in one pass that folds as it goes. Splitting, then folding each word
/// with `fold_into`, read every character three times (two checks, the split) and again
/// to fold; that was 8 % of a cold round's instructions. With `check`, each character
/// outside the ranges known to be NFC and visible sends the whole text through
/// [`needs_cleaning`], and the answer is `None` when it does.
fn scan(clean: Cow<'_, str>, mut check: bool) -> Option<Split<'_>> {
    let mut out = Split {
        text: Cow::Borrowed(""),
        folded: String::with_capacity(clean.len()),
        // A Vietnamese syllable and its space take about six bytes; growing this from
        // empty was most of the splitter's allocations.
        spans: Vec::with_capacity(clean.len() / 6 + 1),
    };
    let fold = ByteFold::new();
    let bytes = clean.as_bytes();
    let mut sep_start = 0;
    let mut word: Option<Word> = None;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let (c, byte, word_char) = if b.is_ascii() {
            let f = ASCII_FOLD[usize::from(b)];
            (char::from(b), (f != 0).then_some(f), f != 0)
        } else {
            let c = clean.get(i..).and_then(|s| s.chars().next())?;
            if check && (is_invisible(c) || !crate::text::nfc_stable(c)) {
                if needs_cleaning(&clean) {
                    return None;
                }
                check = false;
            }
            (c, fold.byte(c), is_word_char(c))
        };
        let len = c.len_utf8();
        if !word_char {
            if let Some(w) = word.take() {
                out.finish(&clean, sep_start, w, i);
                sep_start = i;
            }
            i += len;
            continue;
        }
        let w = word.get_or_insert_with(|| Word {
            start: i,
            folded_start: out.folded.len(),
            simple: true,
            ascii: true,
            caps: c.is_uppercase(),
        });
        w.ascii &= len == 1;
        if w.simple {
            match byte {
                Some(b) => out.folded.push(char::from(b)),
                None => w.simple = false,
            }
        }
        i += len;
    }
    if let Some(w) = word {
        out.finish(&clean, sep_start, w, clean.len());
    }
    out.text = clean;
    Some(out)
}

/// Lookup key of a spelling: its folded syllables joined by single spaces, punctuation
/// dropped (`Bà Rịa - Vũng Tàu` → `ba ria vung tau`, `TP.HCM` → `tp hcm`).
pub(super) fn key(spelling: &str) -> String {
    let split = split(spelling);
    let mut out = String::with_capacity(spelling.len());
    for s in &split.syllables() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(s.folded);
    }
    out
}

const TONE_MARKS: &[char] = &['\u{300}', '\u{301}', '\u{303}', '\u{309}', '\u{323}'];

/// A syllable's letters with its tone mark moved to the end, so that the two tone
/// placements (`hòa`/`hoà`, `thủy`/`thuỷ`) compare equal while `huế` and `huệ` do not.
pub(super) fn signature(lower: &str) -> String {
    let mut tone = None;
    let mut base = String::with_capacity(lower.len() + 2);
    for c in lower.nfd() {
        if TONE_MARKS.contains(&c) {
            tone = Some(c);
        } else {
            base.push(c);
        }
    }
    let mut out: String = base.nfc().collect();
    if let Some(t) = tone {
        out.push(t);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators_are_classified() {
        let split = split("TP.HCM, Bà Rịa - Vũng Tàu. TP. Huế\nHà Nội");
        let got: Vec<(&str, Sep)> = split
            .syllables()
            .iter()
            .map(|s| (s.folded, s.sep_before))
            .collect();
        assert_eq!(
            got,
            vec![
                ("tp", Sep::Start),
                ("hcm", Sep::Join),
                ("ba", Sep::Hard),
                ("ria", Sep::Space),
                ("vung", Sep::Join),
                ("tau", Sep::Space),
                ("tp", Sep::DotSpace),
                ("hue", Sep::DotSpace),
                ("ha", Sep::Hard),
                ("noi", Sep::Space),
            ]
        );
    }

    #[test]
    fn invisible_characters_do_not_split_words_and_nfd_is_composed() {
        let split = split("Khán\u{AD}h Hoa\u{300}");
        let s = split.syllables();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].lower(), "khánh");
        assert_eq!(s[1].lower(), "hoà");
        assert!(s[0].lower_is("khánh") && s[1].lower_is("hoà"));
        assert!(!s[0].lower_is("khanh") && !s[0].lower_is("khánhx"));
        assert!(s[0].caps && s[1].caps);
        assert!(!s[1].ascii);
    }

    /// The split as it was before it folded in the same pass: clean the text if needed,
    /// cut it at non-word characters, then fold each word on its own.
    fn split_reference(text: &str) -> Vec<(String, String, bool, bool, Sep)> {
        let clean: String = if !needs_cleaning(text) {
            text.to_string()
        } else {
            text.chars().filter(|&c| !is_invisible(c)).nfc().collect()
        };
        let mut out = Vec::new();
        let mut push = |sep: &str, word: &str| {
            let sep_before = if out.is_empty() {
                Sep::Start
            } else {
                classify(sep)
            };
            out.push((
                word.to_string(),
                crate::text::fold(word),
                word.chars().next().is_some_and(char::is_uppercase),
                word.is_ascii(),
                sep_before,
            ));
        };
        let mut sep_start = 0;
        let mut word_start = None;
        for (i, c) in clean.char_indices() {
            match (word_start, is_word_char(c)) {
                (None, true) => word_start = Some(i),
                (Some(ws), false) => {
                    push(&clean[sep_start..ws], &clean[ws..i]);
                    word_start = None;
                    sep_start = i;
                }
                _ => {}
            }
        }
        if let Some(ws) = word_start {
            push(&clean[sep_start..ws], &clean[ws..]);
        }
        out
    }

    fn split_now(text: &str) -> Vec<(String, String, bool, bool, Sep)> {
        split(text)
            .syllables()
            .iter()
            .map(|s| {
                (
                    s.word.to_string(),
                    s.folded.to_string(),
                    s.caps,
                    s.ascii,
                    s.sep_before,
                )
            })
            .collect()
    }

    #[test]
    fn one_pass_split_answers_like_split_then_fold() {
        let cases = [
            "Đoàn công tác tỉnh Hưng Yên thăm Khánh Hòa. TP.HCM, Bà Rịa - Vũng Tàu",
            // NFD, invisible characters, a lone combining mark, other scripts.
            "Kha\u{301}nh Hoa\u{300} \u{200B}Huế\u{AD}x \u{301}abc Ελλάδα 東京 İstanbul",
            "  \n\t“Hà Nội” – 06/9/2025, 1.500 tỷ; ² ª Ⅻ ß ﬁ ǅ Ǳ ŉ ΐ #1 e\u{301}\u{302}",
            "",
            "   ",
            "a",
            "Hồ Chí Minh\u{FEFF}",
        ];
        for text in cases {
            assert_eq!(split_now(text), split_reference(text), "text {text:?}");
        }
        // Random strings over an alphabet of the characters the fast path treats apart.
        let alphabet: Vec<char> =
            "aZ9 .-–\n,ĐđàÀằẰệỆươƯ\u{300}\u{301}\u{AD}\u{200B}\u{FEFF}²ªßΐάω東İǅﬁ\u{2022}\u{201C}°"
                .chars()
                .collect();
        // xorshift64: any fixed sequence will do.
        let xorshift = |mut x: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^ (x << 17)
        };
        let mut rng = 7u64;
        for _ in 0..3000 {
            let mut text = String::new();
            for _ in 0..(rng % 24) {
                rng = xorshift(rng);
                text.push(alphabet[(rng % alphabet.len() as u64) as usize]);
            }
            rng = xorshift(rng);
            assert_eq!(split_now(&text), split_reference(&text), "text {text:?}");
        }
    }

    #[test]
    fn signature_ignores_tone_placement_only() {
        assert_eq!(signature("hòa"), signature("hoà"));
        assert_eq!(signature("thủy"), signature("thuỷ"));
        assert_ne!(signature("huế"), signature("huệ"));
        assert_ne!(signature("hòa"), signature("hoa"));
        assert_ne!(signature("lắk"), signature("lăk"));
    }

    #[test]
    fn keys_drop_punctuation_and_case() {
        assert_eq!(key("Bà Rịa-Vũng Tàu"), "ba ria vung tau");
        assert_eq!(key("TP.HCM"), "tp hcm");
        assert_eq!(key("  KHÁNH   HOÀ "), "khanh hoa");
        assert_eq!(key("ha-noi"), "ha noi");
    }
}
