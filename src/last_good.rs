//! The last good knowledge: every index generation keeps a copy of the
//! `data/` files it was built from (`knowledge.json` inside the generation),
//! taken only when that copy loads to exactly the validated knowledge. When
//! `data/` is broken at start, [`restore`] writes the copy of the current
//! generation to a scratch directory under `index/`, so the bot can start
//! on it and keep answering until `data/` is fixed. Only `index/` is
//! written; `data/` is only read.

use std::fs;
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::data::{self, Date, Knowledge};
use crate::index;

/// The copy's file name inside a generation.
pub const SNAPSHOT_FILE: &str = "knowledge.json";

/// Why there is no last good knowledge to start on.
#[derive(Debug, thiserror::Error)]
pub enum LastGoodError {
    #[error("there is no index in {0} to take the last good knowledge from")]
    NoGeneration(PathBuf),
    #[error("cannot read the last good knowledge at {path}: {reason}")]
    Unreadable { path: PathBuf, reason: String },
}

#[derive(Serialize, Deserialize)]
struct Snapshot {
    files: Vec<SnapshotFile>,
}

#[derive(Serialize, Deserialize)]
struct SnapshotFile {
    /// Relative to the data directory, `/`-separated.
    path: String,
    text: String,
}

/// Keeps a copy of `data` in `generation` unless it has one: the text
/// files of `data` (not hidden ones), kept only if they load to the same
/// knowledge as `knowledge` (a file saved meanwhile makes no copy; the
/// next start makes it).
pub fn save(
    data: &Path,
    generation: &Path,
    knowledge: &Knowledge,
    today: Option<Date>,
) -> std::io::Result<()> {
    let target = generation.join(SNAPSHOT_FILE);
    if target.is_file() {
        return Ok(());
    }
    let mut files = Vec::new();
    collect(data, data, &mut files)?;
    let snapshot = Snapshot { files };
    let scratch = index::scratch_dir(generation.parent().unwrap_or(generation));
    let same = write_out(&snapshot, &scratch).map(|()| {
        data::load_on(&scratch, today).is_ok_and(|k| k.fingerprint == knowledge.fingerprint)
    });
    let _ = fs::remove_dir_all(&scratch);
    if !same? {
        return Ok(());
    }
    let json = serde_json::to_vec(&snapshot).map_err(std::io::Error::other)?;
    crate::files::replace(&target, &json)
}

/// Writes the last good knowledge of the current generation under `index`
/// into a fresh scratch directory and returns it; the caller opens it as
/// `data/` and removes it.
pub fn restore(index: &Path) -> Result<PathBuf, LastGoodError> {
    let generation = index::current_generation(index)
        .ok_or_else(|| LastGoodError::NoGeneration(index.into()))?;
    let path = generation.join(SNAPSHOT_FILE);
    let unreadable = |reason: String| LastGoodError::Unreadable {
        path: path.clone(),
        reason,
    };
    // Written by `save`, so not bounded like a data file; still only a
    // regular file is opened.
    let bytes = match fs::metadata(&path) {
        Ok(meta) if meta.is_file() => fs::read(&path),
        Ok(_) => Err(std::io::Error::other(data::NotRegular)),
        Err(e) => Err(e),
    }
    .map_err(|e| unreadable(e.to_string()))?;
    let snapshot: Snapshot =
        serde_json::from_slice(&bytes).map_err(|e| unreadable(e.to_string()))?;
    let scratch = index::scratch_dir(index);
    if let Err(e) = write_out(&snapshot, &scratch) {
        let _ = fs::remove_dir_all(&scratch);
        return Err(unreadable(e.to_string()));
    }
    Ok(scratch)
}

/// The text files under `dir` (recursively, hidden ones left out).
fn collect(root: &Path, dir: &Path, out: &mut Vec<SnapshotFile>) -> std::io::Result<()> {
    let mut entries: Vec<_> = fs::read_dir(dir)?.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let Ok(meta) = fs::metadata(&path) else {
            continue;
        };
        if meta.is_dir() {
            collect(root, &path, out)?;
        } else if meta.is_file()
            && let Ok(bytes) = data::read_capped(&path)
            && bytes.len() as u64 <= data::MAX_FILE_BYTES
            && let Ok(text) = String::from_utf8(bytes)
            && let Ok(rel) = path.strip_prefix(root)
        {
            let parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            out.push(SnapshotFile {
                path: parts.join("/"),
                text,
            });
        }
    }
    Ok(())
}

/// Writes the copy's files under `dir`; a path that would leave `dir` is
/// refused.
fn write_out(snapshot: &Snapshot, dir: &Path) -> std::io::Result<()> {
    fs::create_dir_all(dir)?;
    for file in &snapshot.files {
        let rel = Path::new(&file.path);
        if rel.as_os_str().is_empty()
            || !rel.components().all(|c| matches!(c, Component::Normal(_)))
        {
            return Err(std::io::Error::other(format!(
                "`{}` is not a path inside the data directory",
                file.path
            )));
        }
        let target = dir.join(rel);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(target, &file.text)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copy_never_writes_outside_its_directory() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("copy");
        for path in ["../escaped.toml", "/tmp/escaped.toml", "", "faq/../../x"] {
            let snapshot = Snapshot {
                files: vec![SnapshotFile {
                    path: path.into(),
                    text: "x".into(),
                }],
            };
            assert!(write_out(&snapshot, &dir).is_err(), "{path}");
        }
        assert!(!tmp.path().join("escaped.toml").exists());
        let snapshot = Snapshot {
            files: vec![SnapshotFile {
                path: "faq/01.toml".into(),
                text: "x".into(),
            }],
        };
        write_out(&snapshot, &dir).unwrap();
        assert_eq!(fs::read_to_string(dir.join("faq/01.toml")).unwrap(), "x");
    }
}
