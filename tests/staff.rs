//! The staff workflow outside Discord: an engine keeps answering after a
//! rebuild removed its index generation; several plans (the newest one in
//! force is current, every plan validated); `madoguchi faq new` appends a
//! valid entry and nothing else; `madoguchi report` over records written by
//! the bot's own record keeper.

use testkit::run;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use madoguchi::data::{self, Date};
use madoguchi::engine::{Engine, Rebuild};
use madoguchi::records::{Location, Options, QuestionRecord, Records, Source, Vote};
use madoguchi::search::Decision;

const TELEWORK_Q: &str = "テレワークの機器を買うのに補助はありますか";
const TELEWORK_TEXT: &str = "テレワークの機器導入経費補助";
const NEW_TEXT: &str = "テレワーク機器の新しい導入補助";
const NEW_Q: &str = "カピバラの飼育に補助はありますか";

fn madoguchi(data: &Path, index: &Path) -> Command {
    let mut cmd = testkit::madoguchi(data, index);
    cmd.env_remove("MADOGUCHI_TODAY")
        .env_remove("MADOGUCHI_STATE")
        .stdin(Stdio::null());
    cmd
}

fn date(s: &str) -> Option<Date> {
    Some(s.parse().unwrap())
}

fn open(data: &Path, index: &Path, today: Option<Date>) -> Engine {
    testkit::engine();
    let mut paths = testkit::paths(data, index);
    paths.today = today;
    Engine::open(&paths, Rebuild::IfStale, &mut |_| {}).unwrap_or_else(|e| panic!("{e}"))
}

// ---- index generations ------------------------------------------------------

#[test]
fn an_engine_keeps_answering_after_a_rebuild_removed_its_generation() {
    let tmp = tempfile::tempdir().unwrap();
    let data = testkit::copy_data(tmp.path());
    let index = tmp.path().join("index");
    let old = open(&data, &index, None);
    let questions = [
        TELEWORK_Q,
        "人手が足りない",
        "育児休業を取りやすくしたい",
        "女性が活躍できる職場にしたい",
        "明日の天気を教えて",
    ];
    let before: Vec<Vec<String>> = questions
        .iter()
        .map(|q| old.ask(q).unwrap().measures)
        .collect();
    let old_dir = old.index.dir.clone();

    // An edit; the new engine builds a new generation and removes the old.
    let faq = data.join("faq/04-life-work-balance.toml");
    let mut text = std::fs::read_to_string(&faq).unwrap();
    text.push_str(&format!(
        "\n[[faq]]\nid = \"capybara\"\nquestion = \"{NEW_Q}\"\nanswer = \"カピバラ\"\nmeasures = [\"4.tokyo.b\"]\n"
    ));
    std::fs::write(&faq, text).unwrap();
    let new = open(&data, &index, None);
    assert!(new.index.rebuilt);
    assert_ne!(new.index.dir, old_dir);
    assert!(!old_dir.exists(), "the old generation was removed");

    // The old engine (still serving questions in flight) answers as before.
    for (q, want) in questions.iter().zip(&before) {
        assert_eq!(&old.ask(q).unwrap().measures, want, "{q}");
    }
    assert!(old.ask(NEW_Q).unwrap().faq.is_none());
    assert_eq!(
        new.ask(NEW_Q).unwrap().faq.map(|f| f.id).as_deref(),
        Some("capybara")
    );
}

// ---- several plans ------------------------------------------------------------

/// data/ with next year's plan in plans/2024.toml: the same areas and ids,
/// one text changed; the current plan.toml gets a measure the next one
/// drops.
fn two_plans(tmp: &Path) -> PathBuf {
    let data = testkit::copy_data(tmp);
    let plan = std::fs::read_to_string(data.join("plan.toml")).unwrap();
    let next = plan
        .replace("start = \"2023-04-01\"", "start = \"2024-04-01\"")
        .replace("令和5年度（2023年度）", "令和6年度（2024年度）")
        .replace(TELEWORK_TEXT, NEW_TEXT);
    assert_ne!(next, plan);
    std::fs::create_dir_all(data.join("plans")).unwrap();
    std::fs::write(data.join("plans/2024.toml"), next).unwrap();
    let old_only = "\n[[measure]]\nid = \"2.tokyo.b.9\"\narea = 2\nactor = \"都\"\nlabel = \"イ・9\"\ntext = \"令和5年度だけの支援策\"\n";
    std::fs::write(data.join("plan.toml"), plan + old_only).unwrap();
    // Each measure of a plan has its owner's words and its English.
    let append = |file: &str, entry: &str| {
        let text = std::fs::read_to_string(data.join(file)).unwrap();
        std::fs::write(data.join(file), text + entry).unwrap();
    };
    append(
        "owners.toml",
        "\n[[measure]]\nid = \"2.tokyo.b.9\"\nwho = \"令和5年度だけの支援策を使いたい企業\"\n",
    );
    append(
        "en.toml",
        "\n[[measure]]\nid = \"2.tokyo.b.9\"\nname = \"A programme of FY2023 only\"\n",
    );
    data
}

