//! The one-time import of the JSON-lines files of earlier versions
//! (`questions.jsonl`, then `votes.jsonl`). Each file goes in one
//! transaction that also notes the hash of its content in `imported`: a
//! crash mid-import leaves nothing, a second start finds the hash and
//! imports nothing twice. Then the file is renamed `*.imported` (and
//! `unanswered.jsonl`, a copy of the unanswered questions, with it), so
//! nobody takes it for live records. Lines that cannot be read are skipped,
//! counted (in the report's "skipped") and warned about, naming the file.

use std::path::{Path, PathBuf};

use super::old_files::{Kind, OldFile};
use super::{QUESTIONS_FILE, RecordsError, Store, UNANSWERED_FILE, VOTES_FILE};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    pub file: PathBuf,
    /// Records written (none when it had been imported before).
    pub records: u64,
    /// Lines that could not be read.
    pub skipped: u64,
    /// Its name now.
    pub renamed: PathBuf,
}

/// Imports the old files of `dir` into `store`, each once.
pub async fn import(store: &Store, dir: &Path) -> Result<Vec<Imported>, RecordsError> {
    let mut done = Vec::new();
    for (name, kind) in [(QUESTIONS_FILE, Kind::Questions), (VOTES_FILE, Kind::Votes)] {
        let path = dir.join(name);
        if !path.is_file() {
            continue;
        }
        let hash = hash_file(&path)?;
        let file = OldFile::open(&path, kind)?;
        let (records, skipped) = match store {
            Store::Sqlite(s) => s.import(file, path.clone(), hash).await?,
            Store::Postgres(p) => p.import(file, &path, &hash).await?,
        };
        let renamed = set_aside(&path)?;
        if kind == Kind::Questions && dir.join(UNANSWERED_FILE).is_file() {
            set_aside(&dir.join(UNANSWERED_FILE))?;
        }
        tracing::info!(
            file = %path.display(),
            records,
            skipped,
            renamed = %renamed.display(),
            "imported the records of an earlier version"
        );
        done.push(Imported {
            file: path,
            records,
            skipped,
            renamed,
        });
    }
    Ok(done)
}

/// Renames an imported file `NAME.imported` (`NAME.imported.N` when taken).
fn set_aside(path: &Path) -> Result<PathBuf, RecordsError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut to = path.with_file_name(format!("{name}.imported"));
    let mut n = 1;
    while to.exists() {
        n += 1;
        to = path.with_file_name(format!("{name}.imported.{n}"));
    }
    std::fs::rename(path, &to).map_err(|source| RecordsError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(to)
}

/// The BLAKE3 hash of a file's content, in hexadecimal.
fn hash_file(path: &Path) -> Result<String, RecordsError> {
    crate::files::hash(path).map_err(|source| RecordsError::Io {
        path: path.to_path_buf(),
        source,
    })
}
