//! Per-day posting lists of the story index: sorted `(key, slot)` pairs under name
//! hashes and MinHash band keys (see the `index` module docs for why bands of two).

use super::fingerprint::{SLOTS, splitmix64};

/// Slots per band. Two, so that a pair with a text overlap just high enough to pass
/// without shared names still shares a band with near certainty (index module docs).
pub(super) const ROWS: usize = 2;
pub(super) const BANDS: usize = SLOTS / ROWS;

fn band_key(band: usize, mh: &[u16]) -> u32 {
    let a = u64::from(mh[band * ROWS]);
    let b = u64::from(mh[band * ROWS + 1]);
    let h = splitmix64(((band as u64) << 32) | (a << 16) | b);
    (h >> 32) as u32
}

pub(super) fn band_keys(mh: &[u16]) -> impl Iterator<Item = u32> + '_ {
    (0..BANDS).map(move |b| band_key(b, mh))
}

/// Sorted `(key, slot)` pairs with a radix directory over the keys' top bits. Keys are
/// hashes, so a directory of one bucket per four pairs finds a key's run with two memory
/// reads; a plain binary search over a day's ~40k pairs took half of the lookup time.
#[derive(Debug, Default)]
pub(super) struct Postings {
    pairs: Vec<(u32, u32)>,
    /// `dir[b]..dir[b + 1]` holds the pairs whose key's top `bits` bits are `b`.
    dir: Vec<u32>,
    bits: u32,
}

impl Postings {
    pub(super) fn extend(&mut self, more: impl Iterator<Item = (u32, u32)>) {
        self.pairs.extend(more);
    }

    /// Sort and rebuild the directory (after any change).
    pub(super) fn seal(&mut self) {
        self.pairs.sort_unstable();
        self.bits = (self.pairs.len() / 4).max(1).ilog2().min(20);
        let buckets = 1usize << self.bits;
        self.dir.clear();
        self.dir.reserve(buckets + 1);
        let mut i = 0usize;
        for b in 0..buckets {
            while i < self.pairs.len() && self.bucket(self.pairs[i].0) < b {
                i += 1;
            }
            self.dir.push(u32::try_from(i).unwrap_or(u32::MAX));
        }
        self.dir
            .push(u32::try_from(self.pairs.len()).unwrap_or(u32::MAX));
    }

    fn bucket(&self, key: u32) -> usize {
        if self.bits == 0 {
            0
        } else {
            (key >> (32 - self.bits)) as usize
        }
    }

    pub(super) fn retain_slots(&mut self, keep: impl Fn(u32) -> bool) {
        self.pairs.retain(|p| keep(p.1));
        self.seal();
    }

    /// Slots posted under `key`.
    pub(super) fn get(&self, key: u32) -> impl Iterator<Item = u32> + '_ {
        let b = self.bucket(key);
        let (lo, hi) = match (self.dir.get(b), self.dir.get(b + 1)) {
            (Some(&lo), Some(&hi)) => (lo as usize, hi as usize),
            _ => (0, 0),
        };
        self.pairs
            .get(lo..hi)
            .unwrap_or(&[])
            .iter()
            .filter(move |p| p.0 == key)
            .map(|p| p.1)
    }
}
