//! From a message as typed to the question it asks.
//!
//! Owners write the way they write in Discord: a mention first, a URL, an
//! emoji, a quoted line, a signature, the greetings of a business e-mail. None
//! of that is the question, and all of it would be searched as words. This
//! module takes it out, the same way for every surface (CLI, `/ask`, a
//! mention, a DM), and splits a contrast 「AじゃなくてB」 into what is asked
//! (B) and what is excluded (A).
//!
//! The set phrases (greetings, introductions) are staff data
//! ([`crate::data::Phrases`]); the markup rules are Discord's and the contrast
//! markers Japanese grammar, so they live here.

use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, MatchKind};
use regex::Regex;
use unicode_normalization::UnicodeNormalization;

use crate::data::Phrases;

/// The set phrases of [`Phrases`], made ready once per knowledge: the
/// greetings found in one pass, the longest where they overlap
/// (「いつもお世話になっております」 goes whole), letter case ignored.
pub struct Manners {
    greetings: AhoCorasick,
    introductions: Vec<String>,
}

impl Manners {
    pub fn new(phrases: &Phrases) -> Manners {
        let greetings: Vec<String> = phrases
            .greetings
            .iter()
            .map(|g| g.to_lowercase())
            .filter(|g| !g.is_empty())
            .collect();
        Manners {
            greetings: AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .ascii_case_insensitive(true)
                .build(&greetings)
                .expect("plain strings make an automaton"),
            introductions: phrases.introductions.clone(),
        }
    }
}

/// A message, cleaned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cleaned {
    /// What is asked: the message without noise, and without what a
    /// contrast excludes.
    pub asked: String,
    /// What the message says it is *not* asking about (before 「じゃなくて」).
    pub excluded: String,
    /// The message held set phrases (greetings, thanks) and nothing else.
    pub only_phrases: bool,
}

/// Markers of a contrast: what precedes is excluded, what follows is asked.
const CONTRAST: &[&str] = &[
    "じゃなくて",
    "ではなくて",
    "じゃなく",
    "ではなく",
    "でなくて",
    "というより",
];

/// Discord markup that is no part of a question: user, role and channel
/// mentions, custom emoji, timestamps, slash-command mentions, @everyone/@here.
static MARKUP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"<(?:@[!&]?|#)\d+>|<a?:\w+:\d+>|<t:-?\d+(?::\w)?>|</[\w -]+:\d+>|@(?:everyone|here)\b|:[a-z0-9_+-]+:")
        .expect("a valid pattern")
});

/// URLs (and bare `www.` addresses), to the end of their ASCII run.
static URL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:https?://|www\.)[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")
        .expect("a valid pattern")
});

/// Cleans a message: markup, URLs, code, quotes, signatures, emoji and set
/// phrases out; a contrast split into asked and excluded.
pub fn clean(message: &str, manners: &Manners) -> Cleaned {
    let kept = kept_lines(message);
    let text = MARKUP.replace_all(&kept, " ");
    let text = URL.replace_all(&text, " ");
    let text: String = text
        .chars()
        .map(|c| if is_emoji(c) { '\u{1}' } else { c })
        .collect::<String>()
        // An emoji (or a run of them) ends a sentence, as 。 would.
        .split('\u{1}')
        .filter(|part| !part.trim().is_empty())
        .collect::<Vec<_>>()
        .join("。")
        .nfkc()
        .collect();
    let (text, removed) = remove_phrases(&text, manners);
    let text = collapse_spaces(&text);
    let only_phrases = removed && !text.chars().any(char::is_alphanumeric);
    let (excluded, asked) = split_contrast(&text);
    Cleaned {
        asked,
        excluded,
        only_phrases,
    }
}

