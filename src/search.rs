//! From a question to ranked measures and FAQ entries, a confidence figure and
//! referral channels.
//!
//! The query is built from analysed concepts only (a BooleanQuery of
//! TermQuery, boosted per field), so no user text is ever parsed as query
//! syntax. Candidates are re-ranked by *coverage*: the share of the question's
//! concepts a document contains, in any of the words a concept may take. The
//! top document's coverage is the confidence; below the threshold the
//! question is declined rather than answered with noise.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use tantivy::Term;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};

use crate::analysis::{AnalysisError, Analyzer, CONTEXT_WEIGHT, Concept, QueryAnalysis};
use crate::data::{Actor, ChannelKind, Knowledge};
pub use crate::index::Kind;
use crate::index::{
    DocInfo, DocTable, Found, KnowledgeIndex, VOCAB_BIGRAM, VOCAB_ENGLISH, VOCAB_READING,
};
use crate::question::{Reader, Reading};

/// Tuning of the search and of the decision to answer.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// A question is declined unless its confidence is above this.
    pub threshold: f32,
    /// Below this confidence an answer is shown as "did you mean…".
    pub sure: f32,
    /// How many results to return.
    pub limit: usize,
    /// What a concept no document has weighs against the evidence, in idf
    /// (a topic the knowledge lacks, 肉じゃが, is a sign the question is
    /// not about it; context words weigh less than the knowledge's own).
    pub unknown_idf: f32,
    /// Matched evidence at which a match counts in full; less evidence
    /// scales the confidence down.
    pub strong_evidence: f32,
    /// How much a concept found only in a measure's search-only words (the
    /// owner's words of `owners.toml`, its English words) counts: they say
    /// when a programme helps, not what it is.
    pub owner_match: f32,
    /// How much the search-only words weigh in the text score.
    pub boost_owner: f32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            threshold: DECLINE_AT,
            sure: SURE_AT,
            limit: 10,
            unknown_idf: UNKNOWN_IDF,
            strong_evidence: STRONG_EVIDENCE,
            owner_match: OWNER_MATCH,
            boost_owner: BOOST_OWNER,
        }
    }
}

/// Confidence at or below which a question is declined, and from which an
/// answer is sure (not "did you mean…"): calibrated on question sets with
/// `cargo run --release --example calibrate` (see README, How an answer is
/// made).
pub const DECLINE_AT: f32 = 0.34;
pub const SURE_AT: f32 = 0.6;
/// See [`Settings::strong_evidence`]: about one specific word of the plan.
pub const STRONG_EVIDENCE: f32 = 5.0;
/// See [`Settings::unknown_idf`].
pub const UNKNOWN_IDF: f32 = 1.5;

const CANDIDATES: usize = 20;
const BOOST_MAIN: f32 = 3.0;
const BOOST_EXTRA: f32 = 0.7;
const BOOST_READING: f32 = 2.0;
const BOOST_NGRAM: f32 = 0.5;
const WEIGHT_ALTERNATIVE: f32 = 0.7;
/// How much a concept found only in an FAQ answer or a measure's context
/// counts, against one found in what the document is about.
const SECONDARY_MATCH: f32 = 0.75;
/// See [`Settings::owner_match`].
pub const OWNER_MATCH: f32 = 0.8;
/// See [`Settings::boost_owner`].
pub const BOOST_OWNER: f32 = 1.0;
/// What an English word no document has weighs in an English question,
/// against [`Settings::unknown_idf`].
const UNKNOWN_ENGLISH_SHARE: f32 = 0.4;
/// How much of a concept one word of a several-word expression is worth
/// (働く without 改革 for 働き方改革).
const PARTIAL_MATCH: f32 = 0.5;
/// How much of a concept another way of saying it is worth (a synonym, the
/// parts of a compound): the owner's own word, found, is the better sign.
const ALTERNATIVE_MATCH: f32 = 0.9;
/// Results scoring below this share of the best are left out of what an
/// answer shows (they stay in the ranked list): the score mixes coverage
/// and text score, so a result at 0.75 of the best already misses what
/// the best answers (「残業…専門家に相談できる窓口」 and the foreign-recruitment
/// centre's consultations).
pub const FOCUS_SHARE: f32 = 0.8;
/// A programme is shown only when what brought it covers at least this
/// share of what the best result covers of the question: one that shares
/// only 「助成金」 with 「外国人社員の日本語教育に助成金は」 answers something else.
pub const SHOWN_COVERAGE: f32 = 0.6;
/// How much the text score counts against coverage when re-ranking.
const SCORE_SHARE: f32 = 0.5;
/// How much a result loses for covering what the question excludes
/// (「AじゃなくてB」: A), against what it gains for covering what is asked.
const EXCLUDED_SHARE: f32 = 0.6;
/// How much a result loses when the question names only the other actor
/// (「東商のメルマガ」 and a measure of 都).
const OTHER_ACTOR: f32 = 0.3;

