//! The settings of a run, resolved in one place. `.env` is read first, into
//! the variables the environment leaves unset, so that clap's `env`
//! attributes see it below flags and the environment; then each setting
//! takes the first of: its flag, its environment variable, `.env`, the
//! configuration file of `serve` (`--config`), its default. Each resolved
//! value remembers where it came from, for `serve --print-settings`; values
//! are checked here, so every command sees only settings that make sense.

use std::collections::HashSet;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use clap::parser::ValueSource;
use clap::{ArgMatches, ValueEnum};

use madoguchi::data::Date;
use madoguchi::discord::config::{
    DEFAULT_API_BASE, DEFAULT_COOLDOWN, DEFAULT_MAX_QUESTION_CHARS, DEFAULT_STATE_DIR,
};
use madoguchi::discord::{FileConfig, Shards, Token};
use madoguchi::engine::Paths;
use madoguchi::records::Location;

use super::args::{Globals, LogFormat, ServeArgs};

/// The `.env` file of the run: found in the current directory or a parent,
/// read once, its variables put in the environment where it had none.
#[derive(Debug, Default)]
pub struct DotEnv {
    path: Option<PathBuf>,
    /// The variables `.env` set (those the environment did not).
    set: HashSet<String>,
}

impl DotEnv {
    /// Reads `.env` of the current directory, if there is one, into the
    /// environment below the variables already set; empty values are left
    /// out. Only the current directory counts: a `.env` in a parent folder
    /// (someone else's) could point the bot and its token elsewhere. Call it
    /// first thing in `main`, while the process has one thread.
    pub fn load() -> anyhow::Result<DotEnv> {
        let path = std::path::absolute(".env").unwrap_or_else(|_| PathBuf::from(".env"));
        let Ok(meta) = std::fs::metadata(&path) else {
            return Ok(DotEnv::default());
        };
        if !meta.is_file() {
            anyhow::bail!(
                "{} is not a file: write one KEY=value per line in a regular file, or remove it",
                path.display()
            );
        }
        let text = super::read_text(&path)?;
        let mut set = HashSet::new();
        for pair in dotenvy::from_read_iter(text.as_bytes()) {
            let (key, value) = pair.map_err(|e| unreadable_line(&path, &text, &e))?;
            if value.trim().is_empty() || std::env::var_os(&key).is_some() {
                continue;
            }
            // SAFETY: called before any other thread starts (see above), so
            // nothing reads the environment while it changes.
            unsafe { std::env::set_var(&key, &value) };
            set.insert(key);
        }
        Ok(DotEnv {
            path: Some(path),
            set,
        })
    }

    /// Where the value of `variable` in the environment came from.
    fn source(&self, variable: &'static str) -> Source {
        match &self.path {
            Some(path) if self.set.contains(variable) => Source::DotEnv(variable, path.clone()),
            _ => Source::Env(variable),
        }
    }
}

/// The error of a `.env` line that is not `KEY=value`: its line number, not
/// its text (the line may hold the token).
fn unreadable_line(path: &Path, text: &str, e: &dotenvy::Error) -> anyhow::Error {
    let line = match e {
        dotenvy::Error::LineParse(line, _) => text
            .lines()
            .position(|l| l.trim() == line.trim() || l.contains(line.as_str()))
            .map(|n| format!(" line {}", n + 1)),
        _ => None,
    };
    anyhow::anyhow!(
        "{}{}: not KEY=value (the line is not shown: it may hold a secret); write one KEY=value per line, quoting a value with spaces",
        path.display(),
        line.unwrap_or_default()
    )
}

/// The longest cooldown between one user's questions: an hour (a longer
/// one would mute users for good, and a huge one overflows the clock).
const MAX_COOLDOWN_SECONDS: f64 = 3600.0;

/// How one setting is named: clap's id (the flag is `--` and the id with
/// `-` for `_`), its environment variable, and its name in the
/// configuration file and in `serve --print-settings`.
struct Key {
    id: &'static str,
    variable: &'static str,
    name: &'static str,
}

