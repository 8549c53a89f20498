//! What the bot reports to whoever runs it (`serve --metrics ADDR`): a
//! Prometheus registry ([`Metrics`]) with the questions by source and
//! outcome, the answer latency, the REST failures by kind and the retries,
//! the gateway reconnects and the state of each shard, the knowledge
//! reloads by outcome and the age of the knowledge in service, and the
//! records waiting to be written; and the health the bot is in
//! ([`Metrics::health`]). [`serve`] answers `GET /metrics` (Prometheus
//! text) and `GET /healthz` (200 `ok` while every shard of this process is
//! connected and the knowledge is loaded, else 503 and the reason on one
//! line) on a listener bound by [`bind`], which names the address and the
//! fix when it is taken.
//!
//! The REST counters are the process's ([`rest_counters`], kept by
//! [`super::rest`]): every request of this process goes through
//! [`super::rest::send`], whichever bot sent it; every other figure belongs to one [`Metrics`], handed to the bot in
//! its [`super::Config`].

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tracing::debug;

use super::rest::rest_counters;
use crate::records::Source;
use crate::search::Decision;

/// What became of a question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Programmes shown, sure.
    Answered,
    /// Programmes shown as 「もしかして」.
    DidYouMean,
    /// Nothing matched (or the search failed): declined.
    Declined,
    /// About a topic the plan does not cover: declined with its referral.
    OutOfScope,
    /// Only a greeting: the help text.
    Greeting,
    /// Held back before any search: too long, or asked within the cooldown.
    Refused,
}

impl Outcome {
    /// The outcome of a search decision.
    pub fn of(decision: Decision) -> Outcome {
        match decision {
            Decision::Answer => Outcome::Answered,
            Decision::DidYouMean => Outcome::DidYouMean,
            Decision::Decline => Outcome::Declined,
            Decision::OutOfScope => Outcome::OutOfScope,
            Decision::Greeting => Outcome::Greeting,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Outcome::Answered => "answered",
            Outcome::DidYouMean => "did_you_mean",
            Outcome::Declined => "declined",
            Outcome::OutOfScope => "out_of_scope",
            Outcome::Greeting => "greeting",
            Outcome::Refused => "refused",
        }
    }
}

