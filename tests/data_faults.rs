//! Faults in what madoguchi reads and writes, through the binary: a damaged
//! index (truncated, bit-flipped, half deleted, a bad `CURRENT`), a build
//! and lock left by a dead process, the index directory read-only, the disk
//! full, a rebuild killed at any moment, a data file that is not UTF-8 or is
//! huge. Each either recovers by rebuilding or fails with a clear message;
//! none serves a half-built index; none writes to `data/` (checked by hashing
//! it before and after, and by running on a read-only `data/`).
//!
//! A read-only directory and a full disk are real: the binary runs in a
//! private mount namespace (`unshare --map-root-user --mount`, no root needed
//! where user namespaces are allowed) with a read-only bind mount or a small
//! tmpfs; the mounts vanish with the process.

use testkit::{madoguchi, run};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const QUESTION: &str = "テレワークの機器を買うのに補助はありますか";

/// Asks the question as JSON; panics unless it is answered.
fn ask_answers(data: &Path, index: &Path) -> String {
    let (out, stdout, stderr) = run(madoguchi(data, index).args(["ask", "--json", QUESTION]));
    assert!(out.status.success(), "{stderr}");
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).expect("JSON");
    assert_eq!(v["answered"], true, "{stdout}");
    assert_eq!(v["measures"][0], "2.tokyo.b.3", "{stdout}");
    stderr
}

/// Every file under `dir` with its length, modification time and hash.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, (u64, std::time::SystemTime, String)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.is_dir() {
                stack.push(path);
            } else if meta.is_file() && meta.len() < 64 * 1024 * 1024 {
                let hash = blake3::hash(&std::fs::read(&path).unwrap())
                    .to_hex()
                    .to_string();
                out.insert(path, (meta.len(), meta.modified().unwrap(), hash));
            } else {
                out.insert(path, (meta.len(), meta.modified().unwrap(), String::new()));
            }
        }
    }
    out
}

/// Runs `script` with `sh` in a private mount namespace; `$1`… are `args`.
fn in_namespace(script: &str, args: &[&Path], envs: &[(&str, &Path)]) -> Output {
    testkit::engine();
    let mut cmd = Command::new("unshare");
    cmd.args(["--map-root-user", "--mount", "sh", "-c", script, "sh"])
        .args(args)
        .env("MADOGUCHI", env!("CARGO_BIN_EXE_madoguchi"))
        .env("MADOGUCHI_DICTIONARY", testkit::dictionary_dir())
        .env("MADOGUCHI_IPADIC", testkit::ipadic_source())
        .env_remove("RUST_LOG");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().expect(
        "unshare runs (util-linux; user namespaces must be allowed: sysctl kernel.unprivileged_userns_clone=1)",
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("unshare: "),
        "cannot make a private mount namespace here: {stderr}"
    );
    out
}

fn current(index: &Path) -> String {
    std::fs::read_to_string(index.join("CURRENT"))
        .unwrap()
        .trim()
        .to_string()
}

fn entries(index: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(index)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "ipadic")
        .collect();
    names.sort();
    names
}

