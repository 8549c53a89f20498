//! The JSON-lines files of earlier versions read in chunks ([`OldFile`]),
//! each line a record; a line that cannot be read is skipped and counted.

use std::path::Path;

use super::sql::Batch;
use super::{Chunks, Entry, QuestionRecord, RecordsError, VoteRecord};

/// Records read from an old file at a time (the whole file is one
/// transaction).
pub(crate) const CHUNK: usize = 5_000;

/// Which records an old file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Questions,
    Votes,
}

/// An old records file read a chunk at a time, as entries.
pub(crate) enum OldFile {
    Questions(Chunks<QuestionRecord>),
    Votes(Chunks<VoteRecord>),
}

impl OldFile {
    pub(crate) fn open(path: &Path, kind: Kind) -> Result<OldFile, RecordsError> {
        let io = |source| RecordsError::Io {
            path: path.to_path_buf(),
            source,
        };
        Ok(match kind {
            Kind::Questions => OldFile::Questions(Chunks::open(path).map_err(io)?),
            Kind::Votes => OldFile::Votes(Chunks::open(path).map_err(io)?),
        })
    }

    /// The next chunk's rows in `batch` (its rows replaced, its counts
    /// added to); false at the end.
    pub(crate) fn next_into(
        &mut self,
        batch: &mut Batch,
        path: &Path,
        now: u64,
    ) -> Result<bool, RecordsError> {
        batch.rows.clear();
        let entries: Option<Vec<Entry>> = match self {
            OldFile::Questions(c) => c
                .next_chunk(CHUNK)
                .map(|o| o.map(|v| v.into_iter().map(Entry::Question).collect())),
            OldFile::Votes(c) => c
                .next_chunk(CHUNK)
                .map(|o| o.map(|v| v.into_iter().map(Entry::Vote).collect())),
        }
        .map_err(|source| RecordsError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let Some(entries) = entries else {
            return Ok(false);
        };
        for e in &entries {
            batch.add(e, now);
        }
        Ok(true)
    }

    /// Lines skipped so far.
    pub(crate) fn skipped(&self) -> u64 {
        match self {
            OldFile::Questions(c) => c.skipped() as u64,
            OldFile::Votes(c) => c.skipped() as u64,
        }
    }

    /// Warns about the lines skipped, once.
    pub(crate) fn finish(self) {
        match self {
            OldFile::Questions(c) => c.finish(),
            OldFile::Votes(c) => c.finish(),
        };
    }
}
