//! Memory handed back to the operating system while serving. A burst of
//! questions makes a thousand tasks at once; when they are done, glibc's
//! allocator keeps the freed memory in its arenas, where it stays resident
//! for the life of the process (about 25 MB after a burst of 1,000). A
//! serving process looks every [`TRIM_EVERY`] and, when more than
//! [`TRIM_ABOVE`] was freed since it last did, hands the free pages back
//! (`malloc_trim`).
//! On other C libraries this does nothing.

use std::time::Duration;

/// Free memory held by the allocator above which it is handed back: below
/// it, keeping the memory saves the next burst the page faults.
pub const TRIM_ABOVE: usize = 4 << 20;

/// How often a serving process looks: often enough that memory returns
/// within a second or two of a burst, rarely enough to cost nothing (a look
/// that finds nothing new freed reads the allocator's counters and no more).
pub const TRIM_EVERY: Duration = Duration::from_secs(1);

/// Bytes the allocator holds free (in its arenas, not yet handed back).
fn free_held() -> usize {
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

/// Hands freed memory back, remembering what it handed: the allocator
/// still counts trimmed pages as free, so what matters is how much more is
/// free than after the last trim.
#[derive(Debug, Default)]
pub struct Trimmer {
    /// Free bytes after the last trim, lowered as the free memory is used.
    handed: usize,
}

impl Trimmer {
    /// Hands the free memory back when more than `above` bytes were freed
    /// since the last trim; returns how much was held free when it did.
    pub fn look(&mut self, above: usize) -> Option<usize> {
        let held = free_held();
        self.handed = self.handed.min(held);
        if held <= self.handed + above {
            return None;
        }
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        // SAFETY: malloc_trim takes the allocator's own locks.
        unsafe {
            libc::malloc_trim(0);
        }
        self.handed = free_held();
        Some(held)
    }
}

/// Starts a thread that looks every [`TRIM_EVERY`] for the life of the
/// process.
pub fn keep_trimmed() -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("memory-trim".into())
        .spawn(|| {
            let mut trimmer = Trimmer::default();
            loop {
                std::thread::sleep(TRIM_EVERY);
                if let Some(held) = trimmer.look(TRIM_ABOVE) {
                    tracing::debug!(held, "handed free memory back to the system");
                }
            }
        })
        .map(drop)
}
