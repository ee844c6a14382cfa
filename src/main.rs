//! Command line: `serve` (the default), `migrate`, `check-config`, staff and agent
//! accounts, `audit verify`, `backup`, `keys rotate`, `records export` and
//! `datasets scaffold`.

use anyhow::Context;
use clap::{Parser, Subcommand};
use dsar_portal::config::Settings;
use dsar_portal::flows::actors::CLI;
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
    /// Manage staff accounts.
    #[command(subcommand)]
    Staff(StaffCommand),
    /// Audit trail tools.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// The Data Rights Protocol agent directory.
    #[command(subcommand)]
    Agents(AgentsCommand),
    /// Copy a SQLite database to FILE while the portal keeps running (PostgreSQL: use pg_dump).
    Backup {
        /// The backup file to write (mode 0600; must not exist yet).
        #[arg(long)]
        to: PathBuf,
    },
    /// Data-key management.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// The CCPA §7101 record of requests.
    #[command(subcommand)]
    Records(RecordsCommand),
    /// Datasets of `sql` connectors.
    #[command(subcommand)]
    Datasets(DatasetsCommand),
    /// Fill the database with realistic requests for the load benchmark
    /// (bench/load/run.sh). Hidden: it is for benchmarks, never for a live portal.
    #[command(hide = true)]
    BenchFill {
        /// How many requests to add.
        #[arg(long, default_value_t = 50_000)]
        requests: u64,
        /// The share of them still open (0 to 1); the rest are closed.
        #[arg(long, default_value_t = 1.0)]
        open_share: f64,
    },
}

