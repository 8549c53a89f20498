//! `messages.toml`: every sentence and heading users and staff see. Each
//! key is a field of [`Messages`] and nowhere else: a missing or unknown key
//! is a TOML problem, an empty sentence one of its own.

use std::path::Path;

use super::Messages;
use super::source::{Loader, Source};

/// Reads and validates the file at `path`; `None` when it is unreadable or
/// broken (the problems are recorded).
pub(super) fn load(ld: &mut Loader, path: &Path) -> Option<Messages> {
    let (src, messages) = ld.read_toml::<Messages>(path, true)?;
    blank_sentences(ld, &src);
    Some(messages)
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
}
