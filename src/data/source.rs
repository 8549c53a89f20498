//! Reading the files of `data/` and saying what is wrong with them: a file
//! read whole (capped, UTF-8, hashed into the fingerprint), parsed as TOML,
//! and every [`Problem`] recorded at its file, line and entry through
//! [`Loader::problem_at`].

use std::fmt;
use std::fs;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Serialize;

/// The largest data file read; a larger one (or a device, a runaway
/// generated file) is reported instead of filling memory.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// One problem found in `data/`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub entry: Option<String>,
    pub message: String,
    pub fix: String,
}

impl Problem {
    /// A problem with a whole file (or directory): no line, no entry.
    pub(super) fn with_file(
        file: &Path,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Problem {
        Problem {
            file: file.to_path_buf(),
            line: None,
            entry: None,
            message: message.into(),
            fix: fix.into(),
        }
    }

    /// The same problem, about `entry`.
    pub(super) fn about(mut self, entry: &str) -> Problem {
        self.entry = Some(entry.to_string());
        self
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(entry) = &self.entry {
            write!(f, ": [{entry}]")?;
        }
        write!(f, ": {}\n    how to fix: {}", self.message, self.fix)
    }
}

/// Every problem found while loading `data/`.
#[derive(Debug, Clone, thiserror::Error)]
pub struct Problems(pub Vec<Problem>);

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        write!(
            f,
            "{n} problem{} in the data files",
            if n == 1 { "" } else { "s" }
        )?;
        for p in &self.0 {
            write!(f, "\n{p}")?;
        }
        Ok(())
    }
}

