//! Watching `data/` for staff edits, for the live reload of `madoguchi
//! serve`. [`watch`] starts notify's recommended watcher (inotify on Linux)
//! under notify-debouncer-full, keeps only events that change something
//! (not the reads of a reload), and sends one [`Change`] once the files
//! have been quiet for a while, so a burst of saves becomes one reload that
//! reads the last content. Editor droppings (swap files, `~` backups, dot
//! files) are ignored. This module only reads: nothing here writes to
//! `data/`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use notify_debouncer_full::notify::event::{EventKind, ModifyKind};
use notify_debouncer_full::notify::{self, RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

/// How long the files must be quiet before a change is reported.
pub const QUIET: Duration = Duration::from_millis(300);

/// Files under the data directory that changed, relative to it, sorted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub paths: Vec<PathBuf>,
}

/// The data directory cannot be watched.
#[derive(Debug, thiserror::Error)]
#[error("cannot watch {path} for changes: {source}")]
pub struct WatchError {
    path: PathBuf,
    source: notify::Error,
}

/// A running watcher; dropping it stops the watching (and closes the
/// channel of changes).
pub struct DataWatcher {
    _debouncer: Debouncer<RecommendedWatcher, RecommendedCache>,
}

/// Watches `dir` (recursively) and reports each burst of edits, once no
/// file has changed for `quiet`, on the returned channel.
pub fn watch(
    dir: &Path,
    quiet: Duration,
) -> Result<(DataWatcher, UnboundedReceiver<Change>), WatchError> {
    let err = |source| WatchError {
        path: dir.to_path_buf(),
        source,
    };
    let root = dir.canonicalize().map_err(|e| err(notify::Error::io(e)))?;
    let (tx, rx) = unbounded_channel();
    let (raw_tx, raw_rx) = mpsc::channel::<Vec<PathBuf>>();
    // The debouncer merges the events of each file; the settling thread
    // waits for all files to be quiet.
    let half = quiet / 2;
    let handler_root = root.clone();
    let mut debouncer = new_debouncer(half, None, move |result: DebounceEventResult| {
        let paths = changed_paths(&handler_root, result);
        if !paths.is_empty() {
            let _ = raw_tx.send(paths);
        }
    })
    .map_err(err)?;
    debouncer
        .watch(&root, RecursiveMode::Recursive)
        .map_err(err)?;
    std::thread::Builder::new()
        .name("madoguchi-watch".into())
        .spawn(move || settle(&raw_rx, &tx, half))
        .map_err(|e| err(notify::Error::io(e)))?;
    Ok((
        DataWatcher {
            _debouncer: debouncer,
        },
        rx,
    ))
}

/// Collects changed paths until none arrives for `quiet`, then sends them
/// as one change; ends when the debouncer is gone or nobody listens.
fn settle(raw: &mpsc::Receiver<Vec<PathBuf>>, tx: &UnboundedSender<Change>, quiet: Duration) {
    let mut pending: BTreeSet<PathBuf> = BTreeSet::new();
    loop {
        let next = if pending.is_empty() {
            raw.recv().map_err(|_| RecvTimeoutError::Disconnected)
        } else {
            raw.recv_timeout(quiet)
        };
        match next {
            Ok(paths) => {
                tracing::debug!(?paths, "changed");
                pending.extend(paths);
            }
            Err(RecvTimeoutError::Timeout) => {
                let paths = std::mem::take(&mut pending).into_iter().collect();
                if tx.send(Change { paths }).is_err() {
                    return;
                }
            }
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// The paths (relative to `root`) of the events that change something.
fn changed_paths(root: &Path, result: DebounceEventResult) -> Vec<PathBuf> {
    match result {
        Ok(events) => events
            .iter()
            .filter(|e| changes_content(&e.event.kind))
            .flat_map(|e| e.event.paths.iter())
            .filter(|p| relevant(p))
            .map(|p| {
                p.strip_prefix(root)
                    .map_or_else(|_| p.clone(), Path::to_path_buf)
            })
            .collect(),
        Err(errors) => {
            for e in errors {
                tracing::warn!(error = %e, "watching the data directory failed");
            }
            Vec::new()
        }
    }
}

/// Whether an event can change what a file holds: not a read, not a
/// change of times or permissions only.
pub fn changes_content(kind: &EventKind) -> bool {
    !matches!(
        kind,
        EventKind::Access(_) | EventKind::Modify(ModifyKind::Metadata(_))
    )
}

/// Whether a changed path can matter to the knowledge: not an editor's
/// swap file, backup or other hidden file.
pub fn relevant(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    !(name.starts_with('.')
        || name.starts_with('#')
        || name.ends_with('~')
        || name == "4913"
        || matches!(ext, "swp" | "swx" | "swo" | "tmp" | "bak"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify::event::{AccessKind, CreateKind, DataChange, MetadataKind};

    #[test]
    fn editor_droppings_are_not_changes() {
        for p in [
            "faq/.02-telework.toml.swp",
            "faq/02-telework.toml~",
            "plan.toml.tmp",
            "faq/#02.toml#",
            "4913",
        ] {
            assert!(!relevant(Path::new(p)), "{p}");
        }
        for p in [
            "plan.toml",
            "faq/02-telework.toml",
            "plans/2024.toml",
            "faq",
        ] {
            assert!(relevant(Path::new(p)), "{p}");
        }
    }

    #[test]
    fn reads_and_touches_are_not_changes() {
        assert!(!changes_content(&EventKind::Access(AccessKind::Any)));
        assert!(!changes_content(&EventKind::Modify(ModifyKind::Metadata(
            MetadataKind::WriteTime
        ))));
        assert!(changes_content(&EventKind::Modify(ModifyKind::Data(
            DataChange::Content
        ))));
        assert!(changes_content(&EventKind::Create(CreateKind::File)));
    }

    #[test]
    fn a_burst_of_saves_is_one_change_and_reading_is_none() {
        // The quiet window is far longer than the gap between saves, so a
        // loaded machine that delays a save (or the watcher) several times
        // over still sees one burst; a watcher that reported each save, or
        // the reads, would still send more than one change.
        let quiet = Duration::from_millis(1_500);
        let gap = Duration::from_millis(40);
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("plan.toml");
        std::fs::write(&file, "0").unwrap();
        let (_watcher, mut rx) = watch(dir.path(), quiet).unwrap();
        for i in 1..=8 {
            std::fs::write(&file, i.to_string()).unwrap();
            std::thread::sleep(gap);
        }
        let first = recv_within(&mut rx, Duration::from_secs(30)).expect("a change");
        assert_eq!(first.paths, vec![PathBuf::from("plan.toml")]);
        for _ in 0..5 {
            assert_eq!(std::fs::read_to_string(&file).unwrap(), "8");
        }
        std::thread::sleep(quiet * 3);
        assert!(
            rx.try_recv().is_err(),
            "one change for the burst, none for reads"
        );
    }

    fn recv_within(rx: &mut UnboundedReceiver<Change>, limit: Duration) -> Option<Change> {
        let start = std::time::Instant::now();
        while start.elapsed() < limit {
            if let Ok(c) = rx.try_recv() {
                return Some(c);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}
