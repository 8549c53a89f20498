//! Logging of the binary: tracing to stderr, filtered by `RUST_LOG`, as text
//! or JSON lines, with the secrets (the bot token, a database password)
//! taken out of every line and of every error the command prints.

use std::io::Write;
use std::sync::RwLock;

use super::args::LogFormat;

/// The secrets read so far (the bot token, a database password): no
/// output line may show them.
static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Keeps `secret` out of every line logged or printed from now on.
pub fn keep_secret(secret: &str) {
    if secret.is_empty() {
        return;
    }
    if let Ok(mut secrets) = SECRETS.write()
        && !secrets.iter().any(|s| s == secret)
    {
        secrets.push(secret.to_string());
    }
}

/// `text` with every secret kept replaced by `[redacted]`.
pub fn redact(text: &str) -> std::borrow::Cow<'_, str> {
    let Ok(secrets) = SECRETS.read() else {
        return text.into();
    };
    let mut text: std::borrow::Cow<'_, str> = text.into();
    for secret in secrets.iter() {
        if text.contains(secret.as_str()) {
            text = text.replace(secret.as_str(), "[redacted]").into();
        }
    }
    text
}

/// Stderr for logs, redacting the token from every line: whatever a
/// dependency logs at trace level (requests, gateway payloads, echoed user
/// text), the token never reaches the terminal or a log file.
struct RedactingStderr;

impl Write for RedactingStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        // tracing writes one whole event per call.
        let text = String::from_utf8_lossy(buf);
        std::io::stderr().write_all(redact(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// Logs to stderr at `default_filter` unless `RUST_LOG` says otherwise.
pub fn init(default_filter: &str, format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| RedactingStderr)
        // Colours only for a terminal: a log file or journal gets plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}
