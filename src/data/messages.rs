//! `messages.toml`: every sentence and heading users and staff see. Each
//! key is a field of [`Messages`] (or of a table under it, such as
//! [`BotMessages`]) and nowhere else: a missing or unknown key is a TOML
//! problem, an empty sentence one of its own, and a command name or
//! description Discord would refuse one too.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::Messages;
use super::source::{Loader, Source};

/// The words of the Discord bot's commands and of its posts and replies
/// to staff (`[bot]` in `messages.toml`). Placeholders in braces are filled
/// in by the program.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BotMessages {
    /// The Japanese names (at most [`COMMAND_NAME`] lower-case letters, digits, `-`
    /// or `_`) and descriptions (at most [`COMMAND_DESCRIPTION`]
    /// characters) of the slash commands and of `/ask`'s option.
    pub ask_name: String,
    pub ask_description: String,
    pub ask_option_name: String,
    pub ask_option_description: String,
    pub programs_name: String,
    pub programs_description: String,
    pub help_name: String,
    pub help_description: String,
    pub reload_description: String,
    pub unanswered_description: String,
    pub stats_description: String,
    /// Title of `/unanswered`.
    pub unanswered_title: String,
    /// Under it: `{days}`, `{n}` declined questions, `{kinds}` different
    /// ones, `{out_of_scope}` and `{greetings}` counted apart.
    pub unanswered_summary: String,
    /// One group: `{count}`, `{question}` (the wording asked most), `{last}`
    /// (the day last asked).
    pub unanswered_line: String,
    /// After the groups shown: `{n}` more.
    pub unanswered_more: String,
    /// A staff command could not read the records.
    pub records_unreadable: String,
    /// After a good reload, below `reload_ok`: `{title}`, `{year}`,
    /// `{start}` of the plan, and the counts `{areas}`, `{measures}`,
    /// `{faqs}`, `{channels}`.
    pub reload_summary: String,
    /// Staff-channel note: the files that changed, `{files}`.
    pub changed_files: String,
    /// After the problems a staff post has room for: `{n}` more.
    pub more_problems: String,
    /// Heading of a staff post that continues the one before: part
    /// `{part}` of `{parts}`.
    pub continued: String,
}

/// The longest name of a command or option Discord takes.
pub const COMMAND_NAME: usize = 32;
/// The longest description of a command or option Discord takes.
pub const COMMAND_DESCRIPTION: usize = 100;

/// Reads and validates the file at `path`; `None` when it is unreadable or
/// broken (the problems are recorded).
pub(super) fn load(ld: &mut Loader, path: &Path) -> Option<Messages> {
    let (src, messages) = ld.read_toml::<Messages>(path, true)?;
    blank_sentences(ld, &src);
    command_words(ld, &src, &messages.bot);
    Some(messages)
}

/// Records each command name or description in `[bot]` that Discord would
/// refuse (so that the commands would not be registered at all).
fn command_words(ld: &mut Loader, src: &Source, m: &BotMessages) {
    let names = [
        ("ask_name", &m.ask_name),
        ("ask_option_name", &m.ask_option_name),
        ("programs_name", &m.programs_name),
        ("help_name", &m.help_name),
    ];
    let descriptions = [
        ("ask_description", &m.ask_description),
        ("ask_option_description", &m.ask_option_description),
        ("programs_description", &m.programs_description),
        ("help_description", &m.help_description),
        ("reload_description", &m.reload_description),
        ("unanswered_description", &m.unanswered_description),
        ("stats_description", &m.stats_description),
    ];
    let mut wrong = Vec::new();
    for (key, name) in names {
        let ok = name.chars().count() <= COMMAND_NAME
            && name
                .chars()
                .all(|c| (c.is_alphanumeric() && !c.is_uppercase()) || c == '-' || c == '_');
        if !ok {
            wrong.push((
                key,
                format!("`{key}` is not a command name Discord accepts"),
                format!(
                    "write at most {COMMAND_NAME} letters or digits (`-` and `_` allowed), \
                     without spaces or capital letters"
                ),
            ));
        }
    }
    for (key, description) in descriptions {
        if description.chars().count() > COMMAND_DESCRIPTION {
            wrong.push((
                key,
                format!("`{key}` is longer than Discord accepts"),
                format!("shorten it to at most {COMMAND_DESCRIPTION} characters"),
            ));
        }
    }
    for (key, message, fix) in wrong {
        let span = bot_key_span(src, key);
        ld.problem_at(src, span, Some(key), message, fix);
    }
}

/// Where the value of `key` of `[bot]` is in `src`.
fn bot_key_span(src: &Source, key: &str) -> Option<std::ops::Range<usize>> {
    let table = toml::de::DeTable::parse(&src.text).ok()?;
    value_span(table.get_ref(), &["bot", key])
}

/// Where the value at `path` (keys of nested tables) is.
fn value_span(table: &toml::de::DeTable<'_>, path: &[&str]) -> Option<std::ops::Range<usize>> {
    let (first, rest) = path.split_first()?;
    let (_, value) = table.iter().find(|(k, _)| k.get_ref() == first)?;
    match (rest, value.get_ref()) {
        ([], _) => Some(value.span()),
        (_, toml::de::DeValue::Table(inner)) => value_span(inner, rest),
        _ => None,
    }
}

