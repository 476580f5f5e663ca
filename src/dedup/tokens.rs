//! Syllable tokens for fingerprints: folding, number tags, abbreviation contraction and
//! name extraction. Kept apart from the hashing so the language rules can be read (and
//! changed, with an `FP_VERSION` bump) on their own.

use std::fmt::{self, Write as _};

use unicode_normalization::UnicodeNormalization;

use super::lexicon;
use crate::text::is_word_char;

#[derive(Debug, Clone)]
pub(crate) struct Tok {
    /// Folded text, or a number tag (`d6/9`, `m8`, `q3`, `y2025`, `n1500`).
    pub text: Word,
    pub is_num: bool,
    /// First letter upper case in the source text.
    pub cap: bool,
    /// Every letter upper case (and at least two letters).
    pub upper: bool,
    /// Punctuation between this token and the previous one.
    pub brk: bool,
    /// First token of a sentence (or of the text).
    pub sent: bool,
}

/// Longest text a [`Word`] keeps inline. A folded syllable is ASCII and at most 7 bytes
/// ("nghieng"), a number tag is short; foreign words and long digit runs may not fit.
const INLINE: usize = 22;

/// A token's text, inline when it fits. A `String` per token was one allocation for each
/// of an item's ~70 tokens: an eighth of all the allocations of a cold round.
#[derive(Clone)]
pub(crate) enum Word {
    /// The first `len` bytes are a whole `&str`'s (see [`Word::new`]).
    Inline(u8, [u8; INLINE]),
    Heap(Box<str>),
}

impl Word {
    pub(crate) fn new(s: &str) -> Word {
        match u8::try_from(s.len()) {
            Ok(len) if s.len() <= INLINE => {
                let mut buf = [0; INLINE];
                buf[..s.len()].copy_from_slice(s.as_bytes());
                Word::Inline(len, buf)
            }
            _ => Word::Heap(s.into()),
        }
    }

    /// The text's bytes. Hashing, comparing and the word lists use these: the `&str` of an
    /// inline word is checked again each time (`from_utf8`, ~60 instructions), which at
    /// several uses a token cost as much as the allocations it saved.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        match self {
            Word::Inline(len, buf) => &buf[..usize::from(*len)],
            Word::Heap(s) => s.as_bytes(),
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        match self {
            // Copied from a `&str` whole, so the check cannot fail.
            Word::Inline(..) => std::str::from_utf8(self.as_bytes()).unwrap_or_default(),
            Word::Heap(s) => s,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.as_bytes().len()
    }

    pub(crate) fn starts_with(&self, b: u8) -> bool {
        self.as_bytes().first() == Some(&b)
    }
}

