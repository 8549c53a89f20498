//! Helpers shared by the bot's end-to-end tests (`tests/discord.rs`,
//! `tests/discord_reliability.rs`, `tests/live_reload.rs`): bounded waits,
//! the users who ask, what a reply says, and the check every reply must pass.

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

use madoguchi::engine::{Engine, Rebuild};

use crate::common;
use crate::fake_discord::FakeDiscord;

/// No bot test may take longer than this.
pub const TEST_LIMIT: Duration = Duration::from_secs(120);

pub fn human(n: u64) -> Value {
    FakeDiscord::user(5000 + n, &format!("owner{n}"), false)
}

pub fn member(n: u64) -> Value {
    FakeDiscord::member(&human(n), 0, &[])
}

pub async fn within_limit<F: std::future::Future<Output = ()>>(f: F) {
    tokio::time::timeout(TEST_LIMIT, f)
        .await
        .expect("the test finished in time");
}

/// All text of the embeds of a message body.
pub fn embed_text(body: &Value) -> String {
    let mut out = String::new();
    for e in body["embeds"].as_array().into_iter().flatten() {
        for key in ["title", "description"] {
            if let Some(s) = e[key].as_str() {
                out.push_str(s);
                out.push('\n');
            }
        }
        for f in e["fields"].as_array().into_iter().flatten() {
            out.push_str(f["name"].as_str().unwrap_or_default());
            out.push('\n');
            out.push_str(f["value"].as_str().unwrap_or_default());
            out.push('\n');
        }
        if let Some(s) = e["footer"]["text"].as_str() {
            out.push_str(s);
            out.push('\n');
        }
    }
    if let Some(c) = body["content"].as_str() {
        out.push_str(c);
    }
    out
}

pub fn assert_no_mentions(body: &Value) {
    assert_eq!(
        body["allowed_mentions"],
        json!({"parse": [], "users": [], "roles": [], "replied_user": false}),
        "allowed_mentions must allow nothing: {body}"
    );
}

pub fn messages() -> madoguchi::data::Messages {
    crate::common::engine().knowledge.messages.clone()
}

/// An engine over `data` with its index in `index`, opened off the async workers.
pub async fn engine_over(data: &Path, index: &Path) -> Engine {
    let (data, index) = (data.to_path_buf(), index.to_path_buf());
    tokio::task::spawn_blocking(move || {
        common::engine(); // the shared dictionary is built
        Engine::open(&common::paths(&data, &index), Rebuild::IfStale, &mut |_| {}).unwrap()
    })
    .await
    .unwrap()
}
