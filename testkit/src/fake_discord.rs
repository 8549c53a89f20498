//! A fake Discord on 127.0.0.1 for end-to-end tests of the bot with the real
//! serenity client: the REST API (`/api/v10/gateway`, `/gateway/bot`,
//! `/users/@me`, command registration, message create, interaction
//! callbacks, webhook edits and followups) over HTTP/1.1, and the gateway
//! over ws:// (HELLO, IDENTIFY → READY, RESUME → RESUMED, heartbeat ACK,
//! dispatches with sequence numbers). Every REST request is recorded so a
//! test can wait for the one it expects; the test drives the gateway with
//! [`FakeDiscord::dispatch`] and can drop the connection abruptly.
//!
//! Faults: [`FakeDiscord::fail`] answers the next matching requests with a
//! [`Fault`] (429 route or global with `retry_after`, 5xx, 403, 10062…),
//! [`FakeDiscord::set_token`] revokes the token (401 from then on) and
//! [`FakeDiscord::close`] closes the gateway with a close code. Message
//! creates honour `enforce_nonce` as Discord does, and [`FakeDiscord::created`]
//! lists the messages really created. [`FakeDiscord::start_tls`] serves the
//! REST API over TLS as `discord.com` (a certificate from a throw-away CA), so
//! the bot runs exactly as against Discord, serenity's rate limiter included.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::{Notify, mpsc};
use tokio_tungstenite::tungstenite::Message as WsMessage;

pub const BOT_ID: u64 = 1000;
pub const APP_ID: u64 = 1000;
pub const GUILD_ID: u64 = 2000;
/// A role of [`GUILD_ID`]: the staff role of the bot tests.
pub const STAFF_ROLE: u64 = 7777;
/// Another server that has the bot; it holds no staff role.
pub const OTHER_GUILD_ID: u64 = 2100;
pub const CHANNEL_ID: u64 = 3000;
pub const DM_CHANNEL_ID: u64 = 3001;
/// How long a test waits for something before failing.
pub const WAIT: Duration = Duration::from_secs(20);

/// One REST request the bot made.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// The path after `/api/v10`, without the query.
    pub path: String,
    pub query: String,
    pub body: Value,
    /// Files sent with it (multipart): name and bytes.
    pub files: Vec<(String, Vec<u8>)>,
    /// The status the fake answered with.
    pub status: u16,
    /// When the request arrived.
    pub at: Instant,
}

/// A scripted failure: the status, headers and JSON body Discord sends.
#[derive(Debug, Clone)]
pub struct Fault {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Value,
    /// Carry the request out anyway (a 5xx after the message was created).
    pub processed: bool,
}

impl Fault {
    /// 429 on a route (per-user bucket), or the global limit.
    pub fn rate_limited(retry_after: f64, global: bool) -> Fault {
        let mut headers = vec![
            ("retry-after", retry_after.to_string()),
            (
                "x-ratelimit-scope",
                if global { "global" } else { "user" }.to_string(),
            ),
        ];
        if global {
            headers.push(("x-ratelimit-global", "true".to_string()));
        } else {
            headers.extend([
                ("x-ratelimit-limit", "5".to_string()),
                ("x-ratelimit-remaining", "0".to_string()),
                ("x-ratelimit-reset-after", retry_after.to_string()),
                ("x-ratelimit-bucket", "fake-bucket".to_string()),
            ]);
        }
        Fault {
            status: 429,
            headers,
            body: json!({"message": "You are being rate limited.",
                         "retry_after": retry_after, "global": global, "code": 0}),
            processed: false,
        }
    }

    /// A server error (500, 502, 503, 504).
    pub fn server_error(status: u16) -> Fault {
        Fault {
            status,
            headers: Vec::new(),
            body: json!({"message": "Internal Server Error", "code": 0}),
            processed: false,
        }
    }

    /// The same fault, after the request was carried out.
    pub fn after_processing(mut self) -> Fault {
        self.processed = true;
        self
    }

