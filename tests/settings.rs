//! The settings of `madoguchi serve` end to end: where each one comes from
//! (flag, environment, `.env`, configuration file, default), seen through
//! the binary itself.

use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::time::Duration;

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

/// `serve` with `args` in `dir`, expected to stop at once with an error.
fn serve_error(cmd: &mut Command) -> (ExitStatus, String) {
    let child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (status, _, stderr) = testkit::finish(child, Duration::from_secs(60), "serve");
    (status, stderr)
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
    testkit::engine(); // the shared dictionary is built
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
            .env("MADOGUCHI_DICTIONARY", testkit::dictionary_dir())
            .env("MADOGUCHI_IPADIC", testkit::ipadic_source()),
    );
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("the knowledge in data has"), "{stderr}");
    assert!(!stderr.contains("data-from-the-file"), "{stderr}");
}

/// The layers a setting can come from, highest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Layer {
    Flag,
    Env,
    DotEnv,
    File,
    Default,
}

const LAYERS: [Layer; 5] = [
    Layer::Flag,
    Layer::Env,
    Layer::DotEnv,
    Layer::File,
    Layer::Default,
];

/// One setting of `serve`: how it is given in each layer and what
/// `--print-settings` shows when each layer is the highest one given.
struct Case {
    name: &'static str,
    flag: Option<&'static str>,
    variable: Option<&'static str>,
    /// Whether the configuration file has the key `name`.
    in_file: bool,
    /// The value given as flag, in the environment, in `.env`, in the file
    /// (as TOML).
    given: [&'static str; 4],
    /// What is shown with every layer from the flag's, the environment's,
    /// `.env`'s, the file's down given, and with none.
    shown: [&'static str; 5],
}

const fn case(
    name: &'static str,
    flag: Option<&'static str>,
    variable: Option<&'static str>,
    in_file: bool,
    given: [&'static str; 4],
    shown: [&'static str; 5],
) -> Case {
    Case {
        name,
        flag,
        variable,
        in_file,
        given,
        shown,
    }
}

const IPADIC: &str = madoguchi::dictionary::DEFAULT_IPADIC_SOURCE;

/// Every setting of `serve`.
const CASES: &[Case] = &[
    case(
        "config",
        Some("--config"),
        Some("MADOGUCHI_CONFIG"),
        false,
        ["flag.toml", "env.toml", "dotenv.toml", ""],
        [
            "flag.toml",
            "env.toml",
            "dotenv.toml",
            "dotenv.toml",
            "none",
        ],
    ),
    case(
        "token",
        None,
        Some("DISCORD_TOKEN"),
        false,
        ["", "env-token-secret", "dotenv-token-secret", ""],
        [
            "[redacted]",
            "[redacted]",
            "[redacted]",
            "not set",
            "not set",
        ],
    ),
    case(
        "data",
        Some("--data"),
        Some("MADOGUCHI_DATA"),
        true,
        ["flag-data", "env-data", "dotenv-data", "\"file-data\""],
        ["flag-data", "env-data", "dotenv-data", "file-data", "data"],
    ),
    case(
        "index",
        Some("--index"),
        Some("MADOGUCHI_INDEX"),
        true,
        ["flag-index", "env-index", "dotenv-index", "\"file-index\""],
        [
            "flag-index",
            "env-index",
            "dotenv-index",
            "file-index",
            "index",
        ],
    ),
    case(
        "ipadic",
        Some("--ipadic"),
        Some("MADOGUCHI_IPADIC"),
        false,
        ["flag-ipadic", "env-ipadic", "dotenv-ipadic", ""],
        ["flag-ipadic", "env-ipadic", "dotenv-ipadic", IPADIC, IPADIC],
    ),
    case(
        "dictionary",
        Some("--dictionary"),
        Some("MADOGUCHI_DICTIONARY"),
        false,
        ["flag-dict", "env-dict", "dotenv-dict", ""],
        // By default inside the index, wherever that is.
        [
            "flag-dict",
            "env-dict",
            "dotenv-dict",
            "file-index/ipadic",
            "index/ipadic",
        ],
    ),
    case(
        "today",
        Some("--today"),
        Some("MADOGUCHI_TODAY"),
        false,
        ["2024-04-01", "2024-04-02", "2024-04-03", ""],
        [
            "2024-04-01",
            "2024-04-02",
            "2024-04-03",
            "the day in Japan",
            "the day in Japan",
        ],
    ),
    case(
        "api_base",
        Some("--api-base"),
        Some("DISCORD_API_BASE"),
        true,
        [
            "http://flag.test",
            "http://env.test",
            "http://dotenv.test",
            "\"http://file.test\"",
        ],
        [
            "http://flag.test",
            "http://env.test",
            "http://dotenv.test",
            "http://file.test",
            "https://discord.com",
        ],
    ),
    case(
        "state",
        Some("--state"),
        Some("MADOGUCHI_STATE"),
        true,
        ["flag-state", "env-state", "dotenv-state", "\"file-state\""],
        [
            "flag-state",
            "env-state",
            "dotenv-state",
            "file-state",
            "state",
        ],
    ),
    case(
        "records",
        Some("--records"),
        Some("MADOGUCHI_RECORDS"),
        true,
        [
            "sqlite://flag.db",
            "sqlite://env.db",
            "sqlite://dotenv.db",
            "\"sqlite://file.db\"",
        ],
        [
            "sqlite://flag.db",
            "sqlite://env.db",
            "sqlite://dotenv.db",
            "sqlite://file.db",
            "sqlite://state/records.sqlite3",
        ],
    ),
    case(
        "keep_days",
        Some("--keep-days"),
        Some("MADOGUCHI_KEEP_DAYS"),
        true,
        ["1", "2", "3", "4"],
        ["1", "2", "3", "4", "none"],
    ),
    case(
        "guild_id",
        Some("--guild-id"),
        Some("MADOGUCHI_GUILD_ID"),
        true,
        ["11", "12", "13", "14"],
        ["11", "12", "13", "14", "none"],
    ),
    case(
        "answer_channels",
        Some("--answer-channels"),
        Some("MADOGUCHI_ANSWER_CHANNELS"),
        true,
        ["21,22", "23", "24", "[25, 26]"],
        ["21,22", "23", "24", "25,26", "none"],
    ),
    case(
        "staff_role",
        Some("--staff-role"),
        Some("MADOGUCHI_STAFF_ROLE"),
        true,
        ["31", "32", "33", "34"],
        ["31", "32", "33", "34", "none"],
    ),
    case(
        "staff_channel",
        Some("--staff-channel"),
        Some("MADOGUCHI_STAFF_CHANNEL"),
        true,
        ["41", "42", "43", "44"],
        ["41", "42", "43", "44", "none"],
    ),
    case(
        "shards",
        Some("--shards"),
        Some("MADOGUCHI_SHARDS"),
        true,
        ["0-0/1", "0-1/2", "1-2/3", "\"2-3/4\""],
        ["0-0/1", "0-1/2", "1-2/3", "2-3/4", "auto"],
    ),
    case(
        "log_format",
        Some("--log-format"),
        Some("MADOGUCHI_LOG_FORMAT"),
        true,
        ["json", "text", "json", "\"json\""],
        ["json", "text", "json", "json", "text"],
    ),
    case(
        "cooldown_seconds",
        Some("--cooldown"),
        Some("MADOGUCHI_COOLDOWN"),
        true,
        ["1", "2", "2.5", "4"],
        ["1", "2", "2.5", "4", "3"],
    ),
    case(
        "max_question_chars",
        Some("--max-question-chars"),
        Some("MADOGUCHI_MAX_QUESTION"),
        true,
        ["51", "52", "53", "54"],
        ["51", "52", "53", "54", "500"],
    ),
    case(
        "metrics",
        Some("--metrics"),
        Some("MADOGUCHI_METRICS"),
        true,
        [
            "127.0.0.1:9101",
            "127.0.0.1:9102",
            "127.0.0.1:9103",
            "\"127.0.0.1:9104\"",
        ],
        [
            "127.0.0.1:9101",
            "127.0.0.1:9102",
            "127.0.0.1:9103",
            "127.0.0.1:9104",
            "off",
        ],
    ),
];

impl Case {
    /// Whether the setting can be given in `layer`.
    fn has(&self, layer: Layer) -> bool {
        match layer {
            Layer::Flag => self.flag.is_some(),
            Layer::Env | Layer::DotEnv => self.variable.is_some(),
            Layer::File => self.in_file,
            Layer::Default => true,
        }
    }

    /// The layer that wins when every layer from `highest` down is given
    /// (the configuration file itself is then named in `.env`).
    fn winner(&self, highest: Layer) -> Layer {
        if self.name == "config" && highest == Layer::File {
            return Layer::DotEnv;
        }
        LAYERS
            .into_iter()
            .find(|&l| l >= highest && self.has(l))
            .unwrap_or(Layer::Default)
    }
}

/// Runs `serve --print-settings` with every layer from `highest` down
/// given: each setting's printed value and source, by name.
fn print_settings(
    dir: &Path,
    highest: Layer,
) -> std::collections::HashMap<String, (String, String)> {
    let file: String = CASES
        .iter()
        .filter(|c| c.in_file)
        .map(|c| format!("{} = {}\n", c.name, c.given[3]))
        .collect();
    for name in ["flag.toml", "env.toml", "dotenv.toml"] {
        std::fs::write(dir.join(name), &file).unwrap();
    }
    let mut cmd = bare(dir);
    cmd.args(["serve", "--print-settings"]);
    let mut dotenv = String::new();
    for c in CASES {
        let Some(variable) = c.variable else { continue };
        if highest <= Layer::Flag
            && let Some(flag) = c.flag
        {
            cmd.args([flag, c.given[0]]);
        }
        if highest <= Layer::Env {
            cmd.env(variable, c.given[1]);
        }
        if highest <= Layer::DotEnv || (highest == Layer::File && c.name == "config") {
            dotenv.push_str(&format!("{variable}={}\n", c.given[2]));
        }
    }
    if !dotenv.is_empty() {
        std::fs::write(dir.join(".env"), dotenv).unwrap();
    }
    let (out, stdout, stderr) = testkit::run(&mut cmd);
    assert!(out.status.success(), "{highest:?}: {stderr}");
    assert!(!stdout.contains("token-secret"), "{stdout}");
    stdout
        .lines()
        .map(|line| {
            let (name, rest) = line.split_once(' ').unwrap();
            let (value, source) = rest.trim().rsplit_once(" (").unwrap();
            let source = source.strip_suffix(')').unwrap();
            (
                name.to_string(),
                (value.trim().to_string(), source.to_string()),
            )
        })
        .collect()
}

/// Each setting of `serve` from the flag, else the environment, else
/// `.env`, else the configuration file, else its default, as
/// `--print-settings` shows it (with where it came from).
#[test]
fn each_setting_takes_the_highest_layer_given() {
    for highest in LAYERS {
        let dir = tempfile::tempdir().unwrap();
        let printed = print_settings(dir.path(), highest);
        assert_eq!(printed.len(), CASES.len(), "{printed:?}");
        for c in CASES {
            let (value, source) = &printed[c.name];
            let winner = c.winner(highest);
            let expected_source = match winner {
                Layer::Flag => c.flag.unwrap().to_string(),
                Layer::Env => format!("{} in the environment", c.variable.unwrap()),
                Layer::DotEnv => format!(
                    "{} in {}",
                    c.variable.unwrap(),
                    dir.path().join(".env").display()
                ),
                Layer::File => format!("{} in dotenv.toml", c.name),
                Layer::Default => "default".to_string(),
            };
            let shown = c.shown[LAYERS.iter().position(|&l| l == highest).unwrap()];
            assert_eq!(
                (value.as_str(), source.as_str()),
                (shown, expected_source.as_str()),
                "{} with every layer from {highest:?} down",
                c.name
            );
        }
    }
}

/// A `.env` that cannot be read stops the command with its name and the
/// line, rather than being passed over; the line itself is never printed
/// (a mistyped token line would show the token).
#[test]
fn a_broken_dotenv_is_an_error_naming_it_and_never_showing_the_line() {
    let dir = tempfile::tempdir().unwrap();
    for text in [
        "MADOGUCHI_STATE=ok\nDISCORD_TOKEN: MTIz.secret-token\n",
        "MADOGUCHI_STATE=ok\nDISCORD_TOKEN=\"MTIz.secret-token\n",
    ] {
        std::fs::write(dir.path().join(".env"), text).unwrap();
        let (out, _, stderr) = testkit::run(bare(dir.path()).args(["serve", "--print-settings"]));
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains(".env line 2"), "{stderr}");
        assert!(stderr.contains("KEY=value"), "{stderr}");
        assert!(!stderr.contains("secret-token"), "{stderr}");
    }
    // A `.env` that is a directory is named, not passed over.
    std::fs::remove_file(dir.path().join(".env")).unwrap();
    std::fs::create_dir(dir.path().join(".env")).unwrap();
    let (out, _, stderr) = testkit::run(bare(dir.path()).args(["serve", "--print-settings"]));
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(".env is not a file"), "{stderr}");
}

/// Only the current directory's `.env` counts: one in a parent folder,
/// planted by someone else, cannot point the bot (and its token) at
/// another API.
#[test]
fn a_dotenv_in_a_parent_folder_is_not_read() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".env"),
        "DISCORD_API_BASE=http://127.0.0.1:9/\nDISCORD_TOKEN=planted\n",
    )
    .unwrap();
    let below = dir.path().join("below");
    std::fs::create_dir(&below).unwrap();
    let (out, stdout, stderr) = testkit::run(bare(&below).args(["serve", "--print-settings"]));
    assert!(out.status.success(), "{stderr}");
    assert!(!stdout.contains("127.0.0.1:9"), "{stdout}");
    assert!(stdout.contains("https://discord.com"), "{stdout}");
}