/// Errors from a search.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error(transparent)]
    Analysis(#[from] AnalysisError),
    #[error("search failed: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
}

/// One ranked result.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub kind: Kind,
    pub id: String,
    /// Re-ranked score: coverage plus a share of the normalised text score.
    pub score: f32,
    /// Share of the question's concepts this result covers.
    pub coverage: f32,
}

/// What the search decided to do with a question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// The best results match: answered.
    Answer,
    /// Something matches, not clearly: answered as "did you mean…".
    DidYouMean,
    /// Nothing in the knowledge matches well enough: declined.
    Decline,
    /// About a topic the plan does not cover (`scope.toml`): declined with
    /// its referral.
    OutOfScope,
    /// Only greetings or thanks: the help text.
    Greeting,
}

impl Decision {
    /// Whether programmes are shown.
    pub fn answered(self) -> bool {
        matches!(self, Decision::Answer | Decision::DidYouMean)
    }
}

/// How strongly the best result matches: the figures the decision rests on
/// (`matched`, `focus`, `coverage`), and `margin`, shown beside them in
/// `madoguchi analyze` and the calibration.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Evidence {
    /// Specificity (idf) of the question's concepts the best result has,
    /// each weighted as in coverage, summed.
    pub matched: f32,
    /// The same over every concept of the question, a word no document has
    /// counting [`Settings::unknown_idf`].
    pub known: f32,
    /// `matched / known`: how much of what the knowledge could match, the
    /// best result does.
    pub focus: f32,
    /// Share of all the question's concepts the best result covers.
    pub coverage: f32,
    /// How far the best result's score stands above the second's.
    pub margin: f32,
}

impl Evidence {
    /// One figure from 0 to 1: focus, scaled down where the match is weak:
    /// the matched evidence below `strong`, unless the best result has
    /// every word of the question (plain words of the plan, all found, are
    /// strong evidence together).
    pub fn confidence(&self, strong: f32) -> f32 {
        let strength = (self.matched / strong.max(f32::EPSILON)).max(self.coverage * self.coverage);
        self.focus * strength.min(1.0)
    }
}

/// The outcome of a search.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub reading: Reading,
    pub analysis: QueryAnalysis,
    pub hits: Vec<Hit>,
    pub decision: Decision,
    pub evidence: Evidence,
    pub confidence: f32,
    pub answered: bool,
    pub sure: bool,
    /// Measure ids in rank order, FAQ hits replaced by their measures
    /// (empty when declined).
    pub measures: Vec<String>,
    /// The same ranking whatever the decision (for calibration and
    /// `analyze`).
    pub ranked: Vec<String>,
    /// The measures an answer shows, in rank order: those brought by a
    /// result scoring close to the best (at least [`FOCUS_SHARE`] of its
    /// score) that covers the question about as well as the best does
    /// ([`SHOWN_COVERAGE`]) — a measure an FAQ entry only lists must score
    /// so on its own. Never empty when `measures` is not.
    pub shown: Vec<String>,
    /// Channel ids, most specific first.
    pub referrals: Vec<String>,
}

