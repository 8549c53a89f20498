//! Soak test of `madoguchi serve`: the real binary against the fake Discord
//! of the test suite on 127.0.0.1, asked questions at a steady rate by many
//! users for a fixed time, with a server error injected now and then, while
//! the bot's resident memory is sampled from `/proc`. Run it with
//! `scripts/soak.sh` (it builds the binary and this example first); it is not
//! part of `cargo test`.
//!
//! Settings (environment): `SOAK_SECONDS` (default 600), `SOAK_RATE`
//! questions per second (default 20), `SOAK_USERS` (default 500). It prints a
//! line per sample and a summary, and exits non-zero when a question went
//! unanswered or was answered twice, or memory grew by more than a quarter
//! over the run's second half (the bot keeps the last 10,000 answers for
//! 👍/👎, so memory rises until those are held, then stays).

use std::collections::HashSet;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use testkit::fake_discord::{BOT_ID, CHANNEL_ID, DM_CHANNEL_ID, FakeDiscord, Fault, GUILD_ID};

const TOKEN: &str = "soak-token.abc.def";
const QUESTIONS: &[&str] = &[
    "テレワークの機器を買うのに補助はありますか",
    "外国人社員の日本語教育の費用を助成してほしい",
    "時差出勤を広めたい",
    "明日の天気を教えて",
    "女性管理職を育てたい",
    "人手が足りない",
    "てれわーくのほじょきん",
    "@everyone 助成金 ```",
    "育児と仕事の両立を支援する制度は？",
    "中小企業の人材確保について相談したい",
];

fn env_number(key: &str, default: u64) -> u64 {
    std::env::var(key)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

fn binary() -> PathBuf {
    std::env::var_os("MADOGUCHI_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(testkit::binary)
}

/// What a run asked and saw: the ids of the questions, the RSS samples
/// (seconds since the start, KiB) and the server errors injected.
struct Run {
    asked: Vec<u64>,
    samples: Vec<(u64, u64)>,
    faults: u64,
}

/// Asks `rate` questions a second from `users` users for `seconds`,
/// sampling the RSS of `pid` every 10 s, with a 502 now and then.
async fn drive(fake: &FakeDiscord, pid: u32, seconds: u64, rate: u64, users: u64) -> Run {
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate as f64));
    let mut next_sample = started;
    let mut samples: Vec<(u64, u64)> = Vec::new();
    let mut asked: Vec<u64> = Vec::new();
    let mut faults = 0u64;
    let mut n = 0u64;
    while Instant::now() < deadline {
        tick.tick().await;
        if Instant::now() >= next_sample {
            let rss = testkit::status_kib(pid, "VmRSS").unwrap_or(0);
            let elapsed = started.elapsed().as_secs();
            samples.push((elapsed, rss));
            println!(
                "t={elapsed:>4}s rss={rss} KiB asked={} replies={}",
                asked.len(),
                fake.created_len()
            );
            next_sample += Duration::from_secs(10);
        }
        if n % 250 == 249 {
            // Now and then Discord has a bad moment.
            fake.fail(
                "POST",
                &format!("/channels/{CHANNEL_ID}/messages"),
                1,
                Fault::server_error(502),
            );
            faults += 1;
        }
        // Every tenth question is its asker's second in a row: the cooldown.
        let who = if n % 10 == 1 { n - 1 } else { n } % users;
        let user = FakeDiscord::user(10_000 + who, &format!("owner{who}"), false);
        let id = fake.id();
        let question = QUESTIONS[(n as usize / 7) % QUESTIONS.len()];
        let msg = if n.is_multiple_of(5) {
            FakeDiscord::message(id, DM_CHANNEL_ID, None, &user, question, &[])
        } else {
            FakeDiscord::message(
                id,
                CHANNEL_ID,
                Some(GUILD_ID),
                &user,
                &format!("<@{BOT_ID}> {question}"),
                &[FakeDiscord::bot_user()],
            )
        };
        fake.dispatch("MESSAGE_CREATE", msg).await;
        asked.push(id);
        n += 1;
    }
    Run {
        asked,
        samples,
        faults,
    }
}

