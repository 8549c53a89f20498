//! The Discord bot end to end: the real serenity client, run by
//! `madoguchi::discord::run` (and by the `madoguchi serve` binary), against
//! the test kit's fake Discord on 127.0.0.1. Every wait is bounded, so a
//! failure fails rather than hangs.

use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

use testkit::bot::{
    Bot, assert_no_mentions, config, embed_text, engine_over, human, member, messages,
    phone_height, spawn, within_limit,
};
use testkit::fake_discord::{
    BOT_ID, CHANNEL_ID, DM_CHANNEL_ID, FakeDiscord, GUILD_ID, OTHER_GUILD_ID, Recorded, STAFF_ROLE,
};
/// The bot's records, as [`Bot::records`] reads them.
const QUESTIONS_FILE: &str = "questions";
const UNANSWERED_FILE: &str = "unanswered";
const VOTES_FILE: &str = "votes";
use madoguchi::discord::{Config, RunError, Shards, Token, run};
use serde_json::Value;

const TOKEN: &str = "test-token.abc.def";
/// The longest any test may take.
const MANAGE_GUILD: u64 = 1 << 5;

const TELEWORK_Q: &str = "テレワークの機器を買うのに補助はありますか";
const TELEWORK_TEXT: &str = "テレワークの機器導入経費補助";
const TELEWORK_PLACE: &str = "テレワークの推進 › 都 › イ・3";
const OUT_OF_SCOPE_Q: &str = "明日の天気を教えて";

/// A bot over `data` (default: the repository's), connected to a fresh fake.
async fn start_bot_with(data: Option<&Path>, tweak: impl FnOnce(&mut Config)) -> Bot {
    Bot::start(FakeDiscord::start(TOKEN).await, data, tweak).await
}

async fn start_bot(tweak: impl FnOnce(&mut Config)) -> Bot {
    start_bot_with(None, tweak).await
}

