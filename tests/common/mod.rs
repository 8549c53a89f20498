//! Shared test support: one engine over the real `data/`, a dictionary built
//! once per test run, and throw-away copies of `data/` for tests that edit.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use madoguchi::dictionary::DEFAULT_IPADIC_SOURCE;
use madoguchi::engine::{Engine, Paths, Rebuild};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The built dictionary, shared by every test (built once, then reused).
pub fn dictionary_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("ipadic")
}

pub fn ipadic_source() -> PathBuf {
    PathBuf::from(DEFAULT_IPADIC_SOURCE)
}

/// Paths for `data` with a fresh index directory under `index`.
pub fn paths(data: &Path, index: &Path) -> Paths {
    let mut p = Paths::new(data.to_path_buf(), index.to_path_buf(), ipadic_source());
    p.dictionary = dictionary_dir();
    p
}

/// One engine over the repository's `data/`, for the whole test binary.
pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let index = dir.keep().join("index");
        Engine::open(
            &paths(&repo().join("data"), &index),
            Rebuild::IfStale,
            &mut |_| {},
        )
        .unwrap_or_else(|e| panic!("engine over data/ failed to open: {e:#}"))
    })
}

/// A copy of the repository's `data/` in a temporary directory.
pub fn copy_data(to: &Path) -> PathBuf {
    let target = to.join("data");
    copy_dir(&repo().join("data"), &target);
    target
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let path = entry.path();
        if path.is_dir() {
            copy_dir(&path, &to.join(entry.file_name()));
        } else {
            std::fs::copy(&path, to.join(entry.file_name())).unwrap();
        }
    }
}

/// The public question set, beside the repository.
pub fn dev_questions() -> PathBuf {
    repo().join("../shared/plan/dev-questions.tsv")
}

/// The `madoguchi` binary on `data` and `index`, sharing the built dictionary.
pub fn madoguchi(data: &Path, index: &Path) -> Command {
    engine(); // the shared dictionary is built
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_madoguchi"));
    cmd.env("MADOGUCHI_DATA", data)
        .env("MADOGUCHI_INDEX", index)
        .env("MADOGUCHI_DICTIONARY", dictionary_dir())
        .env("MADOGUCHI_IPADIC", ipadic_source())
        .env_remove("RUST_LOG");
    cmd
}

/// Runs a command to the end: its output, stdout and stderr as text.
pub fn run(cmd: &mut Command) -> (Output, String, String) {
    let out = cmd.output().expect("binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out, stdout, stderr)
}
