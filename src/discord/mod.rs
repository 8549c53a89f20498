//! The Discord surface of madoguchi (`madoguchi serve`): the only part of
//! the crate that knows serenity. [`run`] checks the token, opens the
//! records, connects the shards and answers until `shutdown` completes,
//! backing off between restarts. The pieces: [`config`] (settings, a token
//! that redacts itself), [`fit`] (Discord's limits, and the [`fit::Fitted`]
//! replies that are the only ones sent), [`render`] (the views: answers,
//! areas, staff reports as replies), [`ids`] (the ids of buttons and
//! menus), [`commands`] (the slash commands and `/ask`'s suggestions),
//! [`state`] (what every task of a bot shares), [`bot`] (the event
//! handler), [`live`] (reloading the knowledge),
//! [`home`] (whose staff may use the staff commands), [`cooldown`] (how
//! often one user may ask),
//! [`rest`] (retries and what each REST failure means), [`relay`] (rate
//! limits behind an API proxy), [`metrics`] (figures and health for
//! whoever runs the bot), [`weekly`] (the weekly chart for staff).
//!
//! The API base URL is a setting, so the same code runs against a local
//! Discord-compatible server in tests: REST requests go through serenity's
//! proxy setting (with its rate limiter off, as the proxy requires) to a
//! local [`relay`] that waits out 429s as the server asks, and the
//! gateway URL comes from that server's `GET /api/v10/gateway`. Tests can
//! also hand over their own HTTP client ([`Config::http_client`]) and reach
//! a local server as `discord.com`, with serenity's rate limiter on.

pub mod bot;
pub mod commands;
pub mod config;
pub mod cooldown;
pub mod fit;
pub mod home;
pub mod ids;
pub mod live;
pub mod metrics;
pub mod relay;
pub mod render;
pub mod rest;
pub mod state;
pub mod weekly;

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serenity::all::{
    ClientBuilder, ConnectionStage, GatewayError, GatewayIntents, Http, HttpBuilder, HttpError,
    ShardId, ShardManager, StatusCode,
};
use tracing::{info, warn};

pub use config::{Config, FileConfig, Shards, Token};

use crate::engine::Engine;
use crate::records::{self, Records, RecordsError};
use crate::watch::Change;
use bot::Handler;
use relay::Relay;
use state::Shared;
use tokio::sync::mpsc::UnboundedReceiver;

/// Why the bot stopped other than by `shutdown`.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(
        "Discord rejected the token (401 Unauthorized): check DISCORD_TOKEN (Bot tab of the application in the developer portal; reset it there if it leaked)"
    )]
    TokenRejected,
    #[error("cannot reach the Discord API at {base}: {source}")]
    Unreachable {
        base: String,
        source: Box<serenity::Error>,
    },
    #[error(
        "Discord refused the gateway intents: enable the Message Content intent for the bot in the developer portal, or remove the answer channels from the configuration"
    )]
    Intents,
    #[error("the gateway refused this process: {0}")]
    Gateway(Box<serenity::Error>),
    #[error(transparent)]
    Records(#[from] RecordsError),
}

/// How many restarts within this window count as a crash loop: Discord
/// allows 1,000 IDENTIFYs a day, so a loop must slow down within minutes,
/// while a bot that ran this long has recovered and starts afresh.
const CRASH_WINDOW: Duration = Duration::from_secs(10 * 60);
/// First wait after a failure: long enough for a network blip or a
/// Discord restart to pass, short enough that owners barely notice.
const FIRST_BACKOFF: Duration = Duration::from_secs(5);
const RESTARTS_FILE: &str = "restarts";
/// How long a stopping bot waits for the database to take queued records:
/// service managers stop a process after about 90 s; this leaves room for
/// the shards to close too.
const SHUTDOWN_FLUSH: Duration = Duration::from_secs(10);

/// The intents the bot asks for: messages in guilds and DMs; the privileged
/// message content intent only when answer channels are configured (mentions
/// and DMs carry their content without it).
pub fn intents(config: &Config) -> GatewayIntents {
    let mut i = GatewayIntents::GUILD_MESSAGES | GatewayIntents::DIRECT_MESSAGES;
    if !config.answer_channels.is_empty() {
        i |= GatewayIntents::MESSAGE_CONTENT;
    }
    i
}

/// The REST client: straight to Discord (serenity's rate limiter on), or
/// through `relay` to a Discord-compatible server or API proxy.
fn http(config: &Config, relay: Option<&Relay>) -> Http {
    let mut b =
        HttpBuilder::new(config.token.expose()).default_allowed_mentions(fit::no_mentions());
    if let Some(client) = &config.http_client {
        b = b.client(client.clone());
    }
    if let Some(relay) = relay {
        // serenity only honours the proxy with its rate limiter off.
        b = b.proxy(relay.base.as_str()).ratelimiter_disabled(true);
    }
    b.build()
}

