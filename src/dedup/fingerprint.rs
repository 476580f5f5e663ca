//! Content fingerprints for near-duplicate detection across sources.
//!
//! A fingerprint summarises an item's folded title and lead (the first [`LEAD_SYLLABLES`]
//! syllables of its summary or body) in three parts, because no single signal separates
//! "the same visit told by two boards" from "two visits by the same people":
//!
//! 1. **Text**: a weighted MinHash ([`SLOTS`] slots of 16 bits) over syllable 1- and
//!    2-grams. Weights are fixed (lexicon.rs): function syllables 0, domain boilerplate
//!    ("ban quản lý", "khu công nghiệp", "tỉnh") 1, other syllables and numbers 2, and a
//!    bigram weighs `min + 1 if it holds a content syllable`. Integer weights are applied
//!    by hashing a feature once per unit of weight, which makes MinHash estimate the
//!    *weighted* Jaccard index. Abbreviations are contracted first (`khu công nghiệp` and
//!    `KCN` are one token), so the Hưng Yên board's "Ban QL các KCN" meets the Khánh Hòa
//!    board's "Ban Quản lý các Khu công nghiệp".
//! 2. **Names**: hashes of capitalised syllable runs with titles trimmed ("Hoàng Văn Mai",
//!    "Nam Vân Phong", "Khánh Hòa"), acronyms ("VSIP") and foreign names ("Foxconn").
//!    Paraphrases keep names; different events rarely share several.
//! 3. **Numbers**: dates (day/month, year dropped because one report omits it), months
//!    ("tháng 8/2025"), quarters and figures. Two monthly reports differ mostly here.
//!
//! Every hash is a fixed FNV-1a (below) or splitmix64 (`minhash.rs`), never std's randomised
//! hasher, because fingerprints are stored and compared across runs and releases.
//! [`FP_VERSION`] changes whenever the features change; fingerprints of different
//! versions are never similar.

use super::lexicon;
use super::minhash::minhash;
use super::tokens::{Tok, contract, mostly_capitalised, names, tokenize, tokenize_at_most};
use serde::{Deserialize, Serialize};

/// Bumped whenever tokenising, lists, weights or hashing change.
pub const FP_VERSION: u8 = 1;
/// MinHash slots. 64 keeps the stored fingerprint small (128 bytes of hash) at the cost
/// of a ±0.06 standard error on the Jaccard estimate around 0.3, which the name and number
/// signals compensate for.
pub const SLOTS: usize = 64;
/// Syllables of the lead used, after the title.
pub const LEAD_SYLLABLES: usize = 60;
const MAX_NAMES: usize = 16;
const MAX_NUMBERS: usize = 16;

/// Content fingerprint of an item for near-duplicate detection (folded title + lead).
///
/// Serialised compactly (hex strings), about 300–550 bytes of JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    /// Feature version ([`FP_VERSION`]).
    pub v: u8,
    /// Weighted MinHash, [`SLOTS`] values (empty when the text had no content).
    #[serde(with = "hex16")]
    pub mh: Vec<u16>,
    /// Total feature weight (for containment estimates).
    pub w: u32,
    /// Sorted hashes of names.
    #[serde(with = "hex32")]
    pub names: Vec<u32>,
    /// Sorted number hashes; the top two bits hold the kind (`NumKind`).
    #[serde(with = "hex32")]
    pub nums: Vec<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NumKind {
    Plain = 0,
    Date = 1,
    Month = 2,
    Quarter = 3,
}

pub(crate) fn num_kind(h: u32) -> NumKind {
    match h >> 30 {
        1 => NumKind::Date,
        2 => NumKind::Month,
        3 => NumKind::Quarter,
        _ => NumKind::Plain,
    }
}

// ---- stable hashing -------------------------------------------------------------------

pub(crate) fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h = Fnv::new();
    h.write(bytes);
    h.finish()
}

/// FNV-1a fed in pieces: the hash of the concatenation.
struct Fnv(u64);

