//! The records against both databases: every test runs on a fresh SQLite
//! file and, when `MADOGUCHI_TEST_POSTGRES` names a PostgreSQL server (an
//! account that may create databases), on a fresh database there. `.ci/run`
//! starts a throw-away cluster and sets it; under CI (`CI=true`) a missing
//! server fails the tests instead of skipping PostgreSQL. The databases are
//! named `madoguchi_test_*` and left on the server.

use std::path::Path;
use std::time::Duration;

use madoguchi::records::{
    BatchKey, Entry, Location, Options, QUESTIONS_FILE, QuestionRecord, Records, RecordsError,
    Scope, Store, Summary, UNANSWERED_FILE, VOTES_FILE, Vote,
};
use madoguchi::search::Decision;

const HOME: Scope = Scope { home: 10 };
const DAY: u64 = 86_400;

use madoguchi::clock::now_secs as now;

/// A question of a minute ago in the home server, as the kit's records have
/// it with a confidence of 0.8.
fn q(answer: u64, query: &str, shown: &[&str]) -> QuestionRecord {
    QuestionRecord {
        confidence: 0.8,
        guild: Some(HOME.home),
        ..testkit::question_record(answer, now() - 60, query, shown)
    }
}

/// A database to test on, and the state directory that goes with it.
struct Backend {
    name: &'static str,
    location: Location,
    state: tempfile::TempDir,
}

/// A fresh SQLite file, and a fresh PostgreSQL database when a server is
/// given.
async fn backends() -> Vec<Backend> {
    let sqlite = tempfile::tempdir().unwrap();
    let mut all = vec![Backend {
        name: "sqlite",
        location: Location::in_state(sqlite.path()),
        state: sqlite,
    }];
    match std::env::var("MADOGUCHI_TEST_POSTGRES") {
        Ok(url) => all.push(Backend {
            name: "postgres",
            location: fresh_database(&url).await,
            state: tempfile::tempdir().unwrap(),
        }),
        Err(_) if std::env::var("CI").is_ok_and(|v| v == "true") => panic!(
            "MADOGUCHI_TEST_POSTGRES is not set: under CI the records are tested on PostgreSQL too (.ci/run starts a cluster and sets it)"
        ),
        Err(_) => eprintln!("MADOGUCHI_TEST_POSTGRES is not set: testing on SQLite only"),
    }
    all
}

/// Creates a database with a fresh name on the server of `url`; returns its
/// URL.
async fn fresh_database(url: &str) -> Location {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("MADOGUCHI_TEST_POSTGRES={url}: {e}"));
    tokio::spawn(conn);
    let mut name = [0u8; 6];
    getrandom::fill(&mut name).unwrap();
    let name: String = format!(
        "madoguchi_test_{}",
        name.iter().map(|b| format!("{b:02x}")).collect::<String>()
    );
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    // The same server and options, the new database.
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let host = base.find("://").expect("a postgres:// URL") + 3;
    let server = base[host..].find('/').map_or(base, |i| &base[..host + i]);
    let url = match query {
        Some(q) => format!("{server}/{name}?{q}"),
        None => format!("{server}/{name}"),
    };
    Location::parse(&url).unwrap()
}

/// Runs one statement on the database behind the bot's back.
async fn behind_the_back(location: &Location, sql: &str) {
    match location {
        Location::Sqlite(path) => {
            let db = rusqlite::Connection::open(path).unwrap();
            db.busy_timeout(Duration::from_secs(5)).unwrap();
            db.execute_batch(sql).unwrap();
        }
        Location::Postgres(url) => {
            let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
                .await
                .unwrap();
            tokio::spawn(conn);
            client.batch_execute(sql).await.unwrap();
        }
    }
}

async fn open(b: &Backend, options: &Options) -> Records {
    Records::open(b.state.path(), &b.location, options)
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", b.name))
}

/// What the database of `b` holds, read as `report` reads it.
async fn summary(b: &Backend) -> Summary {
    Store::open(&b.location, false)
        .await
        .unwrap()
        .summary()
        .await
        .unwrap()
}

