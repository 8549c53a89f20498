//! The command line of `madoguchi`: every flag, its environment variable and
//! its help, as clap reads them. Values are typed here (paths, numbers,
//! addresses, [`LogFormat`], [`By`]); what wins when a setting is given in
//! several places is decided in [`super::settings`].

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use madoguchi::data;
use madoguchi::dictionary::DEFAULT_IPADIC_SOURCE;
use madoguchi::discord::config::DEFAULT_STATE_DIR;
use madoguchi::report;

#[derive(Parser)]
#[command(
    name = "madoguchi",
    version,
    about = "東京都・東京商工会議所の支援策についての質問に答える窓口 (CLI)"
)]
pub struct Cli {
    #[command(flatten)]
    pub globals: Globals,
    #[command(subcommand)]
    pub command: Command,
}

/// Where the knowledge and its index are: flags every command takes.
#[derive(clap::Args)]
pub struct Globals {
    /// The knowledge directory.
    #[arg(long, global = true, env = "MADOGUCHI_DATA", default_value = "data")]
    pub data: PathBuf,
    /// Where the generated index and dictionary live.
    #[arg(long, global = true, env = "MADOGUCHI_INDEX", default_value = "index")]
    pub index: PathBuf,
    /// The MeCab IPADIC source directory (EUC-JP).
    #[arg(long, global = true, env = "MADOGUCHI_IPADIC", default_value = DEFAULT_IPADIC_SOURCE)]
    pub ipadic: PathBuf,
    /// Where the dictionary built from the IPADIC source is kept
    /// [default: <index>/ipadic].
    #[arg(long, global = true, env = "MADOGUCHI_DICTIONARY")]
    pub dictionary: Option<PathBuf>,
    /// Answer as on this date (YYYY-MM-DD): the newest plan in force on it
    /// is the current one [default: today in Japan].
    #[arg(long, global = true, env = "MADOGUCHI_TODAY")]
    pub today: Option<data::Date>,
}

#[derive(Subcommand)]
pub enum FaqCommand {
    /// Add a new FAQ entry at the end of an FAQ file, with an answer drafted
    /// from the plan. Asks for what is missing when stdin is a terminal.
    /// Refuses a question (or alternate) an entry already asks, naming it.
    New(FaqNewArgs),
}

#[derive(clap::Args)]
pub struct FaqNewArgs {
    /// The entry's id (ASCII letters, digits, - _ .) [default: from the file name].
    #[arg(long)]
    pub id: Option<String>,
    /// The question, as owners ask it.
    #[arg(long)]
    pub question: Option<String>,
    /// A measure the answer rests on (repeat for several), e.g. 2.tokyo.b.3.
    #[arg(long = "measure")]
    pub measures: Vec<String>,
    /// The FAQ file to append to [default: faq/NN-….toml of the first measure's area].
    #[arg(long)]
    pub file: Option<PathBuf>,
    /// The answer [default: drafted from the plan's words, to refine].
    #[arg(long)]
    pub answer: Option<String>,
    /// Another way owners ask it (repeatable).
    #[arg(long = "alternate")]
    pub alternates: Vec<String>,
    /// A tag (repeatable).
    #[arg(long = "tag")]
    pub tags: Vec<String>,
    /// The plan the entry belongs to, by its start date [default: it follows the current plan].
    #[arg(long)]
    pub plan: Option<String>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Answer a question (or one question per line of stdin with `-`).
    Ask {
        /// The question, or `-` to read questions from stdin.
        question: String,
        /// One JSON object per question.
        #[arg(long)]
        json: bool,
    },
    /// Validate data/ and list every problem with how to fix it.
    Check {
        /// Also list every measure id with its text.
        #[arg(long)]
        measures: bool,
    },
    /// Rebuild the index now.
    Index,
    /// Score a question file (TSV: question, expected, group).
    Eval {
        file: PathBuf,
        /// Count a hit when a match is within the first K measures.
        #[arg(long, default_value_t = 3)]
        k: usize,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// Score only the questions kept unseen while tuning (a fixed
        /// quarter, by a hash of each question), or only the rest.
        #[arg(long, value_enum, default_value_t = EvalPart::All)]
        part: EvalPart,
    },
    /// Show how a text is analysed (terms, readings, synonyms).
    Analyze { text: String },
    /// Run the Discord bot (token from DISCORD_TOKEN or .env; see README: Discord bot).
    Serve(ServeArgs),
    /// What the bot's records say: unanswered questions, 👎 answers, the
    /// no-match rate over time, the programmes shown most.
    Report(ReportArgs),
    /// FAQ entries.
    Faq {
        #[command(subcommand)]
        command: FaqCommand,
    },
    /// Read a plan in the text format of the agreed plan and write it as plan.toml.
    ImportPlan {
        /// The plan text (numbered areas, （内容）, 都の取組 / 東京商工会議所の取組, ア… items).
        file: PathBuf,
        /// Where to write the plan (default: print it).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Replace the file at --out if it exists.
        #[arg(long)]
        force: bool,
    },
}