impl AsRef<[u8]> for Word {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl PartialEq for Word {
    fn eq(&self, other: &Word) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialEq<&str> for Word {
    fn eq(&self, other: &&str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl fmt::Debug for Word {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Word {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Fold one syllable into `out`: diacritics off, lower case, đ → d, and a final `y` after
/// a consonant → `i`, because "quản lý"/"quản lí", "kỹ"/"kĩ" are spelling variants.
fn fold_syllable_into(s: &str, out: &mut String) {
    out.clear();
    crate::text::fold_into(s, out);
    if matches!(out.as_str(), "ky" | "ly" | "my" | "ty" | "sy" | "hy") {
        out.truncate(1);
        out.push('i');
    }
}

/// Split NFC text into syllable tokens, tracking capitals and punctuation.
pub(crate) fn tokenize(text: &str) -> Vec<Tok> {
    tokenize_at_most(text, usize::MAX)
}

/// [`tokenize`], stopping after `max` tokens. A token depends only on the text before
/// and around it (contextual numbers look back), so the first `max` are the same as
/// `tokenize`'s: the lead needs only its first [`super::LEAD_SYLLABLES`].
pub(crate) fn tokenize_at_most(text: &str, max: usize) -> Vec<Tok> {
    // Stored text is NFC already; recomposing it was a fifth of a fingerprint's time.
    let chars: Vec<char> = if crate::text::is_nfc_yes(text) || unicode_normalization::is_nfc(text) {
        text.chars().collect()
    } else {
        text.nfc().collect()
    };
    let mut out: Vec<Tok> = Vec::new();
    // One buffer for every word, one for its fold: a String per word was a fifth of the
    // allocations.
    let mut word = String::new();
    let mut folded = String::new();
    let mut i = 0;
    let mut brk = true;
    let mut sent = true;
    while i < chars.len() && out.len() < max {
        let c = chars[i];
        if !is_word_char(c) {
            if !c.is_whitespace() {
                brk = true;
            }
            if matches!(c, '.' | '!' | '?' | ':' | ';' | '\n' | '|' | '…') {
                sent = true;
            }
            i += 1;
            continue;
        }
        let start = i;
        let mut j = i;
        while j < chars.len() {
            let cj = chars[j];
            if is_word_char(cj) {
                j += 1;
                continue;
            }
            // Separators inside numbers (06/9/2025, 1.500, 2,5) keep the number whole.
            let joins_digits = matches!(cj, '.' | ',' | '/' | '-')
                && j > start
                && chars[j - 1].is_ascii_digit()
                && chars.get(j + 1).is_some_and(|n| n.is_ascii_digit());
            if joins_digits {
                j += 1;
                continue;
            }
            break;
        }
        word.clear();
        word.extend(&chars[start..j]);
        let is_num = word
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | ',' | '/' | '-'));
        let letters = word.chars().filter(|&c| crate::text::is_letter(c));
        let cap = letters.clone().next().is_some_and(char::is_uppercase);
        let (count, all_upper) =
            letters.fold((0usize, true), |(n, up), c| (n + 1, up && c.is_uppercase()));
        let upper = count >= 2 && all_upper;
        if is_num {
            number_tag(&word, &mut folded);
        } else {
            fold_syllable_into(&word, &mut folded);
        }
        out.push(Tok {
            text: Word::new(&folded),
            is_num,
            cap,
            upper,
            brk,
            sent,
        });
        brk = false;
        sent = false;
        // "TP.HCM", "BR-VT": a joiner with no space around it is not a boundary.
        if j + 1 < chars.len() && matches!(chars[j], '.' | '-' | '/') && is_word_char(chars[j + 1])
        {
            i = j + 1;
            continue;
        }
        i = j;
    }
    contextual_numbers(&mut out);
    out
}

fn strip_zeros(s: &str) -> &str {
    let t = s.trim_start_matches('0');
    if t.is_empty() { "0" } else { t }
}

fn small(s: &str, max: u32) -> Option<u32> {
    let v: u32 = strip_zeros(s).parse().ok()?;
    (1..=max).contains(&v).then_some(v)
}

fn is_year(s: &str) -> bool {
    s.len() == 4 && matches!(s.parse::<u32>(), Ok(1900..=2100))
}

/// Tag a number so that the forms one event is written in meet: `06/9/2025`, `6/9`,
/// `6-9-2025` and `06.9` are all `d6/9`; `8/2025` is the month `m8`. Written into `out`,
/// which is cleared first.
fn number_tag(raw: &str, out: &mut String) {
    out.clear();
    let mut parts = [""; 3];
    let mut n = 0;
    for part in raw.split(['/', '-', '.']) {
        if let Some(slot) = parts.get_mut(n) {
            *slot = part;
        }
        n += 1;
    }
    let sep_dot = raw.contains('.') && !raw.contains('/') && !raw.contains('-');
    // `write!` into a String cannot fail.
    match (n, parts) {
        (3, [d, m, y]) if is_year(y) => {
            if let (Some(d), Some(m)) = (small(d, 31), small(m, 12)) {
                let _ = write!(out, "d{d}/{m}");
                return;
            }
        }
        (2, [m, y, _]) if is_year(y) => {
            if let Some(m) = small(m, 12) {
                let _ = write!(out, "m{m}");
                return;
            }
        }
        (2, [d, m, _]) if !(sep_dot && m.len() == 3) => {
            if let (Some(d), Some(m)) = (small(d, 31), small(m, 12)) {
                let _ = write!(out, "d{d}/{m}");
                return;
            }
        }
        _ => {}
    }
    if is_year(raw) {
        out.push('y');
        out.push_str(raw);
        return;
    }
    // `n` and the digits without leading zeros ("0" for none).
    out.push('n');
    for c in raw.chars().filter(char::is_ascii_digit) {
        if c != '0' || out.len() > 1 {
            out.push(c);
        }
    }
    if out.len() == 1 {
        out.push('0');
    }
}

/// "tháng 8" is a month, "quý III"/"quý 3" a quarter; "8 tháng" stays a count.
fn contextual_numbers(toks: &mut [Tok]) {
    for i in 1..toks.len() {
        let cur = &toks[i].text;
        let tag = match toks[i - 1].text.as_bytes() {
            b"thang" => cur
                .as_str()
                .strip_prefix('n')
                .and_then(|n| small(n, 12))
                .map(|m| format!("m{m}")),
            b"quy" => {
                let q = match cur.as_bytes() {
                    b"i" | b"n1" => Some(1),
                    b"ii" | b"n2" => Some(2),
                    b"iii" | b"n3" => Some(3),
                    b"iv" | b"n4" => Some(4),
                    _ => None,
                };
                q.map(|q| format!("q{q}"))
            }
            _ => None,
        };
        if let Some(t) = tag {
            toks[i].text = Word::new(&t);
            toks[i].is_num = true;
        }
    }
}

/// Replace written-out terms by their abbreviation token (see `lexicon::PHRASES`).
pub(crate) fn contract(mut toks: Vec<Tok>) -> Vec<Tok> {
    // In place: a token is moved at most once, to the left, and never cloned.
    let mut kept = 0;
    let mut i = 0;
    'outer: while i < toks.len() {
        for (phrase, abbr) in lexicon::phrases_starting(&toks[i].text) {
            let n = phrase.len();
            if i + n <= toks.len()
                && toks[i..i + n]
                    .iter()
                    .zip(phrase.iter())
                    .all(|(t, p)| !t.is_num && t.text == *p)
            {
                toks[i].text = Word::new(abbr);
                toks.swap(kept, i);
                kept += 1;
                i += n;
                continue 'outer;
            }
        }
        toks.swap(kept, i);
        kept += 1;
        i += 1;
    }
    toks.truncate(kept);
    toks
}

/// Names: capitalised runs with titles trimmed, place names, acronyms, foreign words.
pub(crate) fn names(toks: &[Tok]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |s: String| {
        if !lexicon::is_entity_stop(&s) && !out.contains(&s) {
            out.push(s);
        }
    };
    // Reused for every run: a Vec per run and a joined String per probe were most of
    // the allocations here.
    let mut words: Vec<&str> = Vec::new();
    let mut probe = String::new();
    let mut i = 0;
    while i < toks.len() {
        if toks[i].is_num || !toks[i].cap {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while j < toks.len() && toks[j].cap && !toks[j].is_num && !toks[j].brk {
            j += 1;
        }
        let run = &toks[i..j];
        // An acronym stands alone even inside a run ("TNHH Sunwoo Vina"), but a word in
        // a shouted phrase ("BAN QUẢN LÝ") is not one.
        let shouted = run.iter().filter(|t| t.upper).count() >= 3;
        for t in run {
            if t.upper && !shouted && t.text.len() >= 3 && !lexicon::is_entity_trim(&t.text) {
                push(t.text.to_string());
            }
        }
        words.clear();
        words.extend(
            run.iter()
                .filter(|t| !(t.upper && t.text.len() >= 2))
                .map(|t| t.text.as_str()),
        );
        // Place names first, whole; the rest of the run is split around them.
        let mut seg_start = 0;
        let mut k = 0;
        while k < words.len() {
            let place = (2..=4).rev().find(|&n| {
                k + n <= words.len() && {
                    probe.clear();
                    for (m, w) in words[k..k + n].iter().enumerate() {
                        if m > 0 {
                            probe.push(' ');
                        }
                        probe.push_str(w);
                    }
                    lexicon::is_place(&probe)
                }
            });
            if let Some(n) = place {
                push_trimmed(&words[seg_start..k], &mut push);
                push(words[k..k + n].join(" "));
                k += n;
                seg_start = k;
            } else {
                k += 1;
            }
        }
        push_trimmed(&words[seg_start..], &mut push);
        i = j;
    }
    out
}

/// Trim titles and openers from both ends of a run; keep what is left if it can be a
/// name (two or more syllables, or one foreign word).
fn push_trimmed(words: &[&str], push: &mut impl FnMut(String)) {
    let mut a = 0;
    let mut b = words.len();
    while a < b && lexicon::is_entity_trim(words[a]) {
        a += 1;
    }
    while b > a && lexicon::is_entity_trim(words[b - 1]) {
        b -= 1;
    }
    let core = &words[a..b];
    if core.len() >= 2 {
        push(core.join(" "));
    } else if core.len() == 1 && vowel_groups(core[0]) >= 2 {
        push(core[0].to_string());
    }
}

/// Vietnamese syllables have one vowel nucleus; two or more means a foreign word.
fn vowel_groups(s: &str) -> usize {
    let mut groups = 0;
    let mut in_vowel = false;
    for c in s.chars() {
        let v = matches!(c, 'a' | 'e' | 'i' | 'o' | 'u' | 'y');
        if v && !in_vowel {
            groups += 1;
        }
        in_vowel = v;
    }
    groups
}

/// Share of word tokens starting with a capital: a title in ALL CAPS or Title Case says
/// nothing about names.
pub(crate) fn mostly_capitalised(toks: &[Tok]) -> bool {
    let words: Vec<&Tok> = toks.iter().filter(|t| !t.is_num).collect();
    !words.is_empty() && words.iter().filter(|t| t.cap).count() * 10 >= words.len() * 6
}
