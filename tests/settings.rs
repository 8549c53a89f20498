//! The settings of `madoguchi serve` end to end: where each one comes from
//! (flag, environment, `.env`, configuration file, default), seen through
//! the binary itself.

mod common;

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Every variable the binary reads, so that the caller's environment
/// cannot leak into a test.
const VARIABLES: &[&str] = &[
    "DISCORD_TOKEN",
    "DISCORD_API_BASE",
    "MADOGUCHI_CONFIG",
    "MADOGUCHI_DATA",
    "MADOGUCHI_INDEX",
    "MADOGUCHI_IPADIC",
    "MADOGUCHI_DICTIONARY",
    "MADOGUCHI_TODAY",
    "MADOGUCHI_STATE",
    "MADOGUCHI_RECORDS",
    "MADOGUCHI_KEEP_DAYS",
    "MADOGUCHI_GUILD_ID",
    "MADOGUCHI_ANSWER_CHANNELS",
    "MADOGUCHI_STAFF_ROLE",
    "MADOGUCHI_STAFF_CHANNEL",
    "MADOGUCHI_SHARDS",
    "MADOGUCHI_LOG_FORMAT",
    "MADOGUCHI_COOLDOWN",
    "MADOGUCHI_MAX_QUESTION",
    "MADOGUCHI_METRICS",
    "RUST_LOG",
];

/// The binary run in `dir` with none of its variables set.
fn bare(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_madoguchi"));
    cmd.current_dir(dir);
    for v in VARIABLES {
        cmd.env_remove(v);
    }
    cmd
}

/// Waits for `child` at most `limit`: its status and stderr.
fn finish(mut child: Child, limit: Duration) -> (ExitStatus, String) {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = e.read_to_string(&mut err);
            }
            return (status, err);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("serve still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `serve` with `args` in `dir`, expected to stop at once with an error.
fn serve_error(cmd: &mut Command) -> (ExitStatus, String) {
    let child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    finish(child, Duration::from_secs(60))
}

/// `MADOGUCHI_MAX_QUESTION` written in `.env` is a setting like any other:
/// a value of 0 there is refused (it was once ignored, and serve went on to
/// bind the metrics address, which the test holds).
#[test]
fn max_question_in_dotenv_is_not_ignored() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".env"), "MADOGUCHI_MAX_QUESTION=0\n").unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let (status, stderr) = serve_error(
        bare(dir.path())
            .args(["serve", "--metrics", &addr])
            .env("DISCORD_TOKEN", "test-token.abc.def"),
    );
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("the longest question must be at least one character"),
        "{stderr}"
    );
}

/// `--data data` given on the command line wins over the configuration
/// file's `data`, although it is also the default (it once lost to it).
#[test]
fn explicit_data_equal_to_the_default_beats_the_config_file() {
    let dir = tempfile::tempdir().unwrap();
    common::engine(); // the shared dictionary is built
    let from_file = dir.path().join("data-from-the-file");
    std::fs::write(
        dir.path().join("bot.toml"),
        format!("data = \"{}\"\n", from_file.display()),
    )
    .unwrap();
    // Neither directory exists: the error names the one serve used.
    let (status, stderr) = serve_error(
        bare(dir.path())
            .args(["serve", "--config", "bot.toml", "--data", "data"])
            .env("DISCORD_TOKEN", "test-token.abc.def")
            .env("MADOGUCHI_INDEX", dir.path().join("index"))
            .env("MADOGUCHI_DICTIONARY", common::dictionary_dir())
            .env("MADOGUCHI_IPADIC", common::ipadic_source()),
    );
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("the knowledge in data has"), "{stderr}");
    assert!(!stderr.contains("data-from-the-file"), "{stderr}");
}
