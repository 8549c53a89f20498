//! The `madoguchi` binary end to end: ask (text, --json, stdin), check on a
//! broken copy of data/, index rebuilds when data changes, clear errors.

use testkit::{madoguchi, run};

use std::io::Write;
use std::process::Stdio;

#[test]
fn ask_prints_programmes_referrals_and_the_plan() {
    let tmp = tempfile::tempdir().unwrap();
    let (out, stdout, stderr) = run(madoguchi(&testkit::repo().join("data"), tmp.path())
        .args(["ask", "テレワークの機器を買うのに補助はありますか"]));
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("テレワークの機器導入経費補助"), "{stdout}");
    assert!(stdout.contains("テレワークの推進 › 都 › イ・3"), "{stdout}");
    assert!(stdout.contains("令和5年度"), "{stdout}");
}

#[test]
fn ask_json_has_the_documented_fields() {
    let tmp = tempfile::tempdir().unwrap();
    let (out, stdout, stderr) = run(madoguchi(&testkit::repo().join("data"), tmp.path()).args([
        "ask",
        "--json",
        "外国人社員の日本語教育の費用を助成してほしい",
    ]));
    assert!(out.status.success(), "{stderr}");
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).expect("one JSON object");
    assert_eq!(v["query"], "外国人社員の日本語教育の費用を助成してほしい");
    assert_eq!(v["answered"], true);
    assert!(v["confidence"].as_f64().unwrap() > 0.0);
    let measures: Vec<&str> = v["measures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    assert!(
        measures.iter().take(3).any(|m| *m == "6.tokyo.e"),
        "{measures:?}"
    );
    let first = &v["results"][0];
    assert!(matches!(first["kind"].as_str(), Some("measure" | "faq")));
    assert!(first["id"].is_string() && first["title"].is_string() && first["score"].is_number());
    let referral = &v["referrals"][0];
    assert!(referral["id"].is_string() && referral["name"].is_string());
}

#[test]
fn ask_json_reads_one_question_per_line_from_stdin() {
    let tmp = tempfile::tempdir().unwrap();
    let mut child = madoguchi(&testkit::repo().join("data"), tmp.path())
        .args(["ask", "--json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all("テレワークの相談先\n\n明日の天気を教えて\n".as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    assert_eq!(lines[0]["answered"], true);
    assert_eq!(lines[1]["answered"], false);
    assert_eq!(lines[2]["query"], "明日の天気を教えて");
    assert_eq!(lines[2]["answered"], false);
}

#[test]
fn check_passes_on_the_bundled_data() {
    let tmp = tempfile::tempdir().unwrap();
    let (out, stdout, stderr) =
        run(madoguchi(&testkit::repo().join("data"), tmp.path()).arg("check"));
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("OK"), "{stdout}");
}

#[test]
fn check_lists_every_problem_with_file_line_entry_and_fix() {
    let tmp = tempfile::tempdir().unwrap();
    let data = testkit::copy_data(tmp.path());
    std::fs::write(
        data.join("faq/zz-broken.toml"),
        r#"[[faq]]
id = "dup-a"
question = "テスト"
answer = "テスト"
measures = ["2.tokyo.b.9"]

[[faq]]
id = "dup-a"
question = "テスト2"
answer = "   "
measures = ["2.tokyo.b.3"]
"#,
    )
    .unwrap();
    std::fs::write(
        data.join("faq/zz-syntax.toml"),
        "[[faq]]\nid = \"x\nquestion = 1\n",
    )
    .unwrap();
    let mut userdict = std::fs::read_to_string(data.join("userdict.csv")).unwrap();
    userdict.push_str("\nテスト語,名詞\n");
    std::fs::write(data.join("userdict.csv"), &userdict).unwrap();
    let bad_line = userdict.lines().count();

    let (out, _, stderr) = run(madoguchi(&data, &tmp.path().join("index")).arg("check"));
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let broken = data.join("faq/zz-broken.toml");
    let expect = [
        format!(
            "{}:1: [dup-a]: measure `2.tokyo.b.9` is not in the plan",
            broken.display()
        ),
        format!("{}:7: [dup-a]: FAQ id already used at", broken.display()),
        format!("{}:7: [dup-a]: `answer` is empty", broken.display()),
        format!(
            "{}:2: invalid TOML",
            data.join("faq/zz-syntax.toml").display()
        ),
        format!(
            "{}:{bad_line}: [テスト語]: expected 3 comma-separated fields, found 2",
            data.join("userdict.csv").display()
        ),
    ];
    for e in &expect {
        assert!(stderr.contains(e.as_str()), "missing {e:?} in:\n{stderr}");
    }
    assert!(stderr.contains("did you mean"), "{stderr}");
    assert!(
        stderr.matches("how to fix:").count() >= expect.len(),
        "{stderr}"
    );

    // ask refuses to run on broken data, and says how to find out why.
    let (out, _, stderr) =
        run(madoguchi(&data, &tmp.path().join("index")).args(["ask", "テレワーク"]));
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("madoguchi check"), "{stderr}");
}

