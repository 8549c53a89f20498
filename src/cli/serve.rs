//! `madoguchi serve`: the Discord bot started from resolved settings. The
//! token is checked, the metrics address bound, the engine opened (on the
//! last good knowledge when `data/` is broken), `data/` watched, and the bot
//! run until SIGINT or SIGTERM (SIGHUP reloads `data/`).

use std::process::ExitCode;

use anyhow::Context;
use tokio::sync::mpsc::UnboundedReceiver;

use madoguchi::discord::{Config, Token};
use madoguchi::engine::{Engine, EngineError, Paths, Rebuild};
use madoguchi::watch::Change;

use super::settings::ServeSettings;
use super::{broken_knowledge, engine_error, progress};

/// Runs the bot until a signal stops it.
pub fn run(settings: &ServeSettings) -> anyhow::Result<ExitCode> {
    let token = settings.token.value.clone().context(
        "DISCORD_TOKEN is not set: put the bot token in the environment or in a .env file \
         (see README: Discord bot)",
    )?;
    let paths = settings.knowledge.paths();
    let config = bot_config(settings, token, paths.clone());
    // Bound before the knowledge is opened: a taken address stops at once.
    let metrics_listener = settings
        .metrics
        .value
        .map(madoguchi::discord::metrics::bind)
        .transpose()?;

    let engine = open_for_serving(&paths)?;
    let (_watcher, changes) = madoguchi::watch::watch(&paths.data, madoguchi::watch::QUIET)?;
    tracing::info!(
        api_base = %config.api_base,
        state = %config.state_dir.display(),
        records = %config.records_location(),
        shards = ?config.shards,
        answer_channels = config.answer_channels.len(),
        "starting the Discord bot"
    );
    madoguchi::memory::keep_trimmed().context("starting the memory trimmer")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        let _metrics = match metrics_listener {
            Some(l) => {
                let server = madoguchi::discord::metrics::serve(l, config.metrics.clone())
                    .context("serving the metrics")?;
                tracing::info!(addr = %server.addr, "metrics on /metrics, health on /healthz");
                Some(server)
            }
            None => None,
        };
        let changes = with_reload_on_hangup(changes);
        madoguchi::discord::run_live(config, engine, Some(changes), shutdown_signal())
            .await
            .map_err(anyhow::Error::from)
    })?;
    Ok(ExitCode::SUCCESS)
}

/// The bot's configuration from the settings.
fn bot_config(s: &ServeSettings, token: Token, paths: Paths) -> Config {
    let mut config = Config::new(token, paths);
    // Unless --today fixes the date, the bot chooses the plan in force for
    // each day itself (at every reload and each midnight in Japan).
    config.paths.today = s.knowledge.today.value;
    config.api_base = s.api_base.value.clone();
    config.state_dir = s.state.value.clone();
    config.records = s.records.value.clone();
    config.keep_days = s.keep_days.value;
    config.guild_id = s.guild_id.value;
    config.answer_channels = s.answer_channels.value.clone();
    config.staff_role = s.staff_role.value;
    config.staff_channel = s.staff_channel.value;
    config.shards = s.shards.value;
    config.cooldown = std::time::Duration::from_secs_f64(s.cooldown.value);
    config.max_question_chars = s.max_question_chars.value;
    config
}

/// The engine `serve` starts on: from `data/`, or, when `data/` has
/// problems, from the last good knowledge kept with the index, with every
/// problem logged (the bot posts them to the staff channel once running).
fn open_for_serving(paths: &Paths) -> anyhow::Result<Engine> {
    let problems = match Engine::open(paths, Rebuild::IfStale, &mut progress) {
        Ok(engine) => return Ok(engine),
        Err(EngineError::Data(problems)) => problems,
        Err(other) => return Err(engine_error(other, &paths.data)),
    };
    let engine = match Engine::open_last_good(paths, &mut progress) {
        Ok(engine) => engine,
        Err(e) => {
            return Err(anyhow::Error::new(problems)
                .context(format!("{e}, so there is nothing to start on"))
                .context(broken_knowledge(&paths.data)));
        }
    };
    for p in &problems.0 {
        tracing::error!(
            file = %p.file.display(),
            line = p.line,
            entry = p.entry.as_deref(),
            problem = %p.message,
            fix = %p.fix,
            "data problem"
        );
    }
    tracing::error!(
        problems = problems.0.len(),
        plan = %engine.knowledge.plan.title,
        "{}: starting on the last good knowledge kept with the index; fix data/ and it is loaded",
        broken_knowledge(&paths.data)
    );
    Ok(engine)
}

/// The watcher's changes, and a reload of the whole of `data/` on SIGHUP
/// (as daemons do); SIGUSR1 and SIGUSR2, which would kill the process
/// uncleanly, are logged and ignored. Call within the runtime.
fn with_reload_on_hangup(mut changes: UnboundedReceiver<Change>) -> UnboundedReceiver<Change> {
    use tokio::signal::unix::{SignalKind, signal};
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let forward = tx.clone();
    tokio::spawn(async move {
        while let Some(change) = changes.recv().await {
            if forward.send(change).is_err() {
                return;
            }
        }
    });
    for (kind, name, reload) in [
        (SignalKind::hangup(), "SIGHUP", true),
        (SignalKind::user_defined1(), "SIGUSR1", false),
        (SignalKind::user_defined2(), "SIGUSR2", false),
    ] {
        let mut stream = match signal(kind) {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, signal = name, "cannot listen for the signal");
                continue;
            }
        };
        let tx = tx.clone();
        tokio::spawn(async move {
            while stream.recv().await.is_some() {
                if !reload {
                    tracing::info!(
                        signal = name,
                        "signal ignored (SIGHUP reloads data/, SIGTERM stops)"
                    );
                    continue;
                }
                tracing::info!(signal = name, "reloading data/");
                let all = Change {
                    paths: vec![std::path::PathBuf::from(".")],
                    reattached: None,
                };
                if tx.send(all).is_err() {
                    return;
                }
            }
        });
    }
    rx
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
    tracing::info!("signal received: shutting down");
}
