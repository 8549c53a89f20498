//! Records for staff, in a state directory outside `data/`: every question
//! asked (`questions.jsonl`), the questions that found no match
//! (`unanswered.jsonl`) and the 👍/👎 votes (`votes.jsonl`). The files are
//! append-only JSON lines, one `write` per record, and are read back when the
//! bot starts, so counts, recent unanswered questions and what each recent
//! answer showed survive restarts. Memory is bounded per server that asked:
//! counters per measure and the last [`RECENT_UNANSWERED`] unanswered
//! questions; and in all, what the last [`RECENT_ANSWERS`] answers showed
//! (so a vote can be recorded with it) and the last [`RECENT_VOTERS`]
//! voters.
//! Each record carries the server it came from (`guild`; none for a direct
//! message), and the figures for staff are kept per server: `/unanswered`
//! and `/stats` show one server's records, with the direct messages
//! ([`Scope`]). Records written before servers were noted load as if they
//! came without one. A question record carries what search decided
//! (`decision`: answered, 「もしかして」, declined, out of scope, a greeting);
//! records from before it was noted load without one and are told apart by
//! `answered` and `sure`, as before. `/stats` counts the 「もしかして」
//! answers apart from the sure ones. One vote counts per user and answer, the latest: a vote
//! carries a keyed hash of the user id with the answer id (`voter`, keyed by
//! a random key made once in the state directory, [`VOTER_KEY_FILE`]), never
//! the id, and a repeated vote changes nothing. No user ids are stored.

use std::collections::{HashMap, VecDeque};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use crate::answer::Answer;
use crate::clock::now_secs;
use crate::search::Decision;

pub const QUESTIONS_FILE: &str = "questions.jsonl";
pub const UNANSWERED_FILE: &str = "unanswered.jsonl";
pub const VOTES_FILE: &str = "votes.jsonl";
/// The random key of the voters' hashes (64 hexadecimal digits).
pub const VOTER_KEY_FILE: &str = "voter.key";
/// Voters remembered, so that a later vote replaces an earlier one.
pub const RECENT_VOTERS: usize = 100_000;
/// Unanswered questions kept in memory for `/unanswered`.
pub const RECENT_UNANSWERED: usize = 100;
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

impl Scope {
    /// The tallies this scope covers: the home server's and the ones
    /// without a server.
    fn keys(self) -> [Option<u64>; 2] {
        [Some(self.home), None]
    }

    /// Whether a record from `guild` (none: a direct message) is in scope.
    pub fn covers(self, guild: Option<u64>) -> bool {
        self.keys().contains(&guild)
    }
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

/// A problem with the state directory.
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
}

/// The figures of one server (or of the direct messages).
#[derive(Default)]
struct Tally {
    questions: u64,
    unanswered: u64,
    did_you_mean: u64,
    up: u64,
    down: u64,
    first_shown: HashMap<String, u64>,
    recent_unanswered: VecDeque<QuestionRecord>,
}

struct Inner {
    questions: File,
    unanswered: File,
    votes: File,
    /// Per server; `None` holds the direct messages.
    tallies: HashMap<Option<u64>, Tally>,
    shown: HashMap<u64, QuestionRecord>,
    shown_order: VecDeque<u64>,
    /// Each recent voter's vote (with its server), so a later one replaces it.
    ballots: HashMap<String, (Option<u64>, Vote)>,
    ballot_order: VecDeque<String>,
}

impl Inner {
    fn count_question(&mut self, r: &QuestionRecord) {
        let tally = self.tallies.entry(r.guild).or_default();
        tally.questions += 1;
        if r.did_you_mean() {
            tally.did_you_mean += 1;
        }
        if !r.answered {
            tally.unanswered += 1;
            if tally.recent_unanswered.len() == RECENT_UNANSWERED {
                tally.recent_unanswered.pop_front();
            }
            tally.recent_unanswered.push_back(r.clone());
        }
        if let Some(first) = r.shown.first() {
            *tally.first_shown.entry(first.clone()).or_default() += 1;
        }
        if r.answered && self.shown.insert(r.answer, r.clone()).is_none() {
            self.shown_order.push_back(r.answer);
            while self.shown_order.len() > RECENT_ANSWERS {
                if let Some(old) = self.shown_order.pop_front() {
                    self.shown.remove(&old);
                }
            }
        }
    }

