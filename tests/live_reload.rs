//! Live reload end to end: the real bot (`discord::run_live`) against the
//! fake Discord, with the real watcher of `data/` (`madoguchi::watch`) on a
//! copy of the data. A valid edit is answered from without a restart; an
//! invalid edit changes nothing and its problems reach the staff channel; a
//! file deleted and restored; a burst of saves is one reload of the last
//! content. Every wait is bounded.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use madoguchi::engine::{Engine, Paths, Rebuild};
use testkit::bot::{Bot, QUIET, assert_no_mentions, embed_text, messages, posts, within_limit};
use testkit::fake_discord::{BOT_ID, CHANNEL_ID, FakeDiscord, GUILD_ID, Recorded};

const TOKEN: &str = "test-token.abc.def";
const STAFF_CHANNEL: u64 = 4000;

const TELEWORK_Q: &str = "テレワークの機器を買うのに補助はありますか";
const TELEWORK_TEXT: &str = "テレワークの機器導入経費補助";
/// Only in the FAQ answer of `telework-equipment-subsidy` (faq/02).
const TELEWORK_FAQ_TEXT: &str = "補助額・対象機器・申請方法などは実施計画に記載がない";
const NEW_Q: &str = "カピバラの飼育に補助はありますか";

/// A bot over a fresh copy of `data/`, watching it, posting to the staff
/// channel.
async fn start() -> Bot {
    start_with(testkit::copy_data, |paths| {
        Engine::open(paths, Rebuild::IfStale, &mut |_| {}).unwrap()
    })
    .await
}

/// A bot over the data directory `setup` makes in a temporary directory,
/// on the engine `open` opens.
async fn start_with(
    setup: impl FnOnce(&Path) -> PathBuf,
    open: impl FnOnce(&Paths) -> Engine + Send + 'static,
) -> Bot {
    Bot::start_live(FakeDiscord::start(TOKEN).await, setup, open, |c| {
        c.staff_role = None;
        c.staff_channel = Some(STAFF_CHANNEL);
        // The staff posts counted here are the reloads' (on a Monday morning
        // the weekly picture would join them).
        c.weekly_post = false;
    })
    .await
}

/// What the live-reload tests do with a bot: ask it, read the staff channel.
trait Live {
    async fn ask(&self, text: &str) -> String;
    fn staff_posts(&self) -> Vec<Recorded>;
    async fn staff_post(&self, n: usize) -> Recorded;
    fn file(&self, name: &str) -> PathBuf;
    async fn staff_post_where(&self, what: &str, wanted: impl Fn(&str) -> bool) -> String;
    async fn until_answer_has(&self, question: &str, text: &str);
}

impl Live for Bot {
    /// Asks in a guild channel by mentioning the bot; the reply's text.
    async fn ask(&self, text: &str) -> String {
        let id = self.fake.id();
        let author = FakeDiscord::user(5001, "owner", false);
        let msg = FakeDiscord::message(
            id,
            CHANNEL_ID,
            Some(GUILD_ID),
            &author,
            &format!("<@{BOT_ID}> {text}"),
            &[FakeDiscord::bot_user()],
        );
        self.fake.dispatch("MESSAGE_CREATE", msg).await;
        embed_text(&self.fake.reply_to(CHANNEL_ID, id).await.body)
    }

    fn staff_posts(&self) -> Vec<Recorded> {
        posts(&self.fake, &format!("/channels/{STAFF_CHANNEL}/messages"))
    }

    /// Waits for the `n`th post (1-based) to the staff channel.
    async fn staff_post(&self, n: usize) -> Recorded {
        self.fake
            .wait_until(&format!("staff post {n}"), |_| {
                self.staff_posts().into_iter().nth(n - 1)
            })
            .await
    }

    fn file(&self, name: &str) -> PathBuf {
        self.data.join(name)
    }

    /// Waits for a staff post whose text satisfies `wanted`; its text.
    async fn staff_post_where(&self, what: &str, wanted: impl Fn(&str) -> bool) -> String {
        self.fake
            .wait_until(what, |_| {
                self.staff_posts()
                    .iter()
                    .map(|p| embed_text(&p.body))
                    .find(|t| wanted(t))
            })
            .await
    }