    /// 403 Missing Permissions (code 50013).
    pub fn missing_permissions() -> Fault {
        Fault {
            status: 403,
            headers: Vec::new(),
            body: json!({"message": "Missing Permissions", "code": 50013}),
            processed: false,
        }
    }

    /// 404 Unknown interaction (code 10062): answered after the deadline.
    pub fn unknown_interaction() -> Fault {
        Fault {
            status: 404,
            headers: Vec::new(),
            body: json!({"message": "Unknown interaction", "code": 10062}),
            processed: false,
        }
    }
}

struct FaultRule {
    method: String,
    path_prefix: String,
    remaining: usize,
    fault: Fault,
}

enum Command {
    Dispatch(String, Value),
    Drop,
    Close(u16),
}

struct State {
    token: Mutex<String>,
    faults: Mutex<Vec<FaultRule>>,
    /// Messages created (channel messages, followups), after nonce dedupe.
    created: Mutex<Vec<Value>>,
    nonces: Mutex<HashMap<String, Value>>,
    gateway_url: Mutex<String>,
    requests: Mutex<Vec<Recorded>>,
    changed: Notify,
    conn: Mutex<Option<(usize, mpsc::UnboundedSender<Command>)>>,
    conn_ids: AtomicUsize,
    seq: AtomicU64,
    session: Mutex<Option<String>>,
    /// IDENTIFY payloads received.
    identifies: Mutex<Vec<Value>>,
    /// READY and RESUMED sent: each is a live session.
    sessions: AtomicUsize,
    resumes: AtomicUsize,
    next_id: AtomicU64,
    /// While set, the gateway answers every connection with `502 Bad Gateway`.
    refuse_gateway: std::sync::atomic::AtomicBool,
}

/// The fake: its REST base URL, and handles to drive the gateway.
#[derive(Clone)]
pub struct FakeDiscord {
    pub base: String,
    /// With [`FakeDiscord::start_tls`]: where the REST API listens, and the
    /// PEM of the CA that signed its `discord.com` certificate.
    pub tls: Option<(std::net::SocketAddr, String)>,
    state: Arc<State>,
}

/// A TLS acceptor for `discord.com`, and the PEM of the CA that signed it.
fn tls_acceptor() -> (tokio_rustls::TlsAcceptor, String) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["discord.com".to_string()])
        .unwrap()
        .signed_by(&key, &ca, &ca_key)
        .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone(), ca.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .unwrap();
    (tokio_rustls::TlsAcceptor::from(Arc::new(config)), ca.pem())
}

fn response(status: StatusCode, body: Option<Value>) -> Response<Full<Bytes>> {
    let mut r = Response::builder()
        .status(status)
        .header("content-type", "application/json");
    if status == StatusCode::NO_CONTENT {
        r = r.header("content-length", "0");
        return r.body(Full::new(Bytes::new())).unwrap();
    }
    r.body(Full::new(Bytes::from(
        body.unwrap_or(Value::Null).to_string(),
    )))
    .unwrap()
}

impl FakeDiscord {
    /// Starts the REST server and the gateway; `token` is the one accepted.
    pub async fn start(token: &str) -> FakeDiscord {
        FakeDiscord::start_with(token, false).await
    }

    /// Like [`FakeDiscord::start`], with the REST API over TLS as
    /// `discord.com`: see [`FakeDiscord::tls`].
    pub async fn start_tls(token: &str) -> FakeDiscord {
        FakeDiscord::start_with(token, true).await
    }

