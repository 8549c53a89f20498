//! The records in one SQLite file (the default: `state/records.sqlite3`):
//! WAL, so that `report` reads while `serve` writes; the schema under
//! `rusqlite_migration` (`PRAGMA user_version`). The work runs on tokio's
//! blocking pool, one connection behind a lock.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use rusqlite_migration::{M, Migrations};

use super::old_files::OldFile;
use super::sql::{self, Batch, BatchKey, ReadQuestion, Row};
use super::{
    Asked, DayCounts, QuestionRecord, RecordsError, Scope, ShownCount, Stats, Summary, VoteRecord,
};
use crate::clock::now_secs;
use crate::data::Date;

const MIGRATIONS: &[M<'static>] = &[
    M::up(include_str!("../../migrations/sqlite/1-records.sql")),
    M::up(include_str!("../../migrations/sqlite/2-weekly-posts.sql")),
    M::up(include_str!(
        "../../migrations/sqlite/3-written-batches.sql"
    )),
];

/// A SQLite records file.
#[derive(Clone)]
pub struct Sqlite {
    path: PathBuf,
    conn: Arc<Mutex<Connection>>,
    /// The file the connection is on: when the path names another (or
    /// none), the file was deleted or moved while serving.
    file: Arc<Mutex<Option<(u64, u64)>>>,
}