fn is_unauthorized(e: &serenity::Error) -> bool {
    matches!(
        e,
        serenity::Error::Http(HttpError::UnsuccessfulRequest(r))
            if r.status_code == StatusCode::UNAUTHORIZED
    )
}

/// Runs the bot until `shutdown` completes (then all shards are closed) or
/// a fatal error: a rejected token, refused intents or shard data. Other
/// failures restart the client after a growing wait (at most
/// `config.max_backoff`); a process restarted repeatedly within ten minutes
/// after unclean exits waits too before it connects, to spare Discord's
/// daily IDENTIFY budget (a stop through `shutdown` does not count).
pub async fn run(
    config: Config,
    engine: Engine,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), RunError> {
    run_live(config, engine, None, shutdown).await
}

/// [`run`], reloading the knowledge whenever `changes` reports an edit of
/// `data/` ([`live`]; `madoguchi serve` hands in [`crate::watch::watch`]'s
/// channel, tests may hand in their own).
pub async fn run_live(
    config: Config,
    engine: Engine,
    changes: Option<UnboundedReceiver<Change>>,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), RunError> {
    let options = records::Options {
        keep_days: config.keep_days,
        ..records::Options::default()
    };
    let records = match Records::open(&config.state_dir, &config.records_location(), &options).await
    {
        Ok(r) => r,
        Err(e) => {
            config.metrics.stopped(&e.to_string());
            return Err(e.into());
        }
    };
    let queue = records.queue();
    let state_dir = config.state_dir.clone();
    let (wait, start) = note_start(&state_dir, config.max_backoff);
    let asked = AtomicBool::new(false);
    let shutdown = async {
        shutdown.await;
        asked.store(true, Ordering::SeqCst);
    };
    let metrics = Arc::clone(&config.metrics);
    let result = serve(config, engine, records, changes, wait, shutdown).await;
    match &result {
        Ok(()) => metrics.stopped("shut down"),
        Err(e) => metrics.stopped(&e.to_string()),
    }
    // Whatever is still queued goes to the database before the process ends.
    if !queue.flush(SHUTDOWN_FLUSH).await {
        warn!(
            waiting = queue.waiting(),
            "stopping with records the database has not taken"
        );
    }
    queue.close();
    if asked.load(Ordering::SeqCst) {
        // Stopped on request: not a crash, so this start does not count.
        forget_start(&state_dir, start);
    }
    result
}

/// [`run_live`] once the records are open and this start is noted: waits
/// `wait` first (a crash loop), then connects.
async fn serve(
    config: Config,
    engine: Engine,
    records: Records,
    changes: Option<UnboundedReceiver<Change>>,
    wait: Duration,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), RunError> {
    tokio::pin!(shutdown);
    if !wait.is_zero() {
        warn!(
            seconds = wait.as_secs(),
            "restarted repeatedly: waiting before connecting"
        );
        if !pause(wait, &mut shutdown).await {
            return Ok(());
        }
    }
    let relay = start_relay(&config).await?;
    let probe = http(&config, relay.as_ref());
    let me = match rest::send(|| probe.get_current_user()).await {
        Ok(u) => u,
        Err(f) if f.kind == rest::Kind::Unauthorized => return Err(RunError::TokenRejected),
        Err(f) => {
            return Err(RunError::Unreachable {
                base: config.api_base.clone(),
                source: Box::new(f.error),
            });
        }
    };
    info!(bot = %me.name, id = %me.id, "token accepted");
    let shards = config.shards;
    let max_backoff = config.max_backoff;
    let handler = Arc::new(Handler(Arc::new(Shared::new(
        config, engine, records, me.id,
    ))));
    let _following = live::spawn(
        Arc::clone(&handler.0),
        Arc::new(http(&handler.0.config, relay.as_ref())),
        changes,
    );
    let _weekly = weekly::spawn(
        Arc::clone(&handler.0),
        Arc::new(http(&handler.0.config, relay.as_ref())),
    );

    let mut backoff = FIRST_BACKOFF.min(max_backoff);
    loop {
        let range = match shard_range(&probe, shards).await {
            Ok(range) => range,
            Err(e) if is_unauthorized(&e) => return Err(RunError::TokenRejected),
            Err(e) => {
                warn!(error = %e, seconds = backoff.as_secs(), "GET /gateway/bot failed; retrying");
                if !pause(backoff, &mut shutdown).await {
                    return Ok(());
                }
                backoff = (backoff * 2).min(max_backoff);
                continue;
            }
        };
        if let Some(wait) = range.wait {
            warn!(
                seconds = wait.as_secs(),
                "IDENTIFY budget spent: waiting for it to reset"
            );
            if !pause(wait, &mut shutdown).await {
                return Ok(());
            }
        }
        let started = std::time::Instant::now();
        let e = match run_shards(&handler, relay.as_ref(), &range, &mut shutdown).await {
            Stopped::Asked => return Ok(()),
            Stopped::Fatal(e) => return Err(e),
            Stopped::Failed(e) => e,
        };
        handler.0.config.metrics.shards_stopped();
        if started.elapsed() > CRASH_WINDOW {
            backoff = FIRST_BACKOFF.min(max_backoff);
        }
        warn!(error = %e, seconds = backoff.as_secs(), "client stopped; restarting after a pause");
        if !pause(backoff, &mut shutdown).await {
            return Ok(());
        }
        backoff = (backoff * 2).min(max_backoff);
    }
}

