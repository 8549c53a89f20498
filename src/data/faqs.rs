//! `faq/*.toml`: the FAQ entries. An entry belongs to the plan its `plan`
//! key names, or to the current plan and every later one; it is checked
//! against each plan it belongs to, and kept when the current plan is among
//! them. Two entries asking the same question are a problem.

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::plan::LoadedPlan;
use super::source::{Loader, Problem, Source, valid_id};
use super::{Faq, PLAN_FILE, measure_id, question_key};

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

/// The plans entries are checked against, and the ids seen so far.
pub(super) struct Entries<'a> {
    plans: &'a [LoadedPlan],
    current: Option<usize>,
    /// Each (plan, id) with where it was first used.
    seen: HashMap<(usize, String), (PathBuf, usize)>,
    /// The entries of the current plan.
    faqs: Vec<Faq>,
}

impl<'a> Entries<'a> {
    pub(super) fn new(plans: &'a [LoadedPlan], current: Option<usize>) -> Entries<'a> {
        Entries {
            plans,
            current,
            seen: HashMap::new(),
            faqs: Vec::new(),
        }
    }

    /// Reads and checks the FAQ files `paths`, in order.
    pub(super) fn load(mut self, ld: &mut Loader, paths: &[PathBuf]) -> Vec<Faq> {
        for path in paths {
            if let Some((src, raw)) = ld.read_toml::<RawFaqFile>(path, true) {
                for f in raw.faq {
                    self.entry(ld, &src, f.span(), f.into_inner());
                }
            }
        }
        ld.problems.extend(repeated_questions(&self.faqs));
        self.faqs
    }

    fn entry(&mut self, ld: &mut Loader, src: &Source, span: Range<usize>, f: RawFaq) {
        let line = src.line_of(span.start);
        let at = Spot {
            src,
            span: &span,
            id: &f.id,
        };
        if !valid_id(&f.id) {
            at.problem(
                ld,
                "an FAQ id may hold only ASCII letters, digits, '.', '-' and '_'".into(),
                "use a short ASCII id such as telework-subsidy".into(),
            );
        }
        let members = self.members(ld, &at, f.plan.as_deref());
        for &i in &members {
            self.unique(ld, &at, i, line);
        }
        ld.nonempty(src, &span, &f.id, "question", &f.question);
        ld.nonempty(src, &span, &f.id, "answer", &f.answer);
        if f.measures.is_empty() {
            at.problem(
                ld,
                "`measures` is empty: every answer must rest on the plan".into(),
                "list the ids of the measures the answer rests on, e.g. measures = \
                 [\"2.tokyo.b.3\"]"
                    .into(),
            );
        }
        for &i in &members {
            self.measures_in(ld, &at, i, &f);
        }
        if self.current.is_some_and(|c| members.contains(&c)) {
            self.faqs.push(Faq {
                measures: f.measures.iter().filter_map(|m| m.parse().ok()).collect(),
                plan: f.plan.and_then(|p| p.parse().ok()),
                id: f.id,
                question: f.question,
                alternates: f.alternates,
                answer: f.answer,
                tags: f.tags,
                file: src.path.clone(),
                line,
            });
        }
    }

    /// The plans the entry belongs to: the one it names, or the current
    /// plan and every later one.
    fn members(&self, ld: &mut Loader, at: &Spot, named: Option<&str>) -> Vec<usize> {
        let Some(named) = named else {
            return self
                .current
                .map_or_else(Vec::new, |c| (c..self.plans.len()).collect());
        };
        if let Some(i) = self
            .plans
            .iter()
            .position(|p| Ok(p.info.start) == named.parse())
        {
            return vec![i];
        }
        let starts: Vec<String> = self
            .plans
            .iter()
            .map(|p| format!("\"{}\"", p.info.start))
            .collect();
        at.problem(
            ld,
            format!("plan `{named}` is not loaded"),
            format!(
                "name a plan by its start date ({}), or remove `plan` to follow the current plan",
                starts.join(", ")
            ),
        );
        Vec::new()
    }

    /// Reports the entry's id when plan `i` has an entry with it already.
    fn unique(&mut self, ld: &mut Loader, at: &Spot, i: usize, line: usize) {
        let key = (i, at.id.to_string());
        let Some((other, other_line)) = self.seen.get(&key) else {
            self.seen.insert(key, (at.src.path.clone(), line));
            return;
        };
        let message = if self.plans.len() > 1 {
            format!(
                "FAQ id already used at {}:{other_line} (plan starting {})",
                other.display(),
                self.plans[i].info.start
            )
        } else {
            format!("FAQ id already used at {}:{other_line}", other.display())
        };
        at.problem(ld, message, "rename one of the two entries".into());
    }

    /// Reports each measure of the entry that plan `i` does not have.
    fn measures_in(&self, ld: &mut Loader, at: &Spot, i: usize, f: &RawFaq) {
        let plan = &self.plans[i];
        for m in &f.measures {
            if plan.measure_index.contains_key(m.as_str()) {
                continue;
            }
            let (message, mut fix) = if Some(i) == self.current || f.plan.is_some() {
                (
                    format!("measure `{m}` is not in the plan"),
                    format!("use a measure id from {}", plan.file.display()),
                )
            } else {
                (
                    format!(
                        "measure `{m}` is not in the plan starting {} ({}), which this entry \
                         follows from that date",
                        plan.info.start, plan.info.year
                    ),
                    format!(
                        "add plan = \"{}\" to keep the entry with the current plan, or use a \
                         measure id from {}",
                        self.current
                            .map_or(String::new(), |c| self.plans[c].info.start.to_string()),
                        file_name(&plan.file)
                    ),
                )
            };
            let hint: Vec<String> = measure_id::closest(m, plan.measure_index.keys())
                .iter()
                .map(|id| format!("`{id}`"))
                .collect();
            if !hint.is_empty() {
                fix.push_str(&format!("; did you mean {}?", hint.join(", ")));
            }
            at.problem(ld, message, fix);
        }
    }
}

/// Where in a file an entry stands, to record problems about it.
struct Spot<'s> {
    src: &'s Source,
    span: &'s Range<usize>,
    id: &'s str,
}

