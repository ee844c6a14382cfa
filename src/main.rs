//! Command line: `serve` (the default), `migrate`, `check-config`.

use anyhow::Context;
use clap::{Parser, Subcommand};
use dsar_portal::config::Settings;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "dsar-portal",
    version,
    about = "Self-hosted data-subject-rights portal (GDPR, UK GDPR, CCPA/CPRA)"
)]
struct Cli {
    /// Configuration file (default: ./dsar-portal.toml when it exists).
    #[arg(long, short, global = true, env = "DSAR_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the portal and its background worker (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Check the configuration, keys, database and mail settings, and say what is wrong.
    CheckConfig,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::load(cli.config.as_deref())?;
    init_logging(&settings.log);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings),
        Command::Migrate => {
            let (_, applied) = dsar_portal::prepare_database(&settings)?;
            println!(
                "{}: {applied} migration(s) applied",
                dsar_portal::describe_database(&settings.database_url())
            );
            Ok(())
        }
        Command::CheckConfig => check_config(settings),
    }
}

fn init_logging(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("RUST_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(filter));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .try_init();
}

fn serve(settings: Settings) -> anyhow::Result<()> {
    let system = actix_web::rt::System::new();
    system.block_on(async move {
        let app = dsar_portal::Application::build(settings)?;
        let r = &app.report;
        println!(
            "dsar-portal {} listening on {}",
            env!("CARGO_PKG_VERSION"),
            r.address
        );
        println!("  data folder : {}", r.data_dir.display());
        println!(
            "  database    : {} ({} migration(s) applied)",
            r.database, r.migrations_applied
        );
        println!("  outgoing mail: {}", r.mail);
        for k in &r.keys_created {
            println!(
                "  created key : {} (mode 0600; back it up: without it stored data cannot be read)",
                k.display()
            );
        }
        app.run_until_stopped()
            .await
            .context("server stopped with an error")
    })
}

fn check_config(settings: Settings) -> anyhow::Result<()> {
    println!(
        "configuration: ok (bind {}, public URL {})",
        settings.bind,
        settings.public_url()
    );
    let sources = settings.key_sources();
    if sources.generate_missing && !sources.data_file.exists() {
        println!(
            "keys: not created yet; `serve` creates them under {}",
            settings.data_dir.join("keys").display()
        );
    } else {
        dsar_portal::crypto::Keys::load(&sources)?;
        println!("keys: ok");
    }
    let url = settings.database_url();
    let (_, applied) = dsar_portal::prepare_database(&settings).with_context(|| {
        format!(
            "database: cannot use {}",
            dsar_portal::describe_database(&url)
        )
    })?;
    println!(
        "database: ok ({}, {applied} migration(s) applied)",
        dsar_portal::describe_database(&url)
    );
    let mailer = dsar_portal::mail::Mailer::from_settings(&settings)?;
    mailer.test_connection()?;
    match &settings.mail.smtp {
        Some(s) => println!("mail: SMTP {}:{} reachable", s.host, s.port),
        None => println!(
            "mail: writing .eml files to {}",
            settings.mail_dir().display()
        ),
    }
    Ok(())
}
