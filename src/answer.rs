//! The answer a user sees: built from a search [`Outcome`] and the knowledge,
//! serialised as JSON for `ask --json`, rendered as text for the terminal.
//! The Discord surface renders the same [`Answer`]. Every sentence comes from
//! `data/`: measure texts, FAQ answers, channel descriptions and the fixed
//! sentences of `messages.toml`.

use serde::Serialize;

use crate::data::{Actor, ChannelKind, Knowledge, Lang};
use crate::search::{Decision, Kind, Outcome};

/// How many programmes an answer shows at most (fewer when the others score
/// far below the best).
pub const SHOWN_PROGRAMMES: usize = 5;

/// An FAQ answer is shown only from this many leading results: an entry
/// further down answers some other question.
const FAQ_FROM_LEADING: usize = 3;

#[derive(Debug, Clone, Serialize)]
pub struct Answer {
    pub query: String,
    /// The language of the answer: English for a question asked in English
    /// (when `en.toml` has the plan's English), else Japanese.
    pub language: Lang,
    /// The headings of the answer's parts, in its language.
    pub headings: Headings,
    pub answered: bool,
    /// What was decided: answer, did_you_mean, decline, out_of_scope or
    /// greeting.
    pub decision: Decision,
    /// The topic out of scope the question is about (`scope.toml` id).
    pub topic: Option<String>,
    /// Answered, but below the "sure" level: shown as "did you mean…".
    pub sure: bool,
    pub confidence: f32,
    /// Measure ids in rank order, FAQ hits replaced by their measures.
    pub measures: Vec<String>,
    pub results: Vec<ResultItem>,
    pub referrals: Vec<Referral>,
    pub faq: Option<FaqAnswer>,
    pub programmes: Vec<Programme>,
    /// The no-match or did-you-mean sentence, when one applies.
    pub message: Option<String>,
    /// The first line of a sure answer: how many programmes, whose.
    pub lead: Option<String>,
    /// Questions to try instead, when the question was declined.
    pub examples: Vec<String>,
    pub plan: PlanRef,
}

