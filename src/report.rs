//! The staff report (`madoguchi report`): what the bot's records say about
//! where the knowledge falls short, so staff can decide which FAQ entry to
//! write next. From the records ([`crate::records`]: SQLite in the state
//! directory or PostgreSQL; a [`Summary`] of a few queries) it finds the
//! most frequent unanswered questions, near-duplicates grouped (same
//! analysed terms, or character bigrams mostly shared), the answers voted 👎
//! with their questions, the no-match and 「もしかして」 rates per day or
//! week (dates in Japan), and the programmes shown most. Questions are
//! counted as answered (sure), answered as 「もしかして」 (programmes shown,
//! not sure) and unanswered (of which out of scope: declined with a
//! referral). [`Report`] serialises as the `--json` output and renders as
//! text for a terminal. Only reads (but imports the JSON-lines files of an
//! earlier version once, as `serve` would).

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

mod group;
use group::jaccard;

use crate::analysis::Analyzer;
use crate::data::{Date, Knowledge};
use crate::records::{
    Asked, DayCounts, Location, QUESTIONS_FILE, QuestionRecord, RecordsError, ShownCount, Store,
    VOTES_FILE, Vote, VoteRecord,
};
use crate::search::Decision;

/// What the report reads: the records' [`Summary`].
pub use crate::records::Summary;

/// Two wordings whose analysed terms overlap at least this much (Jaccard)
/// are one question…
pub const SIMILAR_TERMS: f64 = 0.65;
/// … as are two whose character bigrams overlap at least this much (typos,
/// spacing, a different particle).
pub const SIMILAR_CHARS: f64 = 0.8;

/// Errors reading the records.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(
        "no records at {0}: the bot keeps them in its state directory while it runs (`madoguchi serve --state DIR`); pass --state to read another directory, or --records URL for a database elsewhere"
    )]
    NoRecords(String),
    #[error(transparent)]
    Records(#[from] RecordsError),
}

/// Reads the records at `location`; the JSON-lines files of an earlier
/// version in the state directory `state` are imported first, once.
pub async fn read(state: &Path, location: &Location) -> Result<Summary, ReportError> {
    let old = state.join(QUESTIONS_FILE).is_file() || state.join(VOTES_FILE).is_file();
    let store = match Store::open(location, old).await {
        Err(RecordsError::Missing(_)) => return Err(ReportError::NoRecords(location.to_string())),
        store => store?,
    };
    if old {
        crate::records::import_old_files(&store, state).await?;
    }
    Ok(store.summary().await?)
}

/// A rate as every surface shows it (the text report, the page, `/stats`,
/// the weekly post): a percentage with one decimal.
pub fn percent(rate: f64) -> String {
    format!("{:.1}%", 100.0 * rate)
}

/// How a question is compared with others.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QuestionKey {
    /// Analysed content terms, sorted, without repeats.
    pub terms: Vec<String>,
    /// Character bigrams, sorted, without repeats.
    pub bigrams: Vec<String>,
}

impl QuestionKey {
    /// The key through the analysis chain: normalised, segmented, particles
    /// and filler dropped, base forms (whole words: the parts of a compound
    /// would make unrelated questions about 駐車場 and 駐車 look alike).
    pub fn analysed(analyzer: &Analyzer, question: &str) -> QuestionKey {
        let normalized = analyzer.normalize(question);
        let mut terms: Vec<String> = analyzer.content_terms(&normalized).unwrap_or_default();
        terms.sort();
        terms.dedup();
        let mut bigrams = analyzer.bigrams_of_normalized(&normalized);
        bigrams.sort();
        bigrams.dedup();
        QuestionKey { terms, bigrams }
    }

    /// A key from the characters alone (letters and digits, lowercased):
    /// no terms.
    pub fn plain(question: &str) -> QuestionKey {
        let chars: Vec<char> = question
            .chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect();
        let mut bigrams: Vec<String> = chars.windows(2).map(|w| w.iter().collect()).collect();
        if chars.len() == 1 {
            bigrams.push(chars[0].to_string());
        }
        bigrams.sort();
        bigrams.dedup();
        QuestionKey {
            terms: Vec::new(),
            bigrams,
        }
    }

    /// Share of bigrams the two have in common (Jaccard).
    pub fn overlap(&self, other: &QuestionKey) -> f64 {
        jaccard(&self.bigrams, &other.bigrams)
    }

    /// Whether two wordings ask the same thing: mostly the same analysed
    /// terms (so filler such as 「ってどうすればいい」 makes no likeness), or
    /// nearly the same characters.
    pub fn similar(&self, other: &QuestionKey) -> bool {
        (!self.terms.is_empty() && jaccard(&self.terms, &other.terms) >= SIMILAR_TERMS)
            || self.overlap(other) >= SIMILAR_CHARS
    }
}

/// The periods the no-match rate is given for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    Day,
    /// Weeks from Monday.
    Week,
}

/// What the report shows.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// How many groups, answers and programmes each list shows.
    pub top: usize,
    /// Days or weeks; `None`: days when the records span at most 31 days.
    pub period: Option<Period>,
    /// How many other wordings a group of unanswered questions lists.
    pub variants: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            top: 10,
            period: None,
            variants: 5,
        }
    }
}

