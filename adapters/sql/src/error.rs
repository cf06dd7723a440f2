use application::RepositoryError;
use sea_orm::{DbErr, SqlErr};

/// Translates a driver error into the repository contract: unique violations become
/// `Conflict` with the caller's words, everything else `Unexpected` with the cause kept.
pub(crate) fn map_db_err(e: DbErr, conflict: &str) -> RepositoryError {
    match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => RepositoryError::Conflict(conflict.to_owned()),
        _ => RepositoryError::unexpected(e),
    }
}
