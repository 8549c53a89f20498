//! The bounded queue between the answers and the database, and the writer
//! task that empties it. Putting a record in takes a lock for a push: an
//! answer never waits for the database. The writer takes up to [`BATCH`]
//! records at a time and writes them in one transaction; a record leaves
//! the queue only once written, so a failed write is retried (after a
//! growing pause) and a kill loses at most what is queued. Past the bound
//! the oldest record is dropped, counted and warned about (one the writer
//! is retrying at that moment may still reach the database).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::{Notify, watch};

use super::sql::BatchKey;
use super::{Entry, Store};

/// Records written in one transaction, at most.
pub const BATCH: usize = 1_000;
/// The longest pause between two attempts when the database fails.
const MAX_RETRY_PAUSE: Duration = Duration::from_secs(5);
/// How often the writer deletes what is kept no longer: batch keys older
/// than a day, and with `--keep-days` old question text.
const FORGET_EVERY: Duration = Duration::from_secs(3600);

struct State {
    /// Entries with their sequence numbers, oldest first.
    entries: VecDeque<(u64, Entry)>,
    /// The sequence number of the next entry.
    next: u64,
    dropped: u64,
    /// How many of the dropped the log has told of, exactly.
    told: u64,
}

/// Records waiting for the database.
pub struct Queue {
    bound: usize,
    state: Mutex<State>,
    /// Wakes the writer.
    wake: Notify,
    /// Every entry below this sequence number is written or dropped.
    done: watch::Sender<u64>,
    closed: AtomicBool,
}

impl Queue {
    pub fn new(bound: usize) -> Queue {
        Queue {
            bound: bound.max(1),
            state: Mutex::new(State {
                entries: VecDeque::new(),
                next: 0,
                dropped: 0,
                told: 0,
            }),
            wake: Notify::new(),
            done: watch::Sender::new(0),
            closed: AtomicBool::new(false),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues a record; past the bound the oldest is dropped.
    pub fn push(&self, entry: Entry) {
        let mut s = self.lock();
        if s.entries.len() >= self.bound
            && let Some((seq, _)) = s.entries.pop_front()
        {
            s.dropped += 1;
            let dropped = s.dropped;
            self.done.send_if_modified(|d| {
                let moved = *d < seq + 1;
                *d = (*d).max(seq + 1);
                moved
            });
            if dropped.is_power_of_two() {
                tracing::warn!(
                    dropped,
                    bound = self.bound,
                    "the records database is behind: dropped the oldest waiting record"
                );
            }
        }
        let seq = s.next;
        s.next += 1;
        s.entries.push_back((seq, entry));
        drop(s);
        self.wake.notify_one();
    }

    /// Records waiting for the database (for a metrics endpoint).
    pub fn waiting(&self) -> usize {
        self.lock().entries.len()
    }

    /// Records dropped because the queue was full.
    pub fn dropped(&self) -> u64 {
        self.lock().dropped
    }

    /// Logs the exact number of records dropped since the last time it
    /// did (the warnings while dropping come at powers of two only).
    fn tell_dropped(&self) {
        let mut s = self.lock();
        if s.dropped > s.told {
            let (since, total) = (s.dropped - s.told, s.dropped);
            s.told = total;
            drop(s);
            tracing::warn!(
                dropped = since,
                dropped_in_all = total,
                "records dropped while the records database was behind"
            );
        }
    }

    /// Waits (at most `timeout`) until everything queued so far is written
    /// or dropped. Returns whether it was.
    pub async fn flush(&self, timeout: Duration) -> bool {
        let target = self.lock().next;
        let mut done = self.done.subscribe();
        tokio::time::timeout(timeout, done.wait_for(|d| *d >= target))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    /// The writer stops once the queue is empty.
    pub fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.wake.notify_one();
    }

    /// The oldest entries, up to [`BATCH`], with the sequence number after
    /// the last.
    fn peek(&self) -> Option<(Vec<Entry>, u64)> {
        let s = self.lock();
        let batch: Vec<Entry> = s
            .entries
            .iter()
            .take(BATCH)
            .map(|(_, e)| e.clone())
            .collect();
        let end = s.entries.get(batch.len().checked_sub(1)?)?.0 + 1;
        Some((batch, end))
    }

    /// Removes what was written (entries below `end` still queued).
    fn written(&self, end: u64) {
        let mut s = self.lock();
        while s.entries.front().is_some_and(|(seq, _)| *seq < end) {
            s.entries.pop_front();
        }
        drop(s);
        self.done.send_if_modified(|d| {
            let moved = *d < end;
            *d = (*d).max(end);
            moved
        });
    }
}

/// The writer task: writes what is queued until the queue is closed and
/// empty; every hour, deletes old batch keys and, with `keep_days`, old
/// question text.
pub async fn write(queue: std::sync::Arc<Queue>, store: Store, keep_days: Option<u32>) {
    let mut pause = Duration::from_millis(50);
    let mut forgot = tokio::time::Instant::now();
    // A batch that failed is tried again as it was, under its key, so that
    // one whose commit went through unacknowledged is not written twice.
    let mut pending: Option<(BatchKey, Vec<Entry>, u64)> = None;
    loop {
        let Some((key, batch, end)) = pending
            .take()
            .or_else(|| queue.peek().map(|(b, end)| (BatchKey::fresh(), b, end)))
        else {
            if queue.closed.load(Ordering::SeqCst) {
                queue.tell_dropped();
                return;
            }
            let _ = tokio::time::timeout(FORGET_EVERY, queue.wake.notified()).await;
            if forgot.elapsed() >= FORGET_EVERY {
                forgot = tokio::time::Instant::now();
                if let Err(e) = store.forget(keep_days.map(super::keep_from)).await {
                    tracing::warn!(error = %e, "deleting what is kept no longer failed; trying again in an hour");
                }
            }
            continue;
        };
        match store.write_once(&key, &batch).await {
            Ok(()) => {
                queue.written(end);
                queue.tell_dropped();
                pause = Duration::from_millis(50);
            }
            Err(e) => {
                let waiting = queue.waiting();
                if queue.closed.load(Ordering::SeqCst) {
                    queue.tell_dropped();
                    tracing::error!(error = %e, lost = waiting, "stopping with records the database did not take");
                    return;
                }
                tracing::warn!(error = %e, waiting, retry_ms = pause.as_millis() as u64, "writing records failed; they wait and are written when the database is back");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(MAX_RETRY_PAUSE);
                pending = Some((key, batch, end));
            }
        }
    }
}
