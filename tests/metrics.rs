//! `serve --metrics` end to end: the bot runs against the test kit's fake
//! Discord, questions of each outcome are asked, REST faults are injected,
//! and `/metrics` and `/healthz` are read over HTTP.
//! One test in its own binary: the REST counters are the process's.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use madoguchi::discord::metrics::{self, Metrics};
use madoguchi::discord::{Config, RunError, Shards};
use madoguchi::search::Decision;
use testkit::bot::{engine_over, human, spawn, within_limit};
use testkit::fake_discord::{
    self, BOT_ID, CHANNEL_ID, DM_CHANNEL_ID, FakeDiscord, Fault, GUILD_ID, STAFF_ROLE,
};

const TOKEN: &str = "test-token.abc.def";

/// Questions whose outcomes between them cover every search decision but
/// the greeting; each one's outcome is taken from the engine itself.
const QUESTIONS: [&str; 6] = [
    "テレワークの機器を買うのに補助はありますか",
    "育児休業の取得を進めたい",
    "明日の天気を教えて",
    "カピバラを飼う補助はありますか",
    "ききのおためし",
    "神奈川県のテレワーク補助金",
];

/// The test kit's configuration, with a short question cap and one shard.
fn config(fake: &FakeDiscord, data: &Path, index: &Path, state: &Path) -> Config {
    let mut c = testkit::bot::config(fake, data, index, state);
    c.max_question_chars = 60;
    c.shards = Shards::Range {
        first: 0,
        last: 0,
        total: 1,
    };
    c
}

async fn get(addr: std::net::SocketAddr, path: &str) -> (u16, String) {
    let r = reqwest::get(format!("http://{addr}{path}"))
        .await
        .expect("the metrics server answers");
    let status = r.status().as_u16();
    (status, r.text().await.unwrap())
}

/// The samples of the Prometheus text, by name with labels.
fn samples(text: &str) -> HashMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| {
            let (name, value) = l.rsplit_once(' ')?;
            Some((name.to_string(), value.parse().ok()?))
        })
        .collect()
}

fn sample(s: &HashMap<String, f64>, name: &str) -> f64 {
    s.get(name).copied().unwrap_or(0.0)
}

fn outcome(d: Decision) -> &'static str {
    match d {
        Decision::Answer => "answered",
        Decision::DidYouMean => "did_you_mean",
        Decision::Decline => "declined",
        Decision::OutOfScope => "out_of_scope",
        Decision::Greeting => "greeting",
    }
}