fn add_faq(data: &Path, entry: &str) {
    let path = data.join("faq/09-plans.toml");
    let mut text = std::fs::read_to_string(&path).unwrap_or_default();
    text.push_str(entry);
    std::fs::write(path, text).unwrap();
}

fn problems(data: &Path, today: Option<Date>) -> String {
    match data::load_on(data, today) {
        Ok(_) => String::new(),
        Err(p) => p.to_string(),
    }
}

#[test]
fn the_newest_plan_in_force_is_the_current_one() {
    let tmp = tempfile::tempdir().unwrap();
    let data = two_plans(tmp.path());
    let index = tmp.path().join("index");

    let march = open(&data, &index, date("2024-03-31"));
    assert_eq!(march.knowledge.plans.len(), 2);
    let a = march.ask(TELEWORK_Q).unwrap();
    assert_eq!(a.plan.start, "2023-04-01");
    assert!(a.plan.basis.contains("令和5年度"), "{}", a.plan.basis);
    assert!(a.programmes.iter().any(|p| p.text == TELEWORK_TEXT));
    assert!(march.knowledge.measure("2.tokyo.b.9").is_some());

    let april = open(&data, &index, date("2024-04-01"));
    let a = april.ask(TELEWORK_Q).unwrap();
    assert_eq!(a.plan.start, "2024-04-01");
    assert!(a.plan.basis.contains("令和6年度"), "{}", a.plan.basis);
    assert!(!a.plan.basis.contains("令和5年度"), "{}", a.plan.basis);
    assert!(a.programmes.iter().any(|p| p.text == NEW_TEXT), "{a:?}");
    assert!(a.programmes.iter().all(|p| p.text != TELEWORK_TEXT));
    // Only the current plan's measures are loaded and indexed.
    assert!(april.knowledge.measure("2.tokyo.b.9").is_none());
    let only = "令和5年度だけの支援策";
    assert!(
        march
            .ask(only)
            .unwrap()
            .measures
            .contains(&"2.tokyo.b.9".to_string())
    );
    assert!(
        april
            .ask(only)
            .unwrap()
            .measures
            .iter()
            .all(|m| m != "2.tokyo.b.9")
    );
    // FAQ entries without `plan` follow the current plan.
    assert_eq!(april.knowledge.faqs.len(), march.knowledge.faqs.len());

    // No date: the newest plan.
    assert_eq!(
        open(&data, &index, None).knowledge.plan.start.to_string(),
        "2024-04-01"
    );
    // Before any plan: a problem, not a guess.
    let before = problems(&data, date("2023-03-31"));
    assert!(
        before.contains("no plan is in force on 2023-03-31"),
        "{before}"
    );
}

