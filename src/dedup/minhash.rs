//! The weighted MinHash kernel of the fingerprint, and the stable 64-bit mixer it and the
//! story index's band keys share.
//!
//! Every unit of feature weight is hashed once per slot: about 250 units × 64 slots, so
//! some 16,000 `splitmix64` per item, which made the MinHash two thirds of the
//! fingerprint and the fingerprint an eighth of a cold round's CPU (BENCHMARKS.md). The
//! per-slot loop is the same arithmetic on 64 independent lanes, so it is compiled a
//! second and third time for AVX2 and AVX-512 and chosen at run time: the values are
//! bit-for-bit those of the portable loop (integer arithmetic only), which keeps every
//! stored fingerprint valid without an `FP_VERSION` bump.

use super::fingerprint::SLOTS;

pub(crate) const fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// One seed per slot, fixed forever (part of what a stored fingerprint means).
const SEEDS: [u64; SLOTS] = {
    let mut seeds = [0u64; SLOTS];
    let mut s = 0x7a6f_6e65_7769_7265u64; // "zonewire"
    let mut i = 0;
    while i < SLOTS {
        s = splitmix64(s);
        seeds[i] = s;
        i += 1;
    }
    seeds
};

/// The per-slot minima over every unit of weight of every feature. Written so that the
/// inner loop has no dependency between slots: each target-feature copy below is this
/// same code, vectorised by the compiler.
#[inline(always)]
fn mins_of(feats: &[(u64, u32)]) -> [u64; SLOTS] {
    let mut mins = [u64::MAX; SLOTS];
    for &(h, w) in feats {
        for copy in 0..u64::from(w) {
            let x = splitmix64(h ^ copy.wrapping_mul(0x9e37_79b9_7f4a_7c15));
            for (m, seed) in mins.iter_mut().zip(SEEDS.iter()) {
                let v = splitmix64(x ^ seed);
                if v < *m {
                    *m = v;
                }
            }
        }
    }
    mins
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{SLOTS, mins_of};

    /// Eight slots per instruction, with a native 64-bit multiply (`vpmullq`, AVX-512DQ).
    #[target_feature(enable = "avx512f,avx512dq")]
    pub(super) fn mins_avx512(feats: &[(u64, u32)]) -> [u64; SLOTS] {
        mins_of(feats)
    }

    /// Four slots per instruction; the 64-bit multiply is built from 32-bit ones.
    #[target_feature(enable = "avx2")]
    pub(super) fn mins_avx2(feats: &[(u64, u32)]) -> [u64; SLOTS] {
        mins_of(feats)
    }
}

/// Which kernel this CPU runs (for the tests and the benchmark notes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kernel {
    Portable,
    #[cfg(target_arch = "x86_64")]
    Avx2,
    #[cfg(target_arch = "x86_64")]
    Avx512,
}

impl Kernel {
    /// The fastest kernel the CPU supports (std caches the CPUID answers).
    pub(crate) fn best() -> Kernel {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f")
                && std::arch::is_x86_feature_detected!("avx512dq")
            {
                return Kernel::Avx512;
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                return Kernel::Avx2;
            }
        }
        Kernel::Portable
    }

    /// Every kernel this CPU can run, portable first.
    #[cfg(test)]
    pub(crate) fn available() -> Vec<Kernel> {
        let mut out = vec![Kernel::Portable];
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") {
                out.push(Kernel::Avx2);
            }
            if Kernel::best() == Kernel::Avx512 {
                out.push(Kernel::Avx512);
            }
        }
        out
    }

    fn mins(self, feats: &[(u64, u32)]) -> [u64; SLOTS] {
        match self {
            Kernel::Portable => mins_of(feats),
            // SAFETY: `Avx2` and `Avx512` are only made by `best`/`available`, after
            // checking that the CPU has the features these functions are compiled for.
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2 => unsafe { x86::mins_avx2(feats) },
            // SAFETY: as above.
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx512 => unsafe { x86::mins_avx512(feats) },
        }
    }
}

/// Weighted MinHash of a feature set (hash, integer weight): [`SLOTS`] values of 16 bits,
/// empty for an empty set.
pub(super) fn minhash(feats: &[(u64, u32)]) -> Vec<u16> {
    minhash_with(Kernel::best(), feats)
}

pub(crate) fn minhash_with(kernel: Kernel, feats: &[(u64, u32)]) -> Vec<u16> {
    if feats.is_empty() {
        return Vec::new();
    }
    // Keep the top 16 bits ("b-bit MinHash"): a chance collision per slot is 1/65536,
    // too small to matter at our thresholds, and it quarters the stored size.
    kernel
        .mins(feats)
        .iter()
        .map(|m| (m >> 48) as u16)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn random_feats(seed: u64, n: usize) -> Vec<(u64, u32)> {
        let mut s = seed;
        (0..n)
            .map(|_| {
                s = splitmix64(s);
                (s, (s >> 60) as u32 % 4)
            })
            .collect()
    }

    #[test]
    fn every_kernel_gives_the_portable_values() {
        let kernels = Kernel::available();
        eprintln!("MinHash kernels on this CPU: {kernels:?}");
        for (seed, n) in [(1, 1), (2, 7), (3, 120), (4, 400)] {
            let feats = random_feats(seed, n);
            let want = minhash_with(Kernel::Portable, &feats);
            assert_eq!(want.len(), SLOTS);
            for &k in &kernels {
                assert_eq!(minhash_with(k, &feats), want, "{k:?} on {n} features");
            }
        }
    }

    #[test]
    fn seeds_and_mixer_are_the_fixed_ones() {
        // Pinned: the first seed and one mix. Changing either re-hashes every stored
        // fingerprint (the pinned fingerprint in dedup/tests.rs would fail too).
        assert_eq!(splitmix64(0), 0xe220_a839_7b1d_cdaf);
        assert_eq!(SEEDS[0], splitmix64(0x7a6f_6e65_7769_7265));
        assert_ne!(SEEDS[0], SEEDS[1]);
    }

    #[test]
    fn weight_counts_units_and_empty_sets_hash_to_nothing() {
        assert!(minhash(&[]).is_empty());
        // Weight 0 contributes nothing; weight 2 differs from weight 1.
        let one = minhash(&[(42, 1)]);
        assert_eq!(minhash(&[(42, 1), (7, 0)]), one);
        assert_ne!(minhash(&[(42, 2)]), one);
    }
}
