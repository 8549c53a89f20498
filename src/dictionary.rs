//! The IPADIC system dictionary: built once from the MeCab IPADIC source
//! (Debian package `mecab-ipadic`, EUC-JP CSVs) into a directory of our own,
//! then memory-mapped on every later start.
//!
//! The built dictionary carries a stamp naming the source it came from (file
//! names, sizes and modification times, plus the lindera version). A changed
//! source, a different lindera or a half-written build is detected and the
//! dictionary is rebuilt into a fresh directory that replaces the old one with
//! a rename, so a crash mid-build never leaves a dictionary that loads wrong.
//! A build also writes the blake3 checksum of every file it made; a file
//! whose content no longer matches (a flipped bit, a truncation) is found
//! before lindera reads it, and the dictionary is rebuilt. Hashing 46 MB
//! cost every start milliseconds (BENCHMARKS.md, Records), so a start hashes
//! only when the file system says a file changed since its checksums last
//! matched (size, modification and change times, inode: a write through the
//! file system changes at least the change time). A bit that rots on the disk without a
//! write is therefore not found by a start; should lindera fail on it, the
//! analysis reports a damaged dictionary and says to delete it.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use lindera::dictionary::{Dictionary, DictionaryBuilder, Metadata, UserDictionary};

/// Where Debian's `mecab-ipadic` package puts the IPADIC source.
pub const DEFAULT_IPADIC_SOURCE: &str = "/usr/share/mecab/dic/ipadic";

/// lindera-ipadic's build metadata, with the encoding of the MeCab source.
const IPADIC_METADATA: &str = include_str!("ipadic_metadata.json");

const STAMP_FILE: &str = "madoguchi-source.stamp";
/// `<blake3 hex>  <file name>` for every file of a built dictionary.
const CHECKSUMS_FILE: &str = "madoguchi-checksums.txt";
/// `<identity>  <file name>` of every checksummed file (and of the checksums
/// themselves) as they were when the checksums last matched.
const VERIFIED_FILE: &str = "madoguchi-verified.txt";

/// Errors from finding, building or loading the system dictionary.
#[derive(Debug, thiserror::Error)]
pub enum DictionaryError {
    #[error(
        "the IPADIC source was not found at {path}: install it with `apt-get install mecab-ipadic` \
         (Debian/Ubuntu), or point MADOGUCHI_IPADIC (--ipadic) at a directory holding \
         IPADIC's *.csv, matrix.def, char.def and unk.def"
    )]
    SourceMissing { path: PathBuf },
    #[error("could not read the IPADIC source at {path}: {source}")]
    SourceUnreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("could not write the built dictionary under {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "building the dictionary from {source_dir} failed: {message}; check that the directory \
         holds an unmodified EUC-JP IPADIC (package mecab-ipadic)"
    )]
    Build {
        source_dir: PathBuf,
        message: String,
    },
    #[error(
        "the built dictionary at {path} could not be loaded: {message}; delete that directory \
         and it will be rebuilt"
    )]
    Load { path: PathBuf, message: String },
    #[error("the user dictionary could not be built: {message}")]
    User { message: String },
}

/// The IPADIC build metadata (schema, costs, encoding).
pub fn ipadic_metadata() -> Metadata {
    serde_json::from_str(IPADIC_METADATA).expect("bundled IPADIC metadata is valid JSON")
}

/// A short fingerprint of the source directory: names, sizes and mtimes of its
/// files, plus the lindera version that builds it.
pub fn source_fingerprint(source: &Path) -> Result<String, DictionaryError> {
    let unreadable = |e| DictionaryError::SourceUnreadable {
        path: source.to_path_buf(),
        source: e,
    };
    if !source.join("matrix.def").is_file() {
        return Err(DictionaryError::SourceMissing {
            path: source.to_path_buf(),
        });
    }
    let mut entries: Vec<(String, u64, u128)> = Vec::new();
    for entry in fs::read_dir(source).map_err(unreadable)? {
        let entry = entry.map_err(unreadable)?;
        let meta = fs::metadata(entry.path()).map_err(unreadable)?;
        if !meta.is_file() {
            continue;
        }
        let mtime = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        entries.push((
            entry.file_name().to_string_lossy().into_owned(),
            meta.len(),
            mtime,
        ));
    }
    entries.sort();
    let mut hasher = blake3::Hasher::new();
    hasher.update(b"lindera ");
    hasher.update(lindera::get_version().as_bytes());
    for (name, len, mtime) in &entries {
        hasher.update(format!("\n{name}\t{len}\t{mtime}").as_bytes());
    }
    Ok(hasher.finalize().to_hex()[..16].to_string())
}

