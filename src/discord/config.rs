//! The bot's settings: one [`Config`] filled in by the binary from flags,
//! environment and an optional TOML file ([`FileConfig`]), with the
//! defaults named here. The token is a
//! [`Token`], which never shows itself in `Debug` or `Display` output, so it
//! cannot leak into logs.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use super::metrics::Metrics;
use crate::engine::Paths;

/// The real Discord API.
pub const DEFAULT_API_BASE: &str = "https://discord.com";

/// The longest question the bot takes by default, in characters: a real
/// question is far shorter, and a longer text is refused with a sentence
/// rather than analysed. Analysis itself stops at
/// [`crate::analysis::MAX_QUESTION_CHARS`], the bound for every caller.
pub const DEFAULT_MAX_QUESTION_CHARS: usize = 500;

/// The state directory when none is given, relative to where the bot runs.
pub const DEFAULT_STATE_DIR: &str = "state";

/// The least time between two questions of one user by default: enough to
/// stop a flood, short enough that nobody waits on purpose.
pub const DEFAULT_COOLDOWN: Duration = Duration::from_secs(3);

/// A bot token. Its `Debug` and `Display` print `[redacted]`; only
/// [`Token::expose`] gives the secret, for the one place that sends it.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// A token from its text (surrounding whitespace and a `Bot ` prefix
    /// are removed). `None` when nothing is left.
    pub fn new(text: &str) -> Option<Token> {
        let t = text.trim();
        let t = t.strip_prefix("Bot ").unwrap_or(t).trim();
        (!t.is_empty()).then(|| Token(t.to_string()))
    }

    /// The secret itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token([redacted])")
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Which shards this process runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Shards {
    /// As many as Discord recommends (`GET /gateway/bot`), all here.
    #[default]
    Auto,
    /// Shards `first..=last` of `total`: several processes share one bot.
    Range { first: u32, last: u32, total: u32 },
}

/// A shard setting that does not parse.
#[derive(Debug, thiserror::Error)]
#[error(
    "invalid shard setting `{0}`: write `auto`, `N/TOTAL` or `FIRST-LAST/TOTAL` (e.g. 0-3/8), with FIRST <= LAST < TOTAL"
)]
pub struct ShardsError(String);

/// `auto`, or `FIRST-LAST/TOTAL` (which parses back to the same shards).
impl fmt::Display for Shards {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Shards::Auto => f.write_str("auto"),
            Shards::Range { first, last, total } => write!(f, "{first}-{last}/{total}"),
        }
    }
}

impl FromStr for Shards {
    type Err = ShardsError;

    fn from_str(s: &str) -> Result<Shards, ShardsError> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("auto") {
            return Ok(Shards::Auto);
        }
        let bad = || ShardsError(s.to_string());
        let (range, total) = s.split_once('/').ok_or_else(bad)?;
        let total: u32 = total.trim().parse().map_err(|_| bad())?;
        let (first, last) = match range.split_once('-') {
            Some((a, b)) => (
                a.trim().parse().map_err(|_| bad())?,
                b.trim().parse().map_err(|_| bad())?,
            ),
            None => {
                let n: u32 = range.trim().parse().map_err(|_| bad())?;
                (n, n)
            }
        };
        if first > last || last >= total {
            return Err(bad());
        }
        Ok(Shards::Range { first, last, total })
    }
}

