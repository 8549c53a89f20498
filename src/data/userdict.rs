//! `userdict.csv` (optional): `surface,part_of_speech,reading` rows the
//! segmenter learns, `#` comments and blank lines skipped.

use std::path::Path;

use super::UserWord;
use super::source::{Loader, Problem, Source};

/// Reads and validates the file at `path`; none when it is absent.
pub(super) fn load(ld: &mut Loader, path: &Path) -> Vec<UserWord> {
    let Some(src) = ld.read(path, false) else {
        return Vec::new();
    };
    words(ld, &src)
}

fn words(ld: &mut Loader, src: &Source) -> Vec<UserWord> {
    let mut words = Vec::new();
    for (i, raw_line) in src.text.lines().enumerate() {
        let line = raw_line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        match row(&fields) {
            Ok(word) => words.push(word),
            Err((message, fix)) => ld.problems.push(Problem {
                file: src.path.clone(),
                line: Some(i + 1),
                entry: fields.first().map(|s| s.to_string()),
                message,
                fix: fix.to_string(),
            }),
        }
    }
    words
}

/// One row's fields as a word, or what is wrong with them and how to fix it.
fn row(fields: &[&str]) -> Result<UserWord, (String, &'static str)> {
    let &[surface, part_of_speech, reading] = fields else {
        return Err((
            format!("expected 3 comma-separated fields, found {}", fields.len()),
            "write the row as surface,part_of_speech,reading, e.g. スムーズビズ,名詞,スムーズビズ",
        ));
    };
    if surface.is_empty() {
        return Err((
            "the surface (first field) is empty".into(),
            "write the word as it appears in text",
        ));
    }
    if part_of_speech.is_empty() {
        return Err((
            "the part of speech (second field) is empty".into(),
            "use 名詞 for names of programmes and organisations",
        ));
    }
    let katakana = |c: char| ('\u{30A1}'..='\u{30FC}').contains(&c);
    if reading.is_empty() || !reading.chars().all(katakana) {
        return Err((
            format!("the reading `{reading}` is not written in katakana"),
            "write the reading in full-width katakana, e.g. トウショウ",
        ));
    }
    Ok(UserWord {
        surface: surface.to_string(),
        part_of_speech: part_of_speech.to_string(),
        reading: reading.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::super::source::tests::{loaded, said};
    use super::*;

    #[test]
    fn rows_need_three_fields_and_a_katakana_reading() {
        let text = "# comment\n\nスムーズビズ, 名詞 ,スムーズビズ\nテスト語,名詞\n,名詞,テスト\n東商,,トウショウ\n東商,名詞,とうしょう\n";
        let (mut ld, src) = loaded("userdict.csv", text);
        let words = words(&mut ld, &src);
        assert_eq!(
            words,
            [UserWord {
                surface: "スムーズビズ".into(),
                part_of_speech: "名詞".into(),
                reading: "スムーズビズ".into()
            }]
        );
        assert_eq!(
            said(&ld),
            [
                "4: [テスト語]: expected 3 comma-separated fields, found 2",
                "5: []: the surface (first field) is empty",
                "6: [東商]: the part of speech (second field) is empty",
                "7: [東商]: the reading `とうしょう` is not written in katakana",
            ]
        );
    }
}
