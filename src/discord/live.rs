//! Live reload: the one way the bot replaces its knowledge, used by `/reload`
//! and by edits to `data/`. [`reload`] builds a new engine aside on
//! the blocking pool (one reload at a time) and swaps it in atomically;
//! questions in flight keep the engine they started with. When the new
//! knowledge has problems nothing changes: every problem is logged with its
//! file, line, entry and fix. [`follow`] turns the changes reported by
//! [`crate::watch`] (an edge handed in by the caller, so tests can drive
//! it) into reloads and posts each outcome to the staff channel, and
//! reloads at midnight in Japan so a plan takes over on its start date.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serenity::all::{ChannelId, Http};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::task::JoinHandle;
use tracing::{debug, error, info, warn};

use super::fit::Fitted;
use super::metrics::ReloadOutcome;
use super::render;
use super::rest;
use super::state::Shared;
use crate::clock;
use crate::data::{Date, Knowledge, Messages};
use crate::engine::{Engine, EngineError, Rebuild};
use crate::watch::Change;

/// What a reload did.
#[derive(Debug, Clone, PartialEq)]
pub enum Reloaded {
    /// The new knowledge is live. `changed` is false when it is the same
    /// as before (a save that changed nothing).
    Done { summary: String, changed: bool },
    /// Nothing changed; these problems (one text each) stopped it.
    Failed { problems: Vec<String> },
}

/// What staff see after a good reload: the sentence, the plan answers rest
/// on, and the counts.
pub fn summary(k: &Knowledge) -> String {
    let counts = k
        .messages
        .bot
        .reload_summary
        .replace("{title}", &k.plan.title)
        .replace("{year}", &k.plan.year)
        .replace("{start}", &k.plan.start.to_string())
        .replace("{areas}", &k.areas.len().to_string())
        .replace("{measures}", &k.measures.len().to_string())
        .replace("{faqs}", &k.faqs.len().to_string())
        .replace("{channels}", &k.channels.len().to_string());
    format!("{}\n{counts}", k.messages.reload_ok)
}

/// Opens the knowledge in `data/` again and, when it is good, makes it
/// the one `shared` answers with. The current plan is chosen for the
/// configured date, or today's date in Japan.
pub async fn reload(shared: &Shared) -> Reloaded {
    let _one_at_a_time = shared.reloading.lock().await;
    let mut paths = shared.config.paths.clone();
    paths.today = paths.today.or_else(|| Some(Date::today_in_japan()));
    let opened = tokio::task::spawn_blocking(move || {
        Engine::open(&paths, Rebuild::IfStale, &mut |m| info!(step = m, "reload"))
    })
    .await;
    match opened {
        Ok(Ok(engine)) => {
            let changed =
                engine.knowledge.fingerprint != shared.engine.load().knowledge.fingerprint;
            let summary = summary(&engine.knowledge);
            shared.engine.store(Arc::new(engine));
            shared.config.metrics.reloaded(if changed {
                ReloadOutcome::Changed
            } else {
                ReloadOutcome::Unchanged
            });
            info!(changed, "knowledge reloaded");
            Reloaded::Done { summary, changed }
        }
        Ok(Err(EngineError::Data(problems))) => {
            shared.config.metrics.reloaded(ReloadOutcome::Failed);
            for p in &problems.0 {
                warn!(
                    file = %p.file.display(),
                    line = p.line,
                    entry = p.entry.as_deref(),
                    problem = %p.message,
                    fix = %p.fix,
                    "data problem: keeping the last good knowledge"
                );
            }
            Reloaded::Failed {
                problems: problems.0.iter().map(ToString::to_string).collect(),
            }
        }
        Ok(Err(e)) => {
            shared.config.metrics.reloaded(ReloadOutcome::Failed);
            warn!(error = %e, "reload failed: keeping the last good knowledge");
            Reloaded::Failed {
                problems: vec![e.to_string()],
            }
        }
        Err(e) => {
            shared.config.metrics.reloaded(ReloadOutcome::Failed);
            error!(error = %e, "reload task failed: keeping the last good knowledge");
            Reloaded::Failed {
                problems: vec![e.to_string()],
            }
        }
    }
}

/// Aborts the task when dropped, so the follower ends with the bot.
pub struct Following(JoinHandle<()>);

