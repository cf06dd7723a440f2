//! Search results are cards (`docs/api.md`): a card shows the first 200 characters of the
//! description, and a search must not read whole descriptions to cut them. `excerpt` is
//! written with the listing (`sp_sql::listings::to_row`, from `domain::listing::excerpt`);
//! this migration adds the column and fills it for the listings that exist.
//!
//! The backfill carries its own copy of the excerpt rule as it was when this migration
//! was written: a migration must give the same result whenever it runs, whatever the
//! domain's rule becomes later. `tests/tests/migrations.rs` checks that the two agree
//! today.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement, Value};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Listings {
    Table,
    Excerpt,
}

const EXCERPT_MAX_CHARS: usize = 200;

/// `domain::listing::excerpt` as of 2026-12-01.
pub fn excerpt(description: &str) -> String {
    let words: Vec<&str> = description.split_whitespace().collect();
    let full_len = words.iter().map(|w| w.chars().count()).sum::<usize>() + words.len().saturating_sub(1);
    if full_len <= EXCERPT_MAX_CHARS {
        return words.join(" ");
    }
    let budget = EXCERPT_MAX_CHARS - 1;
    let mut out = String::new();
    let mut used = 0;
    for w in &words {
        let n = w.chars().count();
        let sep = usize::from(!out.is_empty());
        if used + sep + n > budget {
            if out.is_empty() {
                out.extend(w.chars().take(budget));
            }
            break;
        }
        if sep == 1 {
            out.push(' ');
        }
        out.push_str(w);
        used += sep + n;
    }
    while out.ends_with([',', ';', ':', '-', '\u{2013}', '\u{2014}']) {
        out.pop();
    }
    out.push('\u{2026}');
    out
}

/// Rows read per backfill round (keyset on the primary key).
const BATCH: u64 = 1_000;

async fn backfill(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let backend = manager.get_database_backend();
    let mut after: Option<Value> = None;
    loop {
        let (sql, values) = match &after {
            None => (
                format!("SELECT id, description FROM listings WHERE description IS NOT NULL ORDER BY id LIMIT {BATCH}"),
                vec![],
            ),
            Some(last) => (
                format!(
                    "SELECT id, description FROM listings WHERE description IS NOT NULL AND id > {} ORDER BY id LIMIT {BATCH}",
                    if backend == sea_orm_migration::sea_orm::DatabaseBackend::Postgres { "$1" } else { "?" }
                ),
                vec![last.clone()],
            ),
        };
        let rows = db.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
        if rows.is_empty() {
            return Ok(());
        }
        let update = if backend == sea_orm_migration::sea_orm::DatabaseBackend::Postgres {
            "UPDATE listings SET excerpt = $1 WHERE id = $2"
        } else {
            "UPDATE listings SET excerpt = ? WHERE id = ?"
        };
        for row in &rows {
            let id: sea_orm_migration::sea_orm::prelude::Uuid = row.try_get("", "id")?;
            let description: String = row.try_get("", "description")?;
            db.execute_raw(Statement::from_sql_and_values(backend, update, [excerpt(&description).into(), id.into()]))
                .await?;
            after = Some(id.into());
        }
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Listings::Table)
                    .add_column(ColumnDef::new(Listings::Excerpt).text().null())
                    .to_owned(),
            )
            .await?;
        backfill(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table(Listings::Table).drop_column(Listings::Excerpt).to_owned()).await
    }
}