/// The lines of a message that can hold the question: no fenced code,
/// nothing from a signature separator (`-- `) on, no signature line
/// (――山田); quoted lines without their `>` marker.
fn kept_lines(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut in_fence = false;
    for line in message.lines() {
        let t = line.trim();
        if let Some(after) = t.strip_prefix("```") {
            // A one-line fence (```x```) holds only code, too.
            let closes_itself = after.contains("```");
            if !closes_itself {
                in_fence = !in_fence;
            }
            continue;
        }
        if in_fence {
            continue;
        }
        // A quoted line is what the owner asks about (「> …って見たんですが」):
        // its text stays, the marker goes.
        let line = line
            .trim_start()
            .trim_start_matches(['>', '＞'])
            .trim_start_matches(['>', '＞']);
        if t == "--" || t == "-- " || t == "—" {
            break;
        }
        if is_signature(t) {
            continue;
        }
        out.push_str(line);
        // A line ends a sentence, as 。 would.
        if !line.trim_end().ends_with(SENTENCE_END) && !line.trim().is_empty() {
            out.push('。');
        }
        out.push('\n');
    }
    // (The last line needs no 。 of its own.)
    let end = out.trim_end_matches(['\n', '。']).len();
    out.truncate(end);
    out
}

/// A short line introduced by dashes or rules: a signature (――山田, -- 佐藤).
fn is_signature(line: &str) -> bool {
    let rest = line.trim_start_matches(['-', '―', '—', '─', 'ー', '–', '〜', '~']);
    rest.len() < line.len() && line.len() - rest.len() >= 2 && rest.chars().count() <= 24
}

/// Pictographs, dingbats, flags, keycaps, skin tones, and the joiners and
/// selectors of emoji sequences.
fn is_emoji(c: char) -> bool {
    matches!(c,
        '\u{1F000}'..='\u{1FAFF}'
        | '\u{2600}'..='\u{27BF}'
        | '\u{2B00}'..='\u{2BFF}'
        | '\u{2300}'..='\u{23FF}'
        | '\u{FE0E}' | '\u{FE0F}' | '\u{200D}' | '\u{20E3}'
        | '\u{E0020}'..='\u{E007F}')
}

/// Removes greetings wherever they occur and introduction sentences whole;
/// says whether anything was removed.
fn remove_phrases(text: &str, manners: &Manners) -> (String, bool) {
    let mut removed = false;
    let mut out = String::with_capacity(text.len());
    for sentence in sentences(text) {
        let body = sentence.trim_end_matches(SENTENCE_END).trim_end();
        if manners
            .introductions
            .iter()
            .any(|p| body.ends_with(p.as_str()))
        {
            removed = true;
            out.push(' ');
            continue;
        }
        out.push_str(sentence);
    }
    if !manners.greetings.is_match(&out) {
        return (out, removed);
    }
    let mut text = String::with_capacity(out.len());
    manners
        .greetings
        .replace_all_with(&out, &mut text, |_, _, dst| {
            dst.push(' ');
            true
        });
    (text, true)
}

const SENTENCE_END: &[char] = &['。', '！', '？', '!', '?', '\n', '.'];

/// The text cut after each sentence end, ends kept.
fn sentences(text: &str) -> impl Iterator<Item = &str> {
    text.split_inclusive(SENTENCE_END)
}

/// `text` safe for a terminal: control characters that could move the
/// cursor, clear the screen, set a window title or hide a line (ESC, `\r`,
/// `\b`, C1 controls, bidirectional overrides) are shown as visible signs
/// (C0 as their control pictures ␛ ␍ ␈, the rest as `<U+XXXX>`); line
/// breaks and tabs stay.
pub fn visible(text: &str) -> std::borrow::Cow<'_, str> {
    fn hidden(c: char) -> bool {
        (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    }
    if !text.chars().any(hidden) {
        return text.into();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            c if !hidden(c) => out.push(c),
            '\u{0}'..='\u{1f}' => {
                out.push(char::from_u32(0x2400 + c as u32).unwrap_or('\u{fffd}'));
            }
            '\u{7f}' => out.push('\u{2421}'),
            c => out.push_str(&format!("<U+{:04X}>", c as u32)),
        }
    }
    out.into()
}

