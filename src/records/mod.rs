//! Records for staff, in a database outside `data/`: every question asked,
//! what search decided and what it showed, and the 👍/👎 votes. SQLite by
//! default (`records.sqlite3` in the state directory, WAL), PostgreSQL when
//! several `serve` processes share one set of records ([`Location`]); the
//! schema is versioned (`migrations/`) and a database newer than this
//! binary is refused at start. The one module besides `discord` that does
//! network I/O: the PostgreSQL client ([`postgres`]).
//!
//! Writing never waits for the database: [`Records::question`] and
//! [`Records::vote`] put the record in a bounded queue that a writer task
//! empties in batches ([`queue`]); when the database fails, the records wait
//! and are written when it is back, and past the bound the oldest are
//! dropped with a counted warning. Counts and lists come from queries:
//! per-day counts per server (`daily`, `daily_shown`) kept apart from the
//! question rows, so that `--keep-days` can delete question text and keep
//! the figures. Memory is bounded: the queue, and what the last
//! [`RECENT_ANSWERS`] answers showed (so a vote is recorded with it).
//!
//! Each record carries the server it came from (`guild`; none for a direct
//! message), and the figures for staff are per server: `/unanswered` and
//! `/stats` show one server's records, with the direct messages
//! ([`Scope`]). A question record carries what search decided
//! (`decision`); records from before it was noted are told apart by
//! `answered` and `sure`. One vote counts per user and answer, the latest: a
//! vote carries a keyed hash of the user id with the answer id (`voter`,
//! keyed by a random key made once in the state directory,
//! [`VOTER_KEY_FILE`]), never the id. No user ids are stored.
//!
//! The JSON-lines files of earlier versions (`questions.jsonl`,
//! `votes.jsonl`, `unanswered.jsonl`) are imported once, in one transaction
//! marked with the file's hash, then renamed `*.imported` ([`import`]).

mod import;
mod old_files;
pub mod postgres;
pub mod queue;
mod sql;
pub mod sqlite;
mod store;
mod summary;

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::answer::Answer;
use crate::clock::now_secs;
use crate::data::Date;
use crate::search::Decision;

pub use import::{Imported, import as import_old_files};
pub use queue::Queue;
pub use sql::BatchKey;
pub use store::Store;
pub use summary::{Asked, DayCounts, ShownCount, Summary};

/// The SQLite file in the state directory when no `--records` is given.
pub const DATABASE_FILE: &str = "records.sqlite3";
/// Records waiting for the database, at most; past this the oldest go.
pub const QUEUE_BOUND: usize = 10_000;
/// The earliest time a record may carry: 2020-01-01 00:00 UTC, before the
/// bot existed.
const EARLIEST: u64 = 1_577_836_800;
/// How far past now a record may be stamped (clocks drift).
const AHEAD: u64 = 86_400;

pub const QUESTIONS_FILE: &str = "questions.jsonl";
pub const UNANSWERED_FILE: &str = "unanswered.jsonl";
pub const VOTES_FILE: &str = "votes.jsonl";
/// The random key of the voters' hashes (64 hexadecimal digits).
pub const VOTER_KEY_FILE: &str = "voter.key";
/// Answers whose content is kept in memory for votes.
pub const RECENT_ANSWERS: usize = 10_000;

/// Where a question came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Mention,
    Dm,
    Channel,
    Slash,
    Pick,
}

/// One question and what was shown for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuestionRecord {
    /// Seconds since the Unix epoch.
    pub ts: u64,
    /// The id of the Discord message or interaction answered; votes refer
    /// to it.
    pub answer: u64,
    pub source: Source,
    pub query: String,
    pub answered: bool,
    /// Answered at the "sure" level; answered but not sure: shown as
    /// 「もしかして」.
    pub sure: bool,
    /// What search decided; none in a record from before it was noted.
    #[serde(default)]
    pub decision: Option<Decision>,
    pub confidence: f32,
    /// Measure ids shown, in order.
    pub shown: Vec<String>,
    pub faq: Option<String>,
    /// The server the question was asked in; none for a direct message (or
    /// a record from before servers were noted).
    #[serde(default)]
    pub guild: Option<u64>,
}