/// Searches the index for a question.
pub fn search(
    knowledge: &Knowledge,
    analyzer: &Analyzer,
    index: &KnowledgeIndex,
    reader: &Reader,
    settings: &Settings,
    question: &str,
) -> Result<Outcome, SearchError> {
    let reading = reader.read(question);
    let searcher = index.reader.searcher();
    let f = &index.fields;
    let known_reading = |r: &str| {
        searcher
            .doc_freq(&Term::from_field_text(f.reading, r))
            .is_ok_and(|n| n > 0)
    };
    let analysis = analyzer.question(&reading.asked, &known_reading)?;
    let excluded = excluded(analyzer, &reading, &analysis, &known_reading)?;
    let mut hits = Vec::new();
    let mut evidence = Evidence::default();
    if let Some(query) = build_query(
        index,
        &analysis.concepts,
        settings.boost_owner,
        reading.english,
    ) {
        let top = searcher.search_with_statistics_provider(
            &query,
            &TopDocs::with_limit(CANDIDATES).order_by_score(),
            &index.statistics.with(&searcher),
        )?;
        let max = top.first().map_or(1.0, |(s, _)| s.max(f32::EPSILON));
        let concepts = ConceptIds::new(
            &index.docs,
            &analysis.concepts,
            settings.unknown_idf,
            reading.english,
            settings.owner_match,
        );
        let excluded = ConceptIds::new(&index.docs, &excluded, 0.0, false, settings.owner_match);
        let mut scored = Vec::new();
        for (score, addr) in top {
            let Some(doc) = index.docs.get(addr) else {
                continue;
            };
            let m = concepts.coverage(&index.docs, doc);
            let x = excluded.coverage(&index.docs, doc);
            // (Only measures: an FAQ matched in the owner's words knows
            // better whose programme 「都の支援情報を東商で」 asks for.)
            let other_actor = doc.kind == Kind::Measure
                && reading
                    .actor
                    .is_some_and(|a| knowledge.measure(&doc.id).is_some_and(|m| m.actor != a));
            let hit = Hit {
                kind: doc.kind,
                id: doc.id.clone(),
                score: m.specific + SCORE_SHARE * score / max
                    - EXCLUDED_SHARE * x.specific
                    - if other_actor { OTHER_ACTOR } else { 0.0 },
                coverage: m.share,
            };
            scored.push((hit, m));
        }
        scored.sort_by(|a, b| b.0.score.total_cmp(&a.0.score));
        if let Some((best, m)) = scored.first() {
            let second = scored.get(1).map_or(0.0, |(h, _)| h.score);
            evidence = Evidence {
                matched: m.matched_idf,
                known: m.known_idf,
                focus: if m.known_idf > 0.0 {
                    m.matched_idf / m.known_idf
                } else {
                    0.0
                },
                coverage: m.share,
                margin: best.score - second,
            };
        }
        hits = scored.into_iter().map(|(h, _)| h).collect();
    }
    let confidence = evidence.confidence(settings.strong_evidence);
    let decision = if reading.topic.is_some() {
        Decision::OutOfScope
    } else if reading.only_phrases && confidence <= settings.threshold {
        Decision::Greeting
    } else if confidence <= settings.threshold {
        Decision::Decline
    } else if confidence < settings.sure {
        Decision::DidYouMean
    } else {
        Decision::Answer
    };
    let (ranked, shown) = rank_measures(knowledge, &hits, settings.limit, reading.actor);
    // What an answer shows is the ranking; a declined one shows none.
    let (measures, shown) = if decision.answered() {
        (ranked.clone(), shown)
    } else {
        hits.clear();
        (Vec::new(), Vec::new())
    };
    hits.truncate(settings.limit);
    let referrals = match (&decision, &reading.topic) {
        (Decision::OutOfScope, Some(topic)) => knowledge
            .language
            .scope
            .iter()
            .filter(|t| &t.id == topic)
            .map(|t| t.referral.clone())
            .collect(),
        _ => referrals(knowledge, &hits, &shown),
    };
    Ok(Outcome {
        reading,
        analysis,
        hits,
        decision,
        evidence,
        confidence,
        answered: decision.answered(),
        sure: decision == Decision::Answer,
        measures,
        ranked,
        shown,
        referrals,
    })
}

