//! Returning freed heap to the operating system.
//!
//! glibc's malloc keeps pages it has handed out, even once everything on them is freed,
//! unless they sit at the very top of an arena. Start-up frees two large bursts: the
//! decoded index records, and sled's cache of the index tree when the store closes and
//! reopens after its walk (`Store::after_scan`). On the 100k-item store the process held
//! 162 MiB after the close and 8 MiB once trimmed (BENCHMARKS.md §4). `malloc_trim` walks
//! every arena and gives free pages back: cheap enough after such a burst, not per
//! request.

/// Give the allocator's free pages back to the OS. A no-op off glibc (musl and the other
/// allocators return memory on their own terms, and expose no such call).
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim takes no pointers and only works on glibc's own free lists; it
    // is documented as safe to call at any time from any thread.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Blocks at least this large get their own mapping, unmapped whole when freed (glibc).
///
/// glibc starts that threshold at 128 KiB and raises it each time such a block is freed,
/// to the block's size, up to 32 MiB. Once it has risen, blocks of a few MiB come from
/// the arenas, where freeing them can leave holes that `malloc_trim` does not give back.
/// Setting the threshold fixes it. At 4 MiB, a poll's buffers (bodies, parsed feeds)
/// stay in the arenas as before, and only the rare larger blocks are mapped.
///
/// Measured on the 100k-item store (BENCHMARKS.md §4), three alternating pairs each:
/// - idle: 129.1–129.5 MiB before, 125.3 MiB after;
/// - after a day's prune: 141.5–143.2 MiB before, 137.0–138.9 MiB after;
/// - the cold round is unchanged: median pair ratio 0.96 over 8 pairs.
///
/// Lower thresholds give back more: 128.5–129.1 MiB after the prune at 256 KiB. But they
/// map and unmap a poll's buffers, and a cold round then costs ~4 % more.
pub const MMAP_THRESHOLD: usize = 4 << 20;

/// Fix [`MMAP_THRESHOLD`] for the process, unless the operator chose a threshold through
/// glibc's environment (`MALLOC_MMAP_THRESHOLD_`, or `glibc.malloc.mmap_threshold` in
/// `GLIBC_TUNABLES`): that choice is theirs to make. Returns whether it was set. A no-op
/// off glibc.
pub fn fix_mmap_threshold() -> bool {
    let env = std::env::var("MALLOC_MMAP_THRESHOLD_").ok();
    let tunables = std::env::var("GLIBC_TUNABLES").ok();
    if operator_chose_threshold(env.as_deref(), tunables.as_deref()) {
        return false;
    }
    set_mmap_threshold(MMAP_THRESHOLD)
}

fn operator_chose_threshold(malloc_env: Option<&str>, tunables: Option<&str>) -> bool {
    malloc_env.is_some() || tunables.is_some_and(|t| t.contains("glibc.malloc.mmap_threshold"))
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn set_mmap_threshold(bytes: usize) -> bool {
    let Ok(bytes) = libc::c_int::try_from(bytes) else {
        return false;
    };
    // SAFETY: mallopt takes no pointers; it sets a parameter of glibc's allocator under
    // the allocator's own lock, and may be called at any time from any thread.
    unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, bytes) == 1 }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn set_mmap_threshold(_bytes: usize) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_operator_threshold_is_left_alone() {
        assert!(!operator_chose_threshold(None, None));
        assert!(!operator_chose_threshold(
            None,
            Some("glibc.malloc.arena_max=2")
        ));
        assert!(operator_chose_threshold(Some("131072"), None));
        assert!(operator_chose_threshold(
            None,
            Some("glibc.malloc.arena_max=2:glibc.malloc.mmap_threshold=65536")
        ));
    }

    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[test]
    fn glibc_accepts_the_threshold() {
        // glibc refuses values above its maximum: ours must be accepted, or the daemon
        // would silently keep the dynamic threshold.
        assert!(set_mmap_threshold(MMAP_THRESHOLD));
    }
}
