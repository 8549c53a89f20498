//! `messages.toml`: every sentence and heading users and staff see. Each
//! key is a field of [`Messages`] and nowhere else: a missing or unknown key
//! is a TOML problem, an empty sentence one of its own.

use std::collections::HashMap;
use std::path::Path;

use toml::Spanned;

use super::Messages;
use super::source::{Loader, Source};

/// Reads and validates the file at `path`; `None` when it is unreadable or
/// broken (the problems are recorded).
pub(super) fn load(ld: &mut Loader, path: &Path) -> Option<Messages> {
    let (src, messages) = ld.read_toml::<Messages>(path, true)?;
    blank_sentences(ld, &src);
    Some(messages)
}

/// Records each key of `src` whose sentence is empty, in file order.
fn blank_sentences(ld: &mut Loader, src: &Source) {
    // Every value is a string once the file parses as `Messages`.
    let Ok(sentences) = toml::from_str::<HashMap<String, Spanned<String>>>(&src.text) else {
        return;
    };
    let mut blank: Vec<(&String, &Spanned<String>)> = sentences
        .iter()
        .filter(|(_, s)| s.get_ref().trim().is_empty())
        .collect();
    blank.sort_by_key(|(_, s)| s.span().start);
    for (key, sentence) in blank {
        ld.problem_at(
            src,
            Some(sentence.span()),
            Some(key),
            format!("`{key}` is empty"),
            "write the sentence; every answer shows it",
        );
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
        assert_eq!(said(&ld), ["12: [help]: `help` is empty"]);
    }
}