#[derive(Subcommand)]
enum DatasetsCommand {
    /// Read the connector's live database and write a draft dataset to review: identity
    /// columns by name, references from foreign keys, every table kept until decided.
    Scaffold {
        /// The `[[connectors]]` entry (kind = "sql") whose database is read.
        #[arg(long)]
        connector: String,
        /// Where to write the draft (default: the connector's dataset_file, else
        /// datasets/<NAME>.toml).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Replace the file if it exists.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Subcommand)]
enum RecordsCommand {
    /// Write one CSV row per request received from --since to --until (both included,
    /// UTC): dates, kind, channel, agent, response and basis of a denial. No personal data.
    Export {
        /// First receipt date, YYYY-MM-DD.
        #[arg(long, value_parser = dsar_portal::ops::records::parse_date)]
        since: chrono::NaiveDate,
        /// Last receipt date, YYYY-MM-DD (default: today).
        #[arg(long, value_parser = dsar_portal::ops::records::parse_date)]
        until: Option<chrono::NaiveDate>,
        /// Write to this new file (mode 0600; must not exist yet) instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Make a new data key current and re-encrypt every stored value with it. Stop the
    /// portal first. Safe to interrupt: run it again to continue; the old key file is
    /// deleted once nothing uses it.
    Rotate {
        /// Rows re-encrypted per transaction.
        #[arg(long, default_value_t = 200)]
        batch_size: usize,
        /// Stop after this many batches (run again to continue).
        #[arg(long)]
        max_batches: Option<usize>,
    },
}

#[derive(Subcommand)]
enum AgentsCommand {
    /// Add an agent from the DRP service directory.
    Add {
        #[arg(long)]
        id: String,
        #[arg(long)]
        name: String,
        /// The agent's Ed25519 public key, base64 (`verify_key` in the directory).
        #[arg(long)]
        verify_key: String,
    },
    /// Disable an agent: its tokens stop working and it cannot pair again.
    Disable {
        #[arg(long)]
        id: String,
    },
    /// Enable a disabled agent again (it must pair anew).
    Enable {
        #[arg(long)]
        id: String,
    },
    /// List agents.
    List,
}

#[derive(Subcommand)]
enum StaffCommand {
    /// Add an account. The password is read from stdin when stdin is not a terminal;
    /// otherwise one is generated, printed once, and must be changed at first login.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long, value_parser = ["admin", "handler", "auditor"])]
        role: String,
    },
    /// Disable an account (it can no longer log in; its history stays).
    Disable {
        #[arg(long)]
        email: String,
    },
    /// Set a new password (from stdin when not a terminal, else generated and printed once).
    ResetPassword {
        #[arg(long)]
        email: String,
    },
    /// List accounts.
    List,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the hash chain of the audit trail; exits non-zero at the first broken link.
    Verify,
}

fn main() -> ExitCode {
    dsar_portal::staff::hash_pool::give_large_blocks_back();
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
    let mut settings = Settings::load(cli.config.as_deref())?;
    init_logging(&settings.log, &settings.log_format);
    let command = cli.command.unwrap_or(Command::Serve);
    if !matches!(command, Command::Serve) {
        // A command needs one connection. With a larger pool, r2d2 would open a spare in a
        // background thread while the command finishes, and a process exiting during a
        // PostgreSQL TLS handshake can die abnormally after its work is done.
        settings.database_pool_size = 1;
    }
    match command {
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
        Command::Staff(cmd) => staff_command(settings, cmd),
        Command::Audit(AuditCommand::Verify) => audit_verify(settings),
        Command::Agents(cmd) => agents_command(settings, cmd),
        Command::Backup { to } => {
            let r = dsar_portal::ops::backup::backup(&settings, &to)?;
            println!(
                "backup written: {} ({} bytes, {} request(s), mode 0600)",
                r.file.display(),
                r.bytes,
                r.requests
            );
            println!("keep the keys folder with it: without the keys the backup cannot be read");
            Ok(())
        }
        Command::Keys(KeysCommand::Rotate {
            batch_size,
            max_batches,
        }) => keys_rotate(settings, batch_size, max_batches),
        Command::Datasets(DatasetsCommand::Scaffold {
            connector,
            out,
            force,
        }) => dsar_portal::ops::dataset_draft::scaffold(&settings, &connector, out, force),
        Command::BenchFill {
            requests,
            open_share,
        } => {
            let start = std::time::Instant::now();
            let options = dsar_portal::ops::bench_fill::Options {
                requests,
                open_share,
            };
            let f = dsar_portal::ops::bench_fill::fill(&settings, &options)?;
            println!(
                "filled {}: {} request(s), {} open, {} audit event(s), {} sent email(s) in {:.1} s",
                dsar_portal::describe_database(&settings.database_url()),
                f.requests,
                f.open,
                f.audit_events,
                f.emails,
                start.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Records(RecordsCommand::Export { since, until, out }) => {
            use dsar_portal::ops::records;
            let today = dsar_portal::clock::now().date();
            let range = records::Range::new(since, until, today).map_err(anyhow::Error::msg)?;
            let rows = records::export(&settings, &range, out.as_deref())?;
            // The summary goes to stderr: stdout may be the CSV itself.
            eprintln!(
                "exported {rows} request(s) received {} to {}{}",
                range.since,
                range.until,
                out.map(|p| format!(" to {} (mode 0600)", p.display()))
                    .unwrap_or_default()
            );
            Ok(())
        }
    }
}

fn keys_rotate(
    settings: Settings,
    batch_size: usize,
    max_batches: Option<usize>,
) -> anyhow::Result<()> {
    use dsar_portal::crypto::rotation::Begun;
    let options = dsar_portal::ops::key_rotation::Options {
        batch_size,
        max_batches,
    };
    let o = dsar_portal::ops::key_rotation::rotate(&settings, &options)?;
    match &o.begun {
        Some(Begun::Started { old, new }) => {
            println!("new data key {new} is current; key {old} is kept until nothing uses it")
        }
        Some(Begun::Continuing { current, previous }) => println!(
            "continuing the rotation to key {current} (still kept: {})",
            previous.join(", ")
        ),
        None => {}
    }
    println!(
        "re-encrypted {} value(s) in {} batch(es)",
        o.reencrypted, o.batches
    );
    if !o.retired.is_empty() {
        println!(
            "rotation finished: every value is under key {}; deleted old key(s) {}",
            o.current_key,
            o.retired.join(", ")
        );
        println!("copy the keys folder to every instance before starting them");
        return Ok(());
    }
    if o.unreadable > 0 {
        anyhow::bail!(
            "{} value(s) could not be decrypted with any loaded key and were left as they are; \
             the old key is kept",
            o.unreadable
        );
    }
    anyhow::bail!(
        "{} value(s) are still under an older key; run `dsar-portal keys rotate` again to continue",
        o.remaining
    )
}

fn agents_command(settings: Settings, cmd: AgentsCommand) -> anyhow::Result<()> {
    use dsar_portal::flows::drp_directory;
    let (pool, _) = dsar_portal::prepare_database(&settings)?;
    let mut conn = pool.get()?;
    let now = dsar_portal::clock::now();
    let fail = |e: dsar_portal::error::AppError| anyhow::anyhow!(e.public_message());
    match cmd {
        AgentsCommand::Add {
            id,
            name,
            verify_key,
        } => {
            let row = drp_directory::add_agent(&mut conn, &id, &name, &verify_key, CLI, now)
                .map_err(fail)?;
            println!("added agent {} ({})", row.id, row.name);
            if settings.drp.business_id.is_none() {
                println!("note: set drp.business_id in the configuration to turn the DRP API on");
            }
        }
        AgentsCommand::Disable { id } => {
            if !drp_directory::set_enabled(&mut conn, &id, false, CLI, now).map_err(fail)? {
                anyhow::bail!("no active agent with id {id}");
            }
            println!("disabled agent {id}");
        }
        AgentsCommand::Enable { id } => {
            if !drp_directory::set_enabled(&mut conn, &id, true, CLI, now).map_err(fail)? {
                anyhow::bail!("no disabled agent with id {id}");
            }
            println!("enabled agent {id}");
        }
        AgentsCommand::List => {
            for a in dsar_portal::db::models::drp::list_agents(&mut conn)? {
                let state = if a.disabled_at.is_some() {
                    "disabled"
                } else {
                    "active"
                };
                println!(
                    "{}\t{}\t{}\tadded {}",
                    a.id,
                    a.name,
                    state,
                    a.created_at.format("%Y-%m-%d")
                );
            }
        }
    }
    Ok(())
}

/// A password from stdin when it is piped; None at a terminal (then one is generated).
fn password_from_stdin() -> anyhow::Result<Option<String>> {
    use std::io::{IsTerminal, Read};
    if std::io::stdin().is_terminal() {
        return Ok(None);
    }
    let mut s = String::new();
    std::io::stdin().read_to_string(&mut s)?;
    let p = s.trim_end_matches(['\n', '\r']).to_string();
    Ok((!p.is_empty()).then_some(p))
}

fn staff_command(settings: Settings, cmd: StaffCommand) -> anyhow::Result<()> {
    use dsar_portal::domain::roles::Role;
    use dsar_portal::staff::accounts;
    let (pool, _) = dsar_portal::prepare_database(&settings)?;
    let mut conn = pool.get()?;
    let hasher = dsar_portal::staff::password::Hasher::new(&settings.staff)?;
    let now = dsar_portal::clock::now();
    let fail = |e: dsar_portal::error::AppError| anyhow::anyhow!(e.public_message());
    match cmd {
        StaffCommand::Add { email, role } => {
            let role = Role::parse(&role).context("role must be admin, handler or auditor")?;
            let chosen = password_from_stdin()?;
            let (row, generated) = accounts::create(
                &mut conn,
                &hasher,
                &email,
                role,
                chosen.as_deref(),
                CLI,
                now,
            )
            .map_err(fail)?;
            println!("added {} ({})", row.email, row.role.as_str());
            if let Some(p) = generated {
                println!("one-time password (shown once; to be changed at first login): {p}");
            }
        }
        StaffCommand::Disable { email } => {
            let row = accounts::set_disabled(&mut conn, &email, true, CLI, now).map_err(fail)?;
            println!("disabled {}", row.email);
        }
        StaffCommand::ResetPassword { email } => {
            let chosen = password_from_stdin()?;
            let generated =
                accounts::reset_password(&mut conn, &hasher, &email, chosen.as_deref(), CLI, now)
                    .map_err(fail)?;
            match generated {
                Some(p) => println!(
                    "new one-time password (shown once; to be changed at first login): {p}"
                ),
                None => println!("password set"),
            }
        }
        StaffCommand::List => {
            for s in dsar_portal::db::models::staff::list(&mut conn)? {
                let state = if s.disabled { "disabled" } else { "active" };
                println!("{:<40} {:<8} {state}", s.email, s.role.as_str());
            }
        }
    }
    Ok(())
}

fn audit_verify(settings: Settings) -> anyhow::Result<()> {
    let (pool, _) = dsar_portal::prepare_database(&settings)?;
    let mut conn = pool.get()?;
    match dsar_portal::db::models::audit::verify_chain(&mut conn)? {
        Ok(n) => {
            println!("audit trail intact: {n} event(s), every link verified");
            Ok(())
        }
        Err(seq) => anyhow::bail!(
            "audit trail broken at event #{seq}: it was altered, removed or inserted out of order"
        ),
    }
}

fn init_logging(filter: &str, format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("RUST_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(filter))
        // Personal data stays out of the log at every level: at debug, handlebars logs
        // each helper's parameters, i.e. the names, emails and details it renders.
        // Added last, so it wins over any `handlebars=…` in the configured filter.
        .add_directive("handlebars=info".parse().expect("valid directive"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    // One JSON object per line for log collectors; the same events and fields.
    let _ = if format == "json" {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.try_init()
    };
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
        if let Some((email, password)) = &r.first_admin {
            println!("  first admin : {email} / {password}");
            println!("                (shown once; log in at {}/staff/login and choose your own password)", r.address);
        }
        for k in &r.keys_created {
            println!(
                "  created key : {} (mode 0600; back it up: without it stored data cannot be read)",
                k.display()
            );
        }
        app.run_until_signalled()
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
    let mut broken = 0;
    for (name, built) in dsar_portal::connectors::registry::build(&settings) {
        // Connectors block on their own runtime: check them from a plain thread.
        let verdict = std::thread::spawn(move || match built {
            Ok(c) => c
                .check()
                .and_then(|()| c.advice())
                .map_err(|e| e.to_string()),
            Err(problem) => Err(problem),
        })
        .join()
        .unwrap_or_else(|_| Err("the check crashed".into()));
        match verdict {
            Ok(advice) => {
                println!("connector {name}: ok");
                for line in advice {
                    println!("connector {name}: advice: {line}");
                }
            }
            Err(problem) => {
                broken += 1;
                println!("connector {name}: NOT usable: {problem}");
            }
        }
    }
    if broken > 0 {
        anyhow::bail!("{broken} connector(s) cannot be used");
    }
    Ok(())
}
