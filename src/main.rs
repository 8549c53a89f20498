//! The `madoguchi` command: a thin CLI over the library. Only this file knows
//! clap and the environment.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::OnceLock;

use anyhow::Context;
use clap::{Parser, Subcommand};

use madoguchi::data;
use madoguchi::dictionary::DEFAULT_IPADIC_SOURCE;
use madoguchi::engine::{Engine, EngineError, Paths, Rebuild};
use madoguchi::{eval, faq, import, report};

#[derive(Parser)]
#[command(
    name = "madoguchi",
    version,
    about = "東京都・東京商工会議所の支援策についての質問に答える窓口 (CLI)"
)]
struct Cli {
    /// The knowledge directory.
    #[arg(long, global = true, env = "MADOGUCHI_DATA", default_value = "data")]
    data: PathBuf,
    /// Where the generated index and dictionary live.
    #[arg(long, global = true, env = "MADOGUCHI_INDEX", default_value = "index")]
    index: PathBuf,
    /// The MeCab IPADIC source directory (EUC-JP).
    #[arg(long, global = true, env = "MADOGUCHI_IPADIC", default_value = DEFAULT_IPADIC_SOURCE)]
    ipadic: PathBuf,
    /// Where the dictionary built from the IPADIC source is kept
    /// [default: <index>/ipadic].
    #[arg(long, global = true, env = "MADOGUCHI_DICTIONARY")]
    dictionary: Option<PathBuf>,
    /// Answer as on this date (YYYY-MM-DD): the newest plan in force on it
    /// is the current one [default: today in Japan].
    #[arg(long, global = true, env = "MADOGUCHI_TODAY")]
    today: Option<data::Date>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum FaqCommand {
    /// Add a new FAQ entry at the end of an FAQ file, with an answer drafted
    /// from the plan. Asks for what is missing when stdin is a terminal.
    /// Refuses a question (or alternate) an entry already asks, naming it.
    New(FaqNewArgs),
}

#[derive(clap::Args)]
struct FaqNewArgs {
    /// The entry's id (ASCII letters, digits, - _ .) [default: from the file name].
    #[arg(long)]
    id: Option<String>,
    /// The question, as owners ask it.
    #[arg(long)]
    question: Option<String>,
    /// A measure the answer rests on (repeat for several), e.g. 2.tokyo.b.3.
    #[arg(long = "measure")]
    measures: Vec<String>,
    /// The FAQ file to append to [default: faq/NN-….toml of the first measure's area].
    #[arg(long)]
    file: Option<PathBuf>,
    /// The answer [default: drafted from the plan's words, to refine].
    #[arg(long)]
    answer: Option<String>,
    /// Another way owners ask it (repeatable).
    #[arg(long = "alternate")]
    alternates: Vec<String>,
    /// A tag (repeatable).
    #[arg(long = "tag")]
    tags: Vec<String>,
    /// The plan the entry belongs to, by its start date [default: it follows the current plan].
    #[arg(long)]
    plan: Option<String>,
}

#[derive(Subcommand)]
enum Command {
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
    },
    /// Show how a text is analysed (terms, readings, synonyms).
    Analyze { text: String },
    /// Run the Discord bot (token from DISCORD_TOKEN or .env; see README: Discord bot).
    Serve(ServeArgs),
    /// What the bot's records say: unanswered questions, 👎 answers, the
    /// no-match rate over time, the programmes shown most.
    Report {
        /// The bot's state directory (its records).
        #[arg(long, env = "MADOGUCHI_STATE", default_value = "state")]
        state: PathBuf,
        /// The records database: sqlite://PATH or postgres://USER:PASSWORD@HOST/DB
        /// [default: sqlite://STATE/records.sqlite3].
        #[arg(long, env = "MADOGUCHI_RECORDS")]
        records: Option<String>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// How many entries each list shows.
        #[arg(long, default_value_t = 10)]
        top: usize,
        /// The no-match rate per `day` or `week` [default: days when the
        /// records span at most a month].
        #[arg(long)]
        by: Option<String>,
        /// Write the report with its charts as one self-contained HTML file.
        #[arg(long, value_name = "FILE")]
        html: Option<PathBuf>,
    },
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(&cli);
    match run(cli) {
        Ok(code) => code,
        // The reader went away (`madoguchi ask … | head`): nothing to report.
        Err(err)
            if err.chain().any(|e| {
                e.downcast_ref::<std::io::Error>()
                    .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("madoguchi: {}", redact(&format!("{err:#}")));
            ExitCode::from(1)
        }
    }
}

/// Standard output for what a command prints. Every write is checked, so
/// a reader that goes away (`madoguchi report | head -1`) ends the command
/// quietly through `main` instead of a panic.
fn stdout() -> std::io::StdoutLock<'static> {
    std::io::stdout().lock()
}

