//! `madoguchi faq new`: the wizard that adds an FAQ entry. What the flags
//! leave out is asked for on a terminal (the measures suggested by searching
//! the question), refused otherwise; the entry is checked and appended by
//! [`madoguchi::faq`].

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use madoguchi::data::{self, Knowledge};
use madoguchi::engine::{Paths, Rebuild};
use madoguchi::faq;

use super::args::FaqNewArgs;
use super::{open_engine, stdout};

/// How many measures the wizard suggests for a question.
const SUGGESTED_MEASURES: usize = 8;

/// The wizard's conversation: prompts on stderr, answers from stdin, only
/// when stdin is a terminal.
struct Prompter {
    input: std::io::StdinLock<'static>,
    out: std::io::StderrLock<'static>,
    interactive: bool,
}

impl Prompter {
    /// Reads one answer to a prompt; `default` when the answer is empty.
    fn ask(&mut self, question: &str, default: Option<&str>) -> anyhow::Result<String> {
        match default {
            Some(d) => write!(self.out, "{question} [{d}]: ")?,
            None => write!(self.out, "{question}: ")?,
        }
        self.out.flush()?;
        let mut line = String::new();
        if self.input.read_line(&mut line)? == 0 {
            anyhow::bail!("stdin ended before `{question}` was answered");
        }
        let line = line.trim();
        Ok(if line.is_empty() {
            default.unwrap_or_default().to_string()
        } else {
            line.to_string()
        })
    }
}

/// `faq new`: asks for what is missing, then appends the entry.
pub fn run(args: FaqNewArgs, paths: &Paths) -> anyhow::Result<ExitCode> {
    let knowledge = data::load_on(&paths.data, paths.today)
        .map_err(|p| anyhow::Error::new(p).context(super::broken_knowledge(&paths.data)))?;
    let mut prompter = Prompter {
        interactive: std::io::stdin().is_terminal(),
        input: std::io::stdin().lock(),
        out: std::io::stderr().lock(),
    };
    let question = match args.question {
        Some(q) => q,
        None if prompter.interactive => prompter.ask("質問（お客様の言い方で）", None)?,
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
    let measures = match args.measures {
        m if !m.is_empty() => m,
        _ => pick_measures(&mut prompter, &knowledge, paths, &question)?,
    };
    check_measures(&knowledge, &measures)?;
    let file = match args.file {
        Some(f) => f,
        None => pick_file(&mut prompter, &knowledge, paths, &measures)?,
    };
    let suggested_id = faq::suggest_id(&knowledge, &file);
    let id = match args.id {
        Some(id) => id,
        None if prompter.interactive => prompter.ask("id", Some(&suggested_id))?,
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
        prompter.out,
        "madoguchi: added `{}` at {}:{}; refine its answer and alternates, then run `madoguchi check`",
        draft.id,
        written.file.display(),
        written.line
    )?;
    Ok(ExitCode::SUCCESS)
}

/// The measures the answer rests on, chosen among those the question finds
/// today (by number or id).
fn pick_measures(
    prompter: &mut Prompter,
    knowledge: &Knowledge,
    paths: &Paths,
    question: &str,
) -> anyhow::Result<Vec<String>> {
    anyhow::ensure!(
        prompter.interactive,
        "--measure is required when stdin is not a terminal (`madoguchi check --measures` lists them)"
    );
    let engine = open_engine(paths, Rebuild::IfStale)?;
    let suggested: Vec<String> = engine
        .search(question)?
        .measures
        .into_iter()
        .take(SUGGESTED_MEASURES)
        .collect();
    writeln!(prompter.out, "この質問に近い支援策:")?;
    for (i, id) in suggested.iter().enumerate() {
        if let Some(m) = knowledge.measure(id) {
            let place = knowledge.place(m);
            writeln!(prompter.out, "  {}. [{id}] {}  ({place})", i + 1, m.text)?;
        }
    }
    let picked = prompter.ask(
        "回答の根拠にする支援策（番号か id、複数は空白区切り）",
        suggested.first().map(|_| "1"),
    )?;
    let measures = picked
        .split([' ', ',', '、', '　'])
        .filter(|t| !t.is_empty())
        .map(|token| match token.parse::<usize>() {
            Ok(n) if (1..=suggested.len()).contains(&n) => suggested[n - 1].clone(),
            _ => token.to_string(),
        })
        .collect();
    Ok(measures)
}

/// At least one measure, each in the current plan.
fn check_measures(knowledge: &Knowledge, measures: &[String]) -> anyhow::Result<()> {
    anyhow::ensure!(!measures.is_empty(), "at least one measure is needed");
    for m in measures {
        anyhow::ensure!(
            knowledge.measure(m).is_some(),
            "measure `{m}` is not in the current plan ({}); `madoguchi check --measures` lists them",
            knowledge.plan.year
        );
    }
    Ok(())
}

/// The FAQ file to append to: the one of the first measure's area, asked
/// on a terminal.
fn pick_file(
    prompter: &mut Prompter,
    knowledge: &Knowledge,
    paths: &Paths,
    measures: &[String],
) -> anyhow::Result<PathBuf> {
    let default = faq::default_file(&paths.data, knowledge, measures);
    match (default, prompter.interactive) {
        (Some(f), false) => Ok(f),
        (default, true) => Ok(PathBuf::from(prompter.ask(
            "追記する FAQ ファイル",
            default.as_ref().and_then(|d| d.to_str()),
        )?)),
        (None, false) => anyhow::bail!(
            "no FAQ file for area {} in {}: pass --file",
            knowledge.measure(&measures[0]).map_or(0, |m| m.area),
            paths.data.join(data::FAQ_DIR).display()
        ),
    }
}
