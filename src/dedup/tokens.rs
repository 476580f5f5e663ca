//! Syllable tokens for fingerprints: folding, number tags, abbreviation contraction and
//! name extraction. Kept apart from the hashing so the language rules can be read (and
//! changed, with an `FP_VERSION` bump) on their own.

use unicode_normalization::UnicodeNormalization;

use super::lexicon;
use crate::text::is_word_char;

#[derive(Debug, Clone)]
pub(crate) struct Tok {
    /// Folded text, or a number tag (`d6/9`, `m8`, `q3`, `y2025`, `n1500`).
    pub text: String,
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

/// Fold one syllable: diacritics off, lower case, đ → d, and a final `y` after a
/// consonant → `i`, because "quản lý"/"quản lí", "kỹ"/"kĩ" are spelling variants.
pub(crate) fn fold_syllable(s: &str) -> String {
    let f = crate::text::fold(s);
    match f.as_str() {
        "ky" | "ly" | "my" | "ty" | "sy" | "hy" => format!("{}i", &f[..1]),
        _ => f,
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
    // One buffer for every word: a String per word was a fifth of the allocations.
    let mut word = String::new();
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
        let text = if is_num {
            number_tag(&word)
        } else {
            fold_syllable(&word)
        };
        out.push(Tok {
            text,
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
/// `6-9-2025` and `06.9` are all `d6/9`; `8/2025` is the month `m8`.
fn number_tag(raw: &str) -> String {
    let parts: Vec<&str> = raw.split(['/', '-', '.']).collect();
    let sep_dot = raw.contains('.') && !raw.contains('/') && !raw.contains('-');
    match parts.as_slice() {
        [d, m, y] if is_year(y) => {
            if let (Some(d), Some(m)) = (small(d, 31), small(m, 12)) {
                return format!("d{d}/{m}");
            }
        }
        [m, y] if is_year(y) => {
            if let Some(m) = small(m, 12) {
                return format!("m{m}");
            }
        }
        [d, m] if !(sep_dot && m.len() == 3) => {
            if let (Some(d), Some(m)) = (small(d, 31), small(m, 12)) {
                return format!("d{d}/{m}");
            }
        }
        _ => {}
    }
    if is_year(raw) {
        return format!("y{raw}");
    }
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    format!("n{}", strip_zeros(&digits))
}

/// "tháng 8" is a month, "quý III"/"quý 3" a quarter; "8 tháng" stays a count.
fn contextual_numbers(toks: &mut [Tok]) {
    for i in 1..toks.len() {
        let prev = toks[i - 1].text.as_str();
        let cur = toks[i].text.as_str();
        let tag = match prev {
            "thang" => cur
                .strip_prefix('n')
                .and_then(|n| small(n, 12))
                .map(|m| format!("m{m}")),
            "quy" => {
                let q = match cur {
                    "i" | "n1" => Some(1),
                    "ii" | "n2" => Some(2),
                    "iii" | "n3" => Some(3),
                    "iv" | "n4" => Some(4),
                    _ => None,
                };
                q.map(|q| format!("q{q}"))
            }
            _ => None,
        };
        if let Some(t) = tag {
            toks[i].text = t;
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
                toks[i].text = (*abbr).to_string();
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
                push(t.text.clone());
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