/// The concepts of what a question excludes (「AじゃなくてB」: A) that it
/// does not also ask.
fn excluded(
    analyzer: &Analyzer,
    reading: &Reading,
    analysis: &QueryAnalysis,
    known_reading: &dyn Fn(&str) -> bool,
) -> Result<Vec<Concept>, SearchError> {
    if reading.excluded.is_empty() {
        return Ok(Vec::new());
    }
    let asked: HashSet<&String> = analysis.concepts.iter().flat_map(|c| &c.terms).collect();
    Ok(analyzer
        .question(&reading.excluded, known_reading)?
        .concepts
        .into_iter()
        .filter(|c| !c.terms.iter().any(|t| asked.contains(t)))
        .collect())
}

/// Measure ids in rank order, FAQ hits replaced by their measures, and the
/// ones an answer shows (see [`Outcome::shown`]).
fn rank_measures(
    knowledge: &Knowledge,
    hits: &[Hit],
    limit: usize,
    actor: Option<Actor>,
) -> (Vec<String>, Vec<String>) {
    // How each measure scored on its own, to order an FAQ's measures and
    // to judge the ones an FAQ only lists.
    let own: HashMap<&str, &Hit> = hits
        .iter()
        .filter(|h| h.kind == Kind::Measure)
        .map(|h| (h.id.as_str(), h))
        .collect();
    let own_score = |id: &str| own.get(id).map_or(f32::MIN, |h| h.score);
    let mut measures: Vec<String> = Vec::new();
    let mut shown: Vec<String> = Vec::new();
    let focus = hits.first().map_or(0.0, |h| h.score * FOCUS_SHARE);
    let cover = hits.first().map_or(0.0, |h| h.coverage * SHOWN_COVERAGE);
    let answers = |h: &Hit| h.score >= focus && h.coverage >= cover;
    for h in hits.iter().take(limit) {
        // A measure is its own main measure; an FAQ entry has one when it
        // is about one area.
        let has_main = h.kind == Kind::Measure || faq_has_main(knowledge, &h.id);
        let ids: Vec<&str> = match h.kind {
            Kind::Measure => vec![h.id.as_str()],
            Kind::Faq => {
                let mut ids: Vec<&str> = knowledge
                    .faq(&h.id)
                    .map(|q| q.measures.iter().map(|m| m.as_str()).collect())
                    .unwrap_or_default();
                // The first measure is what the FAQ is about; the others
                // follow by how well they scored on their own (stable: the
                // FAQ's order among those that did not score, last).
                // An FAQ about several areas at once (「東商のメルマガで情報は
                //届く？」) has no main measure: all follow their own
                // relevance, so the area the question names comes first.
                let rest = if has_main {
                    ids.get_mut(1..).unwrap_or_default()
                } else {
                    &mut ids[..]
                };
                rest.sort_by(|a, b| own_score(b).total_cmp(&own_score(a)));
                // The actor the question names comes first (stable).
                if let Some(actor) = actor {
                    ids.sort_by_key(|id| knowledge.measure(id).is_none_or(|m| m.actor != actor));
                }
                ids
            }
        };
        let main = ids.first().copied().filter(|_| has_main);
        for id in ids {
            if !measures.iter().any(|m| m == id) {
                measures.push(id.to_string());
            }
            let shows = if Some(id) == main {
                answers(h)
            } else {
                own.get(id).is_some_and(|o| answers(o))
            };
            if shows && !shown.iter().any(|m| m == id) {
                shown.push(id.to_string());
            }
        }
    }
    if shown.is_empty() {
        shown.extend(measures.first().cloned());
    }
    (measures, shown)
}

