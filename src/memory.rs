//! Memory handed back to the operating system while serving. A burst of
//! questions makes a thousand tasks at once; when they are done, glibc's
//! allocator keeps the freed memory in its arenas, where it stays resident
//! for the life of the process (about 25 MB after a burst of 1,000). A
//! serving process looks every [`TRIM_EVERY`] and, when the allocator holds
//! more than [`TRIM_ABOVE`] free, hands the free pages back (`malloc_trim`).
//! On other C libraries this does nothing.

use std::time::Duration;

/// Free memory held by the allocator above which it is handed back: below
/// it, keeping the memory saves the next burst the page faults.
pub const TRIM_ABOVE: usize = 4 << 20;

/// How often a serving process looks: often enough that memory returns
/// within a second or two of a burst, rarely enough to cost nothing (the
/// allocator still counts trimmed memory as free, so once a burst has left
/// more than [`TRIM_ABOVE`] free, every look trims: about 0.13 ms when there
/// is nothing left to hand back, measured by `records_bench write`).
pub const TRIM_EVERY: Duration = Duration::from_secs(1);

/// Bytes the allocator holds free (in its arenas, not yet handed back).
pub fn free_held() -> usize {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallinfo2 only reads the allocator's counters.
        unsafe { libc::mallinfo2() }.fordblks
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        0
    }
}

/// Hands the free memory back when more than `above` bytes of it are held;
/// returns how much was held when it did.
pub fn trim(above: usize) -> Option<usize> {
    let held = free_held();
    if held <= above {
        return None;
    }
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim takes the allocator's own locks.
    unsafe {
        libc::malloc_trim(0);
    }
    Some(held)
}

/// Starts a thread that trims every [`TRIM_EVERY`] for the life of the
/// process.
pub fn keep_trimmed() -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("memory-trim".into())
        .spawn(|| {
            loop {
                std::thread::sleep(TRIM_EVERY);
                if let Some(held) = trim(TRIM_ABOVE) {
                    tracing::debug!(held, "handed free memory back to the system");
                }
            }
        })
        .map(drop)
}
