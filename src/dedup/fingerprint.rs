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
    /// Sorted number hashes; the top two bits hold the kind ([`NumKind`]).
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

fn num_kind(h: u32) -> NumKind {
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
        return if t.text.starts_with('y') { 1 } else { 2 };
    }
    let s = t.text.as_str();
    if lexicon::STOP.contains(&s) {
        0
    } else if lexicon::COMMON.contains(&s) {
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
    for t in all.iter().filter(|t| t.is_num && !t.text.starts_with('y')) {
        let kind = match t.text.as_bytes().first() {
            Some(b'd') => NumKind::Date,
            Some(b'm') => NumKind::Month,
            Some(b'q') => NumKind::Quarter,
            _ => NumKind::Plain,
        };
        let h = (hash32(&t.text) & 0x3fff_ffff) | ((kind as u32) << 30);
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

// ---- similarity -----------------------------------------------------------------------

/// The separate signals behind [`similarity`], kept visible for tests and tuning.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Signals {
    /// Estimated weighted Jaccard index of the shingle sets.
    pub jaccard: f64,
    /// Estimated share of the smaller text found in the larger one.
    pub containment: f64,
    /// Shared names / names of the item with fewer (counted as at least two), when both
    /// have names.
    pub names: Option<f64>,
    /// Both name months/quarters, none in common ("tháng 8" vs "tháng 9").
    pub period_conflict: bool,
    /// Both give event dates, none in common.
    pub date_conflict: bool,
    /// Shared figures / figures of the item with fewer, when both give figures.
    pub figures: Option<f64>,
}

fn overlap<T: Ord>(a: &[T], b: &[T]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

fn share(a: &[u32], b: &[u32]) -> Option<f64> {
    name_share(
        if a.is_empty() || b.is_empty() {
            0
        } else {
            overlap(a, b)
        },
        a.len(),
        b.len(),
    )
}

/// One shared name proves little when an item names only one thing: "Hyosung" or
/// "VSIP" alone would otherwise give a full name share to every other item naming it.
const MIN_NAME_BASE: usize = 2;

/// Shared names over the shorter list (counted as at least [`MIN_NAME_BASE`] long);
/// `None` when either item has no names.
pub(crate) fn name_share(shared: usize, na: usize, nb: usize) -> Option<f64> {
    if na == 0 || nb == 0 {
        None
    } else {
        Some(shared as f64 / na.min(nb).max(MIN_NAME_BASE) as f64)
    }
}

/// (count in a, count in b, shared) over the numbers of the given kinds, without
/// allocating: this runs for every candidate in the window.
fn kind_overlap(a: &[u32], b: &[u32], want: &[NumKind]) -> (usize, usize, usize) {
    let keep = |h: &&u32| want.contains(&num_kind(**h));
    let (mut ia, mut ib) = (
        a.iter().filter(keep).peekable(),
        b.iter().filter(keep).peekable(),
    );
    let (mut na, mut nb, mut shared) = (0, 0, 0);
    loop {
        match (ia.peek(), ib.peek()) {
            (Some(x), Some(y)) => match x.cmp(y) {
                std::cmp::Ordering::Less => {
                    na += 1;
                    ia.next();
                }
                std::cmp::Ordering::Greater => {
                    nb += 1;
                    ib.next();
                }
                std::cmp::Ordering::Equal => {
                    na += 1;
                    nb += 1;
                    shared += 1;
                    ia.next();
                    ib.next();
                }
            },
            (Some(_), None) => {
                na += 1;
                ia.next();
            }
            (None, Some(_)) => {
                nb += 1;
                ib.next();
            }
            (None, None) => return (na, nb, shared),
        }
    }
}

fn conflict((na, nb, shared): (usize, usize, usize)) -> bool {
    na > 0 && nb > 0 && shared == 0
}

/// A fingerprint borrowed in parts, so the story index can keep its own compact layout
/// and still share one definition of the score.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FpRef<'a> {
    pub v: u8,
    pub mh: &'a [u16],
    pub w: u32,
    pub names: &'a [u32],
    pub nums: &'a [u32],
}

impl Fingerprint {
    pub(crate) fn as_ref(&self) -> FpRef<'_> {
        FpRef {
            v: self.v,
            mh: &self.mh,
            w: self.w,
            names: &self.names,
            nums: &self.nums,
        }
    }
}

/// Equal MinHash slots. On fixed-size arrays so that it compiles to a few vector
/// compares: the story index runs it for thousands of candidates per lookup.
fn equal_slots(a: &[u16], b: &[u16]) -> usize {
    match (<&[u16; SLOTS]>::try_from(a), <&[u16; SLOTS]>::try_from(b)) {
        (Ok(a), Ok(b)) => a
            .iter()
            .zip(b.iter())
            .map(|(x, y)| usize::from(x == y))
            .sum(),
        _ => a.iter().zip(b).filter(|(x, y)| x == y).count(),
    }
}

/// The text signals (weighted Jaccard, containment); `None` when not comparable.
fn text_signals(a: &FpRef, b: &FpRef) -> Option<(f64, f64)> {
    if a.v != b.v || a.mh.len() != SLOTS || b.mh.len() != SLOTS {
        return None;
    }
    Some(text_from(equal_slots(a.mh, b.mh), a.w, b.w))
}

