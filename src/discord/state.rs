//! What every task of one bot shares ([`Shared`]): its settings, the
//! engine in service (swapped whole by a reload), the records, whose staff
//! may use the staff commands, the cooldown, the bound on concurrent
//! searches, and the channels where it may not post. The event handler
//! ([`super::bot`]), the live reload ([`super::live`]) and the weekly post
//! ([`super::weekly`]) each hold it; none of them holds another.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use serenity::all::UserId;
use tokio::sync::{Mutex, Notify, Semaphore};
use tracing::{debug, error, warn};

use super::config::Config;
use super::cooldown::{Cooldown, make_room};
use super::home::Home;
use super::rest::{Failure, Kind as Failed};
use crate::engine::Engine;
use crate::records::Records;

/// What every handler task shares.
pub struct Shared {
    pub config: Config,
    pub engine: ArcSwap<Engine>,
    pub records: Arc<Records>,
    pub me: UserId,
    /// Whose staff may use the staff commands.
    pub(super) home: Home,
    pub(super) cooldown: std::sync::Mutex<Cooldown>,
    pub(super) searches: Semaphore,
    /// Held while a reload runs: one at a time ([`super::live::reload`]).
    pub(super) reloading: Mutex<()>,
    pub(super) registered: AtomicBool,
    /// Notified when Discord rejects the token mid-run: the bot stops.
    pub(super) revoked: Notify,
    /// Channels where the bot may not post (403), until when they are
    /// skipped.
    pub(super) muted: std::sync::Mutex<HashMap<u64, Instant>>,
}

/// How long a channel where the bot may not post is skipped: staff who
/// fix the permissions see answers again within minutes, and a channel
/// that stays closed costs one failed request per period, not per
/// question.
const MUTE_PERIOD: Duration = Duration::from_secs(10 * 60);
/// Most channels remembered as muted: far more than one bot's channels,
/// and a bound on the memory a flood of channels can take.
const MUTED_CAPACITY: usize = 10_000;

impl Shared {
    pub fn new(config: Config, engine: Engine, records: Records, me: UserId) -> Shared {
        let records = Arc::new(records);
        let writer = Arc::clone(&records);
        config
            .metrics
            .records_pending(Box::new(move || writer.waiting() as u64));
        config.metrics.knowledge_loaded();
        Shared {
            cooldown: std::sync::Mutex::new(Cooldown::new(
                config.cooldown,
                config.cooldown_capacity,
            )),
            searches: Semaphore::new(config.concurrency.max(1)),
            engine: ArcSwap::from_pointee(engine),
            records,
            me,
            home: Home::new(config.guild_id, config.staff_role),
            config,
            reloading: Mutex::new(()),
            registered: AtomicBool::new(false),
            revoked: Notify::new(),
            muted: std::sync::Mutex::new(HashMap::new()),
        }
    }

    /// Acts on a request that failed for good: a rejected token stops the
    /// bot; the rest is logged.
    pub(super) fn failed(&self, what: &str, failure: &Failure) {
        match failure.kind {
            Failed::Unauthorized => {
                error!(
                    what,
                    "Discord rejected the token (401 Unauthorized): stopping"
                );
                self.revoked.notify_one();
            }
            Failed::Expired => warn!(
                what,
                "the interaction expired before it was answered (10062): answered too late"
            ),
            Failed::Acknowledged => debug!(what, "the interaction was already answered"),
            Failed::Forbidden | Failed::Other => warn!(what, error = %failure, "request failed"),
        }
    }

    /// Whether answers in `channel` are skipped for now (403 earlier).
    pub(super) fn is_muted(&self, channel: u64) -> bool {
        let muted = self.muted.lock().unwrap_or_else(|e| e.into_inner());
        muted
            .get(&channel)
            .is_some_and(|until| *until > Instant::now())
    }

    /// Skips `channel` for [`MUTE_PERIOD`]; logs it (once per period).
    pub(super) fn mute(&self, channel: u64, failure: &Failure) {
        let now = Instant::now();
        let mut muted = self.muted.lock().unwrap_or_else(|e| e.into_inner());
        make_room(
            &mut muted,
            MUTED_CAPACITY,
            |until| *until <= now,
            |until| *until,
        );
        let earlier = muted.insert(channel, now + MUTE_PERIOD);
        if earlier.is_some_and(|until| until > now) {
            // Answers that were already on their way when the first 403
            // came back: logged once.
            return;
        }
        warn!(
            channel,
            minutes = MUTE_PERIOD.as_secs() / 60,
            error = %failure,
            "no permission to answer in this channel (403): skipping it; give the bot View Channel, Send Messages and Embed Links there"
        );
    }
}