/// Waits until `/healthz` answers `status` with a body containing `says`.
async fn health_becomes(addr: std::net::SocketAddr, status: u16, says: &str) -> String {
    let deadline = tokio::time::Instant::now() + fake_discord::WAIT;
    loop {
        let (s, body) = get(addr, "/healthz").await;
        if s == status && body.contains(says) {
            return body;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "/healthz stayed {s} ({body}), expected {status} {says}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// What the metrics must have counted: questions by source and outcome,
/// and the searches behind them.
#[derive(Default)]
struct Expected {
    questions: HashMap<String, f64>,
    searched: f64,
}

impl Expected {
    fn question(&mut self, source: &str, outcome: &str) {
        *self
            .questions
            .entry(format!(
                "madoguchi_questions_total{{source=\"{source}\",outcome=\"{outcome}\"}}"
            ))
            .or_default() += 1.0;
    }

    /// A question searched, with the outcome the engine gives it.
    fn searched(&mut self, source: &str, question: &str) {
        let decision = testkit::engine().ask(question).unwrap().decision;
        self.question(source, outcome(decision));
        self.searched += 1.0;
    }
}

/// The gateway URL the fake gives out.
async fn gateway_url(fake: &FakeDiscord) -> String {
    let r = reqwest::Client::new()
        .get(format!("{}/api/v10/gateway", fake.base))
        .header("authorization", format!("Bot {TOKEN}"))
        .send()
        .await
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    v["url"].as_str().unwrap().to_string()
}

/// Questions of each outcome, by mention and by DM, and one too long.
async fn ask_each_outcome(fake: &FakeDiscord, expected: &mut Expected) {
    for (i, q) in QUESTIONS.iter().enumerate() {
        let (channel, guild, text, source) = if i % 2 == 0 {
            (
                CHANNEL_ID,
                Some(GUILD_ID),
                format!("<@{BOT_ID}> {q}"),
                "mention",
            )
        } else {
            (DM_CHANNEL_ID, None, q.to_string(), "dm")
        };
        let id = fake.id();
        let mentions = if guild.is_some() {
            vec![FakeDiscord::bot_user()]
        } else {
            Vec::new()
        };
        let msg = FakeDiscord::message(id, channel, guild, &human(i as u64), &text, &mentions);
        fake.dispatch("MESSAGE_CREATE", msg).await;
        fake.reply_to(channel, id).await;
        expected.searched(source, q);
    }
    let outcomes: std::collections::HashSet<&str> = expected
        .questions
        .keys()
        .filter_map(|k| k.split("outcome=\"").nth(1))
        .collect();
    for o in [
        "answered\"}",
        "did_you_mean\"}",
        "declined\"}",
        "out_of_scope\"}",
    ] {
        assert!(
            outcomes.contains(o),
            "the questions cover {o}: {outcomes:?}"
        );
    }
    // Too long: refused before any search.
    let id = fake.id();
    let long = "テレワーク".repeat(20);
    let msg = FakeDiscord::message(id, DM_CHANNEL_ID, None, &human(50), &long, &[]);
    fake.dispatch("MESSAGE_CREATE", msg).await;
    fake.reply_to(DM_CHANNEL_ID, id).await;
    expected.question("dm", "refused");
}

/// One server error (retried once, then posted), one 403, and a reload by
/// staff (the same knowledge again).
async fn faults_and_a_reload(fake: &FakeDiscord, expected: &mut Expected) {
    fake.fail(
        "POST",
        &format!("/channels/{CHANNEL_ID}/messages"),
        1,
        Fault::server_error(502),
    );
    let id = fake.id();
    let msg = FakeDiscord::message(
        id,
        CHANNEL_ID,
        Some(GUILD_ID),
        &human(60),
        &format!("<@{BOT_ID}> {}", QUESTIONS[0]),
        &[FakeDiscord::bot_user()],
    );
    fake.dispatch("MESSAGE_CREATE", msg).await;
    fake.reply_to(CHANNEL_ID, id).await;
    expected.searched("mention", QUESTIONS[0]);
    fake.fail(
        "POST",
        &format!("/channels/{DM_CHANNEL_ID}/messages"),
        1,
        Fault::missing_permissions(),
    );
    let id = fake.id();
    let msg = FakeDiscord::message(id, DM_CHANNEL_ID, None, &human(61), QUESTIONS[1], &[]);
    fake.dispatch("MESSAGE_CREATE", msg).await;
    let path = format!("/channels/{DM_CHANNEL_ID}/messages");
    fake.wait_until("the 403", |f| {
        f.requests()
            .into_iter()
            .find(|r| r.path == path && r.status == 403)
    })
    .await;
    expected.searched("dm", QUESTIONS[1]);

    let staff = FakeDiscord::member(&human(70), 0, &[STAFF_ROLE]);
    let id = fake.id();
    fake.dispatch(
        "INTERACTION_CREATE",
        FakeDiscord::command(id, &staff, "reload", &[]),
    )
    .await;
    fake.wait_request(
        "PATCH",
        |p| p == format!("/webhooks/{BOT_ID}/tok{id}/messages/@original"),
        |_| true,
    )
    .await;
}

/// The samples moved from `before` to `after` by exactly what was expected.
fn assert_counted(
    before: &HashMap<String, f64>,
    after: &HashMap<String, f64>,
    expected: &Expected,
) {
    let moved = |name: &str| sample(after, name) - sample(before, name);
    for (name, n) in &expected.questions {
        assert_eq!(moved(name), *n, "{name}");
    }
    let questions: f64 = after
        .iter()
        .filter(|(k, _)| k.starts_with("madoguchi_questions_total{"))
        .map(|(_, v)| v)
        .sum();
    assert_eq!(
        questions,
        expected.questions.values().sum::<f64>(),
        "no other question counted"
    );
    assert_eq!(
        moved("madoguchi_answer_latency_seconds_count"),
        expected.searched
    );
    assert_eq!(moved("madoguchi_discord_rest_retries_total"), 1.0);
    assert_eq!(
        moved("madoguchi_discord_rest_failures_total{kind=\"forbidden\"}"),
        1.0
    );
    assert_eq!(
        moved("madoguchi_discord_rest_failures_total{kind=\"other\"}"),
        0.0
    );
    assert_eq!(
        moved("madoguchi_knowledge_reloads_total{outcome=\"unchanged\"}"),
        1.0
    );
    assert_eq!(
        moved("madoguchi_knowledge_reloads_total{outcome=\"failed\"}"),
        0.0
    );
    assert_eq!(sample(after, "madoguchi_records_pending"), 0.0);
    assert!(after.contains_key("madoguchi_knowledge_age_seconds"));
    assert_eq!(sample(after, "madoguchi_gateway_reconnects_total"), 0.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_what_was_asked_and_health_follows_the_gateway() {
    within_limit(async {
        let data = testkit::repo().join("data");
        let state = tempfile::tempdir().unwrap();
        let index = tempfile::tempdir().unwrap();
        let metrics = Arc::new(Metrics::new());
        let listener = metrics::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let server = metrics::serve(listener, Arc::clone(&metrics)).unwrap();
        let addr = server.addr;
        let (status, body) = get(addr, "/healthz").await;
        assert_eq!(
            (status, body.trim()),
            (503, "the knowledge is not loaded yet")
        );
        let fake = FakeDiscord::start(TOKEN).await;
        let start = async || {
            let engine = engine_over(&data, index.path()).await;
            let mut c = config(&fake, &data, index.path(), state.path());
            c.metrics = Arc::clone(&metrics);
            spawn(c, engine)
        };

        // Before the gateway is ready: a gateway where nothing listens.
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let dead = format!("ws://{}", closed.local_addr().unwrap());
        drop(closed);
        // The fake's own gateway URL, to restore.
        let live = gateway_url(&fake).await;
        fake.set_gateway_url(&dead);
        let (stop, task) = start().await;
        fake.wait_request("GET", |p| p == "/gateway/bot", |_| true)
            .await;
        let reason = health_becomes(addr, 503, "not connected").await;
        assert_eq!(reason.trim(), "shard 0 not connected to the gateway");
        stop.send(()).unwrap();
        assert!(task.await.unwrap().is_ok());

        // The gateway is ready: 200.
        fake.set_gateway_url(&live);
        let (_stop, task) = start().await;
        fake.wait_sessions(1).await;
        assert_eq!(health_becomes(addr, 200, "ok").await, "ok\n");
        let before = samples(&get(addr, "/metrics").await.1);
        assert_eq!(
            sample(&before, "madoguchi_shard_connected{shard=\"0\"}"),
            1.0
        );

        let mut expected = Expected::default();
        ask_each_outcome(&fake, &mut expected).await;
        faults_and_a_reload(&fake, &mut expected).await;
        let after = samples(&get(addr, "/metrics").await.1);
        assert_counted(&before, &after, &expected);

        // A resumed session is a reconnect; health stays good after it.
        fake.close(4000);
        fake.wait_sessions(2).await;
        assert_eq!(health_becomes(addr, 200, "ok").await, "ok\n");
        let resumed = samples(&get(addr, "/metrics").await.1);
        assert_eq!(sample(&resumed, "madoguchi_gateway_reconnects_total"), 1.0);

        // The gateway goes down and refuses every reconnect: unhealthy within
        // 10 s, healthy again within 10 s of it coming back.
        fake.refuse_gateway(true);
        fake.drop_connection();
        let down = tokio::time::Instant::now();
        let reason = health_becomes(addr, 503, "not connected").await;
        assert!(
            down.elapsed() < Duration::from_secs(10),
            "{:?}",
            down.elapsed()
        );
        assert_eq!(reason.trim(), "shard 0 not connected to the gateway");
        let refused = samples(&get(addr, "/metrics").await.1);
        assert_eq!(
            sample(&refused, "madoguchi_shard_connected{shard=\"0\"}"),
            0.0
        );
        fake.refuse_gateway(false);
        let up = tokio::time::Instant::now();
        assert_eq!(health_becomes(addr, 200, "ok").await, "ok\n");
        assert!(up.elapsed() < Duration::from_secs(10), "{:?}", up.elapsed());

        // The token is revoked: the gateway closes with 4004, the bot stops,
        // and the health says why.
        fake.set_token("a-new-token-from-the-portal");
        fake.close(4004);
        let result = tokio::time::timeout(Duration::from_secs(15), task)
            .await
            .expect("the bot stops")
            .unwrap();
        assert!(matches!(result, Err(RunError::TokenRejected)), "{result:?}");
        let reason = health_becomes(addr, 503, "stopped").await;
        assert!(reason.contains("rejected the token"), "{reason}");
        assert_eq!(reason.trim_end().lines().count(), 1, "{reason}");
        let last = samples(&get(addr, "/metrics").await.1);
        assert_eq!(sample(&last, "madoguchi_shard_connected{shard=\"0\"}"), 0.0);
    })
    .await;
}

/// `serve --metrics` on an address in use stops at once, naming the
/// address and the fix, before it opens the knowledge or calls Discord.
#[test]
fn a_metrics_address_in_use_stops_the_start() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_madoguchi"))
        .current_dir(dir.path())
        .env("DISCORD_TOKEN", TOKEN)
        .env("DISCORD_API_BASE", "http://127.0.0.1:9")
        .env_remove("RUST_LOG")
        .args(["serve", "--metrics", &addr])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("cannot serve metrics on {addr}")),
        "{stderr}"
    );
    assert!(
        stderr.contains("choose another address with --metrics"),
        "{stderr}"
    );
    assert_eq!(
        stderr.matches("in use").count(),
        1,
        "the cause once: {stderr}"
    );
    assert!(!stderr.contains(TOKEN));
}