impl QuestionRecord {
    pub fn new(
        answer_id: u64,
        source: Source,
        guild: Option<u64>,
        answer: &Answer,
    ) -> QuestionRecord {
        QuestionRecord {
            ts: now_secs(),
            answer: answer_id,
            source,
            guild,
            query: answer.query.clone(),
            answered: answer.answered,
            sure: answer.sure,
            decision: Some(answer.decision),
            confidence: answer.confidence,
            shown: answer.programmes.iter().map(|p| p.id.clone()).collect(),
            faq: answer.faq.as_ref().map(|f| f.id.clone()),
        }
    }

    /// A question that could not be searched at all: recorded as unanswered.
    pub fn declined(
        answer_id: u64,
        source: Source,
        guild: Option<u64>,
        query: &str,
    ) -> QuestionRecord {
        QuestionRecord {
            ts: now_secs(),
            answer: answer_id,
            source,
            guild,
            query: query.to_string(),
            answered: false,
            sure: false,
            decision: Some(Decision::Decline),
            confidence: 0.0,
            shown: Vec::new(),
            faq: None,
        }
    }
}

impl QuestionRecord {
    /// Answered below the "sure" level: programmes shown as 「もしかして」.
    pub fn did_you_mean(&self) -> bool {
        self.answered && !self.sure
    }

    /// Declined as about a topic the plan does not cover.
    pub fn out_of_scope(&self) -> bool {
        self.decision == Some(Decision::OutOfScope)
    }
}

/// 👍 or 👎.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Vote {
    Up,
    Down,
}

/// A vote, with the question and what was shown when still known.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VoteRecord {
    pub ts: u64,
    pub answer: u64,
    pub vote: Vote,
    pub query: Option<String>,
    pub shown: Vec<String>,
    pub faq: Option<String>,
    /// The server the vote was cast in; none for a direct message.
    #[serde(default)]
    pub guild: Option<u64>,
    /// Who voted on this answer, as a keyed hash of the user id with the
    /// answer id: the same for one user's votes on one answer, and telling
    /// nothing of the user. None in votes recorded before voters were.
    #[serde(default)]
    pub voter: Option<String>,
}

/// Of each voter's votes, only the latest (votes without a voter all count).
pub fn latest_votes(votes: Vec<VoteRecord>) -> Vec<VoteRecord> {
    let mut last: HashMap<&str, usize> = HashMap::new();
    for (i, v) in votes.iter().enumerate() {
        if let Some(voter) = &v.voter {
            last.insert(voter, i);
        }
    }
    let keep: Vec<bool> = votes
        .iter()
        .enumerate()
        .map(|(i, v)| v.voter.as_deref().is_none_or(|voter| last[voter] == i))
        .collect();
    votes
        .into_iter()
        .zip(keep)
        .filter_map(|(v, keep)| keep.then_some(v))
        .collect()
}

/// Whose records staff see: those of the server the bot serves, and the
/// direct messages (with records from before servers were noted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope {
    pub home: u64,
}

/// The figures of `/stats`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stats {
    pub questions: u64,
    pub unanswered: u64,
    /// Answered as 「もしかして」 (not sure).
    pub did_you_mean: u64,
    pub up: u64,
    pub down: u64,
    /// Measures most often shown first, with counts, most first.
    pub top: Vec<(String, u64)>,
}

impl Stats {
    /// Share of questions with no match.
    pub fn no_match_rate(&self) -> f64 {
        if self.questions == 0 {
            0.0
        } else {
            self.unanswered as f64 / self.questions as f64
        }
    }

    /// Share of questions answered as 「もしかして」.
    pub fn did_you_mean_rate(&self) -> f64 {
        if self.questions == 0 {
            0.0
        } else {
            self.did_you_mean as f64 / self.questions as f64
        }
    }
}

/// A problem with the records.
#[derive(Debug, thiserror::Error)]
pub enum RecordsError {
    #[error("cannot use the state directory {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{path} is not 64 hexadecimal digits: delete it and the bot makes a new key (votes cast before can then be cast once more)"
    )]
    VoterKey { path: PathBuf },
    #[error(
        "`{0}` is not a records URL: give sqlite://PATH (a file, made if missing) or postgres://USER:PASSWORD@HOST:PORT/DATABASE"
    )]
    Url(String),
    #[error(
        "cannot reach the records database {location}: {cause}; {}",
        unreachable_fix(cause)
    )]
    Unreachable {
        location: String,
        /// The failure with its causes ([`causes`]).
        cause: String,
    },
    #[error("the records database {location} failed: {cause}")]
    Database { location: String, cause: String },
    #[error(
        "the records database {location} has schema version {found}, newer than the {known} this madoguchi knows: run the newer madoguchi that wrote it, or give --records another database"
    )]
    SchemaTooNew {
        location: String,
        found: i64,
        known: i64,
    },
    #[error("no records at {0}")]
    Missing(String),
}