fn source_label(source: Source) -> &'static str {
    match source {
        Source::Mention => "mention",
        Source::Dm => "dm",
        Source::Channel => "channel",
        Source::Slash => "slash",
        Source::Pick => "pick",
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct QuestionLabels {
    source: &'static str,
    outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ShardLabels {
    shard: u32,
}

/// What a knowledge reload did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReloadOutcome {
    /// New knowledge in service.
    Changed,
    /// The same knowledge again.
    Unchanged,
    /// Problems: the last good knowledge stays.
    Failed,
}

/// How the records writer tells how many records wait to be written.
pub type Pending = Box<dyn Fn() -> u64 + Send + Sync>;

#[derive(Default)]
struct State {
    /// When the knowledge in service was loaded.
    loaded: Option<Instant>,
    /// Whether each shard of this process is connected.
    shards: BTreeMap<u32, bool>,
    /// Shards that had a session once (a later one is a reconnect).
    seen: std::collections::BTreeSet<u32>,
    /// Why the bot stopped for good.
    stopped: Option<String>,
    pending: Option<Pending>,
}

/// The bot's figures and health.
pub struct Metrics {
    registry: Registry,
    questions: Family<QuestionLabels, Counter>,
    latency: Histogram,
    reloads: Family<OutcomeLabels, Counter>,
    reconnects: Counter,
    shards: Family<ShardLabels, Gauge>,
    knowledge_age: Gauge<f64, AtomicU64>,
    pending: Gauge,
    state: Mutex<State>,
}

impl fmt::Debug for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// A registry with every figure at zero (the process's REST counters
    /// included).
    pub fn new() -> Metrics {
        let mut r = Registry::with_prefix("madoguchi");
        let questions = Family::<QuestionLabels, Counter>::default();
        r.register(
            "questions",
            "Questions by where they were asked and what became of them",
            questions.clone(),
        );
        // 0.5 ms to about 8 s.
        let latency = Histogram::new(exponential_buckets(0.0005, 2.0, 15));
        r.register_with_unit(
            "answer_latency",
            "Time from a question to its answer (search and rendering)",
            prometheus_client::registry::Unit::Seconds,
            latency.clone(),
        );
        let rest = rest_counters();
        r.register(
            "discord_rest_failures",
            "Discord REST requests that failed for good, by kind",
            rest.failures.clone(),
        );
        r.register(
            "discord_rest_retries",
            "Discord REST requests sent again after a 5xx, a dropped connection or a 429",
            rest.retries.clone(),
        );
        let reconnects = Counter::default();
        r.register(
            "gateway_reconnects",
            "Shards connected to the gateway again after they had been connected",
            reconnects.clone(),
        );
        let shards = Family::<ShardLabels, Gauge>::default();
        r.register(
            "shard_connected",
            "1 while the shard is connected to the gateway, else 0",
            shards.clone(),
        );
        let reloads = Family::<OutcomeLabels, Counter>::default();
        r.register(
            "knowledge_reloads",
            "Knowledge reloads by outcome (changed, unchanged, failed)",
            reloads.clone(),
        );
        let knowledge_age = Gauge::<f64, AtomicU64>::default();
        r.register_with_unit(
            "knowledge_age",
            "Time since the knowledge in service was loaded",
            prometheus_client::registry::Unit::Seconds,
            knowledge_age.clone(),
        );
        let pending = Gauge::default();
        r.register(
            "records_pending",
            "Records waiting to be written to the state directory",
            pending.clone(),
        );
        Metrics {
            registry: r,
            questions,
            latency,
            reloads,
            reconnects,
            shards,
            knowledge_age,
            pending,
            state: Mutex::new(State::default()),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A question asked in `source` came to `outcome`.
    pub fn question(&self, source: Source, outcome: Outcome) {
        self.questions
            .get_or_create(&QuestionLabels {
                source: source_label(source),
                outcome: outcome.label(),
            })
            .inc();
    }

    /// An answer took `elapsed`.
    pub fn answered_in(&self, elapsed: Duration) {
        self.latency.observe(elapsed.as_secs_f64());
    }

    /// Knowledge was loaded (at start or by a reload).
    pub fn knowledge_loaded(&self) {
        self.state().loaded = Some(Instant::now());
    }

    /// A reload came to `outcome`.
    pub fn reloaded(&self, outcome: ReloadOutcome) {
        let label = match outcome {
            ReloadOutcome::Changed => "changed",
            ReloadOutcome::Unchanged => "unchanged",
            ReloadOutcome::Failed => "failed",
        };
        self.reloads
            .get_or_create(&OutcomeLabels { outcome: label })
            .inc();
        if outcome != ReloadOutcome::Failed {
            self.knowledge_loaded();
        }
    }

    /// The shards of this process, about to connect.
    pub fn shards_starting(&self, shards: impl Iterator<Item = u32>) {
        let mut state = self.state();
        state.stopped = None;
        for shard in shards {
            state.shards.insert(shard, false);
            self.shards.get_or_create(&ShardLabels { shard }).set(0);
        }
    }

    /// A shard reached the connected stage (`true`) or left it.
    pub fn shard(&self, shard: u32, connected: bool) {
        self.state().shards.insert(shard, connected);
        self.shards
            .get_or_create(&ShardLabels { shard })
            .set(i64::from(connected));
    }

    /// A shard has a gateway session (READY or RESUMED): connected, and a
    /// reconnect when it had one before.
    pub fn session(&self, shard: u32) {
        if !self.state().seen.insert(shard) {
            self.reconnects.inc();
        }
        self.shard(shard, true);
    }

    /// Every shard is disconnected: the client stopped.
    pub fn shards_stopped(&self) {
        let shards: Vec<u32> = self.state().shards.keys().copied().collect();
        for shard in shards {
            self.shard(shard, false);
        }
    }

    /// The bot stopped for good, for `reason` (one line).
    pub fn stopped(&self, reason: &str) {
        self.shards_stopped();
        self.state().stopped = Some(reason.to_string());
    }

    /// Where the records writer tells how many records wait to be written.
    pub fn records_pending(&self, pending: Pending) {
        self.state().pending = Some(pending);
    }

    /// Ok while every shard of this process is connected and the knowledge
    /// is loaded; otherwise why not, on one line.
    pub fn health(&self) -> Result<(), String> {
        let state = self.state();
        if let Some(reason) = &state.stopped {
            return Err(format!("stopped: {reason}"));
        }
        if state.loaded.is_none() {
            return Err("the knowledge is not loaded yet".into());
        }
        if state.shards.is_empty() {
            return Err("no shard has started yet".into());
        }
        let down: Vec<String> = state
            .shards
            .iter()
            .filter(|(_, up)| !**up)
            .map(|(s, _)| s.to_string())
            .collect();
        if !down.is_empty() {
            return Err(format!(
                "shard {} not connected to the gateway",
                down.join(", ")
            ));
        }
        Ok(())
    }

    /// The Prometheus text of every figure, as of now.
    pub fn encode(&self) -> String {
        {
            let state = self.state();
            let age = state.loaded.map_or(0.0, |t| t.elapsed().as_secs_f64());
            self.knowledge_age.set(age);
            let pending = state.pending.as_ref().map_or(0, |p| p());
            self.pending.set(i64::try_from(pending).unwrap_or(i64::MAX));
        }
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String cannot fail");
        out
    }
}

/// A metrics address that cannot be listened on.
#[derive(Debug, thiserror::Error)]
#[error("cannot serve metrics on {addr}: {cause}; {fix}")]
pub struct BindError {
    pub addr: SocketAddr,
    cause: std::io::Error,
    fix: &'static str,
}

/// Binds the metrics address (before anything else starts, so a taken
/// address stops the bot at once).
pub fn bind(addr: SocketAddr) -> Result<std::net::TcpListener, BindError> {
    let bound = std::net::TcpListener::bind(addr).and_then(|l| {
        l.set_nonblocking(true)?;
        Ok(l)
    });
    bound.map_err(|cause| {
        let fix = match cause.kind() {
            std::io::ErrorKind::AddrInUse => {
                "another process listens there: stop it, or choose another address with --metrics (MADOGUCHI_METRICS, or `metrics` in the configuration file)"
            }
            std::io::ErrorKind::PermissionDenied => {
                "ports below 1024 need privileges: choose a port above 1024 with --metrics"
            }
            _ => {
                "choose an address of this machine with --metrics, e.g. 127.0.0.1:9184"
            }
        };
        BindError { addr, cause, fix }
    })
}

/// The metrics server; dropping it stops it.
pub struct Server {
    pub addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The most connections the metrics server holds at once; more are closed
/// as they come (a scraper needs one).
pub const MAX_CONNECTIONS: usize = 64;
/// How long a client may take to send a request's headers.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a connection may stay open, whatever it does.
pub const CONNECTION_TIMEOUT: Duration = Duration::from_secs(30);

/// Serves `/metrics` and `/healthz` of `metrics` on `listener` (from
/// [`bind`]); call within the Tokio runtime.
pub fn serve(listener: std::net::TcpListener, metrics: Arc<Metrics>) -> std::io::Result<Server> {
    let listener = TcpListener::from_std(listener)?;
    let addr = listener.local_addr()?;
    let open = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            // Over the cap the connection is closed at once: held or
            // half-sent requests cannot use up the bot's file descriptors.
            let Ok(permit) = Arc::clone(&open).try_acquire_owned() else {
                drop(stream);
                continue;
            };
            let metrics = Arc::clone(&metrics);
            tokio::spawn(async move {
                let _permit = permit;
                let service = service_fn(move |req| {
                    let metrics = Arc::clone(&metrics);
                    async move { Ok::<_, Infallible>(respond(&metrics, &req)) }
                });
                let connection = http1::Builder::new()
                    .timer(hyper_util::rt::TokioTimer::new())
                    .header_read_timeout(HEADER_TIMEOUT)
                    .serve_connection(TokioIo::new(stream), service);
                match tokio::time::timeout(CONNECTION_TIMEOUT, connection).await {
                    Ok(Err(e)) => debug!(error = %e, "metrics connection ended"),
                    Err(_) => debug!("metrics connection held too long: closed"),
                    Ok(Ok(())) => {}
                }
            });
        }
    });
    Ok(Server { addr, task })
}

