//! Benchmarks of the records (BENCHMARKS.md, Records): `madoguchi serve`
//! (the real binary) against the fake Discord of the test suite on
//! 127.0.0.1, over records filled to a given size. Not part of `cargo test`;
//! run it with `scripts/records-bench.sh`, which builds the binary and this
//! example first. Modes:
//!
//! - `fill URL N`: writes N questions (a year of them, 30 % unanswered in
//!   5,000 wordings, a vote per 50 questions) to the records at URL.
//! - `distinct URL N`: writes N unanswered questions, each a distinct
//!   wording, to time the grouping of `report` (`scripts/report-bench.sh`).
//! - `jsonl DIR N`: the same N questions (and votes) as the JSON-lines
//!   files of earlier versions, in the state directory DIR, to time the
//!   one-time import.
//! - `write URL`: a burst of 1,000 questions through `Records::question`
//!   (what an answer pays): p50/p99/max of the call, and how long the
//!   writer takes to store them; then what a look of `serve`'s memory
//!   trimmer costs, with memory to hand back and with none.
//! - `serve STATE URL`: the first answer after a start, resident memory at
//!   the end of a burst of 1,000 questions and while serving after it (two
//!   looks of the memory trimmer later), `/stats` latency.
//! - `kill STATE URL`: kill -9 during a burst of 1,000 questions; then how
//!   many answers sent have no record, and whether the database opens.
//! - `two URL`: two `serve` processes on one database, a burst of 1,000
//!   through each; `report --json` must count exactly 2,000 more.
//!
//! `RECORDS_BENCH_LOG` sets the `RUST_LOG` of the `serve` processes
//! (default `warn`; `debug` shows where a start spends its time).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use madoguchi::records::{
    Entry, Location, Options, QuestionRecord, Records, Source, Store, Vote, VoteRecord,
};
use madoguchi::search::Decision;
use testkit::binary;
use testkit::fake_discord::{BOT_ID, CHANNEL_ID, FakeDiscord, GUILD_ID};

const TOKEN: &str = "records-bench.abc.def";
const MANAGE_GUILD: u64 = 0x20;
const QUESTIONS: &[&str] = &[
    "テレワークの機器を買うのに補助はありますか",
    "外国人社員の日本語教育の費用を助成してほしい",
    "時差出勤を広めたい",
    "女性管理職を育てたい",
    "人手が足りない",
    "育児と仕事の両立を支援する制度は？",
    "中小企業の人材確保について相談したい",
    "明日の天気を教えて",
];
const MEASURES: &[&str] = &[
    "2.tokyo.b.3",
    "2.tokyo.a",
    "6.tokyo.a",
    "5.tokyo.b",
    "1.tokyo.a",
];