/// An error with its causes, each once (clients repeat their cause in
/// their own message).
pub(crate) fn causes(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut next = e.source();
    while let Some(cause) = next {
        let more = cause.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        next = cause.source();
    }
    text
}

/// What to do about a database that cannot be reached, from why.
fn unreachable_fix(cause: &str) -> &'static str {
    let lower = cause.to_lowercase();
    if ["certificate", "tls", "ssl", "handshake"]
        .iter()
        .any(|w| lower.contains(w))
    {
        "the server's TLS certificate is not trusted: give the CA that signed it with sslrootcert=PATH in the URL (PEM), or sslmode=disable on a private network"
    } else if lower.contains("password") || lower.contains("authentication") {
        "check the user and password in the URL (--records, MADOGUCHI_RECORDS or `records` in the configuration file)"
    } else {
        "start the database or fix the URL (--records, MADOGUCHI_RECORDS or `records` in the configuration file)"
    }
}

/// A PostgreSQL URL without its `sslrootcert=PATH` parameter (libpq's name
/// for the CA that signed the server's certificate, which tokio-postgres
/// does not take), and that path.
pub(crate) fn split_root_cert(url: &str) -> (String, Option<PathBuf>) {
    let Some((base, query)) = url.split_once('?') else {
        return (url.to_string(), None);
    };
    let mut root = None;
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| match pair.split_once('=') {
            Some(("sslrootcert", path)) => {
                root = Some(PathBuf::from(path.replace("%2F", "/").replace("%20", " ")));
                false
            }
            _ => true,
        })
        .collect();
    let url = if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    (url, root)
}

/// Where the records are kept: `sqlite://PATH` or `postgres://…`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Sqlite(PathBuf),
    /// The URL as given (with its password: use [`Location`]'s `Display`
    /// to show it).
    Postgres(String),
}

impl Location {
    /// The default: `records.sqlite3` in the state directory.
    pub fn in_state(dir: &Path) -> Location {
        Location::Sqlite(dir.join(DATABASE_FILE))
    }

    /// Reads `sqlite://PATH` (`sqlite:///abs/path` or `sqlite://rel/path`)
    /// or `postgres://…` / `postgresql://…`.
    pub fn parse(url: &str) -> Result<Location, RecordsError> {
        let url = url.trim();
        if let Some(path) = url.strip_prefix("sqlite://")
            && !path.is_empty()
        {
            return Ok(Location::Sqlite(PathBuf::from(path)));
        }
        if (url.starts_with("postgres://") || url.starts_with("postgresql://"))
            && split_root_cert(url)
                .0
                .parse::<tokio_postgres::Config>()
                .is_ok()
        {
            return Ok(Location::Postgres(url.to_string()));
        }
        Err(RecordsError::Url(Location::hide_password(url)))
    }

    /// The password of a PostgreSQL location, in whichever form it was
    /// given (`user:pass@`, `?password=`), as the server receives it.
    pub fn password(&self) -> Option<String> {
        let Location::Postgres(url) = self else {
            return None;
        };
        let config = split_root_cert(url)
            .0
            .parse::<tokio_postgres::Config>()
            .ok()?;
        let password = String::from_utf8_lossy(config.get_password()?).into_owned();
        (!password.is_empty()).then_some(password)
    }

    /// `url` with the password, if any, shown as `***`: in the user part
    /// (`user:pass@`), as a parameter (`?password=…`) or as a key=value
    /// pair (`host=… password=…`).
    fn hide_password(url: &str) -> String {
        static PARAMETER: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
            regex::Regex::new(r"(?i)(password\s*=\s*)('(?:[^'\\]|\\.)*'?|[^&\s]*)")
                .expect("a valid pattern")
        });
        let url = PARAMETER.replace_all(url, "${1}***");
        let Some((scheme, rest)) = url.split_once("://") else {
            return url.into_owned();
        };
        let authority_end = rest.find('/').unwrap_or(rest.len());
        match rest[..authority_end].rfind('@') {
            Some(at) => {
                let userinfo = &rest[..at];
                let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
                let hidden = if user.len() == userinfo.len() {
                    ""
                } else {
                    ":***"
                };
                format!("{scheme}://{user}{hidden}{}", &rest[at..])
            }
            None => url.to_string(),
        }
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
            Location::Postgres(url) => f.write_str(&Location::hide_password(url)),
        }
    }
}

