//! What both databases write and read: the SQL they share (written once,
//! with `$n` parameters, which SQLite and PostgreSQL both take), the rows a
//! batch of records becomes with its per-day counts ([`Batch`]), and the key
//! that has a batch written once ([`BatchKey`]).

use std::collections::BTreeMap;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::summary::day_of;
use super::{Entry, QuestionRecord, VoteRecord, sane_time};

pub(crate) const INSERT_QUESTION: &str = "INSERT INTO questions \
    (ts, day, answer, source, guild, query, answered, sure, decision, confidence, shown, faq) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";

/// A vote replaces the voter's earlier one; what the answer showed comes
/// from the question's record when the vote does not carry it.
pub(crate) const UPSERT_VOTE: &str = "INSERT INTO votes \
    (ts, answer, vote, guild, voter, query, shown, faq) \
    VALUES ($1, $2, $3, $4, $5, \
      COALESCE($6, (SELECT query FROM questions WHERE answer = $2 ORDER BY id DESC LIMIT 1)), \
      COALESCE($7, (SELECT shown FROM questions WHERE answer = $2 ORDER BY id DESC LIMIT 1)), \
      COALESCE($8, (SELECT faq FROM questions WHERE answer = $2 ORDER BY id DESC LIMIT 1))) \
    ON CONFLICT (voter) DO UPDATE SET ts = excluded.ts, vote = excluded.vote, guild = excluded.guild";

pub(crate) const ADD_DAILY: &str = "INSERT INTO daily \
    (day, guild, questions, answered, did_you_mean, unanswered, out_of_scope) \
    VALUES ($1, $2, $3, $4, $5, $6, $7) \
    ON CONFLICT (day, guild) DO UPDATE SET \
      questions = daily.questions + excluded.questions, \
      answered = daily.answered + excluded.answered, \
      did_you_mean = daily.did_you_mean + excluded.did_you_mean, \
      unanswered = daily.unanswered + excluded.unanswered, \
      out_of_scope = daily.out_of_scope + excluded.out_of_scope";

pub(crate) const ADD_SHOWN: &str = "INSERT INTO daily_shown \
    (day, guild, measure, first_shown, shown) VALUES ($1, $2, $3, $4, $5) \
    ON CONFLICT (day, guild, measure) DO UPDATE SET \
      first_shown = daily_shown.first_shown + excluded.first_shown, \
      shown = daily_shown.shown + excluded.shown";

/// How long a written batch's key is kept, in seconds: a batch is tried
/// again within seconds of a failure, so a day is plenty (the writer
/// deletes older keys hourly, with `--keep-days`' deletions).
pub(crate) const KEEP_BATCH_KEYS: u64 = 86_400;
pub(crate) const MARK_BATCH: &str =
    "INSERT INTO written_batches (key, written) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING";
pub(crate) const FORGET_BATCHES: &str = "DELETE FROM written_batches WHERE written < $1";

pub(crate) const ADD_ANOMALY: &str = "INSERT INTO anomalies (kind, n) VALUES ($1, $2) \
    ON CONFLICT (kind) DO UPDATE SET n = anomalies.n + excluded.n";

const QUESTION_COLUMNS: &str =
    "id, ts, answer, source, guild, query, answered, sure, decision, confidence, shown, faq";

/// The unanswered questions of one server (`$1`), newest first.
pub(crate) fn unanswered_in_guild() -> String {
    format!(
        "SELECT {QUESTION_COLUMNS} FROM questions WHERE NOT answered AND guild = $1 \
         ORDER BY ts DESC, id DESC LIMIT $2"
    )
}

/// The unanswered questions without a server, newest first.
pub(crate) fn unanswered_without_guild() -> String {
    format!(
        "SELECT {QUESTION_COLUMNS} FROM questions WHERE NOT answered AND guild IS NULL \
         ORDER BY ts DESC, id DESC LIMIT $1"
    )
}

pub(crate) const STATS_COUNTS: &str = "SELECT \
    COALESCE(CAST(SUM(questions) AS BIGINT), 0), \
    COALESCE(CAST(SUM(unanswered) AS BIGINT), 0), \
    COALESCE(CAST(SUM(did_you_mean) AS BIGINT), 0) \
    FROM daily WHERE guild = $1 OR guild = 0";

pub(crate) const STATS_VOTES: &str =
    "SELECT vote, COUNT(*) FROM votes WHERE guild = $1 OR guild IS NULL GROUP BY vote";

pub(crate) const STATS_TOP: &str = "SELECT measure, CAST(SUM(first_shown) AS BIGINT) AS n \
    FROM daily_shown WHERE guild = $1 OR guild = 0 \
    GROUP BY measure HAVING SUM(first_shown) > 0 ORDER BY n DESC, measure LIMIT $2";