/// The headings of an answer's parts.
#[derive(Debug, Clone, Serialize)]
pub struct Headings {
    pub programmes: String,
    pub faq: String,
    pub referrals: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ResultItem {
    pub kind: Kind,
    pub id: String,
    pub title: String,
    pub score: f32,
    /// The share of the question's concepts it covers.
    pub coverage: f32,
}

#[derive(Debug, Clone, Serialize)]
pub struct Referral {
    pub id: String,
    pub name: String,
    pub kind: ChannelKind,
    pub operator: String,
    pub description: String,
    pub url: Option<String>,
    pub phone: Option<String>,
    pub place: Option<String>,
    pub hours: Option<String>,
    /// The Japanese name, when `name` is English.
    pub japanese: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FaqAnswer {
    pub id: String,
    pub question: String,
    pub answer: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Programme {
    pub id: String,
    /// `area › actor › label`
    pub place: String,
    pub area: u32,
    pub area_title: String,
    pub actor: String,
    pub label: String,
    /// The programme's name in the answer's language (the plan's text in
    /// Japanese).
    pub text: String,
    /// The plan's Japanese text, when `text` is English: to quote to the
    /// chamber.
    pub japanese: Option<String>,
    /// What it is, in English (Japanese answers have the plan's text only).
    pub description: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlanRef {
    pub title: String,
    pub year: String,
    pub start: String,
    /// The sentence naming the plan, from `messages.toml`.
    pub basis: String,
    /// The short line naming it, under an answer in Discord.
    pub footer: String,
}

impl Answer {
    /// Puts together the answer for `query` from a search outcome.
    pub fn build(knowledge: &Knowledge, query: &str, outcome: &Outcome) -> Answer {
        let language = if outcome.reading.english && !knowledge.english.measures.is_empty() {
            Lang::En
        } else {
            Lang::Ja
        };
        let english = language == Lang::En;
        let results = outcome
            .hits
            .iter()
            .map(|h| ResultItem {
                kind: h.kind,
                id: h.id.clone(),
                title: match h.kind {
                    Kind::Measure => knowledge
                        .measure(&h.id)
                        .map(|m| m.text.clone())
                        .unwrap_or_default(),
                    Kind::Faq => knowledge
                        .faq(&h.id)
                        .map(|f| f.question.clone())
                        .unwrap_or_default(),
                },
                score: round3(h.score),
                coverage: round3(h.coverage),
            })
            .collect();
        let referrals = outcome
            .referrals
            .iter()
            .filter_map(|id| knowledge.channels.iter().find(|c| &c.id == id))
            .map(|c| referral(knowledge, c, language))
            .collect();
        // The FAQ answer shown is the best FAQ among the leading results,
        // when it covers the question as well as the best result does.
        let faq = outcome
            .hits
            .iter()
            .take(FAQ_FROM_LEADING)
            .find(|h| h.kind == Kind::Faq && h.coverage >= outcome.confidence)
            .and_then(|h| knowledge.faq(&h.id))
            // (The entries are Japanese: an English answer has the
            // programmes in English instead.)
            // (A "did you mean" suggests; it does not answer.)
            .filter(|_| outcome.decision == Decision::Answer && !english)
            .map(|f| FaqAnswer {
                id: f.id.clone(),
                question: f.question.clone(),
                answer: f.answer.trim().to_string(),
            });
        // A "did you mean" offers the leading candidates; an answer shows
        // the programmes that answer the question.
        let candidates = match outcome.decision {
            Decision::DidYouMean => &outcome.measures,
            _ => &outcome.shown,
        };
        let programmes: Vec<Programme> = candidates
            .iter()
            .take(SHOWN_PROGRAMMES)
            .filter_map(|id| knowledge.measure(id))
            .map(|m| programme(knowledge, m, language))
            .collect();
        let msgs = knowledge.messages.answer(language);
        let message = match outcome.decision {
            Decision::Answer => None,
            Decision::DidYouMean => Some(msgs.did_you_mean.to_string()),
            Decision::Decline => Some(msgs.no_match.to_string()),
            Decision::Greeting => {
                let bot = &knowledge.messages.bot;
                Some(knowledge.messages.help_text(
                    &format!("/{}", bot.ask_name),
                    &format!("/{}", bot.programs_name),
                ))
            }
            Decision::OutOfScope => {
                let topic = outcome
                    .reading
                    .topic
                    .as_deref()
                    .and_then(|id| knowledge.language.scope.iter().find(|t| t.id == id));
                Some(
                    msgs.out_of_scope
                        .replace("{topic}", topic.map_or("", |t| t.name.as_str())),
                )
            }
        };
        let lead = (outcome.decision == Decision::Answer)
            .then(|| lead(&programmes, msgs.lead, msgs.and))
            .flatten();
        let examples = match outcome.decision {
            Decision::Decline | Decision::OutOfScope => msgs.examples.to_vec(),
            _ => Vec::new(),
        };
        Answer {
            query: query.to_string(),
            language,
            headings: Headings {
                programmes: msgs.programmes_heading.to_string(),
                faq: msgs.faq_heading.to_string(),
                referrals: msgs.referrals_heading.to_string(),
            },
            answered: outcome.answered,
            decision: outcome.decision,
            topic: outcome.reading.topic.clone(),
            sure: outcome.sure,
            confidence: round3(outcome.confidence),
            measures: outcome.measures.clone(),
            results,
            referrals,
            faq,
            programmes,
            message,
            lead,
            examples,
            plan: plan_ref(knowledge, &msgs),
        }
    }

    /// The answer as text for a terminal.
    pub fn to_text(&self) -> String {
        let h = &self.headings;
        let mut out = String::new();
        for m in self.lead.iter().chain(&self.message) {
            out.push_str(m);
            out.push_str("\n\n");
        }
        if !self.examples.is_empty() {
            for e in &self.examples {
                out.push_str(&format!("・{e}\n"));
            }
            out.push('\n');
        }
        if let Some(faq) = &self.faq {
            out.push_str(&format!("■ {}: {}\n", h.faq, faq.question));
            for line in faq.answer.lines() {
                out.push_str(&format!("  {line}\n"));
            }
            out.push('\n');
        }
        if !self.programmes.is_empty() {
            out.push_str(&format!("■ {}\n", h.programmes));
            for (i, p) in self.programmes.iter().enumerate() {
                out.push_str(&format!("{:>2}. {}\n", i + 1, p.text));
                if let Some(ja) = &p.japanese {
                    out.push_str(&format!("    {ja}\n"));
                }
                if let Some(d) = &p.description {
                    out.push_str(&format!("    {d}\n"));
                }
                out.push_str(&format!("    {}  [{}]\n", p.place, p.id));
            }
            out.push('\n');
        }
        if !self.referrals.is_empty() {
            out.push_str(&format!("■ {}\n", h.referrals));
            for r in &self.referrals {
                out.push_str(&format!("・{}（{}）\n", r.name, r.operator));
                if let Some(ja) = &r.japanese {
                    out.push_str(&format!("    {ja}\n"));
                }
                if !r.description.is_empty() {
                    out.push_str(&format!("    {}\n", r.description));
                }
                for line in r.contact_lines() {
                    out.push_str(&format!("    {line}\n"));
                }
            }
            out.push('\n');
        }
        out.push_str(&format!("― {}\n", self.plan.basis));
        out
    }
}

impl Referral {
    /// How to reach the channel, a line each: web page, phone, place,
    /// hours (what `channels.toml` has of them).
    pub fn contact_lines(&self) -> impl Iterator<Item = &String> {
        [&self.url, &self.phone, &self.place, &self.hours]
            .into_iter()
            .flatten()
    }
}

/// The first line of a sure answer: how many programmes, of whom (the
/// parties in the order they first appear). `None` without programmes.
fn lead(programmes: &[Programme], sentence: &str, and: &str) -> Option<String> {
    let mut who: Vec<&str> = Vec::new();
    for p in programmes {
        if !who.contains(&p.actor.as_str()) {
            who.push(&p.actor);
        }
    }
    (!programmes.is_empty()).then(|| {
        sentence
            .replace("{who}", &who.join(and))
            .replace("{n}", &programmes.len().to_string())
    })
}

/// The plan an answer rests on, with the sentences naming it.
fn plan_ref(knowledge: &Knowledge, msgs: &crate::data::AnswerSentences<'_>) -> PlanRef {
    let plan = &knowledge.plan;
    let start = plan.start.to_string();
    let mut ymd = start.split('-');
    let (start_year, start_month) = (
        ymd.next().unwrap_or_default(),
        ymd.next().unwrap_or_default().trim_start_matches('0'),
    );
    PlanRef {
        title: plan.title.clone(),
        year: plan.year.clone(),
        start: start.clone(),
        basis: msgs
            .basis
            .replace("{title}", &plan.title)
            .replace("{year}", &plan.year)
            .replace("{start}", &start),
        footer: msgs
            .footer
            .replace("{year}", &plan.year)
            .replace("{start_year}", start_year)
            .replace("{start_month}", start_month),
    }
}

/// A referral channel as an answer in `language` shows it.
fn referral(knowledge: &Knowledge, c: &crate::data::Channel, language: Lang) -> Referral {
    let e = knowledge
        .english
        .channels
        .get(&c.id)
        .filter(|_| language == Lang::En);
    Referral {
        id: c.id.clone(),
        name: e.map_or_else(|| c.name.clone(), |e| e.name.clone()),
        kind: c.kind,
        operator: c.operator.clone(),
        description: e.map_or_else(|| c.description.clone(), |e| e.description.clone()),
        url: c.url.clone(),
        phone: c.phone.clone(),
        place: c.place.clone(),
        hours: c.hours.clone(),
        japanese: e.map(|_| c.name.clone()),
    }
}

/// A measure as an answer in `language` shows it: in English, with the
/// plan's Japanese text beside it.
fn programme(knowledge: &Knowledge, m: &crate::data::Measure, language: Lang) -> Programme {
    let en = &knowledge.english;
    let e = en.measures.get(&m.id).filter(|_| language == Lang::En);
    let (area_title, actor) = match e {
        Some(_) => (
            en.areas.get(&m.area).map(|a| a.name.clone()),
            match m.actor {
                Actor::Tokyo => knowledge.messages.en.tokyo.clone(),
                Actor::Chamber => knowledge.messages.en.chamber.clone(),
            },
        ),
        None => (
            knowledge.area(m.area).map(|a| a.title.clone()),
            m.actor.as_str().to_string(),
        ),
    };
    let area_title = area_title.unwrap_or_default();
    Programme {
        id: m.id.to_string(),
        place: format!("{area_title} › {actor} › {}", m.label),
        area: m.area,
        area_title,
        actor,
        label: m.label.clone(),
        text: e.map_or_else(|| m.text.clone(), |e| e.name.clone()),
        japanese: e.map(|_| m.text.clone()),
        description: e.map(|e| e.description.clone()).filter(|d| !d.is_empty()),
    }
}

fn round3(x: f32) -> f32 {
    (x * 1000.0).round() / 1000.0
}