/// How the records are kept.
#[derive(Debug, Clone)]
pub struct Options {
    /// Delete question text older than this many days (the daily counts
    /// stay); `None` keeps everything.
    pub keep_days: Option<u32>,
    /// Records waiting for the database, at most ([`QUEUE_BOUND`]).
    pub queue_bound: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            keep_days: None,
            queue_bound: QUEUE_BOUND,
        }
    }
}

/// A record on its way to the database.
#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    Question(QuestionRecord),
    Vote(VoteRecord),
}

/// What the last answers showed, so a vote is recorded with it.
#[derive(Default)]
struct Recent {
    shown: HashMap<u64, QuestionRecord>,
    order: VecDeque<u64>,
}

impl Recent {
    fn remember(&mut self, r: &QuestionRecord) {
        if r.answered && self.shown.insert(r.answer, r.clone()).is_none() {
            self.order.push_back(r.answer);
            while self.order.len() > RECENT_ANSWERS {
                if let Some(old) = self.order.pop_front() {
                    self.shown.remove(&old);
                }
            }
        }
    }
}

/// The records of a running bot: a [`Store`], the queue in front of it and
/// the writer task that empties the queue.
pub struct Records {
    voter_key: [u8; 32],
    store: Store,
    queue: Arc<Queue>,
    recent: Mutex<Recent>,
    writer: Option<tokio::task::JoinHandle<()>>,
}

impl Records {
    /// Opens the records at `location` (migrating its schema; refusing one
    /// newer than this binary), imports the JSON-lines files of `dir` once,
    /// and starts the writer task (on the current tokio runtime). `dir` is
    /// the state directory (the voters' key).
    pub async fn open(
        dir: &Path,
        location: &Location,
        options: &Options,
    ) -> Result<Records, RecordsError> {
        crate::files::private_dir(dir).map_err(|source| RecordsError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let voter_key = voter_key(&dir.join(VOTER_KEY_FILE))?;
        let store = Store::open(location, true).await?;
        import::import(&store, dir).await?;
        store.forget(options.keep_days.map(keep_from)).await?;
        let queue = Arc::new(Queue::new(options.queue_bound));
        let writer = tokio::spawn(queue::write(
            Arc::clone(&queue),
            store.clone(),
            options.keep_days,
        ));
        Ok(Records {
            voter_key,
            store,
            queue,
            recent: Mutex::new(Recent::default()),
            writer: Some(writer),
        })
    }

    /// The queue in front of the database (to wait for it at shutdown, or
    /// to read how many records wait).
    pub fn queue(&self) -> Arc<Queue> {
        Arc::clone(&self.queue)
    }

    /// Records waiting for the database.
    pub fn waiting(&self) -> usize {
        self.queue.waiting()
    }

    fn recent(&self) -> std::sync::MutexGuard<'_, Recent> {
        // A panic while holding the lock leaves a valid cache: keep going.
        self.recent.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records a question: queued, never waits for the database.
    pub fn question(&self, r: &QuestionRecord) {
        self.recent().remember(r);
        self.queue.push(Entry::Question(r.clone()));
    }

    /// Records `user`'s vote on an answer, cast in `guild` (none: a direct
    /// message), with what the answer showed when it is still remembered
    /// (else the database fills it in from the question's record). It
    /// replaces the user's earlier vote on that answer.
    pub fn vote(&self, answer: u64, vote: Vote, guild: Option<u64>, user: u64) -> VoteRecord {
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&user.to_le_bytes());
        bytes[8..].copy_from_slice(&answer.to_le_bytes());
        let voter = blake3::keyed_hash(&self.voter_key, &bytes).to_hex()[..32].to_string();
        let recent = self.recent();
        let shown = recent.shown.get(&answer);
        let record = VoteRecord {
            ts: now_secs(),
            answer,
            vote,
            query: shown.map(|s| s.query.clone()),
            shown: shown.map(|s| s.shown.clone()).unwrap_or_default(),
            faq: shown.and_then(|s| s.faq.clone()),
            guild,
            voter: Some(voter),
        };
        drop(recent);
        self.queue.push(Entry::Vote(record.clone()));
        record
    }