/// Whether the measures of FAQ entry `id` are all of one area: its first is
/// what it is about. (One about several areas at once lists them alike.)
fn faq_has_main(knowledge: &Knowledge, id: &str) -> bool {
    let areas: HashSet<u32> = knowledge
        .faq(id)
        .into_iter()
        .flat_map(|q| &q.measures)
        .filter_map(|m| knowledge.measure(m.as_str()))
        .map(|m| m.area)
        .collect();
    areas.len() <= 1
}

fn term_query(field: Field, text: &str, boost: f32) -> Box<dyn Query> {
    let q = TermQuery::new(
        Term::from_field_text(field, text),
        IndexRecordOption::WithFreqs,
    );
    Box::new(BoostQuery::new(Box::new(q), boost))
}

fn build_query(
    index: &KnowledgeIndex,
    concepts: &[Concept],
    boost_owner: f32,
    english: bool,
) -> Option<BooleanQuery> {
    let f = &index.fields;
    let word_fields = [
        (f.main, BOOST_MAIN),
        (f.extra, BOOST_EXTRA),
        (f.owner, boost_owner),
    ];
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    let mut seen = HashSet::new();
    for c in concepts {
        let words = c.terms.iter().map(|t| (t, 1.0)).chain(
            c.alternatives
                .iter()
                .flatten()
                .map(|t| (t, WEIGHT_ALTERNATIVE)),
        );
        for (term, weight) in words {
            // Words no document has cost a lookup per field and match nothing.
            if index.docs.term_id(term).is_none() || !seen.insert(("w", term.clone())) {
                continue;
            }
            for (field, boost) in word_fields {
                clauses.push((Occur::Should, term_query(field, term, boost * weight)));
            }
        }
        // An English question's words also meet the English side, in the
        // field of the search-only words.
        for t in c.terms.iter().filter(|t| english && t.is_ascii()) {
            let entry = format!("{VOCAB_ENGLISH}{t}");
            if index.docs.term_id(&entry).is_some() && seen.insert(("e", entry.clone())) {
                clauses.push((Occur::Should, term_query(f.owner, &entry, BOOST_MAIN)));
            }
        }
        for r in &c.readings {
            if seen.insert(("r", r.clone())) {
                // (Readings come from the index itself: they are known.)
                clauses.push((Occur::Should, term_query(f.reading, r, BOOST_READING)));
            }
        }
        for b in &c.bigrams {
            let known = index.docs.term_id(&format!("{VOCAB_BIGRAM}{b}")).is_some();
            if known && seen.insert(("g", b.clone())) {
                clauses.push((Occur::Should, term_query(f.ngram, b, BOOST_NGRAM)));
            }
        }
    }
    (!clauses.is_empty()).then(|| BooleanQuery::new(clauses))
}

/// How a document covers a question's concepts.
#[derive(Debug, Clone, Copy, Default)]
struct Coverage {
    share: f32,
    specific: f32,
    matched_idf: f32,
    known_idf: f32,
}

/// A question's concepts as vocabulary ids, looked up once per question.
struct ConceptIds {
    concepts: Vec<ConceptId>,
    /// [`Settings::owner_match`].
    owner_match: f32,
}

struct ConceptId {
    weight: f32,
    /// What it weighs when a document does not have it.
    unmatched: f32,
    /// How specific the most specific of its words is.
    idf: f32,
    /// What it weighs, in idf, when the document lacks it.
    missing_idf: f32,
    /// Terms and readings: any one matches.
    any: Vec<u32>,
    /// The words of one expression: any one alone is a partial match.
    partial: Vec<u32>,
    /// Alternatives: any one matches where all its terms are found.
    phrases: Vec<Vec<u32>>,
    /// Bigrams of an unknown word: two thirds must match.
    bigrams: Vec<Option<u32>>,
}