    /// Waits until the answer to `question` contains `text`.
    async fn until_answer_has(&self, question: &str, text: &str) {
        let start = Instant::now();
        loop {
            if self.ask(question).await.contains(text) {
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "no answer with {text}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// The part of the note on a replaced data/ before the directory.
fn reattached_note() -> String {
    let m = messages().data_reattached;
    m.split("{dir}").next().unwrap().to_string()
}

/// A copy of `data/` at `to` with the capybara FAQ answering `answer`.
fn release(to: &Path, answer: &str) -> PathBuf {
    let tmp = to.with_extension("making");
    let data = testkit::copy_data(&tmp);
    std::fs::write(data.join("faq/09-live.toml"), capybara_faq(answer)).unwrap();
    std::fs::rename(&data, to).unwrap();
    std::fs::remove_dir_all(&tmp).unwrap();
    to.to_path_buf()
}

/// An FAQ entry about capybaras with `answer`.
fn capybara_faq(answer: &str) -> String {
    format!(
        "[[faq]]\nid = \"capybara\"\nquestion = \"{NEW_Q}\"\nanswer = \"{answer}\"\nmeasures = [\"4.tokyo.b\"]\n"
    )
}

fn append(path: &Path, text: &str) {
    let mut s = std::fs::read_to_string(path).unwrap();
    s.push('\n');
    s.push_str(text);
    std::fs::write(path, s).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_valid_edit_is_answered_from_without_a_restart() {
    within_limit(async {
        let bot = start().await;
        assert!(!bot.ask(NEW_Q).await.contains("カピバラ係"));
        let saved = Instant::now();
        append(
            &bot.file("faq/04-life-work-balance.toml"),
            &capybara_faq("カピバラ係にご相談ください。"),
        );
        let post = bot.staff_post(1).await;
        let latency = saved.elapsed();
        eprintln!("edit saved → new knowledge live and reported: {latency:?}");
        assert!(
            latency < Duration::from_secs(3),
            "live reload took {latency:?}"
        );
        let text = embed_text(&post.body);
        assert!(text.contains(&messages().reload_ok), "{text}");
        assert!(text.contains("faq/04-life-work-balance.toml"), "{text}");
        assert!(text.contains("令和5年度"), "the plan is named: {text}");
        assert_no_mentions(&post.body);
        let answer = bot.ask(NEW_Q).await;
        assert!(answer.contains("カピバラ係にご相談ください。"), "{answer}");
        bot.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_edit_keeps_the_old_knowledge_and_reports_every_problem() {
    within_limit(async {
        let bot = start().await;
        let plan = bot.file("plan.toml");
        let good = std::fs::read_to_string(&plan).unwrap();
        let faq = bot.file("faq/02-telework.toml");
        let good_faq = std::fs::read_to_string(&faq).unwrap();
        // Two problems in two files, saved together.
        std::fs::write(
            &plan,
            good.replacen("[[measure]]", "[[measure]]\nbroken = ", 1),
        )
        .unwrap();
        std::fs::write(
            &faq,
            good_faq.replacen("\"2.tokyo.b.3\"", "\"2.tokyo.b.99\"", 1),
        )
        .unwrap();
        let post = bot.staff_post(1).await;
        let text = embed_text(&post.body);
        assert!(text.contains(&messages().reload_failed), "{text}");
        assert!(text.contains("plan.toml:"), "file and line: {text}");
        assert!(text.contains("invalid TOML"), "{text}");
        assert!(text.contains("how to fix"), "{text}");
        assert_no_mentions(&post.body);
        // The last good knowledge still answers, FAQ included.
        let answer = bot.ask(TELEWORK_Q).await;
        assert!(answer.contains(TELEWORK_TEXT), "{answer}");
        assert!(answer.contains(TELEWORK_FAQ_TEXT), "{answer}");
        // The plan fixed: the FAQ's problem is still there, and reported.
        std::fs::write(&plan, &good).unwrap();
        let post = bot.staff_post(2).await;
        let text = embed_text(&post.body);
        assert!(text.contains("faq/02-telework.toml:"), "{text}");
        assert!(
            text.contains("[telework-equipment-subsidy]"),
            "entry: {text}"
        );
        assert!(text.contains("2.tokyo.b.99"), "{text}");
        assert!(text.contains("did you mean"), "fix: {text}");
        assert!(!text.contains("plan.toml:"), "{text}");
        // Both fixed: live again, and staff are told.
        std::fs::write(&faq, &good_faq).unwrap();
        let post = bot.staff_post(3).await;
        assert!(embed_text(&post.body).contains(&messages().reload_ok));
        assert!(bot.ask(TELEWORK_Q).await.contains(TELEWORK_FAQ_TEXT));
        bot.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_deleted_and_restored() {
    within_limit(async {
        let bot = start().await;
        assert!(bot.ask(TELEWORK_Q).await.contains(TELEWORK_FAQ_TEXT));

        // An FAQ file deleted: valid, its entries are gone.
        let faq = bot.file("faq/02-telework.toml");
        let saved = std::fs::read(&faq).unwrap();
        std::fs::remove_file(&faq).unwrap();
        let post = bot.staff_post(1).await;
        assert!(embed_text(&post.body).contains(&messages().reload_ok));
        let answer = bot.ask(TELEWORK_Q).await;
        assert!(answer.contains(TELEWORK_TEXT), "{answer}");
        assert!(!answer.contains(TELEWORK_FAQ_TEXT), "{answer}");
        // Restored: back.
        std::fs::write(&faq, &saved).unwrap();
        bot.staff_post(2).await;
        assert!(bot.ask(TELEWORK_Q).await.contains(TELEWORK_FAQ_TEXT));

        // plan.toml deleted: required, so nothing changes and staff hear it.
        let plan = bot.file("plan.toml");
        let saved = std::fs::read(&plan).unwrap();
        std::fs::remove_file(&plan).unwrap();
        let post = bot.staff_post(3).await;
        let text = embed_text(&post.body);
        assert!(text.contains(&messages().reload_failed), "{text}");
        assert!(text.contains("plan.toml"), "{text}");
        assert!(text.contains("git checkout"), "the fix: {text}");
        assert!(bot.ask(TELEWORK_Q).await.contains(TELEWORK_FAQ_TEXT));
        // Restored as it was: the same knowledge as before, and staff are
        // told the failure is over.
        std::fs::write(&plan, &saved).unwrap();
        let post = bot.staff_post(4).await;
        assert!(embed_text(&post.body).contains(&messages().reload_ok));
        assert!(bot.ask(TELEWORK_Q).await.contains(TELEWORK_FAQ_TEXT));
        bot.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rapid_successive_saves_are_one_reload_of_the_last_content() {
    within_limit(async {
        let bot = start().await;
        let file = bot.file("faq/09-live.toml");
        for version in 1..=6 {
            std::fs::write(&file, capybara_faq(&format!("カピバラ窓口 第{version}版"))).unwrap();
            tokio::time::sleep(Duration::from_millis(40)).await;
        }
        let post = bot.staff_post(1).await;
        assert!(embed_text(&post.body).contains("faq/09-live.toml"));
        // Well past the quiet period: still one reload.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(bot.staff_posts().len(), 1, "one reload for the burst");
        let answer = bot.ask(NEW_Q).await;
        assert!(answer.contains("カピバラ窓口 第6版"), "{answer}");
        // A save that changes nothing (same bytes) is not news for staff.
        std::fs::write(&file, capybara_faq("カピバラ窓口 第6版")).unwrap();
        tokio::time::sleep(QUIET + Duration::from_millis(1500)).await;
        assert_eq!(bot.staff_posts().len(), 1);
        bot.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replaced_data_directory_is_followed() {
    within_limit(async {
        let bot = start().await;
        let parent = bot.data.parent().unwrap().to_path_buf();
        let note = reattached_note();

        // `mv data.new data`: the old one moved aside first.
        let new = release(&parent.join("data.new"), "カピバラ窓口 第1版");
        std::fs::rename(&bot.data, parent.join("data.old")).unwrap();
        std::fs::rename(&new, &bot.data).unwrap();
        let text = bot
            .staff_post_where("the move reported", |t| t.contains(&note))
            .await;
        assert!(text.contains(&messages().reload_ok), "{text}");
        bot.until_answer_has(NEW_Q, "カピバラ窓口 第1版").await;
        // Edits in the new directory are seen; none in the old one.
        std::fs::write(
            parent.join("data.old/faq/09-live.toml"),
            capybara_faq("古いフォルダー"),
        )
        .unwrap();
        std::fs::write(
            bot.file("faq/09-live.toml"),
            capybara_faq("カピバラ窓口 第2版"),
        )
        .unwrap();
        bot.until_answer_has(NEW_Q, "カピバラ窓口 第2版").await;

        // Deleted, then made again.
        let posts = bot.staff_posts().len();
        std::fs::remove_dir_all(&bot.data).unwrap();
        tokio::time::sleep(Duration::from_millis(800)).await;
        release(&bot.data, "カピバラ窓口 第3版");
        bot.fake
            .wait_until("the re-creation reported", |_| {
                let notes = bot
                    .staff_posts()
                    .iter()
                    .skip(posts)
                    .filter(|p| embed_text(&p.body).contains(&note))
                    .count();
                (notes > 0).then_some(())
            })
            .await;
        bot.until_answer_has(NEW_Q, "カピバラ窓口 第3版").await;
        std::fs::write(
            bot.file("faq/09-live.toml"),
            capybara_faq("カピバラ窓口 第4版"),
        )
        .unwrap();
        bot.until_answer_has(NEW_Q, "カピバラ窓口 第4版").await;
        for p in bot.staff_posts() {
            assert_no_mentions(&p.body);
        }
        bot.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_switched_release_link_is_followed() {
    within_limit(async {
        let bot = start_with(
            |tmp| {
                let first = release(&tmp.join("release-1"), "カピバラ窓口 第1版");
                let link = tmp.join("data");
                std::os::unix::fs::symlink(&first, &link).unwrap();
                link
            },
            |paths| Engine::open(paths, Rebuild::IfStale, &mut |_| {}).unwrap(),
        )
        .await;
        let parent = bot.data.parent().unwrap().to_path_buf();
        bot.until_answer_has(NEW_Q, "カピバラ窓口 第1版").await;
        // What deploy tools do: a new link renamed over the old one.
        let second = release(&parent.join("release-2"), "カピバラ窓口 第2版");
        let tmp_link = parent.join("data.next");
        std::os::unix::fs::symlink(&second, &tmp_link).unwrap();
        std::fs::rename(&tmp_link, &bot.data).unwrap();
        let text = bot
            .staff_post_where("the switch reported", |t| t.contains(&reattached_note()))
            .await;
        assert!(text.contains("release-2"), "where it leads: {text}");
        bot.until_answer_has(NEW_Q, "カピバラ窓口 第2版").await;
        std::fs::write(
            second.join("faq/09-live.toml"),
            capybara_faq("カピバラ窓口 第3版"),
        )
        .unwrap();
        bot.until_answer_has(NEW_Q, "カピバラ窓口 第3版").await;
        bot.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_start_on_broken_data_serves_the_last_good_knowledge() {
    within_limit(async {
        let bot = start_with(testkit::copy_data, |paths| {
            // A good start keeps the knowledge with its index…
            drop(Engine::open(paths, Rebuild::IfStale, &mut |_| {}).unwrap());
            // … then data/ breaks while the bot is down.
            let plan = paths.data.join("plan.toml");
            let good = std::fs::read_to_string(&plan).unwrap();
            std::fs::write(
                &plan,
                good.replacen("[[measure]]", "[[measure]]\nbroken = ", 1),
            )
            .unwrap();
            std::fs::write(paths.data.join("plan.toml.good"), good).unwrap();
            assert!(Engine::open(paths, Rebuild::IfStale, &mut |_| {}).is_err());
            let engine = Engine::open_last_good(paths, &mut |_| {}).unwrap();
            assert!(engine.last_good);
            engine
        })
        .await;
        let text = bot
            .staff_post_where("the broken data reported", |t| {
                t.contains(&messages().started_on_last_good)
            })
            .await;
        assert!(text.contains("plan.toml:"), "file and line: {text}");
        assert!(text.contains("invalid TOML"), "{text}");
        let answer = bot.ask(TELEWORK_Q).await;
        assert!(answer.contains(TELEWORK_FAQ_TEXT), "{answer}");
        // Fixed: the fixed knowledge is live, and staff are told.
        let good = std::fs::read_to_string(bot.file("plan.toml.good")).unwrap();
        std::fs::remove_file(bot.file("plan.toml.good")).unwrap();
        std::fs::write(bot.file("plan.toml"), good).unwrap();
        bot.staff_post_where("the fix reported", |t| t.contains(&messages().reload_ok))
            .await;
        assert!(bot.ask(TELEWORK_Q).await.contains(TELEWORK_FAQ_TEXT));
        bot.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_data_directory_is_named_in_the_staff_post() {
    within_limit(async {
        let bot = start().await;
        let moved = bot.data.with_extension("away");
        std::fs::rename(&bot.data, &moved).unwrap();
        let post = bot.staff_post(1).await;
        let text = embed_text(&post.body);
        let removed = messages().data_dir_removed;
        let (before, _) = removed.split_once("{dir}").unwrap();
        assert!(text.contains(before), "{text}");
        assert!(
            text.contains(&format!("`{}`", bot.data.display())),
            "{text}"
        );
        let outside_fences = text.replace("```", "");
        assert!(!outside_fences.contains("``"), "no empty name: {text}");
        assert!(text.contains(&messages().reload_failed), "{text}");
        // Still answering from the last good knowledge.
        assert!(bot.ask(TELEWORK_Q).await.contains(TELEWORK_TEXT));
        std::fs::rename(&moved, &bot.data).unwrap();
        bot.stop().await;
    })
    .await;
}
