//! The views of the bot: an [`Answer`] (or a failed search, `/help`, the
//! areas of the plan, a staff report, the problems of a reload) as a
//! [`Fitted`] reply of embeds and components, every sentence from
//! `messages.toml`. Component ids come from [`super::ids`]; the limits and
//! the fitting from [`super::fit`].

use serenity::all::ButtonStyle;

use super::fit::{
    Button, Embed, Field, Fitted, Image, Reply, Row, Select, SelectOption, clip, discord_len,
    escape_line, limits,
};
use super::ids::{Candidate, CustomId};
use crate::answer::Answer;
use crate::data::{BotMessages, Knowledge, Messages};
use crate::records::{QuestionRecord, Stats, Vote};

/// Measures in programmes of an area shown per page of `/programs`: ten
/// fields of up to 1,024 each stay within an embed's 6,000 in most areas,
/// and fit on a phone screen.
pub const AREA_PAGE: usize = 10;

const COLOUR_SURE: u32 = 0x2E7D32;
const COLOUR_UNSURE: u32 = 0xF9A825;
const COLOUR_NONE: u32 = 0x757575;
pub(super) const COLOUR_INFO: u32 = 0x1565C0;

/// The reply to a question: the question, the "did you mean" or no-match
/// sentence and the FAQ answer; the programmes with their place in the plan;
/// where to go; the plan it rests on. Low confidence offers the candidates in
/// a menu; an answer gets 👍/👎 buttons. A declined question is ephemeral
/// when `ephemeral_decline` (slash commands).
pub fn answer(answer: &Answer, msgs: &Messages, answer_id: u64, ephemeral_decline: bool) -> Fitted {
    let colour = if !answer.answered {
        COLOUR_NONE
    } else if answer.sure {
        COLOUR_SURE
    } else {
        COLOUR_UNSURE
    };
    let mut description = Vec::new();
    if let Some(m) = &answer.message {
        description.push(m.clone());
    }
    if let Some(faq) = &answer.faq {
        description.push(format!(
            "**{}：{}**\n{}",
            answer.headings.faq, faq.question, faq.answer
        ));
    }
    let mut embeds = vec![Embed {
        title: Some(escape_line(&answer.query)),
        description: (!description.is_empty()).then(|| description.join("\n\n")),
        colour,
        ..Embed::default()
    }];
    if !answer.programmes.is_empty() {
        embeds.push(Embed {
            title: Some(answer.headings.programmes.clone()),
            fields: answer
                .programmes
                .iter()
                .map(|p| Field {
                    name: p.place.clone(),
                    // (An English answer's descriptions are for the CLI:
                    // on a phone the names are what is read.)
                    value: std::iter::once(&p.text)
                        .chain(&p.japanese)
                        .map(String::as_str)
                        .collect::<Vec<_>>()
                        .join("\n"),
                    inline: false,
                })
                .collect(),
            colour,
            ..Embed::default()
        });
    }
    if !answer.referrals.is_empty() {
        embeds.push(Embed {
            title: Some(answer.headings.referrals.clone()),
            fields: answer
                .referrals
                .iter()
                .map(|r| {
                    let mut value: Vec<String> = r.japanese.iter().cloned().collect();
                    value.push(r.description.clone());
                    value.extend(r.url.clone());
                    value.extend(r.contact.clone());
                    Field {
                        name: format!("{}（{}）", r.name, r.operator),
                        value: value.join("\n"),
                        inline: false,
                    }
                })
                .collect(),
            colour,
            ..Embed::default()
        });
    }
    if let Some(last) = embeds.last_mut() {
        last.footer = Some(answer.plan.basis.clone());
    }
    let mut reply = Reply {
        embeds,
        ephemeral: ephemeral_decline && !answer.answered,
        ..Reply::default()
    };
    if answer.answered && !answer.sure {
        let options = answer
            .results
            .iter()
            .map(|r| SelectOption {
                label: r.title.clone(),
                value: Candidate {
                    kind: r.kind,
                    id: r.id.clone(),
                }
                .to_string(),
                description: None,
            })
            .collect();
        reply.rows.push(Row::Select(Select {
            custom_id: CustomId::Pick.to_string(),
            placeholder: msgs.candidates_placeholder.clone(),
            options,
        }));
    }
    if answer.answered {
        reply.push_buttons(vote_buttons(answer_id));
    }
    reply.fit()
}

