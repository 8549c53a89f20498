//! The benchmark report: how fast madoguchi answers, how its cost grows with
//! the knowledge base, and how it stands against an SQLite FTS5 trigram
//! baseline over the same measures, in one run.
//!
//! `cargo bench --bench answer` prints a Markdown report (the figures of
//! BENCHMARKS.md). `-- --quick` runs fewer rounds. Everything runs on this
//! machine: the public questions from `../shared/plan/dev-questions.tsv`, the
//! real `data/`, a generated knowledge base of 10,000 FAQ entries (fixed
//! seed), and `madoguchi serve` against a fake Discord on 127.0.0.1.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use madoguchi::engine::{Engine, Rebuild};
use madoguchi::eval;
use tantivy::Term;
use testkit::fake_discord;

const GENERATED_FAQS: usize = 10_000;
const SEED: u64 = 20230401;

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let rounds = if quick { 20 } else { 300 };
    let repo = testkit::repo();
    let tmp = tempfile::tempdir().expect("temp dir");
    let paths = |data: &Path, index: &str| testkit::paths(data, &tmp.path().join(index));
    let questions_text = std::fs::read_to_string(testkit::dev_questions())
        .expect("../shared/plan/dev-questions.tsv beside the repository");
    let questions = eval::parse(&questions_text).expect("question file");
    let texts: Vec<&str> = questions.iter().map(|q| q.text.as_str()).collect();

    let mut report = String::new();
    let _ = writeln!(report, "# madoguchi benchmark report\n");
    let _ = writeln!(report, "machine: {}", machine());
    let _ = writeln!(
        report,
        "questions: {} public questions × {rounds} rounds\n",
        texts.len()
    );

    // Dictionary once, untimed.
    let real_data = repo.join("data");
    Engine::open(&paths(&real_data, "warmup"), Rebuild::IfStale, &mut |_| {})
        .expect("engine over data/");

    // Index build from data/ (dictionary already built).
    let started = Instant::now();
    let real = Engine::open(&paths(&real_data, "real"), Rebuild::IfStale, &mut |_| {})
        .expect("engine over data/");
    let build_real = started.elapsed();

    // The generated knowledge base.
    let generated_data = tmp.path().join("generated");
    generate_knowledge(&real_data, &generated_data, &real);
    let started = Instant::now();
    let big = Engine::open(
        &paths(&generated_data, "generated"),
        Rebuild::IfStale,
        &mut |_| {},
    )
    .expect("engine over the generated data");
    let build_big = started.elapsed();

    latency_section(&mut report, &real, &big, &texts, rounds);
    throughput_section(&mut report, &real, &big, &texts, rounds);
    build_section(&mut report, (&real, build_real), (&big, build_big));
    fts_section(&mut report, &real, &questions, &texts, rounds);
    let env = ProcessEnv {
        data: real_data,
        index: tmp.path().join("real"),
        dictionary: testkit::dictionary_dir(),
        state: tmp.path().join("state"),
    };
    process_section(&mut report, &env, quick);
    print!("{report}");
}

/// Per question latency on each knowledge base.
fn latency_section(
    report: &mut String,
    real: &Engine,
    big: &Engine,
    texts: &[&str],
    rounds: usize,
) {
    let _ = writeln!(report, "## Per question latency (µs)\n");
    let _ = writeln!(
        report,
        "| knowledge base | documents | analysis median | analysis p99 | search median | search p99 | full answer median | full answer p99 |"
    );
    let _ = writeln!(report, "|---|---:|---:|---:|---:|---:|---:|---:|");
    for (name, engine) in [("data/", real), ("10,000 generated FAQ", big)] {
        let l = latencies(engine, texts, rounds);
        let _ = writeln!(
            report,
            "| {name} | {} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} |",
            engine.index.reader.searcher().num_docs(),
            l.analysis.0,
            l.analysis.1,
            l.search.0,
            l.search.1,
            l.full.0,
            l.full.1
        );
    }
}

