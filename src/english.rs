//! Latin letters in a question: English words to the plan's Japanese words,
//! romaji to kana.
//!
//! Each run of Latin-letter words is read either as romaji (「josei
//! kanrishoku wo fuyashitai」) or as English. Romaji becomes hiragana
//! (long vowels in any spelling: terewaaku, terewāku, terewaku), which
//! analysis then matches by reading like any all-kana question. English is
//! stemmed (rust-stemmers, Snowball English) and looked up in the staff's
//! vocabulary (`data/english.toml`), longest phrase first; the Japanese words
//! found replace it, words with no topic are dropped, and words the
//! vocabulary does not know are kept as typed (the plan writes some names in
//! Latin letters).

use std::collections::{HashMap, HashSet};

use rust_stemmers::{Algorithm, Stemmer};
use wana_kana::ConvertJapanese;

use crate::data::English;

/// The longest English phrase looked up, in words.
const MAX_PHRASE_WORDS: usize = 5;

/// Japanese particles written in romaji: a run that has them is romaji even
/// when some of its words are also English.
const ROMAJI_PARTICLES: &[&str] = &["wo", "ga", "wa", "ni", "de", "no", "mo", "ha", "e", "ka"];

/// A question with its Latin-letter runs rewritten.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Translated {
    pub text: String,
    /// Some English was looked up in the vocabulary.
    pub english: bool,
    /// Some romaji was turned into kana.
    pub romaji: bool,
}

/// The English vocabulary, stemmed once.
pub struct Translator {
    stemmer: Stemmer,
    /// A stemmed phrase (words joined by one space) to its Japanese words.
    phrases: HashMap<String, usize>,
    japanese: Vec<String>,
    /// Stemmed words with no topic.
    ignore: HashSet<String>,
    /// Every English word the vocabulary names, as typed: such a word is
    /// English, not romaji.
    known: HashSet<String>,
}

impl Translator {
    pub fn new(english: &English) -> Translator {
        let stemmer = Stemmer::create(Algorithm::English);
        let mut t = Translator {
            stemmer,
            phrases: HashMap::new(),
            japanese: Vec::new(),
            ignore: HashSet::new(),
            known: HashSet::new(),
        };
        for term in &english.terms {
            let index = t.japanese.len();
            t.japanese.push(term.ja.join(" "));
            for phrase in &term.en {
                let words = words_of(phrase);
                t.known.extend(words.iter().cloned());
                let key = t.key(&words);
                t.phrases.entry(key).or_insert(index);
            }
        }
        for w in &english.ignore {
            for word in words_of(w) {
                t.ignore.insert(t.stem(&word));
                t.known.insert(word);
            }
        }
        t
    }

    fn stem(&self, word: &str) -> String {
        self.stemmer.stem(word).into_owned()
    }