impl Drop for Following {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Starts [`follow`] on the runtime.
pub fn spawn(
    shared: Arc<Shared>,
    http: Arc<Http>,
    changes: Option<UnboundedReceiver<Change>>,
) -> Following {
    Following(tokio::spawn(follow(shared, http, changes)))
}

/// Reloads after every change reported on `changes` (changes that queue
/// up during a reload are taken together by the next one), and at each
/// midnight in Japan when the date is not fixed by the configuration. The
/// outcome is posted to the staff channel, if one is configured: problems
/// always, a good reload when it changed something or ended a failure,
/// and any reload after `data/` was replaced, with where it leads now.
/// When the bot started on the last good knowledge, `data/` is checked at
/// once, so staff hear what is broken.
pub async fn follow(
    shared: Arc<Shared>,
    http: Arc<Http>,
    mut changes: Option<UnboundedReceiver<Change>>,
) {
    let clock = shared.config.paths.today.is_none();
    let mut failing = false;
    // Started on the last good knowledge: check data/ at once, so staff
    // hear what is broken.
    let mut starting = shared.engine.load().last_good;
    loop {
        let mut files: Vec<PathBuf> = Vec::new();
        let mut reattached: Option<PathBuf> = None;
        let mut take = |c: Change| {
            files.extend(c.paths);
            reattached = c.reattached.or(reattached.take());
        };
        if !starting {
            tokio::select! {
                change = next(&mut changes) => match change {
                    Some(c) => take(c),
                    None => {
                        debug!("the watcher stopped: no more live reloads");
                        changes = None;
                        continue;
                    }
                },
                () = tokio::time::sleep(clock::until_tomorrow_in_japan(clock::now_secs())), if clock => {
                    debug!("a new day: checking which plan is in force");
                }
            }
        }
        if let Some(rx) = changes.as_mut() {
            while let Ok(c) = rx.try_recv() {
                take(c);
            }
        }
        files.sort();
        files.dedup();
        if !files.is_empty() {
            info!(files = ?files, "data/ changed: reloading");
        }
        let messages = shared.engine.load().knowledge.messages.clone();
        // A replaced data/ is news for staff whatever the reload finds.
        let note = reattached
            .as_ref()
            .map(|dir| messages.data_reattached.replace("{dir}", &code(dir)));
        let noted = |text: &str| match &note {
            Some(note) => format!("{note}\n{text}"),
            None => text.to_string(),
        };
        let sentence = noted(if std::mem::take(&mut starting) {
            &messages.started_on_last_good
        } else {
            &messages.reload_failed
        });
        let data = &shared.config.paths.data;
        let said_reattached = note.is_some();
        let posts = match reload(&shared).await {
            Reloaded::Done { changed: false, .. } if !failing && note.is_none() => Vec::new(),
            Reloaded::Done { summary, .. } => {
                failing = false;
                let text = with_files(&noted(&summary), &files, data, &messages, said_reattached);
                vec![Fitted::text(&text, false)]
            }
            Reloaded::Failed { problems } => {
                failing = true;
                render::problem_posts(
                    &with_files(&sentence, &files, data, &messages, said_reattached),
                    &problems,
                    &messages.bot,
                )
            }
        };
        if let Some(channel) = shared.config.staff_channel {
            for post in posts {
                let message = post.message();
                let sent =
                    rest::send(|| ChannelId::new(channel).send_message(&http, message.clone()))
                        .await;
                if let Err(f) = sent {
                    shared.failed("posting to the staff channel", &f);
                }
            }
        }
    }
}

async fn next(changes: &mut Option<UnboundedReceiver<Change>>) -> Option<Change> {
    match changes {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// `sentence`, then what changed: the data directory itself when it was
/// deleted, or replaced (unless the re-attach note already says so; the
/// watcher reports the directory itself as `.`), and the files.
fn with_files(
    sentence: &str,
    files: &[PathBuf],
    data: &Path,
    msgs: &Messages,
    reattached: bool,
) -> String {
    let mut out = sentence.to_string();
    let (root, files): (Vec<&PathBuf>, Vec<&PathBuf>) = files
        .iter()
        .partition(|f| f.as_os_str().is_empty() || f.as_os_str() == ".");
    let note = if root.is_empty() {
        None
    } else if !data.is_dir() {
        Some(&msgs.data_dir_removed)
    } else if !reattached {
        Some(&msgs.data_dir_replaced)
    } else {
        None
    };
    if let Some(note) = note {
        out.push('\n');
        out.push_str(&note.replace("{dir}", &code(data)));
    }
    if !files.is_empty() {
        let names: Vec<String> = files.iter().map(|f| code(f)).collect();
        out.push('\n');
        out.push_str(&msgs.bot.changed_files.replace("{files}", &names.join(" ")));
    }
    out
}

/// A path as inline code.
fn code(path: &Path) -> String {
    format!("`{}`", path.display().to_string().replace('`', "'"))
}
