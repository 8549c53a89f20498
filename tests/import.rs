//! `import-plan`: the given plan text reproduces the measures and ids of
//! `shared/plan/measures.tsv` and the areas of `sections.tsv` exactly, and the
//! written plan.toml loads as the bundled one does.

use madoguchi::data;
use madoguchi::import;

fn plan_dir() -> std::path::PathBuf {
    testkit::repo().join("../shared/plan")
}

fn imported() -> import::ImportedPlan {
    let text = std::fs::read_to_string(plan_dir().join("000_8b28acc50282cef8.txt")).unwrap();
    import::parse(&text).expect("the plan text parses")
}

#[test]
fn import_reproduces_the_measure_table_exactly() {
    let plan = imported();
    let table = std::fs::read_to_string(plan_dir().join("measures.tsv")).unwrap();
    let expected: Vec<Vec<String>> = table
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split('\t').map(str::to_owned).collect())
        .collect();
    let got: Vec<Vec<String>> = plan
        .measures
        .iter()
        .map(|m| {
            vec![
                m.id.to_string(),
                m.area.to_string(),
                m.actor.as_str().to_string(),
                m.label.clone(),
                m.text.clone(),
            ]
        })
        .collect();
    for (g, e) in got.iter().zip(&expected) {
        assert_eq!(g, e);
    }
    assert_eq!(got.len(), expected.len());
}

#[test]
fn import_reproduces_the_areas_and_the_plan_dates() {
    let plan = imported();
    let table = std::fs::read_to_string(plan_dir().join("sections.tsv")).unwrap();
    let expected: Vec<(u32, String, Vec<String>)> = table
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (
                f[0].parse().unwrap(),
                f[1].to_string(),
                f[2].split('｜').map(str::to_owned).collect(),
            )
        })
        .collect();
    let got: Vec<(u32, String, Vec<String>)> = plan
        .areas
        .iter()
        .map(|a| (a.number, a.title.clone(), a.aims.clone()))
        .collect();
    assert_eq!(got, expected);
    assert_eq!(plan.year, "令和5年度（2023年度）");
    assert_eq!(
        plan.start.map(|d| d.to_string()).as_deref(),
        Some("2023-04-01")
    );
    assert_eq!(
        plan.title,
        "東京における働き方改革推進等に関する連携協定に基づく実施計画"
    );
}

#[test]
fn the_written_plan_loads_like_the_bundled_one() {
    let tmp = tempfile::tempdir().unwrap();
    let data_dir = testkit::copy_data(tmp.path());
    let toml = import::to_toml(&imported(), &["東京都", "東京商工会議所"]);
    std::fs::write(data_dir.join("plan.toml"), toml).unwrap();
    let imported = data::load(&data_dir).unwrap_or_else(|p| panic!("{p}"));
    let bundled = data::load(&testkit::repo().join("data")).unwrap();
    let key = |k: &data::Knowledge| {
        k.measures
            .iter()
            .map(|m| {
                (
                    m.id.clone(),
                    m.area,
                    m.actor,
                    m.label.clone(),
                    m.text.clone(),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(key(&imported), key(&bundled));
    assert_eq!(imported.plan, bundled.plan);
    let areas = |k: &data::Knowledge| {
        k.areas
            .iter()
            .map(|a| (a.number, a.title.clone(), a.short.clone(), a.aims.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(areas(&imported), areas(&bundled));
}
