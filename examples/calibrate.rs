//! Calibrates the decision to answer, offer 「もしかして」 or decline.
//!
//! Runs every question of the given files (TSV: question, expected, group)
//! through the engine on `data/`, prints each one's evidence (`--dump`), and
//! searches the two confidence thresholds that serve owners best: an
//! answerable question scores when its right programme is first and it is
//! not declined (a sure answer scores 1, a 「もしかして」 0.8); a question
//! that must be declined scores 1 when declined; the figure reported is
//! the mean of the answerable and the must-decline scores, so that neither
//! kind can be traded away for the other. Run it with
//!
//! ```sh
//! cargo run --release --example calibrate -- ../shared/plan/dev-questions-realistic.tsv tests/questions-realistic.tsv
//! ```
//!
//! and set `search::DECLINE_AT` / `search::SURE_AT` from what it prints.

use std::path::PathBuf;
use std::process::ExitCode;

use madoguchi::engine::{Engine, Paths, Rebuild};
use madoguchi::eval::{self, Question};
use madoguchi::search::{Decision, Settings};

struct Row {
    must_decline: bool,
    top_right: bool,
    confidence: f32,
    scoped: bool,
    greeting: bool,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dump = args.iter().any(|a| a == "--dump");
    let files: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let paths = Paths::new(
        PathBuf::from("data"),
        PathBuf::from("index"),
        PathBuf::from("/usr/share/mecab/dic/ipadic"),
    );
    let mut engine = match Engine::open(&paths, Rebuild::IfStale, &mut |_| {}) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("calibrate: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    let mut questions = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(file).expect("a readable question file");
        questions.extend(eval::parse(&text).expect("a valid question file"));
    }
    let defaults = engine.settings;
    let mut best_all = (f64::MIN, String::new());
    for unknown in [0.0, 0.5, 1.0, 1.5, 2.0, 3.0] {
        for strong in [2.0, 3.0, 4.0, 5.0, 6.0, 8.0] {
            engine.settings.unknown_idf = unknown;
            engine.settings.strong_evidence = strong;
            let rows = collect(
                &engine,
                &questions,
                dump && unknown == defaults.unknown_idf && strong == defaults.strong_evidence,
            );
            let (total, line) = thresholds(&rows, &defaults);
            println!("unknown_idf {unknown:.1} strong_evidence {strong:.1}: {line}");
            if total > best_all.0 {
                best_all = (
                    total,
                    format!("unknown_idf {unknown:.1} strong_evidence {strong:.1}: {line}"),
                );
            }
        }
    }
    println!("best of all: {}", best_all.1);
    ExitCode::SUCCESS
}

fn collect(engine: &Engine, questions: &[Question], dump: bool) -> Vec<Row> {
    let mut rows = Vec::new();
    for q in questions {
        let o = engine.search(&q.text).expect("a search");
        let top_right = o
            .ranked
            .first()
            .is_some_and(|id| q.expected.iter().any(|p| eval::matches(p, id)));
        let e = &o.evidence;
        if dump {
            println!(
                "{}\t{}\t{:.3}\t{:.2}\t{:.2}\t{:.3}\t{:.3}\t{:.3}\t{:?}\t{}",
                q.group,
                u8::from(top_right),
                o.confidence,
                e.matched,
                e.known,
                e.focus,
                e.coverage,
                e.margin,
                o.decision,
                q.text
            );
        }
        rows.push(Row {
            must_decline: q.expected.is_empty(),
            top_right,
            confidence: o.confidence,
            scoped: o.decision == Decision::OutOfScope,
            greeting: o.decision == Decision::Greeting,
        });
    }
    rows
}

/// The best thresholds for these rows, and a line saying so.
fn thresholds(rows: &[Row], now: &Settings) -> (f64, String) {
    let score = |decline: f32, sure: f32| -> (f64, f64) {
        let (mut pos, mut npos, mut neg, mut nneg) = (0.0, 0.0, 0.0, 0.0);
        for r in rows {
            let declined = r.scoped || r.greeting || r.confidence <= decline;
            if r.must_decline {
                nneg += 1.0;
                neg += f64::from(u8::from(declined));
            } else {
                npos += 1.0;
                if !declined && r.top_right {
                    pos += if r.confidence >= sure { 1.0 } else { 0.8 };
                }
            }
        }
        (pos / f64::max(npos, 1.0), neg / f64::max(nneg, 1.0))
    };
    let mut best = (f64::MIN, 0.0, 0.0, 0.0, 0.0);
    for d in 0..=60 {
        let decline = d as f32 * 0.01;
        for s in 0..=20 {
            let sure = decline + s as f32 * 0.025;
            let (p, n) = score(decline, sure);
            let total = (p + n) / 2.0;
            if total > best.0 + 1e-9 {
                best = (total, f64::from(decline), f64::from(sure), p, n);
            }
        }
    }
    let (now_p, now_n) = score(now.threshold, now.sure);
    (
        best.0,
        format!(
            "now answerable {:.3} declined {:.3}; best: decline at {:.2}, sure from {:.3}: answerable {:.3}, declined {:.3}",
            now_p, now_n, best.1, best.2, best.3, best.4
        ),
    )
}
