//! Property tests over arbitrary Unicode (proptest): normalisation,
//! analysis, search and the Discord reply built from the answer never panic,
//! finish in bounded time, and the reply keeps within every Discord limit with
//! nothing that could ping or format. The named hostile questions are in
//! `tests/search.rs`; this file adds what random input finds, and the 4-byte
//! character at every place the text is cut.

use std::time::{Duration, Instant};

use madoguchi::discord::commands::choices;
use madoguchi::discord::fit::{clip, discord_len, escape, escape_line, is_hidden, limits};
use madoguchi::discord::render::{self, Audience};
use proptest::prelude::*;
use serde_json::Value;

/// The longest one question may take on this machine, even while other
/// builds run: ample, yet far from a hang.
const PER_CASE: Duration = Duration::from_secs(5);

/// Characters that have broken text handling somewhere: markdown and
/// mention syntax, invisible and bidirectional controls, combining marks,
/// half-width and enclosed forms, emoji sequences, astral characters.
const NASTY: &[&str] = &[
    "@",
    "@everyone",
    "@here",
    "<@",
    "<@&",
    "<#",
    ">",
    "<",
    "`",
    "```",
    "*",
    "_",
    "~",
    "|",
    "||",
    "#",
    "-",
    "[",
    "](",
    ")",
    ":",
    "\\",
    "\"",
    "(",
    "\u{0}",
    "\u{7}",
    "\u{1b}",
    "\u{200b}",
    "\u{200d}",
    "\u{200e}",
    "\u{202e}",
    "\u{2066}",
    "\u{feff}",
    "\u{fe0f}",
    "\u{0301}",
    "\u{3099}",
    "\u{309a}",
    "ｶﾞ",
    "ﾊﾟ",
    "①",
    "㍻",
    "㌔",
    "ｱ",
    "ー",
    "〜",
    "々",
    "ゝ",
    "ヽ",
    "𠮷",
    "😀",
    "👍🏽",
    "👨‍👩‍👧‍👦",
    "🏳️‍🌈",
    "\u{e0001}",
    "\u{10ffff}",
    "\t",
    "\n",
    "\r\n",
    "\u{3000}",
    " ",
    "テレワーク",
    "補助金",
    "助成",
    "人手不足",
    "てれわーく",
    "ほじょきん",
    "AND",
    "OR",
    "NOT",
    "field:",
    "^2",
    "title:",
    "*:*",
    "https://discord.gg/abc",
];

/// Arbitrary text: any Unicode scalar values, or pieces of [`NASTY`] mixed
/// with them, up to a few thousand characters.
fn text() -> impl Strategy<Value = String> {
    let any_char = any::<char>().prop_map(|c| c.to_string());
    let piece = prop_oneof![
        3 => any_char,
        2 => proptest::sample::select(NASTY).prop_map(str::to_string),
    ];
    prop_oneof![
        4 => proptest::collection::vec(piece.clone(), 0..60),
        1 => proptest::collection::vec(piece, 500..3000),
    ]
    .prop_map(|parts| parts.concat())
}

fn within(what: &str, q: &str, started: Instant) {
    let took = started.elapsed();
    assert!(
        took < PER_CASE,
        "{what} took {took:?} for {} characters: {:?}…",
        q.chars().count(),
        q.chars().take(40).collect::<String>()
    );
}