/// Outcome of [`ensure_built`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Built {
    pub dir: PathBuf,
    pub fingerprint: String,
    pub rebuilt: bool,
}

/// Makes sure `target` holds a dictionary built from `source`, building it if
/// it is missing or stale (`progress` hears when it does). Returns where it is
/// and the source fingerprint.
pub fn ensure_built(
    source: &Path,
    target: &Path,
    progress: &mut dyn FnMut(&str),
) -> Result<Built, DictionaryError> {
    let fingerprint = source_fingerprint(source)?;
    let stamp = target.join(STAMP_FILE);
    if fs::read_to_string(&stamp).is_ok_and(|s| s.trim() == fingerprint) {
        if unchanged_since_verified(target) {
            return Ok(Built {
                dir: target.to_path_buf(),
                fingerprint,
                rebuilt: false,
            });
        }
        match damaged(target) {
            None => {
                record_verified(target, std::time::SystemTime::now());
                return Ok(Built {
                    dir: target.to_path_buf(),
                    fingerprint,
                    rebuilt: false,
                });
            }
            Some(files) => progress(&format!(
                "the dictionary at {} does not match its checksums ({files}): rebuilding it",
                target.display()
            )),
        }
    }
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| DictionaryError::Io { path, source }
    };
    let parent = target.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(io(parent))?;
    let name = target
        .file_name()
        .map_or("dictionary".into(), |n| n.to_string_lossy().into_owned());
    let nonce = std::time::SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let staging = parent.join(format!(".{name}.building-{}-{nonce}", std::process::id()));
    progress(&format!(
        "building the IPADIC dictionary from {} into {} (once; a few seconds)",
        source.display(),
        target.display()
    ));
    let builder = DictionaryBuilder::new(ipadic_metadata());
    builder
        .build_dictionary(source, &staging)
        .map_err(|e| DictionaryError::Build {
            source_dir: source.to_path_buf(),
            message: format!("{e:#}"),
        })?;
    write_checksums(&staging).map_err(io(&staging))?;
    fs::write(staging.join(STAMP_FILE), &fingerprint).map_err(io(&staging))?;
    if fs::read_to_string(&stamp).is_ok_and(|s| s.trim() == fingerprint)
        && damaged(target).is_none()
    {
        // Another builder finished first; keep its dictionary.
        let _ = fs::remove_dir_all(&staging);
        return Ok(Built {
            dir: target.to_path_buf(),
            fingerprint,
            rebuilt: false,
        });
    }
    if target.exists() {
        let old = parent.join(format!(".{name}.old-{}-{nonce}", std::process::id()));
        fs::rename(target, &old).map_err(io(target))?;
        fs::rename(&staging, target).map_err(io(target))?;
        let _ = fs::remove_dir_all(&old);
    } else {
        fs::rename(&staging, target).map_err(io(target))?;
    }
    Ok(Built {
        dir: target.to_path_buf(),
        fingerprint,
        rebuilt: true,
    })
}

/// Writes the checksum of every file in a freshly built dictionary.
fn write_checksums(dir: &Path) -> std::io::Result<()> {
    let mut names: Vec<String> = fs::read_dir(dir)?
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| ![STAMP_FILE, CHECKSUMS_FILE, VERIFIED_FILE].contains(&n.as_str()))
        .collect();
    names.sort();
    let mut text = String::new();
    for name in names {
        text.push_str(&format!(
            "{}  {name}\n",
            crate::files::hash(&dir.join(&name))?
        ));
    }
    fs::write(dir.join(CHECKSUMS_FILE), text)
}

/// Which files of a built dictionary do not match the checksums written
/// when it was built (missing or unreadable count too); `None` when all
/// do.
pub fn damaged(dir: &Path) -> Option<String> {
    let Ok(list) = fs::read_to_string(dir.join(CHECKSUMS_FILE)) else {
        return Some(CHECKSUMS_FILE.to_string());
    };
    let bad: Vec<&str> = list
        .lines()
        .filter_map(|line| line.split_once("  "))
        .filter(|(sum, name)| {
            name.contains(['/', '\\'])
                || crate::files::hash(&dir.join(name)).ok().as_deref() != Some(*sum)
        })
        .map(|(_, name)| name)
        .collect();
    if list.lines().all(|l| l.split_once("  ").is_none()) {
        return Some(CHECKSUMS_FILE.to_string());
    }
    (!bad.is_empty()).then(|| bad.join(", "))
}

/// A file changed less than this before its identity was taken may change
/// again within the same tick of the file system's clock without its
/// identity changing: such an identity is not recorded (as git does with
/// "racily clean" entries).
const RACY_WINDOW: std::time::Duration = std::time::Duration::from_secs(2);