#[test]
fn faq_entries_belong_to_a_plan_and_every_plan_is_validated() {
    let tmp = tempfile::tempdir().unwrap();
    let data = two_plans(tmp.path());
    let march = date("2024-03-31");
    let april = date("2024-04-01");

    // An entry on a measure the next plan drops: it would follow the next
    // plan, so it is a problem today already, with the way out.
    add_faq(
        &data,
        "[[faq]]\nid = \"old-only\"\nquestion = \"昔の支援策は？\"\nanswer = \"昔の支援策です。\"\nmeasures = [\"2.tokyo.b.9\"]\n",
    );
    let p = problems(&data, march);
    assert!(p.contains("faq/09-plans.toml:1: [old-only]"), "{p}");
    assert!(p.contains("not in the plan starting 2024-04-01"), "{p}");
    assert!(p.contains("add plan = \"2023-04-01\""), "{p}");

    // Named for the current plan: valid, answered until the next one starts.
    std::fs::remove_file(data.join("faq/09-plans.toml")).unwrap();
    add_faq(
        &data,
        "[[faq]]\nid = \"old-only\"\nplan = \"2023-04-01\"\nquestion = \"昔の支援策は？\"\nanswer = \"昔の支援策です。\"\nmeasures = [\"2.tokyo.b.9\"]\n",
    );
    // The same id once per plan is allowed.
    add_faq(
        &data,
        "\n[[faq]]\nid = \"old-only\"\nplan = \"2024-04-01\"\nquestion = \"新しい支援策は？\"\nanswer = \"新しい支援策です。\"\nmeasures = [\"2.tokyo.b.3\"]\n",
    );
    let k = data::load_on(&data, march).unwrap_or_else(|p| panic!("{p}"));
    assert_eq!(k.faq("old-only").unwrap().question, "昔の支援策は？");
    let k = data::load_on(&data, april).unwrap_or_else(|p| panic!("{p}"));
    assert_eq!(k.faq("old-only").unwrap().question, "新しい支援策は？");

    // Twice in one plan, an unknown plan, a bad date, two plans on one day.
    add_faq(
        &data,
        "\n[[faq]]\nid = \"old-only\"\nplan = \"2024-04-01\"\nquestion = \"重複\"\nanswer = \"重複\"\nmeasures = [\"2.tokyo.b.3\"]\n\n[[faq]]\nid = \"future\"\nplan = \"2030-04-01\"\nquestion = \"未来\"\nanswer = \"未来\"\nmeasures = [\"2.tokyo.b.3\"]\n",
    );
    let plan_2025 = std::fs::read_to_string(data.join("plans/2024.toml"))
        .unwrap()
        .replace("start = \"2024-04-01\"", "start = \"2024-13-01\"");
    std::fs::write(data.join("plans/2025.toml"), &plan_2025).unwrap();
    std::fs::write(
        data.join("plans/2024b.toml"),
        std::fs::read_to_string(data.join("plans/2024.toml")).unwrap(),
    )
    .unwrap();
    let p = problems(&data, april);
    assert!(p.contains("FAQ id already used at"), "{p}");
    assert!(p.contains("plan `2030-04-01` is not loaded"), "{p}");
    assert!(p.contains("`2024-13-01` is not a date"), "{p}");
    assert!(p.contains("starts on the same date as"), "{p}");
    assert!(p.contains("plans/2025.toml"), "{p}");
}

#[test]
fn check_lists_the_plans_and_ask_names_the_current_one() {
    let tmp = tempfile::tempdir().unwrap();
    let data = two_plans(tmp.path());
    let index = tmp.path().join("index");
    let (out, stdout, stderr) = run(madoguchi(&data, &index)
        .env("MADOGUCHI_TODAY", "2024-03-31")
        .arg("check"));
    assert!(out.status.success(), "{stderr}");
    assert!(
        stdout.contains("令和5年度（2023年度）") && stdout.contains("(from 2023-04-01): current"),
        "{stdout}"
    );
    assert!(stdout.contains("(from 2024-04-01): upcoming"), "{stdout}");
    let (out, stdout, stderr) =
        run(madoguchi(&data, &index).args(["--today", "2024-04-01", "ask", "--json", TELEWORK_Q]));
    assert!(out.status.success(), "{stderr}");
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(v["plan"]["year"], "令和6年度（2024年度）");
    assert_eq!(v["plan"]["start"], "2024-04-01");
    let (out, _, stderr) = run(madoguchi(&data, &index).args(["--today", "2024-4-1", "check"]));
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("YYYY-MM-DD"), "{stderr}");
}

// ---- faq new --------------------------------------------------------------------

