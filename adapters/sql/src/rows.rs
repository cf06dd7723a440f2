//! What the repositories share: timestamp precision, keyset conditions, LIKE patterns and
//! the error for a stored value the domain refuses.

use std::fmt::Display;

use application::RepositoryError;
use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, IntoColumnRef, LikeExpr, Value};
use uuid::Uuid;

/// Timestamps are stored with microsecond precision on both databases. PostgreSQL drops
/// the nanoseconds itself; SQLite stores text, so it is truncated here first and a value
/// reads back exactly as it would from PostgreSQL.
pub(crate) fn stored(t: DateTime<Utc>) -> DateTime<Utc> {
    t.trunc_subsecs(6)
}

/// The first and last instants a cursor may name (years 0001 to 9999), so a forged
/// cursor can neither overflow the conversion nor leave the range both databases store
/// (and SQLite compares as text).
const MIN_MICROS: i64 = -62_135_596_800_000_000;
const MAX_MICROS: i64 = 253_402_300_799_999_999;

/// The timestamp a cursor key (microseconds since the epoch) stands for.
pub(crate) fn ts_of_key(key: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(key.clamp(MIN_MICROS, MAX_MICROS)).unwrap_or_default()
}

/// `(a, b) < (key, id)`: the rows after the cursor in a `(a DESC, b DESC)` ordering.
pub(crate) fn before<A, B>(a: A, b: B, key: impl Into<Value>, id: Uuid) -> Expr
where
    A: IntoColumnRef,
    B: IntoColumnRef,
{
    Expr::tuple([Expr::col(a), Expr::col(b)]).lt(Expr::tuple([Expr::val(key), Expr::val(id)]))
}

/// `(a, b) > (key, id)`: the rows after the cursor in a `(a ASC, b ASC)` ordering.
pub(crate) fn after<A, B>(a: A, b: B, key: impl Into<Value>, id: Uuid) -> Expr
where
    A: IntoColumnRef,
    B: IntoColumnRef,
{
    Expr::tuple([Expr::col(a), Expr::col(b)]).gt(Expr::tuple([Expr::val(key), Expr::val(id)]))
}

/// One page of a newest-first list: the rows after the cursor in `(time DESC, id DESC)`
/// order, `size + 1` of them (the extra one only proves there is a next page, see
/// `Page::from_rows`). Cursor keys are `time` in microseconds.
pub(crate) async fn newest_first<E>(
    db: &sea_orm::DatabaseConnection,
    mut q: sea_orm::Select<E>,
    time: E::Column,
    id: E::Column,
    page: application::paging::PageRequest,
) -> Result<Vec<E::Model>, RepositoryError>
where
    E: sea_orm::EntityTrait,
{
    use sea_orm::{QueryFilter, QueryOrder, QuerySelect};
    if let Some(c) = page.after {
        q = q.filter(before((E::default(), time), (E::default(), id), ts_of_key(c.key), c.id));
    }
    q.order_by_desc(time).order_by_desc(id).limit(page.fetch_limit()).all(db).await.map_err(crate::error::unexpected)
}

/// A LIKE pattern matching `needle` anywhere, with `\` escaping its `%`, `_` and `\`.
pub(crate) fn contains(needle: &str) -> LikeExpr {
    let mut p = String::with_capacity(needle.len() + 2);
    p.push('%');
    for c in needle.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    LikeExpr::new(p).escape('\\')
}

/// A stored row the domain refuses: data written around the application, or a rule that
/// tightened since. Never a panic; the message names the row and field, not the value.
pub(crate) fn corrupt(table: &str, id: impl Display, field: &str, why: impl Display) -> RepositoryError {
    crate::error::unexpected(anyhow::anyhow!("stored {table} {id} has an invalid {field}: {why}"))
}

/// A version as stored (BIGINT).
pub(crate) fn stored_version(v: domain::Version) -> Result<i64, RepositoryError> {
    i64::try_from(v.0).map_err(crate::error::unexpected)
}

/// A stored version back.
pub(crate) fn read_version(kind: &str, id: uuid::Uuid, v: i64) -> Result<domain::Version, RepositoryError> {
    u64::try_from(v).map(domain::Version).map_err(|e| corrupt(kind, id, "version", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_keys_are_clamped_to_storable_instants() {
        assert_eq!(ts_of_key(i64::MAX).timestamp_micros(), MAX_MICROS);
        assert_eq!(ts_of_key(i64::MIN).timestamp_micros(), MIN_MICROS);
        assert_eq!(ts_of_key(1_700_000_000_123_456).timestamp_micros(), 1_700_000_000_123_456);
        assert_eq!(ts_of_key(MIN_MICROS).format("%Y").to_string(), "0001");
        assert_eq!(ts_of_key(MAX_MICROS).format("%Y").to_string(), "9999");
    }

    #[test]
    fn stored_timestamps_keep_microseconds() {
        let t = DateTime::from_timestamp(1_700_000_000, 123_456_789).unwrap();
        assert_eq!(stored(t).timestamp_subsec_nanos(), 123_456_000);
    }
}
