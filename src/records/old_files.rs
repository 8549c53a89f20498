//! The JSON-lines files of earlier versions read in chunks ([`OldFile`]),
//! each line a record. Lines that cannot be read (cut inside a character,
//! garbage bytes, a record that does not parse) are skipped and counted, and
//! [`OldFile::finish`] warns once, naming the file and the first such line.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use super::sql::Batch;
use super::{Entry, RecordsError};

/// Records read from an old file at a time (the whole file is one
/// transaction).
pub(crate) const CHUNK: usize = 5_000;

/// Which records an old file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Questions,
    Votes,
}

impl Kind {
    /// One line's record.
    fn parse(self, text: &str) -> serde_json::Result<Entry> {
        match self {
            Kind::Questions => serde_json::from_str(text).map(Entry::Question),
            Kind::Votes => serde_json::from_str(text).map(Entry::Vote),
        }
    }
}

/// An old records file read a chunk at a time, as entries.
pub(crate) struct OldFile {
    kind: Kind,
    path: PathBuf,
    reader: BufReader<File>,
    /// The number of the last line read.
    number: usize,
    skipped: usize,
    first_bad: Option<(usize, String)>,
    bytes: Vec<u8>,
}

impl OldFile {
    pub(crate) fn open(path: &Path, kind: Kind) -> Result<OldFile, RecordsError> {
        let file = File::open(path).map_err(|source| RecordsError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(OldFile {
            kind,
            path: path.to_path_buf(),
            reader: BufReader::new(file),
            number: 0,
            skipped: 0,
            first_bad: None,
            bytes: Vec::new(),
        })
    }

    /// The next chunk's rows in `batch` (its rows replaced, its counts
    /// added to); false at the end.
    pub(crate) fn next_into(&mut self, batch: &mut Batch, now: u64) -> Result<bool, RecordsError> {
        batch.rows.clear();
        let mut read = 0;
        while read < CHUNK {
            let Some(line) = self.next_line()? else {
                break;
            };
            if let Some(entry) = line {
                batch.add(&entry, now);
                read += 1;
            }
        }
        Ok(read > 0)
    }

    /// The next line's record (`Some(None)` for a blank or unreadable
    /// line); `None` at the end of the file.
    fn next_line(&mut self) -> Result<Option<Option<Entry>>, RecordsError> {
        self.bytes.clear();
        let n = self
            .reader
            .read_until(b'\n', &mut self.bytes)
            .map_err(|source| RecordsError::Io {
                path: self.path.clone(),
                source,
            })?;
        if n == 0 {
            return Ok(None);
        }
        self.number += 1;
        let parsed = std::str::from_utf8(&self.bytes)
            .map_err(|e| e.to_string())
            .and_then(|text| {
                if text.trim().is_empty() {
                    return Ok(None);
                }
                self.kind.parse(text).map(Some).map_err(|e| e.to_string())
            });
        Ok(Some(parsed.unwrap_or_else(|e| {
            self.skipped += 1;
            self.first_bad.get_or_insert((self.number, e));
            None
        })))
    }

    /// Lines skipped so far.
    pub(crate) fn skipped(&self) -> u64 {
        self.skipped as u64
    }

    /// Warns about the lines skipped, if any, once.
    pub(crate) fn finish(self) {
        if let Some((line, error)) = &self.first_bad {
            tracing::warn!(
                file = %self.path.display(),
                line,
                skipped = self.skipped,
                %error,
                "skipping records that cannot be read (first at this line)"
            );
        }
    }
}
