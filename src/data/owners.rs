//! `owners.toml`: each programme in the owner's words — who it is for, the
//! situations it answers and the everyday words for them. Searched as a field
//! of its own (a match there counts less than one in the plan's words) and
//! never shown: the plan's words stay what an answer says.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::source::{Loader, Source};
use super::{MeasureId, OwnerWords};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    measure: Vec<Spanned<RawEntry>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    id: String,
    #[serde(default)]
    who: String,
    #[serde(default)]
    situations: Vec<String>,
    #[serde(default)]
    words: Vec<String>,
}

/// Reads `owners.toml` (optional: without it, nothing is added to search)
/// and checks it against `measures`, every measure of every plan: none
/// names a measure the plans lack, none is empty, none is given twice, and
/// each of `required` (the current plan's) has one.
pub(super) fn load(
    ld: &mut Loader,
    path: &Path,
    measures: &[&MeasureId],
    required: &[&MeasureId],
) -> HashMap<MeasureId, OwnerWords> {
    let Some((src, raw)) = ld.read_toml::<RawFile>(path, false) else {
        return HashMap::new();
    };
    let known: HashSet<&str> = measures.iter().map(|m| m.as_str()).collect();
    let mut out = HashMap::new();
    for e in raw.measure {
        let span = e.span();
        let e = e.into_inner();
        let mut problem = |message: String, fix: &str| {
            ld.problem_at(&src, Some(span.clone()), Some(&e.id), message, fix);
        };
        let Ok(id) = e.id.parse::<MeasureId>() else {
            problem(
                format!("`{}` is not a measure id", e.id),
                "use a measure id from data/plan.toml (`madoguchi check --measures` lists them)",
            );
            continue;
        };
        if !known.contains(id.as_str()) {
            problem(
                format!("measure `{id}` is not in the plan"),
                "use a measure id from data/plan.toml, or remove the entry",
            );
            continue;
        }
        let words = OwnerWords {
            who: e.who.trim().to_string(),
            situations: nonblank(e.situations),
            words: nonblank(e.words),
        };
        if words.who.is_empty() && words.situations.is_empty() && words.words.is_empty() {
            problem(
                "the entry is empty".into(),
                "write who the programme is for, its situations and the owners' words for them",
            );
            continue;
        }
        if out.insert(id.clone(), words).is_some() {
            problem(
                format!("measure `{id}` has two entries"),
                "merge them into one [[measure]]",
            );
        }
    }
    missing(ld, &src, required, &out);
    out
}

fn nonblank(list: Vec<String>) -> Vec<String> {
    list.into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Every measure needs an entry: one without is found only by the plan's
/// own words.
fn missing(
    ld: &mut Loader,
    src: &Source,
    measures: &[&MeasureId],
    found: &HashMap<MeasureId, OwnerWords>,
) {
    for m in measures {
        if !found.contains_key(*m) {
            ld.problem_at(
                src,
                None,
                Some(m.as_str()),
                format!("measure `{m}` has no entry"),
                format!(
                    "add a [[measure]] with id = \"{m}\": who it is for, its situations and the owners' words for them"
                ),
            );
        }
    }
}