    async fn start_with(token: &str, tls: bool) -> FakeDiscord {
        let rest = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let gateway = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let state = Arc::new(State {
            token: Mutex::new(token.to_string()),
            faults: Mutex::new(Vec::new()),
            created: Mutex::new(Vec::new()),
            nonces: Mutex::new(HashMap::new()),
            gateway_url: Mutex::new(format!("ws://{}", gateway.local_addr().unwrap())),
            requests: Mutex::new(Vec::new()),
            changed: Notify::new(),
            conn: Mutex::new(None),
            conn_ids: AtomicUsize::new(0),
            seq: AtomicU64::new(0),
            session: Mutex::new(None),
            identifies: Mutex::new(Vec::new()),
            sessions: AtomicUsize::new(0),
            resumes: AtomicUsize::new(0),
            next_id: AtomicU64::new(900_000),
            refuse_gateway: std::sync::atomic::AtomicBool::new(false),
        });
        let addr = rest.local_addr().unwrap();
        let base = format!("http://{addr}");
        let (acceptor, tls) = if tls {
            let (acceptor, ca) = tls_acceptor();
            (Some(acceptor), Some((addr, ca)))
        } else {
            (None, None)
        };
        let st = Arc::clone(&state);
        tokio::spawn(async move {
            while let Ok((stream, _)) = rest.accept().await {
                let st = Arc::clone(&st);
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| {
                        let st = Arc::clone(&st);
                        async move { Ok::<_, Infallible>(handle_rest(st, req).await) }
                    });
                    let http = http1::Builder::new();
                    let _ = match acceptor {
                        Some(acceptor) => match acceptor.accept(stream).await {
                            Ok(tls) => http.serve_connection(TokioIo::new(tls), service).await,
                            Err(_) => return,
                        },
                        None => http.serve_connection(TokioIo::new(stream), service).await,
                    };
                });
            }
        });
        let st = Arc::clone(&state);
        tokio::spawn(async move {
            while let Ok((stream, _)) = gateway.accept().await {
                // Events go out as soon as they are written, as from a real
                // gateway: with Nagle's algorithm on, an event written while
                // the previous one waits for its (delayed) ACK is held ~40 ms.
                let _ = stream.set_nodelay(true);
                let st = Arc::clone(&st);
                tokio::spawn(async move {
                    let mut stream = stream;
                    if st.refuse_gateway.load(Ordering::SeqCst) {
                        use tokio::io::AsyncWriteExt;
                        let _ = stream
                            .write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n")
                            .await;
                        return;
                    }
                    if let Ok(ws) = tokio_tungstenite::accept_async(stream).await {
                        handle_gateway(st, ws).await;
                    }
                });
            }
        });
        FakeDiscord { base, tls, state }
    }

    /// Answers the next `times` requests of `method` whose path starts with
    /// `path_prefix` with `fault` instead of the normal response.
    pub fn fail(&self, method: &str, path_prefix: &str, times: usize, fault: Fault) {
        self.state.faults.lock().unwrap().push(FaultRule {
            method: method.to_string(),
            path_prefix: path_prefix.to_string(),
            remaining: times,
            fault,
        });
    }

    /// The token the fake accepts now.
    pub fn token(&self) -> String {
        self.state.token.lock().unwrap().clone()
    }

    /// Accepts only `token` from now on (a token reset in the portal).
    pub fn set_token(&self, token: &str) {
        *self.state.token.lock().unwrap() = token.to_string();
    }

    /// Messages created in channels and as followups, once per nonce.
    pub fn created(&self) -> Vec<Value> {
        self.state.created.lock().unwrap().clone()
    }

    /// How many messages [`FakeDiscord::created`] holds.
    pub fn created_len(&self) -> usize {
        self.state.created.lock().unwrap().len()
    }

    /// Closes the live gateway connection with a close code.
    pub fn close(&self, code: u16) {
        if let Some((_, s)) = self.state.conn.lock().unwrap().take() {
            let _ = s.send(Command::Close(code));
        }
    }

    /// While `refuse` holds, every new gateway connection is answered with
    /// `502 Bad Gateway` (a gateway down behind its load balancer).
    pub fn refuse_gateway(&self, refuse: bool) {
        self.state.refuse_gateway.store(refuse, Ordering::SeqCst);
    }

    /// How many gateway sessions (READY or RESUMED) have started.
    pub fn sessions(&self) -> usize {
        self.state.sessions.load(Ordering::SeqCst)
    }

    /// Points `/gateway` at another URL (e.g. one where nothing listens).
    pub fn set_gateway_url(&self, url: &str) {
        *self.state.gateway_url.lock().unwrap() = url.to_string();
    }

    /// A fresh snowflake.
    pub fn id(&self) -> u64 {
        self.state.next_id.fetch_add(1, Ordering::SeqCst)
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state.requests.lock().unwrap().clone()
    }

    pub fn identifies(&self) -> Vec<Value> {
        self.state.identifies.lock().unwrap().clone()
    }

    pub fn resumes(&self) -> usize {
        self.state.resumes.load(Ordering::SeqCst)
    }

    /// Waits until `check` holds, failing the test after [`WAIT`].
    pub async fn wait_until<T>(
        &self,
        what: &str,
        mut check: impl FnMut(&FakeDiscord) -> Option<T>,
    ) -> T {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let notified = self.state.changed.notified();
            if let Some(v) = check(self) {
                return v;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                if let Some(v) = check(self) {
                    return v;
                }
                panic!(
                    "timed out waiting for {what}; requests so far: {:#?}",
                    self.requests()
                        .iter()
                        .map(|r| format!("{} {}", r.method, r.path))
                        .collect::<Vec<_>>()
                );
            }
        }
    }

    /// Waits until `n` sessions (READY or RESUMED) have started.
    pub async fn wait_sessions(&self, n: usize) {
        self.wait_until(&format!("{n} gateway sessions"), |f| {
            (f.state.sessions.load(Ordering::SeqCst) >= n && f.state.conn.lock().unwrap().is_some())
                .then_some(())
        })
        .await
    }

    /// Waits for a request matching `method`, a path predicate and a body
    /// predicate, and returns it.
    pub async fn wait_request(
        &self,
        method: &str,
        path: impl Fn(&str) -> bool,
        body: impl Fn(&Value) -> bool,
    ) -> Recorded {
        self.wait_until(&format!("a {method} request"), |f| {
            f.requests()
                .into_iter()
                .find(|r| r.method == method && path(&r.path) && body(&r.body))
        })
        .await
    }

    /// The bot's reply to the message `id` in a channel.
    pub async fn reply_to(&self, channel: u64, id: u64) -> Recorded {
        let path = format!("/channels/{channel}/messages");
        self.wait_request(
            "POST",
            |p| p == path,
            |b| b["message_reference"]["message_id"].as_str() == Some(&id.to_string()),
        )
        .await
    }

    /// The interaction callback for interaction `id`.
    pub async fn callback(&self, id: u64) -> Recorded {
        let prefix = format!("/interactions/{id}/");
        self.wait_request(
            "POST",
            |p| p.starts_with(&prefix) && p.ends_with("/callback"),
            |_| true,
        )
        .await
    }

    /// Sends a dispatch on the live gateway connection.
    pub async fn dispatch(&self, event: &str, data: Value) {
        let sender = self
            .wait_until("a live gateway connection", |f| {
                f.state
                    .conn
                    .lock()
                    .unwrap()
                    .as_ref()
                    .map(|(_, s)| s.clone())
            })
            .await;
        sender
            .send(Command::Dispatch(event.to_string(), data))
            .expect("connection task alive");
    }

    /// Drops the gateway connection without a closing handshake.
    pub fn drop_connection(&self) {
        if let Some((_, s)) = self.state.conn.lock().unwrap().take() {
            let _ = s.send(Command::Drop);
        }
    }

    // ---- payloads ------------------------------------------------------------

    pub fn user(id: u64, name: &str, bot: bool) -> Value {
        json!({"id": id.to_string(), "username": name, "discriminator": "0",
               "global_name": name, "avatar": null, "bot": bot})
    }

    /// A role object with id `id`.
    pub fn role(id: u64) -> Value {
        json!({"id": id.to_string(), "name": format!("role{id}"), "color": 0,
               "colors": {"primary_color": 0, "secondary_color": null, "tertiary_color": null},
               "hoist": false, "icon": null, "unicode_emoji": null, "position": 1,
               "permissions": "0", "managed": false, "mentionable": false, "flags": 0})
    }

    /// `payload` (an interaction or a message) as if it came from `guild`.
    pub fn in_guild(mut payload: Value, guild: u64) -> Value {
        payload["guild_id"] = json!(guild.to_string());
        payload
    }

    pub fn bot_user() -> Value {
        FakeDiscord::user(BOT_ID, "madoguchi", true)
    }

    /// A MESSAGE_CREATE payload; `guild` None for a DM.
    pub fn message(
        id: u64,
        channel: u64,
        guild: Option<u64>,
        author: &Value,
        content: &str,
        mentions: &[Value],
    ) -> Value {
        let mut m = json!({
            "id": id.to_string(),
            "channel_id": channel.to_string(),
            "author": author,
            "content": content,
            "timestamp": "2024-04-01T00:00:00.000000+00:00",
            "edited_timestamp": null,
            "tts": false,
            "mention_everyone": content.contains("@everyone"),
            "mentions": mentions,
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "pinned": false,
            "type": 0,
        });
        if let Some(g) = guild {
            m["guild_id"] = json!(g.to_string());
            m["member"] = json!({"roles": [], "joined_at": "2024-01-01T00:00:00.000000+00:00",
                                 "deaf": false, "mute": false, "flags": 0});
        }
        m
    }

    /// A guild member with `permissions` and `roles`, for interactions.
    pub fn member(user: &Value, permissions: u64, roles: &[u64]) -> Value {
        json!({
            "user": user,
            "roles": roles.iter().map(|r| r.to_string()).collect::<Vec<_>>(),
            "joined_at": "2024-01-01T00:00:00.000000+00:00",
            "deaf": false, "mute": false, "flags": 0,
            "permissions": permissions.to_string(),
        })
    }

    fn interaction_base(id: u64, kind: u8, member: &Value, data: Value) -> Value {
        json!({
            "id": id.to_string(),
            "application_id": APP_ID.to_string(),
            "type": kind,
            "data": data,
            "guild_id": GUILD_ID.to_string(),
            "channel_id": CHANNEL_ID.to_string(),
            "member": member,
            "token": format!("tok{id}"),
            "version": 1,
            "app_permissions": "0",
            "locale": "ja",
            "guild_locale": "ja",
            "entitlements": [],
            "authorizing_integration_owners": {},
            "context": 0,
            "attachment_size_limit": 8388608,
        })
    }

    /// An application command interaction (`/name` with string options).
    pub fn command(id: u64, member: &Value, name: &str, options: &[(&str, &str)]) -> Value {
        let options: Vec<Value> = options
            .iter()
            .map(|(n, v)| json!({"name": n, "type": 3, "value": v}))
            .collect();
        FakeDiscord::interaction_base(
            id,
            2,
            member,
            json!({"id": "5000", "name": name, "type": 1, "options": options}),
        )
    }

    /// An autocomplete interaction for `/ask` with `typed` focused.
    pub fn autocomplete(id: u64, member: &Value, typed: &str) -> Value {
        FakeDiscord::interaction_base(
            id,
            4,
            member,
            json!({"id": "5000", "name": "ask", "type": 1,
                   "options": [{"name": "question", "type": 3, "value": typed, "focused": true}]}),
        )
    }

    /// A button press (or a select with `values`) on message `message_id`.
    pub fn component(
        id: u64,
        member: &Value,
        custom_id: &str,
        values: Option<&[&str]>,
        message_id: u64,
    ) -> Value {
        let mut data = json!({"custom_id": custom_id, "component_type": 2});
        if let Some(v) = values {
            data = json!({"custom_id": custom_id, "component_type": 3, "values": v});
        }
        let mut i = FakeDiscord::interaction_base(id, 3, member, data);
        i["message"] = FakeDiscord::message(
            message_id,
            CHANNEL_ID,
            Some(GUILD_ID),
            &FakeDiscord::bot_user(),
            "",
            &[],
        );
        if values.is_none() {
            // As Discord sends it: the message carries the button pressed.
            i["message"]["components"] = json!([{"type": 1, "components": [
                {"type": 2, "style": 2, "label": "·", "custom_id": custom_id}
            ]}]);
        }
        i
    }
}