/// Values are checked wherever they come from: the file's log format, and
/// `.env`'s numbers, which clap reads as it reads flags.
#[test]
fn bad_values_are_refused_whatever_their_layer() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bot.toml"), "log_format = \"xml\"\n").unwrap();
    let (out, _, stderr) =
        testkit::run(bare(dir.path()).args(["serve", "--print-settings", "--config", "bot.toml"]));
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("unknown log format `xml`: use text or json"),
        "{stderr}"
    );

    // A huge cooldown is refused by --print-settings and serve alike, not
    // a panic at start (a restart loop under systemd).
    for huge in ["1e20", "-1", "inf"] {
        let (out, _, stderr) = testkit::run(bare(dir.path()).args([
            "serve",
            "--print-settings",
            &format!("--cooldown={huge}"),
        ]));
        assert_eq!(out.status.code(), Some(1), "{huge}: {stderr}");
        assert!(
            stderr.contains("from 0 to 3600 seconds"),
            "{huge}: {stderr}"
        );
    }

    std::fs::write(dir.path().join(".env"), "MADOGUCHI_COOLDOWN=soon\n").unwrap();
    let (out, _, stderr) = testkit::run(bare(dir.path()).args(["serve", "--print-settings"]));
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("soon") && stderr.contains("--cooldown"),
        "{stderr}"
    );
}
