//! Search texts stored as word numbers, and `q=` answered on them.
//!
//! A folded text is lower-case words separated by single spaces, and Vietnamese words are
//! short syllables: the 900 bytes an item keeps for search hold ~200 words of ~3.5
//! letters. Each distinct word gets a number in one vocabulary, and a text becomes a run of
//! 16-bit units, less than half its bytes. Queries keep their exact meaning, "the folded
//! phrase occurs in the folded text", because a phrase whose spaces fall on the text's
//! spaces can only be: a word *ending* with its first word, the middle words exactly, and
//! a word *starting* with its last one (one word: a word containing it).
//!
//! Encoding: a word number below [`SINGLE`] is one unit; a larger one is an escape unit
//! (at least `SINGLE`) followed by a unit below `SINGLE`. A unit at least `SINGLE` is
//! therefore always the first half of a pair, which lets a byte search find a word
//! boundary by looking one unit back.

use foldhash::fast::RandomState;
use hashbrown::HashMap;
use memchr::memmem::Finder;

use super::intern::Interner;

/// Word numbers below this take one unit. Tiny in tests, so that every test runs through
/// two-unit words too.
const SINGLE: u32 = if cfg!(test) { 6 } else { 0xF000 };

/// One unit, little-endian, in the byte arena.
const UNIT: usize = 2;

#[derive(Debug, Default)]
pub(super) struct Texts {
    vocab: Interner,
    /// Words of up to 8 bytes (nearly every Vietnamese syllable) by their bytes as one
    /// little-endian integer, zero-padded (folded words hold no NUL byte, so padding never
    /// makes two words equal): a start-up encodes ~20M words at 100k items, and a string
    /// table's compare and span lookups made that half a second.
    short: HashMap<u64, u32, RandomState>,
    bytes: Vec<u8>,
}

impl Texts {
    /// Bytes in the arena: what `(start, len)` spans index.
    pub(super) fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Encode a folded text at the end of the arena; its `(start, len)` in bytes.
    pub(super) fn push(&mut self, folded: &str) -> (usize, usize) {
        let start = self.bytes.len();
        // One pass over the bytes that also packs each short word: `split` and a copy per
        // word cost as much again (start-up encodes every stored text).
        let b = folded.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b' ' {
                i += 1;
                continue;
            }
            let from = i;
            let mut key = 0u64;
            while i < b.len() && b[i] != b' ' {
                if i - from < 8 {
                    key |= u64::from(b[i]) << (8 * (i - from));
                }
                i += 1;
            }
            // Both ends sit next to an ASCII space or at an end: char boundaries.
            let word = folded.get(from..i).unwrap_or("");
            let id = if i - from <= 8 {
                match self.short.get(&key) {
                    Some(&id) => id,
                    None => {
                        let id = self.vocab.intern(word);
                        self.short.insert(key, id);
                        id
                    }
                }
            } else {
                self.vocab.intern(word)
            };
            encode(id, &mut self.bytes);
        }
        (start, self.bytes.len() - start)
    }

    /// The encoded text of a span (empty for a span that is not in the arena).
    pub(super) fn encoded(&self, start: usize, len: usize) -> &[u8] {
        self.bytes.get(start..start + len).unwrap_or(&[])
    }

    /// The folded text of a span, as it was pushed (single spaces).
    pub(super) fn text(&self, start: usize, len: usize) -> String {
        let mut out = String::new();
        for id in Words::new(self.encoded(start, len)) {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(self.vocab.get(id));
        }
        out
    }

    /// Replace the arena with one laid out anew from spans of this one (same vocabulary).
    pub(super) fn replace_arena(&mut self, bytes: Vec<u8>) {
        self.bytes = bytes;
    }

    pub(super) fn shrink_to_fit(&mut self) {
        self.bytes.shrink_to_fit();
        self.vocab.shrink_to_fit();
        self.short.shrink_to_fit();
    }

    /// Compile a folded phrase against the vocabulary. The matcher is only valid for this
    /// arena until the next `push` (a new word could complete a phrase).
    pub(super) fn matcher(&self, folded: &str) -> Matcher {
        let parts: Vec<&str> = folded.split(' ').filter(|w| !w.is_empty()).collect();
        let kind = match parts.as_slice() {
            [] => Kind::All,
            [one] => match self.words_where(|w| w.contains(one)) {
                None => Kind::Never,
                Some(set) => Kind::One(Box::new(Anchor::new(set))),
            },
            [first, mid @ .., last] => {
                let mut mid_bytes = Vec::new();
                for w in mid {
                    match self.vocab.find(w) {
                        Some(id) => encode(id, &mut mid_bytes),
                        None => return Matcher { kind: Kind::Never },
                    }
                }
                let first = self.words_where(|w| w.ends_with(first));
                let last = self.words_where(|w| w.starts_with(last));
                match (first, last) {
                    (Some(first), Some(last)) => Kind::Seq(Box::new(Seq {
                        mid: (!mid_bytes.is_empty())
                            .then(|| (Finder::new(&mid_bytes).into_owned(), mid_bytes.len())),
                        first: Anchor::new(first),
                        last: Anchor::new(last),
                    })),
                    _ => Kind::Never,
                }
            }
        };
        Matcher { kind }
    }

    /// The words a predicate accepts, or `None` when it accepts none.
    fn words_where(&self, pred: impl Fn(&str) -> bool) -> Option<WordSet> {
        let mut set = WordSet {
            bits: vec![0; self.vocab.len().div_ceil(64)],
            only: None,
            count: 0,
        };
        for id in 0..self.vocab.len() as u32 {
            if pred(self.vocab.get(id)) {
                set.bits[(id / 64) as usize] |= 1 << (id % 64);
                set.only = Some(id);
                set.count += 1;
            }
        }
        (set.count > 0).then_some(set)
    }
}

