//! Per-day posting lists of the story index: sorted `(key, slot)` pairs under name
//! hashes and MinHash band keys (see the `index` module docs for why bands of two).

use super::fingerprint::SLOTS;
use super::minhash::splitmix64;

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
        if self.dir.is_empty() {
            self.pairs.sort_unstable();
        } else {
            // Sealed before: the pairs are a sorted run plus the tail added since. The
            // stable sort takes the run as it is and merges the sorted tail into it; the
            // unstable one sorted it all again, which the cold round did every 64 inserts
            // (`cold_round_lookups` 2.40-2.79 s -> 2.25-2.43 s).
            self.pairs.sort();
        }
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

    /// Start loading the directory entry of `key`'s bucket, without waiting for it.
    pub(super) fn prefetch_dir(&self, key: u32) {
        prefetch(self.dir.as_ptr().wrapping_add(self.bucket(key)));
    }

    /// Start loading the first pairs of `key`'s bucket (its directory entry should be
    /// in cache already: [`prefetch_dir`](Self::prefetch_dir)).
    pub(super) fn prefetch_run(&self, key: u32) {
        let b = self.bucket(key);
        if let (Some(&lo), Some(&hi)) = (self.dir.get(b), self.dir.get(b + 1)) {
            let p = self.pairs.as_ptr();
            // A bucket averages four to eight pairs (one or two cache lines), and the
            // bisection reads its middle first.
            prefetch(p.wrapping_add(lo as usize));
            prefetch(p.wrapping_add((lo as usize + hi as usize) / 2));
        }
    }

    /// Slots posted under `key`.
    pub(super) fn get(&self, key: u32) -> impl Iterator<Item = u32> + '_ {
        let b = self.bucket(key);
        let (lo, hi) = match (self.dir.get(b), self.dir.get(b + 1)) {
            (Some(&lo), Some(&hi)) => (lo as usize, hi as usize),
            _ => (0, 0),
        };
        // A bucket averages four pairs, but a name that many items carry makes a long run
        // in its bucket, and every other key of that bucket used to scan through it (a
        // fifth of the lookup's own time in a cold round): find the run by bisection.
        let bucket = self.pairs.get(lo..hi).unwrap_or(&[]);
        let start = bucket.partition_point(|p| p.0 < key);
        bucket
            .get(start..)
            .unwrap_or(&[])
            .iter()
            .take_while(move |p| p.0 == key)
            .map(|p| p.1)
    }
}

/// Hint the CPU to start loading the cache line at `p`. A lookup reads a few hundred
/// unrelated lines (a directory entry, then a run, per key and day); issued one after
/// the other, each waits for memory in turn.
#[inline(always)]
pub(super) fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is a hint: it never faults and has no effect a program can
    // observe, so any address (even past the end of an allocation) is fine. SSE, which
    // the instruction needs, is part of x86_64.
    unsafe {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        _mm_prefetch::<_MM_HINT_T0>(p.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

#[cfg(test)]
mod tests {
    use super::Postings;

    #[test]
    fn a_tail_added_after_a_seal_is_merged_in_and_found() {
        let key = |i: u32| i.wrapping_mul(0x9E37_79B9);
        let mut p = Postings::default();
        p.extend((0..3000u32).map(|i| (key(i), i)));
        p.seal();
        // A tail of keys old and new, and a removal, as a day's list sees them.
        p.extend((2990..3100u32).map(|i| (key(i), 10_000 + i)));
        p.seal();
        p.retain_slots(|s| s != 7);
        assert!(p.pairs.windows(2).all(|w| w[0] <= w[1]));
        for i in [0u32, 1500, 2989] {
            assert_eq!(p.get(key(i)).collect::<Vec<_>>(), [i]);
        }
        for i in 2990..3000u32 {
            let mut run: Vec<u32> = p.get(key(i)).collect();
            run.sort_unstable();
            assert_eq!(run, [i, 10_000 + i]);
        }
        assert_eq!(p.get(key(3050)).collect::<Vec<_>>(), [13_050]);
        assert_eq!(p.get(key(7)).count(), 0);
    }

    #[test]
    fn get_finds_exactly_the_run_of_a_key_next_to_a_long_one() {
        let mut p = Postings::default();
        // One key posted 500 times, its neighbours in the same bucket once each, and keys
        // spread over the whole range so that the directory has many buckets.
        let popular = 0x8000_0010u32;
        p.extend((0..500).map(|s| (popular, s)));
        p.extend([(popular - 1, 900), (popular + 1, 901), (popular + 2, 902)].into_iter());
        p.extend((0..2000u32).map(|i| (i.wrapping_mul(0x9E37_79B9), 1000 + i)));
        p.seal();
        let mut run: Vec<u32> = p.get(popular).collect();
        run.sort_unstable();
        assert_eq!(run, (0..500).collect::<Vec<_>>());
        assert_eq!(p.get(popular - 1).collect::<Vec<_>>(), [900]);
        assert_eq!(p.get(popular + 1).collect::<Vec<_>>(), [901]);
        assert_eq!(p.get(popular + 2).collect::<Vec<_>>(), [902]);
        assert_eq!(p.get(popular + 3).count(), 0);
        for i in [0u32, 7, 1999] {
            let key = i.wrapping_mul(0x9E37_79B9);
            assert!(p.get(key).any(|s| s == 1000 + i), "key {key:#x}");
        }
        assert_eq!(Postings::default().get(popular).count(), 0);
        // Prefetching reads the directory but must not depend on it being built.
        for key in [0, popular, u32::MAX] {
            p.prefetch_dir(key);
            p.prefetch_run(key);
            Postings::default().prefetch_dir(key);
            Postings::default().prefetch_run(key);
        }
        assert_eq!(p.get(popular).count(), 500);
    }
}
