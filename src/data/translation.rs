//! `en.toml`: the staff's English for the plan's areas, measures and the
//! referral channels. An English question is searched against it (each word
//! stemmed, as the question's are) and answered with it, each programme with
//! its Japanese name beside it. Written by staff, never generated.

use std::collections::HashSet;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::source::{Loader, Source};
use super::{EnglishText, MeasureId, Translation};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    area: Vec<Spanned<RawArea>>,
    #[serde(default)]
    measure: Vec<Spanned<RawText>>,
    #[serde(default)]
    channel: Vec<Spanned<RawText>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawArea {
    number: u32,
    name: String,
    #[serde(default)]
    description: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawText {
    id: String,
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    words: Vec<String>,
}

/// What `en.toml` must cover: every area, measure and channel.
pub(super) struct Covered<'a> {
    pub(super) areas: Vec<u32>,
    /// Every plan's measures: what entries may name.
    pub(super) measures: Vec<&'a MeasureId>,
    /// The current plan's measures: each must have its English.
    pub(super) required: Vec<&'a MeasureId>,
    pub(super) channels: Vec<&'a str>,
}

/// Reads `en.toml` (optional: without it, English questions are answered
/// in Japanese) and checks it covers `covered` and names nothing else.
pub(super) fn load(ld: &mut Loader, path: &Path, covered: &Covered<'_>) -> Translation {
    let Some((src, raw)) = ld.read_toml::<RawFile>(path, false) else {
        return Translation::default();
    };
    let mut out = Translation::default();
    for a in raw.area {
        let span = a.span();
        let a = a.into_inner();
        let entry = format!("area {}", a.number);
        if !covered.areas.contains(&a.number) {
            ld.problem_at(
                &src,
                Some(span.clone()),
                Some(&entry),
                "no such area in the plan",
                "use an area number from data/plan.toml",
            );
            continue;
        }
        ld.nonempty(&src, &span, &entry, "name", &a.name);
        let text = EnglishText {
            name: a.name,
            description: a.description,
            words: Vec::new(),
        };
        if out.areas.insert(a.number, text).is_some() {
            ld.problem_at(
                &src,
                Some(span),
                Some(&entry),
                "the area has two entries",
                "keep one [[area]] per area",
            );
        }
    }
    let measures: HashSet<&str> = covered.measures.iter().map(|m| m.as_str()).collect();
    for m in raw.measure {
        let span = m.span();
        let m = m.into_inner();
        let Some(id) =
            m.id.parse::<MeasureId>()
                .ok()
                .filter(|id| measures.contains(id.as_str()))
        else {
            ld.problem_at(
                &src,
                Some(span),
                Some(&m.id),
                format!("measure `{}` is not in the plan", m.id),
                "use a measure id from data/plan.toml, or remove the entry",
            );
            continue;
        };
        ld.nonempty(&src, &span, &m.id, "name", &m.name);
        if out.measures.insert(id, text(m)).is_some() {
            ld.problem_at(
                &src,
                Some(span),
                None,
                "the measure has two entries",
                "keep one [[measure]] per measure",
            );
        }
    }
    for c in raw.channel {
        let span = c.span();
        let c = c.into_inner();
        if !covered.channels.contains(&c.id.as_str()) {
            ld.problem_at(
                &src,
                Some(span),
                Some(&c.id),
                format!("channel `{}` is not in channels.toml", c.id),
                "use a channel id from data/channels.toml, or remove the entry",
            );
            continue;
        }
        ld.nonempty(&src, &span, &c.id, "name", &c.name);
        let id = c.id.clone();
        if out.channels.insert(id, text(c)).is_some() {
            ld.problem_at(
                &src,
                Some(span),
                None,
                "the channel has two entries",
                "keep one [[channel]] per channel",
            );
        }
    }
    missing(ld, &src, covered, &out);
    out
}

fn text(raw: RawText) -> EnglishText {
    EnglishText {
        name: raw.name.trim().to_string(),
        description: raw.description.trim().to_string(),
        words: raw.words,
    }
}

/// Everything an English answer may show needs its English.
fn missing(ld: &mut Loader, src: &Source, covered: &Covered<'_>, found: &Translation) {
    let fix = |what: &str, key: &str| {
        format!("add a [[{what}]] with {key}, name and description in English")
    };
    for a in &covered.areas {
        if !found.areas.contains_key(a) {
            ld.problem_at(
                src,
                None,
                Some(&format!("area {a}")),
                format!("area {a} has no English"),
                fix("area", &format!("number = {a}")),
            );
        }
    }
    for m in &covered.required {
        if !found.measures.contains_key(*m) {
            ld.problem_at(
                src,
                None,
                Some(m.as_str()),
                format!("measure `{m}` has no English"),
                fix("measure", &format!("id = \"{m}\"")),
            );
        }
    }
    for c in &covered.channels {
        if !found.channels.contains_key(*c) {
            ld.problem_at(
                src,
                None,
                Some(c),
                format!("channel `{c}` has no English"),
                fix("channel", &format!("id = \"{c}\"")),
            );
        }
    }
}