impl Spot<'_> {
    fn problem(&self, ld: &mut Loader, message: String, fix: String) {
        ld.problem_at(
            self.src,
            Some(self.span.clone()),
            Some(self.id),
            message,
            fix,
        );
    }
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || PLAN_FILE.to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// Two FAQ entries with the same question or alternate: search cannot tell
/// them apart, so owners would only ever see one of them.
pub(super) fn repeated_questions(faqs: &[Faq]) -> Vec<Problem> {
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

#[cfg(test)]
mod tests {
    use super::super::source::tests::{loaded, said};
    use super::super::{Actor, Measure, MeasureId, PlanInfo, asked_by};
    use super::*;

    fn faq(id: &str, line: usize, question: &str, alternates: &[&str]) -> Faq {
        Faq {
            id: id.into(),
            question: question.into(),
            alternates: alternates.iter().map(|a| a.to_string()).collect(),
            answer: "回答".into(),
            measures: vec!["2.tokyo.b.3".parse().unwrap()],
            tags: Vec::new(),
            plan: None,
            file: PathBuf::from("data/faq/02-telework.toml"),
            line,
        }
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

    /// A plan starting on `start` with the measures `ids`.
    fn plan(start: &str, ids: &[&str]) -> LoadedPlan {
        let measures: Vec<Measure> = ids
            .iter()
            .map(|id| Measure {
                id: id.parse::<MeasureId>().unwrap(),
                area: 2,
                actor: Actor::Tokyo,
                label: "イ".into(),
                text: "支援".into(),
            })
            .collect();
        LoadedPlan {
            info: PlanInfo {
                title: "計画".into(),
                year: format!("{}年度", &start[..4]),
                start: start.parse().unwrap(),
                parties: Vec::new(),
            },
            file: PathBuf::from(format!("data/plans/{}.toml", &start[..4])),
            areas: Vec::new(),
            measure_index: measures
                .iter()
                .enumerate()
                .map(|(i, m)| (m.id.clone(), i))
                .collect(),
            measures,
        }
    }

    fn entry(id: &str, plan: Option<&str>, measures: &str) -> String {
        let plan = plan.map_or(String::new(), |p| format!("plan = \"{p}\"\n"));
        format!(
            "[[faq]]\nid = \"{id}\"\n{plan}question = \"{id}？\"\nanswer = \"答え\"\nmeasures = [{measures}]\n\n"
        )
    }

    fn load(plans: &[LoadedPlan], current: Option<usize>, text: &str) -> (Loader, Vec<Faq>) {
        let (mut ld, src) = loaded("faq/01.toml", text);
        let raw = ld.parse::<RawFaqFile>(&src).expect("parses");
        let mut entries = Entries::new(plans, current);
        for f in raw.faq {
            entries.entry(&mut ld, &src, f.span(), f.into_inner());
        }
        (ld, entries.faqs)
    }

    #[test]
    fn an_entry_follows_the_current_plan_and_the_later_ones_unless_it_names_one() {
        let plans = [
            plan("2023-04-01", &["2.tokyo.b", "2.tokyo.b.9"]),
            plan("2024-04-01", &["2.tokyo.b"]),
        ];
        let text = [
            entry("now", None, "\"2.tokyo.b\""),
            entry("old", Some("2023-04-01"), "\"2.tokyo.b.9\""),
            entry("new", Some("2024-04-01"), "\"2.tokyo.b\""),
            entry("follows", None, "\"2.tokyo.b.9\""),
        ]
        .concat();
        let (ld, faqs) = load(&plans, Some(0), &text);
        let ids: Vec<&str> = faqs.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, ["now", "old", "follows"]);
        let said = said(&ld);
        assert_eq!(said.len(), 1, "{said:?}");
        assert!(
            said[0].contains(
                "[follows]: measure `2.tokyo.b.9` is not in the plan starting 2024-04-01"
            ),
            "{said:?}"
        );
        assert!(
            ld.problems[0].fix.contains("add plan = \"2023-04-01\""),
            "{}",
            ld.problems[0].fix
        );
    }

    #[test]
    fn ids_measures_and_plans_are_checked() {
        let plans = [plan("2023-04-01", &["2.tokyo.b", "2.tokyo.b.1"])];
        let text = [
            entry("a", None, "\"2.tokyo.b.7\""),
            entry("a", None, "\"2.tokyo.b\""),
            entry("b c", None, ""),
            entry("d", Some("2030-04-01"), "\"2.tokyo.b\""),
        ]
        .concat();
        let (ld, _) = load(&plans, Some(0), &text);
        let said = said(&ld);
        assert_eq!(
            said,
            [
                "1: [a]: measure `2.tokyo.b.7` is not in the plan",
                "7: [a]: FAQ id already used at faq/01.toml:1",
                "13: [b c]: an FAQ id may hold only ASCII letters, digits, '.', '-' and '_'",
                "13: [b c]: `measures` is empty: every answer must rest on the plan",
                "19: [d]: plan `2030-04-01` is not loaded",
            ]
        );
        assert!(
            ld.problems[0]
                .fix
                .ends_with("did you mean `2.tokyo.b`, `2.tokyo.b.1`?")
        );
        assert!(ld.problems[4].fix.contains("(\"2023-04-01\")"));
    }
}