const fn key(id: &'static str, variable: &'static str, name: &'static str) -> Key {
    Key { id, variable, name }
}

const TOKEN: Key = key("", "DISCORD_TOKEN", "token");
const CONFIG: Key = key("config", "MADOGUCHI_CONFIG", "config");
const DATA: Key = key("data", "MADOGUCHI_DATA", "data");
const INDEX: Key = key("index", "MADOGUCHI_INDEX", "index");
const IPADIC: Key = key("ipadic", "MADOGUCHI_IPADIC", "ipadic");
const DICTIONARY: Key = key("dictionary", "MADOGUCHI_DICTIONARY", "dictionary");
const TODAY: Key = key("today", "MADOGUCHI_TODAY", "today");
const API_BASE: Key = key("api_base", "DISCORD_API_BASE", "api_base");
const STATE: Key = key("state", "MADOGUCHI_STATE", "state");
const RECORDS: Key = key("records", "MADOGUCHI_RECORDS", "records");
const KEEP_DAYS: Key = key("keep_days", "MADOGUCHI_KEEP_DAYS", "keep_days");
const GUILD_ID: Key = key("guild_id", "MADOGUCHI_GUILD_ID", "guild_id");
const ANSWER_CHANNELS: Key = key(
    "answer_channels",
    "MADOGUCHI_ANSWER_CHANNELS",
    "answer_channels",
);
const STAFF_ROLE: Key = key("staff_role", "MADOGUCHI_STAFF_ROLE", "staff_role");
const STAFF_CHANNEL: Key = key("staff_channel", "MADOGUCHI_STAFF_CHANNEL", "staff_channel");
const SHARDS: Key = key("shards", "MADOGUCHI_SHARDS", "shards");
const LOG_FORMAT: Key = key("log_format", "MADOGUCHI_LOG_FORMAT", "log_format");
const COOLDOWN: Key = key("cooldown", "MADOGUCHI_COOLDOWN", "cooldown_seconds");
const MAX_QUESTION: Key = key(
    "max_question_chars",
    "MADOGUCHI_MAX_QUESTION",
    "max_question_chars",
);
const METRICS: Key = key("metrics", "MADOGUCHI_METRICS", "metrics");

/// Where a setting's value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Flag(&'static str),
    Env(&'static str),
    DotEnv(&'static str, PathBuf),
    File(&'static str, PathBuf),
    Default,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Flag(id) => write!(f, "--{}", id.replace('_', "-")),
            Source::Env(variable) => write!(f, "{variable} in the environment"),
            Source::DotEnv(variable, path) | Source::File(variable, path) => {
                write!(f, "{variable} in {}", path.display())
            }
            Source::Default => f.write_str("default"),
        }
    }
}

/// A resolved value and where it came from.
#[derive(Debug, Clone)]
pub struct Setting<T> {
    pub value: T,
    pub source: Source,
}

impl<T> Setting<T> {
    fn default(value: T) -> Setting<T> {
        Setting {
            value,
            source: Source::Default,
        }
    }

    fn try_map<U>(self, f: impl FnOnce(T) -> anyhow::Result<U>) -> anyhow::Result<Setting<U>> {
        Ok(Setting {
            value: f(self.value)?,
            source: self.source,
        })
    }
}

/// The layers a setting is looked up in: what clap read (flags, then the
/// environment with `.env` in it), then the configuration file.
struct Layers<'a> {
    matches: &'a ArgMatches,
    dotenv: &'a DotEnv,
    /// The configuration file and its keys.
    file: Option<(&'a Path, &'a FileConfig)>,
}