    fn count_vote(&mut self, v: &VoteRecord) {
        if let Some(voter) = &v.voter {
            match self.ballots.insert(voter.clone(), (v.guild, v.vote)) {
                Some((guild, earlier)) => {
                    let n = self.votes_of(guild, earlier);
                    *n = n.saturating_sub(1);
                }
                None => {
                    self.ballot_order.push_back(voter.clone());
                    while self.ballot_order.len() > RECENT_VOTERS {
                        if let Some(old) = self.ballot_order.pop_front() {
                            self.ballots.remove(&old);
                        }
                    }
                }
            }
        }
        *self.votes_of(v.guild, v.vote) += 1;
    }

    fn votes_of(&mut self, guild: Option<u64>, vote: Vote) -> &mut u64 {
        let tally = self.tallies.entry(guild).or_default();
        match vote {
            Vote::Up => &mut tally.up,
            Vote::Down => &mut tally.down,
        }
    }

    /// The tallies `scope` covers.
    fn tallies(&self, scope: Scope) -> impl Iterator<Item = &Tally> {
        scope
            .keys()
            .into_iter()
            .filter_map(|k| self.tallies.get(&k))
    }
}

/// The records of one state directory.
pub struct Records {
    dir: PathBuf,
    voter_key: [u8; 32],
    inner: Mutex<Inner>,
    /// Records handed in and not yet written ([`Records::pending`]).
    waiting: AtomicU64,
}

/// Counts a record as waiting until it is written (or fails).
struct Waiting<'a>(&'a AtomicU64);

