//! What the staff report reads from the records ([`Summary`]): counts per
//! day, programmes shown, the unanswered wordings with their counts and the
//! votes. A store answers it with a few queries over the per-day tables
//! and the question rows; [`Summary::from_records`] makes the same from
//! records in memory.

use std::collections::{BTreeMap, HashMap};

use super::{QuestionRecord, Vote, VoteRecord, latest_votes};
use crate::data::Date;

/// The counts of one day (in Japan), or of several added up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DayCounts {
    pub questions: u64,
    /// Answered at the "sure" level.
    pub answered: u64,
    /// Answered as 「もしかして」: programmes shown, not sure.
    pub did_you_mean: u64,
    /// No programme shown.
    pub unanswered: u64,
    /// Of the unanswered, declined as about a topic the plan does not cover.
    pub out_of_scope: u64,
}

impl DayCounts {
    /// Counts one question.
    pub fn add(&mut self, q: &QuestionRecord) {
        self.questions += 1;
        self.answered += u64::from(q.answered && !q.did_you_mean());
        self.did_you_mean += u64::from(q.did_you_mean());
        self.unanswered += u64::from(!q.answered);
        self.out_of_scope += u64::from(q.out_of_scope());
    }

    /// Adds another day's counts.
    pub fn merge(&mut self, other: &DayCounts) {
        self.questions += other.questions;
        self.answered += other.answered;
        self.did_you_mean += other.did_you_mean;
        self.unanswered += other.unanswered;
        self.out_of_scope += other.out_of_scope;
    }
}

/// How often a programme was shown by answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShownCount {
    pub id: String,
    /// Answers that showed it first.
    pub first: u64,
    /// Answers that showed it anywhere.
    pub shown: u64,
}

/// One wording of an unanswered question, as asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asked {
    pub query: String,
    pub count: u64,
    /// When it was last asked (seconds since the Unix epoch).
    pub last: u64,
}

/// What the staff report reads.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Days with questions, in order.
    pub days: Vec<(Date, DayCounts)>,
    pub programmes: Vec<ShownCount>,
    /// Unanswered questions whose text is kept, by wording.
    pub unanswered: Vec<Asked>,
    /// The votes that count (each voter's latest), with the question and
    /// what was shown when known.
    pub votes: Vec<VoteRecord>,
    /// Record lines that could not be read when the old files were
    /// imported.
    pub skipped: usize,
    /// Records stamped at an impossible time, not kept.
    pub out_of_range: usize,
}

/// The day in Japan of a time in seconds since the Unix epoch.
pub(crate) fn day_of(ts: u64) -> Date {
    Date::in_japan(ts as i64)
}

impl Summary {
    /// The summary of records in memory: each voter's latest vote, a vote
    /// without its question's text given that of the question it is on.
    pub fn from_records(questions: &[QuestionRecord], votes: Vec<VoteRecord>) -> Summary {
        let mut days: BTreeMap<Date, DayCounts> = BTreeMap::new();
        let mut shown: HashMap<&str, (u64, u64)> = HashMap::new();
        let mut asked: HashMap<&str, (u64, u64)> = HashMap::new();
        for q in questions {
            days.entry(day_of(q.ts)).or_default().add(q);
            if q.answered {
                for (i, id) in q.shown.iter().enumerate() {
                    let c = shown.entry(id).or_default();
                    c.0 += u64::from(i == 0);
                    c.1 += 1;
                }
            } else {
                let a = asked.entry(&q.query).or_default();
                a.0 += 1;
                a.1 = a.1.max(q.ts);
            }
        }
        let by_answer: HashMap<u64, &QuestionRecord> =
            questions.iter().map(|q| (q.answer, q)).collect();
        let votes = latest_votes(votes)
            .into_iter()
            .map(|mut v| {
                if v.query.is_none()
                    && let Some(q) = by_answer.get(&v.answer)
                {
                    v.query = Some(q.query.clone());
                    v.shown = q.shown.clone();
                    v.faq = q.faq.clone();
                }
                v
            })
            .collect();
        Summary {
            days: days.into_iter().collect(),
            programmes: shown
                .into_iter()
                .map(|(id, (first, shown))| ShownCount {
                    id: id.to_string(),
                    first,
                    shown,
                })
                .collect(),
            unanswered: asked
                .into_iter()
                .map(|(query, (count, last))| Asked {
                    query: query.to_string(),
                    count,
                    last,
                })
                .collect(),
            votes,
            skipped: 0,
            out_of_range: 0,
        }
    }

    /// All days added up.
    pub fn totals(&self) -> DayCounts {
        let mut all = DayCounts::default();
        for (_, d) in &self.days {
            all.merge(d);
        }
        all
    }

    /// Votes up and down.
    pub fn votes(&self) -> (u64, u64) {
        let up = self.votes.iter().filter(|v| v.vote == Vote::Up).count() as u64;
        (up, self.votes.len() as u64 - up)
    }
}