    /// How long a query for staff waits for the records queued before it.
    const READ_YOUR_WRITES: Duration = Duration::from_millis(150);

    /// The most recent unanswered questions of `scope`, newest first.
    pub async fn unanswered(
        &self,
        n: usize,
        scope: Scope,
    ) -> Result<Vec<QuestionRecord>, RecordsError> {
        self.queue.flush(Self::READ_YOUR_WRITES).await;
        self.in_time(self.store.unanswered(n, scope)).await
    }

    /// Claims the weekly post of `week` (an ISO week) for this process:
    /// true for the one process of all those sharing the records that
    /// claims it first, however many machines they run on.
    pub async fn claim_week(&self, week: &str) -> Result<bool, RecordsError> {
        self.in_time(self.store.claim_week(week, now_secs())).await
    }

    /// Gives the claim of `week` back, so that the post is tried again.
    pub async fn release_week(&self, week: &str) -> Result<(), RecordsError> {
        self.in_time(self.store.release_week(week)).await
    }

    /// Counts per day (in Japan) of `scope`, or of every record.
    pub async fn days(&self, scope: Option<Scope>) -> Result<Vec<(Date, DayCounts)>, RecordsError> {
        self.queue.flush(Self::READ_YOUR_WRITES).await;
        self.in_time(self.store.days(scope)).await
    }

    /// Counts of `scope` so far, with the `top` measures most often shown
    /// first.
    pub async fn stats(&self, top: usize, scope: Scope) -> Result<Stats, RecordsError> {
        self.queue.flush(Self::READ_YOUR_WRITES).await;
        self.in_time(self.store.stats(top, scope)).await
    }

    /// How long a query for staff may take: Discord wants a reply to a
    /// command within 3 s.
    const QUERY_LIMIT: Duration = Duration::from_secs(2);

    /// `query`, or an error when the database does not answer in time.
    async fn in_time<T>(
        &self,
        query: impl Future<Output = Result<T, RecordsError>>,
    ) -> Result<T, RecordsError> {
        tokio::time::timeout(Self::QUERY_LIMIT, query)
            .await
            .unwrap_or_else(|_| {
                Err(RecordsError::Database {
                    location: self.store.location().to_string(),
                    cause: format!("no answer within {} s", Self::QUERY_LIMIT.as_secs()),
                })
            })
    }

    /// Writes what is queued (waiting at most `timeout` for the database)
    /// and stops the writer. Returns the records that could not be written.
    pub async fn close(mut self, timeout: Duration) -> usize {
        self.queue.flush(timeout).await;
        self.queue.close();
        if let Some(writer) = self.writer.take() {
            let _ = tokio::time::timeout(timeout, writer).await;
        }
        self.queue.waiting()
    }
}

impl Drop for Records {
    fn drop(&mut self) {
        // The writer writes what is left and stops.
        self.queue.close();
    }
}

/// The first second kept with `--keep-days days`.
pub fn keep_from(days: u32) -> u64 {
    now_secs().saturating_sub(u64::from(days) * 86_400)
}

/// Whether a record stamped `ts` is believable as of `now`: not before
/// [`EARLIEST`] nor more than [`AHEAD`] after now (a broken clock, an edited
/// file).
pub fn sane_time(ts: u64, now: u64) -> bool {
    (EARLIEST..=now.saturating_add(AHEAD)).contains(&ts)
}

