//! Search texts stored as word numbers, and `q=` answered on them.
//!
//! A folded text is lower-case words separated by single spaces, and Vietnamese words are
//! short syllables: the 900 bytes an item keeps for search hold ~200 words of ~3.5
//! letters. Each distinct word gets a number in one vocabulary, and a text becomes the
//! run of its words' codes, about a quarter of its bytes. Queries keep their exact
//! meaning, "the folded phrase occurs in the folded text", because a phrase whose spaces
//! fall on the text's
//! spaces can only be: a word *ending* with its first word, the middle words exactly, and
//! a word *starting* with its last one (one word: a word containing it).
//!
//! Codes are laid out like UTF-8: a code is one byte below 0x80, or a lead byte from 0xC0
//! followed by one to four trail bytes 0x80–0xBF, so a byte search for whole codes can
//! only hit at a word's start and the word before any position is found by stepping back
//! over trail bytes. Words are ranked by how often the loaded texts use them, so the
//! commonest 128 take one byte and the next 2,048 two: Vietnamese running text is mostly
//! a few hundred syllables.

use foldhash::fast::RandomState;
use hashbrown::HashMap;
use memchr::memmem::Finder;

use super::intern::Interner;

/// How many ranks take 1, 2, 3 and 4 bytes (the rest take 5). Tiny in tests, so that
/// every test runs through every length.
const TIERS: [u32; 4] = if cfg!(test) {
    [3, 3, 3, 3]
} else {
    [128, 32 << 6, 16 << 12, 8 << 18]
};

#[derive(Debug, Default)]
pub(super) struct Texts {
    /// Words by symbol, in the order they were first seen.
    vocab: Interner,
    /// Symbol → rank (what the arena holds) and rank → symbol; both the identity until a
    /// ranking is adopted (`ranked`).
    rank_of: Vec<u32>,
    sym_of: Vec<u32>,
    ranked: bool,
    /// Uses per symbol, counted until a ranking is adopted (only a ranking reads them).
    uses: Vec<u32>,
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
            let sym = if i - from <= 8 {
                match self.short.get(&key) {
                    Some(&sym) => sym,
                    None => {
                        let sym = self.intern(word);
                        self.short.insert(key, sym);
                        sym
                    }
                }
            } else {
                self.intern(word)
            };
            // Before a ranking, ranks are symbols: a start-up encodes ~20M words here, and
            // two lookups less per word is ~0.1 s of it.
            let rank = if self.ranked {
                self.rank(sym)
            } else {
                if let Some(n) = self.uses.get_mut(sym as usize) {
                    *n = n.saturating_add(1);
                }
                sym
            };
            encode(rank, &mut self.bytes);
        }
        (start, self.bytes.len() - start)
    }

    /// A word's symbol; a new word ranks after every known one.
    fn intern(&mut self, word: &str) -> u32 {
        let sym = self.vocab.intern(word);
        if sym as usize == self.rank_of.len() {
            self.rank_of.push(sym_to_u32(self.sym_of.len()));
            self.sym_of.push(sym);
            if !self.ranked {
                self.uses.push(0);
            }
        }
        sym
    }

    fn rank(&self, sym: u32) -> u32 {
        self.rank_of.get(sym as usize).copied().unwrap_or(u32::MAX)
    }

    fn sym(&self, rank: u32) -> u32 {
        self.sym_of.get(rank as usize).copied().unwrap_or(u32::MAX)
    }

    /// Rank the words by use, commonest first, for [`Texts::recode`] and
    /// [`Texts::finish_recode`]: a load meets words in no useful order. Meant once, after
    /// a load; later it returns the ranking in force.
    pub(super) fn ranking(&self) -> Ranking {
        // Once a ranking is adopted the counts are gone: keep it (new words stay last).
        let mut by_use = self.sym_of.clone();
        if !self.ranked {
            by_use.sort_by_key(|&sym| {
                std::cmp::Reverse(self.uses.get(sym as usize).copied().unwrap_or(0))
            });
        }
        let mut rank_of = vec![0; by_use.len()];
        for (rank, &sym) in by_use.iter().enumerate() {
            rank_of[sym as usize] = sym_to_u32(rank);
        }
        let remap = self
            .sym_of
            .iter()
            .map(|&sym| rank_of.get(sym as usize).copied().unwrap_or(u32::MAX))
            .collect();
        Ranking {
            rank_of,
            sym_of: by_use,
            remap,
        }
    }

    /// Append a span of this arena to `out` in a new ranking's codes.
    pub(super) fn recode(&self, ranking: &Ranking, start: usize, len: usize, out: &mut Vec<u8>) {
        for rank in Words::new(self.encoded(start, len)) {
            encode(
                ranking
                    .remap
                    .get(rank as usize)
                    .copied()
                    .unwrap_or(u32::MAX),
                out,
            );
        }
    }

    /// True once a ranking is adopted.
    pub(super) fn is_ranked(&self) -> bool {
        self.ranked
    }

    /// Replace the arena with one laid out anew from spans of this one (same codes).
    pub(super) fn replace_arena(&mut self, bytes: Vec<u8>) {
        self.bytes = bytes;
    }

    /// Adopt a ranking and the arena recoded into it.
    pub(super) fn finish_recode(&mut self, ranking: Ranking, bytes: Vec<u8>) {
        self.rank_of = ranking.rank_of;
        self.sym_of = ranking.sym_of;
        self.bytes = bytes;
        self.ranked = true;
        self.uses = Vec::new();
    }

    /// The encoded text of a span (empty for a span that is not in the arena).
    pub(super) fn encoded(&self, start: usize, len: usize) -> &[u8] {
        self.bytes.get(start..start + len).unwrap_or(&[])
    }

    /// The folded text of a span, as it was pushed (single spaces).
    pub(super) fn text(&self, start: usize, len: usize) -> String {
        let mut out = String::new();
        for rank in Words::new(self.encoded(start, len)) {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(self.vocab.get(self.sym(rank)));
        }
        out
    }

    pub(super) fn shrink_to_fit(&mut self) {
        self.bytes.shrink_to_fit();
        self.vocab.shrink_to_fit();
        self.short.shrink_to_fit();
        self.rank_of.shrink_to_fit();
        self.sym_of.shrink_to_fit();
        self.uses.shrink_to_fit();
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
                        Some(sym) => encode(self.rank(sym), &mut mid_bytes),
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

    /// The words a predicate accepts, by rank, or `None` when it accepts none.
    fn words_where(&self, pred: impl Fn(&str) -> bool) -> Option<WordSet> {
        let mut set = WordSet {
            bits: vec![0; self.sym_of.len().div_ceil(64)],
            only: None,
            count: 0,
        };
        for (sym, &rank) in self.rank_of.iter().enumerate() {
            if pred(self.vocab.get(sym_to_u32(sym)))
                && let Some(b) = set.bits.get_mut((rank / 64) as usize)
            {
                *b |= 1 << (rank % 64);
                set.only = Some(rank);
                set.count += 1;
            }
        }
        (set.count > 0).then_some(set)
    }
}