/// The daily counts summed per day, with a condition on `daily` before
/// the grouping (the two queries below differ only there).
macro_rules! days_sql {
    ($condition:literal) => {
        concat!(
            "SELECT day, CAST(SUM(questions) AS BIGINT), CAST(SUM(answered) AS BIGINT), ",
            "CAST(SUM(did_you_mean) AS BIGINT), CAST(SUM(unanswered) AS BIGINT), ",
            "CAST(SUM(out_of_scope) AS BIGINT) FROM daily ",
            $condition,
            " GROUP BY day ORDER BY day"
        )
    };
}

pub(crate) const REPORT_DAYS: &str = days_sql!("");

/// [`REPORT_DAYS`] of one server and the direct messages (`$1`: the server).
pub(crate) const DAYS_IN_SCOPE: &str = days_sql!("WHERE guild = $1 OR guild = 0");

pub(crate) const REPORT_SHOWN: &str = "SELECT measure, \
    CAST(SUM(first_shown) AS BIGINT), CAST(SUM(shown) AS BIGINT) \
    FROM daily_shown GROUP BY measure";

pub(crate) const REPORT_UNANSWERED: &str =
    "SELECT query, COUNT(*), MAX(ts) FROM questions WHERE NOT answered GROUP BY query";

pub(crate) const REPORT_VOTES: &str =
    "SELECT ts, answer, vote, guild, voter, query, shown, faq FROM votes ORDER BY id";

pub(crate) const REPORT_ANOMALIES: &str = "SELECT kind, n FROM anomalies";

pub(crate) const FORGET_QUESTIONS: &str = "DELETE FROM questions WHERE ts < $1";
pub(crate) const FORGET_VOTE_TEXT: &str =
    "UPDATE votes SET query = NULL WHERE ts < $1 AND query IS NOT NULL";

/// Claims the weekly post of `$1` (an ISO week): one row changed for the
/// one process that claims it, none for the others.
pub(crate) const CLAIM_WEEK: &str =
    "INSERT INTO weekly_posts (week, claimed) VALUES ($1, $2) ON CONFLICT (week) DO NOTHING";
pub(crate) const RELEASE_WEEK: &str = "DELETE FROM weekly_posts WHERE week = $1";

pub(crate) const IMPORTED: &str = "SELECT COUNT(*) FROM imported WHERE hash = $1";
pub(crate) const MARK_IMPORTED: &str =
    "INSERT INTO imported (hash, file, records, skipped, at) VALUES ($1, $2, $3, $4, $5)";

/// Anomaly kinds counted in `anomalies`.
pub(crate) const SKIPPED: &str = "skipped";
pub(crate) const OUT_OF_RANGE: &str = "out_of_range";

// ---- rows -------------------------------------------------------------------

/// A question as its row holds it.
pub(crate) struct QuestionRow {
    pub ts: i64,
    pub day: i64,
    pub answer: i64,
    pub source: String,
    pub guild: Option<i64>,
    pub query: String,
    pub answered: bool,
    pub sure: bool,
    pub decision: Option<String>,
    pub confidence: f64,
    /// Measure ids shown, in order, as a JSON array.
    pub shown: String,
    pub faq: Option<String>,
}

/// A vote as its row holds it.
pub(crate) struct VoteRow {
    pub ts: i64,
    pub answer: i64,
    pub vote: String,
    pub guild: Option<i64>,
    pub voter: Option<String>,
    /// None: taken from the question's record.
    pub query: Option<String>,
    pub shown: Option<String>,
    pub faq: Option<String>,
}

/// A unit enum as the word it serialises to.
pub(crate) fn word<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

/// A word back to its unit enum.
pub(crate) fn from_word<T: DeserializeOwned>(word: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(word.to_string())).ok()
}

pub(crate) fn ids_json(ids: &[String]) -> String {
    serde_json::to_string(ids).unwrap_or_else(|_| "[]".into())
}

pub(crate) fn ids_from_json(text: Option<&str>) -> Vec<String> {
    text.and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or_default()
}

/// Text as both databases take it: PostgreSQL refuses NUL in text, and a
/// batch it refuses would be tried again forever, holding back every record
/// after it.
fn storable(text: &str) -> String {
    text.replace('\0', "")
}

impl QuestionRow {
    pub fn of(q: &QuestionRecord) -> QuestionRow {
        QuestionRow {
            ts: q.ts as i64,
            day: day_of(q.ts).days(),
            answer: q.answer as i64,
            source: word(&q.source),
            guild: q.guild.map(|g| g as i64),
            query: storable(&q.query),
            answered: q.answered,
            sure: q.sure,
            decision: q.decision.as_ref().map(word),
            confidence: f64::from(q.confidence),
            shown: ids_json(&q.shown),
            faq: q.faq.clone(),
        }
    }
}

