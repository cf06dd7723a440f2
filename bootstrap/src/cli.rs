//! The command line: `student-palace <command>`. `main` parses it, reads the
//! configuration and calls [`run`]; tests call [`run`] in-process with a config of their
//! own.

use anyhow::Context;
use clap::{Parser, Subcommand};
use migrations::{Migrator, MigratorTrait};

use crate::AppEnv;
use crate::config::Config;
use crate::startup::{Application, open_database_for_migrations, open_dependencies, shutdown_signal};

#[derive(Parser)]
#[command(name = "student-palace", version, about = "Student Palace: UK student accommodation service")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Serve HTTP (migrates and seeds automatically in dev; runs the job worker too when
    /// EMBEDDED_WORKER, the dev default).
    Serve,
    /// Run the job worker only (staging/prod: its own process, the same image).
    Worker,
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
    /// Object storage against the database.
    Media {
        #[command(subcommand)]
        action: MediaAction,
    },
    /// Load data.
    Seed {
        /// The shipped reference list of UK university cities and their student areas
        /// (every environment): creates the cities not stored yet, leaves stored ones as
        /// admins left them. Safe to run again.
        #[arg(long)]
        cities: bool,
        /// Demo data (dev; elsewhere only with ALLOW_DEMO_SEED=true, and then without the
        /// demo admin): cities and areas, demo accounts, landlords, published listings,
        /// each with a ready photo made by the image pipeline (in STORAGE_URL).
        #[arg(long, conflicts_with = "cities")]
        demo: bool,
        /// Leave the demo listings' photos out (otherwise about 100 KB of objects per
        /// listing are written to STORAGE_URL).
        #[arg(long, requires = "demo")]
        no_photos: bool,
        /// How many listings to add.
        #[arg(long, default_value_t = 500)]
        listings: usize,
        /// Random seed (same seed, same data).
        #[arg(long, default_value_t = 2026)]
        seed: u64,
    },
}

#[derive(Subcommand)]
pub enum MediaAction {
    /// Compare the bucket with the photos table: objects no photo names (older than an
    /// hour), photos whose original is gone, ready photos missing a variant. A dry run
    /// unless --apply, which deletes the orphans and the photos without an original.
    Reconcile {
        #[arg(long)]
        apply: bool,
    },
}

