use application::RepositoryError;
use application::ports::Busy;
use sea_orm::{ConnAcquireErr, DbErr, SqlErr};

/// What a saturated pool tells clients to wait.
const POOL_RETRY_AFTER_SECS: u32 = 2;

/// Translates a driver error into the repository contract: unique violations become
/// `Conflict` with the caller's words, everything else [`unexpected`].
pub(crate) fn map_db_err(e: DbErr, conflict: &str) -> RepositoryError {
    match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => RepositoryError::Conflict(conflict.to_owned()),
        _ => unexpected(e),
    }
}

/// `Unexpected` with the cause kept. When every pooled connection stayed in use for the
/// whole acquire timeout, or the connection was lost (the server restarted or failed
/// over, an administrator or proxy ended the session), the cause chain holds [`Busy`],
/// so the caller answers 503 with `Retry-After` rather than 500: the pool drops a broken
/// connection and the retry gets a fresh one.
pub(crate) fn unexpected(e: impl Into<anyhow::Error>) -> RepositoryError {
    let e: anyhow::Error = e.into();
    if matches!(e.downcast_ref::<DbErr>(), Some(DbErr::ConnectionAcquire(ConnAcquireErr::Timeout))) {
        let busy = Busy { what: "the database connection pool", retry_after_secs: POOL_RETRY_AFTER_SECS };
        return RepositoryError::Unexpected(anyhow::Error::new(busy).context(e.to_string()));
    }
    if connection_lost(&e) {
        let busy = Busy { what: "the database connection (lost, reconnecting)", retry_after_secs: 1 };
        return RepositoryError::Unexpected(anyhow::Error::new(busy).context(format!("{e:#}")));
    }
    RepositoryError::Unexpected(e)
}

/// Whether the error says the connection itself is gone: an I/O error, or SQLSTATE class
/// 08 (connection exception) or 57P01–57P03 (administrator/crash shutdown, cannot
/// connect now).
fn connection_lost(e: &anyhow::Error) -> bool {
    let sqlx_error = |err: &DbErr| match err {
        DbErr::Conn(sea_orm::RuntimeErr::SqlxError(s))
        | DbErr::Exec(sea_orm::RuntimeErr::SqlxError(s))
        | DbErr::Query(sea_orm::RuntimeErr::SqlxError(s)) => Some(s.clone()),
        _ => None,
    };
    e.chain().filter_map(|c| c.downcast_ref::<DbErr>()).filter_map(sqlx_error).any(|s| match s.as_ref() {
        sea_orm::sqlx::Error::Io(_) => true,
        sea_orm::sqlx::Error::Database(d) => {
            d.code().is_some_and(|c| c.starts_with("08") || matches!(c.as_ref(), "57P01" | "57P02" | "57P03"))
        }
        _ => false,
    })
}
