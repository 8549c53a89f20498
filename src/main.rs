//! The `madoguchi` command: reads `.env`, parses the command line, resolves
//! the settings once and hands each command to its module under `src/cli/`.
//! Only this file and the modules it declares know clap and the
//! environment; errors are printed here with their causes and an exit code.

mod cli;

use std::io::Write;
use std::process::ExitCode;

use clap::{ArgMatches, CommandFactory, FromArgMatches};

use cli::args::{Cli, Command, FaqCommand, Globals, LogFormat, ServeArgs};
use cli::settings::{DotEnv, KnowledgeSettings, ServeSettings};
use cli::{commands, faq_wizard, logs, serve};
use madoguchi::records::Location;

fn main() -> ExitCode {
    // First, while the process has one thread: `.env` fills in what the
    // environment leaves unset, so clap reads it below flags and variables.
    let dotenv = DotEnv::load();
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    match dotenv.and_then(|dotenv| run(cli, &matches, &dotenv)) {
        Ok(code) => code,
        // The reader went away (`madoguchi ask … | head`): nothing to report.
        Err(err)
            if err.chain().any(|e| {
                e.downcast_ref::<std::io::Error>()
                    .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("madoguchi: {}", logs::redact(&format!("{err:#}")));
            ExitCode::from(1)
        }
    }
}

fn run(cli: Cli, matches: &ArgMatches, dotenv: &DotEnv) -> anyhow::Result<ExitCode> {
    let Cli { globals, command } = cli;
    if let Command::Serve(args) = &command {
        return serve(&globals, args, matches, dotenv);
    }
    if let Command::Report(args) = &command
        && let Some(Ok(location)) = args.records.as_deref().map(Location::parse)
        && let Some(password) = location.password()
    {
        logs::keep_secret(&password);
    }
    let paths = KnowledgeSettings::resolve(&globals, matches, dotenv).paths();
    logs::init("warn", LogFormat::Text);
    match command {
        Command::Serve(_) => unreachable!("serve returned above"),
        Command::Ask { question, json } => commands::ask(&paths, &question, json),
        Command::Check { measures } => commands::check(&paths, measures),
        Command::Index => commands::index(&paths),
        Command::Eval {
            file,
            k,
            json,
            part,
        } => commands::eval(&paths, &file, k, json, part.into()),
        Command::Analyze { text } => commands::analyze(&paths, &text),
        Command::Report(args) => commands::report(&paths, args),
        Command::Faq {
            command: FaqCommand::New(args),
        } => faq_wizard::run(args, &paths),
        Command::ImportPlan { file, out, force } => {
            commands::import_plan(&file, out.as_deref(), force)
        }
    }
}

/// `serve`: its settings resolved (the configuration file read once),
/// printed with `--print-settings`, else logging set up and the bot run.
fn serve(
    globals: &Globals,
    args: &ServeArgs,
    matches: &ArgMatches,
    dotenv: &DotEnv,
) -> anyhow::Result<ExitCode> {
    let settings = ServeSettings::resolve(globals, args, matches, dotenv)?;
    if let Some(token) = &settings.token.value {
        logs::keep_secret(token.expose());
    }
    if let Some(password) = settings.records.value.as_ref().and_then(Location::password) {
        logs::keep_secret(&password);
    }
    if args.print_settings {
        write!(cli::stdout(), "{}", settings.to_text())?;
        return Ok(ExitCode::SUCCESS);
    }
    logs::init("warn,madoguchi=info", settings.log_format.value);
    serve::run(&settings)
}