/// The next line of `input` without its line ending, or why it is not
/// text; `None` at the end.
fn next_line(
    input: &mut dyn BufRead,
) -> std::io::Result<Option<Result<String, std::string::FromUtf8Error>>> {
    let mut bytes = Vec::new();
    if input.read_until(b'\n', &mut bytes)? == 0 {
        return Ok(None);
    }
    if bytes.last() == Some(&b'\n') {
        bytes.pop();
        if bytes.last() == Some(&b'\r') {
            bytes.pop();
        }
    }
    Ok(Some(String::from_utf8(bytes)))
}

/// A text file given on the command line, read as `data/` files are: only
/// a regular file, at most [`data::MAX_FILE_BYTES`].
fn read_text(path: &std::path::Path) -> anyhow::Result<String> {
    let reading = || format!("reading {}", path.display());
    let bytes = data::read_capped(path).with_context(reading)?;
    anyhow::ensure!(
        bytes.len() as u64 <= data::MAX_FILE_BYTES,
        "{} is larger than {} MB: check that it is the right file",
        path.display(),
        data::MAX_FILE_BYTES / (1024 * 1024)
    );
    String::from_utf8(bytes)
        .with_context(reading)
        .context("save the file as UTF-8")
}

/// Writes `path` by renaming a finished file over it: a link at `path` is
/// replaced, not followed, and a failed write leaves the old file.
fn replace_file(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => std::path::Path::new("."),
    };
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let written = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