/// The report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// First and last day with a question (in Japan).
    pub from: Option<Date>,
    pub to: Option<Date>,
    pub questions: u64,
    /// Answered at the "sure" level.
    pub answered: u64,
    /// Answered as 「もしかして」: programmes shown, not sure.
    pub did_you_mean: u64,
    pub did_you_mean_rate: f64,
    /// No programme shown (declined, out of scope, greetings, failures).
    pub unanswered: u64,
    /// Of the unanswered, those declined as about a topic the plan does
    /// not cover (with its referral).
    pub out_of_scope: u64,
    pub no_match_rate: f64,
    pub votes_up: u64,
    pub votes_down: u64,
    /// Record lines that did not parse.
    pub skipped: usize,
    /// Records with a time outside the sane range, skipped.
    pub out_of_range: usize,
    pub unanswered_groups: Vec<UnansweredGroup>,
    pub down_voted: Vec<DownVoted>,
    pub period: Period,
    pub no_match_over_time: Vec<PeriodRate>,
    pub top_programmes: Vec<ProgrammeCount>,
}

/// Unanswered questions that ask the same thing.
#[derive(Debug, Clone, Serialize)]
pub struct UnansweredGroup {
    /// How often any of the wordings was asked.
    pub count: u64,
    /// The wording asked most.
    pub question: String,
    /// Other wordings, most asked first.
    pub variants: Vec<Wording>,
    /// How many other wordings there are in all.
    pub wordings: usize,
    pub last: Date,
}

#[derive(Debug, Clone, Serialize)]
pub struct Wording {
    pub question: String,
    pub count: u64,
}

/// An answer that was voted 👎, with its question and what it showed.
#[derive(Debug, Clone, Serialize)]
pub struct DownVoted {
    /// `None` when the question is no longer in the records.
    pub question: Option<String>,
    pub down: u64,
    pub up: u64,
    pub faq: Option<String>,
    pub shown: Vec<Shown>,
    pub last: Date,
}

/// A programme an answer showed.
#[derive(Debug, Clone, Serialize)]
pub struct Shown {
    pub id: String,
    /// Its text in the current plan, if it is still there.
    pub text: Option<String>,
}

/// Questions, the no-match rate and the votes in one day or week.
#[derive(Debug, Clone, Serialize)]
pub struct PeriodRate {
    /// The day, or the Monday of the week.
    pub start: Date,
    pub questions: u64,
    pub unanswered: u64,
    /// The no-match rate.
    pub rate: f64,
    pub did_you_mean: u64,
    pub did_you_mean_rate: f64,
    /// 👍 and 👎 cast in the period (the latest vote of each voter; votes
    /// cast after the last question's period are left out of the series).
    pub up: u64,
    pub down: u64,
}

/// How often a programme was shown.
#[derive(Debug, Clone, Serialize)]
pub struct ProgrammeCount {
    pub id: String,
    /// Answers that showed it first.
    pub first: u64,
    /// Answers that showed it anywhere.
    pub shown: u64,
    /// Where it sits in the current plan and its text; `None` when the
    /// current plan has no such measure.
    pub place: Option<String>,
    pub text: Option<String>,
}

fn rate(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        (part as f64 / whole as f64 * 1000.0).round() / 1000.0
    }
}

/// Builds the report. `key` says how questions compare
/// ([`QuestionKey::analysed`] in the CLI); `knowledge` names the programmes.
pub fn build(
    records: &Summary,
    knowledge: Option<&Knowledge>,
    key: &(dyn Fn(&str) -> QuestionKey + Sync),
    options: &Options,
) -> Report {
    let totals = records.totals();
    let asked = records.days.iter().filter(|(_, c)| c.questions > 0);
    let from = asked.clone().map(|(d, _)| *d).next();
    let to = asked.map(|(d, _)| *d).next_back();
    let period = options.period.unwrap_or(match (from, to) {
        (Some(a), Some(b)) if b.days() - a.days() > 31 => Period::Week,
        _ => Period::Day,
    });
    let (votes_up, votes_down) = records.votes();
    Report {
        from,
        to,
        questions: totals.questions,
        answered: totals.answered,
        did_you_mean: totals.did_you_mean,
        did_you_mean_rate: rate(totals.did_you_mean, totals.questions),
        unanswered: totals.unanswered,
        out_of_scope: totals.out_of_scope,
        no_match_rate: rate(totals.unanswered, totals.questions),
        votes_up,
        votes_down,
        skipped: records.skipped,
        out_of_range: records.out_of_range,
        unanswered_groups: unanswered_groups(&records.unanswered, key, options),
        down_voted: down_voted(&records.votes, knowledge, options.top),
        period,
        no_match_over_time: over_time(&records.days, &records.votes, period),
        top_programmes: top_programmes(&records.programmes, knowledge, options.top),
    }
}

/// The `n` weeks up to the week of `today` (Mondays), from the weekly
/// periods of a report: weeks without questions as zeros.
pub fn recent_weeks(weekly: &[PeriodRate], today: Date, n: usize) -> Vec<PeriodRate> {
    let monday = today.days() - i64::from(today.weekday());
    let by_start: HashMap<i64, &PeriodRate> = weekly.iter().map(|p| (p.start.days(), p)).collect();
    (0..n as i64)
        .rev()
        .map(|i| {
            let start = monday - 7 * i;
            by_start.get(&start).map_or_else(
                || PeriodRate {
                    start: Date::from_days(start),
                    questions: 0,
                    unanswered: 0,
                    rate: 0.0,
                    did_you_mean: 0,
                    did_you_mean_rate: 0.0,
                    up: 0,
                    down: 0,
                },
                |p| (*p).clone(),
            )
        })
        .collect()
}