impl ConceptIds {
    fn new(
        table: &DocTable,
        concepts: &[Concept],
        unknown_idf: f32,
        english: bool,
        owner_match: f32,
    ) -> ConceptIds {
        let concepts = concepts
            .iter()
            .map(|c| {
                let mut phrases: Vec<Vec<u32>> = c
                    .alternatives
                    .iter()
                    .filter_map(|p| p.iter().map(|t| table.term_id(t)).collect())
                    .collect();
                let terms: Vec<u32> = c.terms.iter().filter_map(|t| table.term_id(t)).collect();
                let whole = c.whole && c.terms.len() > 1;
                let partial = if whole { terms.clone() } else { Vec::new() };
                if whole && terms.len() == c.terms.len() {
                    phrases.push(terms.clone());
                }
                // An English question's words also meet the English side.
                let english_ids = c
                    .terms
                    .iter()
                    .filter(|t| english && t.is_ascii())
                    .filter_map(|t| table.term_id(&format!("{VOCAB_ENGLISH}{t}")));
                let any: Vec<u32> = (if whole { Vec::new() } else { terms })
                    .into_iter()
                    .chain(english_ids)
                    .chain(
                        c.readings
                            .iter()
                            .filter_map(|r| table.term_id(&format!("{VOCAB_READING}{r}"))),
                    )
                    .collect();
                let bigrams = if c.unknown && c.bigrams.len() >= 2 {
                    c.bigrams
                        .iter()
                        .map(|b| table.term_id(&format!("{VOCAB_BIGRAM}{b}")))
                        .collect()
                } else {
                    Vec::new()
                };
                let idf = any
                    .iter()
                    .chain(&partial)
                    .chain(phrases.iter().flatten())
                    .chain(bigrams.iter().flatten())
                    .map(|&t| table.idf(t))
                    .fold(0.0, f32::max);
                // A word no document has: what it weighs against the evidence.
                // (In an English question, an English word nobody knows is
                // more often filler than a missing topic: the staff's
                // English is far smaller than the language.)
                let latin = english && c.terms.iter().all(|t| t.is_ascii());
                let unknown_idf = if latin {
                    unknown_idf * UNKNOWN_ENGLISH_SHARE
                } else {
                    unknown_idf
                };
                let idf = if idf > 0.0 { idf } else { unknown_idf };
                // A word only the owners' texts have weighs, unmatched, no
                // more than one nobody has: those texts widen what is found,
                // not what a question is held against.
                let own = any
                    .iter()
                    .chain(&partial)
                    .chain(phrases.iter().flatten())
                    .chain(bigrams.iter().flatten())
                    .any(|&t| table.is_own(t));
                let missing_idf = if own { idf } else { idf.min(unknown_idf) };
                ConceptId {
                    missing_idf,
                    weight: c.weight,
                    unmatched: if c.context {
                        c.weight * CONTEXT_WEIGHT
                    } else {
                        c.weight
                    },
                    idf,
                    any,
                    partial,
                    phrases,
                    bigrams,
                }
            })
            .collect();
        ConceptIds {
            concepts,
            owner_match,
        }
    }

    /// How a document covers the concepts: the weighted share found
    /// (plain, and with each concept also weighted by how specific it is, so
    /// that the rare word of a question decides between documents that
    /// cover the same share), and the specificity matched and known.
    fn coverage(&self, table: &DocTable, doc: &DocInfo) -> Coverage {
        let (mut total, mut matched, mut total_idf, mut matched_idf) = (0.0, 0.0, 0.0, 0.0);
        for c in &self.concepts {
            let found = Self::credit(c, table, doc, self.owner_match);
            // Matched, a concept weighs its weight; unmatched, what it
            // weighs unmatched (less for context).
            let weight = c.unmatched + (c.weight - c.unmatched) * found;
            total += weight;
            matched += c.weight * found;
            total_idf += weight * if found > 0.0 { c.idf } else { c.missing_idf };
            matched_idf += c.weight * c.idf * found;
        }
        let share = |m: f32, t: f32| if t > 0.0 { m / t } else { 0.0 };
        Coverage {
            share: share(matched, total),
            specific: share(matched_idf, total_idf),
            matched_idf,
            known_idf: total_idf,
        }
    }