#[test]
fn a_damaged_index_is_rebuilt_whatever_the_damage() {
    let tmp = tempfile::tempdir().unwrap();
    let data = testkit::repo().join("data");
    let before = snapshot(&data);
    let template = tmp.path().join("template");
    let (out, _, stderr) = run(madoguchi(&data, &template).arg("index"));
    assert!(out.status.success(), "{stderr}");
    let generation = current(&template);
    let files: Vec<PathBuf> = std::fs::read_dir(template.join(&generation))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let segment_files: Vec<&PathBuf> = files
        .iter()
        .filter(|p| {
            let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("");
            ["store", "term", "idx", "pos", "fast", "fieldnorm"].contains(&ext)
        })
        .collect();
    assert!(segment_files.len() >= 5, "{files:?}");

    type Damage = Box<dyn Fn(&Path)>;
    let mut damages: Vec<(String, Damage)> = Vec::new();
    for f in &segment_files {
        let name = f.file_name().unwrap().to_owned();
        let gen_name = generation.clone();
        let n = name.clone();
        damages.push((
            format!("{} truncated to half", name.to_string_lossy()),
            Box::new(move |index: &Path| {
                let p = index.join(&gen_name).join(&n);
                let len = std::fs::metadata(&p).unwrap().len();
                std::fs::OpenOptions::new()
                    .write(true)
                    .open(&p)
                    .unwrap()
                    .set_len(len / 2)
                    .unwrap();
            }),
        ));
        let gen_name = generation.clone();
        let n = name.clone();
        damages.push((
            format!("a byte of {} flipped", name.to_string_lossy()),
            Box::new(move |index: &Path| {
                let p = index.join(&gen_name).join(&n);
                let mut bytes = std::fs::read(&p).unwrap();
                let mid = bytes.len() / 2;
                bytes[mid] ^= 0x5a;
                std::fs::write(&p, bytes).unwrap();
            }),
        ));
        let gen_name = generation.clone();
        damages.push((
            format!("{} deleted", name.to_string_lossy()),
            Box::new(move |index: &Path| {
                std::fs::remove_file(index.join(&gen_name).join(&name)).unwrap();
            }),
        ));
    }
    let g = generation.clone();
    damages.push((
        "meta.json emptied".into(),
        Box::new(move |index: &Path| std::fs::write(index.join(&g).join("meta.json"), "").unwrap()),
    ));
    let g = generation.clone();
    damages.push((
        ".managed.json cut".into(),
        Box::new(move |index: &Path| {
            std::fs::write(index.join(&g).join(".managed.json"), "[\"x").unwrap()
        }),
    ));
    let g = generation.clone();
    damages.push((
        "every file of the generation emptied".into(),
        Box::new(move |index: &Path| {
            for e in std::fs::read_dir(index.join(&g)).unwrap() {
                std::fs::write(e.unwrap().path(), "").unwrap();
            }
        }),
    ));
    let g = generation.clone();
    damages.push((
        "the generation removed".into(),
        Box::new(move |index: &Path| std::fs::remove_dir_all(index.join(&g)).unwrap()),
    ));
    for (what, text) in [
        ("CURRENT naming a missing generation", "gen-0000-1"),
        ("CURRENT pointing outside", "../../etc"),
        ("CURRENT empty", ""),
        ("CURRENT binary", "\u{0}\u{ff}gen-"),
    ] {
        let text = text.to_string();
        damages.push((
            what.into(),
            Box::new(move |index: &Path| std::fs::write(index.join("CURRENT"), &text).unwrap()),
        ));
    }
    damages.push((
        "CURRENT deleted".into(),
        Box::new(|index: &Path| std::fs::remove_file(index.join("CURRENT")).unwrap()),
    ));

    for (i, (what, damage)) in damages.iter().enumerate() {
        let index = tmp.path().join(format!("index-{i}"));
        testkit::copy_dir(&template, &index);
        damage(&index);
        let stderr = ask_answers(&data, &index);
        assert!(
            stderr.contains("rebuilding") || stderr.contains("indexing"),
            "{what}: no rebuild? {stderr}"
        );
        // Whole now: the next run opens it as it is.
        let stderr = ask_answers(&data, &index);
        assert!(!stderr.contains("rebuilding"), "{what}: {stderr}");
        assert_ne!(current(&index), generation, "{what}: a new generation");
        std::fs::remove_dir_all(&index).unwrap();
    }
    assert_eq!(snapshot(&data), before, "data/ untouched");
}