/// A ranking of the vocabulary by use (see [`Texts::ranking`]).
pub(super) struct Ranking {
    rank_of: Vec<u32>,
    sym_of: Vec<u32>,
    /// Current rank → new rank: what recoding reads for every word.
    remap: Vec<u32>,
}

/// Vocabulary sizes fit in `u32`: the interner numbers its symbols with one.
fn sym_to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[inline]
fn encode(rank: u32, out: &mut Vec<u8>) {
    let trail = |x: u32| 0x80 | (x & 0x3F) as u8;
    let mut x = rank;
    if x < TIERS[0] {
        out.push(x as u8);
        return;
    }
    x -= TIERS[0];
    if x < TIERS[1] {
        out.extend_from_slice(&[0xC0 | (x >> 6) as u8, trail(x)]);
        return;
    }
    x -= TIERS[1];
    if x < TIERS[2] {
        out.extend_from_slice(&[0xE0 | (x >> 12) as u8, trail(x >> 6), trail(x)]);
        return;
    }
    x -= TIERS[2];
    if x < TIERS[3] {
        out.extend_from_slice(&[
            0xF0 | (x >> 18) as u8,
            trail(x >> 12),
            trail(x >> 6),
            trail(x),
        ]);
        return;
    }
    // 134 million five-byte ranks after the 2.2 million shorter ones: far more distinct
    // words than fit in memory, so the clamp never bites in practice.
    let x = (x - TIERS[3]).min((8 << 24) - 1);
    out.extend_from_slice(&[
        0xF8 | (x >> 24) as u8,
        trail(x >> 18),
        trail(x >> 12),
        trail(x >> 6),
        trail(x),
    ]);
}

fn is_trail(b: u8) -> bool {
    b & 0xC0 == 0x80
}

/// The word (rank) starting at byte `at` and the byte after it.
fn word_at(bytes: &[u8], at: usize) -> Option<(u32, usize)> {
    let lead = *bytes.get(at)?;
    let (len, mut x, base) = match lead {
        0x00..=0x7F => return Some((u32::from(lead), at + 1)),
        0x80..=0xBF => return None,
        0xC0..=0xDF => (2, lead & 0x1F, TIERS[0]),
        0xE0..=0xEF => (3, lead & 0x0F, TIERS[0] + TIERS[1]),
        0xF0..=0xF7 => (4, lead & 0x07, TIERS[0] + TIERS[1] + TIERS[2]),
        _ => (5, lead & 0x07, TIERS[0] + TIERS[1] + TIERS[2] + TIERS[3]),
    };
    let mut value = u32::from(x);
    for i in 1..len {
        x = *bytes.get(at + i)?;
        value = (value << 6) | u32::from(x & 0x3F);
    }
    Some((base + value, at + len))
}

/// The word ending at byte `end`.
fn word_before(bytes: &[u8], end: usize) -> Option<u32> {
    let mut at = end.checked_sub(1)?;
    while is_trail(*bytes.get(at)?) {
        at = at.checked_sub(1)?;
    }
    word_at(bytes, at)
        .filter(|&(_, next)| next == end)
        .map(|(rank, _)| rank)
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

/// Where a needle of whole codes occurs. Its first byte is a lead or a one-byte code, never
/// a trail byte, so every hit is at a word's start; hits may overlap (a phrase can fail
/// its ends at one and pass them at the next).
fn word_starts<'a>(f: &'a Finder<'static>, text: &'a [u8]) -> impl Iterator<Item = usize> + 'a {
    let mut from = 0;
    std::iter::from_fn(move || {
        let hit = from + f.find(text.get(from..)?)?;
        from = hit + 1;
        Some(hit)
    })
}

#[cfg(test)]
mod tests;