/// Everything the bot needs to run.
#[derive(Debug, Clone)]
pub struct Config {
    pub token: Token,
    /// `https://discord.com`, or a Discord-compatible server for testing.
    pub api_base: String,
    /// Where `/reload` reads the knowledge from.
    pub paths: Paths,
    /// State outside `data/`: the voters' key, crash notes, and the
    /// records unless `records` says otherwise.
    pub state_dir: PathBuf,
    /// Where the records are kept; `None`: `records.sqlite3` in the state
    /// directory.
    pub records: Option<crate::records::Location>,
    /// Question text older than this many days is deleted (the daily
    /// counts stay); `None` keeps it all.
    pub keep_days: Option<u32>,
    /// Register the commands in this guild (instant) instead of globally;
    /// also the home server, whose staff may use the staff commands.
    pub guild_id: Option<u64>,
    /// Channels where every message is answered (needs the privileged
    /// message content intent).
    pub answer_channels: Vec<u64>,
    /// Members with this role may use the staff commands (as may anyone with
    /// the Manage Server permission in the home server). Without `guild_id`,
    /// the server this role belongs to is the home server.
    pub staff_role: Option<u64>,
    /// Where the outcome of each live reload (problems in `data/`, or the
    /// knowledge now served) is posted.
    pub staff_channel: Option<u64>,
    /// Post the weekly picture to the staff channel (Mondays from 09:00 in
    /// Japan; [`super::weekly`]).
    pub weekly_post: bool,
    pub shards: Shards,
    /// The least time between two questions of one user.
    pub cooldown: Duration,
    /// How many users the cooldown remembers at most.
    pub cooldown_capacity: usize,
    /// Longest question accepted, in characters.
    pub max_question_chars: usize,
    /// How long a slash command waits for its answer before deferring.
    /// Discord's deadline is 3 s; the default leaves room for the network.
    pub defer_after: Duration,
    /// How many questions are searched at once.
    pub concurrency: usize,
    /// Longest wait between two restarts after a crash.
    pub max_backoff: Duration,
    /// The HTTP client for the REST API (default: serenity's own). With the
    /// default `api_base` it talks to `discord.com` through serenity's rate
    /// limiter; a client that resolves `discord.com` elsewhere and trusts
    /// another CA lets tests run that exact path against a local server.
    pub http_client: Option<reqwest::Client>,
    /// Where the bot's figures and health go ([`Metrics`]); whoever serves
    /// them (`serve --metrics`) holds the same.
    pub metrics: Arc<Metrics>,
}

impl Config {
    /// A configuration with the defaults for everything but the token and
    /// the knowledge paths.
    pub fn new(token: Token, paths: Paths) -> Config {
        Config {
            token,
            api_base: DEFAULT_API_BASE.to_string(),
            paths,
            state_dir: PathBuf::from(DEFAULT_STATE_DIR),
            records: None,
            keep_days: None,
            guild_id: None,
            answer_channels: Vec::new(),
            staff_role: None,
            staff_channel: None,
            weekly_post: true,
            shards: Shards::Auto,
            cooldown: DEFAULT_COOLDOWN,
            cooldown_capacity: 10_000,
            max_question_chars: DEFAULT_MAX_QUESTION_CHARS,
            defer_after: Duration::from_millis(1500),
            concurrency: std::thread::available_parallelism().map_or(2, |n| n.get().max(2)),
            max_backoff: Duration::from_secs(15 * 60),
            http_client: None,
            metrics: Arc::new(Metrics::new()),
        }
    }

    /// Where the records are kept.
    pub fn records_location(&self) -> crate::records::Location {
        self.records
            .clone()
            .unwrap_or_else(|| crate::records::Location::in_state(&self.state_dir))
    }

    /// Whether the API base is the real Discord.
    pub fn is_real_discord(&self) -> bool {
        self.api_base.trim_end_matches('/') == DEFAULT_API_BASE
    }
}

/// The optional TOML configuration file of `madoguchi serve`. Every key is
/// optional; flags and environment variables take precedence. The token is
/// deliberately not a key: it belongs in `DISCORD_TOKEN` or `.env`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub api_base: Option<String>,
    pub data: Option<PathBuf>,
    pub index: Option<PathBuf>,
    pub state: Option<PathBuf>,
    /// `sqlite://PATH` or `postgres://…`.
    pub records: Option<String>,
    pub keep_days: Option<u32>,
    pub guild_id: Option<u64>,
    #[serde(default)]
    pub answer_channels: Vec<u64>,
    pub staff_role: Option<u64>,
    pub staff_channel: Option<u64>,
    pub shards: Option<String>,
    pub log_format: Option<String>,
    pub cooldown_seconds: Option<f64>,
    pub max_question_chars: Option<usize>,
    /// Serve metrics and health on this address (`--metrics`).
    pub metrics: Option<SocketAddr>,
}

/// A configuration file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum FileConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
}