/// Every limit Discord sets on a message, checked on the JSON sent.
fn assert_fits(json: &Value) {
    let len = |v: &Value| v.as_str().map_or(0, discord_len);
    assert!(len(&json["content"]) <= limits::CONTENT);
    let embeds = json["embeds"].as_array().cloned().unwrap_or_default();
    assert!(embeds.len() <= limits::EMBEDS);
    let mut total = 0;
    for e in &embeds {
        assert!(len(&e["title"]) <= limits::EMBED_TITLE);
        assert!(len(&e["description"]) <= limits::EMBED_DESCRIPTION);
        assert!(len(&e["footer"]["text"]) <= limits::FOOTER);
        total += len(&e["title"]) + len(&e["description"]) + len(&e["footer"]["text"]);
        let fields = e["fields"].as_array().cloned().unwrap_or_default();
        assert!(fields.len() <= limits::EMBED_FIELDS);
        for f in &fields {
            let (name, value) = (len(&f["name"]), len(&f["value"]));
            assert!(
                (1..=limits::FIELD_NAME).contains(&name),
                "field name {name}"
            );
            assert!(
                (1..=limits::FIELD_VALUE).contains(&value),
                "field value {value}"
            );
            assert!(!f["name"].as_str().unwrap().trim().is_empty());
            assert!(!f["value"].as_str().unwrap().trim().is_empty());
            total += name + value;
        }
    }
    assert!(total <= limits::EMBED_TOTAL, "embeds total {total}");
    assert!(
        len(&json["content"]) > 0 || !embeds.is_empty(),
        "never an empty message"
    );
    let rows = json["components"].as_array().cloned().unwrap_or_default();
    assert!(rows.len() <= limits::ROWS);
    for row in &rows {
        let parts = row["components"].as_array().unwrap();
        assert!(!parts.is_empty() && parts.len() <= limits::BUTTONS_PER_ROW);
        for c in parts {
            // A link button (style 5) has an https url and no custom id;
            // every other component has a custom id.
            if c["style"] == 5 {
                let url = c["url"].as_str().unwrap();
                assert!(url.starts_with("https://") && url.len() <= limits::URL);
                assert!(c["custom_id"].is_null());
            } else {
                assert!((1..=limits::CUSTOM_ID).contains(&len(&c["custom_id"])));
            }
            assert!(len(&c["label"]) <= limits::BUTTON_LABEL);
            assert!(len(&c["placeholder"]) <= limits::PLACEHOLDER);
            let options = c["options"].as_array().cloned().unwrap_or_default();
            assert!(options.len() <= limits::SELECT_OPTIONS);
            for o in &options {
                assert!((1..=limits::OPTION_LABEL).contains(&len(&o["label"])));
                assert!((1..=limits::OPTION_VALUE).contains(&len(&o["value"])));
                assert!(len(&o["description"]) <= limits::OPTION_DESCRIPTION);
            }
        }
    }
    assert_eq!(json["allowed_mentions"]["parse"], serde_json::json!([]));
    assert_eq!(json["allowed_mentions"]["replied_user"], false);
}

/// The echoed question: no mention can form, no markdown character is
/// left unescaped, one line.
fn assert_inert(echo: &str) {
    for raw in ["@everyone", "@here", "<@", "<#", "<t:", "</", "<:", "<a:"] {
        assert!(!echo.contains(raw), "{raw:?} in {echo:?}");
    }
    assert!(!echo.contains('\n'));
    let mut chars = echo.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            chars.next();
            continue;
        }
        assert!(
            !matches!(
                c,
                '*' | '_' | '~' | '`' | '|' | '>' | '#' | '[' | ']' | '(' | ')'
            ),
            "unescaped {c:?} in {echo:?}"
        );
    }
}

