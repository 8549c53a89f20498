//! The Discord bot when Discord misbehaves, under load and against abuse,
//! with the real serenity client against the fake Discord on 127.0.0.1:
//! rate limits (route and global, through serenity's own rate limiter over
//! TLS), server errors, a revoked token, a channel without permission, an
//! interaction answered too late, gateway close codes, a burst of 1,000
//! questions, hostile Discord markdown, staff commands from non-staff, and
//! the token kept out of every log line. Every wait is bounded.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use madoguchi::discord::{Config, RunError};
use serde_json::json;
use testkit::bot::{
    Bot, assert_no_mentions, embed_text, human, member, messages, posts, replies_to, within_limit,
};
use testkit::fake_discord::{
    BOT_ID, CHANNEL_ID, DM_CHANNEL_ID, FakeDiscord, Fault, GUILD_ID, Recorded, STAFF_ROLE,
};

const TOKEN: &str = "reliability-token.SECRET.xyz";
const TELEWORK_Q: &str = "テレワークの機器を買うのに補助はありますか";
const TELEWORK_TEXT: &str = "テレワークの機器導入経費補助";

// ---- logs: captured for assertions, and shown when a test fails -------------

fn log_buffer() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = Arc::clone(&buffer);
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("warn,madoguchi=debug"))
            .with_ansi(false)
            .with_writer(move || Capture(Arc::clone(&writer)))
            .try_init();
        buffer
    })
}

struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        // Shown by the test harness when the test fails.
        print!("{}", String::from_utf8_lossy(buf));
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Waits (polling, at most 20 s) until `check` holds of the logs.
async fn logged_eventually(what: &str, check: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !check() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn log_lines(needle: &str) -> Vec<String> {
    let logs = log_buffer().lock().unwrap();
    String::from_utf8_lossy(&logs)
        .lines()
        .filter(|l| l.contains(needle))
        .map(str::to_string)
        .collect()
}

// ---- a bot against a fresh fake -------------------------------------------------

/// A bot on `data/` against `fake`, its logs captured.
async fn start_bot(fake: FakeDiscord, tweak: impl FnOnce(&mut Config)) -> Bot {
    log_buffer();
    Bot::start(fake, None, tweak).await
}

// ---- REST faults ----------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_on_a_route_and_global_are_waited_out_and_retried() {
    within_limit(async {
        // Over TLS as discord.com: serenity's own rate limiter is on, as in
        // production.
        let fake = FakeDiscord::start_tls(TOKEN).await;
        let bot = start_bot(fake, |_| {}).await;
        let path = format!("/channels/{CHANNEL_ID}/messages");
        for (global, retry_after) in [(false, 1.5), (true, 2.5)] {
            bot.fake
                .fail("POST", &path, 1, Fault::rate_limited(retry_after, global));
            let before = posts(&bot.fake, &path).len();
            let id = bot.mention(1, TELEWORK_Q).await;
            let reply = bot.answered(id).await;
            assert!(embed_text(&reply["request"]).contains(TELEWORK_TEXT));
            let tries: Vec<Recorded> = posts(&bot.fake, &path).split_off(before);
            assert_eq!(
                tries.iter().map(|r| r.status).collect::<Vec<_>>(),
                [429, 200],
                "global {global}: one 429, then one retry"
            );
            let waited = tries[1].at - tries[0].at;
            assert!(
                waited >= Duration::from_secs_f64(retry_after),
                "global {global}: retried after {waited:?}, before retry_after {retry_after} s"
            );
            assert_eq!(bot.replies_to(id).len(), 1);
        }
        // Interaction callbacks too.
        bot.fake
            .fail("POST", "/interactions/", 1, Fault::rate_limited(0.5, false));
        let id = bot.fake.id();
        let cmd = FakeDiscord::command(id, &member(2), "ask", &[("question", TELEWORK_Q)]);
        bot.fake.dispatch("INTERACTION_CREATE", cmd).await;
        bot.fake
            .wait_until("the callback delivered after the 429", |f| {
                f.requests()
                    .iter()
                    .any(|r| r.path.starts_with(&format!("/interactions/{id}/")) && r.status == 204)
                    .then_some(())
            })
            .await;
        bot.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_an_api_proxy_a_429_is_waited_out_as_long_as_it_asks() {
    within_limit(async {
        // Plain HTTP through serenity's proxy setting: its rate limiter is
        // off, so the bot itself must read how long to wait.
        let bot = start_bot(FakeDiscord::start(TOKEN).await, |_| {}).await;
        let path = format!("/channels/{CHANNEL_ID}/messages");
        let in_body = |secs: f64| Fault {
            status: 429,
            headers: Vec::new(),
            body: json!({"message": "You are being rate limited.",
                         "retry_after": secs, "global": false, "code": 0}),
            processed: false,
        };
        let in_header = |secs: f64| Fault {
            status: 429,
            headers: vec![("x-ratelimit-reset-after", secs.to_string())],
            body: json!({"message": "You are being rate limited.", "code": 0}),
            processed: false,
        };
        for (what, fault, secs) in [
            ("retry_after in the body", in_body(2.5), 2.5),
            ("X-RateLimit-Reset-After", in_header(2.2), 2.2),
        ] {
            bot.fake.fail("POST", &path, 1, fault);
            let before = posts(&bot.fake, &path).len();
            let id = bot.mention(1, TELEWORK_Q).await;
            let reply = bot.answered(id).await;
            assert!(embed_text(&reply["request"]).contains(TELEWORK_TEXT));
            let tries: Vec<Recorded> = posts(&bot.fake, &path).split_off(before);
            assert_eq!(
                tries.iter().map(|r| r.status).collect::<Vec<_>>(),
                [429, 200],
                "{what}: one 429, then one retry"
            );
            let waited = tries[1].at - tries[0].at;
            assert!(
                waited >= Duration::from_secs_f64(secs),
                "{what}: retried after {waited:?}, before the {secs} s asked"
            );
            assert!(
                waited < Duration::from_secs_f64(secs + 2.0),
                "{what}: {waited:?}"
            );
            assert_eq!(bot.replies_to(id).len(), 1);
        }
        bot.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_are_retried_and_each_answer_is_posted_once() {
    within_limit(async {
        let bot = start_bot(FakeDiscord::start(TOKEN).await, |_| {}).await;
        let path = format!("/channels/{CHANNEL_ID}/messages");
        // Two failures, the second after Discord had created the message:
        // the nonce keeps the third attempt from posting it again.
        bot.fake.fail("POST", &path, 1, Fault::server_error(502));
        bot.fake.fail(
            "POST",
            &path,
            1,
            Fault::server_error(500).after_processing(),
        );
        let id = bot.mention(1, TELEWORK_Q).await;
        bot.fake
            .wait_until("three attempts", |f| {
                (posts(f, &path).len() >= 3).then_some(())
            })
            .await;
        let tries = posts(&bot.fake, &path);
        assert_eq!(
            tries.iter().map(|r| r.status).collect::<Vec<_>>(),
            [502, 500, 200]
        );
        assert!(tries[1].at - tries[0].at >= Duration::from_millis(500));
        assert!(tries[2].at - tries[1].at >= Duration::from_millis(1000));
        let nonces: HashSet<String> = tries.iter().map(|r| r.body["nonce"].to_string()).collect();
        assert_eq!(nonces.len(), 1, "the same nonce on every attempt");
        assert_eq!(tries[0].body["enforce_nonce"], true);
        assert_eq!(bot.replies_to(id).len(), 1, "posted once");

        // A 503 on an interaction callback: retried, delivered.
        bot.fake
            .fail("POST", "/interactions/", 1, Fault::server_error(503));
        let id = bot.fake.id();
        let cmd = FakeDiscord::command(id, &member(2), "ask", &[("question", TELEWORK_Q)]);
        bot.fake.dispatch("INTERACTION_CREATE", cmd).await;
        bot.fake
            .wait_until("the callback delivered after the 503", |f| {
                f.requests()
                    .iter()
                    .any(|r| r.path.starts_with(&format!("/interactions/{id}/")) && r.status == 204)
                    .then_some(())
            })
            .await;

        // Failing for good (four 5xx in a row): given up after the fourth,
        // and the bot goes on answering.
        let down: u64 = 4_444_002;
        let down_path = format!("/channels/{down}/messages");
        bot.fake
            .fail("POST", &down_path, 5, Fault::server_error(503));
        let lost = bot.mention_in(down, 3, TELEWORK_Q).await;
        bot.fake
            .wait_until("four attempts", |f| {
                (posts(f, &down_path).len() >= 4).then_some(())
            })
            .await;
        let next = bot.mention(4, TELEWORK_Q).await;
        bot.answered(next).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(
            posts(&bot.fake, &down_path).len(),
            4,
            "four attempts in all"
        );
        assert!(bot.replies_to(lost).is_empty());
        bot.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_channel_without_permission_is_logged_once_and_skipped() {
    within_limit(async {
        let bot = start_bot(FakeDiscord::start(TOKEN).await, |_| {}).await;
        let closed: u64 = 4_444_001;
        let path = format!("/channels/{closed}/messages");
        bot.fake
            .fail("POST", &path, 10, Fault::missing_permissions());
        bot.mention_in(closed, 1, TELEWORK_Q).await;
        // Once the bot has taken the 403 in (it says so in the log).
        logged_eventually("the 403 taken in", || {
            log_lines(&format!("channel={closed}"))
                .iter()
                .any(|l| l.contains("WARN"))
        })
        .await;
        for user in 2..=3 {
            bot.mention_in(closed, user, TELEWORK_Q).await;
        }
        // A question elsewhere is still answered (and comes after the three).
        let elsewhere = bot.mention(9, TELEWORK_Q).await;
        bot.answered(elsewhere).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let tries = posts(&bot.fake, &path);
        assert_eq!(tries.len(), 1, "one attempt, then the channel is skipped");
        assert_eq!(tries[0].status, 403);
        let logged = log_lines(&closed.to_string());
        let warnings: Vec<&String> = logged.iter().filter(|l| l.contains("WARN")).collect();
        assert_eq!(warnings.len(), 1, "logged once: {logged:#?}");
        assert!(warnings[0].contains("403"), "{}", warnings[0]);
        bot.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interaction_answered_too_late_is_logged_not_fatal() {
    within_limit(async {
        let bot = start_bot(FakeDiscord::start(TOKEN).await, |_| {}).await;
        let late = bot.fake.id();
        bot.fake.fail(
            "POST",
            &format!("/interactions/{late}/"),
            1,
            Fault::unknown_interaction(),
        );
        let cmd = FakeDiscord::command(late, &member(1), "ask", &[("question", TELEWORK_Q)]);
        bot.fake.dispatch("INTERACTION_CREATE", cmd).await;
        bot.fake.callback(late).await;
        logged_eventually("the 10062 logged", || !log_lines("10062").is_empty()).await;
        // Still answering, and the expired one was not tried again.
        let next = bot.fake.id();
        let cmd = FakeDiscord::command(next, &member(2), "ask", &[("question", TELEWORK_Q)]);
        bot.fake.dispatch("INTERACTION_CREATE", cmd).await;
        let cb = bot.fake.callback(next).await;
        assert!(embed_text(&cb.body["data"]).contains(TELEWORK_TEXT));
        let late_calls = bot
            .fake
            .requests()
            .iter()
            .filter(|r| r.path.contains(&format!("tok{late}")))
            .count();
        assert_eq!(late_calls, 1, "an expired interaction is not retried");
        bot.stop().await;

        // On the deferred path: the defer expired, so nothing is edited.
        let bot = start_bot(FakeDiscord::start(TOKEN).await, |c| {
            c.defer_after = Duration::ZERO;
        })
        .await;
        let late = bot.fake.id();
        bot.fake.fail(
            "POST",
            &format!("/interactions/{late}/"),
            1,
            Fault::unknown_interaction(),
        );
        let cmd = FakeDiscord::command(late, &member(1), "ask", &[("question", TELEWORK_Q)]);
        bot.fake.dispatch("INTERACTION_CREATE", cmd).await;
        bot.fake.callback(late).await;
        let next = bot.fake.id();
        let cmd = FakeDiscord::command(next, &member(2), "ask", &[("question", TELEWORK_Q)]);
        bot.fake.dispatch("INTERACTION_CREATE", cmd).await;
        bot.fake
            .wait_request("PATCH", |p| p.contains(&format!("tok{next}")), |_| true)
            .await;
        assert!(
            !bot.fake
                .requests()
                .iter()
                .any(|r| r.path.contains(&format!("/webhooks/{BOT_ID}/tok{late}"))),
            "no edit or followup for an expired interaction"
        );
        bot.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_revoked_while_running_stops_the_bot_with_a_clear_error() {
    within_limit(async {
        let mut bot = start_bot(FakeDiscord::start(TOKEN).await, |_| {}).await;
        let first = bot.mention(1, TELEWORK_Q).await;
        bot.answered(first).await;
        bot.fake.set_token("a-new-token-from-the-portal");
        bot.mention(2, TELEWORK_Q).await;
        let result = bot.ended(Duration::from_secs(15)).await;
        let err = result.expect_err("a revoked token ends run()");
        assert!(matches!(err, RunError::TokenRejected), "{err:?}");
        assert!(err.to_string().contains("DISCORD_TOKEN"), "{err}");
        assert!(!format!("{err} {err:?}").contains(TOKEN));
        let path = format!("/channels/{CHANNEL_ID}/messages");
        let unauthorized = posts(&bot.fake, &path)
            .iter()
            .filter(|r| r.status == 401)
            .count();
        assert_eq!(unauthorized, 1, "a 401 is not retried");
    })
    .await;
}

// ---- gateway close codes --------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_close_codes_resume_reidentify_or_stop() {
    within_limit(async {
        // 4000 (unknown error): the session is resumed.
        let bot = start_bot(FakeDiscord::start(TOKEN).await, |_| {}).await;
        bot.fake.close(4000);
        bot.fake.wait_sessions(2).await;
        assert_eq!(bot.fake.resumes(), 1, "resumed after 4000");
        let id = bot.mention(1, TELEWORK_Q).await;
        bot.answered(id).await;
        // 4009 (session timed out): identified anew.
        bot.fake.close(4009);
        bot.fake.wait_sessions(3).await;
        assert_eq!(bot.fake.identifies().len(), 2, "a new IDENTIFY after 4009");
        let id = bot.mention(2, TELEWORK_Q).await;
        bot.answered(id).await;
        bot.stop().await;

        // 4004 (authentication failed) and 4014 (disallowed intents): the
        // bot stops with the matching error and does not connect again.
        for (code, intents) in [(4004, false), (4014, true)] {
            let mut bot = start_bot(FakeDiscord::start(TOKEN).await, |_| {}).await;
            bot.fake.close(code);
            let err = bot
                .ended(Duration::from_secs(15))
                .await
                .expect_err("the bot stops");
            if intents {
                assert!(matches!(err, RunError::Intents), "{code}: {err:?}");
                assert!(err.to_string().contains("Message Content"), "{err}");
            } else {
                assert!(matches!(err, RunError::TokenRejected), "{code}: {err:?}");
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
            assert_eq!(bot.fake.identifies().len(), 1, "{code}: not retried");
            assert_eq!(bot.fake.resumes(), 0, "{code}: not resumed");
        }
    })
    .await;
}

// ---- load -----------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_1000_questions_from_100_users_gets_one_reply_or_a_quiet_hold_back_each() {
    within_limit(async {
        let cooldown = Duration::from_millis(300);
        let bot = start_bot(FakeDiscord::start(TOKEN).await, |c| c.cooldown = cooldown).await;
        let questions = [
            TELEWORK_Q,
            "外国人社員の日本語教育の費用を助成してほしい",
            "時差出勤を広めたい",
            "明日の天気を教えて",
            "女性管理職を育てたい",
            "@everyone 人手が足りない",
        ];
        let started = std::time::Instant::now();
        let mut ids = Vec::new();
        for i in 0..1000u64 {
            let user = i % 100;
            let text = questions[(i / 100) as usize % questions.len()];
            ids.push(bot.mention(user, text).await);
        }
        let sent = started.elapsed();
        let wanted: HashSet<String> = ids.iter().map(u64::to_string).collect();
        // A question from a new user after the burst: once it is answered,
        // the burst has been dealt with (replies and quiet hold-backs).
        let last = bot.mention(1000, TELEWORK_Q).await;
        bot.answered(last).await;
        let took = started.elapsed();
        tokio::time::sleep(Duration::from_millis(500)).await;
        let created = bot.fake.created();
        let mut per_question: HashMap<String, usize> = HashMap::new();
        for m in &created {
            let to = m["request"]["message_reference"]["message_id"]
                .as_str()
                .unwrap()
                .to_string();
            *per_question.entry(to).or_default() += 1;
        }
        per_question.remove(&last.to_string());
        assert!(per_question.values().all(|n| *n == 1), "never two replies");
        let replied: HashSet<String> = per_question.keys().cloned().collect();
        assert!(replied.is_subset(&wanted));
        // Per user: every answer opens a cooldown, and each cooldown gets
        // at most one notice; the other questions in it get no reply.
        let mut per_user: HashMap<u64, (usize, usize)> = HashMap::new();
        for (i, id) in ids.iter().enumerate() {
            let id = id.to_string();
            let Some(m) = created
                .iter()
                .find(|m| m["request"]["message_reference"]["message_id"] == id.as_str())
            else {
                continue;
            };
            let counts = per_user.entry(i as u64 % 100).or_default();
            if m["request"]["content"] == messages().cooldown {
                counts.1 += 1;
            } else {
                counts.0 += 1;
            }
        }
        assert_eq!(per_user.len(), 100, "every user got a reply");
        for (user, (answers, notices)) in &per_user {
            assert!(*answers >= 1, "user {user}: the first question is answered");
            assert!(notices <= answers, "user {user}: {notices} notices for {answers} cooldowns");
        }
        let answers: usize = per_user.values().map(|c| c.0).sum();
        let notices: usize = per_user.values().map(|c| c.1).sum();
        assert_eq!(answers + 1, bot.questions().len(), "every answer recorded");
        assert!(notices > 0, "a burst meets the cooldown");
        assert!(created.iter().all(|m| {
            m["request"]["allowed_mentions"]["parse"] == json!([])
        }));
        println!(
            "burst: 1000 questions dispatched in {sent:?}, dealt with in {took:?}: {answers} answers, {notices} cooldown notices, the rest held back quietly"
        );
        assert!(took < Duration::from_secs(60), "{took:?}");
        bot.stop().await;
    })
    .await;
}

// ---- hostile Discord text ------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discord_markup_in_questions_pings_nobody_and_stays_inert() {
    within_limit(async {
        let bot = start_bot(FakeDiscord::start(TOKEN).await, |_| {}).await;
        let cases = [
            "@everyone テレワークの補助は？",
            "@here 助成金",
            "<@&4242> <@5001> <@!5002> <#3000> テレワーク",
            "```テレワークの補助",
            "```rust\nfn main() {}\n``` 補助金 ```",
            "||ネタバレ|| テレワーク",
            "# 見出し\n## テレワーク\n-# 小さい字",
            "[公式サイト](https://evil.example/) テレワークの補助",
            "https://discord.gg/abcdef に参加して テレワーク",
            "> 引用\n>>> 全部引用 テレワーク",
            "**太字** __下線__ ~~取り消し~~ *斜体* `コード` テレワーク",
            "<t:1700000000:R> <:emoji:123> </ask:5000> テレワーク",
            "\\@everyone \\<@5001> 補助",
        ];
        for (i, q) in cases.iter().enumerate() {
            let id = bot.mention(100 + i as u64, q).await;
            let reply = bot.answered(id).await;
            let body = &reply["request"];
            assert_no_mentions(body);
            assert!(
                body["embeds"][0]["title"].is_null(),
                "the question is not echoed"
            );
            let title = body["embeds"][0]["title"].as_str().unwrap_or_default();
            let text = embed_text(body);
            for raw in [
                "@everyone",
                "@here",
                "<@",
                "<#",
                "<t:",
                "</",
                "<:",
                "```",
                "||",
                "**",
                "__",
                "~~",
                "](",
                "\n#",
                "\n>",
            ] {
                assert!(
                    !title.contains(raw),
                    "{q:?}: {raw:?} in the title {title:?}"
                );
            }
            assert!(
                !text.contains("@everyone") && !text.contains("@here"),
                "{q:?}: {text}"
            );
            assert!(
                !title.contains('\n'),
                "{q:?}: the echoed question stays on one line"
            );
            // Every markdown character of the question is escaped.
            let mut chars = title.chars().peekable();
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
                    "{q:?}: unescaped {c:?} in {title:?}"
                );
            }
            // Through a slash command too.
            let sid = bot.fake.id();
            let cmd = FakeDiscord::command(sid, &member(200 + i as u64), "ask", &[("question", q)]);
            bot.fake.dispatch("INTERACTION_CREATE", cmd).await;
            let cb = bot.fake.callback(sid).await;
            assert_no_mentions(&cb.body["data"]);
            let t = cb.body["data"]["embeds"][0]["title"]
                .as_str()
                .unwrap_or_default();
            assert!(
                !t.contains("@everyone") && !t.contains("<@") && !t.contains("```"),
                "{t}"
            );
        }
        bot.stop().await;
    })
    .await;
}

// ---- staff commands ------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_commands_are_refused_to_non_staff_whatever_the_overrides() {
    within_limit(async {
        let bot = start_bot(FakeDiscord::start(TOKEN).await, |_| {}).await;
        // Registered for Manage Server by default, never in DMs.
        let reg = bot
            .fake
            .wait_request("PUT", |p| p.ends_with("/commands"), |_| true)
            .await;
        for c in reg.body.as_array().unwrap() {
            if ["reload", "unanswered", "stats"].contains(&c["name"].as_str().unwrap()) {
                assert_eq!(c["default_member_permissions"], "32", "{c}");
                assert_eq!(c["dm_permission"], false, "{c}");
            }
        }
        // A guild that overrode the command permissions lets anyone invoke
        // them: Discord delivers the interaction, the bot still refuses.
        let everything_else = !(1u64 << 5) & !(1 << 3); // not MANAGE_GUILD, not ADMINISTRATOR
        let non_staff = [
            FakeDiscord::member(&human(1), 0, &[]),
            FakeDiscord::member(&human(2), everything_else, &[1, 2, 3]),
            FakeDiscord::member(&human(3), 1 << 13 | 1 << 28, &[STAFF_ROLE + 1]), // manage messages, manage roles
        ];
        let mut refused = 0;
        for m in &non_staff {
            for name in ["reload", "unanswered", "stats"] {
                let id = bot.fake.id();
                bot.fake
                    .dispatch("INTERACTION_CREATE", FakeDiscord::command(id, m, name, &[]))
                    .await;
                let cb = bot.fake.callback(id).await;
                assert_eq!(cb.body["type"], 4, "{name}: answered at once, not deferred");
                assert_eq!(cb.body["data"]["content"], messages().staff_only, "{name}");
                assert_eq!(cb.body["data"]["flags"], 64);
                refused += 1;
            }
        }
        // In a DM (no member at all): refused too.
        let id = bot.fake.id();
        let mut dm = FakeDiscord::command(id, &member(4), "stats", &[]);
        let user = dm["member"]["user"].clone();
        dm.as_object_mut().unwrap().remove("member");
        dm.as_object_mut().unwrap().remove("guild_id");
        dm["user"] = user;
        dm["channel_id"] = json!(DM_CHANNEL_ID.to_string());
        dm["context"] = json!(1);
        bot.fake.dispatch("INTERACTION_CREATE", dm).await;
        let cb = bot.fake.callback(id).await;
        assert_eq!(cb.body["data"]["content"], messages().staff_only);
        assert_eq!(refused, 9);
        // Staff by role and by Manage Server pass.
        for m in [
            FakeDiscord::member(&human(5), 0, &[STAFF_ROLE]),
            FakeDiscord::member(&human(6), 1 << 5, &[]),
        ] {
            let id = bot.fake.id();
            bot.fake
                .dispatch(
                    "INTERACTION_CREATE",
                    FakeDiscord::command(id, &m, "stats", &[]),
                )
                .await;
            let cb = bot.fake.callback(id).await;
            assert!(
                embed_text(&cb.body["data"]).contains("質問数"),
                "{}",
                cb.body
            );
        }
        bot.stop().await;
    })
    .await;
}

// ---- the token in logs -----------------------------------------------------------------

/// `madoguchi serve` with every log on (trace, serenity and its HTTP and
/// WebSocket stack included), through rate limits, server errors, a 403 and
/// finally a revoked token: the process ends with a clear message and exit
/// code 1, and the token appears nowhere in its output.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_never_appears_in_the_logs_even_at_trace_level() {
    within_limit(async {
        let fake = FakeDiscord::start(TOKEN).await;
        let dir = tempfile::tempdir().unwrap();
        tokio::task::spawn_blocking(testkit::engine).await.unwrap();
        let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_madoguchi"))
            .current_dir(dir.path())
            .args(["serve", "--shards", "0/1", "--cooldown", "0"])
            .env("DISCORD_TOKEN", TOKEN)
            .env("DISCORD_API_BASE", &fake.base)
            .env("RUST_LOG", "trace")
            .env("MADOGUCHI_STATE", dir.path().join("state"))
            .env("MADOGUCHI_DATA", testkit::repo().join("data"))
            .env("MADOGUCHI_INDEX", dir.path().join("index"))
            .env("MADOGUCHI_DICTIONARY", testkit::dictionary_dir())
            .env("MADOGUCHI_IPADIC", testkit::ipadic_source())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        // Read the output as it comes: trace logs fill a pipe quickly.
        let drain = |pipe: Option<_>| {
            tokio::spawn(async move {
                let mut pipe: Box<dyn tokio::io::AsyncRead + Unpin + Send> =
                    Box::new(pipe.unwrap());
                let mut out = Vec::new();
                let _ = tokio::io::AsyncReadExt::read_to_end(&mut pipe, &mut out).await;
                String::from_utf8_lossy(&out).into_owned()
            })
        };
        let mut child = child;
        let stderr = drain(
            child
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn tokio::io::AsyncRead + Unpin + Send>),
        );
        let stdout = drain(
            child
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn tokio::io::AsyncRead + Unpin + Send>),
        );
        fake.wait_sessions(1).await;
        let path = format!("/channels/{CHANNEL_ID}/messages");
        fake.fail("POST", &path, 1, Fault::server_error(502));
        fake.fail("POST", &path, 1, Fault::rate_limited(0.2, false));
        let ask = |user: u64| {
            let id = fake.id();
            let m = FakeDiscord::message(
                id,
                DM_CHANNEL_ID,
                None,
                &human(user),
                &format!("{TELEWORK_Q} {TOKEN}?"),
                &[],
            );
            (id, m)
        };
        let (id, m) = ask(1);
        fake.dispatch("MESSAGE_CREATE", m).await;
        fake.wait_until("the answer after a 502 and a 429", |f| {
            (!replies_to(f, id).is_empty()).then_some(())
        })
        .await;
        fake.fail(
            "POST",
            &format!("/channels/{DM_CHANNEL_ID}/messages"),
            1,
            Fault::missing_permissions(),
        );
        let (_, m) = ask(2);
        fake.dispatch("MESSAGE_CREATE", m).await;
        fake.wait_until("the 403", |f| {
            f.requests().iter().any(|r| r.status == 403).then_some(())
        })
        .await;
        // The token is reset in the portal: the next request is refused.
        fake.set_token("a-new-token");
        let m = FakeDiscord::message(
            fake.id(),
            CHANNEL_ID,
            Some(GUILD_ID),
            &human(3),
            &format!("<@{BOT_ID}> {TELEWORK_Q}"),
            &[FakeDiscord::bot_user()],
        );
        fake.dispatch("MESSAGE_CREATE", m).await;
        let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
            .await
            .expect("the process ends by itself after the 401")
            .unwrap();
        let stderr = stderr.await.unwrap();
        let stdout = stdout.await.unwrap();
        assert_eq!(status.code(), Some(1), "{}", tail(&stderr));
        assert!(stderr.contains("rejected the token"), "{}", tail(&stderr));
        assert!(stderr.lines().count() > 100, "trace logs were on");
        // The echoed question carried the token text: it is redacted too.
        for (name, text) in [("stderr", &stderr), ("stdout", &stdout)] {
            if let Some(at) = text.find(TOKEN) {
                panic!(
                    "the token leaked into {name}: …{}…",
                    &text[at.saturating_sub(300)..(at + 100).min(text.len())]
                );
            }
        }
        assert!(stderr.contains("[redacted]"), "the redaction is visible");
    })
    .await;
}

fn tail(s: &str) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}