impl Fnv {
    fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

// ---- features -------------------------------------------------------------------------

fn syllable_weight(t: &Tok) -> u32 {
    if t.is_num {
        return if t.text.starts_with(b'y') { 1 } else { 2 };
    }
    let s = t.text.as_bytes();
    if lexicon::is_stop(s) {
        0
    } else if lexicon::is_common(s) {
        1
    } else {
        2
    }
}

/// Shingle sizes used: syllable 1- and 2-grams. Measured against 2+3-grams on the
/// labelled set (eval_tests.rs prints both): paraphrases by two boards share words more
/// than phrases, and 1+2 gave the better recall at equal precision.
pub(crate) const GRAMS: (usize, usize) = (1, 2);

/// Weighted shingle set: (hash, weight), deduplicated keeping the largest weight. An
/// n-gram weighs the smallest weight of its syllables, plus one when it holds a content
/// syllable, so "khu công nghiệp Quế Võ" outweighs "các khu công nghiệp".
pub(crate) fn features(toks: &[Tok], grams: (usize, usize)) -> Vec<(u64, u32)> {
    let weights: Vec<u32> = toks.iter().map(syllable_weight).collect();
    let mut feats: Vec<(u64, u32)> = Vec::with_capacity(toks.len() * 2);
    for n in grams.0..=grams.1 {
        let n_text = n.to_string();
        for i in 0..toks.len().saturating_sub(n - 1) {
            let win = &toks[i..i + n];
            // No shingle spans two sentences.
            if win.iter().skip(1).any(|t| t.sent) {
                continue;
            }
            let ws = &weights[i..i + n];
            let (lo, hi) = (
                ws.iter().copied().min().unwrap_or(0),
                ws.iter().copied().max().unwrap_or(0),
            );
            let w = if n == 1 { lo } else { lo + u32::from(hi == 2) };
            if w == 0 {
                continue;
            }
            // FNV-1a of `n`, then `\u{1}` and the text of each syllable, fed as it goes
            // rather than built into a key string first (same hash, no allocation).
            let mut h = Fnv::new();
            h.write(n_text.as_bytes());
            for t in win {
                h.write(b"\x01");
                h.write(t.text.as_bytes());
            }
            feats.push((h.finish(), w));
        }
    }
    feats.sort_unstable();
    feats.dedup_by(|later, earlier| {
        if later.0 == earlier.0 {
            earlier.1 = earlier.1.max(later.1);
            true
        } else {
            false
        }
    });
    feats
}

fn hash32(s: &str) -> u32 {
    let h = fnv1a64(s.as_bytes());
    (h ^ (h >> 32)) as u32
}

/// Fingerprint of an item from its plain-text title and lead (summary or body start).
pub fn fingerprint(title: &str, lead: &str) -> Fingerprint {
    fingerprint_with(title, lead, GRAMS)
}

pub(crate) fn fingerprint_with(title: &str, lead: &str, grams: (usize, usize)) -> Fingerprint {
    let title_toks = tokenize(title);
    let lead_toks = tokenize_at_most(lead, LEAD_SYLLABLES);

    let mut name_list = if mostly_capitalised(&title_toks) {
        Vec::new()
    } else {
        names(&title_toks)
    };
    if !mostly_capitalised(&lead_toks) {
        for n in names(&lead_toks) {
            if !name_list.contains(&n) {
                name_list.push(n);
            }
        }
    }
    let mut names_h: Vec<u32> = name_list
        .iter()
        .take(MAX_NAMES)
        .map(|n| hash32(n))
        .collect();
    names_h.sort_unstable();
    names_h.dedup();

    let mut all = title_toks;
    let mut lead_toks = lead_toks;
    if let Some(first) = lead_toks.first_mut() {
        first.sent = true;
    }
    all.extend(lead_toks);
    let all = contract(all);

    let mut nums: Vec<u32> = Vec::new();
    for t in all.iter().filter(|t| t.is_num && !t.text.starts_with(b'y')) {
        let kind = match t.text.as_bytes().first() {
            Some(b'd') => NumKind::Date,
            Some(b'm') => NumKind::Month,
            Some(b'q') => NumKind::Quarter,
            _ => NumKind::Plain,
        };
        let h = (hash32(t.text.as_str()) & 0x3fff_ffff) | ((kind as u32) << 30);
        if !nums.contains(&h) && nums.len() < MAX_NUMBERS {
            nums.push(h);
        }
    }
    nums.sort_unstable();

    let feats = features(&all, grams);
    let w: u32 = feats.iter().map(|f| f.1).sum();
    Fingerprint {
        v: FP_VERSION,
        mh: minhash(&feats),
        w,
        names: names_h,
        nums,
    }
}

// ---- compact serde ---------------------------------------------------------------------

// Hex in JSON (a third of the size of a list of numbers, and readable); the plain numbers
// in binary formats, where hex would double the size and cost a parse.
mod hex16 {
    use serde::{Deserialize, Deserializer, Serialize, Serializer, de::Error};

    pub fn serialize<S: Serializer>(v: &[u16], s: S) -> Result<S::Ok, S::Error> {
        if !s.is_human_readable() {
            return v.serialize(s);
        }
        let mut out = String::with_capacity(v.len() * 4);
        for x in v {
            out.push_str(&format!("{x:04x}"));
        }
        s.serialize_str(&out)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u16>, D::Error> {
        if !d.is_human_readable() {
            return Vec::deserialize(d);
        }
        let s = String::deserialize(d)?;
        if s.len() % 4 != 0 || !s.is_ascii() {
            return Err(D::Error::custom("bad hex16 length"));
        }
        (0..s.len())
            .step_by(4)
            .map(|i| u16::from_str_radix(&s[i..i + 4], 16).map_err(D::Error::custom))
            .collect()
    }
}

mod hex32 {
    use serde::{Deserialize, Deserializer, Serialize, Serializer, de::Error};

    pub fn serialize<S: Serializer>(v: &[u32], s: S) -> Result<S::Ok, S::Error> {
        if !s.is_human_readable() {
            return v.serialize(s);
        }
        let mut out = String::with_capacity(v.len() * 8);
        for x in v {
            out.push_str(&format!("{x:08x}"));
        }
        s.serialize_str(&out)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u32>, D::Error> {
        if !d.is_human_readable() {
            return Vec::deserialize(d);
        }
        let s = String::deserialize(d)?;
        if s.len() % 8 != 0 || !s.is_ascii() {
            return Err(D::Error::custom("bad hex32 length"));
        }
        (0..s.len())
            .step_by(8)
            .map(|i| u32::from_str_radix(&s[i..i + 8], 16).map_err(D::Error::custom))
            .collect()
    }
}
