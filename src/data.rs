//! The knowledge staff edit: the plan (areas and measures), FAQ entries,
//! referral channels, synonyms and the user dictionary, read from `data/`.
//!
//! Loading is all-or-nothing: every problem in every file is collected into a
//! [`Problems`] list naming the file, the line, the entry and how to fix it,
//! and a [`Knowledge`] is returned only when there are none. Nothing here ever
//! writes to `data/`.
//!
//! Layout of `data/`:
//! - `plan.toml`: `[plan]` (title, year, start date), `[[area]]`, `[[measure]]`
//! - `plans/*.toml` (optional): more plans in the same format, e.g. next
//!   year's. The newest plan whose start date has come ([`load_on`] is given
//!   the date) is the current one: only its areas and measures are loaded for
//!   answering, and only the FAQ entries that belong to it. An FAQ entry
//!   belongs to the plan its `plan` key names (a plan's start date), or, with
//!   no `plan` key, to the current plan and every later one. Every plan and
//!   every entry is validated, current or not.
//! - `channels.toml`: `[[channel]]` referral channels linked to measures/areas
//! - `faq/*.toml`: `[[faq]]` entries
//! - `synonyms.toml`: `[[group]]` equivalent words, `[[rule]]` one-way expansions
//! - `userdict.csv`: `surface,part_of_speech,reading` rows for the segmenter
//! - `messages.toml`: the fixed sentences and headings of an answer
//! - `phrases.toml`, `english.toml`, `scope.toml`: set phrases, the English
//!   vocabulary and the topics out of scope ([`language`])

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::fs;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use toml::Spanned;

mod language;
pub use language::{
    ActorNames, ENGLISH_FILE, English, EnglishTerm, Language, PHRASES_FILE, Phrases, SCOPE_FILE,
    ScopeTopic,
};

/// Who carries out a measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Actor {
    #[serde(rename = "都")]
    Tokyo,
    #[serde(rename = "東京商工会議所")]
    Chamber,
}

impl Actor {
    pub fn as_str(self) -> &'static str {
        match self {
            Actor::Tokyo => "都",
            Actor::Chamber => "東京商工会議所",
        }
    }
}

/// A calendar date (`YYYY-MM-DD`), for plan start dates and "today".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: i32,
    month: u32,
    day: u32,
}

/// A date that does not parse.
#[derive(Debug, Clone, thiserror::Error)]
#[error("`{0}` is not a date in the form YYYY-MM-DD")]
pub struct DateError(String);

impl Date {
    /// A date from its parts, if it exists.
    pub fn new(year: i32, month: u32, day: u32) -> Option<Date> {
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        (1..=days)
            .contains(&day)
            .then_some(Date { year, month, day })
    }

    /// The date `days` days after 1970-01-01 (proleptic Gregorian).
    pub fn from_days(days: i64) -> Date {
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }

    /// Days since 1970-01-01.
    pub fn days(self) -> i64 {
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y.rem_euclid(400);
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// Day of the week, 0 for Monday to 6 for Sunday.
    pub fn weekday(self) -> u32 {
        (self.days() + 3).rem_euclid(7) as u32
    }

    /// The date in Japan (UTC+9, no daylight saving) at `secs` seconds after
    /// the Unix epoch.
    pub fn in_japan(secs: i64) -> Date {
        Date::from_days((secs + 9 * 3600).div_euclid(86_400))
    }
}

impl std::str::FromStr for Date {
    type Err = DateError;