async fn handle_rest(st: Arc<State>, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let method = req.method().to_string();
    let full = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or_default().to_string();
    let auth = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let boundary = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once("boundary="))
        .map(|(_, b)| b.trim_matches('"').to_string());
    let bytes = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let (body, files) = match &boundary {
        Some(b) => multipart(&bytes, b),
        None => (
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            Vec::new(),
        ),
    };
    let path = full.strip_prefix("/api/v10").unwrap_or(&full).to_string();
    let at = Instant::now();
    let unauthorized = auth != format!("Bot {}", st.token.lock().unwrap());
    let fault = if unauthorized {
        None
    } else {
        let mut faults = st.faults.lock().unwrap();
        let rule = faults
            .iter_mut()
            .find(|r| r.remaining > 0 && r.method == method && path.starts_with(&r.path_prefix));
        rule.map(|r| {
            r.remaining -= 1;
            r.fault.clone()
        })
    };
    let reply = if unauthorized {
        response(
            StatusCode::UNAUTHORIZED,
            Some(json!({"message": "401: Unauthorized", "code": 0})),
        )
    } else if let Some(f) = fault {
        if f.processed {
            route(&st, &method, &path, &body);
        }
        let mut r = response(StatusCode::from_u16(f.status).unwrap(), Some(f.body));
        for (name, value) in f.headers {
            r.headers_mut().insert(name, value.parse().unwrap());
        }
        r
    } else {
        route(&st, &method, &path, &body)
    };
    let recorded = Recorded {
        method: method.clone(),
        path: path.clone(),
        query,
        body: body.clone(),
        files,
        status: reply.status().as_u16(),
        at,
    };
    st.requests.lock().unwrap().push(recorded);
    st.changed.notify_waiters();
    reply
}

