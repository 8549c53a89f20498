//! What a hostile tester tries on the command line, through the binary: a
//! FIFO in `data/faq/`, a reader that closes the pipe, bytes that are not
//! UTF-8 on stdin and in the bot's records, absurd record times, a damaged
//! dictionary, a dangling link at `import-plan --out`, a device as input,
//! `index/CURRENT` a directory, logs to a file. Each ends in bounded time
//! with an answer or a clear message, never a hang or a panic.

use testkit::{finish, madoguchi, run};

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

const QUESTION: &str = "テレワークの機器を買うのに補助はありますか";

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(status.success());
}

#[test]
fn a_fifo_in_the_data_directory_is_a_problem_not_a_hang() {
    let tmp = tempfile::tempdir().unwrap();
    let data = testkit::copy_data(tmp.path());
    let index = tmp.path().join("index");
    mkfifo(&data.join("faq/99-pipe.toml"));
    for args in [vec!["check"], vec!["ask", QUESTION]] {
        let child = madoguchi(&data, &index)
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (status, _, stderr) = finish(child, Duration::from_secs(60), args[0]);
        assert!(!status.success(), "{args:?}: {stderr}");
        assert!(stderr.contains("99-pipe.toml"), "{args:?}: {stderr}");
        assert!(stderr.contains("not a regular file"), "{stderr}");
        assert!(
            stderr.contains("replace it with a regular file"),
            "{stderr}"
        );
    }
    // The library call the bot's reload makes returns too.
    let (tx, rx) = std::sync::mpsc::channel();
    let d = data.clone();
    std::thread::spawn(move || tx.send(madoguchi::data::load(&d).is_err()).unwrap());
    assert!(rx.recv_timeout(Duration::from_secs(30)).expect("no hang"));
}

/// A state directory with a few records.
fn records(state: &Path) {
    std::fs::create_dir_all(state).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mut lines = String::new();
    for i in 0..30 {
        lines.push_str(&format!(
            "{{\"ts\":{},\"answer\":{i},\"source\":\"mention\",\"query\":\"質問{i}\",\"answered\":false,\"sure\":false,\"confidence\":0.0,\"shown\":[],\"faq\":null}}\n",
            now - 3600 * i
        ));
    }
    std::fs::write(state.join("questions.jsonl"), lines).unwrap();
}

#[test]
fn a_closed_pipe_ends_every_command_quietly() {
    let tmp = tempfile::tempdir().unwrap();
    let data = testkit::repo().join("data");
    let index = tmp.path().join("index");
    let state = tmp.path().join("state");
    records(&state);
    let questions = testkit::repo().join("tests/questions.tsv");
    let state_arg = state.to_str().unwrap();
    let commands: Vec<Vec<&str>> = vec![
        vec!["analyze", QUESTION],
        vec!["check", "--measures"],
        vec!["eval", questions.to_str().unwrap()],
        vec!["report", "--state", state_arg],
        vec!["ask", QUESTION],
    ];
    for args in commands {
        let mut child = madoguchi(&data, &index)
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The reader goes away before anything is written.
        drop(child.stdout.take());
        let (status, _, stderr) = finish(child, Duration::from_secs(120), args[0]);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(status.success(), "{args:?}: {status:?} {stderr}");
    }
}