    fn from_str(s: &str) -> Result<Date, DateError> {
        let bad = || DateError(s.to_string());
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(bad());
        }
        let digits = |r: Range<usize>| -> Result<u32, DateError> {
            let part = &s[r];
            if part.bytes().all(|c| c.is_ascii_digit()) {
                part.parse().map_err(|_| bad())
            } else {
                Err(bad())
            }
        };
        let year = digits(0..4)? as i32;
        Date::new(year, digits(5..7)?, digits(8..10)?).ok_or_else(bad)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// What the knowledge rests on.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PlanInfo {
    pub title: String,
    /// Year as the plan names it, e.g. `令和5年度（2023年度）`.
    pub year: String,
    /// Date the plan is in force from, `YYYY-MM-DD`.
    pub start: String,
    pub parties: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Area {
    pub number: u32,
    pub title: String,
    /// Short everyday name, e.g. `テレワーク`.
    pub short: String,
    pub aims: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Measure {
    pub id: String,
    pub area: u32,
    pub actor: Actor,
    pub label: String,
    pub text: String,
}

impl Measure {
    /// The id of the item this bullet sits under (`2.tokyo.b` for
    /// `2.tokyo.b.3`), if it is a bullet.
    pub fn parent_id(&self) -> Option<&str> {
        let (head, tail) = self.id.rsplit_once('.')?;
        tail.chars()
            .all(|c| c.is_ascii_digit())
            .then_some(head)
            .filter(|h| h.matches('.').count() == 2)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Faq {
    pub id: String,
    pub question: String,
    pub alternates: Vec<String>,
    pub answer: String,
    pub measures: Vec<String>,
    pub tags: Vec<String>,
    /// The start date of the plan the entry names, if it names one;
    /// otherwise it follows the current plan.
    pub plan: Option<String>,
    pub file: PathBuf,
    pub line: usize,
}

/// What kind of place a referral channel is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChannelKind {
    /// Somewhere to ask: a desk, a centre, an advisor.
    Contact,
    /// A service to use directly, such as a job site.
    Service,
    /// Where the chamber publishes information.
    Info,
    /// An event or publication.
    Event,
}

#[derive(Debug, Clone, Serialize)]
pub struct Channel {
    pub id: String,
    pub name: String,
    pub kind: ChannelKind,
    pub operator: String,
    pub description: String,
    pub measures: Vec<String>,
    pub areas: Vec<u32>,
    pub default: bool,
    pub url: Option<String>,
    pub contact: Option<String>,
}

/// Synonyms: groups of interchangeable words and one-way rules.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Synonyms {
    pub groups: Vec<Vec<String>>,
    pub rules: Vec<Rule>,
}

/// When any of `when` occurs in a question, `add` is searched as well.
#[derive(Debug, Clone, Serialize)]
pub struct Rule {
    pub when: Vec<String>,
    pub add: Vec<String>,
}

/// The fixed sentences and headings of an answer (`messages.toml`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Messages {
    pub no_match: String,
    pub did_you_mean: String,
    pub programmes_heading: String,
    pub faq_heading: String,
    pub referrals_heading: String,
    /// With `{title}`, `{year}` and `{start}` placeholders.
    pub basis: String,
    /// The Discord bot's `/help` text.
    pub help: String,
    /// Shown when a user asks again within the cooldown.
    pub cooldown: String,
    /// Shown when a question is too long; `{max}` is the limit.
    pub too_long: String,
    /// Thanks for a 👍/👎 vote.
    pub vote_thanks: String,
    /// Refusal of a staff command to someone who is not staff.
    pub staff_only: String,
    /// Refusal of a staff command when no server is configured whose staff
    /// may use them.
    pub staff_unconfigured: String,
    /// Placeholder of the area menu of `/programs`.
    pub area_prompt: String,
    /// Placeholder of the menu of candidates on a low-confidence answer.
    pub candidates_placeholder: String,
    /// `/reload` succeeded.
    pub reload_ok: String,
    /// `/reload` found problems; the problems follow.
    pub reload_failed: String,
    /// A question about a topic the plan does not cover; `{topic}` is its
    /// name.
    pub out_of_scope: String,
    /// Staff-channel note: `data/` was replaced and the bot now follows the
    /// new directory; `{dir}` is where it leads.
    pub data_reattached: String,
    /// Staff-channel note: the bot started on the last good knowledge
    /// because `data/` has problems; the problems follow.
    pub started_on_last_good: String,
    /// Staff-channel note: the data directory `{dir}` was deleted.
    pub data_dir_removed: String,
    /// Staff-channel note: the data directory `{dir}` was replaced.
    pub data_dir_replaced: String,
    /// The words of the HTML report and of the charts for staff.
    pub report: ReportMessages,
}

/// The words of `report --html` and of the `/stats` chart (`[report]` in
/// `messages.toml`). Placeholders in braces are filled in by the program.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportMessages {
    pub title: String,
    /// `{from}`, `{to}`: the first and last day with a question.
    pub span: String,
    pub no_records: String,
    /// `{questions}`, `{answered}`, `{did_you_mean}`, `{did_you_mean_rate}`,
    /// `{unanswered}`, `{no_match_rate}`, `{out_of_scope}`, `{up}`, `{down}`.
    pub summary: String,
    /// `{n}`: record lines that could not be read.
    pub skipped: String,
    /// `{n}`: records with impossible times.
    pub out_of_range: String,
    /// The period of the charts over time.
    pub per_day: String,
    pub per_week: String,
    /// Chart headings; `{unit}` is [`ReportMessages::per_day`] or `per_week`.
    pub questions_heading: String,
    pub rates_heading: String,
    pub votes_heading: String,
    pub programmes_heading: String,
    pub unanswered_heading: String,
    pub down_voted_heading: String,
    /// Series names in legends.
    pub questions: String,
    pub no_match_rate: String,
    pub did_you_mean_rate: String,
    pub up: String,
    pub down: String,
    /// Table columns.
    pub count: String,
    pub question: String,
    pub variants: String,
    pub last: String,
    pub shown: String,
    pub times_shown: String,
    pub first: String,
    pub programme: String,
    pub none: String,
    pub question_gone: String,
    pub measure_gone: String,
    /// `/stats`: its title and lines; `{n}` a count, `{rate}` a share,
    /// `{up}` and `{down}` the votes, `{id}` and `{place}` a programme.
    pub stats_title: String,
    pub stats_questions: String,
    pub stats_unanswered: String,
    pub stats_did_you_mean: String,
    pub stats_votes: String,
    pub stats_top: String,
    pub stats_top_line: String,
    /// Beside the `/stats` chart; `{weeks}`: how many weeks it shows.
    pub stats_chart: String,
    /// Title of the weekly post; `{from}`, `{to}`: the week.
    pub weekly_title: String,
    /// The weekly post's figures of the week: `{questions}`,
    /// `{unanswered}`, `{no_match_rate}`, `{did_you_mean}`,
    /// `{did_you_mean_rate}`, `{up}`, `{down}`.
    pub weekly_summary: String,
}

/// One row of `userdict.csv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserWord {
    pub surface: String,
    pub part_of_speech: String,
    pub reading: String,
}

/// Everything in `data/`, validated.
#[derive(Debug, Clone)]
pub struct Knowledge {
    /// The current plan: the newest one in force.
    pub plan: PlanInfo,
    /// Every plan loaded, oldest first (the current one among them).
    pub plans: Vec<PlanInfo>,
    pub areas: Vec<Area>,
    pub measures: Vec<Measure>,
    pub faqs: Vec<Faq>,
    pub channels: Vec<Channel>,
    pub synonyms: Synonyms,
    /// Set phrases, the English vocabulary and the topics out of scope.
    pub language: Language,
    pub user_words: Vec<UserWord>,
    pub messages: Messages,
    /// blake3 of every file read, in path order.
    pub fingerprint: String,
    measure_index: HashMap<String, usize>,
}

