//! The language knowledge staff edit beside the plan: set phrases that carry
//! no question (`phrases.toml`), the English vocabulary (`english.toml`) and
//! the topics the plan does not cover (`scope.toml`). Loaded and validated
//! like every other data file: each problem names its file, line and entry.

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::{Channel, Loader};

pub const PHRASES_FILE: &str = "phrases.toml";
pub const ENGLISH_FILE: &str = "english.toml";
pub const SCOPE_FILE: &str = "scope.toml";

/// Phrases that are manners, not the question (`phrases.toml`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Phrases {
    /// Greetings, thanks and closing formulas, removed wherever they occur.
    pub greetings: Vec<String>,
    /// A sentence ending in one of these introduces the writer and is
    /// removed whole (…と申します).
    pub introductions: Vec<String>,
    /// How owners name each actor of the plan: a question that names only
    /// one of them prefers that actor's measures.
    pub actors: ActorNames,
}

/// How owners name the two actors (`[actors]` of `phrases.toml`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActorNames {
    /// 都: 東京都, 都庁, 都の…
    #[serde(default)]
    pub tokyo: Vec<String>,
    /// 東京商工会議所: 東商, 会議所…
    #[serde(default)]
    pub chamber: Vec<String>,
}

/// English words owners use, mapped to the plan's Japanese words
/// (`english.toml`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct English {
    pub terms: Vec<EnglishTerm>,
    /// Words with no topic: skipped in English text.
    pub ignore: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EnglishTerm {
    /// Words or phrases, lower case.
    pub en: Vec<String>,
    /// The Japanese words searched for instead.
    pub ja: Vec<String>,
}

/// A topic owners ask about that the plan does not cover (`scope.toml`).
#[derive(Debug, Clone, Serialize)]
pub struct ScopeTopic {
    pub id: String,
    /// How the decline names the topic.
    pub name: String,
    /// Words that mark a question as about the topic.
    pub triggers: Vec<String>,
    /// Longer words that contain a trigger but are not the topic (東京都
    /// contains 京都): a trigger found inside one of them does not count.
    pub except: Vec<String>,
    /// The channel the owner is referred to.
    pub referral: String,
    /// Where the topic starts in `scope.toml`.
    #[serde(skip)]
    pub line: usize,
}

