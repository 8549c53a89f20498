//! A state directory of synthetic records for measuring `madoguchi report`
//! on a large history (BENCHMARKS.md):
//!
//! ```sh
//! cargo run --release --example synthetic_state -- /tmp/state-1m 1000000
//! ```
//!
//! Writes QUESTIONS questions (default 1,000,000) spread over the past
//! year through the bot's records ([`Records`]): about 70 % answered, 10 %
//! as 「もしかして」, 20 % unanswered in some 2,000 distinct wordings, and a
//! 👍/👎 on one answer in twenty. Seeded: the same arguments make the same
//! records (apart from the votes' times, which are now).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use madoguchi::records::{Location, Options, QuestionRecord, Records, Source, Vote};
use madoguchi::search::Decision;

const ANSWERED: [(&str, &str); 8] = [
    ("テレワークの機器を買うのに補助はありますか", "2.tokyo.b.3"),
    ("育児休業の取得を進めたい", "5.tokyo.b"),
    ("外国人社員の日本語教育の費用を助成してほしい", "6.tokyo.e"),
    ("人手不足で困っている", "6.tokyo.a"),
    ("女性の採用を増やしたい", "4.tokyo.a"),
    ("長時間労働を減らしたい", "1.tokyo.a"),
    ("テレワークの相談窓口はどこですか", "2.tokyo.a"),
    ("介護休業の制度を整えたい", "5.tokyo.c"),
];
const TOPICS: [&str; 40] = [
    "カピバラ",
    "屋上菜園",
    "社員旅行",
    "駐車場",
    "自販機",
    "観葉植物",
    "社用車",
    "制服",
    "eスポーツ",
    "社内カフェ",
    "ドローン",
    "キャンプ",
    "占い",
    "ペット",
    "温泉",
    "野球部",
    "合唱",
    "盆栽",
    "囲碁",
    "将棋",
    "マラソン",
    "ヨガ",
    "茶道",
    "書道",
    "落語",
    "漫画",
    "アニメ",
    "映画",
    "音楽",
    "写真",
    "料理",
    "釣り",
    "登山",
    "水泳",
    "卓球",
    "テニス",
    "サッカー",
    "バスケ",
    "スキー",
    "花見",
];
const ASKS: [&str; 50] = [
    "の補助はありますか",
    "に使える助成金",
    "の費用を出してほしい",
    "の支援策を知りたい",
    "について相談したい",
    "の補助金",
    "を導入したい",
    "の補助は？",
    "に助成はある？",
    "の費用の補助",
    "の導入支援",
    "の支援",
    "をやりたい",
    "を始めたい",
    "の制度はありますか",
    "について教えて",
    "の助成",
    "の窓口",
    "の申請方法",
    "の締め切り",
    "の対象",
    "はいくらまで",
    "の上限",
    "の手続き",
    "の書類",
    "の期間",
    "の条件",
    "に使える制度",
    "の相談先",
    "の補助率",
    "を社員に",
    "の福利厚生",
    "を会社で",
    "の経費",
    "に補助金",
    "の支給",
    "の給付",
    "の補填",
    "の援助",
    "の予算",
    "は対象ですか",
    "は出ますか",
    "はもらえる？",
    "の申し込み",
    "の受付",
    "の要件",
    "の説明会",
    "の事例",
    "のセミナー",
    "の研修",
];

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next().map(PathBuf::from) else {
        eprintln!("usage: synthetic_state DIR [QUESTIONS]");
        return ExitCode::from(2);
    };
    let n: u64 = match args.next().map(|a| a.parse()) {
        None => 1_000_000,
        Some(Ok(n)) => n,
        Some(Err(_)) => {
            eprintln!("synthetic_state: QUESTIONS must be a number");
            return ExitCode::from(2);
        }
    };
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(write(dir, n))
}

/// The records written through the bot's queue, a batch at a time (the
/// queue holds a bounded number).
async fn write(dir: PathBuf, n: u64) -> ExitCode {
    const BATCH: u64 = 5_000;
    let location = Location::in_state(&dir);
    let records = match Records::open(&dir, &location, &Options::default()).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("synthetic_state: {e}");
            return ExitCode::FAILURE;
        }
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let year = 365 * 86_400;
    let mut rng = fastrand::Rng::with_seed(2026);
    for answer in 1..=n {
        let ts = now - year + answer * year / n;
        let roll = rng.u32(0..100);
        let (query, shown, decision) = if roll < 80 {
            let (q, id) = ANSWERED[rng.usize(0..ANSWERED.len())];
            let d = if roll < 70 {
                Decision::Answer
            } else {
                Decision::DidYouMean
            };
            (q.to_string(), vec![id.to_string()], d)
        } else {
            let q = format!(
                "{}{}",
                TOPICS[rng.usize(0..TOPICS.len())],
                ASKS[rng.usize(0..ASKS.len())]
            );
            (q, Vec::new(), Decision::Decline)
        };
        let record = QuestionRecord {
            ts,
            answer,
            source: Source::Slash,
            query,
            answered: !shown.is_empty(),
            sure: decision == Decision::Answer,
            decision: Some(decision),
            confidence: if shown.is_empty() { 0.1 } else { 0.8 },
            shown,
            faq: None,
            guild: None,
        };
        records.question(&record);
        if record.answered && rng.u32(0..20) == 0 {
            let vote = if rng.bool() { Vote::Up } else { Vote::Down };
            records.vote(answer, vote, None, answer);
        }
        if answer % BATCH == 0 && !records.queue().flush(Duration::from_secs(60)).await {
            eprintln!("synthetic_state: the database did not take the records");
            return ExitCode::FAILURE;
        }
    }
    let lost = records.close(Duration::from_secs(60)).await;
    if lost > 0 {
        eprintln!("synthetic_state: {lost} records not written");
        return ExitCode::FAILURE;
    }
    println!("{n} questions in {}", dir.display());
    ExitCode::SUCCESS
}