/// Answers per second, on one thread and on all.
fn throughput_section(
    report: &mut String,
    real: &Engine,
    big: &Engine,
    texts: &[&str],
    rounds: usize,
) {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let _ = writeln!(
        report,
        "\n## Throughput, {threads} threads answering at once\n"
    );
    let _ = writeln!(
        report,
        "| knowledge base | answers/s (1 thread) | answers/s ({threads} threads) |"
    );
    let _ = writeln!(report, "|---|---:|---:|");
    for (name, engine) in [("data/", real), ("10,000 generated FAQ", big)] {
        let one = throughput(engine, texts, 1, rounds);
        let all = throughput(engine, texts, threads, rounds);
        let _ = writeln!(report, "| {name} | {one:.0} | {all:.0} |");
    }
}

/// How long loading and indexing each knowledge base took.
fn build_section(report: &mut String, real: (&Engine, Duration), big: (&Engine, Duration)) {
    let _ = writeln!(report, "\n## Index build (dictionary already built)\n");
    let _ = writeln!(
        report,
        "| knowledge base | documents | load data + build index |"
    );
    let _ = writeln!(report, "|---|---:|---:|");
    let _ = writeln!(
        report,
        "| data/ | {} | {:.0} ms |",
        real.0.index.reader.searcher().num_docs(),
        real.1.as_secs_f64() * 1e3
    );
    let _ = writeln!(
        report,
        "| 10,000 generated FAQ | {} | {:.0} ms |",
        big.0.index.reader.searcher().num_docs(),
        big.1.as_secs_f64() * 1e3
    );
}

/// Against the SQLite FTS5 baseline: quality and speed on the same questions.
fn fts_section(
    report: &mut String,
    real: &Engine,
    questions: &[eval::Question],
    texts: &[&str],
    rounds: usize,
) {
    // Baseline, same questions, same measures.
    let _ = writeln!(
        report,
        "\n## Against SQLite FTS5 (trigram tokenizer, OR of trigrams, bm25)\n"
    );
    let fts = Fts::new(real);
    let fts_times = time_each(texts, rounds, |q| {
        std::hint::black_box(fts.search(q));
    });
    let ours_times = time_each(texts, rounds, |q| {
        let a = real.ask(q).expect("answer");
        std::hint::black_box(serde_json::to_string(&a).expect("json"));
    });
    let (fts1, fts3) = fts_quality(&fts, questions);
    let report_ours = eval::evaluate(real, questions, 3).expect("evaluation");
    let ours = report_ours
        .groups
        .iter()
        .filter(|g| g.group == "core")
        .map(|g| (g.hit_at_1, g.hit_at_k))
        .next()
        .unwrap_or((0.0, 0.0));
    let (ours_med, fts_med) = (percentile(&ours_times, 0.5), percentile(&fts_times, 0.5));
    let _ = writeln!(
        report,
        "| system | core hit@1 | core hit@3 | median µs | p99 µs |"
    );
    let _ = writeln!(report, "|---|---:|---:|---:|---:|");
    let _ = writeln!(
        report,
        "| madoguchi (full answer) | {:.2} | {:.2} | {:.1} | {:.1} |",
        ours.0,
        ours.1,
        ours_med,
        percentile(&ours_times, 0.99)
    );
    let _ = writeln!(
        report,
        "| FTS5 trigram | {fts1:.2} | {fts3:.2} | {fts_med:.1} | {:.1} |",
        percentile(&fts_times, 0.99)
    );
    let _ = writeln!(
        report,
        "\nlatency ratio madoguchi / FTS5 (median): {:.2}",
        ours_med / fts_med
    );
}

