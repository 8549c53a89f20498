//! What madoguchi's tests, benchmarks and examples share, compiled once: the
//! repository's `data/` and one engine over it, a dictionary built once for
//! every test binary, throw-away copies of `data/`, the `madoguchi` binary
//! and the records a bot keeps ([this module](self)); a fake Discord on
//! 127.0.0.1 ([`fake_discord`]); and a bot started against it, with its
//! configuration and logs ([`bot`]).

pub mod bot;
pub mod fake_discord;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use madoguchi::dictionary::DEFAULT_IPADIC_SOURCE;
use madoguchi::engine::{Engine, Paths, Rebuild};
use madoguchi::records::{QuestionRecord, Source};
use madoguchi::search::Decision;

/// The repository: the folder above this crate's.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the kit lies inside the repository")
        .to_path_buf()
}

/// The profile's build folder (`target/release`): a test or benchmark runs
/// from its `deps/`, an example from its `examples/`.
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("own path");
    exe.parent()
        .and_then(Path::parent)
        .expect("running from inside target/")
        .to_path_buf()
}

/// The `madoguchi` binary cargo built beside the running test or example.
pub fn binary() -> PathBuf {
    profile_dir().join("madoguchi")
}

/// The built dictionary, shared by every test (built once, then reused), in
/// the target's scratch folder (`target/tmp`, cargo's `CARGO_TARGET_TMPDIR`).
pub fn dictionary_dir() -> PathBuf {
    profile_dir()
        .parent()
        .expect("a profile folder lies inside target/")
        .join("tmp")
        .join("ipadic")
}

pub fn ipadic_source() -> PathBuf {
    PathBuf::from(DEFAULT_IPADIC_SOURCE)
}

/// Paths for `data` with a fresh index directory under `index`.
pub fn paths(data: &Path, index: &Path) -> Paths {
    let mut p = Paths::new(data.to_path_buf(), index.to_path_buf(), ipadic_source());
    p.dictionary = dictionary_dir();
    p
}

/// One engine over the repository's `data/`, for the whole test binary.
pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let index = dir.keep().join("index");
        Engine::open(
            &paths(&repo().join("data"), &index),
            Rebuild::IfStale,
            &mut |_| {},
        )
        .unwrap_or_else(|e| panic!("engine over data/ failed to open: {e:#}"))
    })
}

/// A copy of the repository's `data/` in a temporary directory.
pub fn copy_data(to: &Path) -> PathBuf {
    let target = to.join("data");
    copy_dir(&repo().join("data"), &target);
    target
}

/// Copies the folder `from` with all it holds to `to`.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let path = entry.path();
        if path.is_dir() {
            copy_dir(&path, &to.join(entry.file_name()));
        } else {
            std::fs::copy(&path, to.join(entry.file_name())).unwrap();
        }
    }
}

/// The public question set, beside the repository.
pub fn dev_questions() -> PathBuf {
    repo().join("../shared/plan/dev-questions.tsv")
}

/// The `madoguchi` binary on `data` and `index`, sharing the built dictionary.
pub fn madoguchi(data: &Path, index: &Path) -> Command {
    engine(); // the shared dictionary is built
    let mut cmd = Command::new(binary());
    cmd.env("MADOGUCHI_DATA", data)
        .env("MADOGUCHI_INDEX", index)
        .env("MADOGUCHI_DICTIONARY", dictionary_dir())
        .env("MADOGUCHI_IPADIC", ipadic_source())
        .env_remove("RUST_LOG");
    cmd
}

