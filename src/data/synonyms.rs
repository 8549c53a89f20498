//! `synonyms.toml` (optional): groups of interchangeable words and
//! one-way rules.

use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::source::{Loader, Source};
use super::{Rule, Synonyms};

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

/// Reads and validates the file at `path`; none when it is absent.
pub(super) fn load(ld: &mut Loader, path: &Path) -> Synonyms {
    match ld.read_toml::<RawSynonymFile>(path, false) {
        Some((src, raw)) => synonyms(ld, &src, raw),
        None => Synonyms::default(),
    }
}

fn synonyms(ld: &mut Loader, src: &Source, raw: RawSynonymFile) -> Synonyms {
    let mut synonyms = Synonyms::default();
    for g in raw.group {
        let span = g.span();
        let terms: Vec<String> = g
            .into_inner()
            .terms
            .into_iter()
            .filter(|t| !t.trim().is_empty())
            .collect();
        if terms.len() < 2 {
            ld.problem_at(
                src,
                Some(span),
                None,
                "a synonym group needs at least two terms",
                "add the other ways of saying it, or remove the group",
            );
            continue;
        }
        synonyms.groups.push(terms);
    }
    for r in raw.rule {
        let span = r.span();
        let r = r.into_inner();
        let blank = |words: &[String]| words.iter().all(|t| t.trim().is_empty());
        if blank(&r.when) || blank(&r.add) {
            ld.problem_at(
                src,
                Some(span),
                None,
                "a rule needs words in both `when` and `add`",
                "fill in both lists, or remove the rule",
            );
            continue;
        }
        synonyms.rules.push(Rule {
            when: r.when,
            add: r.add,
        });
    }
    synonyms
}

#[cfg(test)]
mod tests {
    use super::super::source::tests::{loaded, said};
    use super::*;

    #[test]
    fn groups_need_two_terms_and_rules_both_sides() {
        let text = "[[group]]\nterms = [\"在宅勤務\", \"テレワーク\", \" \"]\n\n\
                    [[group]]\nterms = [\"育休\", \"\"]\n\n\
                    [[rule]]\nwhen = [\"補助\"]\nadd = [\"助成\"]\n\n\
                    [[rule]]\nwhen = [\" \"]\nadd = [\"助成\"]\n";
        let (mut ld, src) = loaded("synonyms.toml", text);
        let raw = ld.parse::<RawSynonymFile>(&src).unwrap();
        let s = synonyms(&mut ld, &src, raw);
        assert_eq!(s.groups, [["在宅勤務", "テレワーク"]]);
        assert_eq!(s.rules.len(), 1);
        assert_eq!(
            said(&ld),
            [
                "4: []: a synonym group needs at least two terms",
                "11: []: a rule needs words in both `when` and `add`"
            ]
        );
    }
}