/// What the file system says of a file (size, modification and change
/// times, inode), and its change time.
fn identity(path: &Path) -> std::io::Result<(String, std::time::SystemTime)> {
    use std::os::unix::fs::MetadataExt;
    let m = fs::metadata(path)?;
    let ctime = u64::try_from(m.ctime()).unwrap_or(0);
    let changed = UNIX_EPOCH + std::time::Duration::from_secs(ctime);
    let text = format!(
        "{} {}.{:09} {}.{:09} {}",
        m.len(),
        m.mtime(),
        m.mtime_nsec(),
        m.ctime(),
        m.ctime_nsec(),
        m.ino()
    );
    Ok((text, changed))
}

/// The identity lines of the checksummed files and of the checksums, and
/// the latest change time among them.
fn identities(dir: &Path) -> Option<(String, std::time::SystemTime)> {
    let list = fs::read_to_string(dir.join(CHECKSUMS_FILE)).ok()?;
    let names = list
        .lines()
        .filter_map(|l| l.split_once("  ").map(|(_, name)| name))
        .chain([CHECKSUMS_FILE]);
    let mut text = String::new();
    let mut latest = UNIX_EPOCH;
    for name in names {
        if name.contains(['/', '\\']) {
            return None;
        }
        let (line, changed) = identity(&dir.join(name)).ok()?;
        text.push_str(&format!("{line}  {name}\n"));
        latest = latest.max(changed);
    }
    Some((text, latest))
}

/// Remembers that the checksums match the files as they are `now`. Best
/// effort: a dictionary in a read-only place is hashed at every start, and
/// one changed within [`RACY_WINDOW`] is hashed again at the next.
fn record_verified(dir: &Path, now: std::time::SystemTime) {
    let Some((text, latest)) = identities(dir) else {
        return;
    };
    if latest + RACY_WINDOW > now {
        return;
    }
    let _ = crate::files::replace(&dir.join(VERIFIED_FILE), text.as_bytes());
}

/// Whether no file changed since the checksums last matched.
fn unchanged_since_verified(dir: &Path) -> bool {
    let Ok(recorded) = fs::read_to_string(dir.join(VERIFIED_FILE)) else {
        return false;
    };
    identities(dir).is_some_and(|(now, _)| now == recorded)
}

/// Loads a built dictionary (memory-mapped).
pub fn load(dir: &Path) -> Result<Dictionary, DictionaryError> {
    lindera::dictionary::load_fs_dictionary_with_options(dir, true).map_err(|e| {
        DictionaryError::Load {
            path: dir.to_path_buf(),
            message: format!("{e:#}"),
        }
    })
}

/// Builds a lindera user dictionary from rows already validated by
/// [`crate::data`]: `surface,part_of_speech,reading`.
pub fn user_dictionary(rows: &[[String; 3]]) -> Result<Option<UserDictionary>, DictionaryError> {
    if rows.is_empty() {
        return Ok(None);
    }
    let mut csv = String::new();
    for row in rows {
        let quoted: Vec<String> = row
            .iter()
            .map(|f| format!("\"{}\"", f.replace('"', "\"\"")))
            .collect();
        csv.push_str(&quoted.join(","));
        csv.push('\n');
    }
    let builder = DictionaryBuilder::new(ipadic_metadata());
    builder
        .build_user_dict_from_reader(csv.as_bytes())
        .map(Some)
        .map_err(|e| DictionaryError::User {
            message: format!("{e:#}"),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_source_names_the_package_and_the_setting() {
        let err = source_fingerprint(Path::new("/nonexistent/ipadic")).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("apt-get install mecab-ipadic"), "{msg}");
        assert!(msg.contains("MADOGUCHI_IPADIC"), "{msg}");
    }

    #[test]
    fn a_file_written_since_its_checksums_matched_is_hashed_again() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("dict.words"), b"abc").unwrap();
        fs::write(dir.path().join("unk.bin"), b"xyz").unwrap();
        write_checksums(dir.path()).unwrap();
        assert!(!unchanged_since_verified(dir.path()), "never verified");
        let now = std::time::SystemTime::now();
        record_verified(dir.path(), now);
        assert!(
            !unchanged_since_verified(dir.path()),
            "files changed just now may change again unseen: not recorded"
        );
        record_verified(dir.path(), now + 2 * RACY_WINDOW);
        assert!(unchanged_since_verified(dir.path()));
        fs::write(dir.path().join("unk.bin"), b"xyzw").unwrap();
        assert!(!unchanged_since_verified(dir.path()));
        assert_eq!(damaged(dir.path()).as_deref(), Some("unk.bin"));
    }

    #[test]
    fn metadata_reads_euc_jp() {
        assert_eq!(ipadic_metadata().encoding, "EUC-JP");
    }
}