/// The text a wording is counted under: trimmed, inner whitespace single.
fn tidy(q: &str) -> String {
    crate::clean::collapse_spaces(q)
}

/// The queue of questions staff could teach the bot: the unanswered
/// questions of `recent` asked at or after `since` (seconds), declined ones
/// grouped by similar wording, most asked first (at most `top` groups);
/// questions about a topic out of scope and greetings are counted apart,
/// not gaps in the knowledge.
pub fn unanswered_queue(
    recent: &[QuestionRecord],
    since: u64,
    key: &(dyn Fn(&str) -> QuestionKey + Sync),
    top: usize,
) -> UnansweredQueue {
    let mut queue = UnansweredQueue::default();
    let mut asked = Vec::new();
    for r in recent.iter().filter(|r| !r.answered && r.ts >= since) {
        match r.decision {
            Some(Decision::OutOfScope) => queue.out_of_scope += 1,
            Some(Decision::Greeting) => queue.greetings += 1,
            _ => asked.push(Asked {
                query: r.query.clone(),
                count: 1,
                last: r.ts,
            }),
        }
    }
    queue.questions = asked.len();
    let options = Options {
        top: usize::MAX,
        period: None,
        variants: 0,
    };
    let mut groups = unanswered_groups(&asked, key, &options);
    queue.kinds = groups.len();
    groups.truncate(top);
    queue.groups = groups;
    queue
}

/// What `/unanswered` shows: see [`unanswered_queue`].
#[derive(Debug, Clone, Default)]
pub struct UnansweredQueue {
    /// Declined questions, and how many different questions they are.
    pub questions: usize,
    pub kinds: usize,
    /// The most asked of them.
    pub groups: Vec<UnansweredGroup>,
    pub out_of_scope: usize,
    pub greetings: usize,
}

fn unanswered_groups(
    asked: &[Asked],
    key: &(dyn Fn(&str) -> QuestionKey + Sync),
    options: &Options,
) -> Vec<UnansweredGroup> {
    if options.top == 0 {
        return Vec::new();
    }
    // Distinct wordings with their counts, most asked first.
    let mut wordings: HashMap<String, (u64, u64)> = HashMap::new();
    for a in asked {
        let w = tidy(&a.query);
        if w.is_empty() {
            continue;
        }
        let e = wordings.entry(w).or_insert((0, 0));
        e.0 += a.count;
        e.1 = e.1.max(a.last);
    }
    let mut wordings: Vec<(String, u64, u64)> =
        wordings.into_iter().map(|(w, (n, t))| (w, n, t)).collect();
    wordings.sort_by(|a, b| b.1.cmp(&a.1).then(b.2.cmp(&a.2)).then(a.0.cmp(&b.0)));

    struct Group {
        members: Vec<(String, u64)>,
        count: u64,
        last: u64,
    }
    let texts: Vec<&str> = wordings.iter().map(|(w, _, _)| w.as_str()).collect();
    let group_of = group::assign(&texts, key);
    let mut groups: Vec<Group> = Vec::new();
    for ((wording, count, last), g) in wordings.into_iter().zip(group_of) {
        if g == groups.len() {
            groups.push(Group {
                members: Vec::new(),
                count: 0,
                last: 0,
            });
        }
        let group = &mut groups[g];
        group.members.push((wording, count));
        group.count += count;
        group.last = group.last.max(last);
    }
    groups.sort_by(|a, b| b.count.cmp(&a.count).then(b.last.cmp(&a.last)));
    groups
        .into_iter()
        .take(options.top)
        .map(|g| {
            let mut members = g.members.into_iter();
            let (question, _) = members.next().expect("a group has a wording");
            let rest: Vec<Wording> = members
                .map(|(question, count)| Wording { question, count })
                .collect();
            UnansweredGroup {
                count: g.count,
                question,
                wordings: rest.len(),
                variants: rest.into_iter().take(options.variants).collect(),
                last: Date::in_japan(g.last as i64),
            }
        })
        .collect()
}

fn down_voted(votes: &[VoteRecord], knowledge: Option<&Knowledge>, top: usize) -> Vec<DownVoted> {
    // One entry per question and what was shown for it.
    type Key = (Option<String>, Vec<String>, Option<String>);
    let mut entries: BTreeMap<Key, (u64, u64, u64)> = BTreeMap::new();
    for v in votes {
        let question = v.query.as_deref().map(tidy);
        let e = entries
            .entry((question, v.shown.clone(), v.faq.clone()))
            .or_insert((0, 0, 0));
        match v.vote {
            Vote::Down => e.0 += 1,
            Vote::Up => e.1 += 1,
        }
        e.2 = e.2.max(v.ts);
    }
    let mut out: Vec<DownVoted> = entries
        .into_iter()
        .filter(|(_, (down, _, _))| *down > 0)
        .map(|((question, shown, faq), (down, up, last))| DownVoted {
            question,
            down,
            up,
            faq,
            shown: shown
                .into_iter()
                .map(|id| Shown {
                    text: knowledge
                        .and_then(|k| k.measure(&id))
                        .map(|m| m.text.clone()),
                    id,
                })
                .collect(),
            last: Date::in_japan(last as i64),
        })
        .collect();
    out.sort_by(|a, b| {
        b.down
            .cmp(&a.down)
            .then(a.up.cmp(&b.up))
            .then(b.last.cmp(&a.last))
    });
    out.truncate(top);
    out
}