/// Everything of this module's three files.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Language {
    pub phrases: Phrases,
    pub english: English,
    pub scope: Vec<ScopeTopic>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPhrases {
    greetings: Option<Spanned<Vec<String>>>,
    introductions: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    actors: ActorNames,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEnglish {
    #[serde(default)]
    ignore: Vec<String>,
    #[serde(default)]
    term: Vec<Spanned<RawTerm>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTerm {
    en: Vec<String>,
    ja: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScope {
    #[serde(default)]
    topic: Vec<Spanned<RawTopic>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTopic {
    id: String,
    name: String,
    triggers: Vec<String>,
    #[serde(default)]
    except: Vec<String>,
    referral: String,
}

/// Loads the three files of `dir` (each optional), recording problems in
/// `ld`. Scope referrals are checked against `channels`.
pub(super) fn load(ld: &mut Loader, dir: &Path, channels: &[Channel]) -> Language {
    Language {
        phrases: load_phrases(ld, dir),
        english: load_english(ld, dir),
        scope: load_scope(ld, dir, channels),
    }
}

/// An optional file of `dir`, read and parsed; `None` when it is absent or
/// broken (the problem is recorded).
fn read_optional<T: serde::de::DeserializeOwned>(
    ld: &mut Loader,
    dir: &Path,
    file: &str,
) -> Option<(super::Source, T)> {
    let src = ld.read(&dir.join(file), false)?;
    let raw = ld.parse::<T>(&src)?;
    Some((src, raw))
}

fn trimmed(words: Vec<String>) -> Vec<String> {
    words
        .into_iter()
        .map(|w| w.trim().to_string())
        .filter(|w| !w.is_empty())
        .collect()
}

fn load_phrases(ld: &mut Loader, dir: &Path) -> Phrases {
    let Some((src, raw)) = read_optional::<RawPhrases>(ld, dir, PHRASES_FILE) else {
        return Phrases::default();
    };
    for (key, list) in [
        ("greetings", &raw.greetings),
        ("introductions", &raw.introductions),
    ] {
        let Some(list) = list else { continue };
        if list.get_ref().iter().any(|p| p.trim().chars().count() < 2) {
            ld.problems.push(src.problem(
                Some(list.span()),
                Some(key),
                format!("`{key}` has an empty or one-character phrase"),
                "remove it: a phrase that short would be cut out of real questions",
            ));
        }
    }
    Phrases {
        greetings: trimmed(raw.greetings.map(Spanned::into_inner).unwrap_or_default()),
        introductions: trimmed(
            raw.introductions
                .map(Spanned::into_inner)
                .unwrap_or_default(),
        ),
        actors: ActorNames {
            tokyo: trimmed(raw.actors.tokyo),
            chamber: trimmed(raw.actors.chamber),
        },
    }
}

fn load_english(ld: &mut Loader, dir: &Path) -> English {
    let Some((src, raw)) = read_optional::<RawEnglish>(ld, dir, ENGLISH_FILE) else {
        return English::default();
    };
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut terms = Vec::new();
    for t in raw.term {
        let span = t.span();
        let line = src.line_of(span.start);
        let t = t.into_inner();
        let en: Vec<String> = trimmed(t.en)
            .into_iter()
            .map(|e| e.to_lowercase())
            .collect();
        let ja = trimmed(t.ja);
        let entry = en.first().cloned().unwrap_or_default();
        if en.is_empty() || ja.is_empty() {
            ld.problems.push(src.problem(
                Some(span),
                Some(&entry),
                "a term needs English words in `en` and Japanese words in `ja`",
                "fill in both lists, or remove the term",
            ));
            continue;
        }
        if let Some(bad) = en.iter().find(|e| !e.is_ascii()) {
            ld.problems.push(src.problem(
                Some(span.clone()),
                Some(&entry),
                format!("`en` has `{bad}`, which is not English (ASCII) text"),
                "write the Japanese in `ja`; `en` holds what owners type in English",
            ));
        }
        for e in &en {
            if let Some(first) = seen.insert(e.clone(), line) {
                ld.problems.push(src.problem(
                    Some(span.clone()),
                    Some(e),
                    format!("`{e}` is already a term at line {first}"),
                    "keep each English word in one term; merge the Japanese words there",
                ));
            }
        }
        terms.push(EnglishTerm { en, ja });
    }
    English {
        terms,
        ignore: trimmed(raw.ignore)
            .into_iter()
            .map(|w| w.to_lowercase())
            .collect(),
    }
}

fn load_scope(ld: &mut Loader, dir: &Path, channels: &[Channel]) -> Vec<ScopeTopic> {
    let Some((src, raw)) = read_optional::<RawScope>(ld, dir, SCOPE_FILE) else {
        return Vec::new();
    };
    let mut ids: HashMap<String, usize> = HashMap::new();
    let mut topics = Vec::new();
    for t in raw.topic {
        let span = t.span();
        let line = src.line_of(span.start);
        let t = t.into_inner();
        let mut ok = true;
        let mut problem = |message: String, fix: &str| {
            ld.problems
                .push(src.problem(Some(span.clone()), Some(&t.id), message, fix));
            ok = false;
        };
        if !super::valid_id(&t.id) {
            problem(
                format!("`{}` is not a valid id", t.id),
                "use letters, digits, `-`, `_` and `.` only",
            );
        } else if let Some(first) = ids.insert(t.id.clone(), line) {
            problem(
                format!("the id `{}` is already used at line {first}", t.id),
                "give each topic its own id",
            );
        }
        if t.name.trim().is_empty() {
            problem(
                "`name` is empty".into(),
                "write how the answer names the topic",
            );
        }
        let triggers = trimmed(t.triggers);
        if triggers.is_empty() {
            problem(
                "`triggers` is empty".into(),
                "list the words that mark a question as about this topic",
            );
        }
        // Triggers match with punctuation and spaces ignored: M&A is "ma",
        // which is inside "many".
        let letters = |w: &str| w.chars().filter(|c| c.is_alphanumeric()).count();
        let ascii_short = |w: &str| w.is_ascii() && letters(w) < 4;
        if let Some(short) = triggers.iter().find(|w| letters(w) < 2 || ascii_short(w)) {
            problem(
                format!("the trigger `{short}` is too short"),
                "use a longer word (two letters or more, four in Latin letters): triggers \
                 are found inside other words, punctuation ignored",
            );
        }
        if !channels.iter().any(|c| c.id == t.referral) {
            let known: Vec<&str> = channels.iter().map(|c| c.id.as_str()).collect();
            problem(
                format!("`referral` names `{}`, which is no channel", t.referral),
                &format!(
                    "use the id of a channel in channels.toml: {}",
                    known.join(", ")
                ),
            );
        }
        if ok {
            topics.push(ScopeTopic {
                id: t.id,
                name: t.name.trim().to_string(),
                triggers,
                except: trimmed(t.except),
                referral: t.referral,
                line,
            });
        }
    }
    topics
}

/// Problems with scope triggers that occur in the knowledge's own texts
/// (`texts`: what each text is, and the text): such a trigger would
/// decline questions the plan answers.
pub(super) fn check_scope_triggers(
    ld: &mut Loader,
    dir: &Path,
    scope: &[ScopeTopic],
    texts: &[(String, &str)],
) {
    let folded: Vec<(&String, String)> = texts
        .iter()
        .map(|(what, text)| (what, crate::kana::fold(&text.to_lowercase())))
        .collect();
    for topic in scope {
        for trigger in &topic.triggers {
            let t = crate::kana::fold(&trigger.to_lowercase());
            let inside_except = |text: &str| {
                topic.except.iter().any(|e| {
                    let e = crate::kana::fold(&e.to_lowercase());
                    e.contains(&t) && text.contains(&e)
                })
            };
            if let Some((what, _)) = folded
                .iter()
                .find(|(_, text)| !t.is_empty() && text.contains(&t) && !inside_except(text))
            {
                ld.problems.push(super::Problem {
                    file: dir.join(SCOPE_FILE),
                    line: Some(topic.line),
                    entry: Some(topic.id.clone()),
                    message: format!(
                        "the trigger `{trigger}` occurs in {what}: questions the plan answers \
                         would be declined"
                    ),
                    fix: "remove the trigger, or write it longer so that it names only the \
                          topic out of scope"
                        .into(),
                });
            }
        }
    }
}
