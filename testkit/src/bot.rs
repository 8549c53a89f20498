//! The bot under test: its configuration for a [`FakeDiscord`], a bot
//! started against a fresh fake (on `data/`, or watching a copy of it), the
//! users who ask, what a reply says, the check every reply must pass, and the
//! bot's logs in the test output. Every wait is bounded.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::Duration;

use madoguchi::discord::{Config, RunError, Token, run_live};
use madoguchi::engine::{Engine, Paths, Rebuild};
use madoguchi::watch::{Change, DataWatcher};
use serde_json::{Value, json};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::fake_discord::{BOT_ID, CHANNEL_ID, FakeDiscord, GUILD_ID, Recorded, STAFF_ROLE};

/// No bot test may take longer than this.
pub const TEST_LIMIT: Duration = Duration::from_secs(120);

/// How long the watcher of a live bot waits for saves to settle.
pub const QUIET: Duration = Duration::from_millis(300);

/// The `n`th user who asks.
pub fn human(n: u64) -> Value {
    FakeDiscord::user(5000 + n, &format!("owner{n}"), false)
}

/// The `n`th user as a member of the home server, without roles.
pub fn member(n: u64) -> Value {
    FakeDiscord::member(&human(n), 0, &[])
}

/// Who asks: a user object, or the number of a [`human`].
pub trait Author {
    fn author(self) -> Value;
}

impl Author for u64 {
    fn author(self) -> Value {
        human(self)
    }
}

impl Author for &Value {
    fn author(self) -> Value {
        self.clone()
    }
}

pub async fn within_limit<F: Future<Output = ()>>(f: F) {
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
    crate::engine().knowledge.messages.clone()
}

/// An engine over `data` with its index in `index`, opened off the async workers.
pub async fn engine_over(data: &Path, index: &Path) -> Engine {
    let paths = crate::paths(data, index);
    open_engine(paths, |p| {
        Engine::open(p, Rebuild::IfStale, &mut |_| {}).unwrap()
    })
    .await
}

/// The engine `open` opens on `paths`, off the async workers, once the
/// shared dictionary is built.
async fn open_engine(paths: Paths, open: impl FnOnce(&Paths) -> Engine + Send + 'static) -> Engine {
    tokio::task::spawn_blocking(move || {
        crate::engine(); // the shared dictionary is built
        open(&paths)
    })
    .await
    .unwrap()
}

/// The bot's logs in the test output (shown when a test fails), at the level
/// `RUST_LOG` asks for (default: warnings, and madoguchi's information).
pub fn logs() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,madoguchi=info")),
        )
        .with_test_writer()
        .try_init();
}

/// The bot's configuration for `fake` (and the token it accepts): through
/// serenity's proxy setting, or (a TLS fake) as `discord.com` itself with
/// serenity's rate limiter on. No cooldown, [`STAFF_ROLE`] as the staff
/// role, reconnects after at most a second.
pub fn config(fake: &FakeDiscord, data: &Path, index: &Path, state: &Path) -> Config {
    let token = Token::new(&fake.token()).unwrap();
    let mut c = Config::new(token, crate::paths(data, index));
    match &fake.tls {
        Some((addr, ca)) => {
            let client = reqwest::Client::builder()
                .use_rustls_tls()
                .resolve("discord.com", *addr)
                .add_root_certificate(reqwest::Certificate::from_pem(ca.as_bytes()).unwrap())
                .build()
                .unwrap();
            c.http_client = Some(client);
        }
        None => c.api_base = fake.base.clone(),
    }
    c.state_dir = state.to_path_buf();
    c.cooldown = Duration::ZERO;
    c.staff_role = Some(STAFF_ROLE);
    c.max_backoff = Duration::from_secs(1);
    c
}

/// `run` on a task, and the sender that shuts it down.
pub fn spawn(c: Config, engine: Engine) -> (oneshot::Sender<()>, JoinHandle<Result<(), RunError>>) {
    spawn_live(c, engine, None)
}

/// `run_live` on a task with the changes of `data/` a watcher reports, and
/// the sender that shuts it down.
fn spawn_live(
    c: Config,
    engine: Engine,
    changes: Option<UnboundedReceiver<Change>>,
) -> (oneshot::Sender<()>, JoinHandle<Result<(), RunError>>) {
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(run_live(c, engine, changes, async move {
        let _ = rx.await;
    }));
    (tx, task)
}

/// A bot running against its own fake Discord, with its index and state in
/// a temporary directory.
pub struct Bot {
    pub fake: FakeDiscord,
    /// The data the bot serves.
    pub data: PathBuf,
    /// The bot's index directory.
    pub index: PathBuf,
    /// The bot's state directory (its records).
    pub state: PathBuf,
    /// Holds the index and state (and the data a live bot watches).
    tmp: tempfile::TempDir,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), RunError>>,
    watcher: Option<DataWatcher>,
}

