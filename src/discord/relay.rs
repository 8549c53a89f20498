//! Rate limits behind an API proxy (`DISCORD_API_BASE`). There serenity
//! sends its REST requests with its own rate limiter off, and a failed
//! response reaches the bot without its headers or the `retry_after` of its
//! body, so the bot could not tell how long it was asked to wait. A
//! [`Relay`] on 127.0.0.1 stands between serenity and the proxy: it forwards
//! every request unchanged and, on a 429, waits as long as the response
//! asks — the longest of the body's `retry_after` and the `Retry-After` and
//! `X-RateLimit-Reset-After` headers (at least [`LEAST_WAIT`]) — and sends
//! the request again, up to [`ATTEMPTS`] times in all. A wait longer than
//! [`LONGEST_WAIT`], or the last 429, goes back to the caller as it came. A
//! proxy that cannot be reached is answered 502, which the caller retries
//! like any server error ([`super::rest`]).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{HeaderMap, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tracing::{debug, warn};

/// Attempts of one request on 429s, the first included.
pub const ATTEMPTS: u32 = 4;
/// The least wait after a 429 that names no wait.
pub const LEAST_WAIT: Duration = Duration::from_millis(500);
/// Longer waits are the caller's to decide: the 429 goes back at once.
pub const LONGEST_WAIT: Duration = Duration::from_secs(60);

/// Headers that belong to one connection, not to the request.
const HOP_BY_HOP: [&str; 5] = [
    "host",
    "connection",
    "content-length",
    "transfer-encoding",
    "keep-alive",
];

/// A running relay; dropping it stops it.
pub struct Relay {
    /// Where serenity sends its requests (`http://127.0.0.1:PORT`).
    pub base: String,
    task: JoinHandle<()>,
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The largest request body the relay takes (Discord's own limit on a
/// request with attachments is 25 MiB; the bot sends far less).
pub const BODY_LIMIT: usize = 25 * 1024 * 1024;

/// Starts a relay to `upstream` (the proxy's base URL).
pub async fn start(upstream: &str, client: reqwest::Client) -> std::io::Result<Relay> {
    let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let base = format!("http://{}", listener.local_addr()?);
    let upstream = upstream.trim_end_matches('/').to_string();
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let (client, upstream) = (client.clone(), upstream.clone());
            tokio::spawn(async move {
                let service = service_fn(move |req| {
                    let (client, upstream) = (client.clone(), upstream.clone());
                    async move { Ok::<_, Infallible>(forward(&client, &upstream, req).await) }
                });
                if let Err(e) = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await
                {
                    debug!(error = %e, "relay connection ended");
                }
            });
        }
    });
    Ok(Relay { base, task })
}

/// Sends `req` to `upstream`, waiting out 429s as the module says.
async fn forward(
    client: &reqwest::Client,
    upstream: &str,
    req: Request<Incoming>,
) -> Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    // Only the bot sends here (JSON and a chart), so a body past the bound
    // is refused rather than held in memory.
    let Ok(body) = http_body_util::Limited::new(body, BODY_LIMIT)
        .collect()
        .await
        .map(|b| b.to_bytes())
    else {
        return reply(
            StatusCode::PAYLOAD_TOO_LARGE,
            &HeaderMap::new(),
            Bytes::new(),
        );
    };
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let url = format!("{upstream}{path}");
    let mut headers = parts.headers.clone();
    for h in HOP_BY_HOP {
        headers.remove(h);
    }
    let mut tried = 1;
    loop {
        let sent = client
            .request(parts.method.clone(), &url)
            .headers(headers.clone())
            .body(body.clone())
            .send()
            .await;
        let response = match sent {
            Ok(r) => r,
            Err(e) => {
                warn!(error = %e, "the API proxy cannot be reached");
                return reply(StatusCode::BAD_GATEWAY, &HeaderMap::new(), Bytes::new());
            }
        };
        let status = response.status();
        let headers_back = response.headers().clone();
        let bytes = response.bytes().await.unwrap_or_default();
        if status != StatusCode::TOO_MANY_REQUESTS || tried >= ATTEMPTS {
            return reply(status, &headers_back, bytes);
        }
        let wait = retry_wait(&headers_back, &bytes);
        if wait > LONGEST_WAIT {
            return reply(status, &headers_back, bytes);
        }
        debug!(
            path,
            wait_ms = wait.as_millis() as u64,
            "429 behind the proxy: waiting as asked"
        );
        tokio::time::sleep(wait).await;
        tried += 1;
    }
}

