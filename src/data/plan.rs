//! The plans: `plan.toml` and `plans/*.toml`, each validated on its own
//! (areas, measures and their ids), then ordered by start date to find the
//! one in force.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::source::{Loader, Problem, Source};
use super::{Actor, Area, Date, Measure, MeasureId, PLAN_FILE, PlanInfo};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlanFile {
    plan: Spanned<RawPlanInfo>,
    #[serde(default)]
    area: Vec<Spanned<RawArea>>,
    #[serde(default)]
    measure: Vec<Spanned<RawMeasure>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlanInfo {
    title: String,
    year: String,
    start: String,
    parties: Vec<String>,
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

/// One plan file (`plan.toml` or `plans/*.toml`), validated on its own.
pub(super) struct LoadedPlan {
    pub(super) info: PlanInfo,
    pub(super) file: PathBuf,
    pub(super) areas: Vec<Area>,
    pub(super) measures: Vec<Measure>,
    pub(super) measure_index: HashMap<MeasureId, usize>,
}

/// Reads and validates one plan file; `None` when it cannot be read or
/// parsed, or its start is not a date, so it cannot be placed among the
/// others (the problems are recorded).
pub(super) fn load_plan(ld: &mut Loader, path: &Path) -> Option<LoadedPlan> {
    let (src, raw) = ld.read_toml::<RawPlanFile>(path, true)?;
    plan_from(ld, &src, raw)
}

fn plan_from(ld: &mut Loader, src: &Source, raw: RawPlanFile) -> Option<LoadedPlan> {
    let plan_span = raw.plan.span();
    let info = raw.plan.into_inner();
    let start = info.start.parse::<Date>().map_err(|e| {
        ld.problem_at(
            src,
            Some(plan_span),
            Some("plan"),
            format!("`start`: {e}"),
            "write the date the plan is in force from, e.g. start = \"2024-04-01\"",
        );
    });
    let areas = areas(ld, src, raw.area);
    let numbers: HashSet<u32> = areas.iter().map(|a| a.number).collect();
    let measures = measures(ld, src, raw.measure, &numbers);
    if measures.is_empty() {
        ld.problem_at(
            src,
            None,
            None,
            "the plan has no [[measure]] entries",
            "add the plan's measures (see README: Editing the knowledge)",
        );
    }
    let measure_index = measures
        .iter()
        .enumerate()
        .map(|(i, m)| (m.id.clone(), i))
        .collect();
    Some(LoadedPlan {
        info: PlanInfo {
            title: info.title,
            year: info.year,
            start: start.ok()?,
            parties: info.parties,
        },
        file: src.path.clone(),
        areas,
        measures,
        measure_index,
    })
}

fn areas(ld: &mut Loader, src: &Source, raw: Vec<Spanned<RawArea>>) -> Vec<Area> {
    let mut seen = HashSet::new();
    let mut areas = Vec::new();
    for a in raw {
        let span = a.span();
        let a = a.into_inner();
        let key = format!("area {}", a.number);
        if !seen.insert(a.number) {
            ld.problem_at(
                src,
                Some(span.clone()),
                Some(&key),
                "area number used twice",
                "give each [[area]] its own number",
            );
        }
        ld.nonempty(src, &span, &key, "title", &a.title);
        ld.nonempty(src, &span, &key, "short", &a.short);
        areas.push(Area {
            number: a.number,
            title: a.title,
            short: a.short,
            aims: a.aims,
        });
    }
    areas
}

/// The measures with a valid id (the others are reported), each checked
/// against its id, the plan's `areas` and the ids before it.
fn measures(
    ld: &mut Loader,
    src: &Source,
    raw: Vec<Spanned<RawMeasure>>,
    areas: &HashSet<u32>,
) -> Vec<Measure> {
    let mut seen = HashSet::new();
    let mut measures = Vec::new();
    for m in raw {
        let span = m.span();
        let m = m.into_inner();
        let problem = |message: String, fix: &str| (message, fix.to_string());
        let mut problems = Vec::new();
        let id = match m.id.parse::<MeasureId>() {
            Ok(id) => Some(id),
            Err(e) => {
                problems.push(problem(
                    e.to_string(),
                    "use the id scheme <area>.<tokyo|cci>.<item>[.<n>], e.g. 2.tokyo.b.3",
                ));
                None
            }
        };
        if let Some(id) = &id {
            problems.extend(disagreements(id, &m));
            if !seen.insert(id.clone()) {
                problems.push(problem(
                    "measure id used twice".into(),
                    "each [[measure]] needs its own id; ids are part of the product's \
                     interface, so keep the existing one and renumber the new entry",
                ));
            }
        }
        if !areas.contains(&m.area) {
            problems.push(problem(
                format!("area {} is not defined", m.area),
                "add an [[area]] with that number, or correct `area`",
            ));
        }
        for (message, fix) in problems {
            ld.problem_at(src, Some(span.clone()), Some(&m.id), message, fix);
        }
        ld.nonempty(src, &span, &m.id, "text", &m.text);
        if let Some(id) = id {
            measures.push(Measure {
                id,
                area: m.area,
                actor: m.actor,
                label: m.label,
                text: m.text,
            });
        }
    }
    measures
}

/// Where a measure's `area` and `actor` say otherwise than its id: the id
/// is what FAQ entries and channels name, so the two must agree.
fn disagreements(id: &MeasureId, m: &RawMeasure) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if id.area() != m.area {
        out.push((
            format!("the id names area {} but `area` is {}", id.area(), m.area),
            "make the id's first number and `area` the same".to_string(),
        ));
    }
    if id.actor() != m.actor {
        out.push((
            format!(
                "the id names `{}` but `actor` is \"{}\"",
                id.actor().id_word(),
                m.actor.as_str()
            ),
            "use `tokyo` in the id for 都 and `cci` for 東京商工会議所".to_string(),
        ));
    }
    out
}

/// Sorts `plans` by start date, reporting two that start on one day.
pub(super) fn order(ld: &mut Loader, plans: &mut [LoadedPlan]) {
    plans.sort_by_key(|p| p.info.start);
    for pair in plans.windows(2) {
        if let [a, b] = pair
            && a.info.start == b.info.start
        {
            ld.problems.push(
                Problem::with_file(
                    &b.file,
                    format!(
                        "{} starts on the same date as {} ({})",
                        b.info.year,
                        a.file.display(),
                        a.info.start
                    ),
                    "give each plan its own `start` date: the newest plan whose start has \
                     come is the one answers rest on",
                )
                .about("plan"),
            );
        }
    }
}

/// The plan in force on `today` among `plans` (sorted): the newest one that
/// has started (`today` `None`: the newest). `None`, with the problem
/// recorded, when every plan starts later; `None` without one when there
/// are no plans (their files' problems say why).
pub(super) fn current(
    ld: &mut Loader,
    dir: &Path,
    plans: &[LoadedPlan],
    today: Option<Date>,
) -> Option<usize> {
    let current = plans
        .iter()
        .rposition(|p| today.is_none_or(|t| p.info.start <= t));
    if let (None, Some(today), false) = (current, today, plans.is_empty()) {
        ld.problems.push(
            Problem::with_file(
                &dir.join(PLAN_FILE),
                format!("no plan is in force on {today}: every plan starts later"),
                "check the `start` date in [plan] (YYYY-MM-DD); keep the plan in force in \
                 data/plan.toml and put later plans in data/plans/",
            )
            .about("plan"),
        );
    }
    current
}

#[cfg(test)]
mod tests {
    use super::super::source::tests::{loaded, said};
    use super::*;

    const PLAN: &str = r#"[plan]
title = "計画"
year = "令和5年度"
start = "2023-04-01"
parties = ["東京都"]

[[area]]
number = 2
title = "テレワークの推進"
short = "テレワーク"
"#;

    fn load(extra: &str) -> (Loader, Option<LoadedPlan>) {
        let text = format!("{PLAN}{extra}");
        let (mut ld, src) = loaded("plan.toml", &text);
        let raw = ld.parse::<RawPlanFile>(&src).expect("parses");
        let plan = plan_from(&mut ld, &src, raw);
        (ld, plan)
    }

    fn measure(id: &str, area: u32, actor: &str) -> String {
        format!(
            "\n[[measure]]\nid = \"{id}\"\narea = {area}\nactor = \"{actor}\"\nlabel = \"イ\"\ntext = \"支援\"\n"
        )
    }

    #[test]
    fn a_good_plan_has_no_problems_and_indexes_its_measures() {
        let (ld, plan) = load(&(measure("2.tokyo.b", 2, "都") + &measure("2.tokyo.b.1", 2, "都")));
        assert!(ld.problems.is_empty(), "{:?}", said(&ld));
        let plan = plan.unwrap();
        assert_eq!(plan.info.start.to_string(), "2023-04-01");
        assert_eq!(plan.measure_index.get("2.tokyo.b.1"), Some(&1));
    }

    #[test]
    fn a_measure_id_must_follow_the_scheme_and_agree_with_the_entry() {
        let (ld, plan) = load(
            &[
                measure("2.tokyo.b", 2, "都"),
                measure("telework", 2, "都"),
                measure("3.tokyo.a", 2, "都"),
                measure("2.cci.a", 2, "都"),
                measure("2.tokyo.b", 2, "都"),
                measure("2.tokyo.c", 9, "都"),
            ]
            .concat(),
        );
        let said = said(&ld);
        assert!(
            said[0].contains("[telework]: `telework` is not a measure id"),
            "{said:?}"
        );
        assert!(
            said[1].ends_with("[3.tokyo.a]: the id names area 3 but `area` is 2"),
            "{said:?}"
        );
        assert!(
            said[2].ends_with("[2.cci.a]: the id names `cci` but `actor` is \"都\""),
            "{said:?}"
        );
        assert!(
            said[3].ends_with("[2.tokyo.b]: measure id used twice"),
            "{said:?}"
        );
        assert!(
            said[4].ends_with("[2.tokyo.c]: the id names area 2 but `area` is 9"),
            "{said:?}"
        );
        assert!(
            said[5].ends_with("[2.tokyo.c]: area 9 is not defined"),
            "{said:?}"
        );
        assert_eq!(said.len(), 6, "{said:?}");
        // The plan is still there, for the other files' checks.
        assert_eq!(plan.unwrap().measures.len(), 5);
    }

    #[test]
    fn a_start_that_is_no_date_leaves_the_plan_out() {
        let text = format!(
            "{}{}",
            PLAN.replace("2023-04-01", "2023-4-1"),
            measure("2.tokyo.b", 2, "都")
        );
        let (mut ld, src) = loaded("plan.toml", &text);
        let raw = ld.parse::<RawPlanFile>(&src).unwrap();
        assert!(plan_from(&mut ld, &src, raw).is_none());
        assert_eq!(
            said(&ld),
            ["1: [plan]: `start`: `2023-4-1` is not a date in the form YYYY-MM-DD"]
        );
    }

    #[test]
    fn areas_need_their_own_number_and_a_title() {
        let (ld, _) = load("\n[[area]]\nnumber = 2\ntitle = \"\"\nshort = \"x\"\n");
        let said = said(&ld);
        assert!(
            said.contains(&"12: [area 2]: area number used twice".to_string()),
            "{said:?}"
        );
        assert!(
            said.contains(&"12: [area 2]: `title` is empty".to_string()),
            "{said:?}"
        );
        assert!(
            said.iter().any(|s| s.contains("no [[measure]] entries")),
            "{said:?}"
        );
    }

    #[test]
    fn the_current_plan_is_the_newest_that_has_started() {
        let plan = |start: &str| {
            let (_, p) = load(&measure("2.tokyo.b", 2, "都"));
            let mut p = p.unwrap();
            p.info.start = start.parse().unwrap();
            p
        };
        let mut plans = vec![plan("2024-04-01"), plan("2023-04-01"), plan("2024-04-01")];
        let mut ld = Loader::new();
        order(&mut ld, &mut plans);
        assert_eq!(plans[0].info.start.to_string(), "2023-04-01");
        assert!(
            said(&ld)[0].contains("starts on the same date as"),
            "{:?}",
            said(&ld)
        );
        let dir = Path::new("data");
        let on = |d: &str, ld: &mut Loader| current(ld, dir, &plans, Some(d.parse().unwrap()));
        let mut ld = Loader::new();
        assert_eq!(on("2024-03-31", &mut ld), Some(0));
        assert_eq!(on("2024-04-01", &mut ld), Some(2));
        assert_eq!(current(&mut ld, dir, &plans, None), Some(2));
        assert!(ld.problems.is_empty());
        assert_eq!(on("2023-03-31", &mut ld), None);
        assert!(said(&ld)[0].contains("no plan is in force on 2023-03-31"));
    }
}
