//! Giving the heap's freed pages back to the system between the phases of a
//! large evaluation.
//!
//! A large inventory is read into rows, checked and packed (freed row by
//! row), then the plugin runs in its own linear memory, then the result is
//! lifted into the report. The allocator keeps what each phase freed for
//! reuse, and the next phase is not made of chunks of the same sizes: glibc's
//! `malloc` kept about 65 MiB of freed rows resident while the plugin's
//! 51 MiB were mapped beside them (100,000 rows, docs/benchmarks.md).
//! [`release_freed`] asks it to return whole free pages (`malloc_trim`).
//!
//! It is one call into the C library (through `libc`), on Linux with glibc
//! only; elsewhere it does nothing. Another allocator (mimalloc) and a
//! single glibc arena were measured instead and not adopted
//! (docs/benchmarks.md, "Measured and not adopted" in the section "Earlier:
//! checked and packed in one pass, freed memory given back between phases").

/// Requests of at least this many input cells give freed memory back
/// between phases; below it the phases are too small to matter and the
/// call's own cost (a walk over the heap's free chunks) is not worth it.
pub(crate) const RELEASE_FROM_CELLS: u64 = 200_000;

/// Returns the heap's free pages to the system (glibc's `malloc_trim(0)`).
pub(crate) fn release_freed() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases memory the allocator holds free; it
    // is thread-safe and touches no memory in use.
    unsafe {
        libc::malloc_trim(0);
    }
}