/// Records each key of `src` whose sentence is empty, in file order, in
/// the top table and in the tables under it (`[report]`).
fn blank_sentences(ld: &mut Loader, src: &Source) {
    let Ok(table) = toml::de::DeTable::parse(&src.text) else {
        return;
    };
    let mut blank = Vec::new();
    collect_blank(table.get_ref(), &mut blank);
    blank.sort_by_key(|(_, span)| span.start);
    for (key, span) in blank {
        ld.problem_at(
            src,
            Some(span),
            Some(&key),
            format!("`{key}` is empty"),
            "write the sentence; every answer shows it",
        );
    }
}

fn collect_blank(table: &toml::de::DeTable<'_>, blank: &mut Vec<(String, std::ops::Range<usize>)>) {
    for (key, value) in table {
        match value.get_ref() {
            toml::de::DeValue::String(s) if s.trim().is_empty() => {
                blank.push((key.get_ref().to_string(), value.span()));
            }
            toml::de::DeValue::Table(inner) => collect_blank(inner, blank),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::source::tests::{loaded, said};
    use super::*;

    #[test]
    fn an_empty_sentence_is_named_by_its_key() {
        let good = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("data/messages.toml"),
        )
        .unwrap();
        let (mut ld, src) = loaded("messages.toml", &good);
        assert!(ld.parse::<Messages>(&src).is_some());
        blank_sentences(&mut ld, &src);
        assert!(ld.problems.is_empty(), "{:?}", said(&ld));

        let text = format!("{good}\n").replacen("no_match = ", "no_match = \" \"\nunused_ = ", 1);
        let (mut ld, src) = loaded("messages.toml", &text);
        assert!(
            ld.parse::<Messages>(&src).is_none(),
            "an unknown key is refused"
        );
        let text = good.replacen("help = ", "help = \"\"\nx_help = ", 1);
        let (mut ld, src) = loaded("messages.toml", &text);
        blank_sentences(&mut ld, &src);
        let line = good.lines().position(|l| l.starts_with("help = ")).unwrap() + 1;
        assert_eq!(said(&ld), [format!("{line}: [help]: `help` is empty")]);
        // A sentence in a table below the top one is checked too.
        let (key, _) = good
            .split("[report]")
            .nth(1)
            .and_then(|t| t.lines().find_map(|l| l.split_once(" = ")))
            .unwrap();
        let text = good.replacen(
            &format!("{key} = "),
            &format!("{key} = \"\"\nx_{key} = "),
            1,
        );
        let (mut ld, src) = loaded("messages.toml", &text);
        blank_sentences(&mut ld, &src);
        assert_eq!(said(&ld).len(), 1, "{:?}", said(&ld));
        assert!(
            said(&ld)[0].contains(&format!("`{key}` is empty")),
            "{:?}",
            said(&ld)
        );
    }

    #[test]
    fn a_missing_bot_sentence_is_named() {
        let good = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("data/messages.toml"),
        )
        .unwrap();
        let text: String = good
            .lines()
            .filter(|l| !l.starts_with("unanswered_title = "))
            .map(|l| format!("{l}\n"))
            .collect();
        assert_ne!(text.len(), good.len(), "the sentence is there to remove");
        let (mut ld, src) = loaded("messages.toml", &text);
        assert!(ld.parse::<Messages>(&src).is_none());
        let said = said(&ld);
        assert!(
            said.len() == 1 && said[0].contains("missing field `unanswered_title`"),
            "{said:?}"
        );
    }

    #[test]
    fn command_words_discord_refuses_are_named() {
        let good = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("data/messages.toml"),
        )
        .unwrap();
        let (mut ld, src) = loaded("messages.toml", &good);
        let m = ld.parse::<Messages>(&src).unwrap();
        command_words(&mut ld, &src, &m.bot);
        assert!(ld.problems.is_empty(), "{:?}", said(&ld));

        let long = "説明".repeat(COMMAND_DESCRIPTION);
        let text = good
            .replacen("help_name = \"", "help_name = \"使い 方", 1)
            .replacen("programs_name = \"", "programs_name = \"List", 1)
            .replacen(
                "stats_description = \"",
                &format!("stats_description = \"{long}"),
                1,
            );
        let (mut ld, src) = loaded("messages.toml", &text);
        let m = ld.parse::<Messages>(&src).unwrap();
        command_words(&mut ld, &src, &m.bot);
        let line = |key: &str| {
            text.lines()
                .position(|l| l.starts_with(&format!("{key} = ")))
                .unwrap()
                + 1
        };
        assert_eq!(
            said(&ld),
            [
                format!(
                    "{}: [programs_name]: `programs_name` is not a command name Discord accepts",
                    line("programs_name")
                ),
                format!(
                    "{}: [help_name]: `help_name` is not a command name Discord accepts",
                    line("help_name")
                ),
                format!(
                    "{}: [stats_description]: `stats_description` is longer than Discord accepts",
                    line("stats_description")
                ),
            ]
        );
    }
}
