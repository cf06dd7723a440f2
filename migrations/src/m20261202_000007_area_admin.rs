//! Areas become admin-kept data: `active` (a retired area stays for the listings in it
//! but is not offered any more) and one name per city ignoring case, enforced by the
//! database so that two admins adding "Hyde park" and "Hyde Park" at once cannot both
//! succeed.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Areas {
    Table,
    Active,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Areas::Table)
                    .add_column(ColumnDef::new(Areas::Active).boolean().not_null().default(true))
                    .to_owned(),
            )
            .await?;
        // Same statement on PostgreSQL and SQLite (both index expressions).
        manager
            .get_connection()
            .execute_unprepared("CREATE UNIQUE INDEX ux_areas_city_name_ci ON areas (city_slug, lower(name))")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared("DROP INDEX ux_areas_city_name_ci").await?;
        manager.alter_table(Table::alter().table(Areas::Table).drop_column(Areas::Active).to_owned()).await?;
        Ok(())
    }
}