#[test]
fn faq_new_appends_a_valid_entry_and_never_rewrites_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let data = testkit::copy_data(tmp.path());
    let index = tmp.path().join("index");
    let file = data.join("faq/04-life-work-balance.toml");
    let original = std::fs::read(&file).unwrap();

    let (out, stdout, stderr) = run(madoguchi(&data, &index).args([
        "faq",
        "new",
        "--question",
        NEW_Q,
        "--measure",
        "4.tokyo.b",
        "--alternate",
        "カピバラを飼いたい",
    ]));
    assert!(out.status.success(), "{stderr}");
    assert!(
        stdout.contains("[[faq]]") && stdout.contains(NEW_Q),
        "{stdout}"
    );
    assert!(stderr.contains("life-work-balance-1"), "{stderr}");
    let written = std::fs::read(&file).unwrap();
    assert!(
        written.starts_with(&original),
        "what staff wrote is untouched"
    );
    let k = data::load(&data).unwrap_or_else(|p| panic!("{p}"));
    let entry = k.faq("life-work-balance-1").expect("the new entry loads");
    assert_eq!(entry.question, NEW_Q);
    assert_eq!(entry.measures, ["4.tokyo.b"]);
    assert_eq!(entry.alternates, ["カピバラを飼いたい"]);
    // The drafted answer uses the plan's words for the measure.
    let measure = k.measure("4.tokyo.b").unwrap();
    assert!(entry.answer.contains(&measure.text), "{}", entry.answer);
    assert!(stderr.contains(&format!(":{}", entry.line)), "{stderr}");
    // The bot finds it.
    let (_, stdout, _) = run(madoguchi(&data, &index).args(["ask", "--json", NEW_Q]));
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(v["faq"]["id"], "life-work-balance-1", "{v}");

    // Refused, with the file unchanged: a taken id, an unknown measure, an
    // id the data files do not accept, a file outside faq/, no question.
    let after = std::fs::read(&file).unwrap();
    let refusals: [(&[&str], &str); 5] = [
        (
            &[
                "--id",
                "life-work-balance-1",
                "--question",
                "別の質問",
                "--measure",
                "4.tokyo.b",
            ],
            "already used",
        ),
        (
            &["--question", "別の質問", "--measure", "4.tokyo.z"],
            "not in the current plan",
        ),
        (
            &[
                "--id",
                "bad id",
                "--question",
                "別の質問",
                "--measure",
                "4.tokyo.b",
            ],
            "nothing was written",
        ),
        (
            &["--question", "別の質問", "--measure", "4.tokyo.b", "--file"],
            "is not a .toml file in faq/",
        ),
        (&["--measure", "4.tokyo.b"], "--question is required"),
    ];
    for (args, why) in refusals {
        let mut cmd = madoguchi(&data, &index);
        cmd.args(["faq", "new"]).args(args);
        if args.last() == Some(&"--file") {
            cmd.arg(data.join("plan.toml"));
        }
        let (out, _, stderr) = run(&mut cmd);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains(why), "{args:?}: {stderr}");
        assert_eq!(std::fs::read(&file).unwrap(), after, "{args:?}");
    }
    assert!(data::load(&data).is_ok());

    // A new file in faq/, with an answer of one's own.
    let (out, _, stderr) = run(madoguchi(&data, &index)
        .args([
            "faq",
            "new",
            "--id",
            "smooth-biz-new",
            "--question",
            "時差出勤を始めたい",
            "--measure",
            "3.tokyo.a",
            "--answer",
            "都は時差Bizを実施しています。",
            "--file",
        ])
        .arg(data.join("faq/09-new.toml")));
    assert!(out.status.success(), "{stderr}");
    let k = data::load(&data).unwrap_or_else(|p| panic!("{p}"));
    assert_eq!(
        k.faq("smooth-biz-new").unwrap().answer.trim(),
        "都は時差Bizを実施しています。"
    );
}

#[test]
fn faq_new_refuses_a_question_an_entry_already_asks_and_check_names_both_entries() {
    let tmp = tempfile::tempdir().unwrap();
    let data = testkit::copy_data(tmp.path());
    let index = tmp.path().join("index");
    let file = data.join("faq/02-telework.toml");
    let original = std::fs::read(&file).unwrap();
    let k = data::load(&data).unwrap_or_else(|p| panic!("{p}"));
    let taken = k.faq("telework-equipment-subsidy").unwrap();
    // The same question in other widths and spacing, and an alternate.
    let asked = format!("{}　", taken.question.replace('？', "?"));
    for question in [asked.as_str(), taken.alternates[0].as_str()] {
        let (out, _, stderr) = run(madoguchi(&data, &index).args([
            "faq",
            "new",
            "--question",
            question,
            "--measure",
            "2.tokyo.b.3",
        ]));
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        for want in [
            "already asked by `telework-equipment-subsidy`".to_string(),
            format!("02-telework.toml:{}", taken.line),
            "alternates".to_string(),
        ] {
            assert!(stderr.contains(&want), "{want:?} in {stderr}");
        }
        assert_eq!(std::fs::read(&file).unwrap(), original);
    }

    // Written by hand, the same question in two entries: check names the
    // file, the line and both entries.
    add_faq(
        &data,
        &format!(
            "[[faq]]\nid = \"copy\"\nquestion = \"別の言い方\"\nalternates = [\"{}\"]\nanswer = \"同じ\"\nmeasures = [\"2.tokyo.b.3\"]\n",
            taken.question
        ),
    );
    let (out, _, stderr) = run(madoguchi(&data, &index).arg("check"));
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    for want in [
        "faq/09-plans.toml:1: [copy]",
        "is already asked by `telework-equipment-subsidy`",
        &format!("02-telework.toml:{}", taken.line),
        "how to fix",
    ] {
        assert!(stderr.contains(want), "{want:?} in {stderr}");
    }
}

// ---- report ---------------------------------------------------------------------

/// 2024-05-01 10:00 in Japan.
const MAY_1: u64 = 1_714_525_200;