#[test]
fn a_build_and_locks_left_by_a_dead_process_do_not_block_the_next() {
    let tmp = tempfile::tempdir().unwrap();
    let data = testkit::repo().join("data");
    let index = tmp.path().join("index");
    ask_answers(&data, &index);
    // What a build killed mid-way leaves: its staging directory with
    // tantivy's lock files, and a half-written CURRENT of its own.
    let dead = index.join(".building-4000000-1");
    std::fs::create_dir_all(&dead).unwrap();
    for f in [
        ".tantivy-writer.lock",
        ".tantivy-meta.lock",
        "meta.json",
        "junk.idx",
    ] {
        std::fs::write(dead.join(f), "x").unwrap();
    }
    let generation = current(&index);
    std::fs::write(index.join(generation).join(".tantivy-writer.lock"), "x").unwrap();
    let (out, _, stderr) = run(madoguchi(&data, &index).arg("index"));
    assert!(out.status.success(), "{stderr}");
    let names = entries(&index);
    assert!(
        !names.iter().any(|n| n.starts_with(".building-")),
        "{names:?}"
    );
    assert_eq!(
        names.iter().filter(|n| n.starts_with("gen-")).count(),
        1,
        "{names:?}"
    );
    // Four builds at once, three times: all finish, and what is current is
    // there and whole (no build removes another's current generation).
    let spawn = || {
        madoguchi(&data, &index)
            .arg("index")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    for round in 0..3 {
        let children: Vec<_> = (0..4).map(|_| spawn()).collect();
        for child in children {
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let stderr = ask_answers(&data, &index);
        assert!(!stderr.contains("rebuilding"), "round {round}: {stderr}");
    }
}

#[test]
fn a_read_only_index_directory_still_serves_and_a_needed_rebuild_fails_clearly() {
    let tmp = tempfile::tempdir().unwrap();
    let data = testkit::copy_data(tmp.path());
    let index = tmp.path().join("index");
    ask_answers(&data, &index);
    let before = snapshot(&data);
    let out_dir = tmp.path().join("out");
    std::fs::create_dir_all(&out_dir).unwrap();
    let script = r#"
        set -u
        mount --bind "$2" "$2" && mount -o remount,bind,ro "$2" || exit 90
        touch "$2/probe" 2>/dev/null && exit 91
        "$MADOGUCHI" ask --json "$4" >"$3/served.out" 2>"$3/served.err"; echo $? >"$3/served.code"
        printf '[[faq]]\nid = "ro-new"\nquestion = "新しい質問"\nanswer = "回答"\nmeasures = ["2.tokyo.b.3"]\n' >"$1/faq/zz-new.toml"
        "$MADOGUCHI" ask --json "$4" >"$3/stale.out" 2>"$3/stale.err"; echo $? >"$3/stale.code"
        rm "$1/faq/zz-new.toml"
    "#;
    let q = PathBuf::from(QUESTION);
    let out = in_namespace(
        script,
        &[&data, &index, &out_dir, &q],
        &[("MADOGUCHI_DATA", &data), ("MADOGUCHI_INDEX", &index)],
    );
    assert!(out.status.success(), "{out:?}");
    let read = |name: &str| std::fs::read_to_string(out_dir.join(name)).unwrap();
    assert_eq!(read("served.code").trim(), "0", "{}", read("served.err"));
    let v: serde_json::Value = serde_json::from_str(read("served.out").trim()).unwrap();
    assert_eq!(v["answered"], true);
    assert!(
        !read("served.err").contains("rebuilding"),
        "{}",
        read("served.err")
    );
    // Data changed and the directory is read-only: a clear failure.
    assert_eq!(read("stale.code").trim(), "1", "{}", read("stale.err"));
    let err = read("stale.err");
    assert!(err.contains("cannot build the index"), "{err}");
    assert!(err.contains("Read-only file system"), "{err}");
    assert!(err.contains("MADOGUCHI_INDEX"), "{err}");
    assert_eq!(snapshot(&data), before);
}

#[test]
fn a_full_disk_fails_the_build_clearly_and_keeps_the_previous_index() {
    let tmp = tempfile::tempdir().unwrap();
    let data = testkit::copy_data(tmp.path());
    let index = tmp.path().join("index");
    std::fs::create_dir_all(&index).unwrap();
    let out_dir = tmp.path().join("out");
    std::fs::create_dir_all(&out_dir).unwrap();
    // One generation fits in 512 KiB, two do not (an index is ~230 KiB; the
    // rebuild below adds ~800 FAQ entries, each asking in its own words).
    let script = r#"
        set -u
        mount -t tmpfs -o size=64k tmpfs "$2" || exit 90
        "$MADOGUCHI" index >/dev/null 2>"$3/tiny.err"; echo $? >"$3/tiny.code"
        ls -A "$2" >"$3/tiny.ls"
        umount "$2" && mount -t tmpfs -o size=512k tmpfs "$2" || exit 91
        "$MADOGUCHI" index >/dev/null 2>"$3/first.err"; echo $? >"$3/first.code"
        cat "$2/CURRENT" >"$3/first.current"
        for f in "$1"/faq/*.toml; do
          for n in 1 2 3 4 5 6 7 8 9 10 11 12; do
            sed -e "s/^id = \"\(.*\)\"/id = \"\1-copy$n\"/" \
              -e "s/^question = \"/question = \"copy$n: /" -e "s/^  \"/  \"copy$n: /" \
              "$f" >"${f%.toml}-copy$n.toml"
          done
        done
        "$MADOGUCHI" ask --json "$4" >/dev/null 2>"$3/full.err"; echo $? >"$3/full.code"
        cat "$2/CURRENT" >"$3/full.current"
        ls -A "$2" >"$3/full.ls"
        rm "$1"/faq/*-copy*.toml
        "$MADOGUCHI" ask --json "$4" >"$3/again.out" 2>"$3/again.err"; echo $? >"$3/again.code"
    "#;
    let q = PathBuf::from(QUESTION);
    let before = snapshot(&data);
    let out = in_namespace(
        script,
        &[&data, &index, &out_dir, &q],
        &[("MADOGUCHI_DATA", &data), ("MADOGUCHI_INDEX", &index)],
    );
    assert!(out.status.success(), "{out:?}");
    let read = |name: &str| std::fs::read_to_string(out_dir.join(name)).unwrap();
    // No room for even one index: a clear error, nothing left behind.
    assert_eq!(read("tiny.code").trim(), "1", "{}", read("tiny.err"));
    assert!(
        read("tiny.err").contains("cannot build the index"),
        "{}",
        read("tiny.err")
    );
    assert!(
        read("tiny.err").contains("No space left on device"),
        "{}",
        read("tiny.err")
    );
    assert_eq!(read("tiny.ls").trim(), "", "nothing left behind");
    // Room for one: built. A rebuild then fills the disk: clear error, the
    // previous generation stays current and whole, the partial one is gone.
    assert_eq!(read("first.code").trim(), "0", "{}", read("first.err"));
    assert_eq!(read("full.code").trim(), "1", "{}", read("full.err"));
    assert!(
        read("full.err").contains("No space left on device"),
        "{}",
        read("full.err")
    );
    assert_eq!(read("full.current"), read("first.current"));
    let full_ls = read("full.ls");
    let left: Vec<&str> = full_ls.lines().collect();
    assert!(
        !left
            .iter()
            .any(|n| n.starts_with(".building-") || n.starts_with("CURRENT.")),
        "{left:?}"
    );
    assert_eq!(
        left.iter().filter(|n| n.starts_with("gen-")).count(),
        1,
        "{left:?}"
    );
    // The data back as it was: served from the previous index, no rebuild.
    assert_eq!(read("again.code").trim(), "0", "{}", read("again.err"));
    assert!(
        !read("again.err").contains("rebuilding"),
        "{}",
        read("again.err")
    );
    let v: serde_json::Value = serde_json::from_str(read("again.out").trim()).unwrap();
    assert_eq!(v["answered"], true);
    assert_eq!(snapshot(&data), before);
}

#[test]
fn a_rebuild_killed_at_any_moment_leaves_a_whole_index() {
    let tmp = tempfile::tempdir().unwrap();
    let data = testkit::copy_data(tmp.path());
    // Forty copies of every FAQ entry (each asking in its own words, as
    // entries must): a build long enough to kill inside.
    for entry in std::fs::read_dir(data.join("faq")).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        for n in 0..40 {
            let copy = text
                .lines()
                .map(|l| match l.strip_prefix("id = \"") {
                    Some(rest) => format!("id = \"{}-copy{n}\"", rest.trim_end_matches('"')),
                    // The question and the alternates (one a line).
                    None => match l.strip_prefix("question = \"") {
                        Some(rest) => format!("question = \"copy{n}: {rest}"),
                        None => match l.strip_prefix("  \"") {
                            Some(rest) => format!("  \"copy{n}: {rest}"),
                            None => l.to_string(),
                        },
                    },
                })
                .collect::<Vec<_>>()
                .join("\n");
            let stem = path.file_stem().unwrap().to_string_lossy();
            std::fs::write(path.with_file_name(format!("{stem}-copy{n}.toml")), copy).unwrap();
        }
    }
    let index = tmp.path().join("index");
    let before = snapshot(&data);
    let started = Instant::now();
    let (out, _, stderr) = run(madoguchi(&data, &index).arg("index"));
    assert!(out.status.success(), "{stderr}");
    let build = started.elapsed();
    let first = current(&index);
    let mut killed_mid_build = 0;
    for step in 0..8u32 {
        let delay = build.mul_f64(f64::from(step) / 8.0 + 0.05);
        let mut child = madoguchi(&data, &index)
            .arg("index")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let finished = child.try_wait().unwrap().is_some();
        let _ = child.kill();
        let _ = child.wait();
        if !finished {
            killed_mid_build += 1;
        }
        // CURRENT names a whole generation of this data: served as it is.
        let generation = current(&index);
        assert!(index.join(&generation).join("meta.json").is_file());
        let stderr = ask_answers(&data, &index);
        assert!(
            !stderr.contains("could not be opened") && !stderr.contains("rebuilding"),
            "killed after {delay:?}: {stderr}"
        );
    }
    assert!(
        killed_mid_build >= 4,
        "only {killed_mid_build} kills landed inside a build of {build:?}"
    );
    // The next build clears what the killed ones left.
    let (out, _, stderr) = run(madoguchi(&data, &index).arg("index"));
    assert!(out.status.success(), "{stderr}");
    let names = entries(&index);
    assert!(
        !names.iter().any(|n| n.starts_with(".building-")),
        "{names:?}"
    );
    assert_eq!(
        names.iter().filter(|n| n.starts_with("gen-")).count(),
        1,
        "{names:?}"
    );
    assert_ne!(current(&index), first);
    assert_eq!(snapshot(&data), before, "data/ untouched");
}

#[test]
fn a_data_file_not_in_utf8_or_huge_is_reported_never_read_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let data = testkit::copy_data(tmp.path());
    let index = tmp.path().join("index");
    // Shift_JIS: 「テレワーク」 and an id line.
    let mut sjis = b"[[faq]]\nid = \"sjis\"\nquestion = \"".to_vec();
    sjis.extend([0x83, 0x65, 0x83, 0x8c, 0x83, 0x8f, 0x81, 0x5b, 0x83, 0x4e]);
    sjis.extend(b"\"\n");
    std::fs::write(data.join("faq/zz-sjis.toml"), &sjis).unwrap();
    // 4 GiB, sparse: reading it whole would take seconds and gigabytes.
    let huge = std::fs::File::create(data.join("faq/zz-huge.toml")).unwrap();
    huge.set_len(4 << 30).unwrap();
    drop(huge);
    #[cfg(unix)]
    std::os::unix::fs::symlink("/dev/zero", data.join("faq/zz-endless.toml")).unwrap();
    let before = snapshot(&data);

    let started = Instant::now();
    let (out, _, stderr) = run(madoguchi(&data, &index).arg("check"));
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let sjis = data.join("faq/zz-sjis.toml");
    assert!(
        stderr.contains(&format!(
            "{}:3: the file is not valid UTF-8",
            sjis.display()
        )),
        "{stderr}"
    );
    assert!(stderr.contains("save the file as UTF-8"), "{stderr}");
    let huge = data.join("faq/zz-huge.toml");
    assert!(
        stderr.contains(&format!(
            "{}: the file is larger than 16 MB",
            huge.display()
        )),
        "{stderr}"
    );
    // A device is not opened at all.
    let endless = data.join("faq/zz-endless.toml");
    assert!(
        stderr.contains(&format!(
            "{}: cannot read the file: it is not a regular file",
            endless.display()
        )),
        "{stderr}"
    );
    let (out, _, stderr) = run(madoguchi(&data, &index).args(["ask", QUESTION]));
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("madoguchi check"), "{stderr}");
    assert!(!index.join("CURRENT").exists(), "no index from broken data");
    assert_eq!(snapshot(&data), before, "data/ untouched");
}

#[test]
fn every_command_runs_on_a_read_only_data_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let data = testkit::copy_data(tmp.path());
    let index = tmp.path().join("index");
    let out_dir = tmp.path().join("out");
    std::fs::create_dir_all(&out_dir).unwrap();
    let questions = tmp.path().join("q.tsv");
    std::fs::write(
        &questions,
        format!("question\texpected\tgroup\n{QUESTION}\t2.tokyo.b.3\tcore\n"),
    )
    .unwrap();
    let before = snapshot(&data);
    let script = r#"
        set -u
        mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" || exit 90
        touch "$1/probe" 2>/dev/null && exit 91
        for cmd in "check" "index" "ask --json $4" "analyze $4" "eval $5"; do
          name=$(echo "$cmd" | cut -d' ' -f1)
          "$MADOGUCHI" $cmd >"$3/$name.out" 2>"$3/$name.err"; echo $? >"$3/$name.code"
        done
    "#;
    let q = PathBuf::from(QUESTION);
    let out = in_namespace(
        script,
        &[&data, &index, &out_dir, &q, &questions],
        &[("MADOGUCHI_DATA", &data), ("MADOGUCHI_INDEX", &index)],
    );
    assert!(out.status.success(), "{out:?}");
    for name in ["check", "index", "ask", "analyze", "eval"] {
        let code = std::fs::read_to_string(out_dir.join(format!("{name}.code"))).unwrap();
        let err = std::fs::read_to_string(out_dir.join(format!("{name}.err"))).unwrap();
        assert_eq!(code.trim(), "0", "{name}: {err}");
    }
    assert_eq!(snapshot(&data), before);
    // And on the repository's own data/, nothing changes either.
    let repo_data = testkit::repo().join("data");
    let before = snapshot(&repo_data);
    let index = tmp.path().join("index-repo");
    for args in [
        vec!["index"],
        vec!["ask", QUESTION],
        vec!["check"],
        vec!["analyze", QUESTION],
    ] {
        let (out, _, stderr) = run(madoguchi(&repo_data, &index).args(&args));
        assert!(out.status.success(), "{args:?}: {stderr}");
    }
    assert_eq!(
        snapshot(&repo_data),
        before,
        "the repository's data/ untouched"
    );
}
