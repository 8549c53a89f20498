//! The binary's side of `madoguchi`, declared by `main.rs` only: the
//! command line ([`args`]), the settings resolved once ([`settings`]),
//! logging ([`logs`]), the commands over the library ([`commands`],
//! [`faq_wizard`], [`serve`]), and the helpers they share here: opening the
//! engine with one wording for broken knowledge, reading and writing the
//! files a command is given.

pub mod args;
pub mod commands;
pub mod faq_wizard;
pub mod logs;
pub mod serve;
pub mod settings;

use std::io::BufRead;
use std::path::Path;

use anyhow::Context;

use madoguchi::data;
use madoguchi::engine::{Engine, EngineError, Paths, Rebuild};

/// Standard output for what a command prints. Every write is checked, so
/// a reader that goes away (`madoguchi report | head -1`) ends the command
/// quietly through `main` instead of a panic; control characters in what is
/// written (a question's ESC, `\r`) are made visible
/// ([`madoguchi::clean::visible`]), so user text cannot drive the terminal.
pub fn stdout() -> Terminal {
    Terminal(std::io::stdout().lock())
}

/// Standard output with control characters made visible.
pub struct Terminal(std::io::StdoutLock<'static>);

impl std::io::Write for Terminal {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        // Everything written is whole `str`s (format arguments), so a
        // character is never split across two writes.
        let text = String::from_utf8_lossy(buf);
        self.0
            .write_all(madoguchi::clean::visible(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// Progress of a long step (an index rebuild), on stderr.
pub fn progress(msg: &str) {
    eprintln!("madoguchi: {msg}");
}

/// What is said when the knowledge in `data` does not load.
pub fn broken_knowledge(data: &Path) -> String {
    format!(
        "the knowledge in {} has problems (run `madoguchi check`)",
        data.display()
    )
}

/// An engine error for the user: problems in `data/` say where and how to
/// find out more.
pub fn engine_error(error: EngineError, data: &Path) -> anyhow::Error {
    match error {
        EngineError::Data(problems) => anyhow::Error::new(problems).context(broken_knowledge(data)),
        other => anyhow::Error::new(other),
    }
}

/// Opens the engine over `paths`, rebuilding the index as `rebuild` says.
pub fn open_engine(paths: &Paths, rebuild: Rebuild) -> anyhow::Result<Engine> {
    Engine::open(paths, rebuild, &mut progress).map_err(|e| engine_error(e, &paths.data))
}

/// The longest line `ask -` reads as a question; the rest of a longer one
/// is skipped without being held (a question is a few hundred characters).
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// A line of input.
pub enum Line {
    Text(String),
    NotUtf8(std::string::FromUtf8Error),
    /// Longer than [`MAX_LINE_BYTES`]: skipped.
    TooLong,
}

/// The next line of `input` without its line ending, or why it is not
/// text; `None` at the end. Reads at most [`MAX_LINE_BYTES`] of it.
pub fn next_line(input: &mut dyn BufRead) -> std::io::Result<Option<Line>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    let limit = MAX_LINE_BYTES as u64 + 1;
    if Read::take(&mut *input, limit).read_until(b'\n', &mut bytes)? == 0 {
        return Ok(None);
    }
    if bytes.last() != Some(&b'\n') && bytes.len() > MAX_LINE_BYTES {
        loop {
            let buf = input.fill_buf()?;
            if buf.is_empty() {
                break;
            }
            if let Some(end) = buf.iter().position(|&b| b == b'\n') {
                input.consume(end + 1);
                break;
            }
            let n = buf.len();
            input.consume(n);
        }
        return Ok(Some(Line::TooLong));
    }
    if bytes.last() == Some(&b'\n') {
        bytes.pop();
        if bytes.last() == Some(&b'\r') {
            bytes.pop();
        }
    }
    Ok(Some(match String::from_utf8(bytes) {
        Ok(text) => Line::Text(text),
        Err(e) => Line::NotUtf8(e),
    }))
}

/// A text file given on the command line, read as `data/` files are: only
/// a regular file, at most [`data::MAX_FILE_BYTES`].
pub fn read_text(path: &Path) -> anyhow::Result<String> {
    let reading = || format!("reading {}", path.display());
    let bytes = data::read_capped(path).with_context(reading)?;
    anyhow::ensure!(
        bytes.len() as u64 <= data::MAX_FILE_BYTES,
        "{} is larger than {} MB: check that it is the right file",
        path.display(),
        data::MAX_FILE_BYTES / (1024 * 1024)
    );
    String::from_utf8(bytes)
        .with_context(reading)
        .context("save the file as UTF-8")
}
