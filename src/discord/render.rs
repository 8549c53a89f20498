//! The views of the bot: an [`Answer`] (or a failed search, `/help`, the
//! areas of the plan, a staff report, the problems of a reload) as a
//! [`Fitted`] reply of embeds and components, every sentence from
//! `messages.toml`. Component ids come from [`super::ids`]; the limits and
//! the fitting from [`super::fit`].

use serenity::all::ButtonStyle;

use super::commands::{names, shown_name};
use super::fit::{
    Button, Embed, Field, Fitted, Image, Reply, Row, Select, SelectOption, clip, discord_len,
    escape_line, limits,
};
use super::ids::{Candidate, CustomId};
use crate::answer::Answer;
use crate::data::{BotMessages, Knowledge, Messages};
use crate::records::{Stats, Vote};
use crate::report::UnansweredQueue;
use crate::search::{Decision, Kind};

/// Measures in programmes of an area shown per page of `/programs`: ten
/// fields of up to 1,024 each stay within an embed's 6,000 in most areas,
/// and fit on a phone screen.
pub const AREA_PAGE: usize = 10;

const COLOUR_SURE: u32 = 0x2E7D32;
const COLOUR_UNSURE: u32 = 0xF9A825;
const COLOUR_NONE: u32 = 0x757575;
pub(super) const COLOUR_INFO: u32 = 0x1565C0;

/// Who sees a reply to a question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// The asker only by nature (a direct message).
    Public,
    /// Everyone in a server's channel: a decline is brief there (no
    /// example questions), since others read it too.
    Channel,
    /// Everyone, but a declined question is seen only by the asker (a
    /// slash command: Discord can say it to the asker alone).
    DeclinePrivately,
    /// Only the asker (an answer chosen from a menu of candidates).
    Privately,
}

/// The reply to a question, in one embed that starts with the answer: the
/// lead line (how many programmes, whose), the FAQ entry's explanation, the
/// programmes by name with their place in the plan small, and where to
/// ask, with its web page as a link button. A "did you mean" lists the
/// candidates by name with a menu only `asker` can use; a decline offers
/// example questions, the programmes by area and the contact. Every
/// sentence comes from `data/`.
pub fn answer(
    answer: &Answer,
    knowledge: &Knowledge,
    ids: (u64, u64),
    audience: Audience,
) -> Fitted {
    let (answer_id, asker) = ids;
    let msgs = knowledge.messages.answer(answer.language);
    let colour = match answer.decision {
        Decision::Answer => COLOUR_SURE,
        Decision::DidYouMean => COLOUR_UNSURE,
        _ => COLOUR_NONE,
    };
    let mut parts: Vec<String> = Vec::new();
    parts.extend(answer.lead.iter().map(|l| format!("**{l}**")));
    parts.extend(answer.message.clone());
    // The FAQ's explanation goes here, cut to the room the rest leaves.
    let faq_at = parts.len();
    if answer.decision == Decision::DidYouMean {
        parts.push(candidate_names(answer));
        parts.push(format!("-# {}", msgs.pick_hint));
    } else if !answer.programmes.is_empty() {
        parts.push(programme_lines(answer));
    }
    if !answer.examples.is_empty() && audience != Audience::Channel {
        let mut lines = vec![msgs.examples_intro.to_string()];
        lines.extend(answer.examples.iter().map(|e| format!("・{e}")));
        parts.push(lines.join("\n"));
    }
    let (where_to_ask, links) = where_to_ask(answer, knowledge);
    parts.push(where_to_ask);
    if let Some(faq) = answer.faq.as_ref().filter(|_| answer.sure) {
        let rest: usize = parts.iter().map(|p| discord_len(p) + 2).sum();
        let room = limits::EMBED_DESCRIPTION.saturating_sub(rest + 2);
        if room >= MIN_EXPLANATION {
            parts.insert(faq_at, clip(&faq.answer, room));
        }
    }
    let mut reply = Reply {
        embeds: vec![Embed {
            description: Some(parts.join("\n\n")),
            footer: Some(answer.plan.footer.clone()),
            colour,
            ..Embed::default()
        }],
        ephemeral: match audience {
            Audience::Public | Audience::Channel => false,
            Audience::DeclinePrivately => !answer.answered,
            Audience::Privately => true,
        },
        ..Reply::default()
    };
    if answer.decision == Decision::DidYouMean {
        reply.rows.push(Row::Select(candidates_menu(
            answer,
            asker,
            &knowledge.messages,
        )));
    }
    let mut buttons = links;
    if answer.answered {
        buttons.extend(vote_buttons(answer_id));
    } else {
        buttons.insert(0, programs_button(msgs.programs_button));
    }
    reply.push_buttons(buttons);
    reply.fit()
}

