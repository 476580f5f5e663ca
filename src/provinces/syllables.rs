//! Splitting text into syllables for province matching, keeping for each one its folded
//! form (for lookup), its original case (for the capitalisation rules) and what separated
//! it from the previous syllable (so names do not match across sentences or commas).

use std::borrow::Cow;

use unicode_normalization::UnicodeNormalization;

use crate::text::{fold_into, is_word_char};

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

    /// Adds the word at `from..to` of `text` (what becomes `self.text`), after the
    /// separator at `sep_from..from`.
    fn push(&mut self, text: &str, sep_from: usize, from: usize, to: usize) {
        let sep = text.get(sep_from..from).unwrap_or("");
        let word = text.get(from..to).unwrap_or("");
        let sep_before = if self.spans.is_empty() {
            Sep::Start
        } else {
            classify(sep)
        };
        let folded_start = self.folded.len();
        fold_into(word, &mut self.folded);
        self.spans.push(Span {
            word: (from, to),
            folded: (folded_start, self.folded.len()),
            caps: word.chars().next().is_some_and(char::is_uppercase),
            ascii: word.is_ascii(),
            sep_before,
        });
    }
}

/// The syllables of `text`, in order.
pub(super) fn split(text: &str) -> Split<'_> {
    // Normalised text (what `normalize` passes) is used as it is.
    let clean: Cow<'_, str> = if !text.contains(is_invisible) && crate::text::is_nfc_yes(text) {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(text.chars().filter(|&c| !is_invisible(c)).nfc().collect())
    };
    let mut out = Split {
        text: Cow::Borrowed(""),
        folded: String::with_capacity(clean.len()),
        spans: Vec::new(),
    };
    let mut sep_start = 0;
    let mut word_start: Option<usize> = None;
    for (i, c) in clean.char_indices() {
        match (word_start, is_word_char(c)) {
            (None, true) => word_start = Some(i),
            (Some(ws), false) => {
                out.push(&clean, sep_start, ws, i);
                word_start = None;
                sep_start = i;
            }
            _ => {}
        }
    }
    if let Some(ws) = word_start {
        out.push(&clean, sep_start, ws, clean.len());
    }
    out.text = clean;
    out
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