/// A multipart/form-data body as Discord reads it: the JSON of the
/// `payload_json` part, and the files (by file name).
fn multipart(bytes: &[u8], boundary: &str) -> (Value, Vec<(String, Vec<u8>)>) {
    let delimiter = format!("--{boundary}").into_bytes();
    let mut body = Value::Null;
    let mut files = Vec::new();
    let find = |hay: &[u8], needle: &[u8], from: usize| {
        hay.get(from..)?
            .windows(needle.len())
            .position(|w| w == needle)
            .map(|i| i + from)
    };
    let mut at = 0;
    while let Some(start) = find(bytes, &delimiter, at) {
        let part_start = start + delimiter.len();
        let Some(end) = find(bytes, &delimiter, part_start) else {
            break;
        };
        let part = &bytes[part_start..end];
        if let Some(split) = find(part, b"\r\n\r\n", 0) {
            let headers = String::from_utf8_lossy(&part[..split]).to_string();
            let mut content = &part[split + 4..];
            if content.ends_with(b"\r\n") {
                content = &content[..content.len() - 2];
            }
            let field = |key: &str| {
                headers
                    .split(';')
                    .find_map(|h| h.trim().strip_prefix(&format!("{key}=\"")))
                    .and_then(|v| v.split('"').next())
                    .map(str::to_string)
            };
            if let Some(filename) = field("filename") {
                files.push((filename, content.to_vec()));
            } else if field("name").as_deref() == Some("payload_json") {
                body = serde_json::from_slice(content).unwrap_or(Value::Null);
            }
        }
        at = end;
    }
    (body, files)
}