/// A question asked with `/ask`, as the kit's records have it.
fn record(answer: u64, ts: u64, query: &str, shown: &[&str]) -> QuestionRecord {
    QuestionRecord {
        source: Source::Slash,
        ..testkit::question_record(answer, ts, query, shown)
    }
}

#[test]
fn report_reads_the_records_the_bot_keeps() {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let r = Records::open(&state, &Location::in_state(&state), &Options::default())
            .await
            .unwrap();
        let day = 86_400;
        for (i, (ts, q, shown)) in [
            (MAY_1, "カピバラの補助金はありますか", &[][..]),
            (MAY_1 + 10, "カピバラの補助金はありますか", &[]),
            (MAY_1 + day, "カピバラの補助金はありますか？", &[]),
            (MAY_1 + day, "カピバラ の 補助金 は ありますか", &[]),
            (MAY_1 + day, "今日の天気は", &[]),
            (MAY_1 + day, TELEWORK_Q, &["2.tokyo.b.3", "2.tokyo.a"]),
            (MAY_1 + 9 * day, TELEWORK_Q, &["2.tokyo.b.3", "2.tokyo.a"]),
            (MAY_1 + 9 * day, "人手が足りない", &["6.tokyo.a"]),
        ]
        .into_iter()
        .enumerate()
        {
            let mut record = record(i as u64 + 1, ts, q, shown);
            // Shown as 「もしかして」: programmes, not sure.
            if q == "人手が足りない" {
                record.sure = false;
                record.decision = Some(Decision::DidYouMean);
            }
            r.question(&record);
        }
        r.vote(6, Vote::Down, None, 1);
        r.vote(7, Vote::Down, None, 1);
        r.vote(8, Vote::Up, None, 1);
        assert_eq!(
            r.close(std::time::Duration::from_secs(10)).await,
            0,
            "all written"
        );
    });
    let data = testkit::repo().join("data");
    let index = tmp.path().join("index");

    let (out, stdout, stderr) = run(madoguchi(&data, &index)
        .args(["report", "--state"])
        .arg(&state));
    assert!(out.status.success(), "{stderr}");
    for want in [
        "2024-05-01 〜 2024-05-10",
        "質問 8 件 ・回答 2 件 ・もしかして 1 件（12.5%） ・該当なし 5 件（62.5%、うち対象外 0 件）",
        "4件  カピバラの補助金はありますか",
        "👎2 👍0  テレワークの機器を買うのに補助はありますか",
        "[2.tokyo.b.3] テレワークの機器導入経費補助",
        "テレワークの推進 › 都 › イ・3",
        "2024-05-02  質問    4  該当なし    3",
        "2024-05-05  質問    0",
    ] {
        assert!(stdout.contains(want), "missing {want:?} in\n{stdout}");
    }

    let (out, stdout, stderr) = run(madoguchi(&data, &index)
        .env("MADOGUCHI_STATE", &state)
        .args(["report", "--json", "--by", "week", "--top", "1"]));
    assert!(out.status.success(), "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["questions"], 8);
    assert_eq!(v["unanswered"], 5);
    assert_eq!(
        (v["answered"].as_u64(), v["did_you_mean"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(v["no_match_over_time"][1]["did_you_mean"], 1);
    assert_eq!(v["unanswered_groups"].as_array().unwrap().len(), 1);
    assert_eq!(v["unanswered_groups"][0]["count"], 4);
    assert_eq!(v["down_voted"][0]["down"], 2);
    assert_eq!(v["down_voted"][0]["question"], TELEWORK_Q);
    assert_eq!(v["period"], "week");
    assert_eq!(v["no_match_over_time"][0]["start"], "2024-04-29");
    assert_eq!(v["top_programmes"][0]["id"], "2.tokyo.b.3");
    assert_eq!(v["top_programmes"][0]["first"], 2);

    let (out, _, stderr) = run(madoguchi(&data, &index)
        .args(["report", "--state"])
        .arg(tmp.path().join("nowhere")));
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("no records"), "{stderr}");

    // Broken data does not hide the report.
    let broken = testkit::copy_data(&tmp.path().join("broken"));
    std::fs::remove_file(broken.join("plan.toml")).unwrap();
    let (out, stdout, stderr) = run(madoguchi(&broken, &index)
        .args(["report", "--state"])
        .arg(&state));
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("reporting without the knowledge"),
        "{stderr}"
    );
    assert!(
        stdout.contains("4件  カピバラの補助金はありますか"),
        "{stdout}"
    );
    assert!(
        stdout.contains("[2.tokyo.b.3] （現行の計画にない支援策）"),
        "{stdout}"
    );
}