fn custom_ids(body: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for row in body["components"].as_array().into_iter().flatten() {
        for c in row["components"].as_array().into_iter().flatten() {
            if let Some(id) = c["custom_id"].as_str() {
                out.push(id.to_string());
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mention_and_a_dm_are_answered_with_the_right_programme_and_no_pings() {
    within_limit(async {
        let bot = start_bot(|_| {}).await;
        // IDENTIFY: no privileged intent without answer channels.
        let identify = &bot.fake.identifies()[0];
        let intents = identify["intents"].as_u64().unwrap();
        assert_eq!(
            intents & (1 << 15),
            0,
            "no MESSAGE_CONTENT intent: {intents}"
        );
        assert_ne!(intents & (1 << 9), 0, "GUILD_MESSAGES");
        assert_ne!(intents & (1 << 12), 0, "DIRECT_MESSAGES");
        // The commands are registered globally.
        let reg = bot
            .fake
            .wait_request(
                "PUT",
                |p| p == format!("/applications/{BOT_ID}/commands"),
                |_| true,
            )
            .await;
        let names: HashSet<&str> = reg
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            HashSet::from(["ask", "programs", "help", "reload", "unanswered", "stats"])
        );

        // A mention in a guild channel.
        let id = bot.mention(&human(1), TELEWORK_Q).await;
        let reply = bot.fake.reply_to(CHANNEL_ID, id).await;
        let text = embed_text(&reply.body);
        assert!(text.contains(TELEWORK_TEXT), "{text}");
        assert!(text.contains(TELEWORK_PLACE), "{text}");
        assert!(text.contains("令和5年度"), "{text}");
        assert!(text.contains(&messages().referrals_heading));
        assert!(reply.body["embeds"][0]["title"].is_null(), "no echo");
        assert_no_mentions(&reply.body);
        let ids = custom_ids(&reply.body);
        assert!(ids.contains(&format!("vote:up:{id}")), "{ids:?}");
        assert!(ids.contains(&format!("vote:down:{id}")), "{ids:?}");

        // A direct message, no mention needed.
        let q = "外国人社員の日本語教育の費用を助成してほしい";
        let dm_id = bot.fake.id();
        let dm = FakeDiscord::message(dm_id, DM_CHANNEL_ID, None, &human(2), q, &[]);
        bot.fake.dispatch("MESSAGE_CREATE", dm).await;
        let reply = bot.fake.reply_to(DM_CHANNEL_ID, dm_id).await;
        let text = embed_text(&reply.body);
        let k = &testkit::engine().knowledge;
        let expected = k.measure("6.tokyo.e").unwrap();
        assert!(text.contains(&expected.text), "{text}");
        assert!(text.contains(&k.place(expected)), "{text}");
        assert_no_mentions(&reply.body);

        // A guild message that does not mention the bot is not a question.
        let quiet = bot.fake.id();
        let msg = FakeDiscord::message(
            quiet,
            CHANNEL_ID,
            Some(GUILD_ID),
            &human(3),
            TELEWORK_Q,
            &[],
        );
        bot.fake.dispatch("MESSAGE_CREATE", msg).await;

        let records = bot.records(QUESTIONS_FILE);
        let sources: Vec<&str> = records
            .iter()
            .map(|r| r["source"].as_str().unwrap())
            .collect();
        assert_eq!(sources, ["mention", "dm"]);
        assert_eq!(records[0]["query"], TELEWORK_Q);
        assert_eq!(records[0]["answer"], id);
        // The un-mentioned message got no reply (checked after a later answer).
        let later = bot.mention(&human(4), TELEWORK_Q).await;
        bot.fake.reply_to(CHANNEL_ID, later).await;
        assert!(bot.fake.requests().iter().all(|r| {
            r.body["message_reference"]["message_id"].as_str() != Some(&quiet.to_string())
        }));
        bot.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slash_ask_is_answered_through_the_interaction_callback() {
    within_limit(async {
        let bot = start_bot(|_| {}).await;
        let id = bot.fake.id();
        let cmd = FakeDiscord::command(id, &member(1), "ask", &[("question", TELEWORK_Q)]);
        bot.fake.dispatch("INTERACTION_CREATE", cmd).await;
        let cb = bot.fake.callback(id).await;
        assert_eq!(cb.path, format!("/interactions/{id}/tok{id}/callback"));
        assert_eq!(cb.body["type"], 4, "an immediate message: {}", cb.body);
        let data = &cb.body["data"];
        let text = embed_text(data);
        assert!(
            text.contains(TELEWORK_TEXT) && text.contains(TELEWORK_PLACE),
            "{text}"
        );
        assert_no_mentions(data);
        assert_eq!(
            data["flags"].as_u64().unwrap_or(0) & 64,
            0,
            "answers are public"
        );
        assert!(custom_ids(data).contains(&format!("vote:up:{id}")));
        let records = bot.records(QUESTIONS_FILE);
        assert_eq!(records[0]["source"], "slash");

        // /help and /programs are ephemeral and come from data/.
        let help = bot.fake.id();
        bot.fake
            .dispatch(
                "INTERACTION_CREATE",
                FakeDiscord::command(help, &member(1), "help", &[]),
            )
            .await;
        let cb = bot.fake.callback(help).await;
        assert_eq!(cb.body["data"]["flags"], 64);
        let m = messages();
        let shown_help = m.help_text(
            &format!("/{}", m.bot.ask_name),
            &format!("/{}", m.bot.programs_name),
        );
        assert!(embed_text(&cb.body["data"]).contains(&shown_help));
        let programs = bot.fake.id();
        bot.fake
            .dispatch(
                "INTERACTION_CREATE",
                FakeDiscord::command(programs, &member(1), "programs", &[]),
            )
            .await;
        let cb = bot.fake.callback(programs).await;
        let menu = &cb.body["data"]["components"][0]["components"][0];
        assert_eq!(menu["custom_id"], "area");
        let areas = testkit::engine().knowledge.areas.len();
        assert_eq!(menu["options"].as_array().unwrap().len(), areas);
        // Choosing an area lists its programmes.
        let pick = bot.fake.id();
        let c = FakeDiscord::component(pick, &member(1), "area", Some(&["2"]), programs);
        bot.fake.dispatch("INTERACTION_CREATE", c).await;
        let cb = bot.fake.callback(pick).await;
        let text = embed_text(&cb.body["data"]);
        assert!(text.contains("テレワークの推進"), "{text}");
        assert!(text.contains(TELEWORK_TEXT), "{text}");
        assert_no_mentions(&cb.body["data"]);
        // An area longer than a page turns pages in place.
        let k = &testkit::engine().knowledge;
        let (big, count) = k
            .areas
            .iter()
            .map(|a| {
                (
                    a.number,
                    k.measures.iter().filter(|m| m.area == a.number).count(),
                )
            })
            .max_by_key(|(_, n)| *n)
            .unwrap();
        if count > madoguchi::discord::render::AREA_PAGE {
            let turn = bot.fake.id();
            let c = FakeDiscord::component(turn, &member(1), &format!("page:{big}:1"), None, pick);
            bot.fake.dispatch("INTERACTION_CREATE", c).await;
            let cb = bot.fake.callback(turn).await;
            assert_eq!(
                cb.body["type"], 7,
                "the page is updated in place: {}",
                cb.body
            );
            let fields = cb.body["data"]["embeds"][0]["fields"]
                .as_array()
                .unwrap()
                .len();
            assert_eq!(fields, count - madoguchi::discord::render::AREA_PAGE);
        }
        // Picking a candidate from the 「もしかして…」 menu answers it, to
        // the one who chose only; the asker's own menu is theirs alone.
        let asker = human(1)["id"].as_str().unwrap().to_string();
        let chosen = bot.fake.id();
        let mine = format!("pick:{asker}");
        let c = FakeDiscord::component(chosen, &member(1), &mine, Some(&["m:2.tokyo.b.3"]), pick);
        bot.fake.dispatch("INTERACTION_CREATE", c).await;
        let cb = bot.fake.callback(chosen).await;
        assert_eq!(cb.body["type"], 4);
        assert_eq!(cb.body["data"]["flags"], 64, "answered privately");
        let text = embed_text(&cb.body["data"]);
        assert!(text.contains(TELEWORK_PLACE), "{text}");
        assert_no_mentions(&cb.body["data"]);
        let other = bot.fake.id();
        let c = FakeDiscord::component(other, &member(2), &mine, Some(&["m:2.tokyo.b.3"]), pick);
        bot.fake.dispatch("INTERACTION_CREATE", c).await;
        let cb = bot.fake.callback(other).await;
        assert_eq!(cb.body["data"]["flags"], 64);
        let refusal = messages()
            .pick_not_yours
            .replace("{ask}", &format!("/{}", messages().bot.ask_name));
        assert_eq!(cb.body["data"]["content"], refusal);
        assert_eq!(
            bot.records(QUESTIONS_FILE)
                .iter()
                .filter(|r| r["source"] == "pick")
                .count(),
            1
        );
        assert_eq!(
            bot.records(QUESTIONS_FILE).last().unwrap()["source"],
            "pick"
        );
        bot.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_answers_are_deferred_then_edited_in() {
    within_limit(async {
        // defer_after = 0: every slash answer takes the deferred path.
        let bot = start_bot(|c| c.defer_after = Duration::ZERO).await;
        let id = bot.fake.id();
        let cmd = FakeDiscord::command(id, &member(1), "ask", &[("question", TELEWORK_Q)]);
        bot.fake.dispatch("INTERACTION_CREATE", cmd).await;
        let cb = bot.fake.callback(id).await;
        assert_eq!(cb.body["type"], 5, "deferred: {}", cb.body);
        let edit = bot
            .fake
            .wait_request(
                "PATCH",
                |p| p == format!("/webhooks/{BOT_ID}/tok{id}/messages/@original"),
                |_| true,
            )
            .await;
        let text = embed_text(&edit.body);
        assert!(text.contains(TELEWORK_TEXT), "{text}");
        assert_no_mentions(&edit.body);

        // A declined question on the deferred path: an ephemeral followup,
        // and the public placeholder removed.
        let id = bot.fake.id();
        let cmd = FakeDiscord::command(id, &member(1), "ask", &[("question", OUT_OF_SCOPE_Q)]);
        bot.fake.dispatch("INTERACTION_CREATE", cmd).await;
        let followup = bot
            .fake
            .wait_request(
                "POST",
                |p| p == format!("/webhooks/{BOT_ID}/tok{id}"),
                |_| true,
            )
            .await;
        assert_eq!(followup.body["flags"], 64, "{}", followup.body);
        assert!(embed_text(&followup.body).contains(&messages().no_match));
        assert_no_mentions(&followup.body);
        bot.fake
            .wait_request(
                "DELETE",
                |p| p == format!("/webhooks/{BOT_ID}/tok{id}/messages/@original"),
                |_| true,
            )
            .await;
        bot.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn autocomplete_offers_programme_titles() {
    within_limit(async {
        let bot = start_bot(|_| {}).await;
        let id = bot.fake.id();
        bot.fake
            .dispatch(
                "INTERACTION_CREATE",
                FakeDiscord::autocomplete(id, &member(1), "テレワーク"),
            )
            .await;
        let cb = bot.fake.callback(id).await;
        assert_eq!(cb.body["type"], 8, "{}", cb.body);
        let choices = cb.body["data"]["choices"].as_array().unwrap();
        assert!(!choices.is_empty() && choices.len() <= 25, "{choices:?}");
        for c in choices {
            let name = c["name"].as_str().unwrap();
            assert!(name.contains("テレワーク"), "{name}");
            assert!(
                name.chars().count() <= 100 && c["value"].as_str().unwrap().chars().count() <= 100
            );
        }
        assert!(
            choices
                .iter()
                .any(|c| c["name"].as_str().unwrap().contains(TELEWORK_TEXT))
        );
        bot.stop().await;
    })
    .await;
}

/// An English question is answered in English in Discord too: the English
/// headings and names, each programme with its Japanese name. With
/// `MADOGUCHI_VIEW_DIR` set, the reply is written there as a payload for
/// `discord-view`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_english_question_is_answered_in_english_in_discord() {
    within_limit(async {
        let bot = start_bot(|_| {}).await;
        let q = "Is there a subsidy for telework equipment in Tokyo?";
        let id = bot.mention(&human(1), q).await;
        let reply = bot.fake.reply_to(CHANNEL_ID, id).await;
        let text = embed_text(&reply.body);
        let m = messages();
        assert!(text.contains(&m.en.referrals_heading), "{text}");
        assert!(text.contains("Subsidy for telework equipment"), "{text}");
        assert!(
            text.contains(TELEWORK_TEXT),
            "the Japanese name beside: {text}"
        );
        assert!(!text.contains(&m.referrals_heading), "{text}");
        assert_no_mentions(&reply.body);
        if let Some(dir) = std::env::var_os("MADOGUCHI_VIEW_DIR") {
            let doc = serde_json::json!({"question": q, "surface": "mention", "final": reply.body});
            std::fs::write(
                std::path::Path::new(&dir).join("english.json"),
                serde_json::to_vec_pretty(&doc).unwrap(),
            )
            .unwrap();
        }
        bot.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vote_button_press_is_recorded_with_what_was_shown() {
    within_limit(async {
        let bot = start_bot(|_| {}).await;
        let q = bot.mention(&human(1), TELEWORK_Q).await;
        bot.fake.reply_to(CHANNEL_ID, q).await;
        let press = bot.fake.id();
        let c = FakeDiscord::component(press, &member(2), &format!("vote:up:{q}"), None, 424242);
        bot.fake.dispatch("INTERACTION_CREATE", c).await;
        let cb = bot.fake.callback(press).await;
        assert_eq!(cb.body["type"], 4);
        assert_eq!(cb.body["data"]["flags"], 64, "thanks are ephemeral");
        assert_eq!(cb.body["data"]["content"], messages().vote_thanks);
        assert_no_mentions(&cb.body["data"]);
        let votes = bot.records(VOTES_FILE);
        assert_eq!(votes.len(), 1);
        assert_eq!(votes[0]["vote"], "up");
        assert_eq!(votes[0]["answer"], q);
        assert_eq!(votes[0]["query"], TELEWORK_Q);
        let shown = bot.records(QUESTIONS_FILE)[0]["shown"].clone();
        assert!(!shown.as_array().unwrap().is_empty());
        assert_eq!(votes[0]["shown"], shown);

        // A vote id that is no button of its message (forged) is not stored.
        let press = bot.fake.id();
        let mut forged =
            FakeDiscord::component(press, &member(3), "vote:down:123456789", None, 424242);
        forged["message"]["components"] = serde_json::json!([]);
        bot.fake.dispatch("INTERACTION_CREATE", forged).await;
        let honest = bot.fake.id();
        let c = FakeDiscord::component(honest, &member(4), &format!("vote:down:{q}"), None, 424242);
        bot.fake.dispatch("INTERACTION_CREATE", c).await;
        bot.fake.callback(honest).await;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let votes = bot.records(VOTES_FILE);
        assert!(
            votes.iter().all(|v| v["answer"] != 123_456_789),
            "{votes:?}"
        );
        assert!(
            bot.fake
                .requests()
                .iter()
                .all(|r| !r.path.contains(&format!("/interactions/{press}/"))),
            "a forged press gets no reply"
        );
        bot.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_out_of_scope_question_is_declined_politely_and_recorded() {
    within_limit(async {
        let bot = start_bot(|_| {}).await;
        let id = bot.mention(&human(1), OUT_OF_SCOPE_Q).await;
        let reply = bot.fake.reply_to(CHANNEL_ID, id).await;
        let text = embed_text(&reply.body);
        assert!(text.contains(&messages().no_match), "{text}");
        assert!(text.contains("経営指導員"), "the default referral: {text}");
        assert_eq!(
            custom_ids(&reply.body),
            ["programs"],
            "no votes on a decline; the programmes by area instead"
        );
        // The button opens the areas of the plan, to the one who pressed.
        let press = bot.fake.id();
        let c = FakeDiscord::component(press, &member(1), "programs", None, 424242);
        bot.fake.dispatch("INTERACTION_CREATE", c).await;
        let cb = bot.fake.callback(press).await;
        assert_eq!(cb.body["data"]["flags"], 64);
        let menu = &cb.body["data"]["components"][0]["components"][0];
        assert_eq!(menu["custom_id"], "area");
        assert_no_mentions(&reply.body);
        // By slash command: ephemeral.
        let sid = bot.fake.id();
        let cmd = FakeDiscord::command(sid, &member(1), "ask", &[("question", OUT_OF_SCOPE_Q)]);
        bot.fake.dispatch("INTERACTION_CREATE", cmd).await;
        let cb = bot.fake.callback(sid).await;
        assert_eq!(cb.body["data"]["flags"], 64, "{}", cb.body);
        assert!(embed_text(&cb.body["data"]).contains(&messages().no_match));
        let unanswered = bot.records(UNANSWERED_FILE);
        assert_eq!(unanswered.len(), 2);
        assert!(
            unanswered
                .iter()
                .all(|r| r["query"] == OUT_OF_SCOPE_Q && r["answered"] == false)
        );
        bot.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_bots_and_the_bot_itself_are_ignored() {
    within_limit(async {
        let bot = start_bot(|_| {}).await;
        let other_bot = FakeDiscord::user(6000, "otherbot", true);
        let from_bot = bot.fake.id();
        let text = format!("<@{BOT_ID}> {TELEWORK_Q}");
        let m = FakeDiscord::message(
            from_bot,
            CHANNEL_ID,
            Some(GUILD_ID),
            &other_bot,
            &text,
            &[FakeDiscord::bot_user()],
        );
        bot.fake.dispatch("MESSAGE_CREATE", m).await;
        let from_self = bot.fake.id();
        let m = FakeDiscord::message(
            from_self,
            DM_CHANNEL_ID,
            None,
            &FakeDiscord::bot_user(),
            TELEWORK_Q,
            &[],
        );
        bot.fake.dispatch("MESSAGE_CREATE", m).await;
        // A human's question afterwards is answered; the two before are not.
        let id = bot.mention(&human(1), TELEWORK_Q).await;
        bot.fake.reply_to(CHANNEL_ID, id).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let posts: Vec<Recorded> = bot
            .fake
            .requests()
            .into_iter()
            .filter(|r| r.method == "POST" && r.path.starts_with("/channels/"))
            .collect();
        assert_eq!(posts.len(), 1, "{posts:?}");
        assert_eq!(bot.records(QUESTIONS_FILE).len(), 1);
        bot.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn everyone_inside_a_question_pings_nobody() {
    within_limit(async {
        let bot = start_bot(|_| {}).await;
        let q = format!("@everyone {TELEWORK_Q}");
        let id = bot.mention(&human(1), &q).await;
        let reply = bot.fake.reply_to(CHANNEL_ID, id).await;
        assert_no_mentions(&reply.body);
        let text = embed_text(&reply.body);
        assert!(!text.contains("@everyone"), "{text}");
        // The question was searched without the mention, and answered.
        assert!(text.contains(TELEWORK_TEXT), "{text}");
        assert_eq!(bot.records(QUESTIONS_FILE)[0]["query"], TELEWORK_Q);
        // Role, user and channel mentions and @here are echoed inert too.
        let noisy = "@here <@&4242> <@5001> <#3000> **太字**";
        let id = bot.mention(&human(2), noisy).await;
        let reply = bot.fake.reply_to(CHANNEL_ID, id).await;
        assert_no_mentions(&reply.body);
        let text = embed_text(&reply.body);
        for raw in ["@here", "<@&4242>", "<@5001>", "<#3000>", "太字"] {
            assert!(!text.contains(raw), "{raw} in {text}");
        }
        bot.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_and_direction_characters_are_not_echoed() {
    within_limit(async {
        let bot = start_bot(|_| {}).await;
        let q = "テレワーク\u{202E}の機器\u{0}を買う\u{1b}[31mのに\u{2066}補助\u{FEFF}はありますか";
        let id = bot.mention(&human(1), q).await;
        let reply = bot.fake.reply_to(CHANNEL_ID, id).await;
        let text = embed_text(&reply.body);
        for hidden in ['\u{202E}', '\u{0}', '\u{1b}', '\u{2066}', '\u{FEFF}'] {
            assert!(!text.contains(hidden), "{hidden:?} echoed in {text:?}");
        }
        assert!(text.contains(TELEWORK_TEXT), "answered: {text}");
        assert_no_mentions(&reply.body);
        bot.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_the_gateway_drops_the_bot_reconnects_and_answers_again() {
    within_limit(async {
        let bot = start_bot(|_| {}).await;
        let first = bot.mention(&human(1), TELEWORK_Q).await;
        bot.fake.reply_to(CHANNEL_ID, first).await;
        bot.fake.drop_connection();
        // serenity resumes the session (or identifies anew) on its own.
        bot.fake.wait_sessions(2).await;
        let second = bot.mention(&human(2), TELEWORK_Q).await;
        let reply = bot.fake.reply_to(CHANNEL_ID, second).await;
        assert!(embed_text(&reply.body).contains(TELEWORK_TEXT));
        assert_eq!(bot.fake.resumes() + bot.fake.identifies().len(), 2);
        bot.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_200_questions_from_20_users_is_answered_once_each() {
    within_limit(async {
        let bot = start_bot(|_| {}).await;
        let questions = [
            TELEWORK_Q,
            "外国人社員の日本語教育の費用を助成してほしい",
            "時差出勤を広めたい",
            OUT_OF_SCOPE_Q,
            "女性管理職を育てたい",
        ];
        let mut ids = Vec::new();
        for i in 0..200u64 {
            let id = bot.fake.id();
            let user = human(i % 20);
            let text = format!("<@{BOT_ID}> {}", questions[i as usize % questions.len()]);
            let m = FakeDiscord::message(
                id,
                CHANNEL_ID,
                Some(GUILD_ID),
                &user,
                &text,
                &[FakeDiscord::bot_user()],
            );
            bot.fake.dispatch("MESSAGE_CREATE", m).await;
            ids.push(id);
        }
        let wanted: HashSet<String> = ids.iter().map(u64::to_string).collect();
        let replies = bot
            .fake
            .wait_until("200 replies", |f| {
                let replies: Vec<String> = f
                    .requests()
                    .into_iter()
                    .filter(|r| {
                        r.method == "POST" && r.path == format!("/channels/{CHANNEL_ID}/messages")
                    })
                    .filter_map(|r| {
                        r.body["message_reference"]["message_id"]
                            .as_str()
                            .map(str::to_string)
                    })
                    .collect();
                (replies.len() >= 200).then_some(replies)
            })
            .await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let all: Vec<String> = bot
            .fake
            .requests()
            .into_iter()
            .filter(|r| r.method == "POST" && r.path.starts_with("/channels/"))
            .filter_map(|r| {
                r.body["message_reference"]["message_id"]
                    .as_str()
                    .map(str::to_string)
            })
            .collect();
        assert_eq!(all.len(), 200, "each question answered exactly once");
        let got: HashSet<String> = replies.into_iter().collect();
        assert_eq!(got, wanted, "none lost, none answered twice");
        assert_eq!(bot.records(QUESTIONS_FILE).len(), 200);
        bot.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cooldown_and_the_length_cap_hold_back_questions() {
    within_limit(async {
        let bot = start_bot(|c| {
            c.cooldown = Duration::from_secs(600);
            c.max_question_chars = 50;
        })
        .await;
        let first = bot.mention(&human(1), TELEWORK_Q).await;
        assert!(
            embed_text(&bot.fake.reply_to(CHANNEL_ID, first).await.body).contains(TELEWORK_TEXT)
        );
        let again = bot.mention(&human(1), TELEWORK_Q).await;
        let reply = bot.fake.reply_to(CHANNEL_ID, again).await;
        assert_eq!(reply.body["content"], messages().cooldown);
        assert_no_mentions(&reply.body);
        // Another user is not held back; a long question is refused.
        let long = bot.mention(&human(2), &"テレワーク".repeat(20)).await;
        let reply = bot.fake.reply_to(CHANNEL_ID, long).await;
        assert_eq!(
            reply.body["content"],
            messages().too_long.replace("{max}", "50")
        );
        assert_eq!(bot.records(QUESTIONS_FILE).len(), 1);
        bot.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeats_within_the_cooldown_get_one_notice_and_repeated_votes_count_once() {
    within_limit(async {
        let bot = start_bot(|c| c.cooldown = Duration::from_secs(600)).await;
        let first = bot.mention(&human(1), TELEWORK_Q).await;
        bot.fake.reply_to(CHANNEL_ID, first).await;
        let mut again = Vec::new();
        for _ in 0..10 {
            again.push(bot.mention(&human(1), TELEWORK_Q).await);
        }
        // Someone else's question after them is answered: the ten were seen.
        let other = bot.mention(&human(2), TELEWORK_Q).await;
        bot.fake.reply_to(CHANNEL_ID, other).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let notices: Vec<Recorded> = bot
            .fake
            .requests()
            .into_iter()
            .filter(|r| r.method == "POST" && r.path == format!("/channels/{CHANNEL_ID}/messages"))
            .filter(|r| {
                r.body["message_reference"]["message_id"]
                    .as_str()
                    .and_then(|m| m.parse::<u64>().ok())
                    .is_some_and(|m| again.contains(&m))
            })
            .collect();
        assert_eq!(notices.len(), 1, "one notice per window: {notices:?}");
        assert_eq!(notices[0].body["content"], messages().cooldown);
        // By slash command: the notice is seen only by the asker.
        for _ in 0..2 {
            let id = bot.fake.id();
            let cmd = FakeDiscord::command(id, &member(1), "ask", &[("question", TELEWORK_Q)]);
            bot.fake.dispatch("INTERACTION_CREATE", cmd).await;
            let cb = bot.fake.callback(id).await;
            assert_eq!(cb.body["data"]["content"], messages().cooldown);
            assert_eq!(cb.body["data"]["flags"], 64, "ephemeral");
        }

        // Fifty 👎 presses and then a 👍 by one user: one vote, the 👍.
        for n in 0..51 {
            let press = bot.fake.id();
            let v = if n < 50 { "down" } else { "up" };
            let c =
                FakeDiscord::component(press, &member(3), &format!("vote:{v}:{first}"), None, 1);
            bot.fake.dispatch("INTERACTION_CREATE", c).await;
            let cb = bot.fake.callback(press).await;
            assert_eq!(cb.body["data"]["content"], messages().vote_thanks);
        }
        let manager = FakeDiscord::member(&human(5), MANAGE_GUILD, &[]);
        let stats = staff_command(&bot, &manager, GUILD_ID, "stats").await["data"].clone();
        let files = bot
            .fake
            .requests()
            .into_iter()
            .rev()
            .find(|r| !r.files.is_empty())
            .map(|r| r.files)
            .unwrap_or_default();
        dump_view("stats", "stats", &stats, &files);
        let text = embed_text(&stats);
        assert!(text.contains("👍 1　👎 0"), "{text}");
        assert!(
            text.contains(&format!("**{TELEWORK_TEXT}**")),
            "by name: {text}"
        );
        let votes = bot.records(VOTES_FILE);
        assert_eq!(votes.len(), 1, "one vote per voter and answer: {votes:?}");
        assert_eq!(votes[0]["vote"], "up", "the latest counts: {votes:?}");
        let user = human(3)["id"].as_str().unwrap().to_string();
        for v in &votes {
            assert!(!v.to_string().contains(&user), "no user id stored: {v}");
        }
        bot.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_commands_are_checked_on_the_server_and_reload_keeps_the_last_good_knowledge() {
    within_limit(async {
        let tmp = tempfile::tempdir().unwrap();
        let data = testkit::copy_data(tmp.path());
        let bot = start_bot_with(Some(&data), |_| {}).await;
        let out = bot.mention(&human(1), OUT_OF_SCOPE_Q).await;
        bot.fake.reply_to(CHANNEL_ID, out).await;
        let ok = bot.mention(&human(2), TELEWORK_Q).await;
        bot.fake.reply_to(CHANNEL_ID, ok).await;

        // Not staff: refused, whatever Discord's own permission gate did.
        let id = bot.fake.id();
        bot.fake
            .dispatch(
                "INTERACTION_CREATE",
                FakeDiscord::command(id, &member(3), "stats", &[]),
            )
            .await;
        let cb = bot.fake.callback(id).await;
        assert_eq!(cb.body["data"]["content"], messages().staff_only);
        assert_eq!(cb.body["data"]["flags"], 64);

        // Staff by role: /unanswered lists the question; by Manage Server: /stats.
        let by_role = FakeDiscord::member(&human(4), 0, &[STAFF_ROLE]);
        let body = staff_command(&bot, &by_role, GUILD_ID, "unanswered").await;
        dump_view("unanswered", "unanswered", &body["data"], &[]);
        let text = embed_text(&body["data"]);
        assert!(
            text.contains(OUT_OF_SCOPE_Q) && text.contains("・1件"),
            "{text}"
        );
        assert!(!text.contains(TELEWORK_Q), "only what was declined: {text}");
        assert_eq!(body["data"]["flags"], 64);
        let manager = FakeDiscord::member(&human(5), MANAGE_GUILD, &[]);
        let id = bot.fake.id();
        bot.fake
            .dispatch(
                "INTERACTION_CREATE",
                FakeDiscord::command(id, &manager, "stats", &[]),
            )
            .await;
        let cb = bot.fake.callback(id).await;
        let text = embed_text(&cb.body["data"]);
        assert!(text.contains("質問数: 2"), "{text}");
        assert!(text.contains("該当なし: 1（50.0%）"), "{text}");
        assert!(text.contains("もしかして: 0（0.0%）"), "{text}");
        // The chart of the last weeks, attached and shown in the embed.
        assert_eq!(cb.files.len(), 1, "one attachment");
        let (name, png) = &cb.files[0];
        assert_eq!(name, "weekly.png");
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() < 8 * 1024 * 1024);
        assert_eq!(
            cb.body["data"]["embeds"][0]["image"]["url"],
            "attachment://weekly.png"
        );
        let footer = cb.body["data"]["embeds"][0]["footer"]["text"]
            .as_str()
            .unwrap();
        assert_eq!(
            footer,
            messages().report.stats_chart.replace("{weeks}", "8")
        );
        // Each record carries what search decided.
        let decisions: Vec<Value> = bot
            .records(QUESTIONS_FILE)
            .iter()
            .map(|r| r["decision"].clone())
            .collect();
        assert_eq!(decisions, ["decline", "answer"]);

        // A broken data/: /reload reports the problem and the bot keeps answering.
        let plan = data.join("plan.toml");
        let good = std::fs::read_to_string(&plan).unwrap();
        std::fs::write(
            &plan,
            good.replacen("[[measure]]", "[[measure]]\nbroken = ", 1),
        )
        .unwrap();
        let id = bot.fake.id();
        bot.fake
            .dispatch(
                "INTERACTION_CREATE",
                FakeDiscord::command(id, &manager, "reload", &[]),
            )
            .await;
        let cb = bot.fake.callback(id).await;
        assert_eq!(cb.body["type"], 5);
        assert_eq!(cb.body["data"]["flags"], 64);
        let report = bot
            .fake
            .wait_request(
                "PATCH",
                |p| p == format!("/webhooks/{BOT_ID}/tok{id}/messages/@original"),
                |_| true,
            )
            .await;
        let text = embed_text(&report.body);
        assert!(text.contains(&messages().reload_failed), "{text}");
        assert!(text.contains("plan.toml"), "{text}");
        let after = bot.mention(&human(6), TELEWORK_Q).await;
        assert!(
            embed_text(&bot.fake.reply_to(CHANNEL_ID, after).await.body).contains(TELEWORK_TEXT)
        );
        // Fixed: /reload succeeds.
        std::fs::write(&plan, good).unwrap();
        let id = bot.fake.id();
        bot.fake
            .dispatch(
                "INTERACTION_CREATE",
                FakeDiscord::command(id, &manager, "reload", &[]),
            )
            .await;
        let report = bot
            .fake
            .wait_request(
                "PATCH",
                |p| p == format!("/webhooks/{BOT_ID}/tok{id}/messages/@original"),
                |_| true,
            )
            .await;
        assert!(
            report.body["content"]
                .as_str()
                .unwrap()
                .contains(&messages().reload_ok)
        );
        bot.stop().await;
    })
    .await;
}

/// Runs `/name` as `member` in `guild`; returns the callback's body.
async fn staff_command(bot: &Bot, member: &Value, guild: u64, name: &str) -> Value {
    let id = bot.fake.id();
    let cmd = FakeDiscord::in_guild(FakeDiscord::command(id, member, name, &[]), guild);
    bot.fake.dispatch("INTERACTION_CREATE", cmd).await;
    bot.fake.callback(id).await.body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_of_another_server_are_refused_and_home_staff_see_only_their_server() {
    within_limit(async {
        // Global commands, a staff role and no guild_id: the home server is
        // the one that holds the staff role.
        let bot = start_bot(|_| {}).await;
        let ours = bot.mention(&human(1), OUT_OF_SCOPE_Q).await;
        bot.fake.reply_to(CHANNEL_ID, ours).await;
        let theirs_q = "山田太郎 090-1234-5678 に電話してください";
        let theirs = bot.fake.id();
        let m = FakeDiscord::message(
            theirs,
            CHANNEL_ID,
            Some(OTHER_GUILD_ID),
            &human(2),
            &format!("<@{BOT_ID}> {theirs_q}"),
            &[FakeDiscord::bot_user()],
        );
        bot.fake.dispatch("MESSAGE_CREATE", m).await;
        bot.fake.reply_to(CHANNEL_ID, theirs).await;
        let dm_q = "カピバラを飼いたい";
        let dm = bot.fake.id();
        let m = FakeDiscord::message(dm, DM_CHANNEL_ID, None, &human(3), dm_q, &[]);
        bot.fake.dispatch("MESSAGE_CREATE", m).await;
        bot.fake.reply_to(DM_CHANNEL_ID, dm).await;

        // Manage Server (and Administrator) in the other server: refused.
        for perms in [MANAGE_GUILD, 1 << 3] {
            let manager = FakeDiscord::member(&human(4), perms, &[]);
            for name in ["unanswered", "stats", "reload"] {
                let body = staff_command(&bot, &manager, OTHER_GUILD_ID, name).await;
                assert_eq!(body["type"], 4, "{name}: {body}");
                assert_eq!(body["data"]["content"], messages().staff_only, "{name}");
                assert_eq!(body["data"]["flags"], 64);
                assert!(!body.to_string().contains("090"), "{body}");
            }
        }
        // Its reload was not run: nothing was deferred or edited.
        let requests = bot.fake.requests();
        assert!(
            !requests.iter().any(|r| r.method == "PATCH"),
            "no /reload report"
        );

        // Manage Server at home: the home server's questions and the DMs.
        let manager = FakeDiscord::member(&human(5), MANAGE_GUILD, &[]);
        let body = staff_command(&bot, &manager, GUILD_ID, "unanswered").await;
        let text = embed_text(&body["data"]);
        assert!(text.contains(OUT_OF_SCOPE_Q), "{text}");
        assert!(text.contains(dm_q), "{text}");
        assert!(!text.contains("090") && !text.contains("山田"), "{text}");
        let body = staff_command(&bot, &manager, GUILD_ID, "stats").await;
        let text = embed_text(&body["data"]);
        assert!(text.contains("質問数: 2"), "{text}");
        // The records say where each question came from.
        let guilds: Vec<Value> = bot
            .records(QUESTIONS_FILE)
            .iter()
            .map(|r| r["guild"].clone())
            .collect();
        assert_eq!(
            guilds,
            [
                serde_json::json!(GUILD_ID),
                serde_json::json!(OTHER_GUILD_ID),
                Value::Null
            ]
        );
        bot.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_commands_follow_the_configured_guild_and_need_one_configured() {
    within_limit(async {
        let bot = start_bot(|c| {
            c.guild_id = Some(GUILD_ID);
            c.staff_role = None;
        })
        .await;
        let manager = FakeDiscord::member(&human(5), MANAGE_GUILD, &[]);
        let body = staff_command(&bot, &manager, OTHER_GUILD_ID, "stats").await;
        assert_eq!(body["data"]["content"], messages().staff_only);
        let body = staff_command(&bot, &manager, GUILD_ID, "stats").await;
        assert!(embed_text(&body["data"]).contains("質問数: 0"), "{body}");
        bot.stop().await;

        // Neither guild_id nor staff_role: nobody is staff, and the refusal
        // says what to configure.
        let bot = start_bot(|c| {
            c.guild_id = None;
            c.staff_role = None;
        })
        .await;
        for guild in [GUILD_ID, OTHER_GUILD_ID] {
            let body = staff_command(&bot, &manager, guild, "unanswered").await;
            assert_eq!(body["data"]["content"], messages().staff_unconfigured);
            assert_eq!(body["data"]["flags"], 64);
        }
        bot.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_survive_a_restart() {
    within_limit(async {
        let bot = start_bot(|_| {}).await;
        let q = bot.mention(&human(1), TELEWORK_Q).await;
        bot.fake.reply_to(CHANNEL_ID, q).await;
        let (state, index) = (bot.state.clone(), bot.index.clone());
        let fake = bot.fake.clone();
        let kept = bot.stop_keeping_files().await;
        // A new bot over the same state directory.
        let engine = engine_over(&testkit::repo().join("data"), &index).await;
        let mut c = config(&fake, &testkit::repo().join("data"), &index, &state);
        c.max_backoff = Duration::from_millis(100);
        let (tx, task) = spawn(c, engine);
        fake.wait_sessions(2).await;
        let press = fake.id();
        let c = FakeDiscord::component(press, &member(2), &format!("vote:down:{q}"), None, 1);
        fake.dispatch("INTERACTION_CREATE", c).await;
        fake.callback(press).await;
        let manager = FakeDiscord::member(&human(5), MANAGE_GUILD, &[]);
        let id = fake.id();
        fake.dispatch(
            "INTERACTION_CREATE",
            FakeDiscord::command(id, &manager, "stats", &[]),
        )
        .await;
        let text = embed_text(&fake.callback(id).await.body["data"]);
        assert!(text.contains("質問数: 1"), "{text}");
        assert!(text.contains("👎 1"), "{text}");
        let vote = testkit::stored_records(&state, VOTES_FILE)[0].clone();
        assert_eq!(
            vote["query"], TELEWORK_Q,
            "what was shown is known after the restart"
        );
        tx.send(()).unwrap();
        tokio::time::timeout(Duration::from_secs(10), task)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        drop(kept);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clean_restarts_do_not_count_as_a_crash_loop() {
    within_limit(async {
        let fake = FakeDiscord::start(TOKEN).await;
        let state = tempfile::tempdir().unwrap();
        let index = tempfile::tempdir().unwrap();
        let data = testkit::repo().join("data");
        for n in 1..=5 {
            let engine = engine_over(&data, index.path()).await;
            let mut c = config(&fake, &data, index.path(), state.path());
            c.max_backoff = Duration::from_secs(60);
            let started = std::time::Instant::now();
            let (tx, task) = spawn(c, engine);
            fake.wait_sessions(n).await;
            assert!(
                started.elapsed() < Duration::from_secs(4),
                "start {n} connected without a crash-loop wait: {:?}",
                started.elapsed()
            );
            tx.send(()).unwrap();
            tokio::time::timeout(Duration::from_secs(10), task)
                .await
                .unwrap()
                .unwrap()
                .unwrap();
        }
        // The next start is still a first start.
        let wait = madoguchi::discord::crash_backoff(state.path(), Duration::from_secs(60));
        assert_eq!(wait, Duration::ZERO);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_token_is_an_error_not_a_retry_loop() {
    within_limit(async {
        let fake = FakeDiscord::start("the-real-token").await;
        let state = tempfile::tempdir().unwrap();
        let index = tempfile::tempdir().unwrap();
        let data = testkit::repo().join("data");
        let engine = engine_over(&data, index.path()).await;
        let mut c = config(&fake, &data, index.path(), state.path());
        c.token = Token::new(TOKEN).unwrap(); // not the one the fake accepts
        let result = tokio::time::timeout(
            Duration::from_secs(10),
            run(c, engine, std::future::pending()),
        )
        .await
        .expect("returns at once");
        assert!(matches!(result, Err(RunError::TokenRejected)), "{result:?}");
        let calls = fake.requests().len();
        assert_eq!(calls, 1, "one request, no retries");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_does_not_hang_when_no_shard_has_started() {
    within_limit(async {
        let fake = FakeDiscord::start(TOKEN).await;
        // A gateway where nothing listens: no shard can ever start.
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("ws://{}", closed.local_addr().unwrap());
        drop(closed);
        fake.set_gateway_url(&url);
        let state = tempfile::tempdir().unwrap();
        let index = tempfile::tempdir().unwrap();
        let data = testkit::repo().join("data");
        let engine = engine_over(&data, index.path()).await;
        let mut c = config(&fake, &data, index.path(), state.path());
        c.shards = Shards::Range {
            first: 0,
            last: 0,
            total: 1,
        };
        let (tx, task) = spawn(c, engine);
        fake.wait_request("GET", |p| p == "/gateway", |_| true)
            .await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        tx.send(()).unwrap();
        let result = tokio::time::timeout(Duration::from_secs(5), task)
            .await
            .expect("run returns promptly on shutdown")
            .unwrap();
        assert!(result.is_ok(), "{result:?}");
    })
    .await;
}

/// The binary: token from `.env`, settings from a config file, SIGTERM
/// shuts it down cleanly; the token never appears in its logs.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn madoguchi_serve_runs_from_env_file_and_config_and_stops_on_sigterm() {
    within_limit(async {
        let fake = FakeDiscord::start(TOKEN).await;
        let dir = tempfile::tempdir().unwrap();
        tokio::task::spawn_blocking(testkit::engine).await.unwrap();
        std::fs::write(dir.path().join(".env"), format!("DISCORD_TOKEN={TOKEN}\n")).unwrap();
        let state = dir.path().join("state");
        // The records elsewhere than in the state directory.
        let elsewhere = dir.path().join("elsewhere");
        std::fs::write(
            dir.path().join("bot.toml"),
            format!(
                "api_base = \"{}\"\nstate = \"{}\"\nrecords = \"sqlite://{}/records.sqlite3\"\nguild_id = {GUILD_ID}\nshards = \"0/1\"\nlog_format = \"json\"\ncooldown_seconds = 0\n",
                fake.base,
                state.display(),
                elsewhere.display()
            ),
        )
        .unwrap();
        let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_madoguchi"))
            .current_dir(dir.path())
            .args(["serve", "--config", "bot.toml"])
            .env_remove("DISCORD_TOKEN")
            .env_remove("DISCORD_API_BASE")
            .env_remove("RUST_LOG")
            .env("MADOGUCHI_DATA", testkit::repo().join("data"))
            .env("MADOGUCHI_INDEX", dir.path().join("index"))
            .env("MADOGUCHI_DICTIONARY", testkit::dictionary_dir())
            .env("MADOGUCHI_IPADIC", testkit::ipadic_source())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        fake.wait_sessions(1).await;
        // Commands go to the configured guild.
        fake.wait_request(
            "PUT",
            |p| p == format!("/applications/{BOT_ID}/guilds/{GUILD_ID}/commands"),
            |_| true,
        )
        .await;
        let id = fake.id();
        let m = FakeDiscord::message(id, DM_CHANNEL_ID, None, &human(1), TELEWORK_Q, &[]);
        fake.dispatch("MESSAGE_CREATE", m).await;
        fake.reply_to(DM_CHANNEL_ID, id).await;
        assert!(elsewhere.join(madoguchi::records::DATABASE_FILE).exists());
        assert!(!state.join(madoguchi::records::DATABASE_FILE).exists());
        let pid = child.id().unwrap().to_string();
        let mut child = child;
        // SIGHUP reloads data/ and SIGUSR1 is ignored: the bot keeps serving.
        for signal in ["-HUP", "-USR1"] {
            let sent = std::process::Command::new("kill").args([signal, &pid]).status().unwrap();
            assert!(sent.success());
        }
        tokio::time::sleep(Duration::from_millis(1_500)).await;
        assert!(child.try_wait().unwrap().is_none(), "still serving");
        let id = fake.id();
        let m = FakeDiscord::message(id, DM_CHANNEL_ID, None, &human(2), TELEWORK_Q, &[]);
        fake.dispatch("MESSAGE_CREATE", m).await;
        fake.reply_to(DM_CHANNEL_ID, id).await;
        let status = std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(status.success());
        let out = tokio::time::timeout(Duration::from_secs(15), child.wait_with_output())
            .await
            .expect("exits within 15 s of SIGTERM")
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        assert!(!stderr.contains(TOKEN), "the token leaked into the logs");
        let first = stderr.lines().find(|l| l.starts_with('{')).expect("JSON log lines");
        let line: Value = serde_json::from_str(first).unwrap();
        assert!(line["level"].is_string(), "{first}");
        assert!(stderr.contains("reloading data/"), "{stderr}");
        assert!(stderr.contains("knowledge"), "{stderr}");
        // Stopped by SIGTERM: the questions' records were written first.
        let questions = testkit::stored_records(&elsewhere, QUESTIONS_FILE);
        assert_eq!(questions.len(), 2, "{questions:?}");
        assert_eq!(questions[0]["source"], "dm");
    })
    .await;
}

#[test]
fn madoguchi_serve_without_a_token_or_with_a_bad_one_exits_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    testkit::engine();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_madoguchi"))
        .current_dir(dir.path())
        .arg("serve")
        .env_remove("DISCORD_TOKEN")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("DISCORD_TOKEN is not set"));

    let rt = tokio::runtime::Runtime::new().unwrap();
    let fake = rt.block_on(FakeDiscord::start("the-real-token"));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_madoguchi"))
        .current_dir(dir.path())
        .arg("serve")
        .env("DISCORD_TOKEN", "a-wrong-token-123")
        .env("DISCORD_API_BASE", &fake.base)
        .env("MADOGUCHI_STATE", dir.path().join("state"))
        .env("MADOGUCHI_DATA", testkit::repo().join("data"))
        .env("MADOGUCHI_INDEX", dir.path().join("index"))
        .env("MADOGUCHI_DICTIONARY", testkit::dictionary_dir())
        .env("MADOGUCHI_IPADIC", testkit::ipadic_source())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("rejected the token"), "{stderr}");
    assert!(!stderr.contains("a-wrong-token-123"), "{stderr}");
    drop(rt);
}

/// The weekly picture: two processes sharing a state directory, both due
/// on a Monday morning, post it once; asked again that week, neither posts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_weekly_picture_is_posted_once_by_several_processes() {
    use madoguchi::discord::state::Shared;
    use madoguchi::discord::weekly;
    use madoguchi::records::{Location, Options, QuestionRecord, Records, Source};
    use serenity::all::{HttpBuilder, UserId};
    within_limit(async {
        let fake = FakeDiscord::start(TOKEN).await;
        let state = tempfile::tempdir().unwrap();
        let index = tempfile::tempdir().unwrap();
        let data = testkit::repo().join("data");
        // 2026-11-30 is a Monday; 09:30 in Japan.
        let monday: madoguchi::data::Date = "2026-11-30".parse().unwrap();
        let now = monday.days() * 86_400 + 30 * 60;
        let open = || async {
            Records::open(
                state.path(),
                &Location::in_state(state.path()),
                &Options::default(),
            )
            .await
            .unwrap()
        };
        {
            let records = open().await;
            for i in 0..12u64 {
                let answered = i % 3 != 0;
                records.question(&QuestionRecord {
                    // The week before: Monday 23rd to Sunday 29th.
                    ts: (now - 7 * 86_400 + i as i64 * 40_000) as u64,
                    answer: 100 + i,
                    source: Source::Dm,
                    query: TELEWORK_Q.into(),
                    answered,
                    sure: answered,
                    decision: None,
                    confidence: 0.5,
                    shown: if answered {
                        vec!["2.tokyo.b.3".into()]
                    } else {
                        vec![]
                    },
                    faq: None,
                    guild: None,
                });
            }
            assert_eq!(records.close(Duration::from_secs(30)).await, 0);
        }
        let mut shared = Vec::new();
        for _ in 0..2 {
            let mut c = config(&fake, &data, index.path(), state.path());
            c.staff_channel = Some(CHANNEL_ID);
            let engine = engine_over(&data, index.path()).await;
            let records = open().await;
            shared.push(Shared::new(c, engine, records, UserId::new(BOT_ID)));
        }
        let http = HttpBuilder::new(TOKEN)
            .proxy(fake.base.as_str())
            .ratelimiter_disabled(true)
            .build();
        let (a, b) = tokio::join!(
            weekly::post_due(&shared[0], &http, CHANNEL_ID, now),
            weekly::post_due(&shared[1], &http, CHANNEL_ID, now)
        );
        assert!(a && b, "both are done with the week");
        let path = format!("/channels/{CHANNEL_ID}/messages");
        let posts: Vec<_> = fake
            .requests()
            .into_iter()
            .filter(|r| r.method == "POST" && r.path == path)
            .collect();
        assert_eq!(posts.len(), 1, "posted once");
        let post = &posts[0];
        let title = messages()
            .report
            .weekly_title
            .replace("{from}", "2026-11-23")
            .replace("{to}", "2026-11-29");
        assert_eq!(post.body["embeds"][0]["title"], title.as_str());
        let text = embed_text(&post.body);
        assert!(text.contains("12") && text.contains("33.3%"), "{text}");
        assert_eq!(post.files.len(), 1);
        assert_eq!(post.files[0].0, weekly::CHART_FILE);
        // To look at it: MADOGUCHI_WEEKLY_PNG=weekly.png.
        if let Some(to) = std::env::var_os("MADOGUCHI_WEEKLY_PNG") {
            std::fs::write(to, &post.files[0].1).unwrap();
        }
        assert_no_mentions(&post.body);
        // Later that Monday: already posted.
        assert!(weekly::post_due(&shared[1], &http, CHANNEL_ID, now + 3600).await);
        let again = fake
            .requests()
            .into_iter()
            .filter(|r| r.method == "POST" && r.path == path)
            .count();
        assert_eq!(again, 1);

        // The next Monday the records cannot be read: nothing is posted and
        // the claim is given back, so the week is posted once they can.
        let next = now + 7 * 86_400;
        let db = rusqlite::Connection::open(state.path().join("records.sqlite3")).unwrap();
        db.execute_batch("ALTER TABLE daily RENAME TO daily_away")
            .unwrap();
        assert!(!weekly::post_due(&shared[0], &http, CHANNEL_ID, next).await);
        db.execute_batch("ALTER TABLE daily_away RENAME TO daily")
            .unwrap();
        assert!(weekly::post_due(&shared[1], &http, CHANNEL_ID, next).await);
        let posted = fake
            .requests()
            .into_iter()
            .filter(|r| r.method == "POST" && r.path == path)
            .count();
        assert_eq!(
            posted, 2,
            "the week whose reading failed is posted after all"
        );
    })
    .await;
}

/// The questions an owner typically asks, each on the surface it is asked
/// on: the replies the views are judged on.
const TYPICAL: [(&str, &str, &str); 8] = [
    (
        "01-telework",
        "slash",
        "テレワークの導入に使える補助金はありますか",
    ),
    (
        "02-polite",
        "mention",
        "お世話になっております。従業員15人の製造業です。繁忙期の残業が多く、社員が疲れています。専門家に相談できる窓口はありますか",
    ),
    (
        "03-english",
        "mention",
        "Is there a subsidy for telework equipment in Tokyo?",
    ),
    (
        "04-nihongo",
        "slash",
        "外国人社員の日本語教育に助成金はありますか",
    ),
    (
        "05-ryoritsu",
        "slash",
        "育児と介護の両立支援で使える奨励金は？",
    ),
    ("06-josei", "slash", "女性管理職を増やしたい"),
    ("07-did-you-mean", "slash", "申請方法"),
    ("08-decline", "slash", "今日の天気は？"),
];

/// Whether a reply gives a way to reach someone: a link button, a web
/// address or a phone number.
fn reaches_someone(reply: &Value) -> bool {
    let link_button = reply["components"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|row| row["components"].as_array().into_iter().flatten())
        .any(|c| c["style"] == 5 && c["url"].as_str().is_some_and(|u| u.starts_with("https://")));
    let text = embed_text(reply);
    let phone = regex::Regex::new(r"0\d{1,4}-\d{1,4}-\d{3,4}").unwrap();
    link_button || text.contains("https://") || phone.is_match(&text)
}

/// Each typical answer fits one phone screen (estimated from the payload:
/// lines, embeds, fields, rows), in at most two embeds, and shows a way to
/// reach a referral; the "did you mean" offers its candidates and a decline
/// a way forward. With `MADOGUCHI_VIEW_DIR` set, each reply is written
/// there as a payload for `discord-view`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typical_answers_fit_one_phone_screen_and_reach_someone() {
    within_limit(async {
        let bot = start_bot(|_| {}).await;
        let mut failures = Vec::new();
        for (name, surface, q) in TYPICAL {
            let reply = match surface {
                "slash" => {
                    let id = bot.fake.id();
                    let cmd = FakeDiscord::command(id, &member(1), "ask", &[("question", q)]);
                    bot.fake.dispatch("INTERACTION_CREATE", cmd).await;
                    let cb = bot.fake.callback(id).await;
                    assert_eq!(cb.body["type"], 4, "{name}: an immediate message");
                    cb.body["data"].clone()
                }
                _ => {
                    let id = bot.mention(&human(1), q).await;
                    bot.fake.reply_to(CHANNEL_ID, id).await.body
                }
            };
            if let Some(dir) = std::env::var_os("MADOGUCHI_VIEW_DIR") {
                let doc = serde_json::json!({"question": q, "surface": surface,
                    "command": "質問", "final": reply});
                std::fs::write(
                    Path::new(&dir).join(format!("{name}.json")),
                    serde_json::to_vec_pretty(&doc).unwrap(),
                )
                .unwrap();
            }
            assert_no_mentions(&reply);
            let height = phone_height(&reply);
            let embeds = reply["embeds"].as_array().map_or(0, Vec::len);
            eprintln!("{name}: about {height} px on a phone, {embeds} embed(s)");
            if height > 800 {
                failures.push(format!("{name}: {height} px on a phone"));
            }
            if embeds > 2 {
                failures.push(format!("{name}: {embeds} embeds"));
            }
            if !reaches_someone(&reply) {
                failures.push(format!("{name}: no way to reach a referral"));
            }
            let kinds: Vec<u64> = reply["components"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|row| row["components"].as_array().into_iter().flatten())
                .filter_map(|c| c["type"].as_u64())
                .collect();
            match name {
                "07-did-you-mean" if !kinds.contains(&3) => {
                    failures.push(format!("{name}: no menu of candidates"))
                }
                "08-decline" if !kinds.contains(&2) => {
                    failures.push(format!("{name}: no button to go on with"))
                }
                _ => {}
            }
        }
        assert!(failures.is_empty(), "{failures:#?}");
        bot.stop().await;
    })
    .await;
}

/// With `MADOGUCHI_VIEW_DIR` set, writes a staff command's reply there as a
/// `discord-view` payload, with the images it carries beside it.
fn dump_view(name: &str, command: &str, reply: &Value, files: &[(String, Vec<u8>)]) {
    let Some(dir) = std::env::var_os("MADOGUCHI_VIEW_DIR") else {
        return;
    };
    let doc = serde_json::json!({"question": "", "surface": "slash",
        "command": command, "final": reply});
    let dir = Path::new(&dir);
    std::fs::write(
        dir.join(format!("{name}.json")),
        serde_json::to_vec_pretty(&doc).unwrap(),
    )
    .unwrap();
    for (file, bytes) in files {
        std::fs::write(dir.join(format!("{name}-{file}")), bytes).unwrap();
    }
}