impl Sqlite {
    /// Opens (with `create`, making it if missing) and migrates `path`.
    pub async fn open(path: &Path, create: bool) -> Result<Sqlite, RecordsError> {
        if !create && !path.exists() {
            return Err(RecordsError::Missing(format!(
                "sqlite://{}",
                path.display()
            )));
        }
        let path = path.to_path_buf();
        let p = path.clone();
        let conn = tokio::task::spawn_blocking(move || open_blocking(&p))
            .await
            .map_err(|e| database(&path, e))??;
        Ok(Sqlite {
            file: Arc::new(Mutex::new(identity(&path))),
            path,
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// When the database file was deleted or moved while serving, records
    /// written to the old one would go with it: a new database is made at
    /// the path, said in the log, and written from then on.
    async fn follow_the_path(&self) -> Result<(), RecordsError> {
        let opened = *self.file.lock().unwrap_or_else(|e| e.into_inner());
        if opened.is_some() && identity(&self.path) == opened {
            return Ok(());
        }
        tracing::error!(
            path = %self.path.display(),
            "the records database was deleted or moved while the bot ran: a new one is made there for the records from now on (what the old file held is wherever it was moved)"
        );
        let p = self.path.clone();
        let conn = tokio::task::spawn_blocking(move || open_blocking(&p))
            .await
            .map_err(|e| database(&self.path, e))??;
        *self.conn.lock().unwrap_or_else(|e| e.into_inner()) = conn;
        *self.file.lock().unwrap_or_else(|e| e.into_inner()) = identity(&self.path);
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` with the connection on the blocking pool.
    pub(crate) async fn with<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T, RecordsError> {
        let conn = Arc::clone(&self.conn);
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = conn.lock().unwrap_or_else(|e| e.into_inner());
            f(&mut conn)
        })
        .await
        .map_err(|e| database(&self.path, e))?
        .map_err(|e| database(&path, e))
    }

    pub(crate) async fn write(&self, key: BatchKey, batch: Batch) -> Result<(), RecordsError> {
        self.follow_the_path().await?;
        self.with(move |conn| {
            let tx = conn.transaction()?;
            let now = now_secs() as i64;
            if tx.execute(sql::MARK_BATCH, params![key.as_str(), now])? == 0 {
                return Ok(()); // written before: its commit's answer was lost
            }
            write_rows(&tx, &batch)?;
            write_aggregates(&tx, &batch)?;
            tx.commit()
        })
        .await
    }

    pub(crate) async fn unanswered(
        &self,
        n: usize,
        scope: Scope,
    ) -> Result<Vec<((i64, i64), QuestionRecord)>, RecordsError> {
        self.with(move |conn| {
            let n = n as i64;
            let mut out = Vec::new();
            let mut st = conn.prepare_cached(&sql::unanswered_in_guild())?;
            for r in st.query_map(params![scope.home as i64, n], read_question)? {
                out.push(r?.record());
            }
            let mut st = conn.prepare_cached(&sql::unanswered_without_guild())?;
            for r in st.query_map(params![n], read_question)? {
                out.push(r?.record());
            }
            Ok(out)
        })
        .await
    }

    pub(crate) async fn days(
        &self,
        scope: Option<Scope>,
    ) -> Result<Vec<(Date, DayCounts)>, RecordsError> {
        self.with(move |conn| {
            let (sql, home) = match scope {
                Some(s) => (sql::DAYS_IN_SCOPE, vec![s.home as i64]),
                None => (sql::REPORT_DAYS, Vec::new()),
            };
            let mut st = conn.prepare_cached(sql)?;
            let mut rows = st.query(rusqlite::params_from_iter(home))?;
            let mut out = Vec::new();
            while let Some(r) = rows.next()? {
                out.push(day_counts(r)?);
            }
            Ok(out)
        })
        .await
    }

    pub(crate) async fn stats(&self, top: usize, scope: Scope) -> Result<Stats, RecordsError> {
        self.with(move |conn| {
            let home = scope.home as i64;
            let (questions, unanswered, did_you_mean): (i64, i64, i64) = conn
                .prepare_cached(sql::STATS_COUNTS)?
                .query_row(params![home], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            let mut stats = Stats {
                questions: questions as u64,
                unanswered: unanswered as u64,
                did_you_mean: did_you_mean as u64,
                ..Stats::default()
            };
            let mut st = conn.prepare_cached(sql::STATS_VOTES)?;
            let mut rows = st.query(params![home])?;
            while let Some(r) = rows.next()? {
                let (vote, n): (String, i64) = (r.get(0)?, r.get(1)?);
                match vote.as_str() {
                    "up" => stats.up = n as u64,
                    "down" => stats.down = n as u64,
                    _ => {}
                }
            }
            let mut st = conn.prepare_cached(sql::STATS_TOP)?;
            stats.top = st
                .query_map(params![home, top as i64], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
                })?
                .collect::<rusqlite::Result<_>>()?;
            Ok(stats)
        })
        .await
    }

    pub(crate) async fn summary(&self) -> Result<Summary, RecordsError> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            let summary = summary(&tx)?;
            tx.commit()?;
            Ok(summary)
        })
        .await
    }

    pub(crate) async fn claim_week(&self, week: String, now: u64) -> Result<bool, RecordsError> {
        self.with(move |conn| {
            let n = conn.execute(sql::CLAIM_WEEK, params![week, now as i64])?;
            Ok(n == 1)
        })
        .await
    }

    pub(crate) async fn release_week(&self, week: String) -> Result<(), RecordsError> {
        self.with(move |conn| conn.execute(sql::RELEASE_WEEK, params![week]).map(|_| ()))
            .await
    }

    pub(crate) async fn forget(
        &self,
        questions_before: Option<u64>,
        keys_before: u64,
    ) -> Result<u64, RecordsError> {
        self.with(move |conn| {
            let tx = conn.transaction()?;
            tx.execute(sql::FORGET_BATCHES, params![keys_before as i64])?;
            let mut n = 0;
            if let Some(ts) = questions_before {
                n = tx.execute(sql::FORGET_QUESTIONS, params![ts as i64])?;
                tx.execute(sql::FORGET_VOTE_TEXT, params![ts as i64])?;
            }
            tx.commit()?;
            Ok(n as u64)
        })
        .await
    }
}

impl Sqlite {
    /// Imports an old records file in one transaction, unless its hash is
    /// noted as imported. Returns the records written and lines skipped.
    pub(crate) async fn import(
        &self,
        mut file: OldFile,
        path: PathBuf,
        hash: String,
    ) -> Result<(u64, u64), RecordsError> {
        let conn = Arc::clone(&self.conn);
        let db = self.path.clone();
        let run = move || -> Result<(u64, u64), RecordsError> {
            let sql = |e| database(&db, e);
            let mut conn = conn.lock().unwrap_or_else(|e| e.into_inner());
            let tx = conn.transaction().map_err(sql)?;
            if is_imported(&tx, &hash).map_err(sql)? {
                return Ok((0, 0));
            }
            let now = now_secs();
            let mut batch = Batch::default();
            let mut records = 0u64;
            while file.next_into(&mut batch, now)? {
                records += batch.rows.len() as u64;
                write_rows(&tx, &batch).map_err(sql)?;
            }
            batch.rows.clear();
            let skipped = file.skipped();
            batch.aggregates.skipped = skipped as i64;
            write_aggregates(&tx, &batch).map_err(sql)?;
            let name = path.display().to_string();
            tx.execute(
                sql::MARK_IMPORTED,
                params![hash, name, records as i64, skipped as i64, now as i64],
            )
            .map_err(sql)?;
            tx.commit().map_err(sql)?;
            file.finish();
            Ok((records, skipped))
        };
        tokio::task::spawn_blocking(run)
            .await
            .map_err(|e| database(&self.path, e))?
    }
}

fn database(path: &Path, e: impl std::error::Error + Send + Sync + 'static) -> RecordsError {
    RecordsError::Database {
        location: format!("sqlite://{}", path.display()),
        cause: super::causes(&e),
    }
}

/// Which file a path names: (device, inode).
fn identity(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

/// Makes the directory (0700) and the database file (0600) when missing:
/// every question's text is in it, so only the bot's account may read it
/// (SQLite gives its `-wal` and `-shm` files the database's mode).
fn make_private(path: &Path) -> Result<(), RecordsError> {
    use std::os::unix::fs::OpenOptionsExt;
    let io = |p: &Path| {
        let p = p.to_path_buf();
        move |source| RecordsError::Io { path: p, source }
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        crate::files::private_dir(dir).map_err(io(dir))?;
    }
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => Err(io(path)(e)),
        _ => Ok(()),
    }
}

fn open_blocking(path: &Path) -> Result<Connection, RecordsError> {
    make_private(path)?;
    // Processes opening one new database at once take turns: the first
    // migrates, the next finds it done (without the lock, one fails
    // "database is locked" and the other in the middle of a migration).
    // A reader without write access (a staff member's `report`) goes on
    // without the lock: it migrates nothing new.
    let lock = std::fs::File::create(path.with_extension("sqlite3.lock")).ok();
    if let Some(lock) = &lock {
        let _ = lock.lock();
    }
    let mut conn = Connection::open(path).map_err(|e| database(path, e))?;
    let setup = |conn: &Connection| -> rusqlite::Result<i64> {
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // With WAL, a commit survives the process being killed; only a
        // power loss may take the last ones.
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_query_value(None, "user_version", |r| r.get(0))
    };
    let found = setup(&conn).map_err(|e| database(path, e))?;
    let known = MIGRATIONS.len() as i64;
    if found > known {
        return Err(RecordsError::SchemaTooNew {
            location: format!("sqlite://{}", path.display()),
            found,
            known,
        });
    }
    Migrations::from_slice(MIGRATIONS)
        .to_latest(&mut conn)
        .map_err(|e| database(path, e))?;
    Ok(conn)
}

pub(crate) fn write_rows(tx: &Transaction<'_>, batch: &Batch) -> rusqlite::Result<()> {
    let mut question = tx.prepare_cached(sql::INSERT_QUESTION)?;
    let mut vote = tx.prepare_cached(sql::UPSERT_VOTE)?;
    for row in &batch.rows {
        match row {
            Row::Question(q) => {
                question.execute(params![
                    q.ts,
                    q.day,
                    q.answer,
                    q.source,
                    q.guild,
                    q.query,
                    q.answered,
                    q.sure,
                    q.decision,
                    q.confidence,
                    q.shown,
                    q.faq
                ])?;
            }
            Row::Vote(v) => {
                vote.execute(params![
                    v.ts, v.answer, v.vote, v.guild, v.voter, v.query, v.shown, v.faq
                ])?;
            }
        }
    }
    Ok(())
}

pub(crate) fn write_aggregates(tx: &Transaction<'_>, batch: &Batch) -> rusqlite::Result<()> {
    let a = &batch.aggregates;
    let mut daily = tx.prepare_cached(sql::ADD_DAILY)?;
    for ((day, guild), c) in &a.daily {
        daily.execute(params![
            day,
            guild,
            c.questions as i64,
            c.answered as i64,
            c.did_you_mean as i64,
            c.unanswered as i64,
            c.out_of_scope as i64
        ])?;
    }
    let mut shown = tx.prepare_cached(sql::ADD_SHOWN)?;
    for ((day, guild, measure), (first, n)) in &a.shown {
        shown.execute(params![day, guild, measure, first, n])?;
    }
    for (kind, n) in batch.anomalies() {
        tx.execute(sql::ADD_ANOMALY, params![kind, n])?;
    }
    Ok(())
}

pub(crate) fn is_imported(tx: &Transaction<'_>, hash: &str) -> rusqlite::Result<bool> {
    let n: Option<i64> = tx
        .query_row(sql::IMPORTED, params![hash], |r| r.get(0))
        .optional()?;
    Ok(n.unwrap_or(0) > 0)
}

fn read_question(r: &rusqlite::Row<'_>) -> rusqlite::Result<ReadQuestion> {
    Ok(ReadQuestion {
        id: r.get(0)?,
        ts: r.get(1)?,
        answer: r.get(2)?,
        source: r.get(3)?,
        guild: r.get(4)?,
        query: r.get(5)?,
        answered: r.get(6)?,
        sure: r.get(7)?,
        decision: r.get(8)?,
        confidence: r.get(9)?,
        shown: r.get(10)?,
        faq: r.get(11)?,
    })
}

/// A row of [`sql::REPORT_DAYS`] or [`sql::DAYS_IN_SCOPE`].
fn day_counts(r: &rusqlite::Row<'_>) -> rusqlite::Result<(Date, DayCounts)> {
    let n = |i: usize| r.get::<_, i64>(i).map(|v| v as u64);
    let counts = DayCounts {
        questions: n(1)?,
        answered: n(2)?,
        did_you_mean: n(3)?,
        unanswered: n(4)?,
        out_of_scope: n(5)?,
    };
    Ok((Date::from_days(r.get(0)?), counts))
}

fn summary(tx: &Transaction<'_>) -> rusqlite::Result<Summary> {
    let mut s = Summary::default();
    let mut st = tx.prepare(sql::REPORT_DAYS)?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        s.days.push(day_counts(r)?);
    }
    let mut st = tx.prepare(sql::REPORT_SHOWN)?;
    s.programmes = st
        .query_map([], |r| {
            Ok(ShownCount {
                id: r.get(0)?,
                first: r.get::<_, i64>(1)? as u64,
                shown: r.get::<_, i64>(2)? as u64,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut st = tx.prepare(sql::REPORT_UNANSWERED)?;
    s.unanswered = st
        .query_map([], |r| {
            Ok(Asked {
                query: r.get(0)?,
                count: r.get::<_, i64>(1)? as u64,
                last: r.get::<_, i64>(2)? as u64,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut st = tx.prepare(sql::REPORT_VOTES)?;
    s.votes = st
        .query_map([], |r| {
            Ok(sql::VoteRow {
                ts: r.get(0)?,
                answer: r.get(1)?,
                vote: r.get(2)?,
                guild: r.get(3)?,
                voter: r.get(4)?,
                query: r.get(5)?,
                shown: r.get(6)?,
                faq: r.get(7)?,
            })
        })?
        .filter_map(|r| r.map(sql::VoteRow::record).transpose())
        .collect::<rusqlite::Result<Vec<VoteRecord>>>()?;
    let mut st = tx.prepare(sql::REPORT_ANOMALIES)?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        let (kind, n): (String, i64) = (r.get(0)?, r.get(1)?);
        match kind.as_str() {
            sql::SKIPPED => s.skipped = n as usize,
            sql::OUT_OF_RANGE => s.out_of_range = n as usize,
            _ => {}
        }
    }
    Ok(s)
}
