//! The `madoguchi` command: a thin CLI over the library. Only this file knows
//! clap and the environment.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

use madoguchi::data;
use madoguchi::dictionary::DEFAULT_IPADIC_SOURCE;
use madoguchi::engine::{Engine, EngineError, Paths, Rebuild};
use madoguchi::{eval, import};

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
    #[command(subcommand)]
    command: Command,
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
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("madoguchi: {err:#}");
            ExitCode::from(1)
        }
    }
}

fn progress(msg: &str) {
    eprintln!("madoguchi: {msg}");
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let mut paths = Paths::new(cli.data, cli.index, cli.ipadic);
    if let Some(dictionary) = cli.dictionary {
        paths.dictionary = dictionary;
    }
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
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
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
                for line in std::io::stdin().lock().lines() {
                    let line = line.context("reading questions from stdin")?;
                    answer_one(&line, &mut out)?;
                    out.flush()?;
                }
            } else {
                answer_one(&question, &mut out)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Check { measures } => match data::load(&paths.data) {
            Ok(k) => {
                println!(
                    "{}: OK — {} areas, {} measures, {} FAQ entries, {} channels, {} synonym groups, {} rules, {} user-dictionary words",
                    paths.data.display(),
                    k.areas.len(),
                    k.measures.len(),
                    k.faqs.len(),
                    k.channels.len(),
                    k.synonyms.groups.len(),
                    k.synonyms.rules.len(),
                    k.user_words.len()
                );
                if measures {
                    for m in &k.measures {
                        println!("{}\t{}\t{}", m.id, k.place(m), m.text);
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
            println!(
                "indexed {} documents in {:.2} s into {}",
                searcher.num_docs(),
                started.elapsed().as_secs_f64(),
                engine.index.dir.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Eval { file, k, json } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let questions =
                eval::parse(&text).with_context(|| format!("in {}", file.display()))?;
            let engine = open(Rebuild::IfStale)?;
            let report = eval::evaluate(&engine, &questions, k)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                println!(
                    "{:<10} {:>4} {:>7} {:>7} {:>7} {:>9}",
                    "group",
                    "n",
                    "hit@1",
                    format!("hit@{k}"),
                    "MRR",
                    "declined"
                );
                for g in &report.groups {
                    println!(
                        "{:<10} {:>4} {:>7.3} {:>7.3} {:>7.3} {:>9.3}",
                        g.group, g.questions, g.hit_at_1, g.hit_at_k, g.mrr, g.declined
                    );
                }
                if !report.misses.is_empty() {
                    println!("\nmisses (not first, or not declined as expected):");
                    for m in &report.misses {
                        println!(
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
                        );
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::ImportPlan { file, out, force } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let plan = import::parse(&text).with_context(|| {
                format!(
                    "{} is not in the plan format (numbered areas, 都の取組 / 東京商工会議所の取組, ア… items)",
                    file.display()
                )
            })?;
            let toml = import::to_toml(&plan, &["東京都", "東京商工会議所"]);
            match out {
                None => print!("{toml}"),
                Some(path) => {
                    if path.exists() && !force {
                        anyhow::bail!(
                            "{} exists; pass --force to replace it (keep a copy: it may hold staff edits)",
                            path.display()
                        );
                    }
                    std::fs::write(&path, toml)
                        .with_context(|| format!("writing {}", path.display()))?;
                    eprintln!(
                        "madoguchi: wrote {} areas and {} measures ({}, from {}) to {}; run `madoguchi check`",
                        plan.areas.len(),
                        plan.measures.len(),
                        plan.year,
                        plan.start,
                        path.display()
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Analyze { text } => {
            let engine = open(Rebuild::IfStale)?;
            let normalized = engine.analyzer.normalize(&text);
            println!("normalised: {normalized}");
            for w in engine.analyzer.words(&normalized)? {
                println!(
                    "  {:<12} reading={:<12} {}{}",
                    w.term,
                    w.reading.as_deref().unwrap_or("-"),
                    if w.content { "content" } else { "stop" },
                    if w.unknown { " unknown" } else { "" }
                );
            }
            let outcome = engine.search(&text)?;
            println!("concepts:");
            for c in &outcome.analysis.concepts {
                println!(
                    "  terms={:?} alternatives={:?} readings={:?} bigrams={:?}",
                    c.terms, c.alternatives, c.readings, c.bigrams
                );
            }
            println!("confidence: {:.3}", outcome.confidence);
            Ok(ExitCode::SUCCESS)
        }
    }
}
