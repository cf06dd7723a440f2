//! One fresh database per test: a uniquely named PostgreSQL database (dropped when the
//! guard drops) or a SQLite file in a temporary folder.

use migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};

use crate::services;

pub struct TestDb {
    pub url: String,
    pub kind: Kind,
    _dir: Option<tempfile::TempDir>,
    /// Whether dropping this drops the database (false for [`TestDb::alias`]).
    owner: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Postgres,
    Sqlite,
}

impl TestDb {
    /// Creates `sp_test_<uuid>` on the test PostgreSQL server (not migrated).
    pub async fn postgres() -> Self {
        let admin_url = services::postgres_url();
        services::require("PostgreSQL", &admin_url);
        let name = format!("sp_test_{}", uuid::Uuid::new_v4().simple());
        let admin = Database::connect(&admin_url).await.expect("connect to the PostgreSQL admin database");
        admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await.expect("create test database");
        admin.close().await.ok();
        let mut url = url::Url::parse(&admin_url).expect("TEST_DATABASE_URL is a URL");
        url.set_path(&name);
        Self { url: url.to_string(), kind: Kind::Postgres, _dir: None, owner: true }
    }

    /// A SQLite file in a fresh temporary folder (not migrated).
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
        Self { url, kind: Kind::Sqlite, _dir: Some(dir), owner: true }
    }

    /// The same PostgreSQL database for a second instance of the service; dropping the
    /// alias leaves it to the original.
    #[must_use]
    pub fn alias(&self) -> Self {
        assert_eq!(self.kind, Kind::Postgres, "only a PostgreSQL database can be shared");
        Self { url: self.url.clone(), kind: Kind::Postgres, _dir: None, owner: false }
    }

    pub async fn connect(&self) -> DatabaseConnection {
        Database::connect(&self.url).await.expect("connect to the test database")
    }

    /// Connects and applies every migration.
    pub async fn migrated(&self) -> DatabaseConnection {
        let db = self.connect().await;
        Migrator::up(&db, None).await.expect("migrations apply");
        db
    }

    pub fn name(&self) -> Option<String> {
        (self.kind == Kind::Postgres).then(|| self.url.rsplit('/').next().unwrap_or_default().to_owned())
    }

    /// Drops the PostgreSQL database now, disconnecting anyone still on it.
    pub async fn drop_now(&self) {
        if let Some(name) = self.name()
            && let Ok(admin) = Database::connect(services::postgres_url()).await
        {
            let _ = admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await;
            admin.close().await.ok();
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if self.kind != Kind::Postgres || !self.owner {
            return;
        }
        // Drop runs outside any async context we can rely on: use a private runtime on a
        // plain thread so it works from both sync and async tests.
        let url = self.url.clone();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            rt.block_on(async move {
                let db = TestDb { url, kind: Kind::Postgres, _dir: None, owner: true };
                db.drop_now().await;
                std::mem::forget(db);
            });
        })
        .join();
    }
}