fn route(st: &State, method: &str, path: &str, body: &Value) -> Response<Full<Bytes>> {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let message = |channel: &str| {
        let mut m = FakeDiscord::message(
            st.next_id.fetch_add(1, Ordering::SeqCst),
            channel.parse().unwrap_or(CHANNEL_ID),
            None,
            &FakeDiscord::bot_user(),
            body["content"].as_str().unwrap_or_default(),
            &[],
        );
        m.as_object_mut().unwrap().remove("guild_id");
        // enforce_nonce: a create with a nonce seen before returns that
        // message and creates nothing.
        let nonce = body["nonce"]
            .as_str()
            .map(str::to_string)
            .or_else(|| body["nonce"].as_u64().map(|n| n.to_string()));
        if method != "POST" {
            return response(StatusCode::OK, Some(m));
        }
        if body["enforce_nonce"] == true
            && let Some(n) = nonce
        {
            let mut nonces = st.nonces.lock().unwrap();
            if let Some(earlier) = nonces.get(&n) {
                return response(StatusCode::OK, Some(earlier.clone()));
            }
            nonces.insert(n, m.clone());
        }
        let mut created = m.clone();
        created["request"] = body.clone();
        st.created.lock().unwrap().push(created);
        response(StatusCode::OK, Some(m))
    };
    match (method, parts.as_slice()) {
        ("GET", ["gateway"]) => response(
            StatusCode::OK,
            Some(json!({"url": *st.gateway_url.lock().unwrap()})),
        ),
        ("GET", ["gateway", "bot"]) => response(
            StatusCode::OK,
            Some(json!({
                "url": *st.gateway_url.lock().unwrap(),
                "shards": 1,
                "session_start_limit": {"total": 1000, "remaining": 999,
                                        "reset_after": 0, "max_concurrency": 1},
            })),
        ),
        ("GET", ["users", "@me"]) => response(StatusCode::OK, Some(FakeDiscord::bot_user())),
        ("GET", ["guilds", guild, "roles"]) => {
            let roles: &[u64] = match guild.parse() {
                Ok(GUILD_ID) => &[GUILD_ID, STAFF_ROLE],
                Ok(OTHER_GUILD_ID) => &[OTHER_GUILD_ID, STAFF_ROLE + 1],
                _ => {
                    return response(
                        StatusCode::NOT_FOUND,
                        Some(json!({"message": "Unknown Guild", "code": 10004})),
                    );
                }
            };
            let roles: Vec<Value> = roles.iter().map(|&r| FakeDiscord::role(r)).collect();
            response(StatusCode::OK, Some(Value::Array(roles)))
        }
        ("PUT", ["applications", _, "commands"])
        | ("PUT", ["applications", _, "guilds", _, "commands"]) => {
            let commands: Vec<Value> = body
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(|mut c| {
                    c["id"] = json!(st.next_id.fetch_add(1, Ordering::SeqCst).to_string());
                    c["application_id"] = json!(APP_ID.to_string());
                    c["version"] = json!("1");
                    if c.get("type").is_none() {
                        c["type"] = json!(1);
                    }
                    c
                })
                .collect();
            response(StatusCode::OK, Some(Value::Array(commands)))
        }
        ("POST", ["channels", channel, "messages"]) => message(channel),
        ("POST", ["interactions", _, _, "callback"]) => response(StatusCode::NO_CONTENT, None),
        ("PATCH", ["webhooks", _, _, "messages", _]) => message(&CHANNEL_ID.to_string()),
        ("POST", ["webhooks", _, _]) => message(&CHANNEL_ID.to_string()),
        ("DELETE", ["webhooks", _, _, "messages", _]) => response(StatusCode::NO_CONTENT, None),
        _ => response(
            StatusCode::NOT_FOUND,
            Some(json!({"message": "404: Not Found", "code": 0})),
        ),
    }
}

