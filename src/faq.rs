//! Scaffolding FAQ entries (`madoguchi faq new`), so staff don't start from
//! a blank file. A [`Draft`] (id, question, the measures the answer rests
//! on) becomes a `[[faq]]` entry whose answer is drafted from the plan's own
//! words ([`draft_answer`]), ready to be refined. [`append`] only ever adds
//! the entry at the end of a file: it refuses an id already in use, checks
//! the result with [`crate::data::load_on`] on a copy of `data/` first,
//! and never rewrites what staff wrote.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::data::{self, ChannelKind, Date, FAQ_DIR, Knowledge, Problems};

/// A new FAQ entry, before it is written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Draft {
    pub id: String,
    pub question: String,
    pub measures: Vec<String>,
    /// The answer; `None` drafts one from the plan.
    pub answer: Option<String>,
    pub alternates: Vec<String>,
    pub tags: Vec<String>,
    /// The start date of the plan the entry belongs to; `None` follows the
    /// current plan.
    pub plan: Option<String>,
}

/// Why an entry was not added.
#[derive(Debug, thiserror::Error)]
pub enum FaqError {
    #[error("the FAQ id `{id}` is already used at {}:{line}: choose another id", file.display())]
    IdTaken {
        id: String,
        file: PathBuf,
        line: usize,
    },
    #[error(
        "「{question}」 is already asked by `{id}` at {}:{line} (as 「{used}」): refine that entry (its answer, or add your wording to its alternates) instead of adding another",
        file.display()
    )]
    QuestionTaken {
        question: String,
        id: String,
        used: String,
        file: PathBuf,
        line: usize,
    },
    #[error("the new entry would not load; nothing was written.\n{0}")]
    Invalid(Problems),
    #[error(
        "{} changed while the new entry was being checked; nothing was written: run the command again",
        .0.display()
    )]
    Changed(PathBuf),
    #[error("{} is not a .toml file in {FAQ_DIR}/ of the data directory", .0.display())]
    NotAnFaqFile(PathBuf),
    #[error("I/O at {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> FaqError + '_ {
    move |source| FaqError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Refuses a draft whose question or alternates an entry of `knowledge`
/// already asks ([`data::asked_by`]), naming that entry.
pub fn check_unasked(knowledge: &Knowledge, draft: &Draft) -> Result<(), FaqError> {
    if draft
        .plan
        .as_ref()
        .is_some_and(|p| p.parse() != Ok(knowledge.plan.start))
    {
        return Ok(());
    }
    for question in std::iter::once(&draft.question).chain(&draft.alternates) {
        if let Some((f, used)) = data::asked_by(&knowledge.faqs, question) {
            return Err(FaqError::QuestionTaken {
                question: question.trim().to_string(),
                id: f.id.clone(),
                used: used.trim().to_string(),
                file: f.file.clone(),
                line: f.line,
            });
        }
    }
    Ok(())
}

/// `text` in 「」: brackets inside it become 『』 (the nested form), and a
/// text that is one bracketed phrase already keeps its own, so brackets are
/// never doubled (「「…」」).
fn quoted(text: &str) -> String {
    let text = text.trim();
    let one_phrase = text.starts_with('「')
        && text.ends_with('」')
        && text.matches('「').count() == 1
        && text.matches('」').count() == 1;
    if one_phrase {
        return text.to_string();
    }
    let inner: String = text
        .chars()
        .map(|c| match c {
            '「' => '『',
            '」' => '』',
            c => c,
        })
        .collect();
    format!("「{inner}」")
}

/// An answer drafted from the plan alone: what each measure is and where it
/// sits, and where to ask. Nothing that the plan does not say.
pub fn draft_answer(knowledge: &Knowledge, measures: &[String]) -> String {
    let mut out = String::new();
    for id in measures {
        let Some(m) = knowledge.measure(id) else {
            continue;
        };
        let actor = m.actor.as_str();
        out.push_str(&format!(
            "{actor}は{}を実施しています（実施計画 {}・{actor}の取組 {}）。",
            quoted(&m.text),
            m.area,
            m.label
        ));
    }
    // Somewhere to ask (a desk, a centre, an advisor) that the plan names
    // for these measures, or the general referral.
    let channel = measures
        .iter()
        .filter_map(|id| knowledge.measure(id))
        .find_map(|m| {
            knowledge
                .channels_for(m)
                .find(|c| c.kind == ChannelKind::Contact)
        })
        .or_else(|| knowledge.default_channel());
    if let Some(c) = channel {
        out.push_str(&format!(
            "詳しくは{}（{}）にお問い合わせください。",
            c.name, c.operator
        ));
    }
    out
}

/// The FAQ file of the area of the first measure (`faq/02-….toml` for
/// area 2), if there is one.
pub fn default_file(
    data_dir: &Path,
    knowledge: &Knowledge,
    measures: &[String],
) -> Option<PathBuf> {
    let area = measures.iter().find_map(|id| knowledge.measure(id))?.area;
    let prefix = format!("{area:02}-");
    let mut files: Vec<PathBuf> = fs::read_dir(data_dir.join(FAQ_DIR))
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.extension().is_some_and(|x| x == "toml")
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(&prefix))
        })
        .collect();
    files.sort();
    files.into_iter().next()
}