impl FileConfig {
    /// Reads and parses a configuration file: only a regular file of at
    /// most [`crate::data::MAX_FILE_BYTES`] (a FIFO would hang, `/dev/zero`
    /// never end). A parse error names the line and column but never quotes
    /// the line: a misplaced token must not be printed.
    pub fn load(path: &Path) -> Result<FileConfig, FileConfigError> {
        let read = |source| FileConfigError::Read {
            path: path.to_path_buf(),
            source,
        };
        let bytes = crate::data::read_capped(path).map_err(read)?;
        if bytes.len() as u64 > crate::data::MAX_FILE_BYTES {
            return Err(read(std::io::Error::other(format!(
                "larger than {} MB: check that it is the right file",
                crate::data::MAX_FILE_BYTES / (1024 * 1024)
            ))));
        }
        let text = String::from_utf8(bytes)
            .map_err(|_| read(std::io::Error::other("not UTF-8: save it as UTF-8")))?;
        toml::from_str(&text).map_err(|e| FileConfigError::Parse {
            path: path.to_path_buf(),
            message: parse_message(&text, &e),
        })
    }
}

/// A TOML error as `line L, column C: message`, without the quoted line;
/// a `token` key is told where the token belongs.
fn parse_message(text: &str, e: &toml::de::Error) -> String {
    let at = e.span().map(|span| {
        let before = &text[..span.start.min(text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        format!("line {line}, column {column}: ")
    });
    let message = e.message().lines().next().unwrap_or_default();
    let hint = if message.contains("`token`") {
        " (the token is not a key of this file: put it in DISCORD_TOKEN or .env)"
    } else {
        ""
    };
    format!("{}{message}{hint}", at.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parse_error_names_the_line_but_never_quotes_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bot.toml");
        for text in [
            "guild_id = 1\ntoken = \"MTIz.secret-token\"\n",
            "guild_id = 1\ntoken = MTIz.secret-token\n",
            "guild_id = 1\ntoken = \"MTIz.secret-token\n",
        ] {
            std::fs::write(&path, text).unwrap();
            let e = FileConfig::load(&path).unwrap_err().to_string();
            assert!(!e.contains("secret-token"), "{e}");
            assert!(e.contains("line 2"), "{e}");
        }
    }

    #[test]
    fn a_config_that_is_not_a_regular_file_is_refused_at_once() {
        let e = FileConfig::load(Path::new("/dev/zero"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a regular file"), "{e}");
    }

    #[test]
    fn token_never_shows_itself() {
        let t = Token::new("Bot  abc.def.ghi ").unwrap();
        assert_eq!(t.expose(), "abc.def.ghi");
        assert!(!format!("{t:?}").contains("abc"));
        assert!(!format!("{t}").contains("abc"));
        let paths = Paths::new("d".into(), "i".into(), "s".into());
        let config = Config::new(t, paths);
        assert!(!format!("{config:?}").contains("abc.def"));
        assert!(Token::new("  ").is_none());
    }

    #[test]
    fn shard_settings_parse() {
        assert_eq!("auto".parse::<Shards>().unwrap(), Shards::Auto);
        assert_eq!(
            "0-3/8".parse::<Shards>().unwrap(),
            Shards::Range {
                first: 0,
                last: 3,
                total: 8
            }
        );
        assert_eq!(
            "2/4".parse::<Shards>().unwrap(),
            Shards::Range {
                first: 2,
                last: 2,
                total: 4
            }
        );
        for shards in ["auto", "0-3/8", "2-2/4"] {
            assert_eq!(shards.parse::<Shards>().unwrap().to_string(), shards);
        }
        for bad in ["", "3-1/8", "0-8/8", "x/2", "1-2"] {
            assert!(bad.parse::<Shards>().is_err(), "{bad}");
        }
    }

    #[test]
    fn file_config_rejects_unknown_keys() {
        let ok: FileConfig =
            toml::from_str("guild_id = 1\nanswer_channels = [2, 3]\nmetrics = \"127.0.0.1:9184\"")
                .unwrap();
        assert_eq!(ok.answer_channels, vec![2, 3]);
        assert_eq!(ok.metrics, Some("127.0.0.1:9184".parse().unwrap()));
        assert!(toml::from_str::<FileConfig>("token = \"x\"").is_err());
    }
}