/// Whole processes: `ask` cold start and peak memory, `serve` peak memory.
fn process_section(report: &mut String, env: &ProcessEnv, quick: bool) {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_madoguchi"));
    let cold: Vec<(Duration, u64)> = (0..if quick { 5 } else { 30 })
        .map(|_| run_ask(&bin, env, "テレワークの導入に使える補助金はありますか"))
        .collect();
    let mut cold_ms: Vec<f64> = cold.iter().map(|(d, _)| d.as_secs_f64() * 1e3).collect();
    cold_ms.sort_by(f64::total_cmp);
    let ask_rss = cold.iter().map(|(_, r)| *r).max().unwrap_or(0);
    let serve_rss = serve_peak_rss(&bin, env, if quick { 50 } else { 500 });
    let _ = writeln!(report, "\n## Whole process\n");
    let _ = writeln!(report, "| measure | value |");
    let _ = writeln!(report, "|---|---:|");
    let _ = writeln!(
        report,
        "| `ask` cold start to first answer, median of {} | {:.1} ms |",
        cold_ms.len(),
        cold_ms[cold_ms.len() / 2]
    );
    let _ = writeln!(
        report,
        "| `ask` peak resident memory | {:.1} MB |",
        ask_rss as f64 / 1024.0
    );
    match serve_rss {
        Ok((rss, answered)) => {
            let _ = writeln!(
                report,
                "| `serve` peak resident memory after {answered} answers | {:.1} MB |",
                rss as f64 / 1024.0
            );
        }
        Err(e) => {
            let _ = writeln!(
                report,
                "| `serve` peak resident memory | not measured: {e} |"
            );
        }
    }
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    format!("{cpu}, {cores} cores, release build")
}

struct Latencies {
    /// (median, p99) in µs
    analysis: (f64, f64),
    search: (f64, f64),
    full: (f64, f64),
}

fn latencies(engine: &Engine, texts: &[&str], rounds: usize) -> Latencies {
    let searcher = engine.index.reader.searcher();
    let reading = engine.index.fields.reading;
    let known = |r: &str| {
        searcher
            .doc_freq(&Term::from_field_text(reading, r))
            .is_ok_and(|n| n > 0)
    };
    let analysis = time_each(texts, rounds, |q| {
        std::hint::black_box(engine.analyzer.question(q, &known).expect("analysis"));
    });
    let search = time_each(texts, rounds, |q| {
        std::hint::black_box(engine.search(q).expect("search"));
    });
    let full = time_each(texts, rounds, |q| {
        let a = engine.ask(q).expect("answer");
        std::hint::black_box(serde_json::to_string(&a).expect("json"));
    });
    let mp = |v: &[f64]| (percentile(v, 0.5), percentile(v, 0.99));
    Latencies {
        analysis: mp(&analysis),
        search: mp(&search),
        full: mp(&full),
    }
}