/// An unused id for an entry of `file`: its name without the number
/// (`telework` for `02-telework.toml`) and the next free number.
pub fn suggest_id(knowledge: &Knowledge, file: &Path) -> String {
    let stem = file
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("faq")
        .trim_start_matches(|c: char| c.is_ascii_digit() || c == '-' || c == '_');
    let stem = if stem.is_empty() { "faq" } else { stem };
    (1..)
        .map(|n| format!("{stem}-{n}"))
        .find(|id| knowledge.faq(id).is_none())
        .expect("a free number")
}

/// A TOML string: a multi-line literal when the text has lines and can be
/// one, otherwise an escaped basic string.
fn toml_string(s: &str, multiline: bool) -> String {
    if multiline && !s.contains("'''") && !s.contains('\r') {
        format!("'''\n{}\n'''", s.trim_end())
    } else {
        toml::Value::String(s.to_string()).to_string()
    }
}

fn toml_list(items: &[String]) -> String {
    let items: Vec<String> = items.iter().map(|s| toml_string(s, false)).collect();
    format!("[{}]", items.join(", "))
}

/// The entry as it is appended, with `answer` (`drafted`: from the plan,
/// with a comment saying what to do with it): the `[[faq]]` table.
pub fn to_toml(draft: &Draft, answer: &str, drafted: bool) -> String {
    let mut out = String::from("\n");
    if drafted {
        out.push_str(
            "# New entry (madoguchi faq new): the answer below is drafted from the plan's own \
             words.\n# Refine it with what the plan says (no amounts, dates, URLs or phone \
             numbers it does not give),\n# and add `alternates`: the other ways owners ask \
             this.\n",
        );
    }
    out.push_str("[[faq]]\n");
    out.push_str(&format!("id = {}\n", toml_string(&draft.id, false)));
    if let Some(plan) = &draft.plan {
        out.push_str(&format!("plan = {}\n", toml_string(plan, false)));
    }
    out.push_str(&format!(
        "question = {}\n",
        toml_string(&draft.question, false)
    ));
    out.push_str(&format!("alternates = {}\n", toml_list(&draft.alternates)));
    out.push_str(&format!("answer = {}\n", toml_string(answer, true)));
    out.push_str(&format!("measures = {}\n", toml_list(&draft.measures)));
    if !draft.tags.is_empty() {
        out.push_str(&format!("tags = {}\n", toml_list(&draft.tags)));
    }
    out
}

/// Where an entry was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    pub file: PathBuf,
    /// The line of its `[[faq]]`.
    pub line: usize,
    pub text: String,
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), FaqError> {
    fs::create_dir_all(to).map_err(io_err(to))?;
    for entry in fs::read_dir(from).map_err(io_err(from))? {
        let entry = entry.map_err(io_err(from))?;
        let path = entry.path();
        let target = to.join(entry.file_name());
        let kind = entry.file_type().map_err(io_err(&path))?;
        if kind.is_dir() {
            copy_dir(&path, &target)?;
        } else if path.is_file() {
            fs::copy(&path, &target).map_err(io_err(&path))?;
        }
    }
    Ok(())
}