impl Layers<'_> {
    /// `value` from clap with where it came from, unless it is clap's
    /// default (or nothing).
    fn given<T>(&self, value: Option<T>, key: &Key) -> Option<(T, Source)> {
        let value = value?;
        match self.matches.value_source(key.id)? {
            ValueSource::CommandLine => Some((value, Source::Flag(key.id))),
            ValueSource::EnvVariable => Some((value, self.dotenv.source(key.variable))),
            _ => None,
        }
    }

    /// The first of the flag or environment, the file, the default.
    fn pick<T>(
        &self,
        value: Option<T>,
        key: &Key,
        in_file: impl FnOnce(&FileConfig) -> Option<T>,
        default: T,
    ) -> Setting<T> {
        let from_file = || {
            let (path, keys) = self.file?;
            let value = in_file(keys)?;
            Some((value, Source::File(key.name, path.to_path_buf())))
        };
        match self.given(value, key).or_else(from_file) {
            Some((value, source)) => Setting { value, source },
            None => Setting::default(default),
        }
    }

    /// A setting whose default is to have none.
    fn opt<T>(
        &self,
        value: Option<T>,
        key: &Key,
        in_file: impl FnOnce(&FileConfig) -> Option<T>,
    ) -> Setting<Option<T>> {
        self.pick(value.map(Some), key, |f| in_file(f).map(Some), None)
    }

    /// A setting the configuration file has no key for.
    fn flag_only<T>(&self, value: Option<T>, key: &Key, default: T) -> Setting<T> {
        self.pick(value, key, |_| None, default)
    }
}

/// Where the knowledge, its index and the dictionary are, and the day the
/// current plan is chosen for: settings of every command.
#[derive(Debug, Clone)]
pub struct KnowledgeSettings {
    pub data: Setting<PathBuf>,
    pub index: Setting<PathBuf>,
    pub ipadic: Setting<PathBuf>,
    pub dictionary: Setting<PathBuf>,
    /// `None`: the day in Japan, each day.
    pub today: Setting<Option<Date>>,
}

impl KnowledgeSettings {
    /// The settings of a command other than `serve` (no configuration file).
    pub fn resolve(g: &Globals, matches: &ArgMatches, dotenv: &DotEnv) -> KnowledgeSettings {
        let layers = Layers {
            matches,
            dotenv,
            file: None,
        };
        KnowledgeSettings::layered(g, &layers)
    }

    fn layered(g: &Globals, layers: &Layers) -> KnowledgeSettings {
        let index = layers.pick(
            Some(g.index.clone()),
            &INDEX,
            |f| f.index.clone(),
            g.index.clone(),
        );
        let dictionary = Paths::new(PathBuf::new(), index.value.clone(), PathBuf::new()).dictionary;
        KnowledgeSettings {
            data: layers.pick(
                Some(g.data.clone()),
                &DATA,
                |f| f.data.clone(),
                g.data.clone(),
            ),
            dictionary: layers.flag_only(g.dictionary.clone(), &DICTIONARY, dictionary),
            index,
            ipadic: layers.flag_only(Some(g.ipadic.clone()), &IPADIC, g.ipadic.clone()),
            today: layers.flag_only(g.today.map(Some), &TODAY, None),
        }
    }

    /// The paths the engine opens, for today (in Japan) unless `--today`
    /// fixes the date.
    pub fn paths(&self) -> Paths {
        let mut paths = Paths::new(
            self.data.value.clone(),
            self.index.value.clone(),
            self.ipadic.value.clone(),
        );
        paths.dictionary = self.dictionary.value.clone();
        paths.today = Some(self.today.value.unwrap_or_else(Date::today_in_japan));
        paths
    }
}

/// Every setting of `madoguchi serve`, resolved and checked.
#[derive(Debug, Clone)]
pub struct ServeSettings {
    pub config: Setting<Option<PathBuf>>,
    pub knowledge: KnowledgeSettings,
    /// Checked when the bot starts, so the settings can be shown without it.
    pub token: Setting<Option<Token>>,
    pub api_base: Setting<String>,
    pub state: Setting<PathBuf>,
    /// `None`: `records.sqlite3` in the state directory.
    pub records: Setting<Option<Location>>,
    pub keep_days: Setting<Option<u32>>,
    pub guild_id: Setting<Option<u64>>,
    pub answer_channels: Setting<Vec<u64>>,
    pub staff_role: Setting<Option<u64>>,
    pub staff_channel: Setting<Option<u64>>,
    pub shards: Setting<Shards>,
    pub log_format: Setting<LogFormat>,
    /// Seconds.
    pub cooldown: Setting<f64>,
    pub max_question_chars: Setting<usize>,
    pub metrics: Setting<Option<SocketAddr>>,
}