impl Knowledge {
    pub fn measure(&self, id: &str) -> Option<&Measure> {
        self.measure_index.get(id).map(|&i| &self.measures[i])
    }

    pub fn area(&self, number: u32) -> Option<&Area> {
        self.areas.iter().find(|a| a.number == number)
    }

    pub fn faq(&self, id: &str) -> Option<&Faq> {
        self.faqs.iter().find(|f| f.id == id)
    }

    /// Channels the plan names for a measure (directly, through the item the
    /// measure sits under, or through its area), in file order.
    pub fn channels_for(&self, measure: &Measure) -> impl Iterator<Item = &Channel> {
        let parent = measure.parent_id().map(str::to_owned);
        let id = measure.id.clone();
        let area = measure.area;
        self.channels.iter().filter(move |c| {
            c.measures
                .iter()
                .any(|m| *m == id || Some(m) == parent.as_ref())
                || c.areas.contains(&area)
        })
    }

    /// The channel to refer to when nothing more specific applies.
    pub fn default_channel(&self) -> Option<&Channel> {
        self.channels.iter().find(|c| c.default)
    }

    /// Where in the plan a measure sits: `テレワークの推進 › 都 › イ・3`.
    pub fn place(&self, measure: &Measure) -> String {
        let area = self
            .area(measure.area)
            .map_or_else(|| measure.area.to_string(), |a| a.title.clone());
        format!("{area} › {} › {}", measure.actor.as_str(), measure.label)
    }
}

/// One problem found in `data/`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub entry: Option<String>,
    pub message: String,
    pub fix: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(entry) = &self.entry {
            write!(f, ": [{entry}]")?;
        }
        write!(f, ": {}\n    how to fix: {}", self.message, self.fix)
    }
}

/// Every problem found while loading `data/`.
#[derive(Debug, Clone, thiserror::Error)]
pub struct Problems(pub Vec<Problem>);

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        write!(
            f,
            "{n} problem{} in the data files",
            if n == 1 { "" } else { "s" }
        )?;
        for p in &self.0 {
            write!(f, "\n{p}")?;
        }
        Ok(())
    }
}