#[derive(Subcommand)]
pub enum AdminAction {
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
pub enum MigrateAction {
    /// Apply pending migrations.
    Up,
    /// Roll back migrations (default: the last one; refused in staging/prod without
    /// --force: rolling back drops columns and their data).
    Down {
        #[arg(long, default_value_t = 1)]
        steps: u32,
        #[arg(long)]
        force: bool,
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
pub enum ConfigAction {
    /// Print the resolved configuration with secrets masked; fail on invalid config.
    Check,
    /// List the variables the service reads.
    Vars,
}

/// Runs a command that needs the configuration (`config vars` and `openapi` do not).
pub async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    match command {
        Command::Serve => {
            let app = Application::build(&config).await?;
            let stop = shutdown_signal();
            let url = format!("http://{}:{}", config.bind_addr, app.port());
            tracing::info!(%url, env = config.env.as_str(), "listening");
            println!("Student Palace is running at {url}  (health: {url}/healthz, API docs: {url}/docs)");
            app.run_until_stopped(stop).await
        }
        Command::Worker => Box::pin(run_worker(config)).await,
        Command::Media { action: MediaAction::Reconcile { apply } } => {
            let deps = crate::startup::open_storage_dependencies(&config).await?;
            let r = application::photos::ReconcileMedia::new(deps.photo_ports()).execute(apply).await?;
            println!("objects in storage: {}, photo rows: {}", r.objects, r.rows);
            println!("orphaned objects (no photo names them): {}", r.orphan_objects.len());
            for k in &r.orphan_objects {
                println!("  {k}");
            }
            println!("photos whose original is missing: {}", r.missing_originals.len());
            for id in &r.missing_originals {
                println!("  {id}");
            }
            println!("ready photos missing a variant: {}", r.missing_variants.len());
            for id in &r.missing_variants {
                println!("  {id}");
            }
            match (r.is_clean(), apply) {
                (true, _) => println!("storage and rows agree"),
                (false, true) => println!("applied: orphans deleted, photos without an original removed"),
                (false, false) => println!("dry run: nothing changed (run with --apply to fix)"),
            }
            deps.db.close().await.context("closing the database pool")?;
            Ok(())
        }
        Command::Migrate { action } => {
            let db = open_database_for_migrations(&config).await?;
            match action {
                MigrateAction::Up => Migrator::up(&db, None).await.context("migrate up")?,
                MigrateAction::Down { steps, force } => {
                    destructive_needs_force(config.env, force, "roll back migrations")?;
                    Migrator::down(&db, Some(steps)).await.context("migrate down")?;
                }
                MigrateAction::Fresh { force } => {
                    destructive_needs_force(config.env, force, "drop every table")?;
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
            let ports = deps.account_ports();
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
        Command::Seed { cities: true, .. } => {
            let deps = open_dependencies(&config).await?;
            let loaded =
                application::cities::LoadCities::new(deps.city_ports()).execute(&crate::reference::cities()).await?;
            println!("cities: {} created, {} already present (left as they are)", loaded.created, loaded.present);
            deps.db.close().await?;
            Ok(())
        }
        Command::Seed { demo, listings, seed, no_photos, .. } => {
            anyhow::ensure!(demo, "say what to seed: --cities (reference data) or --demo");
            anyhow::ensure!(
                config.env == AppEnv::Dev || config.allow_demo_seed,
                "refusing to load demo data into APP_ENV={} (set ALLOW_DEMO_SEED=true for a load-test database)",
                config.env.as_str()
            );
            let deps = open_dependencies(&config).await?;
            let hash = crate::startup::demo_password_hash(&deps).await?;
            let started = std::time::Instant::now();
            let admin =
                if config.env == AppEnv::Dev { crate::demo::DemoAdmin::Include } else { crate::demo::DemoAdmin::Leave };
            let s = crate::demo::seed(&deps.demo_ports(hash), listings, seed, admin).await?;
            let writers = if config.is_sqlite() { 1 } else { 8.min(config.database_max_connections as usize) };
            let photos = if no_photos {
                0
            } else {
                // The photos' files go to the real storage (the other commands need none).
                let mut deps = deps.clone();
                deps.blobs = crate::startup::open_blobs(&config, &deps.media)?;
                crate::demo::seed_photos(&deps.photo_ports(), &s.listing_ids, writers).await?
            };
            println!(
                "seeded {} cities, {} new users, {} listings with {} photos in {:.1}s (demo password {:?})",
                s.cities,
                s.users,
                s.listings,
                photos,
                started.elapsed().as_secs_f64(),
                crate::demo::DEMO_PASSWORD
            );
            deps.db.close().await?;
            Ok(())
        }
        Command::Config { .. } | Command::Openapi => {
            unreachable!("handled before the runtime starts")
        }
    }
}

/// Commands that destroy data run in staging/prod only with `--force`.
fn destructive_needs_force(env: AppEnv, force: bool, what: &str) -> anyhow::Result<()> {
    anyhow::ensure!(env == AppEnv::Dev || force, "refusing to {what} in APP_ENV={} without --force", env.as_str());
    Ok(())
}

/// `student-palace worker`: the job worker alone, with its own `/metrics` on
/// `METRICS_PORT`. Boxed by the caller (its future is large).
async fn run_worker(config: Config) -> anyhow::Result<()> {
    // Bound (and the recorder installed) before the adapters register their series.
    let metrics = crate::startup::metrics_listener(&config).await?;
    let deps = crate::startup::open_storage_dependencies(&config).await?;
    let db = deps.db.clone();
    let worker = crate::worker::build(&deps, &config, crate::worker::mailer(&config)?);
    let (stopping, stopped) = tokio::sync::watch::channel(false);
    let sampler = metrics.as_ref().map(|_| crate::telemetry::spawn_sampler(db.clone(), None));
    let metrics = metrics.map(|(listener, endpoint)| {
        println!("metrics on http://{}/metrics", listener.local_addr().map_or_else(|_| "?".into(), |a| a.to_string()));
        crate::startup::serve_metrics(listener, endpoint, stopped, config.shutdown_grace)
    });
    let signal = shutdown_signal();
    let stop = async move {
        signal.await;
        let _ = stopping.send(true);
    };
    println!("Student Palace worker running ({} at once); SIGTERM stops it", config.worker_concurrency);
    let summary = worker.run(stop).await;
    drop(sampler);
    if let Some(m) = metrics {
        m.await.context("the metrics listener panicked")?.context("metrics listener failed")?;
    }
    tracing::info!(finished = summary.finished, released = summary.released, "worker stopped");
    db.close().await.context("closing the database pool")?;
    Ok(())
}
