//! Returning freed heap to the operating system.
//!
//! glibc's malloc keeps pages it has handed out, even once everything on them is freed,
//! unless they sit at the very top of an arena. Start-up decodes every index record into
//! short-lived strings on several threads, and those pages stayed resident for the life
//! of the daemon: on the 100k-item store they were a large share of the idle RSS
//! (BENCHMARKS.md §4). `malloc_trim` walks every arena and gives free pages back, which is
//! cheap enough to call after such a burst but not per request.

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