/// Appends `draft` to `file` (created if missing) under `data_dir/faq/`,
/// after checking on a copy of `data_dir` (made under `scratch`, removed
/// after) that the data loads with it, with the plan in force on `today`.
/// Problems the data already had are not the new entry's: only new ones
/// stop it. Nothing is written unless every check passes.
pub fn append(
    data_dir: &Path,
    file: &Path,
    draft: &Draft,
    today: Option<Date>,
    scratch: &Path,
) -> Result<Appended, FaqError> {
    let faq_dir = data_dir.join(FAQ_DIR);
    let name = file
        .file_name()
        .filter(|_| file.extension().is_some_and(|x| x == "toml"))
        .ok_or_else(|| FaqError::NotAnFaqFile(file.to_path_buf()))?;
    let in_faq_dir = file
        .parent()
        .and_then(|p| p.canonicalize().ok())
        .zip(faq_dir.canonicalize().ok())
        .is_some_and(|(a, b)| a == b);
    if !in_faq_dir {
        return Err(FaqError::NotAnFaqFile(file.to_path_buf()));
    }
    let before = data::load_on(data_dir, today);
    if let Ok(k) = &before
        && let Some(f) = k.faq(&draft.id)
        && draft
            .plan
            .as_ref()
            .is_none_or(|p| p.parse() == Ok(k.plan.start))
    {
        return Err(FaqError::IdTaken {
            id: draft.id.clone(),
            file: f.file.clone(),
            line: f.line,
        });
    }
    if let Ok(k) = &before {
        check_unasked(k, draft)?;
    }
    let text = match (&draft.answer, &before) {
        (Some(answer), _) => to_toml(draft, answer, false),
        (None, Ok(k)) => to_toml(draft, &draft_answer(k, &draft.measures), true),
        // With problems in data/ there is no plan to draft the answer from.
        (None, Err(problems)) => return Err(FaqError::Invalid(problems.clone())),
    };
    let original = match fs::read(file) {
        Ok(b) => Some(b),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(io_err(file)(e)),
    };
    let separator = match &original {
        Some(b) if !b.is_empty() && !b.ends_with(b"\n") => "\n",
        _ => "",
    };
    let addition = format!("{separator}{text}");

    // Check on a copy.
    fs::create_dir_all(scratch).map_err(io_err(scratch))?;
    let copy = tempfile::Builder::new()
        .prefix(".faq-check-")
        .tempdir_in(scratch)
        .map_err(io_err(scratch))?;
    let copy_data = copy.path().join("data");
    copy_dir(data_dir, &copy_data)?;
    let copy_file = copy_data.join(FAQ_DIR).join(name);
    let mut copied = original.clone().unwrap_or_default();
    copied.extend_from_slice(addition.as_bytes());
    fs::write(&copy_file, &copied).map_err(io_err(&copy_file))?;
    let after = data::load_on(&copy_data, today);
    let old: Vec<data::Problem> = before.err().map(|p| p.0).unwrap_or_default();
    let new: Vec<data::Problem> = after
        .err()
        .map(|p| p.0)
        .unwrap_or_default()
        .into_iter()
        .map(|mut p| {
            if let Ok(rest) = p.file.strip_prefix(&copy_data) {
                p.file = data_dir.join(rest);
            }
            p
        })
        .filter(|p| !old.contains(p))
        .collect();
    if !new.is_empty() {
        return Err(FaqError::Invalid(Problems(new)));
    }

    // Append, unless staff changed the file meanwhile.
    let now = match fs::read(file) {
        Ok(b) => Some(b),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(io_err(file)(e)),
    };
    if now != original {
        return Err(FaqError::Changed(file.to_path_buf()));
    }
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(file)
        .map_err(io_err(file))?;
    f.write_all(addition.as_bytes()).map_err(io_err(file))?;
    f.flush().map_err(io_err(file))?;
    let table = addition.find("[[faq]]").unwrap_or(0);
    let line = original
        .as_deref()
        .map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count())
        + addition[..table].matches('\n').count()
        + 1;
    Ok(Appended {
        file: file.to_path_buf(),
        line,
        text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn knowledge() -> Knowledge {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
        data::load(&dir).unwrap_or_else(|p| panic!("{p}"))
    }

    #[test]
    fn brackets_in_a_measure_text_are_nested_not_doubled() {
        assert_eq!(quoted("時差出勤の推進"), "「時差出勤の推進」");
        assert_eq!(
            quoted("「テレワーク東京ルール実践企業」宣言制度の普及"),
            "「『テレワーク東京ルール実践企業』宣言制度の普及」"
        );
        assert_eq!(quoted("「時差Biz」"), "「時差Biz」");
        let k = knowledge();
        let bracketed: Vec<String> = k
            .measures
            .iter()
            .filter(|m| m.text.starts_with('「'))
            .map(|m| m.id.to_string())
            .collect();
        assert!(!bracketed.is_empty(), "the plan has such measures");
        let answer = draft_answer(&k, &bracketed);
        assert!(
            !answer.contains("「「") && !answer.contains("」」"),
            "{answer}"
        );
        assert!(answer.contains("都は「『テレワーク東京ルール実践企業』宣言制度の普及」を実施"));
        assert_eq!(answer.matches('「').count(), answer.matches('」').count());
    }

    #[test]
    fn a_question_an_entry_already_asks_is_refused_naming_the_entry() {
        let k = knowledge();
        let f = k
            .faqs
            .iter()
            .find(|f| !f.alternates.is_empty())
            .expect("an entry with alternates");
        let draft = |question: &str, alternates: &[&str], plan: Option<&str>| Draft {
            id: "new-entry".into(),
            question: question.into(),
            measures: f.measures.iter().map(ToString::to_string).collect(),
            alternates: alternates.iter().map(|a| a.to_string()).collect(),
            plan: plan.map(str::to_owned),
            ..Draft::default()
        };
        let spaced = format!(" {} ", f.question.replace('？', "?"));
        for d in [
            draft(&spaced, &[], None),
            draft("まだ誰も聞いていない質問", &[&f.alternates[0]], None),
        ] {
            match check_unasked(&k, &d) {
                Err(e @ FaqError::QuestionTaken { .. }) => {
                    let text = e.to_string();
                    assert!(text.contains(&format!("`{}`", f.id)), "{text}");
                    assert!(
                        text.contains(&format!("{}:{}", f.file.display(), f.line)),
                        "{text}"
                    );
                }
                other => panic!("{:?} not refused: {other:?}", d.question),
            }
        }
        assert!(check_unasked(&k, &draft("まだ誰も聞いていない質問", &[], None)).is_ok());
        // An entry for another plan does not meet the current plan's.
        assert!(check_unasked(&k, &draft(&f.question, &[], Some("2099-04-01"))).is_ok());
    }
}
