//! A fake Discord on 127.0.0.1 for end-to-end tests of the bot with the real
//! serenity client: the REST API (`/api/v10/gateway`, `/gateway/bot`,
//! `/users/@me`, command registration, message create, interaction
//! callbacks, webhook edits and followups) over HTTP/1.1, and the gateway
//! over ws:// (HELLO, IDENTIFY → READY, RESUME → RESUMED, heartbeat ACK,
//! dispatches with sequence numbers). Every REST request is recorded so a
//! test can wait for the one it expects; the test drives the gateway with
//! [`FakeDiscord::dispatch`] and can drop the connection abruptly.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

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
}

enum Command {
    Dispatch(String, Value),
    Drop,
}

struct State {
    token: String,
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
}

/// The fake: its REST base URL, and handles to drive the gateway.
#[derive(Clone)]
pub struct FakeDiscord {
    pub base: String,
    state: Arc<State>,
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
        let rest = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let gateway = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let state = Arc::new(State {
            token: token.to_string(),
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
        });
        let base = format!("http://{}", rest.local_addr().unwrap());
        let st = Arc::clone(&state);
        tokio::spawn(async move {
            while let Ok((stream, _)) = rest.accept().await {
                let st = Arc::clone(&st);
                tokio::spawn(async move {
                    let service = service_fn(move |req| {
                        let st = Arc::clone(&st);
                        async move { Ok::<_, Infallible>(handle_rest(st, req).await) }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        let st = Arc::clone(&state);
        tokio::spawn(async move {
            while let Ok((stream, _)) = gateway.accept().await {
                let st = Arc::clone(&st);
                tokio::spawn(async move {
                    if let Ok(ws) = tokio_tungstenite::accept_async(stream).await {
                        handle_gateway(st, ws).await;
                    }
                });
            }
        });
        FakeDiscord { base, state }
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
    let bytes = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let path = full.strip_prefix("/api/v10").unwrap_or(&full).to_string();
    let recorded = Recorded {
        method: method.clone(),
        path: path.clone(),
        query,
        body: body.clone(),
    };
    let unauthorized = auth != format!("Bot {}", st.token);
    let reply = if unauthorized {
        response(
            StatusCode::UNAUTHORIZED,
            Some(json!({"message": "401: Unauthorized", "code": 0})),
        )
    } else {
        route(&st, &method, &path, &body)
    };
    st.requests.lock().unwrap().push(recorded);
    st.changed.notify_waiters();
    reply
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
                        if token.strip_prefix("Bot ").unwrap_or(token) != st.token {
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

/// Interactions received by id, for assertions on several at once.
pub fn by_path(requests: &[Recorded]) -> HashMap<String, Vec<Recorded>> {
    let mut out: HashMap<String, Vec<Recorded>> = HashMap::new();
    for r in requests {
        out.entry(r.path.clone()).or_default().push(r.clone());
    }
    out
}
