//! Comparing two fingerprints: the signals (text overlap, names, numbers), the score
//! that blends them, and the bounds the story index uses to reject most candidates
//! before scoring them. How fingerprints are made is in `fingerprint.rs`.

use super::fingerprint::{Fingerprint, NumKind, SLOTS, num_kind};

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
