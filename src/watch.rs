//! Watching `data/` for staff edits, for the live reload of `madoguchi
//! serve`. [`watch`] starts notify's recommended watcher (inotify on Linux)
//! under notify-debouncer-full, keeps only events that change something
//! (not the reads of a reload), and sends one [`Change`] once the files
//! have been quiet for a while, so a burst of saves becomes one reload that
//! reads the last content. Editor droppings (swap files, `~` backups, dot
//! files) are ignored. The watcher follows the configured path, not the
//! directory it named at the start: when `data/` is replaced (deleted and
//! made again, `mv data.new data`, a link switched to another release), it
//! attaches to the new directory and says so in the [`Change`]
//! ([`Change::reattached`]). This module only reads: nothing here writes
//! to `data/`.

use std::collections::BTreeSet;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use notify_debouncer_full::notify::event::{EventKind, ModifyKind};
use notify_debouncer_full::notify::{self, RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

/// How long the files must be quiet before a change is reported.
pub const QUIET: Duration = Duration::from_millis(300);
/// How often the configured path is checked for a replaced directory.
pub const FOLLOW_EVERY: Duration = Duration::from_millis(250);

/// What changed under the data directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Files that changed, relative to the data directory, sorted (`.` is
    /// the directory itself).
    pub paths: Vec<PathBuf>,
    /// The directory the configured path names now, when it was replaced
    /// and the watcher attached to it; everything in it may have changed.
    pub reattached: Option<PathBuf>,
}

/// The data directory cannot be watched.
#[derive(Debug, thiserror::Error)]
#[error("cannot watch {path} for changes: {source}")]
pub struct WatchError {
    path: PathBuf,
    source: notify::Error,
}

type Inner = Debouncer<RecommendedWatcher, RecommendedCache>;

/// A running watcher; dropping it stops the watching (and closes the
/// channel of changes).
pub struct DataWatcher {
    _debouncer: Arc<Mutex<Inner>>,
}

/// The directory a path leads to now, and which one it is.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Target {
    root: PathBuf,
    device: u64,
    inode: u64,
}

impl Target {
    /// Where `configured` leads now; `None` while there is no directory.
    fn of(configured: &Path) -> Option<Target> {
        let root = configured.canonicalize().ok()?;
        let meta = std::fs::metadata(&root).ok()?;
        meta.is_dir().then(|| Target {
            root,
            device: meta.dev(),
            inode: meta.ino(),
        })
    }
}

/// Watches `dir` (recursively) and reports each burst of edits, once no
/// file has changed for `quiet`, on the returned channel; keeps following
/// `dir` when the directory it names is replaced.
pub fn watch(
    dir: &Path,
    quiet: Duration,
) -> Result<(DataWatcher, UnboundedReceiver<Change>), WatchError> {
    let err = |source| WatchError {
        path: dir.to_path_buf(),
        source,
    };
    let target = Target::of(dir).ok_or_else(|| {
        err(notify::Error::io(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "not a directory",
        )))
    })?;
    let (tx, rx) = unbounded_channel();
    let (raw_tx, raw_rx) = mpsc::channel::<Vec<PathBuf>>();
    // The debouncer merges the events of each file; the settling thread
    // waits for all files to be quiet.
    let half = quiet / 2;
    let root = Arc::new(Mutex::new(target.root.clone()));
    let handler_root = Arc::clone(&root);
    let mut debouncer = new_debouncer(half, None, move |result: DebounceEventResult| {
        let root = handler_root.lock().map(|r| r.clone()).unwrap_or_default();
        let paths = changed_paths(&root, result);
        if !paths.is_empty() {
            let _ = raw_tx.send(paths);
        }
    })
    .map_err(err)?;
    debouncer
        .watch(&target.root, RecursiveMode::Recursive)
        .map_err(err)?;
    let debouncer = Arc::new(Mutex::new(debouncer));
    let follow = Follow {
        configured: dir.to_path_buf(),
        held: std::fs::File::open(&target.root).ok(),
        current: target,
        root,
        debouncer: Arc::downgrade(&debouncer),
    };
    std::thread::Builder::new()
        .name("madoguchi-watch".into())
        .spawn(move || settle(&raw_rx, &tx, half, follow))
        .map_err(|e| err(notify::Error::io(e)))?;
    Ok((
        DataWatcher {
            _debouncer: debouncer,
        },
        rx,
    ))
}

/// Keeps the watch on the directory the configured path names.
struct Follow {
    configured: PathBuf,
    current: Target,
    /// The watched directory, held open: while it is, its inode cannot be
    /// given to a directory made in its place (`rm -rf data && cp -r new
    /// data` on ext4 would otherwise get the same number), and a link count
    /// of 0 says it was deleted.
    held: Option<std::fs::File>,
    /// The root events are reported relative to.
    root: Arc<Mutex<PathBuf>>,
    debouncer: Weak<Mutex<Inner>>,
}