fn rss_kib(pid: u32) -> u64 {
    testkit::status_kib(pid, "VmRSS").unwrap_or(0)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// A 👍 or 👎 on the `i`-th generated question `q`, half a minute after it.
fn vote_on(i: u64, q: &QuestionRecord, rng: &mut fastrand::Rng) -> VoteRecord {
    VoteRecord {
        ts: q.ts + 30,
        answer: q.answer,
        vote: if rng.bool() { Vote::Up } else { Vote::Down },
        query: Some(q.query.clone()),
        shown: q.shown.clone(),
        faq: None,
        guild: q.guild,
        voter: Some(format!("{i:032x}")),
    }
}

/// The `i`-th generated question of a year ending now.
fn generated(i: u64, n: u64, rng: &mut fastrand::Rng) -> QuestionRecord {
    let start = madoguchi::clock::now_secs() - 365 * 86_400;
    let ts = start + i * (365 * 86_400) / n.max(1);
    let unanswered = rng.u8(0..10) < 3;
    let (query, shown) = if unanswered {
        (
            format!("{}の件{}", QUESTIONS[7], rng.u32(0..5_000)),
            Vec::new(),
        )
    } else {
        let first = rng.usize(0..MEASURES.len());
        (
            QUESTIONS[rng.usize(0..7)].to_string(),
            vec![
                MEASURES[first].to_string(),
                MEASURES[(first + 1) % MEASURES.len()].to_string(),
            ],
        )
    };
    let did_you_mean = !unanswered && rng.u8(0..10) == 0;
    QuestionRecord {
        ts,
        answer: 1_000_000_000_000 + i,
        source: if rng.bool() {
            Source::Mention
        } else {
            Source::Dm
        },
        query,
        answered: !unanswered,
        sure: !unanswered && !did_you_mean,
        decision: Some(match (unanswered, did_you_mean) {
            (true, _) => Decision::Decline,
            (false, true) => Decision::DidYouMean,
            (false, false) => Decision::Answer,
        }),
        confidence: 0.7,
        shown,
        faq: None,
        guild: rng.bool().then_some(GUILD_ID),
    }
}

async fn fill(location: &Location, n: u64) {
    let store = Store::open(location, true).await.expect("records open");
    let mut rng = fastrand::Rng::with_seed(7);
    let started = Instant::now();
    let mut batch = Vec::with_capacity(10_000);
    for i in 0..n {
        let q = generated(i, n, &mut rng);
        if i % 50 == 0 {
            batch.push(Entry::Vote(vote_on(i, &q, &mut rng)));
        }
        batch.push(Entry::Question(q));
        if batch.len() >= 10_000 {
            store.write(&batch).await.expect("written");
            batch.clear();
        }
    }
    store.write(&batch).await.expect("written");
    println!(
        "fill: {n} questions written to {location} in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

/// Words the distinct unanswered wordings of [`distinct`] are made of: who
/// asks, about what, and how; many share their endings (ますか, について),
/// as real questions do.
const TRADES: &[&str] = &[
    "製造業",
    "飲食店",
    "建設業",
    "小売業",
    "運送業",
    "IT企業",
    "介護事業所",
    "印刷会社",
    "美容室",
    "不動産業",
    "卸売業",
    "設計事務所",
    "学習塾",
    "ホテル",
    "清掃会社",
    "保育園",
];
const TOPICS: &[&str] = &[
    "事業承継",
    "資金繰り",
    "消費税の申告",
    "インボイス",
    "店舗の改装",
    "海外への輸出",
    "ホームページの作成",
    "特許の出願",
    "融資の返済",
    "賃料の値下げ",
    "防災の備え",
    "取引先の倒産",
    "補助金の不正受給",
    "電気代の高騰",
    "駐車場の確保",
    "株式の上場",
    "営業時間の短縮",
    "商品の値上げ",
    "事務所の移転",
    "社用車の購入",
];
const ENDINGS: &[&str] = &[
    "について相談できますか",
    "はどうすればいいですか",
    "について教えてください",
    "で困っています",
    "の支援はありますか",
    "について知りたいです",
    "を考えています",
    "に使える制度はありますか",
];

/// `n` unanswered questions, each a distinct wording (a trade, a head
/// count, a topic and an ending), for timing the grouping of `report`.
async fn distinct(location: &Location, n: u64) {
    let store = Store::open(location, true).await.expect("records open");
    let start = madoguchi::clock::now_secs() - 30 * 86_400;
    let mut batch = Vec::with_capacity(10_000);
    for i in 0..n {
        let mut k = i;
        let mut pick = |list: &[&'static str]| {
            let w = list[(k % list.len() as u64) as usize];
            k /= list.len() as u64;
            w
        };
        let (trade, topic, ending) = (pick(TRADES), pick(TOPICS), pick(ENDINGS));
        let query = format!("従業員{}人の{trade}です。{topic}{ending}", k + 1);
        batch.push(Entry::Question(QuestionRecord {
            ts: start + i * 30 * 86_400 / n.max(1),
            answer: 2_000_000_000_000 + i,
            source: Source::Mention,
            query,
            answered: false,
            sure: false,
            decision: Some(Decision::Decline),
            confidence: 0.1,
            shown: Vec::new(),
            faq: None,
            guild: Some(GUILD_ID),
        }));
        if batch.len() >= 10_000 {
            store.write(&batch).await.expect("written");
            batch.clear();
        }
    }
    store.write(&batch).await.expect("written");
    println!("distinct: {n} distinct unanswered wordings written to {location}");
}

/// The records of [`fill`] as the JSON-lines files of earlier versions.
fn jsonl(dir: &Path, n: u64) {
    use std::io::Write;
    std::fs::create_dir_all(dir).unwrap();
    let file = |name: &str| std::io::BufWriter::new(std::fs::File::create(dir.join(name)).unwrap());
    let (mut questions, mut votes) = (file("questions.jsonl"), file("votes.jsonl"));
    let mut rng = fastrand::Rng::with_seed(7);
    for i in 0..n {
        let q = generated(i, n, &mut rng);
        if i % 50 == 0 {
            let v = vote_on(i, &q, &mut rng);
            writeln!(votes, "{}", serde_json::to_string(&v).unwrap()).unwrap();
        }
        writeln!(questions, "{}", serde_json::to_string(&q).unwrap()).unwrap();
    }
    questions.flush().unwrap();
    votes.flush().unwrap();
    println!("jsonl: {n} questions written to {}", dir.display());
}

/// What a look of `serve`'s memory trimmer costs: after a burst of 40 MB in
/// small blocks freed (every 64th kept, so the free memory is scattered),
/// and when nothing was freed since.
fn trim_cost() {
    let kept = testkit::fragmented_burst();
    let mut trimmer = madoguchi::memory::Trimmer::default();
    let above = madoguchi::memory::TRIM_ABOVE;
    let t = Instant::now();
    let held = trimmer.look(above).unwrap_or(0);
    let handing = t.elapsed();
    let mut nothing: Vec<Duration> = (0..20)
        .map(|_| {
            let t = Instant::now();
            assert_eq!(trimmer.look(above), None);
            t.elapsed()
        })
        .collect();
    nothing.sort();
    println!(
        "trim: handing back {} MB held free took {:.2} ms; a look with nothing freed since, median of 20: {:.1} µs",
        held >> 20,
        handing.as_secs_f64() * 1e3,
        percentile(&nothing, 0.5).as_secs_f64() * 1e6
    );
    drop(kept);
}

async fn write_burst(location: &Location) {
    let state = tempfile::tempdir().unwrap();
    let opening = Instant::now();
    let records = Records::open(state.path(), location, &Options::default())
        .await
        .expect("records open");
    println!(
        "write: the records opened in {:.1} ms",
        opening.elapsed().as_secs_f64() * 1e3
    );
    let mut rng = fastrand::Rng::with_seed(11);
    let questions: Vec<QuestionRecord> = (0..1_000)
        .map(|i| QuestionRecord {
            ts: madoguchi::clock::now_secs(),
            answer: 9_000_000_000_000 + madoguchi::clock::now_secs() * 1_000 + i,
            ..generated(i, 1_000, &mut rng)
        })
        .collect();
    let mut took = Vec::with_capacity(questions.len());
    let started = Instant::now();
    for q in &questions {
        let t = Instant::now();
        records.question(q);
        took.push(t.elapsed());
    }
    let queued = started.elapsed();
    let flushed = records.queue().flush(Duration::from_secs(60)).await;
    let stored = started.elapsed();
    took.sort();
    println!(
        "write: 1000 questions queued in {:.2} ms; Records::question p50 {:.1} µs, p99 {:.1} µs, max {:.1} µs; all stored after {:.0} ms ({})",
        queued.as_secs_f64() * 1e3,
        percentile(&took, 0.5).as_secs_f64() * 1e6,
        percentile(&took, 0.99).as_secs_f64() * 1e6,
        took.last().unwrap().as_secs_f64() * 1e6,
        stored.as_secs_f64() * 1e3,
        if flushed { "flushed" } else { "NOT flushed" }
    );
    records.close(Duration::from_secs(10)).await;
}

/// `madoguchi serve` against a fake Discord.
async fn spawn_serve(fake: &FakeDiscord, state: &Path, url: &str) -> tokio::process::Child {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    tokio::process::Command::new(binary())
        .args(["serve", "--shards", "0/1", "--cooldown", "0"])
        .env("DISCORD_TOKEN", TOKEN)
        .env("DISCORD_API_BASE", &fake.base)
        .env(
            "RUST_LOG",
            std::env::var("RECORDS_BENCH_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .env("MADOGUCHI_DATA", repo.join("data"))
        .env("MADOGUCHI_INDEX", state.join("index"))
        .env("MADOGUCHI_DICTIONARY", repo.join("index/ipadic"))
        .env("MADOGUCHI_STATE", state)
        .env("MADOGUCHI_RECORDS", url)
        .env("MADOGUCHI_GUILD_ID", GUILD_ID.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("madoguchi serve starts (build it first: scripts/records-bench.sh)")
}

/// A question mentioning the bot from user `who`; returns its id.
async fn ask(fake: &FakeDiscord, who: u64, text: &str) -> u64 {
    let user = FakeDiscord::user(20_000 + who, &format!("owner{who}"), false);
    let id = fake.id();
    let msg = FakeDiscord::message(
        id,
        CHANNEL_ID,
        Some(GUILD_ID),
        &user,
        &format!("<@{BOT_ID}> {text}"),
        &[FakeDiscord::bot_user()],
    );
    fake.dispatch("MESSAGE_CREATE", msg).await;
    id
}

/// Question ids the bot has replied to.
fn replied(fake: &FakeDiscord) -> HashSet<u64> {
    fake.created()
        .iter()
        .filter_map(|m| {
            m["request"]["message_reference"]["message_id"]
                .as_str()?
                .parse()
                .ok()
        })
        .collect()
}

async fn stop(mut child: tokio::process::Child) {
    if let Some(pid) = child.id() {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status();
    }
    let _ = tokio::time::timeout(Duration::from_secs(30), child.wait()).await;
}

async fn burst(fake: &FakeDiscord, n: u64, from: u64) -> Vec<u64> {
    let mut ids = Vec::new();
    for i in 0..n {
        ids.push(ask(fake, from + i, QUESTIONS[(i % 8) as usize]).await);
    }
    ids
}

async fn wait_replies(fake: &FakeDiscord, n: usize, limit: Duration) {
    let until = Instant::now() + limit;
    while fake.created_len() < n && Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn serve(state: &Path, url: &str) {
    // A first start builds the index (and imports old files): not timed.
    let fake = FakeDiscord::start(TOKEN).await;
    let child = spawn_serve(&fake, state, url).await;
    fake.wait_sessions(1).await;
    stop(child).await;
    // Not a crash loop: the timed start must not wait first.
    let _ = std::fs::remove_file(state.join("restarts"));

    let fake = FakeDiscord::start(TOKEN).await;
    let started = Instant::now();
    let child = spawn_serve(&fake, state, url).await;
    let pid = child.id().unwrap();
    fake.wait_sessions(1).await;
    let id = ask(&fake, 0, QUESTIONS[0]).await;
    fake.reply_to(CHANNEL_ID, id).await;
    let first = started.elapsed();
    let rss_start = rss_kib(pid);
    burst(&fake, 1_000, 1).await;
    wait_replies(&fake, 1_001, Duration::from_secs(120)).await;
    let rss_burst = rss_kib(pid);
    // While serving: once the memory the burst freed is handed back.
    tokio::time::sleep(2 * madoguchi::memory::TRIM_EVERY).await;
    let rss_served = rss_kib(pid);
    let manager = FakeDiscord::member(
        &FakeDiscord::user(30_000, "staff", false),
        MANAGE_GUILD,
        &[],
    );
    let mut stats = Vec::new();
    for _ in 0..5 {
        let id = fake.id();
        let t = Instant::now();
        fake.dispatch(
            "INTERACTION_CREATE",
            FakeDiscord::command(id, &manager, "stats", &[]),
        )
        .await;
        let cb = fake.callback(id).await;
        stats.push(t.elapsed());
        assert!(cb.body.to_string().contains("質問数"), "{}", cb.body);
    }
    stats.sort();
    println!(
        "serve: first answer {:.0} ms after the process started; RSS {} KiB after it, {} KiB at the end of a burst of 1000 questions ({} replies), {} KiB {} s later; /stats median {:.1} ms, max {:.1} ms",
        first.as_secs_f64() * 1e3,
        rss_start,
        rss_burst,
        fake.created_len(),
        rss_served,
        (2 * madoguchi::memory::TRIM_EVERY).as_secs(),
        percentile(&stats, 0.5).as_secs_f64() * 1e3,
        stats.last().unwrap().as_secs_f64() * 1e3
    );
    stop(child).await;
}

async fn kill(state: &Path, url: &str) {
    let fake = FakeDiscord::start(TOKEN).await;
    let child = spawn_serve(&fake, state, url).await;
    let pid = child.id().unwrap();
    fake.wait_sessions(1).await;
    let asking = {
        let fake = fake.clone();
        tokio::spawn(async move { burst(&fake, 1_000, 50_000).await })
    };
    wait_replies(&fake, 300, Duration::from_secs(60)).await;
    std::process::Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .unwrap();
    let sent = replied(&fake);
    asking.abort();
    drop(child);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let location = Location::parse(url).unwrap();
    let store = Store::open(&location, false)
        .await
        .expect("the records open after kill -9");
    let summary = store.summary().await.expect("readable");
    let stored = match &location {
        Location::Sqlite(path) => {
            let db = rusqlite::Connection::open(path).unwrap();
            let ok: String = db
                .query_row("PRAGMA integrity_check", [], |r| r.get(0))
                .unwrap();
            println!("kill: integrity_check {ok}");
            let mut st = db.prepare("SELECT answer FROM questions").unwrap();
            st.query_map([], |r| r.get::<_, i64>(0))
                .unwrap()
                .map(|a| a.unwrap() as u64)
                .collect::<HashSet<u64>>()
        }
        Location::Postgres(_) => HashSet::new(),
    };
    let lost = sent.iter().filter(|id| !stored.contains(id)).count();
    println!(
        "kill: {} answers sent before kill -9; {} of them without a record after restart; {} questions stored in all",
        sent.len(),
        lost,
        summary.totals().questions
    );
}

async fn report_questions(url: &str) -> u64 {
    let out = tokio::process::Command::new(binary())
        .args(["report", "--json", "--records", url])
        .env(
            "MADOGUCHI_DATA",
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data"),
        )
        .output()
        .await
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    v["questions"].as_u64().unwrap()
}

async fn two(url: &str) {
    let before = report_questions(url).await;
    let states = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let fakes = [
        FakeDiscord::start(TOKEN).await,
        FakeDiscord::start(TOKEN).await,
    ];
    let mut children = Vec::new();
    for (fake, state) in fakes.iter().zip(&states) {
        children.push(spawn_serve(fake, state.path(), url).await);
        fake.wait_sessions(1).await;
    }
    let (a, b) = tokio::join!(burst(&fakes[0], 1_000, 0), burst(&fakes[1], 1_000, 0));
    for fake in &fakes {
        wait_replies(fake, 1_000, Duration::from_secs(180)).await;
    }
    let replies: Vec<usize> = fakes.iter().map(|f| f.created_len()).collect();
    for child in children {
        stop(child).await;
    }
    let after = report_questions(url).await;
    println!(
        "two: asked {} + {}, replies {:?}; report counts {} before and {} after: {} more ({})",
        a.len(),
        b.len(),
        replies,
        before,
        after,
        after - before,
        if after - before == 2_000 {
            "exact"
        } else {
            "NOT exact"
        }
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).cloned().unwrap_or_default();
    let location = |url: &str| Location::parse(url).expect("a records URL");
    match arg(0).as_str() {
        "fill" => fill(&location(&arg(1)), arg(2).parse().unwrap_or(1_000_000)).await,
        "distinct" => distinct(&location(&arg(1)), arg(2).parse().unwrap_or(100_000)).await,
        "jsonl" => jsonl(Path::new(&arg(1)), arg(2).parse().unwrap_or(1_000_000)),
        "write" => {
            write_burst(&location(&arg(1))).await;
            trim_cost();
        }
        "serve" => serve(Path::new(&arg(1)), &arg(2)).await,
        "kill" => kill(Path::new(&arg(1)), &arg(2)).await,
        "two" => two(&arg(1)).await,
        _ => eprintln!(
            "usage: records_bench fill URL N | jsonl DIR N | write URL | serve STATE URL | kill STATE URL | two URL"
        ),
    }
}