/// Runs a command to the end: its output, stdout and stderr as text.
pub fn run(cmd: &mut Command) -> (Output, String, String) {
    let out = cmd.output().expect("binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out, stdout, stderr)
}

/// Waits for `child` at most `limit`: its status, stdout and stderr; kills
/// it and fails, naming `what`, when it hangs.
pub fn finish(mut child: Child, limit: Duration, what: &str) -> (ExitStatus, String, String) {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut out = String::new();
            let mut err = String::new();
            if let Some(mut o) = child.stdout.take() {
                let _ = o.read_to_string(&mut out);
            }
            if let Some(mut e) = child.stderr.take() {
                let _ = e.read_to_string(&mut err);
            }
            return (status, out, err);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what}: still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A field of `/proc/PID/status` counted in KiB (`VmRSS`, `RssAnon`…).
pub fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

/// A burst that leaves the allocator holding freed memory: 40 MB in small
/// blocks allocated on a thread of its own, of which every 64th is kept
/// (returned), so that the freed memory is scattered.
pub fn fragmented_burst() -> Vec<Vec<u8>> {
    std::thread::spawn(|| {
        let blocks: Vec<Vec<u8>> = (0..20_000).map(|i| vec![i as u8; 2_000]).collect();
        blocks.into_iter().step_by(64).collect()
    })
    .join()
    .unwrap()
}

/// The records a bot with the state directory `state` keeps in
/// `records.sqlite3`, as JSON objects with the fields of a record, oldest
/// first: `questions`, the `unanswered` questions, or `votes`. Records are
/// written by a queue just after the answer is sent: this waits until the
/// count holds still for 100 ms (at most 5 s).
pub fn stored_records(state: &Path, which: &str) -> Vec<serde_json::Value> {
    let sql = match which {
        "questions" | "unanswered" => format!(
            "SELECT json_object('ts', ts, 'answer', answer, 'source', source, 'query', query, \
             'answered', json(CASE WHEN answered THEN 'true' ELSE 'false' END), \
             'sure', json(CASE WHEN sure THEN 'true' ELSE 'false' END), 'decision', decision, \
             'confidence', confidence, 'shown', json(shown), 'faq', faq, 'guild', guild) \
             FROM questions {} ORDER BY id",
            if which == "unanswered" {
                "WHERE NOT answered"
            } else {
                ""
            }
        ),
        "votes" => "SELECT json_object('ts', ts, 'answer', answer, 'vote', vote, 'query', query, \
             'shown', json(shown), 'faq', faq, 'guild', guild, 'voter', voter) \
             FROM votes ORDER BY id"
            .to_string(),
        other => panic!("no records called {other}"),
    };
    let path = state.join(madoguchi::records::DATABASE_FILE);
    let read = || -> Vec<serde_json::Value> {
        let Ok(db) = rusqlite::Connection::open_with_flags(
            &path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        ) else {
            return Vec::new();
        };
        let Ok(mut st) = db.prepare(&sql) else {
            return Vec::new();
        };
        st.query_map([], |r| r.get::<_, String>(0))
            .map(|rows| {
                rows.filter_map(Result::ok)
                    .map(|t| serde_json::from_str(&t).unwrap())
                    .collect()
            })
            .unwrap_or_default()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let mut last = read();
    loop {
        std::thread::sleep(std::time::Duration::from_millis(100));
        let now = read();
        if (now.len() == last.len() && !now.is_empty()) || std::time::Instant::now() > deadline {
            return now;
        }
        last = now;
    }
}

/// The record of question `answer` asked at `ts` (Unix seconds) by a
/// mention: answered with the measures `shown`, or declined when none were
/// shown; sure and confident (0.9) when answered, unsure (0.1) when not.
pub fn question_record(answer: u64, ts: u64, query: &str, shown: &[&str]) -> QuestionRecord {
    QuestionRecord {
        ts,
        answer,
        source: Source::Mention,
        query: query.into(),
        answered: !shown.is_empty(),
        sure: !shown.is_empty(),
        decision: Some(if shown.is_empty() {
            Decision::Decline
        } else {
            Decision::Answer
        }),
        confidence: if shown.is_empty() { 0.1 } else { 0.9 },
        shown: shown.iter().map(|s| s.to_string()).collect(),
        faq: None,
        guild: None,
    }
}
