//! `student-palace`: the one binary. Reads config, wires adapters, runs a subcommand.

use std::process::ExitCode;

use anyhow::Context;
use bootstrap::config::{Config, VARIABLES};
use bootstrap::startup::{Application, open_database_for_migrations, open_dependencies, shutdown_signal};
use bootstrap::{AppEnv, telemetry};
use clap::{Parser, Subcommand};
use migrations::{Migrator, MigratorTrait};

#[derive(Parser)]
#[command(name = "student-palace", version, about = "Student Palace: UK student accommodation service")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve HTTP (migrates and seeds automatically in dev).
    Serve,
    /// Manage the database schema.
    Migrate {
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Inspect the configuration.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Print the OpenAPI document.
    Openapi,
    /// Manage administrators (never created by registration).
    Admin {
        #[command(subcommand)]
        action: AdminAction,
    },
    /// Load data.
    Seed {
        /// Demo data: cities and areas, demo accounts, landlords, published listings.
        #[arg(long)]
        demo: bool,
        /// How many listings to add.
        #[arg(long, default_value_t = 500)]
        listings: usize,
        /// Random seed (same seed, same data).
        #[arg(long, default_value_t = 2026)]
        seed: u64,
    },
}

#[derive(Subcommand)]
enum AdminAction {
    /// Create an admin. The password is read from ADMIN_PASSWORD or, if unset, from the
    /// first line of standard input (never from the command line, which `ps` shows).
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand)]
enum MigrateAction {
    /// Apply pending migrations.
    Up,
    /// Roll back migrations (default: the last one).
    Down {
        #[arg(long, default_value_t = 1)]
        steps: u32,
    },
    /// List migrations and whether each is applied.
    Status,
    /// Drop every table and re-apply all migrations (refused in staging/prod without --force).
    Fresh {
        #[arg(long)]
        force: bool,
    },
}

#[derive(Subcommand)]
enum ConfigAction {
    /// Print the resolved configuration with secrets masked; fail on invalid config.
    Check,
    /// List the variables the service reads.
    Vars,
}

/// mimalloc: the service allocates many small, short-lived objects per request (rows,
/// JSON values); glibc's malloc showed as a quarter of the CPU under load.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Exit code for configuration errors (sysexits EX_CONFIG).
const EX_CONFIG: u8 = 78;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Config { action: ConfigAction::Vars } = cli.command {
        for (name, help) in VARIABLES {
            println!("{name:<26} {help}");
        }
        return ExitCode::SUCCESS;
    }
    if let Command::Openapi = cli.command {
        // No configuration needed: only the session cookie's name depends on APP_ENV.
        let secure_cookies = std::env::var("APP_ENV").is_ok_and(|e| !e.is_empty() && e != "dev");
        println!("{}", sp_http::openapi_json(env!("CARGO_PKG_VERSION"), secure_cookies));
        return ExitCode::SUCCESS;
    }
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(EX_CONFIG);
        }
    };
    if let Command::Config { action: ConfigAction::Check } = cli.command {
        for (k, v) in config.describe() {
            println!("{k}={v}");
        }
        return ExitCode::SUCCESS;
    }
    // A server logs to stdout (collected by the platform); one-shot commands keep stdout
    // for their output and log to stderr.
    if matches!(cli.command, Command::Serve) {
        telemetry::init(config.log_format, &config.log_filter, std::io::stdout);
    } else {
        telemetry::init(config.log_format, &config.log_filter, std::io::stderr);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command, config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error.chain = format!("{e:#}"), "fatal");
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    match command {
        Command::Serve => {
            let app = Application::build(&config).await?;
            let url = format!("http://{}:{}", config.bind_addr, app.port());
            tracing::info!(%url, env = config.env.as_str(), "listening");
            println!("Student Palace is running at {url}  (health: {url}/healthz, API docs: {url}/docs)");
            app.run_until_stopped(shutdown_signal()).await
        }
        Command::Migrate { action } => {
            let db = open_database_for_migrations(&config).await?;
            match action {
                MigrateAction::Up => Migrator::up(&db, None).await.context("migrate up")?,
                MigrateAction::Down { steps } => Migrator::down(&db, Some(steps)).await.context("migrate down")?,
                MigrateAction::Fresh { force } => {
                    if config.env != AppEnv::Dev && !force {
                        anyhow::bail!(
                            "refusing to drop every table in APP_ENV={} without --force",
                            config.env.as_str()
                        );
                    }
                    Migrator::fresh(&db).await.context("migrate fresh")?;
                }
                MigrateAction::Status => {}
            }
            for m in Migrator::get_migration_with_status(&db).await.context("reading migration status")? {
                println!("{:<10} {}", m.status().to_string(), m.name());
            }
            db.close().await?;
            Ok(())
        }
        Command::Admin { action: AdminAction::Create { email, name } } => {
            let password = match std::env::var("ADMIN_PASSWORD") {
                Ok(p) if !p.is_empty() => p,
                _ => {
                    let mut line = String::new();
                    std::io::stdin().read_line(&mut line).context("reading the password from standard input")?;
                    line.trim_end_matches(['\r', '\n']).to_owned()
                }
            };
            let deps = open_dependencies(&config).await?;
            let ports = application::accounts::AccountPorts {
                users: deps.users.clone(),
                hasher: deps.hasher.clone(),
                clock: deps.clock.clone(),
                ids: deps.ids.clone(),
            };
            let result = application::accounts::CreateAdmin::new(ports).execute(&email, &name, &password).await;
            deps.db.close().await?;
            match result {
                Ok(user) => {
                    println!("admin created: {} ({})", user.email.as_str(), user.id);
                    Ok(())
                }
                Err(application::accounts::CreateAdminError::Invalid(v)) => {
                    anyhow::bail!("{}", v.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))
                }
                Err(e) => Err(anyhow::anyhow!(e)),
            }
        }
        Command::Seed { demo, listings, seed } => {
            anyhow::ensure!(demo, "say what to seed: --demo");
            anyhow::ensure!(
                config.env == AppEnv::Dev || std::env::var("ALLOW_DEMO_SEED").is_ok_and(|v| v == "1"),
                "refusing to load demo data into APP_ENV={} (set ALLOW_DEMO_SEED=1 for a load-test database)",
                config.env.as_str()
            );
            let deps = open_dependencies(&config).await?;
            let hash = bootstrap::startup::demo_password_hash(&deps).await?;
            let started = std::time::Instant::now();
            let s = bootstrap::demo::seed(&deps.demo_ports(hash), listings, seed).await?;
            println!(
                "seeded {} cities, {} new users, {} listings in {:.1}s (demo password {:?})",
                s.cities,
                s.users,
                s.listings,
                started.elapsed().as_secs_f64(),
                bootstrap::demo::DEMO_PASSWORD
            );
            deps.db.close().await?;
            Ok(())
        }
        Command::Config { .. } | Command::Openapi => {
            unreachable!("handled before the runtime starts")
        }
    }
}
