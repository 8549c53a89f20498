//! The database behind the records, SQLite or PostgreSQL ([`Store`]): one
//! call for each thing the records do, handed to the back end in use (what
//! both share is in [`super::sql`]).

use super::sql::{self, Batch, BatchKey};
use super::{
    DayCounts, Entry, Location, QuestionRecord, RecordsError, Scope, Stats, Summary, postgres,
    sqlite,
};
use crate::clock::now_secs;
use crate::data::Date;

/// The records database.
#[derive(Clone)]
pub enum Store {
    Sqlite(sqlite::Sqlite),
    Postgres(postgres::Postgres),
}

impl Store {
    /// Connects and brings the schema up to date. With `create` false, a
    /// SQLite file that does not exist is [`RecordsError::Missing`].
    pub async fn open(location: &Location, create: bool) -> Result<Store, RecordsError> {
        Ok(match location {
            Location::Sqlite(path) => Store::Sqlite(sqlite::Sqlite::open(path, create).await?),
            Location::Postgres(url) => Store::Postgres(postgres::Postgres::open(url).await?),
        })
    }

    /// Writes a batch in one transaction.
    pub async fn write(&self, entries: &[Entry]) -> Result<(), RecordsError> {
        self.write_once(&BatchKey::fresh(), entries).await
    }

    /// Writes `entries` unless a batch of the same `key` was written: a
    /// batch tried again under its key after a failure is written once,
    /// even when the failure was only the loss of the commit's answer.
    pub async fn write_once(&self, key: &BatchKey, entries: &[Entry]) -> Result<(), RecordsError> {
        let batch = Batch::of(entries, now_secs());
        match self {
            Store::Sqlite(s) => s.write(key.clone(), batch).await,
            Store::Postgres(p) => p.write(key, &batch).await,
        }
    }

    /// The most recent unanswered questions of `scope`, newest first.
    pub async fn unanswered(
        &self,
        n: usize,
        scope: Scope,
    ) -> Result<Vec<QuestionRecord>, RecordsError> {
        let mut rows = match self {
            Store::Sqlite(s) => s.unanswered(n, scope).await?,
            Store::Postgres(p) => p.unanswered(n, scope).await?,
        };
        rows.sort_by_key(|r| std::cmp::Reverse(r.0));
        Ok(rows.into_iter().take(n).map(|(_, r)| r).collect())
    }

    /// The figures of `/stats` for `scope`.
    pub async fn stats(&self, top: usize, scope: Scope) -> Result<Stats, RecordsError> {
        match self {
            Store::Sqlite(s) => s.stats(top, scope).await,
            Store::Postgres(p) => p.stats(top, scope).await,
        }
    }

    /// Counts per day (in Japan) of `scope`, or of every record.
    pub async fn days(&self, scope: Option<Scope>) -> Result<Vec<(Date, DayCounts)>, RecordsError> {
        match self {
            Store::Sqlite(s) => s.days(scope).await,
            Store::Postgres(p) => p.days(scope).await,
        }
    }

    /// What the staff report reads.
    pub async fn summary(&self) -> Result<Summary, RecordsError> {
        match self {
            Store::Sqlite(s) => s.summary().await,
            Store::Postgres(p) => p.summary().await,
        }
    }

    /// Claims the weekly post of `week`: true for the one process of all
    /// those sharing the records that claims it first.
    pub async fn claim_week(&self, week: &str, now: u64) -> Result<bool, RecordsError> {
        match self {
            Store::Sqlite(s) => s.claim_week(week.to_string(), now).await,
            Store::Postgres(p) => p.claim_week(week.to_string(), now).await,
        }
    }

    /// Gives the claim of `week` back (the post failed).
    pub async fn release_week(&self, week: &str) -> Result<(), RecordsError> {
        match self {
            Store::Sqlite(s) => s.release_week(week.to_string()).await,
            Store::Postgres(p) => p.release_week(week.to_string()).await,
        }
    }

    /// Deletes the keys of batches written more than a day ago and, with
    /// `questions_before`, the questions asked before it (the per-day counts
    /// stay) and the question text of votes cast before it. Returns the
    /// questions deleted.
    pub async fn forget(&self, questions_before: Option<u64>) -> Result<u64, RecordsError> {
        let keys_before = now_secs().saturating_sub(sql::KEEP_BATCH_KEYS);
        let deleted = match self {
            Store::Sqlite(s) => s.forget(questions_before, keys_before).await?,
            Store::Postgres(p) => p.forget(questions_before, keys_before).await?,
        };
        if let Some(before) = questions_before
            && deleted > 0
        {
            tracing::info!(deleted, before, "forgot questions past --keep-days");
        }
        Ok(deleted)
    }

    pub fn location(&self) -> Location {
        match self {
            Store::Sqlite(s) => Location::Sqlite(s.path().to_path_buf()),
            Store::Postgres(p) => Location::Postgres(p.url().to_string()),
        }
    }
}
