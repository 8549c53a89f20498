//! Sending to Discord's REST API when Discord misbehaves. [`send`] makes one
//! request and repeats it, within Discord's rules, when repeating can help: a
//! 5xx or a dropped connection is tried again after 0.5 s, 1 s and 2 s (four
//! attempts in all). A 429 is waited out by serenity's rate limiter, which
//! sleeps for `retry_after` on route and global limits before the bot sees
//! anything; it is on whenever the bot talks to Discord itself. Behind an API
//! proxy (serenity's rate limiter off) the [`super::relay`] waits out a 429
//! for as long as the response asks; one that still reaches the bot (a
//! wait over a minute, or 429s again and again) is tried again after at
//! least a second, doubling.
//!
//! Everything else is final and comes back as a [`Failure`] for the caller
//! to act on: 401 (the token was revoked: the bot stops), 403 (no permission
//! in that channel: the caller skips it), 10062 (the interaction expired:
//! answered too late), 40060 (already answered: a repeat that Discord had
//! already taken), and the rest. Messages are created with a nonce Discord
//! enforces, so a repeated create never posts twice. Every retry and every
//! final failure (by kind) is counted in [`rest_counters`], which
//! [`super::metrics`] registers.

use std::fmt;
use std::future::Future;
use std::sync::LazyLock;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use serenity::all::{HttpError, StatusCode};
use tracing::debug;

/// Attempts of one request, the first included: with [`FIRST_WAIT`]
/// doubling, 3.5 s of retries, which rides out a Discord hiccup while an
/// interaction (15 minutes to edit) can still be answered.
pub const ATTEMPTS: u32 = 4;
/// The wait before the second attempt; it doubles after each.
const FIRST_WAIT: Duration = Duration::from_millis(500);
/// The least wait after a 429 that serenity's rate limiter did not absorb.
const RATE_LIMIT_WAIT: Duration = Duration::from_secs(1);

/// Discord's JSON error codes that the bot acts on.
pub mod codes {
    /// The interaction token expired (the 3-second deadline passed).
    pub const UNKNOWN_INTERACTION: isize = 10062;
    /// The interaction was already answered.
    pub const ALREADY_ACKNOWLEDGED: isize = 40060;
}

/// What went wrong, for the caller to act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// 401: the token is not (or no longer) valid.
    Unauthorized,
    /// 403: the bot may not do this here (e.g. send in a channel).
    Forbidden,
    /// 10062: the interaction expired before it was answered.
    Expired,
    /// 40060: the interaction had already been answered.
    Acknowledged,
    /// Anything else, after the retries.
    Other,
}

fn kind_label(kind: Kind) -> &'static str {
    match kind {
        Kind::Unauthorized => "unauthorized",
        Kind::Forbidden => "forbidden",
        Kind::Expired => "expired",
        Kind::Acknowledged => "acknowledged",
        Kind::Other => "other",
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct KindLabels {
    kind: &'static str,
}

/// The REST counters of this process: failures by kind, and retries.
#[derive(Clone, Default)]
pub struct RestCounters {
    pub(super) failures: Family<KindLabels, Counter>,
    pub(super) retries: Counter,
}

impl RestCounters {
    /// A request that failed for good.
    pub fn failed(&self, kind: Kind) {
        self.failures
            .get_or_create(&KindLabels {
                kind: kind_label(kind),
            })
            .inc();
    }

    /// A request sent again.
    pub fn retried(&self) {
        self.retries.inc();
    }
}

static REST: LazyLock<RestCounters> = LazyLock::new(RestCounters::default);

/// The REST counters of this process.
pub fn rest_counters() -> &'static RestCounters {
    &REST
}