/// The columns of [`QUESTION_COLUMNS`] read back (the id first, for order).
pub(crate) struct ReadQuestion {
    pub id: i64,
    pub ts: i64,
    pub answer: i64,
    pub source: String,
    pub guild: Option<i64>,
    pub query: String,
    pub answered: bool,
    pub sure: bool,
    pub decision: Option<String>,
    pub confidence: f64,
    pub shown: String,
    pub faq: Option<String>,
}

impl ReadQuestion {
    /// The record, with its order key (time, then id).
    pub fn record(self) -> ((i64, i64), QuestionRecord) {
        let source = from_word(&self.source).unwrap_or(super::Source::Mention);
        (
            (self.ts, self.id),
            QuestionRecord {
                ts: self.ts as u64,
                answer: self.answer as u64,
                source,
                query: self.query,
                answered: self.answered,
                sure: self.sure,
                decision: self.decision.as_deref().and_then(from_word),
                confidence: self.confidence as f32,
                shown: ids_from_json(Some(&self.shown)),
                faq: self.faq,
                guild: self.guild.map(|g| g as u64),
            },
        )
    }
}

impl VoteRow {
    pub fn of(v: &VoteRecord) -> VoteRow {
        let known = v.query.is_some();
        VoteRow {
            ts: v.ts as i64,
            answer: v.answer as i64,
            vote: word(&v.vote),
            guild: v.guild.map(|g| g as i64),
            voter: v.voter.clone(),
            query: v.query.as_deref().map(storable),
            shown: known.then(|| ids_json(&v.shown)),
            faq: if known { v.faq.clone() } else { None },
        }
    }

    /// The record read back.
    pub fn record(self) -> Option<VoteRecord> {
        Some(VoteRecord {
            ts: self.ts as u64,
            answer: self.answer as u64,
            vote: from_word(&self.vote)?,
            query: self.query,
            shown: ids_from_json(self.shown.as_deref()),
            faq: self.faq,
            guild: self.guild.map(|g| g as u64),
            voter: self.voter,
        })
    }
}

/// The per-day counts a batch adds, per (day, server; 0: none).
#[derive(Debug, Default)]
pub(crate) struct Aggregates {
    pub daily: BTreeMap<(i64, i64), super::DayCounts>,
    /// (first, anywhere) per (day, server, measure).
    pub shown: BTreeMap<(i64, i64, String), (i64, i64)>,
    pub out_of_range: i64,
    pub skipped: i64,
}

impl Aggregates {
    fn add(&mut self, q: &QuestionRecord, day: i64) {
        let guild = q.guild.map_or(0, |g| g as i64);
        self.daily.entry((day, guild)).or_default().add(q);
        if q.answered {
            for (i, id) in q.shown.iter().enumerate() {
                let c = self.shown.entry((day, guild, id.clone())).or_default();
                c.0 += i64::from(i == 0);
                c.1 += 1;
            }
        }
    }
}

/// The key of a batch of records, unique across processes and machines
/// (a hash of the host's boot id, the process, its start and a counter).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchKey(String);

impl BatchKey {
    pub fn fresh() -> BatchKey {
        use std::sync::OnceLock;
        use std::sync::atomic::{AtomicU64, Ordering};
        static PROCESS: OnceLock<String> = OnceLock::new();
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let process = PROCESS.get_or_init(|| {
            let boot =
                std::fs::read_to_string("/proc/sys/kernel/random/boot_id").unwrap_or_default();
            let started = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos());
            format!("{boot}/{}/{started}", std::process::id())
        });
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let hash = blake3::hash(format!("{process}/{n}").as_bytes());
        BatchKey(hash.to_hex()[..32].to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The rows and counts of a batch of records; records stamped at an
/// impossible time are counted, not kept.
#[derive(Default)]
pub(crate) struct Batch {
    /// In the order given (a vote after its question).
    pub rows: Vec<Row>,
    pub aggregates: Aggregates,
}

pub(crate) enum Row {
    Question(QuestionRow),
    Vote(VoteRow),
}

impl Batch {
    pub fn of(entries: &[Entry], now: u64) -> Batch {
        let mut batch = Batch::default();
        for e in entries {
            batch.add(e, now);
        }
        batch
    }

    pub fn add(&mut self, entry: &Entry, now: u64) {
        match entry {
            Entry::Question(q) if sane_time(q.ts, now) => {
                let row = QuestionRow::of(q);
                self.aggregates.add(q, row.day);
                self.rows.push(Row::Question(row));
            }
            Entry::Vote(v) if sane_time(v.ts, now) => self.rows.push(Row::Vote(VoteRow::of(v))),
            _ => self.aggregates.out_of_range += 1,
        }
    }

    /// The anomalies to add: (kind, count) that are not zero.
    pub fn anomalies(&self) -> Vec<(&'static str, i64)> {
        [
            (SKIPPED, self.aggregates.skipped),
            (OUT_OF_RANGE, self.aggregates.out_of_range),
        ]
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .collect()
    }
}