/// 👍 and 👎 for an answer.
fn vote_buttons(answer_id: u64) -> Vec<Button> {
    [(Vote::Up, '👍'), (Vote::Down, '👎')]
        .into_iter()
        .map(|(vote, emoji)| Button {
            custom_id: CustomId::Vote {
                vote,
                answer: answer_id,
            }
            .to_string(),
            label: None,
            emoji: Some(emoji),
            style: ButtonStyle::Secondary,
        })
        .collect()
}

/// The reply when a question could not be searched at all: the no-match
/// sentence and the default referral, from the knowledge.
pub fn failure(knowledge: &Knowledge, query: &str, ephemeral: bool) -> Fitted {
    let msgs = &knowledge.messages;
    let mut embeds = vec![Embed {
        title: Some(escape_line(query)),
        description: Some(msgs.no_match.clone()),
        colour: COLOUR_NONE,
        ..Embed::default()
    }];
    if let Some(c) = knowledge.default_channel() {
        embeds.push(Embed {
            title: Some(msgs.referrals_heading.clone()),
            fields: vec![Field {
                name: format!("{}（{}）", c.name, c.operator),
                value: c.description.clone(),
                inline: false,
            }],
            colour: COLOUR_NONE,
            ..Embed::default()
        });
    }
    Reply {
        embeds,
        ephemeral,
        ..Reply::default()
    }
    .fit()
}

/// `/help`.
pub fn help(msgs: &Messages) -> Fitted {
    Reply {
        embeds: vec![Embed {
            description: Some(msgs.help.clone()),
            colour: COLOUR_INFO,
            ..Embed::default()
        }],
        ephemeral: true,
        ..Reply::default()
    }
    .fit()
}

/// `/programs`: the areas of the plan in a menu.
pub fn areas(knowledge: &Knowledge) -> Fitted {
    let plan = &knowledge.plan;
    Reply {
        embeds: vec![Embed {
            title: Some(plan.title.clone()),
            description: Some(basis(knowledge)),
            colour: COLOUR_INFO,
            ..Embed::default()
        }],
        rows: vec![Row::Select(Select {
            custom_id: CustomId::Area.to_string(),
            placeholder: knowledge.messages.area_prompt.clone(),
            options: knowledge
                .areas
                .iter()
                .map(|a| SelectOption {
                    label: format!("{}. {}", a.number, a.short),
                    value: a.number.to_string(),
                    description: Some(a.title.clone()),
                })
                .collect(),
        })],
        ephemeral: true,
        ..Reply::default()
    }
    .fit()
}

/// One page of the programmes of an area, with page buttons when there are
/// more. `None` when the area does not exist.
pub fn area_page(knowledge: &Knowledge, number: u32, page: usize) -> Option<Fitted> {
    let area = knowledge.area(number)?;
    let measures: Vec<_> = knowledge
        .measures
        .iter()
        .filter(|m| m.area == number)
        .collect();
    let pages = measures.len().div_ceil(AREA_PAGE).max(1);
    let page = page.min(pages - 1);
    let fields = measures
        .iter()
        .skip(page * AREA_PAGE)
        .take(AREA_PAGE)
        .map(|m| Field {
            name: format!("{} › {}", m.actor.as_str(), m.label),
            value: m.text.clone(),
            inline: false,
        })
        .collect();
    let mut reply = Reply {
        embeds: vec![Embed {
            title: Some(area.title.clone()),
            description: Some(area.aims.join("\n")),
            fields,
            footer: Some(if pages > 1 {
                format!("{} ({}/{pages})", basis(knowledge), page + 1)
            } else {
                basis(knowledge)
            }),
            colour: COLOUR_INFO,
        }],
        ephemeral: true,
        ..Reply::default()
    };
    if pages > 1 {
        let mut buttons = Vec::new();
        if page > 0 {
            buttons.push(page_button(number, page - 1, '◀'));
        }
        if page + 1 < pages {
            buttons.push(page_button(number, page + 1, '▶'));
        }
        reply.push_buttons(buttons);
    }
    Some(reply.fit())
}

/// The sentence naming the plan, as an answer shows it.
fn basis(knowledge: &Knowledge) -> String {
    let plan = &knowledge.plan;
    knowledge
        .messages
        .basis
        .replace("{title}", &plan.title)
        .replace("{year}", &plan.year)
        .replace("{start}", &plan.start.to_string())
}

fn page_button(area: u32, page: usize, emoji: char) -> Button {
    Button {
        custom_id: CustomId::Page { area, page }.to_string(),
        label: None,
        emoji: Some(emoji),
        style: ButtonStyle::Secondary,
    }
}