fn reply(status: StatusCode, headers: &HeaderMap, body: Bytes) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(body));
    *r.status_mut() = status;
    for (name, value) in headers {
        if !HOP_BY_HOP.contains(&name.as_str()) {
            r.headers_mut().append(name, value.clone());
        }
    }
    r
}

/// How long a 429 asks to wait: the longest of the body's `retry_after`
/// and the `Retry-After` and `X-RateLimit-Reset-After` headers (seconds),
/// at least [`LEAST_WAIT`].
pub fn retry_wait(headers: &HeaderMap, body: &[u8]) -> Duration {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|s| s.trim().parse::<f64>().ok())
    };
    let in_body = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["retry_after"].as_f64());
    let secs = [
        in_body,
        header("retry-after"),
        header("x-ratelimit-reset-after"),
    ]
    .into_iter()
    .flatten()
    .filter(|s| s.is_finite() && *s >= 0.0)
    .fold(0.0, f64::max);
    Duration::try_from_secs_f64(secs)
        .unwrap_or(Duration::MAX)
        .max(LEAST_WAIT)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    /// A body past [`BODY_LIMIT`] is refused with 413 before it is held
    /// whole, and nothing is sent upstream.
    #[tokio::test]
    async fn a_body_past_the_bound_is_refused() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let upstream = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let relay = start(
            &format!("http://{}", upstream.local_addr().unwrap()),
            reqwest::Client::new(),
        )
        .await
        .unwrap();
        let addr = relay.base.trim_start_matches("http://").to_string();
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        let size = BODY_LIMIT + 1024 * 1024;
        let head = format!(
            "POST /api/v10/channels/1/messages HTTP/1.1\r\nhost: x\r\ncontent-length: {size}\r\n\r\n"
        );
        s.write_all(head.as_bytes()).await.unwrap();
        let chunk = vec![b'x'; 1024 * 1024];
        for _ in 0..size / chunk.len() {
            if s.write_all(&chunk).await.is_err() {
                break;
            }
        }
        let mut answer = vec![0u8; 64];
        let n = s.read(&mut answer).await.unwrap();
        let answer = String::from_utf8_lossy(&answer[..n]);
        assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
        let nothing = tokio::time::timeout(Duration::from_millis(200), upstream.accept()).await;
        assert!(nothing.is_err(), "nothing went upstream");
    }

    #[test]
    fn the_longest_wait_asked_is_taken() {
        let body = br#"{"message":"You are being rate limited.","retry_after":2.5,"global":false}"#;
        assert_eq!(
            retry_wait(&HeaderMap::new(), body),
            Duration::from_millis(2500)
        );
        let h = headers(&[("x-ratelimit-reset-after", "3.25"), ("retry-after", "1")]);
        assert_eq!(retry_wait(&h, b""), Duration::from_millis(3250));
        assert_eq!(retry_wait(&h, body), Duration::from_millis(3250));
        // Nothing usable: the least wait.
        let junk = headers(&[("retry-after", "soon")]);
        assert_eq!(retry_wait(&junk, br#"{"retry_after":-4}"#), LEAST_WAIT);
        assert_eq!(retry_wait(&HeaderMap::new(), b"not json"), LEAST_WAIT);
        // Absurd: longer than any wait the relay takes on itself.
        let huge = br#"{"retry_after":1e300}"#;
        assert!(retry_wait(&HeaderMap::new(), huge) > LONGEST_WAIT);
    }
}