fn encode(id: u32, out: &mut Vec<u8>) {
    if id < SINGLE {
        out.extend_from_slice(&(id as u16).to_le_bytes());
    } else {
        // 4,096 escape values × 61,440: a quarter of a billion distinct words, far more
        // than fit in memory first, so the saturation never happens in practice.
        let high = u16::try_from(SINGLE + id / SINGLE).unwrap_or(u16::MAX);
        out.extend_from_slice(&high.to_le_bytes());
        out.extend_from_slice(&((id % SINGLE) as u16).to_le_bytes());
    }
}

fn unit(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at + UNIT)?;
    Some(u32::from(u16::from_le_bytes([b[0], b[1]])))
}

/// The word starting at byte `at` and the byte after it.
fn word_at(bytes: &[u8], at: usize) -> Option<(u32, usize)> {
    let u = unit(bytes, at)?;
    if u < SINGLE {
        return Some((u, at + UNIT));
    }
    let low = unit(bytes, at + UNIT)?;
    Some(((u - SINGLE) * SINGLE + low, at + 2 * UNIT))
}

/// The word ending at byte `end`.
fn word_before(bytes: &[u8], end: usize) -> Option<u32> {
    if end >= 2 * UNIT && unit(bytes, end - 2 * UNIT)? >= SINGLE {
        return word_at(bytes, end - 2 * UNIT).map(|(id, _)| id);
    }
    word_at(bytes, end.checked_sub(UNIT)?).map(|(id, _)| id)
}

/// True when byte `at` starts a word: even, and the unit before it is not an escape.
fn boundary(bytes: &[u8], at: usize) -> bool {
    at.is_multiple_of(UNIT) && (at == 0 || unit(bytes, at - UNIT).is_some_and(|u| u < SINGLE))
}

struct Words<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Words<'a> {
    fn new(bytes: &'a [u8]) -> Words<'a> {
        Words { bytes, at: 0 }
    }
}

impl Iterator for Words<'_> {
    type Item = u32;
    fn next(&mut self) -> Option<u32> {
        let (id, next) = word_at(self.bytes, self.at)?;
        self.at = next;
        Some(id)
    }
}

struct WordSet {
    bits: Vec<u64>,
    /// Some word of the set; the only one when `count` is 1.
    only: Option<u32>,
    count: usize,
}

impl WordSet {
    fn has(&self, id: u32) -> bool {
        self.bits
            .get((id / 64) as usize)
            .is_some_and(|b| b & (1 << (id % 64)) != 0)
    }
}

/// A set of words and, when it holds one word, a byte search for it: most phrases name a
/// word no other word contains, and memmem skips through a text far faster than a loop
/// over its words.
struct Anchor {
    set: WordSet,
    finder: Option<Finder<'static>>,
}

impl Anchor {
    fn new(set: WordSet) -> Anchor {
        let finder = match (set.count, set.only) {
            (1, Some(id)) => {
                let mut needle = Vec::new();
                encode(id, &mut needle);
                Some(Finder::new(&needle).into_owned())
            }
            _ => None,
        };
        Anchor { set, finder }
    }
}

enum Kind {
    All,
    Never,
    One(Box<Anchor>),
    Seq(Box<Seq>),
}