// ---- raw file formats -------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlanFile {
    plan: Spanned<PlanInfo>,
    #[serde(default)]
    area: Vec<Spanned<RawArea>>,
    #[serde(default)]
    measure: Vec<Spanned<RawMeasure>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawArea {
    number: u32,
    title: String,
    short: String,
    #[serde(default)]
    aims: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMeasure {
    id: String,
    area: u32,
    actor: Actor,
    label: String,
    text: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFaqFile {
    #[serde(default)]
    faq: Vec<Spanned<RawFaq>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFaq {
    id: String,
    question: String,
    #[serde(default)]
    alternates: Vec<String>,
    answer: String,
    measures: Vec<String>,
    #[serde(default)]
    tags: Vec<String>,
    plan: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChannelFile {
    #[serde(default)]
    channel: Vec<Spanned<RawChannel>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChannel {
    id: String,
    name: String,
    kind: ChannelKind,
    operator: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    measures: Vec<String>,
    #[serde(default)]
    areas: Vec<u32>,
    #[serde(default)]
    default: bool,
    url: Option<String>,
    contact: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSynonymFile {
    #[serde(default)]
    group: Vec<Spanned<RawGroup>>,
    #[serde(default)]
    rule: Vec<Spanned<RawRule>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroup {
    terms: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    when: Vec<String>,
    add: Vec<String>,
}

// ---- loading ----------------------------------------------------------------

/// The file names inside the data directory.
pub const PLAN_FILE: &str = "plan.toml";
pub const PLANS_DIR: &str = "plans";
pub const CHANNELS_FILE: &str = "channels.toml";
pub const FAQ_DIR: &str = "faq";
pub const SYNONYMS_FILE: &str = "synonyms.toml";
pub const USERDICT_FILE: &str = "userdict.csv";
pub const MESSAGES_FILE: &str = "messages.toml";
/// The largest data file read; a larger one (or a device, a runaway
/// generated file) is reported instead of filling memory.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// The file's bytes, reading no more than one past [`MAX_FILE_BYTES`].
/// Only a regular file (or a link to one) is opened: a FIFO, socket or
/// device would block or never end, so it is refused with
/// [`NotRegular`] before it is opened.
pub fn read_capped(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    if !fs::metadata(path)?.is_file() {
        return Err(std::io::Error::other(NotRegular));
    }
    let mut bytes = Vec::new();
    fs::File::open(path)?
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// A path that names something other than a regular file.
#[derive(Debug, thiserror::Error)]
#[error("it is not a regular file (a FIFO, socket, device or directory)")]
pub struct NotRegular;

fn not_regular(e: &std::io::Error) -> bool {
    e.get_ref().is_some_and(|e| e.is::<NotRegular>())
}

/// A text file read from `data/`, with a way to turn byte offsets into lines.
struct Source {
    path: PathBuf,
    text: String,
    /// Byte offset of every newline, for [`Source::line_of`].
    newlines: Vec<usize>,
}

impl Source {
    fn new(path: &Path, text: String) -> Source {
        let newlines = text
            .bytes()
            .enumerate()
            .filter(|(_, b)| *b == b'\n')
            .map(|(i, _)| i)
            .collect();
        Source {
            path: path.to_path_buf(),
            text,
            newlines,
        }
    }

    /// The 1-based line holding byte `offset`.
    fn line_of(&self, offset: usize) -> usize {
        self.newlines.partition_point(|&nl| nl < offset) + 1
    }

    fn problem(
        &self,
        span: Option<Range<usize>>,
        entry: Option<&str>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Problem {
        Problem {
            file: self.path.clone(),
            line: span.map(|s| self.line_of(s.start)),
            entry: entry.map(str::to_owned),
            message: message.into(),
            fix: fix.into(),
        }
    }
}

struct Loader {
    problems: Vec<Problem>,
    hasher: blake3::Hasher,
}

impl Loader {
    fn read(&mut self, path: &Path, required: bool) -> Option<Source> {
        match read_capped(path) {
            Ok(bytes) if bytes.len() as u64 > MAX_FILE_BYTES => {
                self.problems.push(Problem {
                    file: path.to_path_buf(),
                    line: None,
                    entry: None,
                    message: format!(
                        "the file is larger than {} MB, the most a data file may hold",
                        MAX_FILE_BYTES / (1024 * 1024)
                    ),
                    fix: "check that it is the right file; split a long FAQ file into several \
                          faq/*.toml files"
                        .into(),
                });
                None
            }
            Ok(bytes) => {
                self.hasher
                    .update(path.file_name().unwrap_or_default().as_encoded_bytes());
                self.hasher.update(&(bytes.len() as u64).to_le_bytes());
                self.hasher.update(&bytes);
                match String::from_utf8(bytes) {
                    Ok(text) => Some(Source::new(path, text)),
                    Err(e) => {
                        let offset = e.utf8_error().valid_up_to();
                        let text = String::from_utf8_lossy(&e.into_bytes()[..offset]).into_owned();
                        let src = Source::new(path, text);
                        self.problems.push(src.problem(
                            Some(offset..offset),
                            None,
                            "the file is not valid UTF-8",
                            "save the file as UTF-8 (not Shift_JIS or EUC-JP)",
                        ));
                        None
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => None,
            Err(e) => {
                self.problems.push(Problem {
                    file: path.to_path_buf(),
                    line: None,
                    entry: None,
                    message: format!("cannot read the file: {e}"),
                    fix: if not_regular(&e) {
                        "replace it with a regular file, or move it out of the data directory"
                            .into()
                    } else if e.kind() == std::io::ErrorKind::NotFound {
                        "restore the file from git (`git checkout -- data/`), or point --data / \
                         MADOGUCHI_DATA at the right directory"
                            .into()
                    } else {
                        "check the file's permissions".into()
                    },
                });
                None
            }
        }
    }

    fn parse<T: serde::de::DeserializeOwned>(&mut self, src: &Source) -> Option<T> {
        match toml::from_str::<T>(&src.text) {
            Ok(v) => Some(v),
            Err(e) => {
                let mut message = e.message().to_string();
                if message.contains("unknown field") {
                    message.push_str(" (field names are case-sensitive)");
                }
                self.problems.push(src.problem(
                    e.span(),
                    None,
                    format!("invalid TOML: {message}"),
                    "correct the TOML at that line (strings in \"quotes\", lists in [brackets], \
                     multi-line text in \"\"\"triple quotes\"\"\"); the other entries in the file \
                     are unaffected once it parses",
                ));
                None
            }
        }
    }
}

fn nonempty(
    problems: &mut Vec<Problem>,
    src: &Source,
    span: &Range<usize>,
    id: &str,
    field: &str,
    value: &str,
) {
    if value.trim().is_empty() {
        problems.push(src.problem(
            Some(span.clone()),
            Some(id),
            format!("`{field}` is empty"),
            format!("write the {field}, or remove the entry"),
        ));
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// One plan file (`plan.toml` or `plans/*.toml`), validated on its own.
struct LoadedPlan {
    info: PlanInfo,
    /// `None` when `start` is not a date (a problem is reported).
    start: Option<Date>,
    file: PathBuf,
    areas: Vec<Area>,
    measures: Vec<Measure>,
    measure_index: HashMap<String, usize>,
}

/// The `*.toml` files of a directory, sorted; none when it does not exist.
fn toml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = match fs::read_dir(dir) {
        Ok(rd) => rd
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    files
}

/// Reads and validates one plan file; `None` when it cannot be read or
/// parsed (the problem is recorded).
fn load_plan(ld: &mut Loader, path: &Path) -> Option<LoadedPlan> {
    let src = ld.read(path, true)?;
    let raw = ld.parse::<RawPlanFile>(&src)?;
    let mut areas = Vec::new();
    let mut measures: Vec<Measure> = Vec::new();
    let mut measure_index = HashMap::new();
    let plan_span = raw.plan.span();
    let info = raw.plan.into_inner();
    let start = match info.start.parse::<Date>() {
        Ok(d) => Some(d),
        Err(e) => {
            ld.problems.push(src.problem(
                Some(plan_span),
                Some("plan"),
                format!("`start`: {e}"),
                "write the date the plan is in force from, e.g. start = \"2024-04-01\"",
            ));
            None
        }
    };
    let mut seen_areas = HashSet::new();
    for a in raw.area {
        let span = a.span();
        let a = a.into_inner();
        let key = format!("area {}", a.number);
        if !seen_areas.insert(a.number) {
            ld.problems.push(src.problem(
                Some(span.clone()),
                Some(&key),
                "area number used twice",
                "give each [[area]] its own number",
            ));
        }
        nonempty(&mut ld.problems, &src, &span, &key, "title", &a.title);
        nonempty(&mut ld.problems, &src, &span, &key, "short", &a.short);
        areas.push(Area {
            number: a.number,
            title: a.title,
            short: a.short,
            aims: a.aims,
        });
    }
    for m in raw.measure {
        let span = m.span();
        let m = m.into_inner();
        if !valid_id(&m.id) {
            ld.problems.push(src.problem(
                Some(span.clone()),
                Some(&m.id),
                "a measure id may hold only ASCII letters, digits, '.', '-' and '_'",
                "use the id scheme <area>.<tokyo|cci>.<item>[.<n>], e.g. 2.tokyo.b.3",
            ));
        }
        if measure_index.contains_key(&m.id) {
            ld.problems.push(src.problem(
                Some(span.clone()),
                Some(&m.id),
                "measure id used twice",
                "each [[measure]] needs its own id; ids are part of the product's interface, \
                 so keep the existing one and renumber the new entry",
            ));
        }
        if !seen_areas.contains(&m.area) {
            ld.problems.push(src.problem(
                Some(span.clone()),
                Some(&m.id),
                format!("area {} is not defined", m.area),
                "add an [[area]] with that number, or correct `area`",
            ));
        }
        nonempty(&mut ld.problems, &src, &span, &m.id, "text", &m.text);
        measure_index.insert(m.id.clone(), measures.len());
        measures.push(Measure {
            id: m.id,
            area: m.area,
            actor: m.actor,
            label: m.label,
            text: m.text,
        });
    }
    if measures.is_empty() {
        ld.problems.push(src.problem(
            None,
            None,
            "the plan has no [[measure]] entries",
            "add the plan's measures (see README: Editing the knowledge)",
        ));
    }
    Some(LoadedPlan {
        info,
        start,
        file: src.path.clone(),
        areas,
        measures,
        measure_index,
    })
}

/// Loads and validates everything under `dir`, with the newest plan as the
/// current one (as if every plan were in force).
pub fn load(dir: &Path) -> Result<Knowledge, Problems> {
    load_on(dir, None)
}

/// Loads and validates everything under `dir`; the current plan is the
/// newest one whose start date is on or before `today` (`None`: the newest).
pub fn load_on(dir: &Path, today: Option<Date>) -> Result<Knowledge, Problems> {
    let mut ld = Loader {
        problems: Vec::new(),
        hasher: blake3::Hasher::new(),
    };
    if !dir.is_dir() {
        return Err(Problems(vec![Problem {
            file: dir.to_path_buf(),
            line: None,
            entry: None,
            message: "the data directory does not exist".into(),
            fix: "run from the repository root, or pass --data / set MADOGUCHI_DATA to the \
                  directory holding plan.toml"
                .into(),
        }]));
    }

    // plan.toml and plans/*.toml
    let mut plans: Vec<LoadedPlan> = Vec::new();
    for path in std::iter::once(dir.join(PLAN_FILE)).chain(toml_files(&dir.join(PLANS_DIR))) {
        if let Some(p) = load_plan(&mut ld, &path) {
            plans.push(p);
        }
    }
    plans.sort_by_key(|p| p.start);
    for pair in plans.windows(2) {
        if let [a, b] = pair
            && a.start.is_some()
            && a.start == b.start
        {
            ld.problems.push(Problem {
                file: b.file.clone(),
                line: None,
                entry: Some("plan".into()),
                message: format!(
                    "{} starts on the same date as {} ({})",
                    b.info.year,
                    a.file.display(),
                    a.info.start
                ),
                fix: "give each plan its own `start` date: the newest plan whose start has \
                      come is the one answers rest on"
                    .into(),
            });
        }
    }
    let current = plans
        .iter()
        .rposition(|p| p.start.is_some_and(|s| today.is_none_or(|t| s <= t)));
    if let (None, Some(today), false) = (current, today, plans.is_empty()) {
        ld.problems.push(Problem {
            file: dir.join(PLAN_FILE),
            line: None,
            entry: Some("plan".into()),
            message: format!("no plan is in force on {today}: every plan starts later"),
            fix: "check the `start` date in [plan] (YYYY-MM-DD); keep the plan in force in \
                  data/plan.toml and put later plans in data/plans/"
                .into(),
        });
    }
    let all_measures: HashSet<&str> = plans
        .iter()
        .flat_map(|p| p.measure_index.keys().map(String::as_str))
        .collect();
    let area_numbers: HashSet<u32> = plans
        .iter()
        .flat_map(|p| p.areas.iter().map(|a| a.number))
        .collect();

    // channels.toml
    let mut channels = Vec::new();
    if let Some(src) = ld.read(&dir.join(CHANNELS_FILE), true)
        && let Some(raw) = ld.parse::<RawChannelFile>(&src)
    {
        let mut seen = HashSet::new();
        for c in raw.channel {
            let span = c.span();
            let c = c.into_inner();
            if !valid_id(&c.id) {
                ld.problems.push(src.problem(
                    Some(span.clone()),
                    Some(&c.id),
                    "a channel id may hold only ASCII letters, digits, '.', '-' and '_'",
                    "use a short ASCII id such as telework-center",
                ));
            }
            if !seen.insert(c.id.clone()) {
                ld.problems.push(src.problem(
                    Some(span.clone()),
                    Some(&c.id),
                    "channel id used twice",
                    "give each [[channel]] its own id",
                ));
            }
            nonempty(&mut ld.problems, &src, &span, &c.id, "name", &c.name);
            for m in &c.measures {
                // Without any plan the missing plan is the one problem.
                if !plans.is_empty() && !all_measures.contains(m.as_str()) {
                    ld.problems.push(src.problem(
                        Some(span.clone()),
                        Some(&c.id),
                        format!("measure `{m}` is not in the plan"),
                        "use a measure id from data/plan.toml (`madoguchi check` lists them with \
                         --measures)",
                    ));
                }
            }
            for a in &c.areas {
                if !plans.is_empty() && !area_numbers.contains(a) {
                    ld.problems.push(src.problem(
                        Some(span.clone()),
                        Some(&c.id),
                        format!("area {a} is not in the plan"),
                        "use an area number from data/plan.toml",
                    ));
                }
            }
            channels.push(Channel {
                id: c.id,
                name: c.name,
                kind: c.kind,
                operator: c.operator,
                description: c.description,
                measures: c.measures,
                areas: c.areas,
                default: c.default,
                url: c.url,
                contact: c.contact,
            });
        }
        match channels.iter().filter(|c| c.default).count() {
            1 => {}
            0 => ld.problems.push(src.problem(
                None,
                None,
                "no channel is marked `default = true`",
                "mark the general referral (経営指導員) with `default = true`",
            )),
            _ => ld.problems.push(src.problem(
                None,
                None,
                "more than one channel is marked `default = true`",
                "keep `default = true` on one channel only",
            )),
        }
    }

    // faq/*.toml
    let mut faqs: Vec<Faq> = Vec::new();
    let mut faq_seen: HashMap<(usize, String), (PathBuf, usize)> = HashMap::new();
    for path in toml_files(&dir.join(FAQ_DIR)) {
        let Some(src) = ld.read(&path, true) else {
            continue;
        };
        let Some(raw) = ld.parse::<RawFaqFile>(&src) else {
            continue;
        };
        for f in raw.faq {
            let span = f.span();
            let line = src.line_of(span.start);
            let f = f.into_inner();
            if !valid_id(&f.id) {
                ld.problems.push(src.problem(
                    Some(span.clone()),
                    Some(&f.id),
                    "an FAQ id may hold only ASCII letters, digits, '.', '-' and '_'",
                    "use a short ASCII id such as telework-subsidy",
                ));
            }
            // The plans the entry belongs to: the one it names, or the
            // current plan and every later one.
            let members: Vec<usize> = match &f.plan {
                Some(named) => match plans.iter().position(|p| p.info.start == *named) {
                    Some(i) => vec![i],
                    None => {
                        ld.problems.push(src.problem(
                            Some(span.clone()),
                            Some(&f.id),
                            format!("plan `{named}` is not loaded"),
                            format!(
                                "name a plan by its start date ({}), or remove `plan` to follow \
                                 the current plan",
                                plans
                                    .iter()
                                    .map(|p| format!("\"{}\"", p.info.start))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        ));
                        Vec::new()
                    }
                },
                None => current.map_or_else(Vec::new, |c| (c..plans.len()).collect()),
            };
            for &i in &members {
                match faq_seen.get(&(i, f.id.clone())) {
                    Some((other, other_line)) => ld.problems.push(src.problem(
                        Some(span.clone()),
                        Some(&f.id),
                        if plans.len() > 1 {
                            format!(
                                "FAQ id already used at {}:{other_line} (plan starting {})",
                                other.display(),
                                plans[i].info.start
                            )
                        } else {
                            format!("FAQ id already used at {}:{other_line}", other.display())
                        },
                        "rename one of the two entries",
                    )),
                    None => {
                        faq_seen.insert((i, f.id.clone()), (path.clone(), line));
                    }
                }
            }
            nonempty(
                &mut ld.problems,
                &src,
                &span,
                &f.id,
                "question",
                &f.question,
            );
            nonempty(&mut ld.problems, &src, &span, &f.id, "answer", &f.answer);
            if f.measures.is_empty() {
                ld.problems.push(src.problem(
                    Some(span.clone()),
                    Some(&f.id),
                    "`measures` is empty: every answer must rest on the plan",
                    "list the ids of the measures the answer rests on, e.g. measures = [\"2.tokyo.b.3\"]",
                ));
            }
            for &i in &members {
                let plan = &plans[i];
                for m in &f.measures {
                    if plan.measure_index.contains_key(m) {
                        continue;
                    }
                    let hint = closest_ids(m, plan.measure_index.keys());
                    let file = plan.file.file_name().map_or_else(
                        || PLAN_FILE.to_string(),
                        |n| n.to_string_lossy().into_owned(),
                    );
                    let (message, mut fix) = if Some(i) == current || f.plan.is_some() {
                        (
                            format!("measure `{m}` is not in the plan"),
                            format!("use a measure id from {}", plan.file.display()),
                        )
                    } else {
                        (
                            format!(
                                "measure `{m}` is not in the plan starting {} ({}), which this \
                                 entry follows from that date",
                                plan.info.start, plan.info.year
                            ),
                            format!(
                                "add plan = \"{}\" to keep the entry with the current plan, or \
                                 use a measure id from {file}",
                                current.map_or("", |c| plans[c].info.start.as_str())
                            ),
                        )
                    };
                    if !hint.is_empty() {
                        fix.push_str(&format!("; did you mean {hint}?"));
                    }
                    ld.problems
                        .push(src.problem(Some(span.clone()), Some(&f.id), message, fix));
                }
            }
            if !current.is_some_and(|c| members.contains(&c)) {
                continue;
            }
            faqs.push(Faq {
                id: f.id,
                question: f.question,
                alternates: f.alternates,
                answer: f.answer,
                measures: f.measures,
                tags: f.tags,
                plan: f.plan,
                file: path.clone(),
                line,
            });
        }
    }

    ld.problems.extend(repeated_questions(&faqs));

    // synonyms.toml
    let mut synonyms = Synonyms::default();
    if let Some(src) = ld.read(&dir.join(SYNONYMS_FILE), false)
        && let Some(raw) = ld.parse::<RawSynonymFile>(&src)
    {
        for g in raw.group {
            let span = g.span();
            let g = g.into_inner();
            let terms: Vec<String> = g
                .terms
                .into_iter()
                .filter(|t| !t.trim().is_empty())
                .collect();
            if terms.len() < 2 {
                ld.problems.push(src.problem(
                    Some(span),
                    None,
                    "a synonym group needs at least two terms",
                    "add the other ways of saying it, or remove the group",
                ));
                continue;
            }
            synonyms.groups.push(terms);
        }
        for r in raw.rule {
            let span = r.span();
            let r = r.into_inner();
            if r.when.iter().all(|t| t.trim().is_empty())
                || r.add.iter().all(|t| t.trim().is_empty())
            {
                ld.problems.push(src.problem(
                    Some(span),
                    None,
                    "a rule needs words in both `when` and `add`",
                    "fill in both lists, or remove the rule",
                ));
                continue;
            }
            synonyms.rules.push(Rule {
                when: r.when,
                add: r.add,
            });
        }
    }

    let language = language::load(&mut ld, dir, &channels);
    let texts: Vec<(String, &str)> = plans
        .iter()
        .flat_map(|p| &p.measures)
        .map(|m| (format!("measure {}", m.id), m.text.as_str()))
        .chain(faqs.iter().flat_map(|f| {
            std::iter::once(&f.question)
                .chain(&f.alternates)
                .map(move |q| (format!("the FAQ entry {}", f.id), q.as_str()))
        }))
        .collect();
    language::check_scope_triggers(&mut ld, dir, &language.scope, &texts);

    // userdict.csv
    let mut user_words = Vec::new();
    if let Some(src) = ld.read(&dir.join(USERDICT_FILE), false) {
        for (i, raw_line) in src.text.lines().enumerate() {
            let line = raw_line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = line.split(',').map(str::trim).collect();
            let bad = |message: String, fix: &str| Problem {
                file: src.path.clone(),
                line: Some(i + 1),
                entry: fields.first().map(|s| s.to_string()),
                message,
                fix: fix.to_string(),
            };
            if fields.len() != 3 {
                ld.problems.push(bad(
                    format!("expected 3 comma-separated fields, found {}", fields.len()),
                    "write the row as surface,part_of_speech,reading, e.g. スムーズビズ,名詞,スムーズビズ",
                ));
                continue;
            }
            if fields[0].is_empty() {
                ld.problems.push(bad(
                    "the surface (first field) is empty".into(),
                    "write the word as it appears in text",
                ));
                continue;
            }
            if fields[1].is_empty() {
                ld.problems.push(bad(
                    "the part of speech (second field) is empty".into(),
                    "use 名詞 for names of programmes and organisations",
                ));
                continue;
            }
            if fields[2].is_empty()
                || !fields[2]
                    .chars()
                    .all(|c| ('\u{30A1}'..='\u{30FC}').contains(&c))
            {
                ld.problems.push(bad(
                    format!("the reading `{}` is not written in katakana", fields[2]),
                    "write the reading in full-width katakana, e.g. トウショウ",
                ));
                continue;
            }
            user_words.push(UserWord {
                surface: fields[0].to_string(),
                part_of_speech: fields[1].to_string(),
                reading: fields[2].to_string(),
            });
        }
    }

    // messages.toml
    let mut messages = None;
    if let Some(src) = ld.read(&dir.join(MESSAGES_FILE), true)
        && let Some(m) = ld.parse::<Messages>(&src)
    {
        for (key, value) in [
            ("no_match", &m.no_match),
            ("did_you_mean", &m.did_you_mean),
            ("programmes_heading", &m.programmes_heading),
            ("faq_heading", &m.faq_heading),
            ("referrals_heading", &m.referrals_heading),
            ("basis", &m.basis),
            ("help", &m.help),
            ("cooldown", &m.cooldown),
            ("too_long", &m.too_long),
            ("vote_thanks", &m.vote_thanks),
            ("staff_only", &m.staff_only),
            ("staff_unconfigured", &m.staff_unconfigured),
            ("area_prompt", &m.area_prompt),
            ("candidates_placeholder", &m.candidates_placeholder),
            ("reload_ok", &m.reload_ok),
            ("reload_failed", &m.reload_failed),
            ("out_of_scope", &m.out_of_scope),
            ("data_reattached", &m.data_reattached),
            ("started_on_last_good", &m.started_on_last_good),
            ("data_dir_removed", &m.data_dir_removed),
            ("data_dir_replaced", &m.data_dir_replaced),
        ] {
            if value.trim().is_empty() {
                ld.problems.push(src.problem(
                    None,
                    Some(key),
                    format!("`{key}` is empty"),
                    "write the sentence; every answer shows it",
                ));
            }
        }
        messages = Some(m);
    }

    if !ld.problems.is_empty() {
        return Err(Problems(ld.problems));
    }
    let current = current.expect("a current plan when there are no problems");
    let messages = messages.expect("messages parsed when there are no problems");
    // Which plan is current is part of what the index is built from.
    ld.hasher.update(plans[current].info.start.as_bytes());
    let infos = plans.iter().map(|p| p.info.clone()).collect();
    let LoadedPlan {
        info: plan,
        areas,
        measures,
        measure_index,
        ..
    } = plans.swap_remove(current);
    Ok(Knowledge {
        plan,
        plans: infos,
        areas,
        measures,
        faqs,
        channels,
        synonyms,
        language,
        user_words,
        messages,
        fingerprint: ld.hasher.finalize().to_hex().to_string(),
        measure_index,
    })
}

/// A question as FAQ entries are compared by: NFKC, lowercase, without
/// whitespace, so 「テレワーク　補助」 and 「ﾃﾚﾜｰｸ補助」 are one question.
pub fn question_key(question: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    question
        .nfkc()
        .flat_map(char::to_lowercase)
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// The entry among `faqs` that already asks `question` (as its question or
/// an alternate, compared by [`question_key`]), with the wording it uses.
pub fn asked_by<'a>(faqs: &'a [Faq], question: &str) -> Option<(&'a Faq, &'a str)> {
    let key = question_key(question);
    if key.is_empty() {
        return None;
    }
    faqs.iter().find_map(|f| {
        std::iter::once(&f.question)
            .chain(&f.alternates)
            .find(|q| question_key(q) == key)
            .map(|q| (f, q.as_str()))
    })
}

/// Two FAQ entries with the same question or alternate: search cannot tell
/// them apart, so owners would only ever see one of them.
fn repeated_questions(faqs: &[Faq]) -> Vec<Problem> {
    let mut problems = Vec::new();
    // Each wording's key, with the first entry that has it.
    let mut asked: HashMap<String, (&Faq, &str)> = HashMap::new();
    for f in faqs {
        let wordings = std::iter::once(("question", &f.question))
            .chain(f.alternates.iter().map(|a| ("alternate", a)));
        for (what, text) in wordings {
            let key = question_key(text);
            if key.is_empty() {
                continue;
            }
            let (other, used) = *asked.entry(key).or_insert((f, text));
            // One entry repeating its own wording is not two entries.
            if std::ptr::eq(other, f) {
                continue;
            }
            problems.push(Problem {
                file: f.file.clone(),
                line: Some(f.line),
                entry: Some(f.id.clone()),
                message: format!(
                    "the {what} 「{}」 is already asked by `{}` at {}:{} (as 「{}」)",
                    text.trim(),
                    other.id,
                    other.file.display(),
                    other.line,
                    used.trim()
                ),
                fix: format!(
                    "keep the wording in one entry: remove it from `{}` or from `{}`, or merge \
                     the two entries",
                    f.id, other.id
                ),
            });
        }
    }
    problems
}

/// Up to three known ids that look like `wanted` (same area and actor first).
fn closest_ids<'a>(wanted: &str, ids: impl Iterator<Item = &'a String>) -> String {
    let prefix: String = wanted.rsplitn(2, '.').last().unwrap_or("").to_string();
    let mut near: BTreeMap<usize, Vec<&str>> = BTreeMap::new();
    for id in ids {
        let common = id
            .chars()
            .zip(wanted.chars())
            .take_while(|(a, b)| a == b)
            .count();
        if common >= prefix.len().min(3) && common > 0 {
            near.entry(usize::MAX - common).or_default().push(id);
        }
    }
    let mut out: Vec<&str> = near.into_values().flatten().take(3).collect();
    out.sort();
    out.iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parent_of_a_bullet_is_its_item() {
        let m = Measure {
            id: "2.tokyo.b.3".into(),
            area: 2,
            actor: Actor::Tokyo,
            label: "イ・3".into(),
            text: String::new(),
        };
        assert_eq!(m.parent_id(), Some("2.tokyo.b"));
        let item = Measure {
            id: "2.tokyo.b".into(),
            ..m
        };
        assert_eq!(item.parent_id(), None);
    }

    fn faq(id: &str, line: usize, question: &str, alternates: &[&str]) -> Faq {
        Faq {
            id: id.into(),
            question: question.into(),
            alternates: alternates.iter().map(|a| a.to_string()).collect(),
            answer: "回答".into(),
            measures: vec!["2.tokyo.b.3".into()],
            tags: Vec::new(),
            plan: None,
            file: PathBuf::from("data/faq/02-telework.toml"),
            line,
        }
    }

    #[test]
    fn questions_compare_by_width_case_and_spacing() {
        assert_eq!(
            question_key(" テレワーク　の補助は？ "),
            question_key("ﾃﾚﾜｰｸ の 補助は?")
        );
        assert_eq!(question_key("ＩＴ導入"), question_key("it導入"));
        assert_ne!(question_key("テレワーク"), question_key("テレワーク補助"));
    }

    #[test]
    fn an_entry_asking_what_another_asks_is_a_problem_naming_both() {
        let faqs = [
            faq("a", 3, "テレワークの補助", &["在宅勤務の補助"]),
            faq("b", 12, "育児休業", &[]),
            faq("c", 20, "ざいたく勤務", &[" 在宅勤務の 補助 "]),
            faq("d", 30, "ＴＥＬＥＷＯＲＫの補助", &["telework の補助"]),
        ];
        let problems = repeated_questions(&faqs);
        assert_eq!(problems.len(), 1, "{problems:#?}");
        let p = &problems[0];
        assert_eq!((p.line, p.entry.as_deref()), (Some(20), Some("c")));
        let text = p.to_string();
        for want in [
            "data/faq/02-telework.toml:20",
            "[c]",
            "alternate 「在宅勤務の 補助」",
            "`a` at data/faq/02-telework.toml:3",
            "how to fix",
        ] {
            assert!(text.contains(want), "{want:?} in {text}");
        }
        // One entry repeating its own wording is not two entries.
        assert!(repeated_questions(&faqs[3..]).is_empty());
        assert_eq!(
            asked_by(&faqs, "TELEWORKの補助").map(|(f, q)| (f.id.as_str(), q)),
            Some(("d", "ＴＥＬＥＷＯＲＫの補助"))
        );
        assert!(asked_by(&faqs, "  ").is_none());
    }

    #[test]
    fn line_numbers_count_from_one() {
        let src = Source::new(Path::new("x"), "a\nb\nc".into());
        assert_eq!(src.line_of(0), 1);
        assert_eq!(src.line_of(1), 1);
        assert_eq!(src.line_of(2), 2);
        assert_eq!(src.line_of(4), 3);
    }
}