    /// How well a document has a concept: in full where the question's own
    /// words are in what the document is about, less where they are only
    /// in its answer or context ([`SECONDARY_MATCH`]) or where only other
    /// ways of saying them are ([`ALTERNATIVE_MATCH`]), half for one word
    /// of a several-word expression ([`PARTIAL_MATCH`]); nothing where none is.
    fn credit(c: &ConceptId, table: &DocTable, doc: &DocInfo, owner_match: f32) -> f32 {
        let field = |f: Option<Found>| match f {
            Some(Found::Primary) => 1.0,
            Some(Found::Secondary) => SECONDARY_MATCH,
            Some(Found::Owner) => owner_match,
            None => 0.0,
        };
        // A phrase is found as well as its least well found term.
        let phrase = |p: &Vec<u32>| -> Option<Found> {
            p.iter()
                .map(|&t| table.find(doc, t))
                .try_fold(Found::Primary, |worst, f| f.map(|f| worst.max(f)))
        };
        // Each kind of match is looked for only while it could do better.
        let mut best = field(c.any.iter().filter_map(|&t| table.find(doc, t)).min());
        if best < ALTERNATIVE_MATCH && !c.phrases.is_empty() {
            let other = field(c.phrases.iter().filter_map(phrase).min());
            best = best.max(ALTERNATIVE_MATCH * other);
        }
        if best < PARTIAL_MATCH && !c.partial.is_empty() {
            let part = field(c.partial.iter().filter_map(|&t| table.find(doc, t)).min());
            best = best.max(PARTIAL_MATCH * part);
        }
        if best >= 1.0 || c.bigrams.is_empty() {
            return best;
        }
        let found = c
            .bigrams
            .iter()
            .filter(|b| b.is_some_and(|t| table.find(doc, t).is_some()))
            .count();
        if found * 3 >= c.bigrams.len() * 2 {
            1.0
        } else {
            best
        }
    }
}

/// Channels for the best measures: places to ask and services first, then
/// where the chamber publishes; the default channel when nothing more
/// specific applies.
fn referrals(knowledge: &Knowledge, hits: &[Hit], measures: &[String]) -> Vec<String> {
    const FROM_MEASURES: usize = 3;
    let mut out: Vec<String> = Vec::new();
    // The channels the best result, an FAQ entry, tells the owner to ask
    // (named in its answer), first: the answer's text and where it points
    // agree.
    if let Some(faq) = hits
        .first()
        .filter(|h| h.kind == Kind::Faq)
        .and_then(|h| knowledge.faq(&h.id))
    {
        let mut named: Vec<(usize, &str)> = knowledge
            .channels
            .iter()
            .filter(|c| matches!(c.kind, ChannelKind::Contact | ChannelKind::Service))
            .filter_map(|c| faq.answer.find(&c.name).map(|at| (at, c.id.as_str())))
            .collect();
        named.sort();
        out.extend(named.into_iter().map(|(_, id)| id.to_string()));
    }
    if !hits.is_empty() {
        let top: Vec<_> = measures
            .iter()
            .take(FROM_MEASURES)
            .filter_map(|id| knowledge.measure(id))
            .collect();
        for pass in [
            &[ChannelKind::Contact, ChannelKind::Service][..],
            &[ChannelKind::Event, ChannelKind::Info][..],
        ] {
            for m in &top {
                for c in knowledge.channels_for(m) {
                    if pass.contains(&c.kind) && !out.contains(&c.id) {
                        out.push(c.id.clone());
                    }
                }
            }
        }
    }
    let has_contact = out.iter().any(|id| {
        knowledge
            .channels
            .iter()
            .any(|c| &c.id == id && c.kind == ChannelKind::Contact)
    });
    if !has_contact && let Some(d) = knowledge.default_channel() {
        out.insert(0, d.id.clone());
    }
    out
}