/// Questions and votes per day or week. Votes fall in the days or weeks of
/// the questions (a vote cast long after does not stretch the series).
pub fn over_time(
    days: &[(Date, DayCounts)],
    votes: &[VoteRecord],
    period: Period,
) -> Vec<PeriodRate> {
    let start_of = |d: Date| match period {
        Period::Day => d,
        Period::Week => Date::from_days(d.days() - i64::from(d.weekday())),
    };
    // Questions, unanswered, 「もしかして」, 👍, 👎.
    let mut buckets: BTreeMap<Date, [u64; 5]> = BTreeMap::new();
    for (day, c) in days.iter().filter(|(_, c)| c.questions > 0) {
        let b = buckets.entry(start_of(*day)).or_default();
        b[0] += c.questions;
        b[1] += c.unanswered;
        b[2] += c.did_you_mean;
    }
    let span = buckets
        .keys()
        .next()
        .copied()
        .zip(buckets.keys().next_back().copied());
    for v in votes {
        let start = start_of(Date::in_japan(v.ts as i64));
        if span.is_some_and(|(first, last)| first <= start && start <= last) {
            let b = buckets.entry(start).or_default();
            match v.vote {
                Vote::Up => b[3] += 1,
                Vote::Down => b[4] += 1,
            }
        }
    }
    // Days or weeks without questions are shown too, as zeros.
    let step = match period {
        Period::Day => 1,
        Period::Week => 7,
    };
    let (Some(first), Some(last)) = (
        buckets.keys().next().copied(),
        buckets.keys().next_back().copied(),
    ) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut d = first.days();
    while d <= last.days() {
        let start = Date::from_days(d);
        let [n, un, dym, up, down] = buckets.get(&start).copied().unwrap_or_default();
        out.push(PeriodRate {
            start,
            questions: n,
            unanswered: un,
            rate: rate(un, n),
            did_you_mean: dym,
            did_you_mean_rate: rate(dym, n),
            up,
            down,
        });
        d += step;
    }
    out
}

