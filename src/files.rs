//! Files written whole ([`replace`]): the bytes go to a file beside the
//! target, reach the disk, and are renamed over it, so a reader sees the old
//! file or the new one, never a part; a link at the target is replaced, not
//! followed; a failed write leaves the old file and no file aside. And a
//! file's content named by its hash ([`hash`]).

use std::io::Write;
use std::path::Path;

/// Replaces `path` with `bytes`.
pub fn replace(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut aside = tempfile::NamedTempFile::new_in(dir)?;
    aside.write_all(bytes)?;
    aside.as_file().sync_all()?;
    aside.persist(path).map(drop).map_err(|e| e.error)
}

/// Makes `dir` and its missing parents readable by their owner only (0700):
/// for directories that hold what users wrote. One that exists is left as
/// it is.
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

/// The blake3 hash of a file's content, in hex.
pub fn hash(path: &Path) -> std::io::Result<String> {
    let mut hasher = blake3::Hasher::new();
    hasher.update_reader(std::fs::File::open(path)?)?;
    Ok(hasher.finalize().to_hex().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_is_replaced_and_nothing_is_left_aside() {
        let dir = tempfile::tempdir().unwrap();
        let elsewhere = dir.path().join("elsewhere");
        let path = dir.path().join("file");
        std::os::unix::fs::symlink(&elsewhere, &path).unwrap();
        replace(&path, b"new").unwrap();
        assert!(path.symlink_metadata().unwrap().is_file());
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        assert!(!elsewhere.exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_failed_write_leaves_what_was_there_and_nothing_aside() {
        let dir = tempfile::tempdir().unwrap();
        // A directory that is not empty cannot be renamed over.
        let path = dir.path().join("taken");
        std::fs::create_dir(&path).unwrap();
        std::fs::write(path.join("inside"), b"old").unwrap();
        assert!(replace(&path, b"new").is_err());
        assert_eq!(std::fs::read(path.join("inside")).unwrap(), b"old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
