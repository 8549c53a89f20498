//! The answer a user sees: built from a search [`Outcome`] and the knowledge,
//! serialised as JSON for `ask --json`, rendered as text for the terminal.
//! The Discord surface renders the same [`Answer`]. Every sentence comes from
//! `data/`: measure texts, FAQ answers, channel descriptions and the fixed
//! sentences of `messages.toml`.

use serde::Serialize;

use crate::data::{ChannelKind, Knowledge};
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
    pub plan: PlanRef,
}

#[derive(Debug, Clone, Serialize)]
pub struct ResultItem {
    pub kind: Kind,
    pub id: String,
    pub title: String,
    pub score: f32,
}

#[derive(Debug, Clone, Serialize)]
pub struct Referral {
    pub id: String,
    pub name: String,
    pub kind: ChannelKind,
    pub operator: String,
    pub description: String,
    pub url: Option<String>,
    pub contact: Option<String>,
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
    pub text: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlanRef {
    pub title: String,
    pub year: String,
    pub start: String,
    /// The sentence naming the plan, from `messages.toml`.
    pub basis: String,
}

impl Answer {
    /// Puts together the answer for `query` from a search outcome.
    pub fn build(knowledge: &Knowledge, query: &str, outcome: &Outcome) -> Answer {
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
            })
            .collect();
        let referrals = outcome
            .referrals
            .iter()
            .filter_map(|id| knowledge.channels.iter().find(|c| &c.id == id))
            .map(|c| Referral {
                id: c.id.clone(),
                name: c.name.clone(),
                kind: c.kind,
                operator: c.operator.clone(),
                description: c.description.clone(),
                url: c.url.clone(),
                contact: c.contact.clone(),
            })
            .collect();
        // The FAQ answer shown is the best FAQ among the leading results,
        // when it covers the question as well as the best result does.
        let faq = outcome
            .hits
            .iter()
            .take(FAQ_FROM_LEADING)
            .find(|h| h.kind == Kind::Faq && h.coverage >= outcome.confidence)
            .and_then(|h| knowledge.faq(&h.id))
            .filter(|_| outcome.answered)
            .map(|f| FaqAnswer {
                id: f.id.clone(),
                question: f.question.clone(),
                answer: f.answer.trim().to_string(),
            });
        let programmes = outcome
            .measures
            .iter()
            .take(outcome.focused.clamp(1, SHOWN_PROGRAMMES))
            .filter_map(|id| knowledge.measure(id))
            .map(|m| Programme {
                id: m.id.to_string(),
                place: knowledge.place(m),
                area: m.area,
                area_title: knowledge
                    .area(m.area)
                    .map(|a| a.title.clone())
                    .unwrap_or_default(),
                actor: m.actor.as_str().to_string(),
                label: m.label.clone(),
                text: m.text.clone(),
            })
            .collect();
        let msgs = &knowledge.messages;
        let message = match outcome.decision {
            Decision::Answer => None,
            Decision::DidYouMean => Some(msgs.did_you_mean.clone()),
            Decision::Decline => Some(msgs.no_match.clone()),
            Decision::Greeting => Some(msgs.help.trim().to_string()),
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
        let plan = &knowledge.plan;
        Answer {
            query: query.to_string(),
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
            plan: PlanRef {
                title: plan.title.clone(),
                year: plan.year.clone(),
                start: plan.start.to_string(),
                basis: msgs
                    .basis
                    .replace("{title}", &plan.title)
                    .replace("{year}", &plan.year)
                    .replace("{start}", &plan.start.to_string()),
            },
        }
    }

    /// The answer as text for a terminal.
    pub fn to_text(&self, knowledge: &Knowledge) -> String {
        let msgs = &knowledge.messages;
        let mut out = String::new();
        if let Some(m) = &self.message {
            out.push_str(m);
            out.push_str("\n\n");
        }
        if let Some(faq) = &self.faq {
            out.push_str(&format!("■ {}: {}\n", msgs.faq_heading, faq.question));
            for line in faq.answer.lines() {
                out.push_str(&format!("  {line}\n"));
            }
            out.push('\n');
        }
        if !self.programmes.is_empty() {
            out.push_str(&format!("■ {}\n", msgs.programmes_heading));
            for (i, p) in self.programmes.iter().enumerate() {
                out.push_str(&format!(
                    "{:>2}. {}\n    {}  [{}]\n",
                    i + 1,
                    p.text,
                    p.place,
                    p.id
                ));
            }
            out.push('\n');
        }
        if !self.referrals.is_empty() {
            out.push_str(&format!("■ {}\n", msgs.referrals_heading));
            for r in &self.referrals {
                out.push_str(&format!("・{}（{}）\n", r.name, r.operator));
                if !r.description.is_empty() {
                    out.push_str(&format!("    {}\n", r.description));
                }
                if let Some(url) = &r.url {
                    out.push_str(&format!("    {url}\n"));
                }
                if let Some(contact) = &r.contact {
                    out.push_str(&format!("    {contact}\n"));
                }
            }
            out.push('\n');
        }
        out.push_str(&format!("― {}\n", self.plan.basis));
        out
    }
}

fn round3(x: f32) -> f32 {
    (x * 1000.0).round() / 1000.0
}