/// A phrase of two words or more.
struct Seq {
    first: Anchor,
    /// The middle words, encoded, and their length in bytes.
    mid: Option<(Finder<'static>, usize)>,
    last: Anchor,
}

/// A compiled `q=` phrase.
pub(super) struct Matcher {
    kind: Kind,
}

impl Matcher {
    /// True when the phrase occurs in this encoded text.
    pub(super) fn matches(&self, text: &[u8]) -> bool {
        match &self.kind {
            Kind::All => true,
            Kind::Never => false,
            Kind::One(a) => match &a.finder {
                Some(f) => word_starts(f, text).next().is_some(),
                None => Words::new(text).any(|id| a.set.has(id)),
            },
            Kind::Seq(seq) => {
                let Seq { first, mid, last } = &**seq;
                // Does the phrase occur with its middle (or its second word, when it has
                // no middle) starting at byte `at`, the first word ending there?
                let after_first = |at: usize| -> bool {
                    if !word_before(text, at).is_some_and(|id| first.set.has(id)) {
                        return false;
                    }
                    let after_mid = match mid {
                        Some((_, len)) => at + len,
                        None => at,
                    };
                    word_at(text, after_mid).is_some_and(|(id, _)| last.set.has(id))
                };
                match (mid, &first.finder, &last.finder) {
                    (Some((f, _)), _, _) => word_starts(f, text).any(after_first),
                    (None, Some(f), _) => word_starts(f, text)
                        .any(|at| word_at(text, at).is_some_and(|(_, next)| after_first(next))),
                    (None, None, Some(f)) => word_starts(f, text).any(after_first),
                    (None, None, None) => {
                        let mut at = 0;
                        let mut prev_first = false;
                        while let Some((id, next)) = word_at(text, at) {
                            if prev_first && last.set.has(id) {
                                return true;
                            }
                            prev_first = first.set.has(id);
                            at = next;
                        }
                        false
                    }
                }
            }
        }
    }
}

/// Where a needle of whole words occurs at a word boundary, overlaps included: a hit at an
/// odd byte or inside a two-unit word can cover the real one, and `find_iter` would skip
/// it.
fn word_starts<'a>(f: &'a Finder<'static>, text: &'a [u8]) -> impl Iterator<Item = usize> + 'a {
    let mut from = 0;
    std::iter::from_fn(move || {
        while let Some(hit) = text.get(from..).and_then(|rest| f.find(rest)) {
            let at = from + hit;
            from = at + 1;
            if boundary(text, at) {
                return Some(at);
            }
        }
        None
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const WORDS: &[&str] = &[
        "ha", "noi", "hanoi", "khanh", "hoa", "hoang", "dau", "tu", "doan", "cong", "tac", "a",
        "oa", "2025", "kcn", "vsip", "nghi", "son", "da", "nang",
    ];

    fn random_text(rng: &mut fastrand::Rng) -> String {
        let n = rng.usize(..12);
        let words: Vec<&str> = (0..n).map(|_| WORDS[rng.usize(..WORDS.len())]).collect();
        words.join(" ")
    }

    /// A phrase cut out of a text at random character offsets (partial words at both
    /// ends), or made up from the vocabulary, or from outside it.
    fn random_phrase(rng: &mut fastrand::Rng, texts: &[String]) -> String {
        match rng.u8(..3) {
            0 => {
                let t = &texts[rng.usize(..texts.len())];
                if t.is_empty() {
                    return String::new();
                }
                let a = rng.usize(..t.len());
                let b = rng.usize(a..=t.len());
                t[a..b].trim().to_string()
            }
            1 => random_text(rng),
            _ => format!("{} zz", random_text(rng)).trim().to_string(),
        }
    }

    #[test]
    fn matching_encoded_texts_equals_a_substring_search_of_the_folded_ones() {
        for seed in 0..300 {
            let mut rng = fastrand::Rng::with_seed(seed);
            let texts: Vec<String> = (0..8).map(|_| random_text(&mut rng)).collect();
            let mut arena = Texts::default();
            let spans: Vec<(usize, usize)> = texts.iter().map(|t| arena.push(t)).collect();
            for (t, &(s, l)) in texts.iter().zip(&spans) {
                assert_eq!(&arena.text(s, l), t, "round trip, seed {seed}");
            }
            for _ in 0..40 {
                let q = random_phrase(&mut rng, &texts);
                let m = arena.matcher(&q);
                for (t, &(s, l)) in texts.iter().zip(&spans) {
                    assert_eq!(
                        m.matches(arena.encoded(s, l)),
                        t.contains(q.as_str()),
                        "{q:?} in {t:?}, seed {seed}"
                    );
                }
            }
        }
    }

    #[test]
    fn words_past_the_single_unit_range_take_two_units_and_still_match() {
        let mut arena = Texts::default();
        let (s, l) = arena.push("a b c d e f g h");
        // Six one-unit words, then two two-unit ones.
        assert_eq!(l, 6 * UNIT + 2 * 2 * UNIT);
        assert!(arena.matcher("f g h").matches(arena.encoded(s, l)));
        assert!(arena.matcher("h").matches(arena.encoded(s, l)));
        assert!(!arena.matcher("h a").matches(arena.encoded(s, l)));
    }

    #[test]
    fn a_word_the_vocabulary_lacks_matches_nothing_without_a_scan() {
        let mut arena = Texts::default();
        arena.push("khanh hoa");
        assert!(matches!(arena.matcher("anh ho").kind, Kind::Seq(_)));
        assert!(matches!(arena.matcher("khanh hoa vang").kind, Kind::Never));
        assert!(matches!(arena.matcher("khanh zz hoa").kind, Kind::Never));
        assert!(matches!(arena.matcher("qq").kind, Kind::Never));
        assert!(matches!(arena.matcher("").kind, Kind::All));
    }
}