/// Waits `wait`; false when `shutdown` completes first.
async fn pause<F: Future<Output = ()>>(wait: Duration, shutdown: &mut Pin<&mut F>) -> bool {
    tokio::select! {
        () = tokio::time::sleep(wait) => true,
        () = shutdown.as_mut() => false,
    }
}

/// The local relay to a Discord-compatible server or API proxy; none when
/// the bot talks to Discord itself.
async fn start_relay(config: &Config) -> Result<Option<Relay>, RunError> {
    if config.is_real_discord() {
        return Ok(None);
    }
    let client = config.http_client.clone().unwrap_or_default();
    let started = relay::start(&config.api_base, client).await;
    started.map(Some).map_err(|e| RunError::Unreachable {
        base: config.api_base.clone(),
        source: Box::new(serenity::Error::Io(e)),
    })
}

/// The shards this process starts (`first..=last` of `total`), and how
/// long to wait first when Discord's IDENTIFY budget does not allow it now.
struct ShardRange {
    first: u32,
    last: u32,
    total: u32,
    wait: Option<Duration>,
}

/// The shards to start, from the settings or Discord's recommendation.
/// Fails only when the recommendation is needed and cannot be had; a fixed
/// range goes ahead without it.
async fn shard_range(probe: &Http, shards: Shards) -> Result<ShardRange, serenity::Error> {
    let gateway = match (shards, probe.get_bot_gateway().await) {
        (_, Err(e)) if is_unauthorized(&e) => return Err(e),
        (Shards::Auto, Err(e)) => return Err(e),
        (Shards::Range { first, last, total }, Err(_)) => {
            return Ok(ShardRange {
                first,
                last,
                total,
                wait: None,
            });
        }
        (_, Ok(g)) => g,
    };
    let (first, last, total) = match shards {
        Shards::Range { first, last, total } => (first, last, total),
        Shards::Auto => (0, gateway.shards.max(1) - 1, gateway.shards.max(1)),
    };
    let limit = gateway.session_start_limit;
    let wait = (limit.remaining < u64::from(last - first + 1))
        .then(|| Duration::from_millis(limit.reset_after));
    Ok(ShardRange {
        first,
        last,
        total,
        wait,
    })
}

/// How one run of the shards ended.
enum Stopped {
    /// `shutdown` completed, or every shard stopped by itself.
    Asked,
    /// The bot cannot go on.
    Fatal(RunError),
    /// Worth another try after a pause.
    Failed(serenity::Error),
}

/// Connects the shards of `range` and runs them until they stop, the token
/// is revoked, or `shutdown` completes (then they are closed).
async fn run_shards<F: Future<Output = ()>>(
    handler: &Arc<Handler>,
    relay: Option<&Relay>,
    range: &ShardRange,
    shutdown: &mut Pin<&mut F>,
) -> Stopped {
    let config = &handler.0.config;
    let client = ClientBuilder::new_with_http(http(config, relay), intents(config))
        .event_handler_arc(Arc::clone(handler))
        .await;
    let mut client = match client {
        Ok(c) => c,
        Err(e) => {
            return Stopped::Fatal(RunError::Unreachable {
                base: config.api_base.clone(),
                source: Box::new(e),
            });
        }
    };
    let manager = Arc::clone(&client.shard_manager);
    let ShardRange {
        first, last, total, ..
    } = *range;
    info!(first, last, total, "starting shards");
    config.metrics.shards_starting(first..=last);
    // `start_shard_range` takes the last shard inclusively.
    let result = tokio::select! {
        r = client.start_shard_range(first..last, total) => r,
        never = follow_stages(&manager, &config.metrics, first..=last) => match never {},
        () = shutdown.as_mut() => {
            info!("shutting down");
            manager.shutdown_all().await;
            return Stopped::Asked;
        }
        () = handler.0.revoked.notified() => {
            manager.shutdown_all().await;
            return Stopped::Fatal(RunError::TokenRejected);
        }
    };
    match result {
        Ok(()) => {
            info!("all shards stopped");
            Stopped::Asked
        }
        Err(serenity::Error::Gateway(GatewayError::InvalidAuthentication)) => {
            Stopped::Fatal(RunError::TokenRejected)
        }
        Err(serenity::Error::Gateway(
            GatewayError::InvalidGatewayIntents | GatewayError::DisallowedGatewayIntents,
        )) => Stopped::Fatal(RunError::Intents),
        Err(
            e @ serenity::Error::Gateway(
                GatewayError::InvalidShardData | GatewayError::OverloadedShard,
            ),
        ) => Stopped::Fatal(RunError::Gateway(Box::new(e))),
        Err(e) => {
            manager.shutdown_all().await;
            Stopped::Failed(e)
        }
    }
}

