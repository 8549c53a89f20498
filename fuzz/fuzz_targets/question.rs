//! Fuzz target: any bytes, read as text (lossily), go the way a question
//! goes — normalisation, segmentation, search, the answer and the Discord
//! reply built from it. A panic, a hang (libFuzzer's `-timeout`) or a reply
//! outside Discord's limits is a finding. The engine is opened once, over
//! the repository's `data/` (or `MADOGUCHI_DATA`), with the dictionary built
//! at `index/ipadic` (or `MADOGUCHI_DICTIONARY`) and a throw-away index.

#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use madoguchi::discord::fit::{discord_len, limits};
use madoguchi::discord::render;
use madoguchi::engine::{Engine, Paths, Rebuild};

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
        let var =
            |key: &str, default: PathBuf| std::env::var_os(key).map_or(default, PathBuf::from);
        let index = std::env::temp_dir().join(format!("madoguchi-fuzz-{}", std::process::id()));
        let mut paths = Paths::new(
            var("MADOGUCHI_DATA", repo.join("data")),
            index,
            var(
                "MADOGUCHI_IPADIC",
                PathBuf::from(madoguchi::dictionary::DEFAULT_IPADIC_SOURCE),
            ),
        );
        paths.dictionary = var("MADOGUCHI_DICTIONARY", repo.join("index/ipadic"));
        Engine::open(&paths, Rebuild::IfStale, &mut |m| eprintln!("{m}"))
            .unwrap_or_else(|e| panic!("the engine did not open: {e}"))
    })
}

fuzz_target!(|data: &[u8]| {
    let question = String::from_utf8_lossy(data);
    let engine = engine();
    let normalized = engine.analyzer.normalize(&question);
    let words = engine.analyzer.words(&normalized).expect("segmentation");
    for w in &words {
        assert!(normalized.is_char_boundary(w.start) && normalized.is_char_boundary(w.end));
    }
    let answer = engine
        .ask(&question)
        .expect("a question is answered or declined");
    assert!(answer.confidence.is_finite());
    assert_eq!(answer.answered, !answer.measures.is_empty());
    let reply = render::answer(&answer, &engine.knowledge.messages, 1, data.len() % 2 == 0);
    let total: usize = reply.embeds.iter().map(|e| e.total_len()).sum();
    assert!(total <= limits::EMBED_TOTAL);
    assert!(reply.embeds.len() <= limits::EMBEDS);
    let title = reply.embeds[0].title.as_deref().unwrap_or_default();
    assert!(discord_len(title) <= limits::EMBED_TITLE);
    assert!(!title.contains("@everyone") && !title.contains("<@"));
    let json = serde_json::to_value(reply.message()).expect("serialises");
    assert_eq!(json["allowed_mentions"]["parse"], serde_json::json!([]));
});
