use std::time::Duration;

use application::ports::HealthProbe;
use async_trait::async_trait;
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection};
use secrecy::{ExposeSecret, SecretString};

/// How to reach the database.
#[derive(Debug, Clone)]
pub struct DbConfig {
    /// `postgres://...` or `sqlite://path?mode=rwc`.
    pub url: SecretString,
    pub max_connections: u32,
    pub min_connections: u32,
    pub connect_timeout: Duration,
    pub acquire_timeout: Duration,
    /// The `pool` label of its metrics (`primary`, `replica`; `observe`).
    pub label: &'static str,
}

/// A pooled connection idle at least this long is pinged before it is handed out (the
/// usual way one dies: a server restart, a proxy or firewall dropping idle sockets).
/// Busy connections are not: a ping on every checkout is one more round trip per query.
pub const PING_IF_IDLE_FOR: Duration = Duration::from_secs(30);

/// PostgreSQL plans every execution of a prepared statement for its actual values.
///
/// By default (`auto`) a prepared statement switches to a generic plan, made without the
/// values, after five executions when that plan looks no costlier on average. For search
/// that guess is wrong in the ways that hurt: with `rent <= $3 AND bills_included = $4`
/// the generic plan walks the whole newest-first index (14 ms instead of under 1 ms), and
/// how common a free-text word is decides between an ordered index walk and sorting the
/// GIN matches. Measured on 100,000 listings (`docs/performance.md`): throughput about the
/// same, p95 from ~50 ms to ~30 ms. Planning costs ~0.2 ms per search; the statements stay
/// prepared (sqlx keeps 100 per connection, ~64 KB of server memory each), so parsing is
/// still done once per connection.
pub const PLAN_CACHE_MODE: &str = "force_custom_plan";

/// Opens a connection pool. SQLite files are opened with foreign keys on and in WAL mode
/// (sqlx's defaults for file databases).
pub async fn connect(cfg: &DbConfig) -> anyhow::Result<DatabaseConnection> {
    let mut db = Database::connect(options(cfg))
        .await
        .map_err(|e| anyhow::anyhow!(e).context("cannot connect to the database"))?;
    crate::observe::observe(&mut db, cfg.label);
    Ok(db)
}

/// A pool that connects on first use: for an optional database (a read replica) that
/// may be down when the service starts.
pub async fn connect_lazily(cfg: &DbConfig) -> anyhow::Result<DatabaseConnection> {
    let mut opts = options(cfg);
    opts.connect_lazy(true);
    let mut db =
        Database::connect(opts).await.map_err(|e| anyhow::anyhow!(e).context("cannot set up the database pool"))?;
    crate::observe::observe(&mut db, cfg.label);
    Ok(db)
}

fn options(cfg: &DbConfig) -> ConnectOptions {
    let mut opts = ConnectOptions::new(cfg.url.expose_secret().to_owned());
    opts.max_connections(cfg.max_connections)
        .min_connections(cfg.min_connections)
        .connect_timeout(cfg.connect_timeout)
        .acquire_timeout(cfg.acquire_timeout)
        .test_before_acquire_if_idle_for(PING_IF_IDLE_FOR)
        .map_sqlx_postgres_opts(|o| o.options([("plan_cache_mode", PLAN_CACHE_MODE)]))
        .sqlx_logging(false);
    opts
}

/// Readiness probe: one round trip (`SELECT 1`).
pub struct DatabaseHealth {
    db: DatabaseConnection,
    name: &'static str,
}

impl DatabaseHealth {
    /// The primary (`database` in `/healthz`).
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db, name: "database" }
    }

    /// Another database under its own name (`replica`).
    pub fn named(db: DatabaseConnection, name: &'static str) -> Self {
        Self { db, name }
    }
}

#[async_trait]
impl HealthProbe for DatabaseHealth {
    fn name(&self) -> &'static str {
        self.name
    }

    #[tracing::instrument(name = "db.health.check", skip_all)]
    async fn check(&self) -> anyhow::Result<()> {
        crate::observe::op("health.check", async move {
            self.db.execute_unprepared("SELECT 1").await?;
            Ok(())
        })
        .await
    }
}