fn top_programmes(
    shown: &[ShownCount],
    knowledge: Option<&Knowledge>,
    top: usize,
) -> Vec<ProgrammeCount> {
    let counts = shown.iter().map(|c| (c.id.as_str(), (c.first, c.shown)));
    let mut out: Vec<ProgrammeCount> = counts
        .into_iter()
        .map(|(id, (first, shown))| {
            let m = knowledge.and_then(|k| k.measure(id).map(|m| (k, m)));
            ProgrammeCount {
                id: id.to_string(),
                first,
                shown,
                place: m.map(|(k, m)| k.place(m)),
                text: m.map(|(_, m)| m.text.clone()),
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.first
            .cmp(&a.first)
            .then(b.shown.cmp(&a.shown))
            .then(a.id.cmp(&b.id))
    });
    out.truncate(top);
    out
}

impl Report {
    /// The report for a terminal.
    pub fn to_text(&self) -> String {
        let mut o = String::new();
        let span = match (self.from, self.to) {
            (Some(a), Some(b)) => format!("{a} 〜 {b}"),
            _ => "記録なし".to_string(),
        };
        let _ = writeln!(o, "madoguchi 利用レポート（{span}、日付は日本時間）");
        let _ = writeln!(
            o,
            "質問 {} 件 ・回答 {} 件 ・もしかして {} 件（{}） ・該当なし {} 件（{}、うち対象外 {} 件） ・👍 {} ・👎 {}",
            self.questions,
            self.answered,
            self.did_you_mean,
            percent(self.did_you_mean_rate),
            self.unanswered,
            percent(self.no_match_rate),
            self.out_of_scope,
            self.votes_up,
            self.votes_down
        );
        if self.skipped > 0 {
            let _ = writeln!(o, "（読めなかった記録 {} 行は飛ばしました）", self.skipped);
        }
        if self.out_of_range > 0 {
            let _ = writeln!(
                o,
                "（日時がありえない記録 {} 件は飛ばしました）",
                self.out_of_range
            );
        }

        let _ = writeln!(
            o,
            "\n■ 回答できなかった質問（多い順、言い回しの近いものはまとめています）"
        );
        if self.unanswered_groups.is_empty() {
            let _ = writeln!(o, "  （なし）");
        }
        for (i, g) in self.unanswered_groups.iter().enumerate() {
            let _ = writeln!(o, "{:>3}. {}件  {}", i + 1, g.count, g.question);
            for v in &g.variants {
                let _ = writeln!(o, "        ・{}（{}件）", v.question, v.count);
            }
            if g.wordings > g.variants.len() {
                let _ = writeln!(
                    o,
                    "        ・ほか {} 通りの言い方",
                    g.wordings - g.variants.len()
                );
            }
            let _ = writeln!(o, "        最後: {}", g.last);
        }

        let _ = writeln!(o, "\n■ 👎 がついた回答");
        if self.down_voted.is_empty() {
            let _ = writeln!(o, "  （なし）");
        }
        for (i, d) in self.down_voted.iter().enumerate() {
            let _ = writeln!(
                o,
                "{:>3}. 👎{} 👍{}  {}",
                i + 1,
                d.down,
                d.up,
                d.question
                    .as_deref()
                    .unwrap_or("（質問は記録に残っていません）")
            );
            if let Some(f) = &d.faq {
                let _ = writeln!(o, "        FAQ: {f}");
            }
            for s in &d.shown {
                let _ = writeln!(
                    o,
                    "        [{}] {}",
                    s.id,
                    s.text.as_deref().unwrap_or("（現行の計画にない支援策）")
                );
            }
            let _ = writeln!(o, "        最後: {}", d.last);
        }

        let unit = match self.period {
            Period::Day => "日ごと",
            Period::Week => "週ごと、月曜から",
        };
        let _ = writeln!(o, "\n■ 該当なし率・もしかして率の推移（{unit}）");
        if self.no_match_over_time.is_empty() {
            let _ = writeln!(o, "  （なし）");
        }
        for p in &self.no_match_over_time {
            let bar = "█".repeat((p.rate * 20.0).round() as usize);
            let _ = writeln!(
                o,
                "  {}  質問 {:>4}  該当なし {:>4}  {:>5.1}% {bar:<20}  もしかして {:>4}  {:>5.1}%",
                p.start,
                p.questions,
                p.unanswered,
                100.0 * p.rate,
                p.did_you_mean,
                100.0 * p.did_you_mean_rate
            );
        }

        let _ = writeln!(o, "\n■ よく表示された支援策（1位に表示された回数順）");
        if self.top_programmes.is_empty() {
            let _ = writeln!(o, "  （なし）");
        }
        for (i, p) in self.top_programmes.iter().enumerate() {
            let _ = writeln!(
                o,
                "{:>3}. 1位 {}回 ・表示 {}回  [{}] {}",
                i + 1,
                p.first,
                p.shown,
                p.id,
                p.text.as_deref().unwrap_or("（現行の計画にない支援策）")
            );
            if let Some(place) = &p.place {
                let _ = writeln!(o, "        {place}");
            }
        }
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::{QuestionRecord, Source};
    use crate::search::Decision;

    /// 2024-05-01 10:00 in Japan.
    const MAY_1: u64 = 1_714_525_200;
    const DAY: u64 = 86_400;

    fn q(answer: u64, ts: u64, query: &str, shown: &[&str]) -> QuestionRecord {
        QuestionRecord {
            ts,
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
            confidence: if shown.is_empty() { 0.0 } else { 0.9 },
            shown: shown.iter().map(|s| s.to_string()).collect(),
            faq: None,
            guild: None,
        }
    }

    fn vote(answer: u64, ts: u64, v: Vote) -> VoteRecord {
        VoteRecord {
            ts,
            answer,
            vote: v,
            query: None,
            shown: Vec::new(),
            faq: None,
            guild: None,
            voter: None,
        }
    }

    /// The records of [`fixture`], with one line that could not be read.
    fn summary(questions: &[QuestionRecord], votes: Vec<VoteRecord>) -> Summary {
        Summary {
            skipped: 1,
            ..Summary::from_records(questions, votes)
        }
    }

    fn fixture() -> Summary {
        let (questions, votes) = fixture_records();
        summary(&questions, votes)
    }

    /// A fixture: three days of questions, some unanswered in several
    /// wordings, some answers voted.
    fn fixture_records() -> (Vec<QuestionRecord>, Vec<VoteRecord>) {
        let questions = vec![
            q(1, MAY_1, "カピバラを飼う補助はありますか", &[]),
            q(2, MAY_1 + 60, "カピバラを飼う補助はありますか？", &[]),
            q(
                3,
                MAY_1 + 120,
                "テレワークの機器の補助",
                &["2.tokyo.b.3", "2.tokyo.a"],
            ),
            q(4, MAY_1 + DAY, "カピバラを飼う補助はありますか", &[]),
            q(5, MAY_1 + DAY, "カピバラを飼う補助 ありますか", &[]),
            q(6, MAY_1 + DAY + 5, "明日の天気", &[]),
            q(7, MAY_1 + DAY + 9, "人手不足で困っている", &["6.tokyo.a"]),
            q(
                8,
                MAY_1 + 2 * DAY,
                "テレワークの機器の補助",
                &["2.tokyo.b.3"],
            ),
            q(
                9,
                MAY_1 + 2 * DAY,
                "育児休業の取得を進めたい",
                &["5.tokyo.b"],
            ),
        ];
        let mut recorded = vote(7, MAY_1 + DAY + 30, Vote::Down);
        recorded.query = Some("人手不足で困っている".into());
        recorded.shown = vec!["6.tokyo.a".into()];
        let votes = vec![
            vote(3, MAY_1 + 200, Vote::Down),
            vote(3, MAY_1 + 300, Vote::Down),
            vote(3, MAY_1 + 400, Vote::Up),
            recorded,
            vote(9, MAY_1 + 2 * DAY + 50, Vote::Up),
            vote(999, MAY_1 + 2 * DAY + 60, Vote::Down),
        ];
        (questions, votes)
    }

    fn report(options: Options) -> Report {
        build(&fixture(), None, &QuestionKey::plain, &options)
    }

    #[test]
    fn near_duplicate_unanswered_questions_are_one_group() {
        let r = report(Options::default());
        assert_eq!(r.questions, 9);
        assert_eq!(r.unanswered, 5);
        assert_eq!(r.unanswered_groups.len(), 2, "{:#?}", r.unanswered_groups);
        let top = &r.unanswered_groups[0];
        assert_eq!(top.count, 4);
        assert_eq!(top.question, "カピバラを飼う補助はありますか");
        assert_eq!(top.wordings, 2);
        assert_eq!(top.last.to_string(), "2024-05-02");
        assert_eq!(r.unanswered_groups[1].question, "明日の天気");
        assert_eq!(r.unanswered_groups[1].count, 1);
    }

    #[test]
    fn terms_group_wordings_that_share_few_characters() {
        let key = |s: &str| QuestionKey {
            terms: if s.contains("カピバラ") || s.contains("かぴばら") {
                vec!["カピバラ".into(), "補助".into()]
            } else {
                Vec::new()
            },
            ..QuestionKey::plain(s)
        };
        let (mut questions, votes) = fixture_records();
        questions.push(q(10, MAY_1 + 2 * DAY, "かぴばらの補助", &[]));
        let r = build(&summary(&questions, votes), None, &key, &Options::default());
        assert_eq!(r.unanswered_groups[0].count, 5);
    }

    #[test]
    fn shared_filler_does_not_make_questions_alike() {
        // Terms as the analyser would give them: the filler is dropped.
        let key = |s: &str| QuestionKey {
            terms: ["補助", "窓口", "天気", "知る"]
                .iter()
                .filter(|t| s.contains(*t) || (**t == "知る" && s.contains("知り")))
                .map(|t| t.to_string())
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect(),
            ..QuestionKey::plain(s)
        };
        let a = key("補助の窓口ってどうすればいい");
        assert!(!a.similar(&key("天気の窓口ってどうすればいい")));
        assert!(a.similar(&key("補助の窓口について教えて")));
        assert!(a.similar(&key("窓口の補助を知りたい")));
        assert!(!key("天気").similar(&key("天気の窓口を知りたい")));
    }

    #[test]
    fn down_voted_answers_come_with_their_questions() {
        let r = report(Options::default());
        assert_eq!(r.votes_down, 4);
        assert_eq!(r.votes_up, 2);
        assert_eq!(r.down_voted.len(), 3, "{:#?}", r.down_voted);
        let first = &r.down_voted[0];
        assert_eq!(first.question.as_deref(), Some("テレワークの機器の補助"));
        assert_eq!((first.down, first.up), (2, 1));
        let ids: Vec<&str> = first.shown.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["2.tokyo.b.3", "2.tokyo.a"]);
        assert!(
            r.down_voted
                .iter()
                .any(|d| d.question.as_deref() == Some("人手不足で困っている"))
        );
        // A vote on an answer the records no longer have.
        assert!(r.down_voted.iter().any(|d| d.question.is_none()));
    }

    #[test]
    fn the_no_match_rate_is_given_per_day_and_per_week() {
        let r = report(Options::default());
        assert_eq!(r.period, Period::Day);
        let days: Vec<(String, u64, u64)> = r
            .no_match_over_time
            .iter()
            .map(|p| (p.start.to_string(), p.questions, p.unanswered))
            .collect();
        assert_eq!(
            days,
            [
                ("2024-05-01".to_string(), 3, 2),
                ("2024-05-02".to_string(), 4, 3),
                ("2024-05-03".to_string(), 2, 0)
            ]
        );
        assert!((r.no_match_over_time[0].rate - 0.667).abs() < 1e-9);
        let weekly = report(Options {
            period: Some(Period::Week),
            ..Options::default()
        });
        // 2024-05-01 is a Wednesday: its week starts on Monday 04-29.
        assert_eq!(weekly.no_match_over_time.len(), 1);
        assert_eq!(weekly.no_match_over_time[0].start.to_string(), "2024-04-29");
        assert_eq!(weekly.no_match_over_time[0].questions, 9);
    }

    #[test]
    fn the_queue_groups_declined_wordings_and_counts_other_topics_apart() {
        let now = MAY_1 + 10 * DAY;
        let since = now - 7 * DAY;
        let mut recent = vec![
            q(1, now - 10, "今日の天気は？", &[]),
            q(2, now - 20, "今日の天気は?", &[]),
            q(4, now - 40, "面接で内定を出すと辞退される", &[]),
            // Too old for the period.
            q(5, since - 1, "面接で内定を出すと辞退される", &[]),
            // Answered: not in the queue.
            q(6, now - 50, "テレワークの補助", &["2.tokyo.b.3"]),
        ];
        recent.push(QuestionRecord {
            decision: Some(Decision::OutOfScope),
            ..q(7, now - 60, "神奈川県の補助金", &[])
        });
        recent.push(QuestionRecord {
            decision: Some(Decision::Greeting),
            ..q(8, now - 70, "こんにちは", &[])
        });
        let queue = unanswered_queue(&recent, since, &QuestionKey::plain, 10);
        assert_eq!(
            (queue.questions, queue.out_of_scope, queue.greetings),
            (3, 1, 1)
        );
        assert_eq!(queue.kinds, 2, "{:?}", queue.groups);
        assert_eq!(queue.groups[0].count, 2, "the weather asked two ways");
        assert_eq!(queue.groups[1].count, 1);
        assert_eq!(queue.groups[1].question, "面接で内定を出すと辞退される");
        let first = unanswered_queue(&recent, since, &QuestionKey::plain, 1);
        assert_eq!((first.groups.len(), first.kinds), (1, 2));
    }

    #[test]
    fn did_you_mean_answers_are_counted_apart_from_answered_and_unanswered() {
        let (mut questions, votes) = fixture_records();
        let day3 = MAY_1 + 2 * DAY;
        let unsure = QuestionRecord {
            sure: false,
            decision: Some(Decision::DidYouMean),
            ..q(20, day3 + 10, "テレワ的な何か", &["2.tokyo.b.3"])
        };
        let out = QuestionRecord {
            decision: Some(Decision::OutOfScope),
            ..q(21, day3 + 20, "神奈川県のテレワーク補助金", &[])
        };
        // A record from before decisions were noted: answered, not sure.
        let old: QuestionRecord = serde_json::from_str(&format!(
            "{{\"ts\":{},\"answer\":22,\"source\":\"dm\",\"query\":\"昔の質問\",\"answered\":true,\"sure\":false,\"confidence\":0.4,\"shown\":[\"6.tokyo.a\"],\"faq\":null}}",
            day3 + 30
        ))
        .unwrap();
        assert_eq!(old.decision, None);
        questions.extend([unsure, out, old]);
        let records = summary(&questions, votes);
        let r = build(&records, None, &QuestionKey::plain, &Options::default());
        assert_eq!(
            (
                r.questions,
                r.answered,
                r.did_you_mean,
                r.unanswered,
                r.out_of_scope
            ),
            (12, 4, 2, 6, 1)
        );
        assert!((r.did_you_mean_rate - 0.167).abs() < 1e-9);
        assert!((r.no_match_rate - 0.5).abs() < 1e-9, "declines as before");
        let last = &r.no_match_over_time[2];
        assert_eq!(
            (last.questions, last.unanswered, last.did_you_mean),
            (5, 1, 2)
        );
        assert!((last.rate - 0.2).abs() < 1e-9 && (last.did_you_mean_rate - 0.4).abs() < 1e-9);
        let text = r.to_text();
        for want in [
            "質問 12 件 ・回答 4 件 ・もしかして 2 件（16.7%） ・該当なし 6 件（50.0%、うち対象外 1 件）",
            "もしかして率",
            "2024-05-03  質問    5  該当なし    1   20.0% ████",
            "もしかして    2   40.0%",
        ] {
            assert!(text.contains(want), "missing {want:?} in\n{text}");
        }
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["did_you_mean"], 2);
        assert_eq!(v["out_of_scope"], 1);
        assert_eq!(v["answered"], 4);
        assert_eq!(v["no_match_over_time"][2]["did_you_mean"], 2);
    }

    #[test]
    fn votes_are_counted_per_period() {
        let r = report(Options::default());
        let votes: Vec<(u64, u64)> = r
            .no_match_over_time
            .iter()
            .map(|p| (p.up, p.down))
            .collect();
        // Day 1: 👎👎👍 on answer 3 (the latest vote of each voter: all
        // three, having no voter); day 2: 👎; day 3: 👍 and 👎.
        assert_eq!(votes, [(1, 2), (0, 1), (1, 1)]);
        // A vote a month after the last question: in the totals, not in the
        // series, which still ends with the questions.
        let mut records = fixture();
        records.votes.push(vote(9, MAY_1 + 30 * DAY, Vote::Up));
        let r = build(&records, None, &QuestionKey::plain, &Options::default());
        assert_eq!(r.votes_up, 3);
        assert_eq!(r.no_match_over_time.len(), 3);
    }

    #[test]
    fn recent_weeks_end_this_week_with_zeros_where_nothing_was_asked() {
        let weekly = report(Options {
            period: Some(Period::Week),
            ..Options::default()
        });
        // 2024-05-15 is the Wednesday two weeks after the fixture's week.
        let today: Date = "2024-05-15".parse().unwrap();
        let weeks = recent_weeks(&weekly.no_match_over_time, today, 4);
        let starts: Vec<String> = weeks.iter().map(|w| w.start.to_string()).collect();
        assert_eq!(
            starts,
            ["2024-04-22", "2024-04-29", "2024-05-06", "2024-05-13"]
        );
        let counts: Vec<u64> = weeks.iter().map(|w| w.questions).collect();
        assert_eq!(counts, [0, 9, 0, 0]);
    }

    #[test]
    fn days_without_questions_are_zeros() {
        let (mut questions, votes) = fixture_records();
        questions.push(q(
            11,
            MAY_1 + 5 * DAY,
            "テレワークの機器の補助",
            &["2.tokyo.b.3"],
        ));
        let records = summary(&questions, votes);
        let r = build(&records, None, &QuestionKey::plain, &Options::default());
        assert_eq!(r.no_match_over_time.len(), 6);
        assert_eq!(r.no_match_over_time[3].questions, 0);
        assert_eq!(r.no_match_over_time[3].rate, 0.0);
    }

    #[test]
    fn programmes_shown_first_most_come_first() {
        let r = report(Options {
            top: 2,
            ..Options::default()
        });
        assert_eq!(r.top_programmes.len(), 2);
        assert_eq!(r.top_programmes[0].id, "2.tokyo.b.3");
        assert_eq!(
            (r.top_programmes[0].first, r.top_programmes[0].shown),
            (2, 2)
        );
    }

    #[test]
    fn the_text_report_has_every_section_and_the_json_its_fields() {
        let r = report(Options::default());
        let text = r.to_text();
        for want in [
            "2024-05-01 〜 2024-05-03",
            "質問 9 件",
            "4件  カピバラを飼う補助はありますか",
            "👎2 👍1  テレワークの機器の補助",
            "2024-05-02  質問    4  該当なし    3",
            "[2.tokyo.b.3]",
            "読めなかった記録 1 行",
        ] {
            assert!(text.contains(want), "missing {want:?} in\n{text}");
        }
        let v = serde_json::to_value(&r).unwrap();
        for field in [
            "unanswered_groups",
            "down_voted",
            "no_match_over_time",
            "top_programmes",
            "no_match_rate",
        ] {
            assert!(v.get(field).is_some(), "{field}");
        }
        assert_eq!(v["from"], "2024-05-01");
    }

    #[test]
    fn empty_records_make_an_empty_report() {
        let r = build(
            &Summary::default(),
            None,
            &QuestionKey::plain,
            &Options::default(),
        );
        assert_eq!(r.questions, 0);
        assert!(r.no_match_over_time.is_empty());
        assert!(r.to_text().contains("記録なし"));
    }

    #[tokio::test]
    async fn records_are_read_from_a_state_directory() {
        let dir = tempfile::tempdir().unwrap();
        let at = Location::in_state(dir.path());
        assert!(matches!(
            read(dir.path(), &at).await,
            Err(ReportError::NoRecords(_))
        ));
        // A database given elsewhere is named, not the state directory.
        let elsewhere = Location::parse("sqlite:///nonexistent/x.sqlite3").unwrap();
        let e = read(dir.path(), &elsewhere).await.unwrap_err().to_string();
        assert!(
            e.contains("no records at sqlite:///nonexistent/x.sqlite3"),
            "{e}"
        );
        // Records of an earlier version, with a torn last line: imported.
        let lines: String = fixture_records()
            .0
            .iter()
            .map(|q| serde_json::to_string(q).unwrap() + "\n")
            .collect();
        std::fs::write(dir.path().join(QUESTIONS_FILE), lines + "{\"ts\": 1, \"ans").unwrap();
        let r = read(dir.path(), &at).await.unwrap();
        assert_eq!(r.totals().questions, 9);
        assert_eq!(r.skipped, 1);
        assert!(r.votes.is_empty());
        let report = build(&r, None, &QuestionKey::plain, &Options::default());
        let expected = build(&fixture(), None, &QuestionKey::plain, &Options::default());
        assert_eq!(
            serde_json::to_value(&report.unanswered_groups).unwrap(),
            serde_json::to_value(&expected.unanswered_groups).unwrap()
        );
        // (Only questions were written: the votes of the fixture are not.)
        let questions = |r: &Report| -> Vec<(Date, u64, u64, u64)> {
            r.no_match_over_time
                .iter()
                .map(|p| (p.start, p.questions, p.unanswered, p.did_you_mean))
                .collect()
        };
        assert_eq!(questions(&report), questions(&expected));
        // Read again: nothing imported twice.
        assert_eq!(read(dir.path(), &at).await.unwrap().totals().questions, 9);
    }

    #[tokio::test]
    async fn records_with_absurd_times_are_skipped_and_counted() {
        let dir = tempfile::tempdir().unwrap();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let mut questions: Vec<QuestionRecord> = fixture_records()
            .0
            .into_iter()
            .map(|r| QuestionRecord {
                ts: r.ts - MAY_1 + now - 3 * DAY,
                ..r
            })
            .collect();
        for ts in [
            1_000_000_000_000_000,
            i64::MAX as u64,
            u64::MAX,
            0,
            now + 2 * DAY,
        ] {
            questions.push(q(77, ts, "時計の壊れた質問", &[]));
        }
        let lines: String = questions
            .iter()
            .map(|q| serde_json::to_string(q).unwrap() + "\n")
            .collect();
        std::fs::write(dir.path().join(QUESTIONS_FILE), lines).unwrap();
        let mut votes = vote(3, i64::MAX as u64, Vote::Down);
        votes.query = Some("x".into());
        std::fs::write(
            dir.path().join(VOTES_FILE),
            serde_json::to_string(&votes).unwrap() + "\n",
        )
        .unwrap();
        let r = read(dir.path(), &Location::in_state(dir.path()))
            .await
            .unwrap();
        assert_eq!(
            (r.totals().questions, r.votes.len(), r.out_of_range),
            (9, 0, 6)
        );
        let report = build(&r, None, &QuestionKey::plain, &Options::default());
        assert_eq!(report.out_of_range, 6);
        assert!(report.no_match_over_time.len() <= 4);
        assert!(report.to_text().contains("日時がありえない記録 6 件"));
    }
}