impl ServeSettings {
    /// Resolves every setting of `serve`, reading the configuration file
    /// once; a value that cannot be used is an error naming it.
    pub fn resolve(
        g: &Globals,
        args: &ServeArgs,
        matches: &ArgMatches,
        dotenv: &DotEnv,
    ) -> anyhow::Result<ServeSettings> {
        let serve = matches.subcommand_matches("serve").unwrap_or(matches);
        let bare = Layers {
            matches: serve,
            dotenv,
            file: None,
        };
        let config = bare.opt(args.config.clone(), &CONFIG, |_| None);
        let keys = match &config.value {
            Some(path) => Some(FileConfig::load(path)?),
            None => None,
        };
        let config_path = config.value.clone();
        let file = config_path.as_deref().zip(keys.as_ref());
        let knowledge = KnowledgeSettings::layered(
            g,
            &Layers {
                matches,
                dotenv,
                file,
            },
        );
        let layers = Layers {
            matches: serve,
            dotenv,
            file,
        };
        let token = match std::env::var(TOKEN.variable)
            .ok()
            .and_then(|t| Token::new(&t))
        {
            Some(token) => Setting {
                value: Some(token),
                source: dotenv.source(TOKEN.variable),
            },
            None => Setting::default(None),
        };
        let state = layers.pick(
            args.state.clone(),
            &STATE,
            |f| f.state.clone(),
            PathBuf::from(DEFAULT_STATE_DIR),
        );
        let settings = ServeSettings {
            config,
            knowledge,
            token,
            api_base: layers.pick(
                args.api_base.clone(),
                &API_BASE,
                |f| f.api_base.clone(),
                DEFAULT_API_BASE.to_string(),
            ),
            state,
            records: layers
                .opt(args.records.clone(), &RECORDS, |f| f.records.clone())
                .try_map(|url| Ok(url.as_deref().map(Location::parse).transpose()?))?,
            keep_days: layers.opt(args.keep_days, &KEEP_DAYS, |f| f.keep_days),
            guild_id: layers.opt(args.guild_id, &GUILD_ID, |f| f.guild_id),
            answer_channels: layers.pick(
                Some(args.answer_channels.clone()).filter(|c| !c.is_empty()),
                &ANSWER_CHANNELS,
                |f| Some(f.answer_channels.clone()).filter(|c| !c.is_empty()),
                Vec::new(),
            ),
            staff_role: layers.opt(args.staff_role, &STAFF_ROLE, |f| f.staff_role),
            staff_channel: layers.opt(args.staff_channel, &STAFF_CHANNEL, |f| f.staff_channel),
            shards: layers
                .pick(
                    args.shards.clone(),
                    &SHARDS,
                    |f| f.shards.clone(),
                    Shards::Auto.to_string(),
                )
                .try_map(|s| Ok(s.parse::<Shards>()?))?,
            log_format: layers
                .pick(
                    args.log_format.map(|f| f.name().to_string()),
                    &LOG_FORMAT,
                    |f| f.log_format.clone(),
                    LogFormat::default().name().to_string(),
                )
                .try_map(|name| log_format(&name))?,
            cooldown: layers.pick(
                args.cooldown,
                &COOLDOWN,
                |f| f.cooldown_seconds,
                DEFAULT_COOLDOWN.as_secs_f64(),
            ),
            max_question_chars: layers.pick(
                args.max_question_chars,
                &MAX_QUESTION,
                |f| f.max_question_chars,
                DEFAULT_MAX_QUESTION_CHARS,
            ),
            metrics: layers.opt(args.metrics, &METRICS, |f| f.metrics),
        };
        settings.check()?;
        Ok(settings)
    }