impl<'a> Waiting<'a> {
    fn new(n: &'a AtomicU64) -> Waiting<'a> {
        n.fetch_add(1, Ordering::SeqCst);
        Waiting(n)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Records {
    /// Opens (creating if needed) the state directory and reads back what
    /// is there. Lines that cannot be read (a line torn when the disk
    /// filled, bytes that are not UTF-8, a record that does not parse) are
    /// skipped with a warning.
    pub fn open(dir: &Path) -> Result<Records, RecordsError> {
        let io = |source| RecordsError::Io {
            path: dir.to_path_buf(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(io)?;
        let open = |name: &str| {
            OpenOptions::new()
                .create(true)
                .read(true)
                .append(true)
                .open(dir.join(name))
                .map_err(|source| RecordsError::Io {
                    path: dir.join(name),
                    source,
                })
        };
        let mut inner = Inner {
            questions: open(QUESTIONS_FILE)?,
            unanswered: open(UNANSWERED_FILE)?,
            votes: open(VOTES_FILE)?,
            tallies: HashMap::new(),
            ballots: HashMap::new(),
            ballot_order: VecDeque::new(),
            shown: HashMap::new(),
            shown_order: VecDeque::new(),
        };
        for r in read_lines::<QuestionRecord>(&dir.join(QUESTIONS_FILE))
            .map_err(io)?
            .values
        {
            inner.count_question(&r);
        }
        for v in read_lines::<VoteRecord>(&dir.join(VOTES_FILE))
            .map_err(io)?
            .values
        {
            inner.count_vote(&v);
        }
        Ok(Records {
            dir: dir.to_path_buf(),
            voter_key: voter_key(&dir.join(VOTER_KEY_FILE))?,
            inner: Mutex::new(inner),
            waiting: AtomicU64::new(0),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Records handed in and not yet written: waiting for the writer (each
    /// is written at once, in turn).
    pub fn pending(&self) -> u64 {
        self.waiting.load(Ordering::SeqCst)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves counters that are still
        // valid numbers: keep going.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records a question (and, with no match, in `unanswered.jsonl`).
    pub fn question(&self, r: &QuestionRecord) -> Result<(), RecordsError> {
        let _waiting = Waiting::new(&self.waiting);
        let line = to_line(r);
        let mut inner = self.lock();
        inner.count_question(r);
        append(&mut inner.questions, &line, &self.dir.join(QUESTIONS_FILE))?;
        if !r.answered {
            append(
                &mut inner.unanswered,
                &line,
                &self.dir.join(UNANSWERED_FILE),
            )?;
        }
        Ok(())
    }

    /// Records `user`'s vote on an answer, cast in `guild` (none: a direct
    /// message), with what the answer showed when it is still remembered.
    /// It replaces the user's earlier vote on that answer; the same vote
    /// again changes nothing and is not written.
    pub fn vote(
        &self,
        answer: u64,
        vote: Vote,
        guild: Option<u64>,
        user: u64,
    ) -> Result<VoteRecord, RecordsError> {
        let _waiting = Waiting::new(&self.waiting);
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&user.to_le_bytes());
        bytes[8..].copy_from_slice(&answer.to_le_bytes());
        let voter = blake3::keyed_hash(&self.voter_key, &bytes).to_hex()[..32].to_string();
        let mut inner = self.lock();
        let repeat = inner.ballots.get(&voter) == Some(&(guild, vote));
        let shown = inner.shown.get(&answer);
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
        if repeat {
            return Ok(record);
        }
        inner.count_vote(&record);
        append(
            &mut inner.votes,
            &to_line(&record),
            &self.dir.join(VOTES_FILE),
        )?;
        Ok(record)
    }

    /// The most recent unanswered questions of `scope`, newest first.
    pub fn unanswered(&self, n: usize, scope: Scope) -> Vec<QuestionRecord> {
        let inner = self.lock();
        let mut recent: Vec<QuestionRecord> = inner
            .tallies(scope)
            .flat_map(|t| t.recent_unanswered.iter().rev().take(n))
            .cloned()
            .collect();
        // Stable: within a second, the later record of a tally stays first.
        recent.sort_by_key(|r| std::cmp::Reverse(r.ts));
        recent.truncate(n);
        recent
    }

    /// Counts of `scope` so far, with the `top` measures most often shown
    /// first.
    pub fn stats(&self, top: usize, scope: Scope) -> Stats {
        let inner = self.lock();
        let mut stats = Stats::default();
        let mut first_shown: HashMap<&str, u64> = HashMap::new();
        for t in inner.tallies(scope) {
            stats.questions += t.questions;
            stats.unanswered += t.unanswered;
            stats.did_you_mean += t.did_you_mean;
            stats.up += t.up;
            stats.down += t.down;
            for (id, n) in &t.first_shown {
                *first_shown.entry(id).or_default() += n;
            }
        }
        let mut first: Vec<(String, u64)> = first_shown
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        first.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        first.truncate(top);
        stats.top = first;
        stats
    }
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
            let tmp = path.with_extension("tmp");
            std::fs::write(&tmp, format!("{hex}\n"))
                .and_then(|()| std::fs::rename(&tmp, path))
                .map_err(io)?;
            Ok(key)
        }
        Err(e) => Err(io(e)),
    }
}

fn to_line<T: Serialize>(value: &T) -> String {
    let mut line = serde_json::to_string(value).expect("records serialise");
    line.push('\n');
    line
}

/// Appends one record line. A record always starts on a fresh line: when
/// the file does not end with a newline (a write cut short when the disk
/// filled), one is written first, so the torn line stays alone.
fn append(file: &mut File, line: &str, path: &Path) -> Result<(), RecordsError> {
    let write = |file: &mut File| -> std::io::Result<()> {
        if !ends_a_line(file)? {
            file.write_all(b"\n")?;
        }
        file.write_all(line.as_bytes())?;
        file.flush()
    };
    write(file).map_err(|source| RecordsError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Whether the file is empty or its last byte ends a line.
fn ends_a_line(file: &File) -> std::io::Result<bool> {
    use std::os::unix::fs::FileExt;
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok(true);
    }
    let mut last = [0u8];
    file.read_exact_at(&mut last, len - 1)?;
    Ok(last[0] == b'\n')
}

/// The records of a JSON-lines file, and how many lines were skipped.
#[derive(Debug)]
pub struct Lines<T> {
    pub values: Vec<T>,
    /// Lines that are not UTF-8 text or do not parse as a record.
    pub skipped: usize,
}

/// Reads a JSON-lines records file; a missing file has none. Lines that
/// cannot be read (cut inside a character, garbage bytes, a record that
/// does not parse) are skipped and counted, and one warning names the file
/// and the first such line.
pub fn read_lines<T: for<'de> Deserialize<'de>>(path: &Path) -> std::io::Result<Lines<T>> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Lines {
                values: Vec::new(),
                skipped: 0,
            });
        }
        Err(e) => return Err(e),
    };
    let mut reader = BufReader::new(file);
    let mut lines = Lines {
        values: Vec::new(),
        skipped: 0,
    };
    let mut first_bad: Option<(usize, String)> = None;
    let mut bytes = Vec::new();
    let mut number = 0;
    loop {
        bytes.clear();
        if reader.read_until(b'\n', &mut bytes)? == 0 {
            break;
        }
        number += 1;
        let parsed = std::str::from_utf8(&bytes)
            .map_err(|e| e.to_string())
            .and_then(|text| {
                if text.trim().is_empty() {
                    return Ok(None);
                }
                serde_json::from_str(text)
                    .map(Some)
                    .map_err(|e| e.to_string())
            });
        match parsed {
            Ok(Some(v)) => lines.values.push(v),
            Ok(None) => {}
            Err(e) => {
                lines.skipped += 1;
                first_bad.get_or_insert((number, e));
            }
        }
    }
    if let Some((line, error)) = first_bad {
        tracing::warn!(
            file = %path.display(),
            line,
            skipped = lines.skipped,
            %error,
            "skipping records that cannot be read (first at this line)"
        );
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(answer: u64, query: &str, shown: &[&str]) -> QuestionRecord {
        QuestionRecord {
            ts: 1,
            answer,
            source: Source::Mention,
            query: query.into(),
            answered: !shown.is_empty(),
            sure: !shown.is_empty(),
            decision: Some(if shown.is_empty() {
                Decision::Decline
            } else {
                Decision::Answer
            }),
            confidence: 0.8,
            shown: shown.iter().map(|s| s.to_string()).collect(),
            faq: None,
            guild: Some(HOME.home),
        }
    }

    const HOME: Scope = Scope { home: 10 };

    #[test]
    fn records_survive_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        {
            let r = Records::open(dir.path()).unwrap();
            r.question(&q(1, "テレワーク", &["2.tokyo.b.3"])).unwrap();
            r.question(&q(2, "明日の天気", &[])).unwrap();
            r.question(&q(3, "テレワーク補助", &["2.tokyo.b.3", "2.tokyo.a"]))
                .unwrap();
            let v = r.vote(3, Vote::Up, Some(10), 1).unwrap();
            assert_eq!(v.query.as_deref(), Some("テレワーク補助"));
            assert_eq!(v.shown, ["2.tokyo.b.3", "2.tokyo.a"]);
            r.vote(1, Vote::Down, Some(10), 1).unwrap();
        }
        // A torn line at the end is skipped.
        let mut f = OpenOptions::new()
            .append(true)
            .open(dir.path().join(QUESTIONS_FILE))
            .unwrap();
        f.write_all(b"{\"ts\": 4, \"answ").unwrap();
        drop(f);
        let r = Records::open(dir.path()).unwrap();
        let s = r.stats(5, HOME);
        assert_eq!((s.questions, s.unanswered, s.up, s.down), (3, 1, 1, 1));
        assert_eq!(s.top, vec![("2.tokyo.b.3".to_string(), 2)]);
        assert!((s.no_match_rate() - 1.0 / 3.0).abs() < 1e-9);
        let un = r.unanswered(10, HOME);
        assert_eq!(un.len(), 1);
        assert_eq!(un[0].query, "明日の天気");
        // What answer 3 showed is still known after the restart.
        assert_eq!(r.vote(3, Vote::Down, Some(10), 2).unwrap().shown.len(), 2);
        let unanswered = std::fs::read_to_string(dir.path().join(UNANSWERED_FILE)).unwrap();
        assert_eq!(unanswered.lines().count(), 1);
    }

    #[test]
    fn torn_and_garbage_lines_are_skipped_and_the_next_record_starts_a_fresh_line() {
        let dir = tempfile::tempdir().unwrap();
        {
            let r = Records::open(dir.path()).unwrap();
            r.question(&q(1, "テレワーク", &["2.tokyo.b.3"])).unwrap();
        }
        let path = dir.path().join(QUESTIONS_FILE);
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        // Garbage bytes on a line of their own, then a record cut inside
        // a character (テ is E3 83 86), as when the disk fills.
        f.write_all(b"\xff\xfe\x00garbage\n").unwrap();
        let torn = to_line(&q(2, "テレワーク補助", &[]));
        let cut = torn.find("テ").unwrap() + 2;
        f.write_all(&torn.as_bytes()[..cut]).unwrap();
        drop(f);
        let lines = read_lines::<QuestionRecord>(&path).unwrap();
        assert_eq!((lines.values.len(), lines.skipped), (1, 2));

        let r = Records::open(dir.path()).unwrap();
        assert_eq!(r.stats(5, HOME).questions, 1);
        r.question(&q(3, "明日の天気", &[])).unwrap();
        drop(r);
        let r = Records::open(dir.path()).unwrap();
        assert_eq!(
            r.stats(5, HOME).questions,
            2,
            "the record after the torn line is kept"
        );
        assert_eq!(r.unanswered(5, HOME)[0].query, "明日の天気");
        let lines = read_lines::<QuestionRecord>(&path).unwrap();
        assert_eq!((lines.values.len(), lines.skipped), (2, 2));
    }

    #[test]
    fn memory_stays_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let r = Records::open(dir.path()).unwrap();
        for i in 0..(RECENT_UNANSWERED as u64 + 10) {
            r.question(&q(i, &format!("q{i}"), &[])).unwrap();
        }
        assert_eq!(
            r.lock().tallies[&Some(HOME.home)].recent_unanswered.len(),
            RECENT_UNANSWERED
        );
        assert_eq!(
            r.unanswered(1, HOME)[0].query,
            format!("q{}", RECENT_UNANSWERED + 9)
        );
    }

    #[test]
    fn staff_see_their_server_and_direct_messages_only() {
        let dir = tempfile::tempdir().unwrap();
        let in_guild = |answer, query: &str, guild| QuestionRecord {
            guild,
            ..q(answer, query, &[])
        };
        {
            let r = Records::open(dir.path()).unwrap();
            r.question(&in_guild(1, "ここの質問", Some(10))).unwrap();
            r.question(&in_guild(2, "よその質問 090-1234-5678", Some(20)))
                .unwrap();
            r.question(&in_guild(3, "DMの質問", None)).unwrap();
            r.vote(1, Vote::Up, Some(20), 1).unwrap();
        }
        // A record from before servers were noted loads, without one.
        let mut f = OpenOptions::new()
            .append(true)
            .open(dir.path().join(QUESTIONS_FILE))
            .unwrap();
        f.write_all(
            "{\"ts\":1,\"answer\":4,\"source\":\"dm\",\"query\":\"昔の質問\",\"answered\":false,\"sure\":false,\"confidence\":0.0,\"shown\":[],\"faq\":null}\n"
                .as_bytes(),
        )
        .unwrap();
        drop(f);
        let r = Records::open(dir.path()).unwrap();
        let home: Vec<String> = r
            .unanswered(10, HOME)
            .into_iter()
            .map(|q| q.query)
            .collect();
        assert_eq!(home.len(), 3, "{home:?}");
        for q in ["ここの質問", "DMの質問", "昔の質問"] {
            assert!(home.iter().any(|h| h == q), "{q} in {home:?}");
        }
        let s = r.stats(5, HOME);
        assert_eq!((s.questions, s.unanswered, s.up), (3, 3, 0));
        let other = Scope { home: 20 };
        let there: Vec<String> = r
            .unanswered(10, other)
            .into_iter()
            .map(|q| q.query)
            .collect();
        assert!(!there.iter().any(|q| q == "ここの質問"), "{there:?}");
        assert_eq!(r.stats(5, other).up, 1);
    }

    #[test]
    fn did_you_mean_answers_are_counted_apart_also_in_records_from_before() {
        let dir = tempfile::tempdir().unwrap();
        {
            let r = Records::open(dir.path()).unwrap();
            r.question(&q(1, "テレワーク", &["2.tokyo.b.3"])).unwrap();
            let unsure = QuestionRecord {
                sure: false,
                decision: Some(Decision::DidYouMean),
                ..q(2, "テレワ的な何か", &["2.tokyo.b.3"])
            };
            r.question(&unsure).unwrap();
            let out = QuestionRecord {
                decision: Some(Decision::OutOfScope),
                ..q(3, "神奈川県のテレワーク補助金", &[])
            };
            assert!(out.out_of_scope() && !out.did_you_mean());
            r.question(&out).unwrap();
            let s = r.stats(5, HOME);
            assert_eq!((s.questions, s.unanswered, s.did_you_mean), (3, 1, 1));
        }
        // Records from before the decision was noted: answered and not
        // sure is 「もしかして」, answered and sure is answered.
        let mut f = OpenOptions::new()
            .append(true)
            .open(dir.path().join(QUESTIONS_FILE))
            .unwrap();
        for (answer, sure) in [(4, false), (5, true)] {
            f.write_all(
                format!("{{\"ts\":1,\"answer\":{answer},\"source\":\"dm\",\"query\":\"昔の質問\",\"answered\":true,\"sure\":{sure},\"confidence\":0.5,\"shown\":[\"2.tokyo.a\"],\"faq\":null}}\n")
                    .as_bytes(),
            )
            .unwrap();
        }
        drop(f);
        let r = Records::open(dir.path()).unwrap();
        let s = r.stats(5, HOME);
        assert_eq!((s.questions, s.unanswered, s.did_you_mean), (5, 1, 2));
        assert!((s.did_you_mean_rate() - 0.4).abs() < 1e-9);
        let text = std::fs::read_to_string(dir.path().join(QUESTIONS_FILE)).unwrap();
        assert!(text.contains("\"decision\":\"did_you_mean\""), "{text}");
        assert!(text.contains("\"decision\":\"out_of_scope\""), "{text}");
    }

    #[test]
    fn one_vote_per_user_and_answer_the_latest_counts() {
        let dir = tempfile::tempdir().unwrap();
        {
            let r = Records::open(dir.path()).unwrap();
            r.question(&q(1, "テレワーク", &["2.tokyo.b.3"])).unwrap();
            for _ in 0..50 {
                r.vote(1, Vote::Down, Some(10), 5001).unwrap();
            }
            let s = r.stats(5, HOME);
            assert_eq!((s.up, s.down), (0, 1), "fifty presses, one vote");
            r.vote(1, Vote::Up, Some(10), 5001).unwrap();
            r.vote(1, Vote::Up, Some(10), 5002).unwrap();
            let s = r.stats(5, HOME);
            assert_eq!((s.up, s.down), (2, 0), "the latest vote counts");
        }
        let text = std::fs::read_to_string(dir.path().join(VOTES_FILE)).unwrap();
        assert_eq!(text.lines().count(), 3, "repeats are not written: {text}");
        assert!(!text.contains("5001") && !text.contains("5002"), "{text}");
        // After a restart: the same figures, and the same voter is known.
        let r = Records::open(dir.path()).unwrap();
        assert_eq!(r.stats(5, HOME).up, 2);
        r.vote(1, Vote::Down, Some(10), 5001).unwrap();
        let s = r.stats(5, HOME);
        assert_eq!((s.up, s.down), (1, 1));
        let votes: Vec<VoteRecord> = read_lines(&dir.path().join(VOTES_FILE)).unwrap().values;
        let latest = latest_votes(votes);
        assert_eq!(latest.len(), 2);
        assert_eq!(latest[1].vote, Vote::Down);
        // A damaged key is an error that says what to do.
        std::fs::write(dir.path().join(VOTER_KEY_FILE), "xyz").unwrap();
        let e = Records::open(dir.path()).err().unwrap().to_string();
        assert!(e.contains(VOTER_KEY_FILE) && e.contains("delete it"), "{e}");
    }
}
