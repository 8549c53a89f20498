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
//! - `owners.toml`: each measure in the owner's words, for search only
//! - `en.toml`: the English of every area, measure and channel

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use crate::clock::{Date, DateError};

mod channels;
mod check;
mod faqs;
mod language;
mod measure_id;
mod messages;
mod owners;
mod plan;
mod source;
mod synonyms;
mod translation;
mod userdict;
pub use language::{
    ActorNames, ENGLISH_FILE, English, EnglishTerm, Language, PHRASES_FILE, Phrases, SCOPE_FILE,
    ScopeTopic,
};
pub use measure_id::{MeasureId, MeasureIdError};
pub use messages::{BotMessages, COMMAND_DESCRIPTION};
pub use source::{MAX_FILE_BYTES, NotRegular, Problem, Problems, read_capped};

use plan::LoadedPlan;
use source::{Loader, Source, toml_files, valid_id};

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

    /// The actor's word in a measure id: `tokyo` or `cci`.
    pub fn id_word(self) -> &'static str {
        match self {
            Actor::Tokyo => "tokyo",
            Actor::Chamber => "cci",
        }
    }
}

/// What the knowledge rests on.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PlanInfo {
    pub title: String,
    /// Year as the plan names it, e.g. `令和5年度（2023年度）`.
    pub year: String,
    /// The date the plan is in force from.
    pub start: Date,
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
    pub id: MeasureId,
    pub area: u32,
    pub actor: Actor,
    pub label: String,
    pub text: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Faq {
    pub id: String,
    pub question: String,
    pub alternates: Vec<String>,
    pub answer: String,
    pub measures: Vec<MeasureId>,
    pub tags: Vec<String>,
    /// The start date of the plan the entry names, if it names one;
    /// otherwise it follows the current plan.
    pub plan: Option<Date>,
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
    pub measures: Vec<MeasureId>,
    pub areas: Vec<u32>,
    pub default: bool,
    /// The channel's web page (https), from a public page named beside it
    /// in `channels.toml`, like every contact value.
    pub url: Option<String>,
    pub phone: Option<String>,
    pub place: Option<String>,
    pub hours: Option<String>,
}

/// A measure in the owner's words (`owners.toml`): searched, never shown.
#[derive(Debug, Clone, Default, Serialize)]
pub struct OwnerWords {
    /// Who the programme is for.
    pub who: String,
    /// Situations and problems it answers, as an owner would say them.
    pub situations: Vec<String>,
    /// Everyday words for them.
    pub words: Vec<String>,
}

impl OwnerWords {
    /// Everything in the entry, one text a line.
    pub fn text(&self) -> String {
        std::iter::once(&self.who)
            .chain(&self.situations)
            .chain(&self.words)
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// The English of one area, measure or channel (`en.toml`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct EnglishText {
    pub name: String,
    pub description: String,
    /// More English words owners use for it (searched, not shown).
    pub words: Vec<String>,
}

/// The staff's English of the plan and the channels (`en.toml`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Translation {
    pub areas: HashMap<u32, EnglishText>,
    pub measures: HashMap<MeasureId, EnglishText>,
    pub channels: HashMap<String, EnglishText>,
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
    /// The first line of an answer: `{n}` programmes of `{who}`.
    pub lead: String,
    /// What joins the parties in `{who}`.
    pub and: String,
    /// Under a "did you mean": what its menu does.
    pub pick_hint: String,
    /// Someone other than the asker chose from a menu; `{ask}` is the
    /// command.
    pub pick_not_yours: String,
    /// Before the example questions of a decline.
    pub examples_intro: String,
    /// Questions a decline offers to try.
    pub examples: Vec<String>,
    /// How to find a contact when no referral shown has one.
    pub find_contact: String,
    /// The label of the button to the programmes by area.
    pub programs_button: String,
    /// The small line under an answer: `{year}`, `{start_year}`,
    /// `{start_month}`.
    pub footer: String,
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
    /// The sentences of an answer to a question asked in English.
    pub en: EnglishSentences,
    /// The words of the HTML report and of the charts for staff.
    pub report: ReportMessages,
    /// The Discord bot's command words and sentences for staff.
    pub bot: BotMessages,
}

/// The sentences of an answer in English (`[en]` in `messages.toml`): a
/// question asked in English is answered with them and with `en.toml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnglishSentences {
    pub no_match: String,
    pub did_you_mean: String,
    pub lead: String,
    pub and: String,
    pub pick_hint: String,
    pub pick_not_yours: String,
    pub examples_intro: String,
    pub examples: Vec<String>,
    pub find_contact: String,
    pub programs_button: String,
    pub footer: String,
    pub programmes_heading: String,
    pub faq_heading: String,
    pub referrals_heading: String,
    /// `{title}`, `{year}`, `{start}` of the plan.
    pub basis: String,
    /// `{topic}`: the topic's (Japanese) name.
    pub out_of_scope: String,
    /// The two parties, as an English answer names them.
    pub tokyo: String,
    pub chamber: String,
}

/// The language an answer is given in: the question's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Ja,
    En,
}