/// Two processes' records on the database of `b`, each with its own state
/// directory (the second's is returned to be kept while they run).
async fn open_two(b: &Backend) -> (Records, Records, tempfile::TempDir) {
    let other_state = tempfile::tempdir().unwrap();
    let one = open(b, &Options::default()).await;
    let two = Records::open(other_state.path(), &b.location, &Options::default())
        .await
        .unwrap();
    (one, two, other_state)
}

async fn close(r: Records) {
    assert_eq!(r.close(Duration::from_secs(10)).await, 0, "all written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn questions_votes_and_counts_survive_a_restart() {
    for b in backends().await {
        let r = open(&b, &Options::default()).await;
        r.question(&q(1, "テレワーク", &["2.tokyo.b.3"]));
        r.question(&q(2, "明日の天気", &[]));
        r.question(&q(3, "テレワーク補助", &["2.tokyo.b.3", "2.tokyo.a"]));
        let v = r.vote(3, Vote::Up, Some(10), 1);
        assert_eq!(v.query.as_deref(), Some("テレワーク補助"));
        assert_eq!(v.shown, ["2.tokyo.b.3", "2.tokyo.a"]);
        r.vote(1, Vote::Down, Some(10), 1);
        close(r).await;

        let r = open(&b, &Options::default()).await;
        let s = r.stats(5, HOME).await.unwrap();
        assert_eq!(
            (s.questions, s.unanswered, s.up, s.down),
            (3, 1, 1, 1),
            "{}",
            b.name
        );
        assert_eq!(s.top, vec![("2.tokyo.b.3".to_string(), 2)], "{}", b.name);
        let un = r.unanswered(10, HOME).await.unwrap();
        assert_eq!(un.len(), 1, "{}", b.name);
        assert_eq!(un[0].query, "明日の天気");
        // What answer 3 showed is known after the restart: the database
        // fills the vote in from the question.
        r.vote(3, Vote::Down, Some(10), 2);
        close(r).await;
        let summary = summary(&b).await;
        let late = summary
            .votes
            .iter()
            .find(|v| v.vote == Vote::Down && v.answer == 3);
        let late = late.unwrap_or_else(|| panic!("{}: {:?}", b.name, summary.votes));
        assert_eq!(late.query.as_deref(), Some("テレワーク補助"), "{}", b.name);
        assert_eq!(late.shown.len(), 2, "{}", b.name);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_see_their_server_and_direct_messages_only() {
    for b in backends().await {
        let r = open(&b, &Options::default()).await;
        let in_guild = |answer, query: &str, guild| QuestionRecord {
            guild,
            ..q(answer, query, &[])
        };
        r.question(&in_guild(1, "ここの質問", Some(10)));
        r.question(&in_guild(2, "よその質問 090-1234-5678", Some(20)));
        r.question(&in_guild(3, "DMの質問", None));
        r.vote(1, Vote::Up, Some(20), 1);
        let home: Vec<String> = r
            .unanswered(10, HOME)
            .await
            .unwrap()
            .into_iter()
            .map(|q| q.query)
            .collect();
        assert_eq!(home, ["DMの質問", "ここの質問"], "{}: newest first", b.name);
        let s = r.stats(5, HOME).await.unwrap();
        assert_eq!((s.questions, s.unanswered, s.up), (2, 2, 0), "{}", b.name);
        let other = Scope { home: 20 };
        let there: Vec<String> = r
            .unanswered(10, other)
            .await
            .unwrap()
            .into_iter()
            .map(|q| q.query)
            .collect();
        assert!(!there.iter().any(|q| q == "ここの質問"), "{there:?}");
        assert_eq!(r.stats(5, other).await.unwrap().up, 1);
        close(r).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn did_you_mean_and_out_of_scope_are_counted_apart() {
    for b in backends().await {
        let r = open(&b, &Options::default()).await;
        r.question(&q(1, "テレワーク", &["2.tokyo.b.3"]));
        r.question(&QuestionRecord {
            sure: false,
            decision: Some(Decision::DidYouMean),
            ..q(2, "テレワ的な何か", &["2.tokyo.b.3"])
        });
        r.question(&QuestionRecord {
            decision: Some(Decision::OutOfScope),
            ..q(3, "神奈川県のテレワーク補助金", &[])
        });
        let s = r.stats(5, HOME).await.unwrap();
        assert_eq!(
            (s.questions, s.unanswered, s.did_you_mean),
            (3, 1, 1),
            "{}",
            b.name
        );
        close(r).await;
        let t = summary(&b).await.totals();
        assert_eq!(
            (t.answered, t.did_you_mean, t.unanswered, t.out_of_scope),
            (1, 1, 1, 1),
            "{}",
            b.name
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_vote_per_user_and_answer_the_latest_counts() {
    for b in backends().await {
        let r = open(&b, &Options::default()).await;
        r.question(&q(1, "テレワーク", &["2.tokyo.b.3"]));
        for _ in 0..50 {
            r.vote(1, Vote::Down, Some(10), 5001);
        }
        let s = r.stats(5, HOME).await.unwrap();
        assert_eq!(
            (s.up, s.down),
            (0, 1),
            "{}: fifty presses, one vote",
            b.name
        );
        r.vote(1, Vote::Up, Some(10), 5001);
        r.vote(1, Vote::Up, Some(10), 5002);
        let s = r.stats(5, HOME).await.unwrap();
        assert_eq!((s.up, s.down), (2, 0), "{}: the latest vote counts", b.name);
        close(r).await;
        let votes = summary(&b).await.votes;
        assert_eq!(votes.len(), 2, "{}", b.name);
        for v in &votes {
            let text = format!("{v:?}");
            assert!(!text.contains("5001") && !text.contains("5002"), "{text}");
        }
    }
}

/// Old JSON-lines records: two questions, a garbage line, a torn record, a
/// vote.
fn old_files(state: &Path) {
    let ts = now() - 3 * DAY;
    let mut lines = String::new();
    for (answer, query, shown) in [
        (1, "カピバラの補助", "[]"),
        (2, "テレワーク", "[\"2.tokyo.b.3\"]"),
    ] {
        lines.push_str(&format!(
            "{{\"ts\":{ts},\"answer\":{answer},\"source\":\"dm\",\"query\":\"{query}\",\"answered\":{},\"sure\":{},\"confidence\":0.5,\"shown\":{shown},\"faq\":null}}\n",
            shown != "[]",
            shown != "[]"
        ));
    }
    let mut bytes = lines.into_bytes();
    bytes.extend_from_slice(b"\xff\xfe\x00garbage\n{\"ts\": 4, \"answ");
    std::fs::write(state.join(QUESTIONS_FILE), bytes).unwrap();
    std::fs::write(state.join(UNANSWERED_FILE), "{\"ts\":1,\"answer\":1}\n").unwrap();
    std::fs::write(
        state.join(VOTES_FILE),
        format!("{{\"ts\":{ts},\"answer\":2,\"vote\":\"down\",\"query\":null,\"shown\":[],\"faq\":null}}\n"),
    )
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn old_files_are_imported_once_and_set_aside() {
    for b in backends().await {
        let state = b.state.path();
        old_files(state);
        let original = std::fs::read(state.join(QUESTIONS_FILE)).unwrap();
        let r = open(&b, &Options::default()).await;
        for name in [QUESTIONS_FILE, VOTES_FILE, UNANSWERED_FILE] {
            assert!(!state.join(name).exists(), "{}: {name} set aside", b.name);
            assert!(state.join(format!("{name}.imported")).exists(), "{name}");
        }
        let s = r.stats(5, HOME).await.unwrap();
        assert_eq!((s.questions, s.unanswered, s.down), (2, 1, 1), "{}", b.name);
        close(r).await;
        // As if the process had died after the import and before the
        // rename: the same file again is not imported twice.
        std::fs::write(state.join(QUESTIONS_FILE), &original).unwrap();
        let r = open(&b, &Options::default()).await;
        assert_eq!(r.stats(5, HOME).await.unwrap().questions, 2, "{}", b.name);
        assert!(state.join(format!("{QUESTIONS_FILE}.imported.2")).exists());
        close(r).await;
        let summary = summary(&b).await;
        assert_eq!(summary.skipped, 2, "{}: garbage and torn lines", b.name);
        let vote = &summary.votes[0];
        assert_eq!(vote.query.as_deref(), Some("テレワーク"), "{}", b.name);
        assert_eq!(vote.shown, ["2.tokyo.b.3"]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_write_waits_in_the_queue_and_is_written_when_the_database_is_back() {
    for b in backends().await {
        let r = open(&b, &Options::default()).await;
        r.question(&q(1, "最初の質問", &[]));
        assert!(r.queue().flush(Duration::from_secs(5)).await);
        behind_the_back(
            &b.location,
            "ALTER TABLE questions RENAME TO questions_away",
        )
        .await;
        let started = std::time::Instant::now();
        for i in 2..=4 {
            r.question(&q(i, &format!("質問{i}"), &[]));
        }
        assert!(
            started.elapsed() < Duration::from_millis(50),
            "{}: queuing does not wait for the database",
            b.name
        );
        assert!(!r.queue().flush(Duration::from_millis(300)).await);
        assert_eq!(r.waiting(), 3, "{}", b.name);
        behind_the_back(
            &b.location,
            "ALTER TABLE questions_away RENAME TO questions",
        )
        .await;
        assert!(
            r.queue().flush(Duration::from_secs(10)).await,
            "{}: written once the database is back",
            b.name
        );
        assert_eq!(r.waiting(), 0);
        let s = r.stats(5, HOME).await.unwrap();
        assert_eq!(s.questions, 4, "{}: nothing lost, nothing doubled", b.name);
        assert_eq!(r.unanswered(10, HOME).await.unwrap().len(), 4);
        close(r).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_bound_the_oldest_waiting_records_are_dropped_and_counted() {
    for b in backends().await {
        let options = Options {
            queue_bound: 5,
            ..Options::default()
        };
        let r = open(&b, &options).await;
        behind_the_back(
            &b.location,
            "ALTER TABLE questions RENAME TO questions_away",
        )
        .await;
        for i in 1..=8 {
            r.question(&q(i, &format!("質問{i}"), &[]));
        }
        assert_eq!(r.waiting(), 5, "{}", b.name);
        assert_eq!(r.queue().dropped(), 3, "{}", b.name);
        behind_the_back(
            &b.location,
            "ALTER TABLE questions_away RENAME TO questions",
        )
        .await;
        assert!(r.queue().flush(Duration::from_secs(10)).await);
        let kept: Vec<u64> = r
            .unanswered(10, HOME)
            .await
            .unwrap()
            .iter()
            .map(|q| q.answer)
            .collect();
        let mut kept = kept;
        kept.sort_unstable();
        // The oldest may have been on its way to the database when it was
        // dropped from the queue (the writer retries what it took).
        kept.retain(|&a| a != 1);
        assert_eq!(kept, [4, 5, 6, 7, 8], "{}: the newest are kept", b.name);
        close(r).await;
    }
}

/// The SQLite file deleted or moved while serving: later records go to a
/// new database at the path (not into the moved file, unseen).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_after_the_database_file_is_moved_go_to_a_new_one_at_its_path() {
    let state = tempfile::tempdir().unwrap();
    let location = Location::in_state(state.path());
    let Location::Sqlite(path) = &location else {
        unreachable!()
    };
    let r = Records::open(state.path(), &location, &Options::default())
        .await
        .unwrap();
    r.question(&q(1, "テレワーク", &[]));
    assert!(r.queue().flush(Duration::from_secs(10)).await);
    for suffix in ["", "-wal", "-shm"] {
        let from = format!("{}{suffix}", path.display());
        let _ = std::fs::rename(&from, format!("{from}.moved"));
    }
    r.question(&q(2, "人手が足りない", &[]));
    close(r).await;
    let kept = Store::open(&location, false)
        .await
        .unwrap()
        .summary()
        .await
        .unwrap();
    let queries: Vec<&str> = kept.unanswered.iter().map(|a| a.query.as_str()).collect();
    assert_eq!(queries, ["人手が足りない"]);
}

/// Every question's text is in the records: the file is the bot's alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sqlite_records_are_readable_by_their_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let state = tempfile::tempdir().unwrap();
    let dir = state.path().join("state");
    let location = Location::in_state(&dir);
    let r = Records::open(&dir, &location, &Options::default())
        .await
        .unwrap();
    r.question(&q(1, "テレワーク", &[]));
    close(r).await;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    let Location::Sqlite(path) = &location else {
        unreachable!()
    };
    assert_eq!(mode(path), 0o600);
}

/// Two processes opening one new SQLite file at once both start (the
/// migration is done once, under a lock).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_opening_one_new_sqlite_file_both_start() {
    for _ in 0..5 {
        let state = tempfile::tempdir().unwrap();
        let location = Location::in_state(state.path());
        let (a, b) = tokio::join!(Store::open(&location, true), Store::open(&location, true));
        a.unwrap();
        b.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schema_newer_than_this_binary_is_refused_at_start() {
    for b in backends().await {
        close(open(&b, &Options::default()).await).await;
        let newer = match b.location {
            Location::Sqlite(_) => "PRAGMA user_version = 99",
            Location::Postgres(_) => "UPDATE madoguchi_schema SET version = 99",
        };
        behind_the_back(&b.location, newer).await;
        let e = Records::open(b.state.path(), &b.location, &Options::default())
            .await
            .err()
            .unwrap_or_else(|| panic!("{}: opened a newer schema", b.name));
        assert!(
            matches!(e, RecordsError::SchemaTooNew { found: 99, .. }),
            "{e}"
        );
        let text = e.to_string();
        assert!(
            text.contains("newer") && text.contains("--records"),
            "{text}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_days_deletes_old_question_text_and_keeps_the_daily_counts() {
    for b in backends().await {
        let r = open(&b, &Options::default()).await;
        r.question(&QuestionRecord {
            ts: now() - 40 * DAY,
            ..q(1, "昔の質問 090-1234-5678", &[])
        });
        r.question(&q(2, "今の質問", &[]));
        let v = r.vote(1, Vote::Down, Some(10), 7);
        assert_eq!(v.query.as_deref(), None, "unanswered: nothing shown");
        close(r).await;
        behind_the_back(
            &b.location,
            &format!("UPDATE votes SET ts = {}", now() - 40 * DAY),
        )
        .await;
        let keep = Options {
            keep_days: Some(30),
            ..Options::default()
        };
        let r = open(&b, &keep).await;
        let un: Vec<String> = r
            .unanswered(10, HOME)
            .await
            .unwrap()
            .into_iter()
            .map(|q| q.query)
            .collect();
        assert_eq!(un, ["今の質問"], "{}", b.name);
        let s = r.stats(5, HOME).await.unwrap();
        assert_eq!((s.questions, s.unanswered, s.down), (2, 2, 1), "{}", b.name);
        close(r).await;
        let summary = summary(&b).await;
        assert_eq!(summary.totals().questions, 2, "{}: the counts stay", b.name);
        assert!(
            !format!("{summary:?}").contains("昔の質問"),
            "{}: the old text is gone",
            b.name
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_one_database_are_counted_exactly() {
    for b in backends().await {
        let (one, two, _other_state) = open_two(&b).await;
        for i in 0..500u64 {
            one.question(&q(i, &format!("一の質問{}", i % 7), &["2.tokyo.a"]));
            two.question(&q(10_000 + i, &format!("二の質問{}", i % 5), &[]));
        }
        close(one).await;
        close(two).await;
        let summary = summary(&b).await;
        let t = summary.totals();
        assert_eq!((t.questions, t.unanswered), (1000, 500), "{}", b.name);
        let asked: u64 = summary.unanswered.iter().map(|a| a.count).sum();
        assert_eq!(asked, 500, "{}", b.name);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_tried_again_after_its_commit_went_through_is_written_once() {
    for b in backends().await {
        let store = Store::open(&b.location, true).await.unwrap();
        let entries = [
            Entry::Question(q(1, "テレワークの助成金", &["2.tokyo.a"])),
            // NUL, which PostgreSQL refuses in text, is not stored.
            Entry::Question(q(2, "宇宙\0旅行", &[])),
        ];
        let key = BatchKey::fresh();
        store.write_once(&key, &entries).await.unwrap();
        // The commit went through, its answer was lost: the writer tries
        // the same batch again under its key.
        store.write_once(&key, &entries).await.unwrap();
        // Another batch with the same records is other questions.
        store
            .write_once(&BatchKey::fresh(), &entries[..1])
            .await
            .unwrap();
        let summary = store.summary().await.unwrap();
        let t = summary.totals();
        assert_eq!((t.questions, t.unanswered), (3, 1), "{}", b.name);
        let shown: u64 = summary.programmes.iter().map(|s| s.first).sum();
        assert_eq!(shown, 2, "{}", b.name);
        let asked: Vec<&str> = summary
            .unanswered
            .iter()
            .map(|a| a.query.as_str())
            .collect();
        assert_eq!(asked, ["宇宙旅行"], "{}", b.name);
        // A key is kept a day: once older, it is forgotten.
        behind_the_back(
            &b.location,
            "UPDATE written_batches SET written = written - 2 * 86400",
        )
        .await;
        store.forget(None).await.unwrap();
        store.write_once(&key, &entries).await.unwrap();
        let t = store.summary().await.unwrap().totals();
        assert_eq!(t.questions, 5, "{}", b.name);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_process_of_those_sharing_the_records_claims_the_weekly_post() {
    for b in backends().await {
        let (one, two, _other_state) = open_two(&b).await;
        let (a, c) = tokio::join!(one.claim_week("2026-W49"), two.claim_week("2026-W49"));
        let (a, c) = (a.unwrap(), c.unwrap());
        assert!(a ^ c, "{}: exactly one claims the week ({a}, {c})", b.name);
        assert!(!one.claim_week("2026-W49").await.unwrap(), "{}", b.name);
        // A claim given back (the post failed) can be taken again.
        one.release_week("2026-W49").await.unwrap();
        assert!(two.claim_week("2026-W49").await.unwrap(), "{}", b.name);
        assert!(one.claim_week("2026-W50").await.unwrap(), "{}", b.name);
        close(one).await;
        close(two).await;
    }
}

#[tokio::test]
async fn an_unreachable_database_is_named_with_how_to_fix_it() {
    let at = Location::parse("postgres://staff:secret@127.0.0.1:1/records").unwrap();
    let e = Store::open(&at, false).await.err().unwrap().to_string();
    assert!(
        e.contains("cannot reach the records database postgres://staff:***@127.0.0.1:1/records"),
        "{e}"
    );
    assert!(e.contains("--records") && !e.contains("secret"), "{e}");

    let tmp = tempfile::tempdir().unwrap();
    let data = testkit::repo().join("data");
    let (out, _, stderr) =
        testkit::run(testkit::madoguchi(&data, &tmp.path().join("index")).args([
            "report",
            "--records",
            "postgres://staff:secret@127.0.0.1:1/records",
        ]));
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("cannot reach the records database"),
        "{stderr}"
    );
    assert!(
        stderr.contains("MADOGUCHI_RECORDS") && !stderr.contains("secret"),
        "{stderr}"
    );
    let (out, _, stderr) =
        testkit::run(testkit::madoguchi(&data, &tmp.path().join("index")).args([
            "report",
            "--records",
            "mysql://x",
        ]));
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("sqlite://PATH"), "{stderr}");
}