/// Times each call in µs, after one warm-up round.
fn time_each(texts: &[&str], rounds: usize, mut f: impl FnMut(&str)) -> Vec<f64> {
    for q in texts {
        f(q);
    }
    let mut out = Vec::with_capacity(texts.len() * rounds);
    for _ in 0..rounds {
        for q in texts {
            let t = Instant::now();
            f(q);
            out.push(t.elapsed().as_secs_f64() * 1e6);
        }
    }
    out.sort_by(f64::total_cmp);
    out
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

fn throughput(engine: &Engine, texts: &[&str], threads: usize, rounds: usize) -> f64 {
    let per_thread = texts.len() * rounds;
    let started = Instant::now();
    std::thread::scope(|s| {
        for t in 0..threads {
            s.spawn(move || {
                for i in 0..per_thread {
                    let q = texts[(i + t) % texts.len()];
                    let a = engine.ask(q).expect("answer");
                    std::hint::black_box(serde_json::to_string(&a).expect("json"));
                }
            });
        }
    });
    (threads * per_thread) as f64 / started.elapsed().as_secs_f64()
}

/// A copy of `data/` with 10,000 FAQ entries made from the plan's words.
fn generate_knowledge(from: &Path, to: &Path, engine: &Engine) {
    testkit::copy_dir(from, to);
    let k = &engine.knowledge;
    let mut words: Vec<String> = Vec::new();
    for m in &k.measures {
        for t in engine.analyzer.terms(&m.text).expect("terms") {
            if !words.contains(&t) {
                words.push(t);
            }
        }
    }
    let mut rng = fastrand::Rng::with_seed(SEED);
    // Each wording once: two entries may not ask the same thing; and, as
    // `check` requires of staff, none names a topic out of scope.
    let mut asked = std::collections::HashSet::new();
    let triggers: Vec<&String> = k.language.scope.iter().flat_map(|t| &t.triggers).collect();
    let mut pick = |n: usize| -> String {
        loop {
            let wording = (0..n)
                .map(|_| words[rng.usize(..words.len())].as_str())
                .collect::<Vec<_>>()
                .join("の");
            let out_of_scope = triggers.iter().any(|t| wording.contains(t.as_str()));
            if !out_of_scope && asked.insert(madoguchi::data::question_key(&wording)) {
                return wording;
            }
        }
    };
    let mut rng2 = fastrand::Rng::with_seed(SEED + 1);
    let mut out = String::new();
    for i in 0..GENERATED_FAQS {
        let question = format!("{}について知りたい", pick(3 + i % 3));
        let alternates = [pick(3), pick(4)];
        let m1 = &k.measures[rng2.usize(..k.measures.len())];
        let m2 = &k.measures[rng2.usize(..k.measures.len())];
        let _ = writeln!(
            out,
            "[[faq]]\nid = \"gen-{i}\"\nquestion = \"{question}\"\nalternates = [\"{}\", \"{}\"]\nanswer = \"{}{}\"\nmeasures = [\"{}\", \"{}\"]\n",
            alternates[0],
            alternates[1],
            m1.text.replace('"', ""),
            m2.text.replace('"', ""),
            m1.id,
            m2.id
        );
    }
    std::fs::write(to.join("faq/zz-generated.toml"), out).expect("write generated FAQ");
}

/// SQLite FTS5 with the trigram tokenizer over the measures' texts.
struct Fts {
    db: rusqlite::Connection,
}

impl Fts {
    fn new(engine: &Engine) -> Fts {
        let db = rusqlite::Connection::open_in_memory().expect("sqlite");
        db.execute_batch(
            "CREATE VIRTUAL TABLE m USING fts5(id UNINDEXED, text, tokenize='trigram');",
        )
        .expect("fts5 table");
        for m in &engine.knowledge.measures {
            db.execute(
                "INSERT INTO m (id, text) VALUES (?1, ?2)",
                (m.id.as_str(), &m.text),
            )
            .expect("insert");
        }
        Fts { db }
    }

    /// Measure ids ranked by bm25 for an OR of the question's trigrams.
    fn search(&self, question: &str) -> Vec<String> {
        let chars: Vec<char> = question.chars().filter(|c| !c.is_whitespace()).collect();
        let grams: Vec<String> = chars
            .windows(3)
            .map(|w| format!("\"{}\"", w.iter().collect::<String>().replace('"', "\"\"")))
            .collect();
        if grams.is_empty() {
            return Vec::new();
        }
        let mut stmt = self
            .db
            .prepare_cached("SELECT id FROM m WHERE m MATCH ?1 ORDER BY bm25(m) LIMIT 10")
            .expect("prepare");
        stmt.query_map([grams.join(" OR ")], |row| row.get::<_, String>(0))
            .expect("query")
            .filter_map(Result::ok)
            .collect()
    }
}

fn fts_quality(fts: &Fts, questions: &[eval::Question]) -> (f64, f64) {
    let core: Vec<&eval::Question> = questions.iter().filter(|q| q.group == "core").collect();
    let (mut h1, mut h3) = (0, 0);
    for q in &core {
        let got = fts.search(&q.text);
        let rank = got
            .iter()
            .position(|id| q.expected.iter().any(|p| eval::matches(p, id)));
        h1 += usize::from(rank == Some(0));
        h3 += usize::from(rank.is_some_and(|r| r < 3));
    }
    let n = core.len().max(1) as f64;
    (h1 as f64 / n, h3 as f64 / n)
}

struct ProcessEnv {
    data: PathBuf,
    index: PathBuf,
    dictionary: PathBuf,
    state: PathBuf,
}

impl ProcessEnv {
    fn apply(&self, cmd: &mut Command) {
        cmd.env("MADOGUCHI_DATA", &self.data)
            .env("MADOGUCHI_INDEX", &self.index)
            .env("MADOGUCHI_DICTIONARY", &self.dictionary)
            .env("MADOGUCHI_STATE", &self.state)
            .env_remove("RUST_LOG");
    }
}

/// Runs `madoguchi ask --json -`: the time from spawning it to its first
/// answer, and its peak RSS (KiB) at that point, read from /proc while it
/// waits for the next question.
fn run_ask(bin: &Path, env: &ProcessEnv, question: &str) -> (Duration, u64) {
    let mut cmd = Command::new(bin);
    env.apply(&mut cmd);
    cmd.args(["ask", "--json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let started = Instant::now();
    let mut child = cmd.spawn().expect("spawn madoguchi");
    let mut stdin = child.stdin.take().expect("stdin");
    writeln!(stdin, "{question}").expect("write question");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("read answer");
    let elapsed = started.elapsed();
    assert!(line.starts_with('{'), "madoguchi ask gave no answer");
    let rss = peak_rss(child.id()).expect("VmHWM of madoguchi ask");
    drop(stdin);
    let status = child.wait().expect("wait");
    assert!(status.success(), "madoguchi ask failed");
    (elapsed, rss)
}

/// Peak resident memory (KiB) of a running process.
fn peak_rss(pid: u32) -> Result<u64, String> {
    let status =
        std::fs::read_to_string(format!("/proc/{pid}/status")).map_err(|e| e.to_string())?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<u64>().ok())
        .ok_or_else(|| "no VmHWM in /proc status".to_string())
}

/// Starts `madoguchi serve` against a fake Discord, has it answer `n` direct
/// messages, and reads its peak RSS (KiB) before stopping it.
fn serve_peak_rss(bin: &Path, env: &ProcessEnv, n: u64) -> Result<(u64, u64), String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async {
        let token = "bench.token.value";
        let fake = fake_discord::FakeDiscord::start(token).await;
        let mut cmd = Command::new(bin);
        env.apply(&mut cmd);
        cmd.env("DISCORD_TOKEN", token)
            .env("DISCORD_API_BASE", &fake.base)
            .arg("serve")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut child = cmd.spawn().map_err(|e| e.to_string())?;
        let pid = child.id();
        let result = async {
            tokio::time::timeout(Duration::from_secs(30), fake.wait_sessions(1))
                .await
                .map_err(|_| "serve did not connect to the gateway".to_string())?;
            let questions = [
                "テレワークの導入に使える補助金はありますか",
                "人材確保に苦労している中小企業向けの相談窓口",
                "育児や介護と仕事を両立させるための支援を知りたい",
                "明日の天気を教えて",
            ];
            for i in 0..n {
                let user = fake_discord::FakeDiscord::user(10_000 + i, "owner", false);
                let channel = 50_000 + i;
                let id = 70_000 + i;
                let msg = fake_discord::FakeDiscord::message(
                    id,
                    channel,
                    None,
                    &user,
                    questions[i as usize % questions.len()],
                    &[],
                );
                fake.dispatch("MESSAGE_CREATE", msg).await;
                tokio::time::timeout(Duration::from_secs(10), fake.reply_to(channel, id))
                    .await
                    .map_err(|_| format!("no reply to message {i}"))?;
            }
            Ok::<_, String>((peak_rss(pid)?, n))
        }
        .await;
        let _ = child.kill();
        let _ = child.wait();
        result
    })
}