/// Jaccard estimate and containment from the count of equal slots and the weights. Both
/// grow with `eq`, which is what makes [`score_upper_bound`] a bound.
fn text_from(eq: usize, wa: u32, wb: u32) -> (f64, f64) {
    let j = eq as f64 / SLOTS as f64;
    let (wa, wb) = (f64::from(wa.max(1)), f64::from(wb.max(1)));
    let inter = j * (wa + wb) / (1.0 + j);
    let containment = (inter / wa.min(wb)).min(1.0);
    (j, containment)
}

/// The highest score two fingerprints can reach when at most `eq_upper` MinHash slots
/// are equal and their name share is `names`: the figures can add at most 0.15 after the
/// 0.85 scaling, and the conflicts only scale down.
pub(crate) fn score_upper_bound(eq_upper: usize, wa: u32, wb: u32, names: Option<f64>) -> f64 {
    let (j, containment) = text_from(eq_upper, wa, wb);
    let text = 0.5 * j + 0.5 * containment;
    let base = match names {
        Some(n) => 0.6 * text + 0.4 * n,
        None => text,
    };
    base.max(0.85 * base + 0.15)
}

/// Four bits of every MinHash slot, packed: slots equal in full are equal here, so the
/// count of equal nibbles bounds the count of equal slots from above ([`sketch_equal`]).
/// The story index keeps this 32-byte sketch where it scans candidates, and reads the
/// full fingerprint only for the few whose bound passes.
pub(crate) fn sketch(mh: &[u16]) -> [u64; 4] {
    let mut out = [0u64; 4];
    for (i, &v) in mh.iter().take(SLOTS).enumerate() {
        out[i / 16] |= u64::from(v & 0xf) << ((i % 16) * 4);
    }
    out
}

/// Equal nibbles of two sketches: at least the equal slots of the fingerprints.
pub(crate) fn sketch_equal(a: &[u64; 4], b: &[u64; 4]) -> usize {
    let mut n = 0;
    for (x, y) in a.iter().zip(b) {
        let d = x ^ y;
        let differs = (d | d >> 1 | d >> 2 | d >> 3) & 0x1111_1111_1111_1111;
        n += 16 - differs.count_ones() as usize;
    }
    n
}

/// Compute the signals; `None` when the fingerprints are not comparable (different
/// versions, or either has no text).
pub fn signals(a: &Fingerprint, b: &Fingerprint) -> Option<Signals> {
    signals_ref(&a.as_ref(), &b.as_ref())
}

pub(crate) fn signals_ref(a: &FpRef, b: &FpRef) -> Option<Signals> {
    let (j, containment) = text_signals(a, b)?;
    let period_conflict = conflict(kind_overlap(
        a.nums,
        b.nums,
        &[NumKind::Month, NumKind::Quarter],
    ));
    let date_conflict = conflict(kind_overlap(a.nums, b.nums, &[NumKind::Date]));
    let (fa, fb, fshared) = kind_overlap(a.nums, b.nums, &[NumKind::Plain]);
    let figures = (fa > 0 && fb > 0).then(|| fshared as f64 / fa.min(fb) as f64);
    Some(Signals {
        jaccard: j,
        containment,
        names: share(a.names, b.names),
        period_conflict,
        date_conflict,
        figures,
    })
}

/// Combine the signals into one score in 0.0..=1.0 (see [`similarity`]).
pub fn score(s: &Signals) -> f64 {
    let text = 0.5 * s.jaccard + 0.5 * s.containment;
    let mut score = match s.names {
        Some(n) => 0.6 * text + 0.4 * n,
        None => text,
    };
    if let Some(f) = s.figures {
        score = 0.85 * score + 0.15 * f;
    }
    if s.period_conflict {
        score *= 0.4;
    }
    if s.date_conflict {
        score *= 0.7;
    }
    score.clamp(0.0, 1.0)
}

/// Estimated similarity in 0.0..=1.0: the text overlap (mean of weighted Jaccard and
/// containment) blended with the share of names and figures, then cut down when the two
/// items name different months/quarters or different event dates.
pub fn similarity(a: &Fingerprint, b: &Fingerprint) -> f64 {
    signals(a, b).map_or(0.0, |s| score(&s))
}

/// [`similarity`] when it can reach `threshold`, `None` when it cannot. The story index
/// calls this for thousands of candidates per lookup, so it first bounds the score from
/// the text and names alone (the figures can add at most 0.15 after the 0.85 scaling, and
/// the conflicts only scale down), and computes the number signals only for candidates
/// that can still pass. Floating-point rounding is monotone, so the bound never rejects a
/// pair whose full score passes: the result equals `similarity` whenever it is `Some`.
pub(crate) fn similarity_at_least(a: &FpRef, b: &FpRef, threshold: f64) -> Option<f64> {
    similarity_at_least_sharing(a, b, share(a.names, b.names), threshold)
}

/// [`similarity_at_least`] with the name share already known (the story index counts
/// shared names while it collects candidates from its name postings). `names` must be
/// what `share(a.names, b.names)` gives: shared count over the shorter list, `None`
/// when either has none.
pub(crate) fn similarity_at_least_sharing(
    a: &FpRef,
    b: &FpRef,
    names: Option<f64>,
    threshold: f64,
) -> Option<f64> {
    if a.v != b.v || a.mh.len() != SLOTS || b.mh.len() != SLOTS {
        return None;
    }
    let bound = score_upper_bound(equal_slots(a.mh, b.mh), a.w, b.w, names);
    if bound < threshold {
        return None;
    }
    let s = score(&signals_ref(a, b)?);
    (s >= threshold).then_some(s)
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