/// The sentences of an answer in one language.
#[derive(Debug, Clone)]
pub struct AnswerSentences<'a> {
    pub no_match: &'a str,
    pub did_you_mean: &'a str,
    pub lead: &'a str,
    pub and: &'a str,
    pub pick_hint: &'a str,
    pub pick_not_yours: &'a str,
    pub examples_intro: &'a str,
    pub examples: &'a [String],
    pub find_contact: &'a str,
    pub programs_button: &'a str,
    pub footer: &'a str,
    pub programmes_heading: &'a str,
    pub faq_heading: &'a str,
    pub referrals_heading: &'a str,
    pub basis: &'a str,
    pub out_of_scope: &'a str,
}

impl Messages {
    /// The help text, with the commands named `ask` and `programs`.
    pub fn help_text(&self, ask: &str, programs: &str) -> String {
        self.help
            .trim()
            .replace("{ask}", ask)
            .replace("{programs}", programs)
    }

    /// The sentences of an answer in `lang`.
    pub fn answer(&self, lang: Lang) -> AnswerSentences<'_> {
        match lang {
            Lang::Ja => AnswerSentences {
                no_match: &self.no_match,
                did_you_mean: &self.did_you_mean,
                lead: &self.lead,
                and: &self.and,
                pick_hint: &self.pick_hint,
                pick_not_yours: &self.pick_not_yours,
                examples_intro: &self.examples_intro,
                examples: &self.examples,
                find_contact: &self.find_contact,
                programs_button: &self.programs_button,
                footer: &self.footer,
                programmes_heading: &self.programmes_heading,
                faq_heading: &self.faq_heading,
                referrals_heading: &self.referrals_heading,
                basis: &self.basis,
                out_of_scope: &self.out_of_scope,
            },
            Lang::En => AnswerSentences {
                no_match: &self.en.no_match,
                did_you_mean: &self.en.did_you_mean,
                lead: &self.en.lead,
                and: &self.en.and,
                pick_hint: &self.en.pick_hint,
                pick_not_yours: &self.en.pick_not_yours,
                examples_intro: &self.en.examples_intro,
                examples: &self.en.examples,
                find_contact: &self.en.find_contact,
                programs_button: &self.en.programs_button,
                footer: &self.en.footer,
                programmes_heading: &self.en.programmes_heading,
                faq_heading: &self.en.faq_heading,
                referrals_heading: &self.en.referrals_heading,
                basis: &self.en.basis,
                out_of_scope: &self.en.out_of_scope,
            },
        }
    }
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
    /// Each measure in the owner's words (`owners.toml`).
    pub owners: HashMap<MeasureId, OwnerWords>,
    /// The English of areas, measures and channels (`en.toml`).
    pub english: Translation,
    /// blake3 of every file read, in path order.
    pub fingerprint: String,
    measure_index: HashMap<MeasureId, usize>,
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
        let parent = measure.id.parent();
        self.channels.iter().filter(move |c| {
            c.measures
                .iter()
                .any(|m| *m == measure.id || Some(m) == parent.as_ref())
                || c.areas.contains(&measure.area)
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

// ---- loading ----------------------------------------------------------------

/// The file names inside the data directory.
pub const PLAN_FILE: &str = "plan.toml";
pub const PLANS_DIR: &str = "plans";
pub const CHANNELS_FILE: &str = "channels.toml";
pub const FAQ_DIR: &str = "faq";
pub const SYNONYMS_FILE: &str = "synonyms.toml";
pub const USERDICT_FILE: &str = "userdict.csv";
pub const MESSAGES_FILE: &str = "messages.toml";
pub const OWNERS_FILE: &str = "owners.toml";
pub const TRANSLATION_FILE: &str = "en.toml";

/// Loads and validates everything under `dir`, with the newest plan as the
/// current one (as if every plan were in force).
pub fn load(dir: &Path) -> Result<Knowledge, Problems> {
    load_on(dir, None)
}

/// Loads and validates `messages.toml` of `dir` alone (for what needs the
/// sentences while the rest of the knowledge has problems).
pub fn load_messages(dir: &Path) -> Result<Messages, Problems> {
    let mut ld = Loader::new();
    match messages::load(&mut ld, &dir.join(MESSAGES_FILE)) {
        Some(m) if ld.problems.is_empty() => Ok(m),
        _ => Err(Problems(ld.problems)),
    }
}

/// Loads and validates everything under `dir`; the current plan is the
/// newest one whose start date is on or before `today` (`None`: the newest).
pub fn load_on(dir: &Path, today: Option<Date>) -> Result<Knowledge, Problems> {
    if !dir.is_dir() {
        return Err(Problems(vec![Problem::with_file(
            dir,
            "the data directory does not exist",
            "run from the repository root, or pass --data / set MADOGUCHI_DATA to the \
             directory holding plan.toml",
        )]));
    }
    let mut ld = Loader::new();
    let plan_files = std::iter::once(dir.join(PLAN_FILE)).chain(toml_files(&dir.join(PLANS_DIR)));
    let mut plans: Vec<LoadedPlan> = plan_files
        .filter_map(|path| plan::load_plan(&mut ld, &path))
        .collect();
    plan::order(&mut ld, &mut plans);
    let current = plan::current(&mut ld, dir, &plans, today);
    let parts = channels::PlanParts {
        measures: plans
            .iter()
            .flat_map(|p| p.measure_index.keys().map(MeasureId::as_str))
            .collect(),
        areas: plans
            .iter()
            .flat_map(|p| p.areas.iter().map(|a| a.number))
            .collect(),
    };
    let channels = channels::load(
        &mut ld,
        &dir.join(CHANNELS_FILE),
        (!plans.is_empty()).then_some(&parts),
    );
    let faqs = faqs::Entries::new(&plans, current).load(&mut ld, &toml_files(&dir.join(FAQ_DIR)));
    let synonyms = synonyms::load(&mut ld, &dir.join(SYNONYMS_FILE));
    let language = language::load(&mut ld, dir, &channels);
    language::check_scope_triggers(&mut ld, dir, &language.scope, &own_texts(&plans, &faqs));
    let user_words = userdict::load(&mut ld, &dir.join(USERDICT_FILE));
    let messages = messages::load(&mut ld, &dir.join(MESSAGES_FILE));
    // Entries may name the measures of every plan; those of the current
    // plan must all have one (a plan not yet in force may still lack them).
    // With no plan loaded, the plan is the one problem, not every entry.
    let all_measures: Vec<&MeasureId> = plans
        .iter()
        .flat_map(|p| p.measures.iter().map(|m| &m.id))
        .collect();
    let required: Vec<&MeasureId> = current
        .map(|c| plans[c].measures.iter().map(|m| &m.id).collect())
        .unwrap_or_default();
    let (owners, english) = if plans.is_empty() {
        Default::default()
    } else {
        let owners = owners::load(&mut ld, &dir.join(OWNERS_FILE), &all_measures, &required);
        let covered = translation::Covered {
            areas: parts.areas.iter().copied().collect(),
            measures: all_measures.clone(),
            required,
            channels: channels.iter().map(|c| c.id.as_str()).collect(),
        };
        let english = translation::load(&mut ld, &dir.join(TRANSLATION_FILE), &covered);
        (owners, english)
    };
    let (Some(current), Some(messages), true) = (current, messages, ld.problems.is_empty()) else {
        if ld.problems.is_empty() {
            // Every way here records its problem; never answer with none.
            ld.problems.push(Problem::with_file(
                dir,
                "the knowledge could not be loaded",
                "run `madoguchi check` and fix what it reports",
            ));
        }
        return Err(Problems(ld.problems));
    };
    let rest = Rest {
        faqs,
        channels,
        synonyms,
        language,
        user_words,
        messages,
        owners,
        english,
    };
    Ok(knowledge(ld.hasher, plans, current, rest))
}

/// What the knowledge holds besides the plans.
struct Rest {
    faqs: Vec<Faq>,
    channels: Vec<Channel>,
    synonyms: Synonyms,
    language: Language,
    user_words: Vec<UserWord>,
    messages: Messages,
    owners: HashMap<MeasureId, OwnerWords>,
    english: Translation,
}

/// The knowledge of plan `current` among `plans`, fingerprinted.
fn knowledge(
    mut hasher: blake3::Hasher,
    mut plans: Vec<LoadedPlan>,
    current: usize,
    rest: Rest,
) -> Knowledge {
    // Which plan is current is part of what the index is built from.
    hasher.update(plans[current].info.start.to_string().as_bytes());
    let infos = plans.iter().map(|p| p.info.clone()).collect();
    let LoadedPlan {
        info: plan,
        areas,
        measures,
        measure_index,
        ..
    } = plans.swap_remove(current);
    Knowledge {
        plan,
        plans: infos,
        areas,
        measures,
        faqs: rest.faqs,
        channels: rest.channels,
        synonyms: rest.synonyms,
        language: rest.language,
        user_words: rest.user_words,
        messages: rest.messages,
        owners: rest.owners,
        english: rest.english,
        fingerprint: hasher.finalize().to_hex().to_string(),
        measure_index,
    }
}

/// The texts the knowledge answers with, each with what it is: a scope
/// trigger found in one of them would decline questions the plan answers.
fn own_texts<'a>(plans: &'a [LoadedPlan], faqs: &'a [Faq]) -> Vec<(String, &'a str)> {
    plans
        .iter()
        .flat_map(|p| &p.measures)
        .map(|m| (format!("measure {}", m.id), m.text.as_str()))
        .chain(faqs.iter().flat_map(|f| {
            std::iter::once(&f.question)
                .chain(&f.alternates)
                .map(move |q| (format!("the FAQ entry {}", f.id), q.as_str()))
        }))
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_compare_by_width_case_and_spacing() {
        assert_eq!(
            question_key(" テレワーク　の補助は？ "),
            question_key("ﾃﾚﾜｰｸ の 補助は?")
        );
        assert_eq!(question_key("ＩＴ導入"), question_key("it導入"));
        assert_ne!(question_key("テレワーク"), question_key("テレワーク補助"));
    }
}