impl Follow {
    /// Attaches to the directory the configured path names now if it is
    /// another one; the new directory when it did. While the path names
    /// nothing (deleted, not yet made again) it waits.
    fn reattach(&mut self) -> Option<PathBuf> {
        let deleted = self
            .held
            .as_ref()
            .is_none_or(|d| d.metadata().map_or(true, |m| m.nlink() == 0));
        let now = Target::of(&self.configured)?;
        if now == self.current && !deleted {
            return None;
        }
        let debouncer = self.debouncer.upgrade()?;
        let mut debouncer = debouncer.lock().ok()?;
        let _ = debouncer.unwatch(&self.current.root);
        if let Err(e) = debouncer.watch(&now.root, RecursiveMode::Recursive) {
            tracing::warn!(dir = %now.root.display(), error = %e, "cannot watch the new data directory yet");
            return None;
        }
        if let Ok(mut root) = self.root.lock() {
            root.clone_from(&now.root);
        }
        tracing::info!(
            path = %self.configured.display(),
            dir = %now.root.display(),
            "the data directory was replaced: watching the new one"
        );
        self.held = std::fs::File::open(&now.root).ok();
        self.current = now;
        Some(self.current.root.clone())
    }
}

/// Collects changed paths until none arrives for `quiet`, then sends them
/// as one change; re-attaches when the data directory is replaced; ends
/// when the watcher is dropped or nobody listens.
fn settle(
    raw: &mpsc::Receiver<Vec<PathBuf>>,
    tx: &UnboundedSender<Change>,
    quiet: Duration,
    mut follow: Follow,
) {
    let mut pending: BTreeSet<PathBuf> = BTreeSet::new();
    let mut reattached: Option<PathBuf> = None;
    // When the last change arrived, while one is waiting to be sent.
    let mut last: Option<Instant> = None;
    let mut checked = Instant::now();
    loop {
        let wait = last.map_or(FOLLOW_EVERY, |t| {
            (t + quiet)
                .saturating_duration_since(Instant::now())
                .min(FOLLOW_EVERY)
        });
        match raw.recv_timeout(wait) {
            Ok(paths) => {
                tracing::debug!(?paths, "changed");
                pending.extend(paths);
                last = Some(Instant::now());
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
        if checked.elapsed() >= FOLLOW_EVERY {
            checked = Instant::now();
            if let Some(dir) = follow.reattach() {
                reattached = Some(dir);
                last = Some(Instant::now());
            }
        }
        if last.is_some_and(|t| t.elapsed() >= quiet) {
            last = None;
            let change = Change {
                paths: std::mem::take(&mut pending).into_iter().collect(),
                reattached: reattached.take(),
            };
            if tx.send(change).is_err() {
                return;
            }
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
            .map(|p| match p.strip_prefix(root) {
                Ok(rel) if rel.as_os_str().is_empty() => PathBuf::from("."),
                Ok(rel) => rel.to_path_buf(),
                Err(_) => p.clone(),
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

    #[test]
    fn a_replaced_directory_is_followed() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("data");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("plan.toml"), "0").unwrap();
        let (_watcher, mut rx) = watch(&dir, Duration::from_millis(200)).unwrap();
        let new = tmp.path().join("data.new");
        std::fs::create_dir(&new).unwrap();
        std::fs::write(new.join("plan.toml"), "1").unwrap();
        std::fs::rename(&dir, tmp.path().join("data.old")).unwrap();
        std::fs::rename(&new, &dir).unwrap();
        let limit = Duration::from_secs(30);
        let followed = std::iter::from_fn(|| recv_within(&mut rx, limit))
            .find_map(|c| c.reattached)
            .expect("re-attached");
        assert_eq!(followed, dir.canonicalize().unwrap());
        // Edits in the new directory are changes; the old one is not watched.
        std::thread::sleep(Duration::from_millis(1_000));
        while rx.try_recv().is_ok() {}
        std::fs::write(tmp.path().join("data.old/plan.toml"), "old").unwrap();
        std::fs::write(dir.join("faq.toml"), "2").unwrap();
        let change = recv_within(&mut rx, limit).expect("a change");
        assert_eq!(change.paths, vec![PathBuf::from("faq.toml")]);
        assert_eq!(change.reattached, None);
    }

    #[test]
    fn a_directory_deleted_and_copied_again_is_followed() {
        // `rm -rf data && cp -r new data`: the new directory may get the
        // deleted one's inode number, so (device, inode) alone sees nothing.
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("data");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("plan.toml"), "0").unwrap();
        let (_watcher, mut rx) = watch(&dir, Duration::from_millis(200)).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("plan.toml"), "1").unwrap();
        let limit = Duration::from_secs(30);
        std::iter::from_fn(|| recv_within(&mut rx, limit))
            .find_map(|c| c.reattached)
            .expect("re-attached");
        // Later edits are seen.
        std::thread::sleep(Duration::from_millis(1_000));
        while rx.try_recv().is_ok() {}
        std::fs::write(dir.join("plan.toml"), "2").unwrap();
        let change = recv_within(&mut rx, limit).expect("a later edit is a change");
        assert_eq!(change.paths, vec![PathBuf::from("plan.toml")]);
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
