//! The commands that read the knowledge or the records and print what the
//! library makes of them: `ask`, `check`, `index`, `eval`, `analyze`,
//! `report` and `import-plan`. Each takes its resolved paths and arguments
//! and returns the exit code; the text itself comes from the library.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;

use madoguchi::data;
use madoguchi::engine::{Engine, Paths, Rebuild};
use madoguchi::{eval, import, report};

use super::args::ReportArgs;
use super::{Line, MAX_LINE_BYTES, next_line, open_engine, read_text, stdout};

/// `ask`: one question, or one per line of stdin with `-`.
pub fn ask(paths: &Paths, question: &str, json: bool) -> anyhow::Result<ExitCode> {
    let engine = open_engine(paths, Rebuild::IfStale)?;
    let mut out = stdout();
    let answer_one = |q: &str, out: &mut dyn Write| -> anyhow::Result<()> {
        let answer = engine.ask(q)?;
        if json {
            writeln!(out, "{}", serde_json::to_string(&answer)?)?;
        } else {
            writeln!(out, "{}", answer.to_text())?;
        }
        Ok(())
    };
    if question != "-" {
        answer_one(question, &mut out)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut stdin = std::io::stdin().lock();
    let mut skipped = 0;
    let mut number = 0;
    while let Some(line) = next_line(&mut stdin)? {
        number += 1;
        match line {
            Line::Text(q) => answer_one(&q, &mut out)?,
            Line::NotUtf8(e) => {
                skipped += 1;
                eprintln!(
                    "madoguchi: line {number} of stdin is not valid UTF-8 ({e}): skipped; save the questions as UTF-8"
                );
            }
            Line::TooLong => {
                skipped += 1;
                eprintln!(
                    "madoguchi: line {number} of stdin is longer than {} KiB: skipped; put one question on each line",
                    MAX_LINE_BYTES / 1024
                );
            }
        }
        out.flush()?;
    }
    Ok(if skipped > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// `check`: the summary of knowledge that loads (exit 0), or every problem
/// (exit 2).
pub fn check(paths: &Paths, measures: bool) -> anyhow::Result<ExitCode> {
    match data::load_on(&paths.data, paths.today) {
        Ok(k) => {
            write!(stdout(), "{}", k.check_text(&paths.data, measures))?;
            Ok(ExitCode::SUCCESS)
        }
        Err(problems) => {
            eprintln!("{problems}");
            Ok(ExitCode::from(2))
        }
    }
}

/// `index`: rebuilds the index now.
pub fn index(paths: &Paths) -> anyhow::Result<ExitCode> {
    let started = std::time::Instant::now();
    let engine = open_engine(paths, Rebuild::Always)?;
    let searcher = engine.index.reader.searcher();
    writeln!(
        stdout(),
        "indexed {} documents in {:.2} s into {}",
        searcher.num_docs(),
        started.elapsed().as_secs_f64(),
        engine.index.dir.display()
    )?;
    Ok(ExitCode::SUCCESS)
}

/// `eval`: scores a question file.
pub fn eval(
    paths: &Paths,
    file: &Path,
    k: usize,
    json: bool,
    part: eval::Part,
) -> anyhow::Result<ExitCode> {
    let text = read_text(file)?;
    let mut questions = eval::parse(&text).with_context(|| format!("in {}", file.display()))?;
    questions.retain(|q| part.holds(q));
    let engine = open_engine(paths, Rebuild::IfStale)?;
    let report = eval::evaluate(&engine, &questions, k)?;
    if json {
        writeln!(stdout(), "{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        write!(stdout(), "{}", report.to_text())?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `import-plan`: a plan's text to `plan.toml`, printed or written to `out`.
pub fn import_plan(file: &Path, out: Option<&Path>, force: bool) -> anyhow::Result<ExitCode> {
    let text = read_text(file)?;
    let plan = import::parse(&text).with_context(|| {
        format!(
            "{} is not in the plan format (numbered areas, 都の取組 / 東京商工会議所の取組, ア… items)",
            file.display()
        )
    })?;
    let toml = import::to_toml(&plan, &["東京都", "東京商工会議所"]);
    let Some(path) = out else {
        write!(stdout(), "{toml}")?;
        return Ok(ExitCode::SUCCESS);
    };
    // A link counts as there even when it points nowhere, and is replaced,
    // never written through.
    if path.symlink_metadata().is_ok() && !force {
        anyhow::bail!(
            "{} exists; pass --force to replace it (keep a copy: it may hold staff edits)",
            path.display()
        );
    }
    madoguchi::files::replace(path, toml.as_bytes())
        .with_context(|| format!("writing {}", path.display()))?;
    eprintln!(
        "madoguchi: wrote {} areas and {} measures ({}, from {}) to {}; run `madoguchi check`",
        plan.areas.len(),
        plan.measures.len(),
        plan.year,
        plan.start.map(|d| d.to_string()).unwrap_or_default(),
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// `report`: what the bot's records say, as text, JSON or an HTML page.
pub fn report(paths: &Paths, args: ReportArgs) -> anyhow::Result<ExitCode> {
    let location = match &args.records {
        Some(url) => madoguchi::records::Location::parse(url)?,
        None => madoguchi::records::Location::in_state(&args.state),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    let records = runtime.block_on(report::read(&args.state, &location))?;
    let options = report::Options {
        top: args.top,
        period: args.by.map(report::Period::from),
        ..report::Options::default()
    };
    // Broken data must not hide the report: without the analyser,
    // questions are compared by their characters alone.
    let (r, messages) = match open_engine(paths, Rebuild::IfStale) {
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
    if let Some(path) = args.html {
        let messages = match messages {
            Some(m) => m,
            None => data::load_messages(&paths.data).map_err(|p| {
                anyhow::anyhow!(
                    "{p}\nmadoguchi: the report page needs the sentences of messages.toml"
                )
            })?,
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
    } else if args.json {
        writeln!(stdout(), "{}", serde_json::to_string_pretty(&r)?)?;
    } else {
        write!(stdout(), "{}", r.to_text())?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `analyze`: how a text is read, analysed and decided on.
pub fn analyze(paths: &Paths, text: &str) -> anyhow::Result<ExitCode> {
    let engine = open_engine(paths, Rebuild::IfStale)?;
    let mut out = stdout();
    let reading = engine.reader.read(text);
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
    analyze_search(&engine, text, reading.topic.as_deref(), &mut out)?;
    Ok(ExitCode::SUCCESS)
}

/// The second half of `analyze`: concepts, evidence and the decision.
fn analyze_search(
    engine: &Engine,
    text: &str,
    topic: Option<&str>,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let outcome = engine.search(text)?;
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
    if let Some(topic) = topic {
        writeln!(out, "out of scope: {topic}")?;
    }
    writeln!(out, "decision:   {:?}", outcome.decision)?;
    let ranked: Vec<String> = outcome.ranked.iter().take(5).cloned().collect();
    writeln!(out, "ranked:     {}", ranked.join(", "))?;
    Ok(())
}
