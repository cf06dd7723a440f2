//! Versions for conditional writes (`docs/architecture.md`, "Concurrency"): every write of
//! a listing or a user is `UPDATE ... WHERE id = ? AND version = ?` and bumps the version,
//! so a write based on a stale read changes nothing and is reported (`Stale`), never lost
//! silently. A listing's version is its `ETag`.
//!
//! `users.session_epoch` ends sessions: a session cookie carries the epoch it was issued
//! under and is refused once the user's epoch has moved on (sign-out, "sign out
//! everywhere", suspension).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Listings {
    Table,
    Version,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Version,
    SessionEpoch,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one at a time.
        let add = |table: DynIden, col: DynIden, default: i64| {
            Table::alter()
                .table(table)
                .add_column(ColumnDef::new(col).big_integer().not_null().default(default))
                .to_owned()
        };
        manager.alter_table(add(Listings::Table.into_iden(), Listings::Version.into_iden(), 1)).await?;
        manager.alter_table(add(Users::Table.into_iden(), Users::Version.into_iden(), 1)).await?;
        manager.alter_table(add(Users::Table.into_iden(), Users::SessionEpoch.into_iden(), 0)).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let drop = |table: DynIden, col: DynIden| Table::alter().table(table).drop_column(col).to_owned();
        manager.alter_table(drop(Users::Table.into_iden(), Users::SessionEpoch.into_iden())).await?;
        manager.alter_table(drop(Users::Table.into_iden(), Users::Version.into_iden())).await?;
        manager.alter_table(drop(Listings::Table.into_iden(), Listings::Version.into_iden())).await
    }
}