#[derive(clap::Args)]
pub struct ReportArgs {
    /// The bot's state directory (its records).
    #[arg(long, env = "MADOGUCHI_STATE", default_value = DEFAULT_STATE_DIR)]
    pub state: PathBuf,
    /// The records database: sqlite://PATH or postgres://USER:PASSWORD@HOST/DB
    /// [default: sqlite://STATE/records.sqlite3].
    #[arg(long, env = "MADOGUCHI_RECORDS")]
    pub records: Option<String>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// How many entries each list shows.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
    /// The no-match rate per day or per week [default: days when the
    /// records span at most a month].
    #[arg(long, value_enum)]
    pub by: Option<By>,
    /// Write the report with its charts as one self-contained HTML file.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}

/// `report --by`: the period of the no-match rate ([`report::Period`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum By {
    Day,
    Week,
}

impl From<By> for report::Period {
    fn from(by: By) -> report::Period {
        match by {
            By::Day => report::Period::Day,
            By::Week => report::Period::Week,
        }
    }
}

/// How `serve` writes its logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum LogFormat {
    // Lines for a person (coloured on a terminal).
    #[default]
    Text,
    // One JSON object per line, for a log collector.
    Json,
}

impl LogFormat {
    /// The name as written in flags and files: `text` or `json`.
    pub fn name(self) -> &'static str {
        match self {
            LogFormat::Text => "text",
            LogFormat::Json => "json",
        }
    }
}

/// Settings of `madoguchi serve`. Each comes from its flag, else its
/// environment variable, else `.env`, else the configuration file, else its
/// default ([`super::settings`]).
#[derive(clap::Args)]
pub struct ServeArgs {
    /// A TOML configuration file (keys as in README: Discord bot).
    #[arg(long, env = "MADOGUCHI_CONFIG")]
    pub config: Option<PathBuf>,
    /// The Discord API base URL [default: https://discord.com].
    #[arg(long, env = "DISCORD_API_BASE")]
    pub api_base: Option<String>,
    /// The state directory: the voters' key, crash notes, and the records
    /// unless --records says otherwise [default: state].
    #[arg(long, env = "MADOGUCHI_STATE")]
    pub state: Option<PathBuf>,
    /// Where the records (questions, votes, counts) are kept: sqlite://PATH or
    /// postgres://USER:PASSWORD@HOST/DB, one database for several processes
    /// [default: sqlite://STATE/records.sqlite3].
    #[arg(long, env = "MADOGUCHI_RECORDS")]
    pub records: Option<String>,
    /// Delete question text older than N days (the daily counts stay)
    /// [default: keep all].
    #[arg(long, env = "MADOGUCHI_KEEP_DAYS")]
    pub keep_days: Option<u32>,
    /// Register the slash commands in this guild only (instant; for setup).
    #[arg(long, env = "MADOGUCHI_GUILD_ID")]
    pub guild_id: Option<u64>,
    /// Channels where every message is answered (comma-separated ids; needs the
    /// Message Content intent).
    #[arg(long, env = "MADOGUCHI_ANSWER_CHANNELS", value_delimiter = ',')]
    pub answer_channels: Vec<u64>,
    /// Members with this role may use /reload, /unanswered and /stats.
    #[arg(long, env = "MADOGUCHI_STAFF_ROLE")]
    pub staff_role: Option<u64>,
    /// Channel where the outcome of each live reload of data/ is posted
    /// (problems to fix, or the knowledge now served).
    #[arg(long, env = "MADOGUCHI_STAFF_CHANNEL")]
    pub staff_channel: Option<u64>,
    /// `auto`, or the shards of this process as FIRST-LAST/TOTAL (e.g. 0-3/8).
    #[arg(long, env = "MADOGUCHI_SHARDS")]
    pub shards: Option<String>,
    /// Log format [default: text].
    #[arg(long, env = "MADOGUCHI_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,
    /// Seconds a user waits between two questions [default: 3].
    #[arg(long, env = "MADOGUCHI_COOLDOWN")]
    pub cooldown: Option<f64>,
    /// Longest question accepted, in characters [default: 500].
    #[arg(long, env = "MADOGUCHI_MAX_QUESTION")]
    pub max_question_chars: Option<usize>,
    /// Serve Prometheus metrics on http://ADDR/metrics and the health on
    /// http://ADDR/healthz (e.g. 127.0.0.1:9184) [default: off].
    #[arg(long, env = "MADOGUCHI_METRICS")]
    pub metrics: Option<std::net::SocketAddr>,
    /// Print every setting with where it came from (flag, environment,
    /// .env, configuration file or default; the token redacted), then exit
    /// without connecting.
    #[arg(long)]
    pub print_settings: bool,
}

/// `eval --part`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EvalPart {
    All,
    Seen,
    Unseen,
}

impl From<EvalPart> for madoguchi::eval::Part {
    fn from(p: EvalPart) -> Self {
        match p {
            EvalPart::All => madoguchi::eval::Part::All,
            EvalPart::Seen => madoguchi::eval::Part::Seen,
            EvalPart::Unseen => madoguchi::eval::Part::Unseen,
        }
    }
}