/// A staff report: a title, lines of already-escaped text.
pub fn report(title: &str, lines: &[String]) -> Fitted {
    report_draft(title, lines).fit()
}

fn report_draft(title: &str, lines: &[String]) -> Reply {
    Reply {
        embeds: vec![Embed {
            title: Some(title.to_string()),
            description: Some(lines.join("\n")),
            colour: COLOUR_INFO,
            ..Embed::default()
        }],
        ephemeral: true,
        ..Reply::default()
    }
}

/// A sentence followed by a block of problems (from `/reload`).
pub fn problems_reply(sentence: &str, problems: &str) -> Fitted {
    let block = problems.replace("```", "`\u{200B}``");
    let fence = "\n```\n";
    let room =
        limits::EMBED_DESCRIPTION.saturating_sub(discord_len(sentence) + 2 * discord_len(fence));
    Reply {
        embeds: vec![Embed {
            description: Some(format!("{sentence}{fence}{}{fence}", clip(&block, room))),
            colour: COLOUR_NONE,
            ..Embed::default()
        }],
        ephemeral: true,
        ..Reply::default()
    }
    .fit()
}

/// `/unanswered`: the `recent` unanswered questions, newest first, each
/// with its time (shown in the reader's time zone) and escaped.
pub fn unanswered(recent: &[QuestionRecord], msgs: &Messages) -> Fitted {
    let mut lines: Vec<String> = recent
        .iter()
        .map(|r| format!("・<t:{}:f> {}", r.ts, escape_line(&r.query)))
        .collect();
    if lines.is_empty() {
        lines.push(msgs.report.none.clone());
    }
    report(&msgs.bot.unanswered_title, &lines)
}

/// `/stats`: the figures of `s`, the programmes shown most with their
/// place in the plan, and the chart of the last weeks when there is one
/// (with how many weeks it shows).
pub fn stats(s: &Stats, knowledge: &Knowledge, chart: Option<(Image, usize)>) -> Fitted {
    let m = &knowledge.messages.report;
    let mut lines = vec![
        m.stats_questions.replace("{n}", &s.questions.to_string()),
        m.stats_unanswered
            .replace("{n}", &s.unanswered.to_string())
            .replace("{rate}", &crate::report::percent(s.no_match_rate())),
        m.stats_did_you_mean
            .replace("{n}", &s.did_you_mean.to_string())
            .replace("{rate}", &crate::report::percent(s.did_you_mean_rate())),
        m.stats_votes
            .replace("{up}", &s.up.to_string())
            .replace("{down}", &s.down.to_string()),
        m.stats_top.clone(),
    ];
    for (id, n) in &s.top {
        let place = knowledge
            .measure(id)
            .map(|m| knowledge.place(m))
            .unwrap_or_default();
        lines.push(
            m.stats_top_line
                .replace("{n}", &n.to_string())
                .replace("{id}", id)
                .replace("{place}", &place),
        );
    }
    let mut reply = report_draft(&m.stats_title, &lines);
    if let Some((image, weeks)) = chart {
        if let Some(embed) = reply.embeds.first_mut() {
            embed.footer = Some(m.stats_chart.replace("{weeks}", &weeks.to_string()));
        }
        reply.image = Some(image);
    }
    reply.fit()
}

/// Most messages one failed reload posts: enough for every problem of a
/// typical broken edit, few enough not to flood the staff channel
/// (`madoguchi check` lists them all).
const MAX_POSTS: usize = 5;
/// Room for problems in one post: an embed description holds 4,096, and
/// the sentence before them and the code fences need the rest.
const POST_ROOM: usize = 3_600;

