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
/// whole acquire timeout, the cause chain holds [`Busy`], so the caller answers 503 with
/// `Retry-After` rather than 500.
pub(crate) fn unexpected(e: impl Into<anyhow::Error>) -> RepositoryError {
    let e: anyhow::Error = e.into();
    if matches!(e.downcast_ref::<DbErr>(), Some(DbErr::ConnectionAcquire(ConnAcquireErr::Timeout))) {
        let busy = Busy { what: "the database connection pool", retry_after_secs: POOL_RETRY_AFTER_SECS };
        return RepositoryError::Unexpected(anyhow::Error::new(busy).context(e.to_string()));
    }
    RepositoryError::Unexpected(e)
}