/// The key of the voters' hashes in `path`, made (random) when missing.
fn voter_key(path: &Path) -> Result<[u8; 32], RecordsError> {
    let io = |source| RecordsError::Io {
        path: path.to_path_buf(),
        source,
    };
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let text = text.trim();
            let mut key = [0u8; 32];
            let ok = text.len() == 64
                && text.is_ascii()
                && key.iter_mut().enumerate().all(|(i, b)| {
                    u8::from_str_radix(&text[2 * i..2 * i + 2], 16)
                        .map(|v| *b = v)
                        .is_ok()
                });
            if ok {
                Ok(key)
            } else {
                Err(RecordsError::VoterKey {
                    path: path.to_path_buf(),
                })
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut key = [0u8; 32];
            getrandom::fill(&mut key).map_err(|e| io(std::io::Error::other(e.to_string())))?;
            let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
            crate::files::replace(path, format!("{hex}\n").as_bytes()).map_err(io)?;
            Ok(key)
        }
        Err(e) => Err(io(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_urls_are_read_and_shown_without_their_password() {
        assert_eq!(
            Location::parse("sqlite://state/records.sqlite3").unwrap(),
            Location::Sqlite(PathBuf::from("state/records.sqlite3"))
        );
        assert_eq!(
            Location::parse("sqlite:///var/lib/madoguchi/r.sqlite3").unwrap(),
            Location::Sqlite(PathBuf::from("/var/lib/madoguchi/r.sqlite3"))
        );
        let pg = Location::parse("postgres://bot:s3cret@db.example:5432/records").unwrap();
        assert_eq!(pg.to_string(), "postgres://bot:***@db.example:5432/records");
        let pg = Location::parse("postgresql://bot@db/records?sslmode=require").unwrap();
        assert_eq!(
            pg.to_string(),
            "postgresql://bot@db/records?sslmode=require"
        );
        // The password as a parameter: hidden, and known as the secret.
        let pg =
            Location::parse("postgres://bot@db/records?password=s3cret&sslmode=disable").unwrap();
        assert_eq!(
            pg.to_string(),
            "postgres://bot@db/records?password=***&sslmode=disable"
        );
        assert_eq!(pg.password().as_deref(), Some("s3cret"));
        assert_eq!(
            Location::parse("postgres://bot:s3cret@db/r")
                .unwrap()
                .password()
                .as_deref(),
            Some("s3cret")
        );
        // libpq's sslrootcert is taken out of the URL for the TLS set-up.
        let pg = Location::parse("postgres://bot@db/r?sslrootcert=/etc/ca.pem&sslmode=require");
        assert!(pg.is_ok(), "{pg:?}");
        assert_eq!(
            split_root_cert("postgres://bot@db/r?sslrootcert=/etc/ca.pem&sslmode=require"),
            (
                "postgres://bot@db/r?sslmode=require".to_string(),
                Some(PathBuf::from("/etc/ca.pem"))
            )
        );
        assert_eq!(
            split_root_cert("postgres://bot@db/r?sslrootcert=ca.pem").0,
            "postgres://bot@db/r"
        );
        // The fix follows the failure.
        assert!(unreachable_fix("invalid peer certificate: UnknownIssuer").contains("sslrootcert"));
        assert!(unreachable_fix("connection refused").contains("start the database"));
        // A key=value DSN is refused without echoing its password.
        let e = Location::parse("host=db user=bot password='s3 cret' dbname=r")
            .unwrap_err()
            .to_string();
        assert!(!e.contains("s3"), "{e}");
        let e = Location::parse("host=db PASSWORD = s3cret")
            .unwrap_err()
            .to_string();
        assert!(!e.contains("s3cret"), "{e}");
        for bad in [
            "",
            "sqlite://",
            "mysql://x",
            "records.sqlite3",
            "postgres://a:b@c:notaport/d",
        ] {
            let e = Location::parse(bad).unwrap_err().to_string();
            assert!(e.contains("sqlite://PATH"), "{bad}: {e}");
        }
        let e = Location::parse("postgres://a:hidden@c:notaport/d").unwrap_err();
        assert!(!e.to_string().contains("hidden"), "{e}");
    }

    fn question(answer: u64) -> Entry {
        Entry::Question(QuestionRecord {
            ts: now_secs(),
            answer,
            source: Source::Dm,
            query: format!("q{answer}"),
            answered: false,
            sure: false,
            decision: Some(Decision::Decline),
            confidence: 0.0,
            shown: Vec::new(),
            faq: None,
            guild: None,
        })
    }

    #[tokio::test]
    async fn the_queue_keeps_the_newest_up_to_its_bound() {
        let queue = Queue::new(3);
        for a in 0..5 {
            queue.push(question(a));
        }
        assert_eq!((queue.waiting(), queue.dropped()), (3, 2));
        // Nothing writes: a flush times out.
        assert!(!queue.flush(Duration::from_millis(20)).await);
    }
}