    fn key(&self, words: &[String]) -> String {
        words
            .iter()
            .map(|w| self.stem(w))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Rewrites every run of Latin-letter words in `text`.
    pub fn translate(&self, text: &str) -> Translated {
        let mut out = Translated::default();
        let mut rest = text;
        while let Some((start, end)) = next_latin_run(rest) {
            out.text.push_str(&rest[..start]);
            // An English sentence ends where Japanese would write 。, so
            // that what is said before the question stays context.
            for (i, run) in english_sentences(&rest[start..end]).enumerate() {
                if i > 0 {
                    out.text.push('。');
                }
                let words = words_of(run);
                if self.is_romaji(&words) {
                    out.romaji = true;
                    out.text.push(' ');
                    out.text.push_str(&to_kana(&words));
                    out.text.push(' ');
                } else {
                    let (japanese, looked_up) = self.english(&words);
                    out.english |= looked_up;
                    out.text.push(' ');
                    out.text.push_str(&japanese);
                    out.text.push(' ');
                }
            }
            rest = &rest[end..];
        }
        out.text.push_str(rest);
        out
    }

    /// Whether a run's words are romaji: more of them read as Japanese than
    /// as English, or it has a particle between two such words.
    fn is_romaji(&self, words: &[String]) -> bool {
        let romaji = |w: &String| is_romaji_word(w) && !self.known.contains(w);
        let japanese = words.iter().filter(|w| romaji(w)).count();
        let english = words
            .iter()
            .filter(|w| !is_romaji_word(w) || self.known.contains(*w))
            .filter(|w| !ROMAJI_PARTICLES.contains(&w.as_str()))
            .count();
        let particle = words
            .windows(3)
            .any(|w| romaji(&w[0]) && ROMAJI_PARTICLES.contains(&w[1].as_str()) && romaji(&w[2]));
        japanese > 0 && (japanese > english || particle)
    }

    /// English words to Japanese, longest phrase first; says whether any
    /// was found in the vocabulary.
    fn english(&self, words: &[String]) -> (String, bool) {
        let stems: Vec<String> = words.iter().map(|w| self.stem(w)).collect();
        let mut out: Vec<&str> = Vec::new();
        let mut found = false;
        let mut i = 0;
        while i < words.len() {
            let longest = MAX_PHRASE_WORDS.min(words.len() - i);
            let hit = (1..=longest).rev().find_map(|n| {
                self.phrases
                    .get(&stems[i..i + n].join(" "))
                    .map(|&index| (n, index))
            });
            if let Some((n, index)) = hit {
                out.push(&self.japanese[index]);
                found = true;
                i += n;
                continue;
            }
            // A word the vocabulary does not know is searched by its stem,
            // as the staff's English of the plan is indexed (`stemmed`).
            if !self.ignore.contains(&stems[i]) {
                out.push(&stems[i]);
            }
            i += 1;
        }
        (out.join(" "), found)
    }
}

/// `text` with each English word replaced by its stem, lower case (as an
/// English question's words the vocabulary does not know are searched):
/// for indexing the staff's English (`en.toml`).
pub fn stemmed(text: &str) -> String {
    let stemmer = Stemmer::create(Algorithm::English);
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if !word.is_empty() {
            out.push_str(&stemmer.stem(&word.to_lowercase()));
            word.clear();
        }
    };
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(if c == '-' || c == '\'' { ' ' } else { c });
        }
    }
    flush(&mut word, &mut out);
    out
}

/// A Latin run cut after each `.`, `!` or `?` that a space follows.
fn english_sentences(run: &str) -> impl Iterator<Item = &str> {
    let mut cuts = Vec::new();
    let mut chars = run.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if matches!(c, '.' | '!' | '?') && chars.peek().is_some_and(|(_, n)| n.is_whitespace()) {
            cuts.push(i + 1);
        }
    }
    let mut start = 0;
    cuts.into_iter()
        .chain(std::iter::once(run.len()))
        .map(move |end| {
            let piece = &run[start..end];
            start = end;
            piece
        })
        .filter(|piece| piece.chars().any(|c| c.is_ascii_alphanumeric()))
}