/// How often the health reads the shards' stages from the shard manager.
const STAGE_POLL: Duration = Duration::from_secs(1);

/// Keeps the health on the shard manager's own view of each shard, read every
/// [`STAGE_POLL`]: a shard is up only while its runner exists and is in the
/// Connected stage. Events alone miss a drop whose reconnects keep failing
/// (the runner is gone, no stage event follows), so the poll is the truth.
async fn follow_stages(
    manager: &ShardManager,
    metrics: &metrics::Metrics,
    shards: std::ops::RangeInclusive<u32>,
) -> std::convert::Infallible {
    let mut tick = tokio::time::interval(STAGE_POLL);
    loop {
        tick.tick().await;
        let runners = manager.runners.lock().await;
        for shard in shards.clone() {
            let up = runners
                .get(&ShardId(shard))
                .is_some_and(|r| r.stage == ConnectionStage::Connected);
            metrics.shard(shard, up);
        }
    }
}

/// How long to wait before connecting, given the recent starts noted in the
/// state directory (this start is noted too): nothing for the first start
/// in ten minutes, then 5 s, 10 s, 20 s … up to `max`. A start that ends in
/// a clean stop is taken back ([`run_live`]), so only unclean exits count.
pub fn crash_backoff(state_dir: &Path, max: Duration) -> Duration {
    note_start(state_dir, max).0
}

/// [`crash_backoff`], and the time noted for this start.
fn note_start(state_dir: &Path, max: Duration) -> (Duration, u64) {
    let path = state_dir.join(RESTARTS_FILE);
    let now = crate::clock::now_secs();
    let mut recent: Vec<u64> = read_starts(&path)
        .into_iter()
        .filter(|&t| now.saturating_sub(t) < CRASH_WINDOW.as_secs())
        .collect();
    let earlier = recent.len() as u32;
    recent.push(now);
    write_starts(&path, &recent);
    let wait = if earlier == 0 {
        Duration::ZERO
    } else {
        FIRST_BACKOFF
            .saturating_mul(2u32.saturating_pow(earlier.min(16) - 1))
            .min(max)
    };
    (wait, now)
}

/// Takes back the start noted at `at`: the process stopped cleanly.
pub fn forget_start(state_dir: &Path, at: u64) {
    let path = state_dir.join(RESTARTS_FILE);
    let mut starts = read_starts(&path);
    if let Some(i) = starts.iter().rposition(|&t| t == at) {
        starts.remove(i);
        write_starts(&path, &starts);
    }
}

fn read_starts(path: &Path) -> Vec<u64> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect()
}

fn write_starts(path: &Path, starts: &[u64]) {
    let text: String = starts.iter().map(|t| format!("{t}\n")).collect();
    if let Err(e) = crate::files::replace(path, text.as_bytes()) {
        warn!(file = %path.display(), error = %e, "cannot note this start");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_starts_back_off() {
        let dir = tempfile::tempdir().unwrap();
        let max = Duration::from_secs(60);
        let waits: Vec<u64> = (0..6)
            .map(|_| crash_backoff(dir.path(), max).as_secs())
            .collect();
        assert_eq!(waits, [0, 5, 10, 20, 40, 60]);
    }

    #[test]
    fn clean_stops_do_not_count() {
        let dir = tempfile::tempdir().unwrap();
        let max = Duration::from_secs(60);
        for _ in 0..5 {
            let (wait, at) = note_start(dir.path(), max);
            assert_eq!(wait, Duration::ZERO);
            forget_start(dir.path(), at);
        }
        // A crash (a start not taken back) counts.
        note_start(dir.path(), max);
        assert_eq!(crash_backoff(dir.path(), max), FIRST_BACKOFF);
    }

    #[test]
    fn the_message_content_intent_only_with_answer_channels() {
        let paths = crate::engine::Paths::new("d".into(), "i".into(), "s".into());
        let mut c = Config::new(Token::new("t").unwrap(), paths);
        assert!(!intents(&c).contains(GatewayIntents::MESSAGE_CONTENT));
        c.answer_channels.push(1);
        assert!(intents(&c).contains(GatewayIntents::MESSAGE_CONTENT));
    }
}