/// Undoes [`escape`]: backslashes and the zero-width spaces after `@`/`<`.
fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            '@' | '<' => {
                out.push(c);
                assert_eq!(chars.next(), Some('\u{200B}'), "{s:?}");
            }
            _ => out.push(c),
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn analysis_takes_any_text(q in text()) {
        let engine = testkit::engine();
        let started = Instant::now();
        let analyzer = &engine.analyzer;
        let normalized = analyzer.normalize(&q);
        for w in analyzer.words(&normalized).expect("segments") {
            prop_assert!(w.start <= w.end && w.end <= normalized.len());
            prop_assert!(normalized.is_char_boundary(w.start) && normalized.is_char_boundary(w.end));
            prop_assert!(!w.term.is_empty());
        }
        let analysed = analyzer.analyse(&q).expect("analyses");
        prop_assert!(analysed.terms.iter().all(|t| !t.contains(' ')), "terms are single tokens");
        analyzer.bigrams(&q);
        within("analysis", &q, started);
    }

    #[test]
    fn search_answers_or_declines_any_text(q in text()) {
        let engine = testkit::engine();
        let started = Instant::now();
        let answer = engine.ask(&q).expect("never an error");
        within("search", &q, started);
        prop_assert!(answer.confidence.is_finite());
        prop_assert!((0.0..=1.0).contains(&answer.confidence), "{}", answer.confidence);
        if answer.answered {
            prop_assert!(!answer.measures.is_empty());
        } else {
            prop_assert!(answer.measures.is_empty() && answer.message.is_some());
        }
        prop_assert!(!answer.referrals.is_empty(), "always somewhere to go");
        for id in &answer.measures {
            prop_assert!(engine.knowledge.measure(id).is_some(), "{id} exists");
        }
    }

    #[test]
    fn the_reply_to_any_text_fits_discord_and_pings_nobody(q in text(), id in any::<u64>(), slash in any::<bool>()) {
        let engine = testkit::engine();
        let started = Instant::now();
        let answer = engine.ask(&q).expect("never an error");
        let audience = if slash { Audience::DeclinePrivately } else { Audience::Public };
        let reply = render::answer(&answer, &engine.knowledge, (id, 1), audience);
        for json in [
            serde_json::to_value(reply.message()).unwrap(),
            serde_json::to_value(reply.edit()).unwrap(),
            serde_json::to_value(reply.followup()).unwrap(),
        ] {
            assert_fits(&json);
        }
        prop_assert!(reply.embeds.iter().all(|e| e.title.is_none()), "the question is not echoed");
        let failure = render::failure(&engine.knowledge, slash);
        assert_fits(&serde_json::to_value(failure.message()).unwrap());
        let choices = choices(&engine.knowledge, &q, |s| engine.analyzer.normalize(s));
        prop_assert!(choices.len() <= limits::CHOICES);
        for (name, value) in &choices {
            prop_assert!(discord_len(name) <= limits::CHOICE_NAME);
            prop_assert!(discord_len(value) <= limits::CHOICE_VALUE);
        }
        within("rendering", &q, started);
    }

    #[test]
    fn escaping_is_lossless_and_inert(q in text(), max in 0usize..300) {
        let escaped = escape_line(&q);
        assert_inert(&escaped);
        // Lossless but for control and invisible format characters.
        let visible: String = q.chars().filter(|&c| !is_hidden(c)).collect();
        let one_line = visible.split_whitespace().collect::<Vec<_>>().join(" ");
        prop_assert_eq!(unescape(&escaped), one_line);
        prop_assert_eq!(unescape(&escape(&q)), visible.clone());
        let zwsp = '\u{200B}';
        let hidden = escaped.chars().any(|c| is_hidden(c) && c != zwsp);
        prop_assert!(!hidden, "hidden characters in {:?}", escaped);
        let cut = clip(&escaped, max);
        prop_assert!(discord_len(&cut) <= max);
        assert_inert(&cut);
        let kept = cut.strip_suffix('…').unwrap_or(&cut);
        prop_assert!(escaped.starts_with(kept));
    }
}

/// A 4-byte character (two UTF-16 units) straddling every place text is
/// cut: the question's own limit, each Discord limit, the analysis cap.
#[test]
fn a_four_byte_character_at_every_cut() {
    let engine = testkit::engine();
    let cuts = [
        limits::CHOICE_NAME,
        limits::OPTION_LABEL,
        limits::EMBED_TITLE,
        limits::FIELD_VALUE,
        madoguchi::analysis::MAX_QUESTION_CHARS,
        limits::CONTENT,
        limits::EMBED_DESCRIPTION,
    ];
    for cut in cuts {
        for shift in 0..4 {
            let before = cut.saturating_sub(2) + shift;
            for filler in ["a", "補", "@", "\\", "`"] {
                let q = format!(
                    "{}𠮷テレワークの補助{}",
                    filler.repeat(before),
                    "😀".repeat(3)
                );
                let started = Instant::now();
                let answer = engine.ask(&q).expect("never an error");
                within("search", &q, started);
                let reply = render::answer(&answer, &engine.knowledge, (1, 1), Audience::Public);
                assert_fits(&serde_json::to_value(reply.message()).unwrap());
                assert!(reply.embeds.iter().all(|e| e.title.is_none()));
                for max in [cut.saturating_sub(1), cut, cut + 1] {
                    let c = clip(&q, max);
                    assert!(discord_len(&c) <= max);
                    assert!(q.starts_with(c.strip_suffix('…').unwrap_or(&c)));
                }
            }
        }
    }
}