/// The lower-case words of a Latin run (letters, digits, inner `'`); a
/// hyphen parts words (40-employee, full-time), here and in the vocabulary.
fn words_of(run: &str) -> Vec<String> {
    run.split(|c: char| !(c.is_ascii_alphanumeric() || is_apostrophe(c) || is_macron(c)))
        .map(|w| {
            w.trim_matches(is_apostrophe)
                .replace(is_apostrophe, "'")
                .to_lowercase()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

/// An apostrophe as typed: straight, or the curly ones (’ ‘) that phones and
/// word processors put in "doesn’t".
fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}' | '\u{2018}')
}

fn is_macron(c: char) -> bool {
    matches!(
        c,
        'ā' | 'ī' | 'ū' | 'ē' | 'ō' | 'â' | 'î' | 'û' | 'ê' | 'ô' | 'Ā' | 'Ī' | 'Ū' | 'Ē' | 'Ō'
    )
}

/// Byte range of the next run of Latin-letter words (with the spaces and
/// ASCII punctuation between them), if any.
fn next_latin_run(text: &str) -> Option<(usize, usize)> {
    let is_letter = |c: char| c.is_ascii_alphabetic() || is_macron(c);
    let start = text.find(is_letter)?;
    let mut last_letter_end = start;
    for (i, c) in text[start..].char_indices() {
        let i = start + i;
        if is_letter(c) || c.is_ascii_digit() || is_apostrophe(c) || c == '-' {
            last_letter_end = i + c.len_utf8();
        } else if !matches!(
            c,
            ' ' | ',' | '.' | '&' | '/' | '"' | '\u{201c}' | '\u{201d}' | '(' | ')' | ':' | ';'
        ) {
            break;
        }
    }
    Some((start, last_letter_end))
}

/// Whether a word reads as Hepburn (or kunrei) romaji: every letter goes
/// into kana.
fn is_romaji_word(word: &str) -> bool {
    let expanded = expand_macrons(word);
    if !expanded.chars().all(|c| c.is_ascii_lowercase()) {
        return false;
    }
    let kana = expanded.as_str().to_hiragana();
    !kana.chars().any(|c| c.is_ascii_alphabetic())
}

fn expand_macrons(word: &str) -> String {
    let mut out = String::with_capacity(word.len() + 4);
    for c in word.chars() {
        match c.to_lowercase().next().unwrap_or(c) {
            'ā' | 'â' => out.push_str("aa"),
            'ī' | 'î' => out.push_str("ii"),
            'ū' | 'û' => out.push_str("uu"),
            'ē' | 'ê' => out.push_str("ee"),
            'ō' | 'ô' => out.push_str("ou"),
            other => out.push(other),
        }
    }
    out
}

/// Romaji words to hiragana, written together as Japanese is (so that
/// analysis reads the run as one stretch of kana).
fn to_kana(words: &[String]) -> String {
    words
        .iter()
        .map(|w| expand_macrons(w).as_str().to_hiragana())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::EnglishTerm;

    fn translator() -> Translator {
        let term = |en: &[&str], ja: &[&str]| EnglishTerm {
            en: en.iter().map(|s| s.to_string()).collect(),
            ja: ja.iter().map(|s| s.to_string()).collect(),
        };
        Translator::new(&English {
            terms: vec![
                term(&["remote work", "telework"], &["テレワーク"]),
                term(&["subsidy", "grant"], &["補助", "助成"]),
                term(&["equipment", "device"], &["機器"]),
                term(&["office"], &["オフィス"]),
            ],
            ignore: [
                "a", "an", "the", "for", "can", "we", "get", "any", "is", "there", "our",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        })
    }

    #[test]
    fn english_becomes_the_plans_words() {
        let t = translator().translate("Can we get subsidies for remote-work devices?");
        assert!(t.english);
        assert_eq!(
            t.text.split_whitespace().collect::<Vec<_>>().join(" "),
            "補助 助成 テレワーク 機器 ?"
        );
        // A hyphen parts words; a full stop before a space ends a sentence.
        let t = translator().translate("Our 40-employee office. Any subsidy?");
        assert_eq!(
            t.text.split_whitespace().collect::<Vec<_>>().join(" "),
            "40 employe オフィス 。 補助 助成 ?"
        );
        // A word the vocabulary lacks is searched by its stem, as the plan's
        // English is indexed; curly apostrophes and quotes keep a run whole.
        let t = translator().translate("“Staff don’t get subsidies,” they said");
        assert_eq!(
            t.text.split_whitespace().collect::<Vec<_>>().join(" "),
            "“ staff don't 補助 助成 they said"
        );
        assert_eq!(
            stemmed("Subsidies for telework equipment"),
            "subsidi for telework equip"
        );
        let t = translator().translate("remote work の補助金ってある？");
        assert_eq!(
            t.text.split_whitespace().collect::<Vec<_>>(),
            ["テレワーク", "の補助金ってある？"]
        );
    }

    #[test]
    fn romaji_becomes_kana_whatever_the_long_vowels() {
        for q in ["terewaaku no hojo", "terewāku no hojo", "Terewaku no hojo"] {
            let t = translator().translate(q);
            assert!(t.romaji, "{q}");
            assert!(!t.english, "{q}");
            assert!(t.text.contains("ほじょ"), "{q}: {}", t.text);
        }
        let t = translator().translate("josei kanrishoku wo fuyashitai");
        assert_eq!(t.text.trim(), "じょせいかんりしょくをふやしたい");
    }

    #[test]
    fn english_words_are_not_read_as_romaji() {
        let t = translator().translate("Is there any grant for our office");
        assert!(!t.romaji);
        assert!(t.english);
        assert!(!is_romaji_word("webcams"));
        assert!(is_romaji_word("shukkou"));
    }

    #[test]
    fn runs_are_found_between_japanese() {
        assert_eq!(next_latin_run("web会議"), Some((0, 3)));
        assert_eq!(next_latin_run("日本語"), None);
        let text = "a b, c。x";
        assert_eq!(next_latin_run(text), Some((0, "a b, c".len())));
    }
}