#[test]
fn ask_from_stdin_answers_every_valid_line_and_names_the_bad_one() {
    let tmp = tempfile::tempdir().unwrap();
    let data = testkit::repo().join("data");
    let index = tmp.path().join("index");
    let mut child = madoguchi(&data, &index)
        .args(["ask", "--json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = Vec::new();
    input.extend_from_slice(QUESTION.as_bytes());
    input.extend_from_slice(b"\n\xe3\x83\n\xff\xfe garbage\r\n");
    input.extend_from_slice("テレワーク 助成金\r\n".as_bytes());
    // A line of 8 MB: skipped and named, never held whole.
    input.extend(std::iter::repeat_n(b'a', 8 * 1024 * 1024));
    input.extend_from_slice("\n人手が足りない\n".as_bytes());
    child.stdin.take().unwrap().write_all(&input).unwrap();
    let (status, stdout, stderr) = finish(child, Duration::from_secs(120), "ask -");
    let answers: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON answer a line"))
        .collect();
    assert_eq!(answers.len(), 3, "{stdout}\n{stderr}");
    assert_eq!(answers[1]["query"], "テレワーク 助成金");
    assert_eq!(answers[2]["query"], "人手が足りない");
    assert!(
        stderr.contains("line 5 of stdin is longer than 64 KiB"),
        "{stderr}"
    );
    assert!(stderr.contains("line 2 of stdin"), "{stderr}");
    assert!(stderr.contains("line 3 of stdin"), "{stderr}");
    assert!(stderr.contains("UTF-8"), "{stderr}");
    assert_eq!(status.code(), Some(1), "a skipped line is an error");
}

#[test]
fn torn_records_and_absurd_times_do_not_stop_the_report() {
    let tmp = tempfile::tempdir().unwrap();
    let data = testkit::repo().join("data");
    let index = tmp.path().join("index");
    let state = tmp.path().join("state");
    records(&state);
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(state.join("questions.jsonl"))
        .unwrap();
    for ts in ["1000000000000000", "9223372036854775807"] {
        writeln!(
            f,
            "{{\"ts\":{ts},\"answer\":1,\"source\":\"dm\",\"query\":\"x\",\"answered\":false,\"sure\":false,\"confidence\":0.0,\"shown\":[],\"faq\":null}}"
        )
        .unwrap();
    }
    f.write_all(b"\xff\xfe\x00\n{\"ts\":1,\"query\":\"\xe3\x83")
        .unwrap();
    drop(f);
    std::fs::write(state.join("votes.jsonl"), b"\xe3\x83\x86\xe3\n").unwrap();
    let child = madoguchi(&data, &index)
        .args(["report", "--json", "--state", state.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (status, stdout, stderr) = finish(child, Duration::from_secs(120), "report");
    assert!(status.success(), "{stderr}");
    let r: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(r["questions"], 30, "{stdout}");
    assert_eq!(r["skipped"], 3);
    assert_eq!(r["out_of_range"], 2);
    assert!(
        stderr.contains("questions.jsonl"),
        "the file is named: {stderr}"
    );
    assert!(stderr.contains("votes.jsonl"), "{stderr}");
    // Logs to a file or pipe carry no terminal colours.
    assert!(!stderr.contains('\u{1b}'), "{stderr:?}");
}

/// A question carrying terminal control sequences (an OSC window title,
/// clear screen, carriage return, backspace) is shown with its controls
/// visible in the text report: it cannot drive the staff member's terminal.
#[test]
fn control_sequences_in_questions_are_made_visible_in_the_text_report() {
    let tmp = tempfile::tempdir().unwrap();
    let data = testkit::repo().join("data");
    let index = tmp.path().join("index");
    let state = tmp.path().join("state");
    std::fs::create_dir_all(&state).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let hostile = "\\u001b]0;owned\\u0007天気\\u001b[2J\\rhidden\\b\\u009b31m";
    std::fs::write(
        state.join("questions.jsonl"),
        format!(
            "{{\"ts\":{now},\"answer\":1,\"source\":\"mention\",\"query\":\"{hostile}\",\"answered\":false,\"sure\":false,\"confidence\":0.0,\"shown\":[],\"faq\":null}}\n"
        ),
    )
    .unwrap();
    let child = madoguchi(&data, &index)
        .args(["report", "--state", state.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (status, stdout, stderr) = finish(child, Duration::from_secs(120), "report");
    assert!(status.success(), "{stderr}");
    // (A carriage return may be read as a space by the grouping's tidying.)
    assert!(stdout.contains("␛]0;owned␇天気␛[2J"), "{stdout}");
    assert!(stdout.contains("hidden␈<U+009B>31m"), "{stdout}");
    assert!(
        !stdout
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t'),
        "{stdout:?}"
    );
}

/// Flips one byte of `file`, `at` bytes from its start.
fn flip(file: &Path, at: usize) {
    let mut bytes = std::fs::read(file).unwrap();
    bytes[at] ^= 0xff;
    std::fs::write(file, bytes).unwrap();
}

#[test]
fn a_damaged_dictionary_is_rebuilt() {
    let tmp = tempfile::tempdir().unwrap();
    let data = testkit::repo().join("data");
    let index = tmp.path().join("index");
    testkit::engine(); // the shared dictionary is built
    let dictionary = tmp.path().join("ipadic");
    testkit::copy_dir(&testkit::dictionary_dir(), &dictionary);
    flip(&dictionary.join("unk.bin"), PANICKING_BYTE);
    let child = madoguchi(&data, &index)
        .env("MADOGUCHI_DICTIONARY", &dictionary)
        .args(["ask", "--json", QUESTION])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (status, stdout, stderr) = finish(child, Duration::from_secs(300), "ask");
    assert!(status.success(), "{stderr}");
    assert!(stderr.contains("does not match its checksums"), "{stderr}");
    assert!(stderr.contains("unk.bin"), "{stderr}");
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(v["measures"][0], "2.tokyo.b.3", "{stdout}");
    assert!(madoguchi::dictionary::damaged(&dictionary).is_none());
}

#[test]
fn import_plan_reads_only_a_regular_file_and_replaces_a_link_at_out() {
    let tmp = tempfile::tempdir().unwrap();
    let data = testkit::repo().join("data");
    let index = tmp.path().join("index");
    // A device as the input: refused at once, not read until memory ends.
    let child = madoguchi(&data, &index)
        .args(["import-plan", "/dev/zero"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (status, _, stderr) = finish(child, Duration::from_secs(30), "import-plan");
    assert!(!status.success());
    assert!(stderr.contains("not a regular file"), "{stderr}");

    let plan = testkit::repo().join("../shared/plan/000_8b28acc50282cef8.txt");
    let out = tmp.path().join("plan.toml");
    let elsewhere = tmp.path().join("elsewhere.toml");
    std::os::unix::fs::symlink(&elsewhere, &out).unwrap();
    let (o, _, stderr) = run(madoguchi(&data, &index)
        .args(["import-plan", plan.to_str().unwrap(), "--out"])
        .arg(&out));
    assert!(!o.status.success(), "a dangling link is there: {stderr}");
    assert!(stderr.contains("--force"), "{stderr}");
    let (o, _, stderr) = run(madoguchi(&data, &index)
        .args(["import-plan", plan.to_str().unwrap(), "--force", "--out"])
        .arg(&out));
    assert!(o.status.success(), "{stderr}");
    assert!(
        out.symlink_metadata().unwrap().is_file(),
        "the link replaced"
    );
    assert!(!elsewhere.exists(), "nothing written through the link");
}

#[test]
fn current_as_a_directory_names_the_right_fix() {
    let tmp = tempfile::tempdir().unwrap();
    let data = testkit::repo().join("data");
    let index = tmp.path().join("index");
    std::fs::create_dir_all(index.join("CURRENT/x")).unwrap();
    let (o, _, stderr) = run(madoguchi(&data, &index).args(["ask", QUESTION]));
    assert!(!o.status.success());
    assert!(stderr.contains("CURRENT is a directory"), "{stderr}");
    assert!(stderr.contains("rm -r"), "{stderr}");
    assert!(!stderr.contains("free space"), "{stderr}");
}

/// A byte of `unk.bin` whose flip makes lindera index out of bounds.
const PANICKING_BYTE: usize = 42;

#[test]
fn a_panic_in_segmentation_is_an_analysis_error() {
    testkit::engine(); // the shared dictionary is built
    let tmp = tempfile::tempdir().unwrap();
    let dictionary = tmp.path().join("ipadic");
    testkit::copy_dir(&testkit::dictionary_dir(), &dictionary);
    flip(&dictionary.join("unk.bin"), PANICKING_BYTE);
    let dict = madoguchi::dictionary::load(&dictionary).unwrap();
    let analyzer = madoguchi::analysis::Analyzer::new(dict, None, &Default::default()).unwrap();
    let err = analyzer
        .words("テレワークの機器を買うのに補助はありますかXYZ１２３")
        .expect_err("the damaged dictionary fails");
    assert!(
        err.to_string().contains("dictionary may be damaged"),
        "{err}"
    );
    assert!(analyzer.words("").is_ok(), "the analyser is still usable");
}

#[test]
fn logs_to_a_pipe_have_no_colours() {
    let tmp = tempfile::tempdir().unwrap();
    let data = testkit::repo().join("data");
    let index = tmp.path().join("index");
    // Nothing listens on the discard port: the bot logs its start, then
    // fails to reach the API.
    let child = madoguchi(&data, &index)
        .args(["serve", "--api-base", "http://127.0.0.1:9", "--state"])
        .arg(tmp.path().join("state"))
        .env("DISCORD_TOKEN", "test-token.abc.def")
        .env("MADOGUCHI_LOG_FORMAT", "text")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (_, _, stderr) = finish(child, Duration::from_secs(120), "serve");
    assert!(stderr.contains("starting the Discord bot"), "{stderr}");
    assert!(!stderr.contains('\u{1b}'), "{stderr:?}");
}