/// The replies created: how many answered questions twice, and how many
/// were cooldown notices (no embed); the set of questions replied to.
fn tally(created: &[serde_json::Value]) -> (HashSet<String>, usize, usize) {
    let mut replied: HashSet<String> = HashSet::new();
    let mut duplicates = 0;
    let mut cooldowns = 0;
    for m in created {
        if let Some(to) = m["request"]["message_reference"]["message_id"].as_str()
            && !replied.insert(to.to_string())
        {
            duplicates += 1;
        }
        if m["request"]["embeds"]
            .as_array()
            .is_none_or(|e| e.is_empty())
        {
            cooldowns += 1;
        }
    }
    (replied, duplicates, cooldowns)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    let seconds = env_number("SOAK_SECONDS", 600);
    let rate = env_number("SOAK_RATE", 20).max(1);
    let users = env_number("SOAK_USERS", 500).max(1);
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let work = std::env::temp_dir().join(format!("madoguchi-soak-{}", std::process::id()));
    std::fs::create_dir_all(&work).unwrap();

    let fake = FakeDiscord::start(TOKEN).await;
    let mut child = tokio::process::Command::new(binary())
        .args(["serve", "--shards", "0/1", "--cooldown", "1"])
        .env("DISCORD_TOKEN", TOKEN)
        .env("DISCORD_API_BASE", &fake.base)
        .env("RUST_LOG", "warn")
        .env("MADOGUCHI_DATA", repo.join("data"))
        .env("MADOGUCHI_INDEX", work.join("index"))
        .env("MADOGUCHI_DICTIONARY", repo.join("index/ipadic"))
        .env("MADOGUCHI_STATE", work.join("state"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("madoguchi serve starts (build it first: scripts/soak.sh)");
    let pid = child.id().expect("running");
    fake.wait_sessions(1).await;
    println!(
        "soak: {seconds} s, {rate} questions/s from {users} users, pid {pid}, RSS at start {} KiB",
        testkit::status_kib(pid, "VmRSS").unwrap_or(0)
    );

    let started = Instant::now();
    let Run {
        asked,
        mut samples,
        faults,
    } = drive(&fake, pid, seconds, rate, users).await;
    // Let the last answers arrive.
    let settle = Instant::now() + Duration::from_secs(15);
    while fake.created_len() < asked.len() && Instant::now() < settle {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let end_rss = testkit::status_kib(pid, "VmRSS").unwrap_or(0);
    samples.push((started.elapsed().as_secs(), end_rss));
    let _ = child.start_kill();
    let _ = child.wait().await;

    let created = fake.created();
    let (replied, duplicates, cooldowns) = tally(&created);
    let missing = asked
        .iter()
        .filter(|id| !replied.contains(&id.to_string()))
        .count();
    let errors = fake.requests().iter().filter(|r| r.status >= 400).count();
    let start_rss = samples.first().map_or(0, |s| s.1);
    let max_rss = samples.iter().map(|s| s.1).max().unwrap_or(0);
    // RSS at a quarter, half and three quarters of the run.
    let at = |share: u64| {
        samples
            .iter()
            .find(|(t, _)| *t >= seconds * share / 4)
            .map_or(start_rss, |s| s.1)
    };
    let (quarter, half, three_quarters) = (at(1), at(2), at(3));
    println!(
        "soak summary: {} s, {} questions, {} replies ({} answers, {} cooldown notices), {} missing, {} duplicates, {} REST errors served ({} injected 502s), RSS start {} KiB, 1/4 {} KiB, 1/2 {} KiB, 3/4 {} KiB, end {} KiB, max {} KiB",
        started.elapsed().as_secs(),
        asked.len(),
        created.len(),
        created.len() - cooldowns,
        cooldowns,
        missing,
        duplicates,
        errors,
        faults,
        start_rss,
        quarter,
        half,
        three_quarters,
        end_rss,
        max_rss
    );
    let _ = std::fs::remove_dir_all(&work);
    if missing > 0 || duplicates > 0 || end_rss > half + half / 4 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