/// `text` with every run of whitespace made one space, ends trimmed.
pub fn collapse_spaces(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Splits at the last contrast marker: what precedes it is excluded, what
/// follows is asked. With no marker (or nothing after it) all is asked.
fn split_contrast(text: &str) -> (String, String) {
    let found = CONTRAST
        .iter()
        .filter_map(|m| text.rfind(m).map(|i| (i, m.len())))
        .max_by_key(|(i, len)| (*i, *len));
    match found {
        Some((i, len)) => {
            let (before, after) = (&text[..i], &text[i + len..]);
            if after.chars().any(char::is_alphanumeric) {
                // Only the clause the contrast is about is excluded: from the
                // last sentence end before the marker.
                let start = before.rfind(SENTENCE_END).map_or(0, |j| {
                    j + before[j..].chars().next().map_or(0, char::len_utf8)
                });
                let asked = format!("{} {}", &before[..start], after);
                (before[start..].trim().to_string(), collapse_spaces(&asked))
            } else {
                (String::new(), text.to_string())
            }
        }
        None => (String::new(), text.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_made_visible_for_a_terminal() {
        let hostile = "a\u{1b}]0;owned\u{7}b\u{1b}[2J\rc\u{8}\u{9b}d\u{202e}e\u{7f}";
        let shown = visible(hostile);
        assert!(!shown.chars().any(|c| c.is_control()), "{shown}");
        assert_eq!(shown, "a␛]0;owned␇b␛[2J␍c␈<U+009B>d<U+202E>e␡");
        assert!(matches!(
            visible("行\n\tテレワーク"),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    fn phrases() -> Phrases {
        Phrases {
            greetings: vec![
                "お世話になっております".into(),
                "いつもお世話になっております".into(),
                "よろしくお願いいたします".into(),
                "ありがとうございました".into(),
                "thanks".into(),
            ],
            introductions: vec!["と申します".into()],
            actors: Default::default(),
        }
    }

    fn manners() -> Manners {
        Manners::new(&phrases())
    }

    fn asked(message: &str) -> String {
        clean(message, &manners()).asked
    }

    #[test]
    fn markup_urls_and_emoji_go() {
        // An emoji ends a sentence, as 。 would.
        assert_eq!(
            asked("<@123456789012345678> 時差ビズ😇 参加したい <#42> @everyone"),
            "時差ビズ。 参加したい"
        );
        assert_eq!(
            asked("https://example.jp/a?b=1 に載ってた奨励金"),
            "に載ってた奨励金"
        );
        assert_eq!(asked("<:pepe:123> 補助 :thumbsup: 🙏🏻"), "補助");
    }

    #[test]
    fn quotes_fences_and_signatures_go() {
        let m = "> 時差Biz\n```\nlet x = 1;\n```\nテレワークの補助は？\n――山田";
        assert_eq!(asked(m), "時差Biz。 テレワークの補助は?");
        assert_eq!(asked("補助は？\n-- \n株式会社〇〇 山田太郎"), "補助は?");
    }

    #[test]
    fn greetings_and_introductions_go() {
        let m = "いつもお世話になっております。株式会社〇〇の山田と申します。\
                 テレワークの補助はありますか。よろしくお願いいたします。";
        assert_eq!(asked(m), "。 テレワークの補助はありますか。");
        let c = clean("ありがとうございました🙏", &manners());
        assert!(c.only_phrases);
        assert!(!clean("テレワーク", &manners()).only_phrases);
        assert!(!clean("", &manners()).only_phrases);
    }

    #[test]
    fn a_contrast_excludes_what_precedes_it() {
        let c = clean("育児支援じゃなくて、治療と仕事の両立の支援", &manners());
        assert_eq!(c.excluded, "育児支援");
        assert_eq!(c.asked, "、治療と仕事の両立の支援");
        let c = clean("妊活中の社員がいます。育児じゃなくて治療のほう", &manners());
        assert_eq!(c.excluded, "育児");
        assert_eq!(c.asked, "妊活中の社員がいます。 治療のほう");
        // Nothing after the marker: nothing is excluded.
        let c = clean("それは補助じゃなくて", &manners());
        assert_eq!(c.excluded, "");
        assert_eq!(c.asked, "それは補助じゃなくて");
    }
}