fn progress(msg: &str) {
    eprintln!("madoguchi: {msg}");
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let mut paths = Paths::new(cli.data, cli.index, cli.ipadic);
    if let Some(dictionary) = cli.dictionary {
        paths.dictionary = dictionary;
    }
    let fixed_today = cli.today.is_some();
    paths.today = Some(match cli.today {
        Some(d) => d,
        None => data::Date::today_in_japan(),
    });
    let open = |rebuild| -> anyhow::Result<Engine> {
        Engine::open(&paths, rebuild, &mut progress).map_err(|e| match e {
            EngineError::Data(p) => anyhow::Error::new(p).context(format!(
                "the knowledge in {} has problems (run `madoguchi check`)",
                paths.data.display()
            )),
            other => anyhow::Error::new(other),
        })
    };
    match cli.command {
        Command::Ask { question, json } => {
            let engine = open(Rebuild::IfStale)?;
            let mut out = stdout();
            let answer_one = |q: &str, out: &mut dyn Write| -> anyhow::Result<()> {
                let answer = engine.ask(q)?;
                if json {
                    writeln!(out, "{}", serde_json::to_string(&answer)?)?;
                } else {
                    writeln!(out, "{}", answer.to_text(&engine.knowledge))?;
                }
                Ok(())
            };
            if question == "-" {
                let mut stdin = std::io::stdin().lock();
                let mut skipped = 0;
                let mut number = 0;
                while let Some(line) = next_line(&mut stdin)? {
                    number += 1;
                    match line {
                        Ok(q) => answer_one(&q, &mut out)?,
                        Err(e) => {
                            skipped += 1;
                            eprintln!(
                                "madoguchi: line {number} of stdin is not valid UTF-8 ({e}): skipped; save the questions as UTF-8"
                            );
                        }
                    }
                    out.flush()?;
                }
                if skipped > 0 {
                    return Ok(ExitCode::from(1));
                }
            } else {
                answer_one(&question, &mut out)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Check { measures } => match data::load_on(&paths.data, paths.today) {
            Ok(k) => {
                let mut out = stdout();
                for p in &k.plans {
                    let state = if p.start == k.plan.start {
                        "current"
                    } else if p.start > k.plan.start {
                        "upcoming"
                    } else {
                        "superseded"
                    };
                    writeln!(
                        out,
                        "plan: {} {} (from {}): {state}",
                        p.year, p.title, p.start
                    )?;
                }
                writeln!(
                    out,
                    "{}: OK — {} areas, {} measures, {} FAQ entries, {} channels, {} synonym groups, {} rules, {} user-dictionary words",
                    paths.data.display(),
                    k.areas.len(),
                    k.measures.len(),
                    k.faqs.len(),
                    k.channels.len(),
                    k.synonyms.groups.len(),
                    k.synonyms.rules.len(),
                    k.user_words.len()
                )?;
                if measures {
                    for m in &k.measures {
                        writeln!(out, "{}\t{}\t{}", m.id, k.place(m), m.text)?;
                    }
                }
                Ok(ExitCode::SUCCESS)
            }
            Err(problems) => {
                eprintln!("{problems}");
                Ok(ExitCode::from(2))
            }
        },
        Command::Index => {
            let started = std::time::Instant::now();
            let engine = open(Rebuild::Always)?;
            let searcher = engine.index.reader.searcher();
            let mut out = stdout();
            writeln!(
                out,
                "indexed {} documents in {:.2} s into {}",
                searcher.num_docs(),
                started.elapsed().as_secs_f64(),
                engine.index.dir.display()
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Eval { file, k, json } => {
            let text = read_text(&file)?;
            let questions = eval::parse(&text).with_context(|| format!("in {}", file.display()))?;
            let engine = open(Rebuild::IfStale)?;
            let report = eval::evaluate(&engine, &questions, k)?;
            let mut out = stdout();
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
            } else {
                writeln!(
                    out,
                    "{:<10} {:>4} {:>7} {:>7} {:>7} {:>9} {:>11} {:>9}",
                    "group",
                    "n",
                    "hit@1",
                    format!("hit@{k}"),
                    "MRR",
                    "declined",
                    "もしかして",
                    "no-scope"
                )?;
                for g in &report.groups {
                    writeln!(
                        out,
                        "{:<10} {:>4} {:>7.3} {:>7.3} {:>7.3} {:>9.3} {:>11.3} {:>9.3}",
                        g.group,
                        g.questions,
                        g.hit_at_1,
                        g.hit_at_k,
                        g.mrr,
                        g.declined,
                        g.did_you_mean,
                        g.out_of_scope
                    )?;
                }
                if !report.misses.is_empty() {
                    writeln!(out, "\nmisses (not first, or not declined as expected):")?;
                    for m in &report.misses {
                        writeln!(
                            out,
                            "  line {} [{}] {}\n    expected {}  got {}  rank {}  confidence {:.2}",
                            m.line,
                            m.group,
                            m.question,
                            if m.expected.is_empty() {
                                "decline".to_string()
                            } else {
                                m.expected.join(",")
                            },
                            if m.got.is_empty() {
                                "(declined)".to_string()
                            } else {
                                m.got.join(",")
                            },
                            m.rank.map_or("-".to_string(), |r| r.to_string()),
                            m.confidence
                        )?;
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::ImportPlan { file, out, force } => {
            let text = read_text(&file)?;
            let plan = import::parse(&text).with_context(|| {
                format!(
                    "{} is not in the plan format (numbered areas, 都の取組 / 東京商工会議所の取組, ア… items)",
                    file.display()
                )
            })?;
            let toml = import::to_toml(&plan, &["東京都", "東京商工会議所"]);
            match out {
                None => write!(stdout(), "{toml}")?,
                Some(path) => {
                    // A link counts as there even when it points nowhere,
                    // and is replaced, never written through.
                    if path.symlink_metadata().is_ok() && !force {
                        anyhow::bail!(
                            "{} exists; pass --force to replace it (keep a copy: it may hold staff edits)",
                            path.display()
                        );
                    }
                    replace_file(&path, toml.as_bytes())
                        .with_context(|| format!("writing {}", path.display()))?;
                    eprintln!(
                        "madoguchi: wrote {} areas and {} measures ({}, from {}) to {}; run `madoguchi check`",
                        plan.areas.len(),
                        plan.measures.len(),
                        plan.year,
                        plan.start.map(|d| d.to_string()).unwrap_or_default(),
                        path.display()
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve(args) => serve(args, paths, fixed_today),
        Command::Report {
            state,
            records,
            json,
            top,
            by,
            html,
        } => {
            let period = match by.as_deref() {
                None => None,
                Some("day") => Some(report::Period::Day),
                Some("week") => Some(report::Period::Week),
                Some(other) => anyhow::bail!("--by takes `day` or `week`, not `{other}`"),
            };
            let location = match records {
                Some(url) => madoguchi::records::Location::parse(&url)?,
                None => madoguchi::records::Location::in_state(&state),
            };
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .context("starting the runtime")?;
            let records = runtime.block_on(report::read(&state, &location))?;
            let options = report::Options {
                top,
                period,
                ..report::Options::default()
            };
            // Broken data must not hide the report: without the analyser,
            // questions are compared by their characters alone.
            let (r, messages) = match open(Rebuild::IfStale) {
                Ok(engine) => {
                    let key = |q: &str| report::QuestionKey::analysed(&engine.analyzer, q);
                    let r = report::build(&records, Some(&engine.knowledge), &key, &options);
                    (r, Some(engine.knowledge.messages.clone()))
                }
                Err(e) => {
                    eprintln!(
                        "madoguchi: {e:#}\nmadoguchi: reporting without the knowledge: questions grouped by their characters, programmes by id"
                    );
                    let r = report::build(&records, None, &report::QuestionKey::plain, &options);
                    (r, None)
                }
            };
            if let Some(path) = html {
                let messages = match messages {
                    Some(m) => m,
                    None => read_messages(&paths.data)?,
                };
                let page = madoguchi::html::page(&r, &messages.report)?;
                madoguchi::html::write(&path, &page)?;
                writeln!(
                    std::io::stderr(),
                    "madoguchi: wrote {} ({} questions, {} KB)",
                    path.display(),
                    r.questions,
                    page.len().div_ceil(1024)
                )?;
                return Ok(ExitCode::SUCCESS);
            }
            let mut out = stdout();
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&r)?)?;
            } else {
                write!(out, "{}", r.to_text())?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Faq {
            command: FaqCommand::New(args),
        } => faq_new(args, &paths),
        Command::Analyze { text } => {
            let engine = open(Rebuild::IfStale)?;
            let mut out = stdout();
            let reading = engine.reader.read(&text);
            writeln!(out, "asked:      {}", reading.asked)?;
            if reading.english || reading.romaji {
                let read_as = if reading.english { "English" } else { "romaji" };
                writeln!(out, "read as:    {read_as}, in Japanese above")?;
            }
            if !reading.excluded.is_empty() {
                writeln!(out, "excluded:   {}", reading.excluded)?;
            }
            let normalized = engine.analyzer.normalize(&reading.asked);
            writeln!(out, "normalised: {normalized}")?;
            for w in engine.analyzer.words(&normalized)? {
                writeln!(
                    out,
                    "  {:<12} reading={:<12} {}{}",
                    w.term,
                    w.reading.as_deref().unwrap_or("-"),
                    if w.content { "content" } else { "stop" },
                    if w.unknown { " unknown" } else { "" }
                )?;
            }
            let outcome = engine.search(&text)?;
            writeln!(out, "concepts:")?;
            for c in &outcome.analysis.concepts {
                writeln!(
                    out,
                    "  terms={:?} alternatives={:?} readings={:?} bigrams={:?}",
                    c.terms, c.alternatives, c.readings, c.bigrams
                )?;
            }
            let e = &outcome.evidence;
            writeln!(
                out,
                "evidence:   matched {:.2} of known {:.2} (focus {:.3}), coverage {:.3}, margin {:.3}",
                e.matched, e.known, e.focus, e.coverage, e.margin
            )?;
            writeln!(
                out,
                "confidence: {:.3} (declined at or below {:.2}, sure from {:.2})",
                outcome.confidence, engine.settings.threshold, engine.settings.sure
            )?;
            if let Some(topic) = &reading.topic {
                writeln!(out, "out of scope: {topic}")?;
            }
            writeln!(out, "decision:   {:?}", outcome.decision)?;
            writeln!(
                out,
                "ranked:     {}",
                outcome
                    .ranked
                    .iter()
                    .take(5)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            )?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

// ---- faq new ------------------------------------------------------------------

/// Reads one answer to a prompt; `default` when the answer is empty.
fn prompt(
    input: &mut dyn BufRead,
    out: &mut dyn Write,
    question: &str,
    default: Option<&str>,
) -> anyhow::Result<String> {
    match default {
        Some(d) => write!(out, "{question} [{d}]: ")?,
        None => write!(out, "{question}: ")?,
    }
    out.flush()?;
    let mut line = String::new();
    if input.read_line(&mut line)? == 0 {
        anyhow::bail!("stdin ended before `{question}` was answered");
    }
    let line = line.trim();
    Ok(if line.is_empty() {
        default.unwrap_or_default().to_string()
    } else {
        line.to_string()
    })
}

fn faq_new(args: FaqNewArgs, paths: &Paths) -> anyhow::Result<ExitCode> {
    use std::io::IsTerminal;

    let knowledge = data::load_on(&paths.data, paths.today).map_err(|p| {
        anyhow::Error::new(p).context(format!(
            "the knowledge in {} has problems: fix them first (run `madoguchi check`)",
            paths.data.display()
        ))
    })?;
    let interactive = std::io::stdin().is_terminal();
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let stderr = std::io::stderr();
    let mut out = stderr.lock();

    let question = match args.question {
        Some(q) => q,
        None if interactive => prompt(&mut input, &mut out, "質問（お客様の言い方で）", None)?,
        None => anyhow::bail!("--question is required when stdin is not a terminal"),
    };
    anyhow::ensure!(!question.trim().is_empty(), "the question is empty");
    // Refused before anything else is asked: an entry already answers it.
    faq::check_unasked(
        &knowledge,
        &faq::Draft {
            question: question.clone(),
            alternates: args.alternates.clone(),
            plan: args.plan.clone(),
            ..faq::Draft::default()
        },
    )?;
    let mut measures = args.measures;
    if measures.is_empty() {
        anyhow::ensure!(
            interactive,
            "--measure is required when stdin is not a terminal (`madoguchi check --measures` lists them)"
        );
        // Suggest the measures the question finds today.
        let engine = Engine::open(paths, Rebuild::IfStale, &mut progress)?;
        let suggested: Vec<String> = engine
            .search(&question)?
            .measures
            .into_iter()
            .take(8)
            .collect();
        writeln!(out, "この質問に近い支援策:")?;
        for (i, id) in suggested.iter().enumerate() {
            if let Some(m) = knowledge.measure(id) {
                writeln!(
                    out,
                    "  {}. [{id}] {}  ({})",
                    i + 1,
                    m.text,
                    knowledge.place(m)
                )?;
            }
        }
        let picked = prompt(
            &mut input,
            &mut out,
            "回答の根拠にする支援策（番号か id、複数は空白区切り）",
            suggested.first().map(|_| "1"),
        )?;
        for token in picked
            .split([' ', ',', '、', '　'])
            .filter(|t| !t.is_empty())
        {
            match token.parse::<usize>() {
                Ok(n) if (1..=suggested.len()).contains(&n) => {
                    measures.push(suggested[n - 1].clone())
                }
                _ => measures.push(token.to_string()),
            }
        }
    }
    anyhow::ensure!(!measures.is_empty(), "at least one measure is needed");
    for m in &measures {
        anyhow::ensure!(
            knowledge.measure(m).is_some(),
            "measure `{m}` is not in the current plan ({}); `madoguchi check --measures` lists them",
            knowledge.plan.year
        );
    }
    let file = match args.file {
        Some(f) => f,
        None => {
            let default = faq::default_file(&paths.data, &knowledge, &measures);
            match (default, interactive) {
                (Some(f), false) => f,
                (default, true) => PathBuf::from(prompt(
                    &mut input,
                    &mut out,
                    "追記する FAQ ファイル",
                    default.as_ref().and_then(|d| d.to_str()),
                )?),
                (None, false) => anyhow::bail!(
                    "no FAQ file for area {} in {}: pass --file",
                    knowledge.measure(&measures[0]).map_or(0, |m| m.area),
                    paths.data.join(data::FAQ_DIR).display()
                ),
            }
        }
    };
    let suggested_id = faq::suggest_id(&knowledge, &file);
    let id = match args.id {
        Some(id) => id,
        None if interactive => prompt(&mut input, &mut out, "id", Some(&suggested_id))?,
        None => suggested_id,
    };
    let draft = faq::Draft {
        id,
        question,
        measures,
        answer: args.answer,
        alternates: args.alternates,
        tags: args.tags,
        plan: args.plan,
    };
    std::fs::create_dir_all(&paths.index)
        .with_context(|| format!("creating {}", paths.index.display()))?;
    let written = faq::append(&paths.data, &file, &draft, paths.today, &paths.index)?;
    write!(stdout(), "{}", written.text)?;
    writeln!(
        out,
        "madoguchi: added `{}` at {}:{}; refine its answer and alternates, then run `madoguchi check`",
        draft.id,
        written.file.display(),
        written.line
    )?;
    Ok(ExitCode::SUCCESS)
}

/// The sentences of `data/messages.toml` alone, for a report made while
/// the rest of the knowledge has problems.
fn read_messages(data: &std::path::Path) -> anyhow::Result<data::Messages> {
    let path = data.join(data::MESSAGES_FILE);
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {} for the report's words", path.display()))?;
    toml::from_str(&text).with_context(|| {
        format!(
            "{} does not parse: run `madoguchi check` for where and how to fix it",
            path.display()
        )
    })
}

// ---- serve: the Discord bot ---------------------------------------------------

/// Settings of `madoguchi serve`. Each comes from its flag or environment
/// variable, else from `.env`, else from the configuration file, else its
/// default.
#[derive(clap::Args)]
struct ServeArgs {
    /// A TOML configuration file (keys as in README: Discord bot).
    #[arg(long, env = "MADOGUCHI_CONFIG")]
    config: Option<PathBuf>,
    /// The Discord API base URL [default: https://discord.com].
    #[arg(long, env = "DISCORD_API_BASE")]
    api_base: Option<String>,
    /// The state directory: the voters' key, crash notes, and the records
    /// unless --records says otherwise [default: state].
    #[arg(long, env = "MADOGUCHI_STATE")]
    state: Option<PathBuf>,
    /// Where the records (questions, votes, counts) are kept: sqlite://PATH or
    /// postgres://USER:PASSWORD@HOST/DB, one database for several processes
    /// [default: sqlite://STATE/records.sqlite3].
    #[arg(long, env = "MADOGUCHI_RECORDS")]
    records: Option<String>,
    /// Delete question text older than N days (the daily counts stay)
    /// [default: keep all].
    #[arg(long, env = "MADOGUCHI_KEEP_DAYS")]
    keep_days: Option<u32>,
    /// Register the slash commands in this guild only (instant; for setup).
    #[arg(long, env = "MADOGUCHI_GUILD_ID")]
    guild_id: Option<u64>,
    /// Channels where every message is answered (comma-separated ids; needs the
    /// Message Content intent).
    #[arg(long, env = "MADOGUCHI_ANSWER_CHANNELS", value_delimiter = ',')]
    answer_channels: Vec<u64>,
    /// Members with this role may use /reload, /unanswered and /stats.
    #[arg(long, env = "MADOGUCHI_STAFF_ROLE")]
    staff_role: Option<u64>,
    /// Channel where the outcome of each live reload of data/ is posted
    /// (problems to fix, or the knowledge now served).
    #[arg(long, env = "MADOGUCHI_STAFF_CHANNEL")]
    staff_channel: Option<u64>,
    /// `auto`, or the shards of this process as FIRST-LAST/TOTAL (e.g. 0-3/8).
    #[arg(long, env = "MADOGUCHI_SHARDS")]
    shards: Option<String>,
    /// Log format: text or json.
    #[arg(long, env = "MADOGUCHI_LOG_FORMAT")]
    log_format: Option<String>,
    /// Seconds a user waits between two questions [default: 3].
    #[arg(long, env = "MADOGUCHI_COOLDOWN")]
    cooldown: Option<f64>,
    /// Longest question accepted, in characters [default: 500].
    #[arg(long, env = "MADOGUCHI_MAX_QUESTION")]
    max_question_chars: Option<usize>,
    /// Serve Prometheus metrics on http://ADDR/metrics and the health on
    /// http://ADDR/healthz (e.g. 127.0.0.1:9184) [default: off].
    #[arg(long, env = "MADOGUCHI_METRICS")]
    metrics: Option<std::net::SocketAddr>,
}

/// `KEY=value` pairs of `.env` (in the current directory or a parent), read
/// without changing the process environment.
fn dotenv_values() -> std::collections::HashMap<String, String> {
    match dotenvy::dotenv_iter() {
        Ok(iter) => iter.filter_map(Result::ok).collect(),
        Err(_) => Default::default(),
    }
}

fn serve_file_config(args: &ServeArgs) -> anyhow::Result<madoguchi::discord::FileConfig> {
    match &args.config {
        Some(path) => Ok(madoguchi::discord::FileConfig::load(path)?),
        None => Ok(Default::default()),
    }
}

/// The bot token once `serve` has read it: no output line may show it.
static SECRET: OnceLock<String> = OnceLock::new();

/// `text` with the token, if known, replaced by `[redacted]`.
fn redact(text: &str) -> std::borrow::Cow<'_, str> {
    match SECRET.get() {
        Some(secret) if !secret.is_empty() && text.contains(secret.as_str()) => {
            text.replace(secret.as_str(), "[redacted]").into()
        }
        _ => text.into(),
    }
}

/// Stderr for logs, redacting the token from every line: whatever a
/// dependency logs at trace level (requests, gateway payloads, echoed user
/// text), the token never reaches the terminal or a log file.
struct RedactingStderr;

impl Write for RedactingStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        // tracing writes one whole event per call.
        let text = String::from_utf8_lossy(buf);
        std::io::stderr().write_all(redact(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// Logs to stderr, filtered by `RUST_LOG`; `serve` logs at info and can log
/// JSON lines.
fn init_tracing(cli: &Cli) {
    let (default_filter, json) = match &cli.command {
        Command::Serve(args) => {
            let format = args
                .log_format
                .clone()
                .or_else(|| dotenv_values().remove("MADOGUCHI_LOG_FORMAT"))
                .or_else(|| serve_file_config(args).ok().and_then(|f| f.log_format));
            ("warn,madoguchi=info", format.as_deref() == Some("json"))
        }
        _ => ("warn", false),
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| RedactingStderr)
        // Colours only for a terminal: a log file or journal gets plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

fn serve(args: ServeArgs, mut paths: Paths, fixed_today: bool) -> anyhow::Result<ExitCode> {
    use madoguchi::discord::{Config, Shards, Token};

    let dotenv = dotenv_values();
    let from_dotenv = |key: &str| dotenv.get(key).filter(|v| !v.trim().is_empty()).cloned();
    let file = serve_file_config(&args)?;
    if let Some(format) = args
        .log_format
        .clone()
        .or_else(|| from_dotenv("MADOGUCHI_LOG_FORMAT"))
        .or(file.log_format.clone())
    {
        anyhow::ensure!(
            format == "text" || format == "json",
            "unknown log format `{format}`: use text or json"
        );
    }

    let token = std::env::var("DISCORD_TOKEN")
        .ok()
        .or_else(|| from_dotenv("DISCORD_TOKEN"))
        .and_then(|t| Token::new(&t))
        .context(
            "DISCORD_TOKEN is not set: put the bot token in the environment or in a .env file \
             (see README: Discord bot)",
        )?;
    let _ = SECRET.set(token.expose().to_string());

    // data/ and index/ from the file only where neither flag nor environment
    // changed them from their defaults.
    if paths.data == std::path::Path::new("data")
        && let Some(d) = from_dotenv("MADOGUCHI_DATA")
            .map(PathBuf::from)
            .or(file.data.clone())
    {
        paths.data = d;
    }
    if paths.index == std::path::Path::new("index")
        && let Some(i) = from_dotenv("MADOGUCHI_INDEX")
            .map(PathBuf::from)
            .or(file.index.clone())
    {
        if paths.dictionary == paths.index.join("ipadic") {
            paths.dictionary = i.join("ipadic");
        }
        paths.index = i;
    }

    let mut config = Config::new(token, paths.clone());
    if let Some(base) = args
        .api_base
        .or_else(|| from_dotenv("DISCORD_API_BASE"))
        .or(file.api_base)
    {
        config.api_base = base;
    }
    if let Some(state) = args
        .state
        .or_else(|| from_dotenv("MADOGUCHI_STATE").map(PathBuf::from))
        .or(file.state)
    {
        config.state_dir = state;
    }
    if let Some(url) = args
        .records
        .or_else(|| from_dotenv("MADOGUCHI_RECORDS"))
        .or(file.records)
    {
        config.records = Some(madoguchi::records::Location::parse(&url)?);
    }
    config.keep_days = match args.keep_days {
        Some(days) => Some(days),
        None => match from_dotenv("MADOGUCHI_KEEP_DAYS") {
            Some(v) => Some(
                v.trim()
                    .parse()
                    .context("MADOGUCHI_KEEP_DAYS in .env is not a number of days")?,
            ),
            None => file.keep_days,
        },
    };
    anyhow::ensure!(
        config.keep_days != Some(0),
        "--keep-days must be at least 1 (leave it out to keep every question)"
    );
    let parse_u64 = |key: &str| -> anyhow::Result<Option<u64>> {
        from_dotenv(key)
            .map(|v| {
                v.trim()
                    .parse()
                    .with_context(|| format!("{key} in .env is not a number"))
            })
            .transpose()
    };
    config.guild_id = args
        .guild_id
        .or(parse_u64("MADOGUCHI_GUILD_ID")?)
        .or(file.guild_id);
    config.staff_role = args
        .staff_role
        .or(parse_u64("MADOGUCHI_STAFF_ROLE")?)
        .or(file.staff_role);
    config.staff_channel = args
        .staff_channel
        .or(parse_u64("MADOGUCHI_STAFF_CHANNEL")?)
        .or(file.staff_channel);
    config.answer_channels = if !args.answer_channels.is_empty() {
        args.answer_channels
    } else if let Some(list) = from_dotenv("MADOGUCHI_ANSWER_CHANNELS") {
        list.split(',')
            .map(|c| c.trim().parse())
            .collect::<Result<_, _>>()
            .context("MADOGUCHI_ANSWER_CHANNELS in .env must be comma-separated ids")?
    } else {
        file.answer_channels
    };
    if let Some(s) = args
        .shards
        .or_else(|| from_dotenv("MADOGUCHI_SHARDS"))
        .or(file.shards)
    {
        config.shards = s.parse::<Shards>()?;
    }
    let cooldown = match args.cooldown {
        Some(c) => Some(c),
        None => from_dotenv("MADOGUCHI_COOLDOWN")
            .map(|c| c.trim().parse::<f64>())
            .transpose()
            .context("MADOGUCHI_COOLDOWN in .env is not a number of seconds")?
            .or(file.cooldown_seconds),
    };
    if let Some(c) = cooldown {
        anyhow::ensure!(
            c.is_finite() && c >= 0.0,
            "the cooldown must be zero or more seconds"
        );
        config.cooldown = std::time::Duration::from_secs_f64(c);
    }
    if let Some(m) = args.max_question_chars.or(file.max_question_chars) {
        anyhow::ensure!(m > 0, "the longest question must be at least one character");
        config.max_question_chars = m;
    }

    let metrics_addr = match args.metrics {
        Some(a) => Some(a),
        None => from_dotenv("MADOGUCHI_METRICS")
            .map(|a| a.trim().parse())
            .transpose()
            .context("MADOGUCHI_METRICS in .env is not an address such as 127.0.0.1:9184")?
            .or(file.metrics),
    };
    // Bound before the knowledge is opened: a taken address stops at once.
    let metrics_listener = metrics_addr
        .map(madoguchi::discord::metrics::bind)
        .transpose()?;

    // Unless --today fixes the date, the bot chooses the plan in force for
    // each day itself (at every reload and each midnight in Japan).
    let engine = open_for_serving(&paths)?;
    if !fixed_today {
        config.paths.today = None;
    }
    let (_watcher, changes) = madoguchi::watch::watch(&paths.data, madoguchi::watch::QUIET)?;
    tracing::info!(
        api_base = %config.api_base,
        state = %config.state_dir.display(),
        records = %config.records_location(),
        shards = ?config.shards,
        answer_channels = config.answer_channels.len(),
        "starting the Discord bot"
    );
    madoguchi::memory::keep_trimmed().context("starting the memory trimmer")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        let _metrics = match metrics_listener {
            Some(l) => {
                let server = madoguchi::discord::metrics::serve(l, config.metrics.clone())
                    .context("serving the metrics")?;
                tracing::info!(addr = %server.addr, "metrics on /metrics, health on /healthz");
                Some(server)
            }
            None => None,
        };
        madoguchi::discord::run_live(config, engine, Some(changes), shutdown_signal())
            .await
            .map_err(anyhow::Error::from)
    })?;
    Ok(ExitCode::SUCCESS)
}

/// The engine `serve` starts on: from `data/`, or, when `data/` has
/// problems, from the last good knowledge kept with the index, with every
/// problem logged (the bot posts them to the staff channel once running).
fn open_for_serving(paths: &Paths) -> anyhow::Result<Engine> {
    let problems = match Engine::open(paths, Rebuild::IfStale, &mut progress) {
        Ok(engine) => return Ok(engine),
        Err(EngineError::Data(problems)) => problems,
        Err(other) => return Err(other.into()),
    };
    let broken = || {
        format!(
            "the knowledge in {} has problems (run `madoguchi check`)",
            paths.data.display()
        )
    };
    let engine = match Engine::open_last_good(paths, &mut progress) {
        Ok(engine) => engine,
        Err(e) => {
            return Err(anyhow::Error::new(problems)
                .context(format!("{e}, so there is nothing to start on"))
                .context(broken()));
        }
    };
    for p in &problems.0 {
        tracing::error!(
            file = %p.file.display(),
            line = p.line,
            entry = p.entry.as_deref(),
            problem = %p.message,
            fix = %p.fix,
            "data problem"
        );
    }
    tracing::error!(
        problems = problems.0.len(),
        plan = %engine.knowledge.plan.title,
        "{}: starting on the last good knowledge kept with the index; fix data/ and it is loaded",
        broken()
    );
    Ok(engine)
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
    tracing::info!("signal received: shutting down");
}
