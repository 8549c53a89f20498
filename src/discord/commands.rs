//! The slash commands this bot registers ([`commands`], named in
//! [`names`], their Japanese names and descriptions from `messages.toml`)
//! and the suggestions `/ask` offers while a question is typed
//! ([`choices`]).

use serenity::all::{CommandOptionType, CreateCommand, CreateCommandOption, Permissions};

use super::fit::{clip, limits};
use crate::data::{BotMessages, Knowledge};

/// Command names (ASCII, with Japanese localisations).
pub mod names {
    pub const ASK: &str = "ask";
    pub const ASK_OPTION: &str = "question";
    pub const PROGRAMS: &str = "programs";
    pub const HELP: &str = "help";
    pub const RELOAD: &str = "reload";
    pub const UNANSWERED: &str = "unanswered";
    pub const STATS: &str = "stats";
}

/// The locale of the names and descriptions from `messages.toml`.
const LOCALE: &str = "ja";

/// Command `name` (one of [`names`]) as a user whose Discord speaks
/// `locale` sees it: the Japanese name in a Japanese client, and where the
/// locale is not known (a message, not a command).
pub fn shown_name(name: &str, locale: Option<&str>, m: &BotMessages) -> String {
    let japanese = locale.is_none_or(|l| l.starts_with(LOCALE));
    let local = match name {
        names::ASK => &m.ask_name,
        names::PROGRAMS => &m.programs_name,
        names::HELP => &m.help_name,
        other => other,
    };
    format!("/{}", if japanese { local } else { name })
}

/// The commands this bot registers; `/ask` takes at most
/// `max_question_chars` (within what Discord allows a string option).
pub fn commands(max_question_chars: usize, m: &BotMessages) -> Vec<CreateCommand> {
    let description = |d: &str| clip(d, limits::COMMAND_DESCRIPTION);
    let staff = |name: &str, d: &str| {
        CreateCommand::new(name)
            .description(description(d))
            .default_member_permissions(Permissions::MANAGE_GUILD)
            .dm_permission(false)
    };
    let max_length = max_question_chars.clamp(1, limits::STRING_OPTION);
    vec![
        CreateCommand::new(names::ASK)
            .name_localized(LOCALE, &m.ask_name)
            .description(description(&m.ask_description))
            .add_option(
                CreateCommandOption::new(
                    CommandOptionType::String,
                    names::ASK_OPTION,
                    description(&m.ask_option_description),
                )
                .name_localized(LOCALE, &m.ask_option_name)
                .required(true)
                .set_autocomplete(true)
                .max_length(u16::try_from(max_length).unwrap_or(u16::MAX)),
            ),
        CreateCommand::new(names::PROGRAMS)
            .name_localized(LOCALE, &m.programs_name)
            .description(description(&m.programs_description)),
        CreateCommand::new(names::HELP)
            .name_localized(LOCALE, &m.help_name)
            .description(description(&m.help_description)),
        staff(names::RELOAD, &m.reload_description),
        staff(names::UNANSWERED, &m.unanswered_description),
        staff(names::STATS, &m.stats_description),
    ]
}

/// Autocomplete choices: FAQ questions first, then programme titles, that
/// contain what was typed (after normalisation); with nothing typed, the FAQ
/// questions. Names and values within 100, at most 25 choices.
pub fn choices(
    knowledge: &Knowledge,
    typed: &str,
    normalize: impl Fn(&str) -> String,
) -> Vec<(String, String)> {
    let typed = normalize(typed.trim());
    let candidates = knowledge
        .faqs
        .iter()
        .map(|f| f.question.as_str())
        .chain(knowledge.measures.iter().map(|m| m.text.as_str()));
    let mut out: Vec<(String, String)> = Vec::new();
    for c in candidates {
        if out.len() >= limits::CHOICES {
            break;
        }
        if !typed.is_empty() && !normalize(c).contains(&typed) {
            continue;
        }
        let value = clip(c, limits::CHOICE_VALUE);
        if out.iter().any(|(_, v)| *v == value) {
            continue;
        }
        out.push((clip(c, limits::CHOICE_NAME), value));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages() -> crate::data::Messages {
        toml::from_str(include_str!("../../data/messages.toml")).unwrap()
    }

    #[test]
    fn commands_have_japanese_descriptions_and_fit_discord() {
        for c in commands(500, &messages().bot) {
            let v = serde_json::to_value(&c).unwrap();
            let name = v["name"].as_str().unwrap();
            assert!(name.len() <= 32 && name.chars().all(|c| c.is_ascii_lowercase()));
            let d = v["description"].as_str().unwrap();
            // The shipped words fit as written: nothing was clipped.
            assert!(!d.is_empty() && !d.ends_with('…'), "{d}");
            assert!(d.chars().any(|c| c > '\u{3000}'), "{d}");
            if [names::RELOAD, names::UNANSWERED, names::STATS].contains(&name) {
                assert_eq!(v["default_member_permissions"], "32"); // MANAGE_GUILD
            }
        }
    }
}