/// An English question is answered in English (`en.toml`, `[en]` of
/// `messages.toml`), each programme with its Japanese name; a Japanese one
/// in Japanese. `ask --json` says which.
#[test]
fn an_english_question_is_answered_in_english_with_the_japanese_names() {
    let tmp = tempfile::tempdir().unwrap();
    let data = testkit::repo().join("data");
    let ask = |q: &str| {
        let (out, stdout, stderr) = run(madoguchi(&data, tmp.path()).args(["ask", "--json", q]));
        assert!(out.status.success(), "{stderr}");
        serde_json::from_str::<serde_json::Value>(stdout.trim()).unwrap()
    };
    let en = ask("Is there a subsidy for telework equipment in Tokyo?");
    assert_eq!(en["language"], "en");
    let first = &en["programmes"][0];
    assert_eq!(first["id"], "2.tokyo.b.3");
    assert_eq!(first["japanese"], "テレワークの機器導入経費補助");
    assert!(first["text"].as_str().unwrap().is_ascii(), "{first}");
    assert!(
        en["plan"]["basis"]
            .as_str()
            .unwrap()
            .starts_with("Based on")
    );
    assert!(en["referrals"][0]["japanese"].is_string(), "{en}");
    let ja = ask("テレワークの機器を買うのに補助はありますか");
    assert_eq!(ja["language"], "ja");
    assert_eq!(ja["programmes"][0]["text"], "テレワークの機器導入経費補助");
    assert!(ja["programmes"][0]["japanese"].is_null());
    let (_, text, _) = run(madoguchi(&data, tmp.path())
        .args(["ask", "Is there a subsidy for telework equipment in Tokyo?"]));
    assert!(text.contains("Related programmes"), "{text}");
    assert!(text.contains("テレワークの機器導入経費補助"), "{text}");
}

/// `check` names a measure without its owner's words or its English, an
/// entry for a measure the plan lacks, and an empty entry.
#[test]
fn check_validates_the_owners_words_and_the_english() {
    let tmp = tempfile::tempdir().unwrap();
    let data = testkit::copy_data(tmp.path());
    let owners = std::fs::read_to_string(data.join("owners.toml")).unwrap();
    // The entry of 2.tokyo.b.3 renamed to a measure that does not exist.
    let owners = owners.replacen("id = \"2.tokyo.b.3\"", "id = \"2.tokyo.b.9\"", 1);
    let owners = owners + "\n[[measure]]\nid = \"2.tokyo.b.4\"\n";
    std::fs::write(data.join("owners.toml"), owners).unwrap();
    let en = std::fs::read_to_string(data.join("en.toml")).unwrap();
    std::fs::write(
        data.join("en.toml"),
        en.replacen("id = \"6.tokyo.e\"", "id = \"6.tokyo.z\"", 1),
    )
    .unwrap();
    let (out, _, stderr) = run(madoguchi(&data, &tmp.path().join("index")).arg("check"));
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    for e in [
        "measure `2.tokyo.b.9` is not in the plan",
        "measure `2.tokyo.b.3` has no entry",
        "[2.tokyo.b.4]: the entry is empty",
        "measure `6.tokyo.z` is not in the plan",
        "measure `6.tokyo.e` has no English",
    ] {
        assert!(stderr.contains(e), "missing {e:?} in:\n{stderr}");
    }
    assert!(
        stderr.contains("owners.toml") && stderr.contains("en.toml"),
        "{stderr}"
    );
}

#[test]
fn check_validates_the_language_files() {
    let tmp = tempfile::tempdir().unwrap();
    let data = testkit::copy_data(tmp.path());
    let append = |file: &str, text: &str| {
        let mut s = std::fs::read_to_string(data.join(file)).unwrap();
        let line = s.lines().count() + 2;
        s.push('\n');
        s.push_str(text);
        std::fs::write(data.join(file), s).unwrap();
        line
    };
    let english = append(
        "english.toml",
        "[[term]]\nen = [\"telework\"]\nja = [\"テレワーク\"]\n",
    );
    let scope = append(
        "scope.toml",
        "[[topic]]\nid = \"nowhere\"\nname = \"x\"\ntriggers = [\"火星支社\"]\nreferral = \"nowhere\"\n\n\
         [[topic]]\nid = \"too-wide\"\nname = \"x\"\ntriggers = [\"テレワーク\"]\nreferral = \"keiei-shidouin\"\n",
    );
    let (out, _, stderr) = run(madoguchi(&data, &tmp.path().join("index")).arg("check"));
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    for e in [
        format!(
            "{}:{english}: [telework]: `telework` is already a term at line",
            data.join("english.toml").display()
        ),
        format!(
            "{}:{scope}: [nowhere]: `referral` names `nowhere`, which is no channel",
            data.join("scope.toml").display()
        ),
    ] {
        assert!(stderr.contains(e.as_str()), "missing {e:?} in:\n{stderr}");
    }
    assert!(
        stderr.contains("the trigger `テレワーク` occurs in measure")
            || stderr.contains("the trigger `テレワーク` occurs in the FAQ entry"),
        "{stderr}"
    );
}