/// A request that did not succeed.
#[derive(Debug)]
pub struct Failure {
    pub kind: Kind,
    pub error: serenity::Error,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

/// Whether a failed attempt is worth repeating, and after how long at least.
fn verdict(e: &serenity::Error) -> Result<Duration, Kind> {
    match e {
        serenity::Error::Http(HttpError::UnsuccessfulRequest(r)) => {
            let status = r.status_code;
            match (status, r.error.code) {
                (StatusCode::UNAUTHORIZED, _) => Err(Kind::Unauthorized),
                (StatusCode::FORBIDDEN, _) => Err(Kind::Forbidden),
                (_, codes::UNKNOWN_INTERACTION) => Err(Kind::Expired),
                (_, codes::ALREADY_ACKNOWLEDGED) => Err(Kind::Acknowledged),
                (StatusCode::TOO_MANY_REQUESTS, _) => Ok(RATE_LIMIT_WAIT),
                (s, _) if s.is_server_error() => Ok(Duration::ZERO),
                _ => Err(Kind::Other),
            }
        }
        serenity::Error::Http(HttpError::Request(r))
            if r.is_connect() || r.is_timeout() || r.is_request() =>
        {
            Ok(Duration::ZERO)
        }
        _ => Err(Kind::Other),
    }
}

/// Runs `attempt` until it succeeds, fails for good, or has been tried
/// [`ATTEMPTS`] times; waits between attempts as the module says.
pub async fn send<T, F, Fut>(mut attempt: F) -> Result<T, Failure>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = serenity::Result<T>>,
{
    let mut wait = FIRST_WAIT;
    let mut tried = 1;
    loop {
        let error = match attempt().await {
            Ok(v) => return Ok(v),
            Err(e) => e,
        };
        match verdict(&error) {
            Ok(least) if tried < ATTEMPTS => {
                rest_counters().retried();
                let pause = wait.max(least);
                debug!(error = %error, attempt = tried, wait_ms = pause.as_millis() as u64, "request failed; trying again");
                tokio::time::sleep(pause).await;
                wait *= 2;
                tried += 1;
            }
            Ok(_) => {
                rest_counters().failed(Kind::Other);
                return Err(Failure {
                    kind: Kind::Other,
                    error,
                });
            }
            Err(kind) => {
                rest_counters().failed(kind);
                return Err(Failure { kind, error });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    /// The error serenity makes of a response with this status and code.
    async fn unsuccessful(status: u16, code: isize) -> serenity::Error {
        let response = http::Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .body(format!(r#"{{"message":"x","code":{code}}}"#))
            .unwrap();
        serenity::Error::Http(HttpError::UnsuccessfulRequest(
            serenity::all::ErrorResponse::from_response(
                reqwest::Response::from(response),
                reqwest::Method::POST,
            )
            .await,
        ))
    }

    #[tokio::test]
    async fn failures_are_sorted_by_what_can_help() {
        for (status, code, expected) in [
            (401, 0, Err(Kind::Unauthorized)),
            (403, 50013, Err(Kind::Forbidden)),
            (404, 10062, Err(Kind::Expired)),
            (400, 40060, Err(Kind::Acknowledged)),
            (404, 10008, Err(Kind::Other)),
            (400, 50035, Err(Kind::Other)),
            (429, 0, Ok(RATE_LIMIT_WAIT)),
            (500, 0, Ok(Duration::ZERO)),
            (502, 0, Ok(Duration::ZERO)),
            (503, 0, Ok(Duration::ZERO)),
            (504, 0, Ok(Duration::ZERO)),
        ] {
            assert_eq!(
                verdict(&unsuccessful(status, code).await),
                expected,
                "{status} {code}"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn server_errors_are_tried_four_times_with_growing_waits() {
        let calls = AtomicU32::new(0);
        let started = tokio::time::Instant::now();
        let r: Result<(), Failure> = send(|| async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(unsuccessful(502, 0).await)
        })
        .await;
        assert_eq!(r.unwrap_err().kind, Kind::Other);
        assert_eq!(calls.load(Ordering::SeqCst), ATTEMPTS);
        assert_eq!(started.elapsed(), Duration::from_millis(500 + 1000 + 2000));

        // A 429 that got past the rate limiter: at least a second, then done.
        calls.store(0, Ordering::SeqCst);
        let started = tokio::time::Instant::now();
        let r = send(|| async {
            match calls.fetch_add(1, Ordering::SeqCst) {
                0 => Err(unsuccessful(429, 0).await),
                _ => Ok(7),
            }
        })
        .await;
        assert_eq!(r.unwrap(), 7);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        assert_eq!(started.elapsed(), RATE_LIMIT_WAIT);
    }

    #[tokio::test(start_paused = true)]
    async fn final_failures_are_not_repeated() {
        let calls = AtomicU32::new(0);
        let r: Result<(), Failure> = send(|| async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(unsuccessful(403, 50013).await)
        })
        .await;
        assert_eq!(r.unwrap_err().kind, Kind::Forbidden);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
