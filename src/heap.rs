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