impl Bot {
    /// A bot over `data` (default: the repository's) connected to `fake`,
    /// with [`config`] changed by `tweak`.
    pub async fn start(
        fake: FakeDiscord,
        data: Option<&Path>,
        tweak: impl FnOnce(&mut Config),
    ) -> Bot {
        logs();
        let tmp = tempfile::tempdir().unwrap();
        let data = data.map_or_else(|| crate::repo().join("data"), Path::to_path_buf);
        let engine = engine_over(&data, &tmp.path().join("index")).await;
        Bot::launch(fake, tmp, data, engine, false, tweak).await
    }

    /// A bot that watches the data directory `setup` makes in a temporary
    /// directory and reloads it (`run_live`), on the engine `open` opens,
    /// with [`config`] changed by `tweak`.
    pub async fn start_live(
        fake: FakeDiscord,
        setup: impl FnOnce(&Path) -> PathBuf,
        open: impl FnOnce(&Paths) -> Engine + Send + 'static,
        tweak: impl FnOnce(&mut Config),
    ) -> Bot {
        logs();
        let tmp = tempfile::tempdir().unwrap();
        let data = setup(tmp.path());
        let engine = open_engine(crate::paths(&data, &tmp.path().join("index")), open).await;
        Bot::launch(fake, tmp, data, engine, true, tweak).await
    }

    /// Runs the bot on `engine` over `data` (watched when `watch`), with its
    /// index and state in `tmp`, until its first gateway session is up.
    async fn launch(
        fake: FakeDiscord,
        tmp: tempfile::TempDir,
        data: PathBuf,
        engine: Engine,
        watch: bool,
        tweak: impl FnOnce(&mut Config),
    ) -> Bot {
        let (index, state) = (tmp.path().join("index"), tmp.path().join("state"));
        let (watcher, changes) = if watch {
            let (watcher, changes) = madoguchi::watch::watch(&data, QUIET).unwrap();
            (Some(watcher), Some(changes))
        } else {
            (None, None)
        };
        let mut c = config(&fake, &data, &index, &state);
        tweak(&mut c);
        let (tx, task) = spawn_live(c, engine, changes);
        fake.wait_sessions(1).await;
        Bot {
            fake,
            data,
            index,
            state,
            tmp,
            shutdown: Some(tx),
            task,
            watcher,
        }
    }

    /// Shuts the bot down: it must stop within 10 s, without an error. A
    /// watching bot must leave its data as it was (it still loads).
    pub async fn stop(self) {
        drop(self.stop_keeping_files().await);
    }

    /// Shuts the bot down as [`Bot::stop`] does, and hands over the
    /// temporary directory that holds its index and state, for another bot
    /// to start on them.
    pub async fn stop_keeping_files(mut self) -> tempfile::TempDir {
        self.shutdown.take().unwrap().send(()).unwrap();
        let result = tokio::time::timeout(Duration::from_secs(10), &mut self.task)
            .await
            .expect("the bot stops within 10 s of shutdown")
            .expect("the bot task did not panic");
        assert!(result.is_ok(), "{result:?}");
        if self.watcher.is_some() {
            // Nothing the bot did touched data/ (the copy still loads as before).
            assert!(madoguchi::data::load(&self.data).is_ok());
        }
        self.tmp
    }

    /// What `run` returned, within `limit`.
    pub async fn ended(&mut self, limit: Duration) -> Result<(), RunError> {
        tokio::time::timeout(limit, &mut self.task)
            .await
            .expect("the bot stopped by itself in time")
            .expect("the bot task did not panic")
    }

    /// The records of the bot: `questions`, `unanswered` or `votes`, as
    /// [`crate::stored_records`] reads them.
    pub fn records(&self, which: &str) -> Vec<Value> {
        crate::stored_records(&self.state, which)
    }

    pub fn questions(&self) -> Vec<Value> {
        self.records("questions")
    }

    /// A guild message in `channel` mentioning the bot; returns its id.
    pub async fn mention_in(&self, channel: u64, author: impl Author, text: &str) -> u64 {
        let id = self.fake.id();
        let msg = FakeDiscord::message(
            id,
            channel,
            Some(GUILD_ID),
            &author.author(),
            &format!("<@{BOT_ID}> {text}"),
            &[FakeDiscord::bot_user()],
        );
        self.fake.dispatch("MESSAGE_CREATE", msg).await;
        id
    }

    /// A message in [`CHANNEL_ID`] mentioning the bot; returns its id.
    pub async fn mention(&self, author: impl Author, text: &str) -> u64 {
        self.mention_in(CHANNEL_ID, author, text).await
    }

    /// The messages created in reply to message `id`.
    pub fn replies_to(&self, id: u64) -> Vec<Value> {
        replies_to(&self.fake, id)
    }