type Ws = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

async fn send(ws: &mut Ws, v: Value) -> bool {
    ws.send(WsMessage::Text(v.to_string())).await.is_ok()
}

async fn handle_gateway(st: Arc<State>, mut ws: Ws) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let conn_id = st.conn_ids.fetch_add(1, Ordering::SeqCst);
    if !send(
        &mut ws,
        json!({"op": 10, "d": {"heartbeat_interval": 41250}}),
    )
    .await
    {
        return;
    }
    let next_seq = |st: &State| st.seq.fetch_add(1, Ordering::SeqCst) + 1;
    loop {
        tokio::select! {
            incoming = ws.next() => {
                let Some(Ok(msg)) = incoming else { break };
                let WsMessage::Text(text) = msg else {
                    if matches!(msg, WsMessage::Close(_)) { break }
                    continue;
                };
                let Ok(v) = serde_json::from_str::<Value>(&text) else { continue };
                match v["op"].as_u64() {
                    Some(1) => {
                        if send(&mut ws, json!({"op": 11})).await { continue }
                        break;
                    }
                    Some(2) => {
                        st.identifies.lock().unwrap().push(v["d"].clone());
                        let token = v["d"]["token"].as_str().unwrap_or_default();
                        if token.strip_prefix("Bot ").unwrap_or(token) != *st.token.lock().unwrap() {
                            let _ = ws.close(Some(tokio_tungstenite::tungstenite::protocol::CloseFrame {
                                code: 4004u16.into(),
                                reason: "Authentication failed.".into(),
                            })).await;
                            break;
                        }
                        let session = format!("session-{conn_id}");
                        *st.session.lock().unwrap() = Some(session.clone());
                        st.seq.store(0, Ordering::SeqCst);
                        let shard = v["d"]["shard"].clone();
                        let ready = json!({
                            "op": 0, "t": "READY", "s": next_seq(&st),
                            "d": {
                                "v": 10,
                                "user": FakeDiscord::bot_user(),
                                "guilds": [{"id": GUILD_ID.to_string(), "unavailable": true}],
                                "session_id": session,
                                "resume_gateway_url": *st.gateway_url.lock().unwrap(),
                                "shard": if shard.is_null() { json!([0, 1]) } else { shard },
                                "application": {"id": APP_ID.to_string(), "flags": 0},
                            }
                        });
                        if !send(&mut ws, ready).await { break }
                        *st.conn.lock().unwrap() = Some((conn_id, tx.clone()));
                        st.sessions.fetch_add(1, Ordering::SeqCst);
                        st.changed.notify_waiters();
                    }
                    Some(6) => {
                        let known = st.session.lock().unwrap().clone();
                        if known.is_some() && v["d"]["session_id"].as_str() == known.as_deref() {
                            let resumed = json!({"op": 0, "t": "RESUMED", "s": next_seq(&st), "d": {}});
                            if !send(&mut ws, resumed).await { break }
                            *st.conn.lock().unwrap() = Some((conn_id, tx.clone()));
                            st.resumes.fetch_add(1, Ordering::SeqCst);
                            st.sessions.fetch_add(1, Ordering::SeqCst);
                            st.changed.notify_waiters();
                        } else if !send(&mut ws, json!({"op": 9, "d": false})).await {
                            break;
                        }
                    }
                    _ => {}
                }
            }
            command = rx.recv() => {
                match command {
                    Some(Command::Dispatch(t, d)) => {
                        let event = json!({"op": 0, "t": t, "s": next_seq(&st), "d": d});
                        if !send(&mut ws, event).await { break }
                    }
                    Some(Command::Close(code)) => {
                        let _ = ws.close(Some(tokio_tungstenite::tungstenite::protocol::CloseFrame {
                            code: code.into(),
                            reason: "closed by the fake".into(),
                        })).await;
                        break;
                    }
                    // Abrupt: the socket is dropped without a close frame.
                    Some(Command::Drop) | None => break,
                }
            }
        }
    }
    let mut conn = st.conn.lock().unwrap();
    if conn.as_ref().is_some_and(|(id, _)| *id == conn_id) {
        *conn = None;
    }
    drop(conn);
    st.changed.notify_waiters();
}