/// The least room worth giving an FAQ entry's explanation.
const MIN_EXPLANATION: usize = 120;

/// The longest a programme's name or place is shown (the plan's are one
/// line; this keeps the rest of an answer within the embed whatever the
/// data says).
const NAME_ROOM: usize = 300;

/// The programmes of an answer by name, in bold, each with its place in
/// the plan (and, in English, its Japanese name) in small text below.
fn programme_lines(answer: &Answer) -> String {
    answer
        .programmes
        .iter()
        .take(crate::answer::SHOWN_PROGRAMMES)
        .map(|p| {
            let mut lines = vec![format!("**{}**", clip(&p.text, NAME_ROOM))];
            match &p.japanese {
                Some(ja) => lines.push(format!(
                    "-# {} ・ {}",
                    clip(ja, NAME_ROOM),
                    clip(&p.place, NAME_ROOM)
                )),
                None => lines.push(format!("-# {}", clip(&p.place, NAME_ROOM))),
            }
            lines.join("\n")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The candidates of a "did you mean", by name.
fn candidate_names(answer: &Answer) -> String {
    answer
        .programmes
        .iter()
        .take(crate::answer::SHOWN_PROGRAMMES)
        .map(|p| format!("・{}", clip(&p.text, NAME_ROOM)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The menu of a "did you mean": the candidate programmes by name, their
/// place in the plan below; only `asker` may choose.
fn candidates_menu(answer: &Answer, asker: u64, msgs: &Messages) -> Select {
    Select {
        custom_id: CustomId::Pick { asker: Some(asker) }.to_string(),
        placeholder: msgs.candidates_placeholder.clone(),
        options: answer
            .programmes
            .iter()
            .map(|p| SelectOption {
                label: p.text.clone(),
                value: Candidate {
                    kind: Kind::Measure,
                    id: p.id.clone(),
                }
                .to_string(),
                description: Some(p.place.clone()),
            })
            .collect(),
    }
}

/// Most referrals an answer names: the first is where to go; a second is
/// the other party's channel for the same programmes.
const REFERRALS_SHOWN: usize = 2;

/// Where to ask, for the end of an answer: the referrals with their phone,
/// place and hours as text, and their web pages as link buttons. When none
/// of them can be reached, how to find a contact and the default channel's
/// page.
fn where_to_ask(answer: &Answer, knowledge: &Knowledge) -> (String, Vec<Button>) {
    let msgs = knowledge.messages.answer(answer.language);
    let shown: Vec<_> = answer.referrals.iter().take(REFERRALS_SHOWN).collect();
    let mut lines = Vec::new();
    let mut links = Vec::new();
    for (i, r) in shown.iter().enumerate() {
        let name = match &r.japanese {
            Some(ja) => format!("{}（{ja}）", r.name),
            None => format!("{}（{}）", r.name, r.operator),
        };
        lines.push(if i == 0 {
            format!("**{}**：{name}", answer.headings.referrals)
        } else {
            format!("・{name}")
        });
        if i == 0 && !r.description.is_empty() {
            lines.push(format!("-# {}", r.description));
        }
        let details: Vec<&str> = [&r.phone, &r.place, &r.hours]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect();
        if !details.is_empty() {
            lines.push(details.join(" ・ "));
        }
        links.extend(r.url.as_ref().map(|url| link_button(&r.name, url)));
    }
    let reachable = shown.iter().any(|r| r.url.is_some() || r.phone.is_some());
    if !reachable && let Some(d) = knowledge.default_channel() {
        lines.push(format!("-# {}", msgs.find_contact));
        links.extend(d.url.as_ref().map(|url| link_button(&d.operator, url)));
    }
    (lines.join("\n"), links)
}

/// A button that opens `url`.
fn link_button(label: &str, url: &str) -> Button {
    Button {
        custom_id: String::new(),
        url: Some(url.to_string()),
        label: Some(label.to_string()),
        emoji: None,
        style: ButtonStyle::Secondary,
    }
}

/// The button that opens the programmes of the plan by area.
fn programs_button(label: &str) -> Button {
    Button {
        custom_id: CustomId::Programs.to_string(),
        url: None,
        label: Some(label.to_string()),
        emoji: None,
        style: ButtonStyle::Primary,
    }
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
            url: None,
            label: None,
            emoji: Some(emoji),
            style: ButtonStyle::Secondary,
        })
        .collect()
}

/// The reply when a question could not be searched at all: the no-match
/// sentence, the button to the programmes and the default referral, from
/// the knowledge.
pub fn failure(knowledge: &Knowledge, ephemeral: bool) -> Fitted {
    let msgs = &knowledge.messages;
    let mut lines = vec![msgs.no_match.clone()];
    let mut buttons = vec![programs_button(&msgs.programs_button)];
    if let Some(c) = knowledge.default_channel() {
        lines.push(format!(
            "**{}**：{}（{}）",
            msgs.referrals_heading, c.name, c.operator
        ));
        buttons.extend(c.url.as_ref().map(|url| link_button(&c.name, url)));
    }
    let mut reply = Reply {
        embeds: vec![Embed {
            description: Some(lines.join("\n\n")),
            colour: COLOUR_NONE,
            ..Embed::default()
        }],
        ephemeral,
        ..Reply::default()
    };
    reply.push_buttons(buttons);
    reply.fit()
}

/// `/help`, naming the commands as the reader's Discord (speaking
/// `locale`; unknown for a message) shows them.
pub fn help(msgs: &Messages, locale: Option<&str>) -> Fitted {
    let text = msgs.help_text(
        &shown_name(names::ASK, locale, &msgs.bot),
        &shown_name(names::PROGRAMS, locale, &msgs.bot),
    );
    Reply {
        embeds: vec![Embed {
            description: Some(text),
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
        url: None,
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

/// `/unanswered`: the queue of the last `days` days, each group with its
/// count, the wording asked most (escaped) and the day it was last asked.
pub fn unanswered(queue: &UnansweredQueue, days: u64, msgs: &Messages) -> Fitted {
    let b = &msgs.bot;
    let mut lines = vec![
        b.unanswered_summary
            .replace("{days}", &days.to_string())
            .replace("{n}", &queue.questions.to_string())
            .replace("{kinds}", &queue.kinds.to_string())
            .replace("{out_of_scope}", &queue.out_of_scope.to_string())
            .replace("{greetings}", &queue.greetings.to_string()),
        String::new(),
    ];
    for g in &queue.groups {
        lines.push(
            b.unanswered_line
                .replace("{count}", &g.count.to_string())
                .replace("{question}", &clip(&escape_line(&g.question), NAME_ROOM))
                .replace("{last}", &g.last.to_string()),
        );
    }
    if queue.groups.is_empty() {
        lines.push(msgs.report.none.clone());
    }
    if queue.kinds > queue.groups.len() {
        lines.push(
            b.unanswered_more
                .replace("{n}", &(queue.kinds - queue.groups.len()).to_string()),
        );
    }
    report(&b.unanswered_title, &lines)
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
        let measure = knowledge.measure(id);
        let place = measure.map(|m| knowledge.place(m)).unwrap_or_default();
        // A programme no longer in the plan is named by its id.
        let name = measure.map_or_else(|| id.clone(), |m| m.text.clone());
        lines.push(
            m.stats_top_line
                .replace("{n}", &n.to_string())
                .replace("{id}", id)
                .replace("{name}", &name)
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

    fn knowledge() -> Knowledge {
        crate::data::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data"))
            .expect("data/ loads")
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
            decision: Decision::Answer,
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
                    coverage: 1.0,
                })
                .collect(),
            referrals: vec![Referral {
                id: "telework-center".into(),
                name: "東京テレワーク推進センター".into(),
                kind: ChannelKind::Contact,
                operator: "都".into(),
                description: "都が運営するテレワーク推進の拠点です。".into(),
                url: Some("https://example.jp/center/".into()),
                phone: Some("03-1234-5678".into()),
                place: None,
                hours: Some("平日9時〜17時".into()),
                japanese: None,
            }],
            faq: faq_answer.map(|a| FaqAnswer {
                id: "q".into(),
                question: "テレワークの補助は？".into(),
                answer: a,
            }),
            lead: Some(format!("都に{}件の支援策があります。", programmes.len())),
            programmes,
            message: None,
            examples: Vec::new(),
            plan: PlanRef {
                title: "実施計画".into(),
                year: "令和5年度".into(),
                start: "2023-04-01".into(),
                basis: "実施計画（令和5年度、2023-04-01から実施）に基づく回答です。".into(),
                footer: "令和5年度 実施計画（2023年4月〜）より".into(),
            },
        }
    }

    fn buttons(reply: &Fitted) -> Vec<&Button> {
        reply
            .rows
            .iter()
            .flat_map(|r| match r {
                Row::Buttons(b) => b.iter().collect(),
                Row::Select(_) => Vec::new(),
            })
            .collect()
    }

    #[test]
    fn an_answer_is_one_embed_lead_first_with_programmes_by_name_and_a_link() {
        let a = sample(
            "テレワークの補助",
            Some("都は補助を実施しています。".into()),
            vec![programme(3, "テレワークの機器導入経費補助".into())],
        );
        let reply = answer(&a, &knowledge(), (42, 7), Audience::Public);
        assert_within_limits(&reply);
        assert_eq!(reply.embeds.len(), 1);
        let e = &reply.embeds[0];
        assert!(e.title.is_none(), "the question is not repeated");
        let d = e.description.as_deref().unwrap();
        let at = |s: &str| d.find(s).unwrap_or_else(|| panic!("{s} in {d}"));
        assert!(d.starts_with("**都に1件の支援策があります。**"), "{d}");
        assert!(at("都は補助を実施しています。") < at("**テレワークの機器導入経費補助**"));
        assert!(at("-# テレワークの推進 › 都 › イ・3") < at("東京テレワーク推進センター"));
        assert!(d.contains("03-1234-5678 ・ 平日9時〜17時"), "{d}");
        assert_eq!(
            e.footer.as_deref(),
            Some("令和5年度 実施計画（2023年4月〜）より")
        );
        let b = buttons(&reply);
        assert_eq!(b[0].url.as_deref(), Some("https://example.jp/center/"));
        assert_eq!(b[0].label.as_deref(), Some("東京テレワーク推進センター"));
        assert_eq!(b[1].custom_id, "vote:up:42");
        assert!(!reply.ephemeral);
    }

    #[test]
    fn a_referral_without_a_contact_points_to_the_default_channels_page() {
        let k = knowledge();
        let mut a = sample("x", None, vec![programme(1, "支援策".into())]);
        a.referrals[0].url = None;
        a.referrals[0].phone = None;
        let reply = answer(&a, &k, (1, 7), Audience::Public);
        let d = reply.embeds[0].description.as_deref().unwrap();
        assert!(d.contains(&k.messages.find_contact), "{d}");
        let default = k.default_channel().unwrap();
        assert_eq!(buttons(&reply)[0].url, default.url);
    }

    #[test]
    fn a_5000_character_faq_answer_is_cut_and_the_rest_kept() {
        let long = "テレワーク導入の補助について。".repeat(340);
        assert!(long.chars().count() > 5000);
        let a = sample(
            "テレワークの補助",
            Some(long),
            (1..=5)
                .map(|i| programme(i, format!("支援策{i}")))
                .collect(),
        );
        let reply = answer(&a, &knowledge(), (42, 7), Audience::Public);
        assert_within_limits(&reply);
        let d = reply.embeds[0].description.as_deref().unwrap();
        assert!(discord_len(d) <= limits::EMBED_DESCRIPTION);
        assert!(d.contains("…"), "the explanation is cut");
        for i in 1..=5 {
            assert!(d.contains(&format!("**支援策{i}**")), "{i}");
        }
        assert!(d.contains("東京テレワーク推進センター（都）"));
        assert!(
            reply.embeds[0]
                .footer
                .as_deref()
                .unwrap()
                .contains("令和5年度")
        );
    }

    #[test]
    fn a_did_you_mean_lists_candidates_by_name_in_a_menu_for_the_asker() {
        let programmes = (1..=30)
            .map(|i| programme(i, format!("{i}番目の支援策。").repeat(200)))
            .collect();
        let mut a = sample("x", Some("短い答え".into()), programmes);
        a.sure = false;
        a.decision = Decision::DidYouMean;
        a.lead = None;
        a.message = Some(messages().did_you_mean);
        let reply = answer(&a, &knowledge(), (7, 99), Audience::DeclinePrivately);
        assert_within_limits(&reply);
        assert!(!reply.ephemeral, "a suggestion is an answer");
        match &reply.rows[0] {
            Row::Select(s) => {
                assert_eq!(s.options.len(), limits::SELECT_OPTIONS);
                assert_eq!(s.custom_id, "pick:99");
                assert!(s.options[0].label.starts_with("1番目の支援策。"));
                assert_eq!(
                    s.options[0].description.as_deref(),
                    Some("テレワークの推進 › 都 › イ・1")
                );
            }
            other => panic!("expected the candidate menu, got {other:?}"),
        }
        let d = reply.embeds[0].description.as_deref().unwrap();
        assert!(d.contains(&messages().pick_hint), "{d}");
        assert!(!d.contains("短い答え"), "a suggestion, not an answer: {d}");
        assert!(d.contains("・5番目") && !d.contains("・6番目"), "{d}");
        assert!(matches!(&reply.rows[1], Row::Buttons(b) if b.len() == 3));
    }

    #[test]
    fn a_decline_offers_examples_the_programmes_and_a_contact() {
        let k = knowledge();
        let mut a = sample("明日の天気", None, vec![]);
        a.answered = false;
        a.sure = false;
        a.decision = Decision::Decline;
        a.lead = None;
        a.results.clear();
        a.message = Some(messages().no_match);
        a.examples = messages().examples;
        let slash = answer(&a, &k, (1, 7), Audience::DeclinePrivately);
        assert!(slash.ephemeral);
        let d = slash.embeds[0].description.as_deref().unwrap();
        assert!(d.starts_with(&messages().no_match), "{d}");
        for e in &messages().examples {
            assert!(d.contains(e.as_str()), "{e}");
        }
        let b = buttons(&slash);
        assert_eq!(b[0].custom_id, "programs");
        assert!(b[1].url.is_some(), "the contact's page");
        assert!(b.iter().all(|b| !b.custom_id.starts_with("vote")));
        assert!(!answer(&a, &k, (1, 7), Audience::Public).ephemeral);
        // In a server's channel, where others read it too, it is brief.
        let channel = answer(&a, &k, (1, 7), Audience::Channel);
        let d = channel.embeds[0].description.as_deref().unwrap();
        assert!(!d.contains(&messages().examples_intro), "{d}");
        assert_eq!(buttons(&channel)[0].custom_id, "programs");
    }

    #[test]
    fn the_question_is_not_echoed() {
        let a = sample(
            "@everyone <@1> 補助**は**?",
            None,
            vec![programme(1, "x".into())],
        );
        let reply = answer(&a, &knowledge(), (1, 7), Audience::Public);
        let d = reply.embeds[0].description.as_deref().unwrap();
        assert!(!d.contains("everyone") && !d.contains("<@"), "{d}");
    }

    #[test]
    fn help_names_the_commands_as_the_readers_client_shows_them() {
        let m = messages();
        let ja = help(&m, Some("ja")).embeds[0].description.clone().unwrap();
        assert!(ja.contains(&format!("/{}", m.bot.ask_name)), "{ja}");
        assert!(ja.contains(&format!("/{}", m.bot.programs_name)), "{ja}");
        let en = help(&m, Some("en-US")).embeds[0]
            .description
            .clone()
            .unwrap();
        assert!(en.contains("/ask") && en.contains("/programs"), "{en}");
        assert!(!en.contains('{'), "{en}");
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