    /// Waits for the first reply to message `id`.
    pub async fn answered(&self, id: u64) -> Value {
        self.fake
            .wait_until(&format!("a reply to {id}"), |f| {
                replies_to(f, id).into_iter().next()
            })
            .await
    }
}

/// The messages created in reply to message `id`.
pub fn replies_to(fake: &FakeDiscord, id: u64) -> Vec<Value> {
    fake.created()
        .into_iter()
        .filter(|m| {
            m["request"]["message_reference"]["message_id"].as_str() == Some(&id.to_string())
        })
        .collect()
}

/// The POST requests the bot made to `path`.
pub fn posts(fake: &FakeDiscord, path: &str) -> Vec<Recorded> {
    fake.requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path == path)
        .collect()
}

/// The height in CSS px a reply takes on a 412 px wide phone, from the top
/// of the reply to the bottom of its last component, estimated from the
/// payload alone (content, embeds, rows): lines of text wrapped at the
/// width an embed leaves (about 19 full-width characters), with the
/// spacing the Discord client puts around embeds, fields and rows.
/// Calibrated against `discord-view` drawings of the bot's typical replies:
/// from 4% under to 20% over the drawn heights (README, "How it looks").
pub fn phone_height(reply: &Value) -> u32 {
    const LINE: u32 = 20;
    const SMALL_LINE: u32 = 20;
    let mut h = 44; // the reply line and the author line
    if let Some(c) = reply["content"].as_str().filter(|c| !c.is_empty()) {
        h += lines(c, 21) * LINE + 4;
    }
    for e in reply["embeds"].as_array().into_iter().flatten() {
        h += 32; // the embed's padding and the gap above it
        if let Some(t) = e["title"].as_str() {
            h += lines(t, 19) * LINE + 8;
        }
        if let Some(d) = e["description"].as_str() {
            h += text_height(d, 18, LINE, SMALL_LINE) + 4;
        }
        for f in e["fields"].as_array().into_iter().flatten() {
            let name = f["name"].as_str().unwrap_or_default();
            let value = f["value"].as_str().unwrap_or_default();
            h += lines(name, 19) * LINE + text_height(value, 19, LINE, SMALL_LINE) + 8;
        }
        if let Some(t) = e["footer"]["text"].as_str() {
            h += lines(t, 23) * 16 + 8;
        }
    }
    for row in reply["components"].as_array().into_iter().flatten() {
        let parts = row["components"].as_array().cloned().unwrap_or_default();
        h += if parts.first().is_some_and(|c| c["type"] == 3) {
            48
        } else {
            48 * button_rows(&parts)
        };
    }
    h
}

/// The rows a row of buttons wraps into on a phone: a button is as wide
/// as its label (a link's has an icon), about 330 px to a row.
fn button_rows(buttons: &[Value]) -> u32 {
    const ROW: u32 = 330;
    let mut rows = 1;
    let mut used = 0;
    for b in buttons {
        let label = b["label"].as_str().unwrap_or_default();
        let width = if label.is_empty() {
            88
        } else {
            let halves: u32 = label
                .chars()
                .map(|c| if c.is_ascii() { 1 } else { 2 })
                .sum();
            32 + 7 * halves + if b["url"].is_string() { 16 } else { 0 }
        };
        if used > 0 && used + 8 + width > ROW {
            rows += 1;
            used = 0;
        }
        used += if used > 0 { 8 } else { 0 } + width;
    }
    rows
}

/// Lines of markdown `text` wrapped at `width` full-width characters, a
/// `-# ` line being small text.
fn text_height(text: &str, width: u32, line: u32, small: u32) -> u32 {
    text.lines()
        .map(|l| match l.strip_prefix("-# ") {
            Some(rest) => lines(rest, width + 4) * small,
            None if l.trim().is_empty() => line,
            None => lines(l, width) * line,
        })
        .sum()
}

/// Wrapped lines of `text` at `width` full-width characters: a full-width
/// character counts one, a half-width one a half; markdown marks and link
/// targets count nothing.
fn lines(text: &str, width: u32) -> u32 {
    text.lines()
        .map(|l| {
            let mut shown = String::new();
            let mut rest = l;
            // `[label](url)` shows its label only.
            while let Some(open) = rest.find("](") {
                let Some(close) = rest[open..].find(')') else {
                    break;
                };
                shown.push_str(&rest[..open]);
                rest = &rest[open + close + 1..];
            }
            shown.push_str(rest);
            let halves: u32 = shown
                .chars()
                .filter(|c| !matches!(c, '*' | '_' | '[' | '`'))
                .map(|c| if c.is_ascii() { 1 } else { 2 })
                .sum();
            halves.div_ceil(2 * width).max(1)
        })
        .sum()
}