/// Problems as staff-channel posts within Discord's limits: `sentence`,
/// then every problem in full as long as they fit in [`MAX_POSTS`]
/// messages, then a count of the rest.
pub fn problem_posts(sentence: &str, problems: &[String], msgs: &BotMessages) -> Vec<Fitted> {
    let mut chunks: Vec<String> = vec![String::new()];
    let mut shown = 0;
    for p in problems {
        let p = clip(p, POST_ROOM);
        let last = chunks.last_mut().expect("one chunk");
        if !last.is_empty() && discord_len(last) + discord_len(&p) + 2 > POST_ROOM {
            if chunks.len() == MAX_POSTS {
                break;
            }
            chunks.push(String::new());
        }
        let last = chunks.last_mut().expect("one chunk");
        if !last.is_empty() {
            last.push_str("\n\n");
        }
        last.push_str(&p);
        shown += 1;
    }
    if shown < problems.len()
        && let Some(last) = chunks.last_mut()
    {
        last.push_str("\n\n");
        last.push_str(
            &msgs
                .more_problems
                .replace("{n}", &(problems.len() - shown).to_string()),
        );
    }
    let n = chunks.len();
    chunks
        .iter()
        .enumerate()
        .map(|(i, chunk)| {
            let head = if i == 0 {
                sentence.to_string()
            } else {
                msgs.continued
                    .replace("{part}", &(i + 1).to_string())
                    .replace("{parts}", &n.to_string())
            };
            problems_reply(&head, chunk)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answer::{FaqAnswer, PlanRef, Programme, Referral, ResultItem};
    use crate::data::ChannelKind;
    use crate::discord::fit::tests::assert_within_limits;
    use crate::search::Kind;

    fn messages() -> Messages {
        let text = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/messages.toml"),
        )
        .unwrap();
        toml::from_str(&text).unwrap()
    }

    fn programme(i: usize, text: String) -> Programme {
        Programme {
            id: format!("2.tokyo.b.{i}"),
            place: format!("テレワークの推進 › 都 › イ・{i}"),
            area: 2,
            area_title: "テレワークの推進".into(),
            actor: "都".into(),
            label: format!("イ・{i}"),
            text,
            japanese: None,
            description: None,
        }
    }

    fn sample(query: &str, faq_answer: Option<String>, programmes: Vec<Programme>) -> Answer {
        let m = messages();
        Answer {
            query: query.into(),
            language: crate::data::Lang::Ja,
            headings: crate::answer::Headings {
                programmes: m.programmes_heading.clone(),
                faq: m.faq_heading.clone(),
                referrals: m.referrals_heading.clone(),
            },
            answered: true,
            decision: crate::search::Decision::Answer,
            topic: None,
            sure: true,
            confidence: 0.9,
            measures: programmes.iter().map(|p| p.id.clone()).collect(),
            results: programmes
                .iter()
                .map(|p| ResultItem {
                    kind: Kind::Measure,
                    id: p.id.clone(),
                    title: p.text.clone(),
                    score: 1.0,
                })
                .collect(),
            referrals: vec![Referral {
                id: "keiei-shidouin".into(),
                name: "経営指導員".into(),
                kind: ChannelKind::Contact,
                operator: "東京商工会議所".into(),
                description: "東京商工会議所の経営指導員が資料を届けます。".into(),
                url: None,
                contact: None,
                japanese: None,
            }],
            faq: faq_answer.map(|a| FaqAnswer {
                id: "q".into(),
                question: "テレワークの補助は？".into(),
                answer: a,
            }),
            programmes,
            message: None,
            plan: PlanRef {
                title: "実施計画".into(),
                year: "令和5年度".into(),
                start: "2023-04-01".into(),
                basis: "実施計画（令和5年度、2023-04-01から実施）に基づく回答です。".into(),
            },
        }
    }

    #[test]
    fn a_5000_character_faq_answer_fits_with_programmes_kept() {
        let long = "テレワーク導入の補助について。".repeat(340);
        assert!(long.chars().count() > 5000);
        let a = sample(
            "テレワークの補助",
            Some(long),
            (1..=5)
                .map(|i| programme(i, format!("支援策{i}")))
                .collect(),
        );
        let reply = answer(&a, &messages(), 42, true);
        assert_within_limits(&reply);
        let d = reply.embeds[0].description.as_deref().unwrap();
        assert_eq!(discord_len(d), limits::EMBED_DESCRIPTION);
        assert!(d.ends_with('…'));
        // The programmes, the referral and the basis all survive.
        assert_eq!(reply.embeds[1].fields.len(), 5);
        assert_eq!(
            reply.embeds[2].fields[0].name,
            "経営指導員（東京商工会議所）"
        );
        assert!(
            reply.embeds[2]
                .footer
                .as_deref()
                .unwrap()
                .contains("令和5年度")
        );
    }

    #[test]
    fn thirty_long_matches_fit() {
        let programmes = (1..=30)
            .map(|i| programme(i, format!("{i}番目の支援策。").repeat(200)))
            .collect();
        let mut a = sample("x", Some("短い答え".into()), programmes);
        a.sure = false;
        a.message = Some(messages().did_you_mean);
        let reply = answer(&a, &messages(), 7, false);
        assert_within_limits(&reply);
        assert_eq!(reply.embeds[1].fields.len(), limits::EMBED_FIELDS);
        // The candidate menu holds at most 25 options; the vote row follows.
        match &reply.rows[0] {
            Row::Select(s) => assert_eq!(s.options.len(), limits::SELECT_OPTIONS),
            other => panic!("expected the candidate menu, got {other:?}"),
        }
        assert!(matches!(&reply.rows[1], Row::Buttons(b) if b.len() == 2));
    }

    #[test]
    fn four_byte_characters_at_every_cut() {
        for len in [255, 256, 257, 1023, 1024, 1025, 4095, 4096, 4097] {
            let s = "𠮷".repeat(len);
            let mut a = sample(&s, Some(s.clone()), vec![programme(1, s.clone())]);
            a.programmes[0].place = s.clone();
            let reply = answer(&a, &messages(), 1, false);
            assert_within_limits(&reply);
            let title = reply.embeds[0].title.as_deref().unwrap();
            let kept = title.trim_end_matches('…');
            assert!(kept.chars().all(|c| c == '𠮷'), "{title}");
            assert_eq!(title.ends_with('…'), len > limits::EMBED_TITLE / 2);
            let value = &reply.embeds[1].fields[0].value;
            assert!(value.trim_end_matches('…').chars().all(|c| c == '𠮷'));
        }
    }

    #[test]
    fn declined_answers_are_ephemeral_for_slash_commands_and_have_no_votes() {
        let mut a = sample("明日の天気", None, vec![]);
        a.answered = false;
        a.sure = false;
        a.results.clear();
        a.message = Some(messages().no_match);
        let slash = answer(&a, &messages(), 1, true);
        assert!(slash.ephemeral);
        assert!(slash.rows.is_empty());
        assert_eq!(
            slash.embeds[0].description.as_deref(),
            Some(messages().no_match.as_str())
        );
        assert!(!answer(&a, &messages(), 1, false).ephemeral);
    }

    #[test]
    fn the_question_is_echoed_escaped() {
        let a = sample(
            "@everyone <@1> 補助**は**?",
            None,
            vec![programme(1, "x".into())],
        );
        let reply = answer(&a, &messages(), 1, false);
        let title = reply.embeds[0].title.as_deref().unwrap();
        assert!(!title.contains("@everyone") && !title.contains("<@"));
    }

    #[test]
    fn problems_past_the_posts_are_counted() {
        let msgs = messages();
        let problems: Vec<String> = (0..60)
            .map(|i| format!("data/faq/02.toml:{i}: [x{i}]: {}", "問題".repeat(600)))
            .collect();
        let posts = problem_posts("直してください", &problems, &msgs.bot);
        assert_eq!(posts.len(), MAX_POSTS);
        for p in &posts {
            assert_within_limits(p);
        }
        let all: String = posts
            .iter()
            .map(|p| p.embeds[0].description.clone().unwrap())
            .collect();
        let shown = (0..60).filter(|i| all.contains(&format!("[x{i}]"))).count();
        assert!((1..60).contains(&shown), "{shown} shown");
        let more = msgs
            .bot
            .more_problems
            .replace("{n}", &(60 - shown).to_string());
        assert!(all.contains(&more), "the rest are counted: {more}");
    }

    #[test]
    fn many_problems_are_posted_in_full_within_the_limits() {
        let msgs = messages();
        let problems: Vec<String> = (0..60)
            .map(|i| format!("data/faq/02.toml:{i}: [x{i}]: {}", "問題".repeat(60)))
            .collect();
        let posts = problem_posts("直してください", &problems, &msgs.bot);
        assert!(posts.len() > 1 && posts.len() <= MAX_POSTS);
        let all: String = posts
            .iter()
            .map(|p| p.embeds[0].description.clone().unwrap())
            .collect();
        for p in &posts {
            assert_within_limits(p);
        }
        assert!(all.contains("[x0]") && all.contains("[x20]"));
        let rest = msgs.bot.more_problems.split('{').next().unwrap();
        assert!(
            all.contains("[x59]") && !all.contains(rest),
            "all 60 are shown"
        );
        let second = posts[1].embeds[0].description.as_deref().unwrap();
        let continued = msgs.bot.continued.replace("{part}", "2");
        let continued = continued.split('{').next().unwrap();
        assert!(second.starts_with(continued), "{second}");
        let few = problem_posts("直してください", &problems[..2], &msgs.bot);
        assert_eq!(few.len(), 1);
        let d = few[0].embeds[0].description.as_deref().unwrap();
        assert!(d.starts_with("直してください") && d.contains("[x1]"));
    }
}