/// The file's bytes, reading no more than one past [`MAX_FILE_BYTES`].
/// Only a regular file (or a link to one) is opened: a FIFO, socket or
/// device would block or never end, so it is refused with
/// [`NotRegular`] before it is opened.
pub fn read_capped(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    if !fs::metadata(path)?.is_file() {
        return Err(std::io::Error::other(NotRegular));
    }
    let mut bytes = Vec::new();
    fs::File::open(path)?
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// A path that names something other than a regular file.
#[derive(Debug, thiserror::Error)]
#[error("it is not a regular file (a FIFO, socket, device or directory)")]
pub struct NotRegular;

fn not_regular(e: &std::io::Error) -> bool {
    e.get_ref().is_some_and(|e| e.is::<NotRegular>())
}

/// A text file read from `data/`, with a way to turn byte offsets into lines.
pub(super) struct Source {
    pub(super) path: PathBuf,
    pub(super) text: String,
    /// Byte offset of every newline, for [`Source::line_of`].
    newlines: Vec<usize>,
}

impl Source {
    pub(super) fn new(path: &Path, text: String) -> Source {
        let newlines = text
            .bytes()
            .enumerate()
            .filter(|(_, b)| *b == b'\n')
            .map(|(i, _)| i)
            .collect();
        Source {
            path: path.to_path_buf(),
            text,
            newlines,
        }
    }

    /// The 1-based line holding byte `offset`.
    pub(super) fn line_of(&self, offset: usize) -> usize {
        self.newlines.partition_point(|&nl| nl < offset) + 1
    }

    /// A problem at `span` of this file (the whole file when `None`), about
    /// `entry`.
    pub(super) fn problem(
        &self,
        span: Option<Range<usize>>,
        entry: Option<&str>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Problem {
        Problem {
            file: self.path.clone(),
            line: span.map(|s| self.line_of(s.start)),
            entry: entry.map(str::to_owned),
            message: message.into(),
            fix: fix.into(),
        }
    }
}

/// What loading has found so far: the problems, and the hash of every file
/// read (the knowledge's fingerprint).
pub(super) struct Loader {
    pub(super) problems: Vec<Problem>,
    pub(super) hasher: blake3::Hasher,
}

impl Loader {
    pub(super) fn new() -> Loader {
        Loader {
            problems: Vec::new(),
            hasher: blake3::Hasher::new(),
        }
    }

    /// Records a problem at `span` of `src` (the whole file when `None`),
    /// about `entry`.
    pub(super) fn problem_at(
        &mut self,
        src: &Source,
        span: Option<Range<usize>>,
        entry: Option<&str>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) {
        self.problems.push(src.problem(span, entry, message, fix));
    }

    /// The file at `path` as text; `None` (with the problem recorded) when
    /// it cannot be read, is too large or is not UTF-8, or (not recorded)
    /// when an optional file is absent.
    pub(super) fn read(&mut self, path: &Path, required: bool) -> Option<Source> {
        let bytes = match read_capped(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => return None,
            Err(e) => {
                self.problems.push(unreadable(path, &e));
                return None;
            }
        };
        if bytes.len() as u64 > MAX_FILE_BYTES {
            self.problems.push(Problem::with_file(
                path,
                format!(
                    "the file is larger than {} MB, the most a data file may hold",
                    MAX_FILE_BYTES / (1024 * 1024)
                ),
                "check that it is the right file; split a long FAQ file into several \
                 faq/*.toml files",
            ));
            return None;
        }
        self.hasher
            .update(path.file_name().unwrap_or_default().as_encoded_bytes());
        self.hasher.update(&(bytes.len() as u64).to_le_bytes());
        self.hasher.update(&bytes);
        match String::from_utf8(bytes) {
            Ok(text) => Some(Source::new(path, text)),
            Err(e) => {
                let offset = e.utf8_error().valid_up_to();
                let text = String::from_utf8_lossy(&e.into_bytes()[..offset]).into_owned();
                let src = Source::new(path, text);
                self.problem_at(
                    &src,
                    Some(offset..offset),
                    None,
                    "the file is not valid UTF-8",
                    "save the file as UTF-8 (not Shift_JIS or EUC-JP)",
                );
                None
            }
        }
    }

    /// `src` parsed as TOML into `T`; `None` (with the problem recorded at
    /// its line) when it does not parse.
    pub(super) fn parse<T: serde::de::DeserializeOwned>(&mut self, src: &Source) -> Option<T> {
        match toml::from_str::<T>(&src.text) {
            Ok(v) => Some(v),
            Err(e) => {
                let mut message = e.message().to_string();
                if message.contains("unknown field") {
                    message.push_str(" (field names are case-sensitive)");
                }
                self.problem_at(
                    src,
                    e.span(),
                    None,
                    format!("invalid TOML: {message}"),
                    "correct the TOML at that line (strings in \"quotes\", lists in [brackets], \
                     multi-line text in \"\"\"triple quotes\"\"\"); the other entries in the file \
                     are unaffected once it parses",
                );
                None
            }
        }
    }

    /// The file at `path`, read and parsed into `T`; `None` when it is
    /// absent (and optional) or broken (the problem is recorded).
    pub(super) fn read_toml<T: serde::de::DeserializeOwned>(
        &mut self,
        path: &Path,
        required: bool,
    ) -> Option<(Source, T)> {
        let src = self.read(path, required)?;
        let raw = self.parse::<T>(&src)?;
        Some((src, raw))
    }

    /// Records a problem at `span` unless `value` has text: `field` of
    /// `entry` is empty.
    pub(super) fn nonempty(
        &mut self,
        src: &Source,
        span: &Range<usize>,
        entry: &str,
        field: &str,
        value: &str,
    ) {
        if value.trim().is_empty() {
            self.problem_at(
                src,
                Some(span.clone()),
                Some(entry),
                format!("`{field}` is empty"),
                format!("write the {field}, or remove the entry"),
            );
        }
    }
}

/// Why `path` could not be read, and what to do about it.
fn unreadable(path: &Path, e: &std::io::Error) -> Problem {
    let fix = if not_regular(e) {
        "replace it with a regular file, or move it out of the data directory"
    } else if e.kind() == std::io::ErrorKind::NotFound {
        "restore the file from git (`git checkout -- data/`), or point --data / MADOGUCHI_DATA \
         at the right directory"
    } else {
        "check the file's permissions"
    };
    Problem::with_file(path, format!("cannot read the file: {e}"), fix)
}

/// Whether `id` is usable as an entry id: ASCII letters, digits, `.`, `-`
/// and `_`, at least one.
pub(super) fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// The `*.toml` files of a directory, sorted; none when it does not exist.
pub(super) fn toml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = match fs::read_dir(dir) {
        Ok(rd) => rd
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    files
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A loader and a source holding `text`, as if read from `name`.
    pub(in crate::data) fn loaded(name: &str, text: &str) -> (Loader, Source) {
        (
            Loader::new(),
            Source::new(Path::new(name), text.to_string()),
        )
    }

    /// The problems' messages, one string each: `line: [entry]: message`.
    pub(in crate::data) fn said(ld: &Loader) -> Vec<String> {
        ld.problems
            .iter()
            .map(|p| {
                format!(
                    "{}: [{}]: {}",
                    p.line.unwrap_or(0),
                    p.entry.as_deref().unwrap_or(""),
                    p.message
                )
            })
            .collect()
    }

    #[test]
    fn line_numbers_count_from_one() {
        let src = Source::new(Path::new("x"), "a\nb\nc".into());
        assert_eq!(src.line_of(0), 1);
        assert_eq!(src.line_of(1), 1);
        assert_eq!(src.line_of(2), 2);
        assert_eq!(src.line_of(4), 3);
    }

    #[test]
    fn ids_are_ascii_words() {
        for good in ["telework-center", "a", "2.tokyo.b_3"] {
            assert!(valid_id(good), "{good}");
        }
        for bad in ["", "テレワーク", "a b", "a/b", "a:b"] {
            assert!(!valid_id(bad), "{bad}");
        }
    }

    #[test]
    fn a_toml_error_names_its_line_and_the_case_of_field_names() {
        #[derive(serde::Deserialize, Debug)]
        #[serde(deny_unknown_fields)]
        struct T {
            #[allow(dead_code)]
            name: String,
        }
        let (mut ld, src) = loaded("x.toml", "\n\nName = \"a\"\n");
        assert!(ld.parse::<T>(&src).is_none());
        let p = &ld.problems[0];
        assert_eq!(p.line, Some(3));
        assert!(p.message.contains("case-sensitive"), "{}", p.message);
    }

    #[test]
    fn an_empty_field_is_a_problem_naming_the_field() {
        let (mut ld, src) = loaded("x.toml", "a\nb\n");
        ld.nonempty(&src, &(2..3), "e", "title", " \u{3000}");
        ld.nonempty(&src, &(2..3), "e", "short", "ok");
        assert_eq!(said(&ld), ["2: [e]: `title` is empty"]);
    }
}