fn respond(metrics: &Metrics, req: &Request<Incoming>) -> Response<Full<Bytes>> {
    let text = |status: StatusCode, content_type: &str, body: String| {
        Response::builder()
            .status(status)
            .header("content-type", content_type)
            .body(Full::new(Bytes::from(body)))
            .expect("a valid response")
    };
    const PLAIN: &str = "text/plain; charset=utf-8";
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return text(StatusCode::METHOD_NOT_ALLOWED, PLAIN, "GET only\n".into());
    }
    match req.uri().path() {
        "/metrics" => text(
            StatusCode::OK,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
            metrics.encode(),
        ),
        "/healthz" => match metrics.health() {
            Ok(()) => text(StatusCode::OK, PLAIN, "ok\n".into()),
            Err(reason) => text(
                StatusCode::SERVICE_UNAVAILABLE,
                PLAIN,
                format!("{reason}\n"),
            ),
        },
        _ => text(
            StatusCode::NOT_FOUND,
            PLAIN,
            "not found: GET /metrics or /healthz\n".into(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Half-sent requests are closed after [`HEADER_TIMEOUT`], and past
    /// [`MAX_CONNECTIONS`] new connections are closed at once; a whole
    /// request is still answered meanwhile.
    #[tokio::test(start_paused = false)]
    async fn half_sent_requests_cannot_hold_the_server() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let metrics = Arc::new(Metrics::new());
        let server = serve(bind("127.0.0.1:0".parse().unwrap()).unwrap(), metrics).unwrap();
        let mut held = Vec::new();
        for _ in 0..MAX_CONNECTIONS + 8 {
            let mut s = tokio::net::TcpStream::connect(server.addr).await.unwrap();
            s.write_all(b"GET /metr").await.unwrap();
            held.push(s);
        }
        // The ones past the cap are closed at once.
        let mut closed = 0;
        for s in held.iter_mut().skip(MAX_CONNECTIONS) {
            let mut buf = [0u8; 64];
            let n = tokio::time::timeout(Duration::from_secs(2), s.read(&mut buf)).await;
            if matches!(n, Ok(Ok(0) | Err(_))) {
                closed += 1;
            }
        }
        assert_eq!(closed, 8);
        // The held ones are closed once the header timeout has passed.
        let started = Instant::now();
        let mut buf = Vec::new();
        let _ = tokio::time::timeout(HEADER_TIMEOUT * 3, held[0].read_to_end(&mut buf))
            .await
            .expect("closed by the server");
        assert!(
            started.elapsed() < HEADER_TIMEOUT * 2,
            "{:?}",
            started.elapsed()
        );
        drop(held);
        // Then a whole request is answered.
        let mut s = tokio::net::TcpStream::connect(server.addr).await.unwrap();
        s.write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut answer = String::new();
        s.read_to_string(&mut answer).await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    }

    #[test]
    fn health_needs_knowledge_and_every_shard() {
        let m = Metrics::new();
        assert!(m.health().unwrap_err().contains("not loaded"));
        m.knowledge_loaded();
        assert!(m.health().unwrap_err().contains("no shard"));
        m.shards_starting(0..2);
        m.session(0);
        assert_eq!(
            m.health().unwrap_err(),
            "shard 1 not connected to the gateway"
        );
        m.session(1);
        assert_eq!(m.health(), Ok(()));
        m.shard(1, false);
        assert!(m.health().is_err());
        m.session(1);
        assert!(m.encode().contains("madoguchi_gateway_reconnects_total 1"));
        m.stopped("Discord rejected the token");
        let reason = m.health().unwrap_err();
        assert!(
            reason.contains("token") && !reason.contains('\n'),
            "{reason}"
        );
    }

    #[test]
    fn figures_are_in_the_text() {
        let m = Metrics::new();
        m.question(Source::Slash, Outcome::DidYouMean);
        m.question(Source::Slash, Outcome::DidYouMean);
        m.answered_in(Duration::from_millis(3));
        m.records_pending(Box::new(|| 4));
        m.reloaded(ReloadOutcome::Failed);
        let text = m.encode();
        for want in [
            "madoguchi_questions_total{source=\"slash\",outcome=\"did_you_mean\"} 2",
            "madoguchi_answer_latency_seconds_count 1",
            "madoguchi_records_pending 4",
            "madoguchi_knowledge_reloads_total{outcome=\"failed\"} 1",
            "madoguchi_knowledge_age_seconds 0.0",
        ] {
            assert!(text.contains(want), "missing {want} in\n{text}");
        }
    }

    #[test]
    fn a_taken_address_is_named_with_the_fix() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = taken.local_addr().unwrap();
        let err = bind(addr).unwrap_err().to_string();
        assert!(err.contains(&addr.to_string()), "{err}");
        assert!(err.contains("--metrics"), "{err}");
    }
}