    /// The checks no type makes.
    fn check(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.keep_days.value != Some(0),
            "--keep-days must be at least 1 (leave it out to keep every question)"
        );
        let cooldown = self.cooldown.value;
        anyhow::ensure!(
            cooldown.is_finite() && (0.0..=MAX_COOLDOWN_SECONDS).contains(&cooldown),
            "the cooldown (--cooldown, {}, cooldown_seconds) must be from 0 to {MAX_COOLDOWN_SECONDS} seconds",
            COOLDOWN.variable
        );
        anyhow::ensure!(
            self.max_question_chars.value > 0,
            "the longest question must be at least one character"
        );
        Ok(())
    }

    /// One line per setting: its name (the configuration file's key where
    /// there is one), its value and, in brackets, where it came from. The
    /// token shows only whether it is set.
    pub fn to_text(&self) -> String {
        fn or<T: ToString>(value: &Option<T>, none: &str) -> String {
            value
                .as_ref()
                .map_or_else(|| none.to_string(), T::to_string)
        }
        let k = &self.knowledge;
        let path = |p: &Path| p.display().to_string();
        let records = self.records.value.clone();
        let records = records.unwrap_or_else(|| Location::in_state(&self.state.value));
        let channels: Vec<String> = self
            .answer_channels
            .value
            .iter()
            .map(u64::to_string)
            .collect();
        let channels = if channels.is_empty() {
            "none".to_string()
        } else {
            channels.join(",")
        };
        let rows: [(&Key, String, &Source); 20] = [
            (&TOKEN, or(&self.token.value, "not set"), &self.token.source),
            (
                &CONFIG,
                or(&self.config.value.as_deref().map(path), "none"),
                &self.config.source,
            ),
            (&DATA, path(&k.data.value), &k.data.source),
            (&INDEX, path(&k.index.value), &k.index.source),
            (&IPADIC, path(&k.ipadic.value), &k.ipadic.source),
            (&DICTIONARY, path(&k.dictionary.value), &k.dictionary.source),
            (
                &TODAY,
                or(&k.today.value, "the day in Japan"),
                &k.today.source,
            ),
            (
                &API_BASE,
                self.api_base.value.clone(),
                &self.api_base.source,
            ),
            (&STATE, path(&self.state.value), &self.state.source),
            (&RECORDS, records.to_string(), &self.records.source),
            (
                &KEEP_DAYS,
                or(&self.keep_days.value, "none"),
                &self.keep_days.source,
            ),
            (
                &GUILD_ID,
                or(&self.guild_id.value, "none"),
                &self.guild_id.source,
            ),
            (&ANSWER_CHANNELS, channels, &self.answer_channels.source),
            (
                &STAFF_ROLE,
                or(&self.staff_role.value, "none"),
                &self.staff_role.source,
            ),
            (
                &STAFF_CHANNEL,
                or(&self.staff_channel.value, "none"),
                &self.staff_channel.source,
            ),
            (&SHARDS, self.shards.value.to_string(), &self.shards.source),
            (
                &LOG_FORMAT,
                self.log_format.value.name().to_string(),
                &self.log_format.source,
            ),
            (
                &COOLDOWN,
                self.cooldown.value.to_string(),
                &self.cooldown.source,
            ),
            (
                &MAX_QUESTION,
                self.max_question_chars.value.to_string(),
                &self.max_question_chars.source,
            ),
            (
                &METRICS,
                or(&self.metrics.value, "off"),
                &self.metrics.source,
            ),
        ];
        let width = rows.iter().map(|r| r.1.chars().count()).max().unwrap_or(0);
        rows.iter()
            .map(|(key, value, source)| {
                let pad = width - value.chars().count();
                format!("{:<18} {value}{:pad$}  ({source})\n", key.name, "")
            })
            .collect()
    }
}

/// A log format by its name.
fn log_format(name: &str) -> anyhow::Result<LogFormat> {
    LogFormat::from_str(name, false)
        .map_err(|_| anyhow::anyhow!("unknown log format `{name}`: use text or json"))
}