#[test]
fn the_index_is_rebuilt_when_data_changes() {
    let tmp = tempfile::tempdir().unwrap();
    let data = testkit::copy_data(tmp.path());
    let index = tmp.path().join("index");
    let q = "カピバラ温泉の割引券はありますか";
    let (_, stdout, _) = run(madoguchi(&data, &index).args(["ask", "--json", q]));
    let before: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(before["answered"], false);
    let current_before = std::fs::read_to_string(index.join("CURRENT")).unwrap();

    std::fs::write(
        data.join("faq/zz-new.toml"),
        r#"[[faq]]
id = "capybara"
question = "カピバラ温泉の割引券はありますか"
answer = "テスト用の回答です。"
measures = ["4.tokyo.b"]
"#,
    )
    .unwrap();
    let (out, stdout, stderr) = run(madoguchi(&data, &index).args(["ask", "--json", q]));
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("rebuilding the index"), "{stderr}");
    let after: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(after["answered"], true);
    assert_eq!(after["results"][0]["id"], "capybara");
    assert_eq!(after["measures"][0], "4.tokyo.b");
    let current_after = std::fs::read_to_string(index.join("CURRENT")).unwrap();
    assert_ne!(current_before, current_after);
    // Only the current generation is kept.
    let generations = std::fs::read_dir(&index)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("gen-")
        })
        .count();
    assert_eq!(generations, 1);

    // Unchanged data: no rebuild.
    let (_, _, stderr) = run(madoguchi(&data, &index).args(["ask", q]));
    assert!(!stderr.contains("rebuilding"), "{stderr}");
}

#[test]
fn a_corrupt_index_is_rebuilt() {
    let tmp = tempfile::tempdir().unwrap();
    let data = testkit::repo().join("data");
    let index = tmp.path().join("index");
    let (out, _, _) = run(madoguchi(&data, &index).arg("index"));
    assert!(out.status.success());
    let current = std::fs::read_to_string(index.join("CURRENT")).unwrap();
    std::fs::write(index.join(current.trim()).join("meta.json"), b"{ truncated").unwrap();
    let (out, stdout, stderr) = run(madoguchi(&data, &index).args(["ask", "テレワークの補助金"]));
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("rebuilding it"), "{stderr}");
    assert!(stdout.contains("テレワーク"), "{stdout}");
}

#[test]
fn a_missing_ipadic_source_says_what_to_install() {
    let tmp = tempfile::tempdir().unwrap();
    let (out, _, stderr) = run(madoguchi(&testkit::repo().join("data"), tmp.path())
        .env("MADOGUCHI_IPADIC", tmp.path().join("no-such-dir"))
        .env("MADOGUCHI_DICTIONARY", tmp.path().join("dict"))
        .args(["ask", "テレワーク"]));
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("apt-get install mecab-ipadic"), "{stderr}");
    assert!(stderr.contains("MADOGUCHI_IPADIC"), "{stderr}");
}

#[test]
fn eval_prints_scores_per_group_and_the_misses() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("q.tsv");
    std::fs::write(
        &file,
        "question\texpected\tgroup\nテレワークの機器導入の補助\t2.tokyo.b.3\tcore\n天気\t-\tnegative\nテレワークの機器導入の補助\t9.none\tcore\n",
    )
    .unwrap();
    let (out, stdout, stderr) = run(madoguchi(
        &testkit::repo().join("data"),
        &tmp.path().join("i"),
    )
    .args(["eval", file.to_str().unwrap()]));
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("core"), "{stdout}");
    assert!(stdout.contains("0.500"), "{stdout}");
    assert!(stdout.contains("line 4"), "{stdout}");
    assert!(!stdout.contains("line 2 "), "{stdout}");
}

#[test]
fn the_period_and_the_log_format_are_one_of_their_values() {
    let tmp = tempfile::tempdir().unwrap();
    let data = testkit::repo().join("data");
    let (out, _, stderr) = run(madoguchi(&data, tmp.path())
        .args(["report", "--by", "month", "--state"])
        .arg(tmp.path()));
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("[possible values: day, week]"), "{stderr}");
    let (out, _, stderr) = run(madoguchi(&data, tmp.path())
        .args(["serve", "--print-settings"])
        .env("MADOGUCHI_LOG_FORMAT", "xml"));
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("[possible values: text, json]"), "{stderr}");
}
