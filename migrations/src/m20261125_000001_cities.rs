//! Cities and their areas.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Cities {
    Table,
    Slug,
    Name,
    Active,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Areas {
    Table,
    CitySlug,
    Name,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Cities::Table)
                    .col(ColumnDef::new(Cities::Slug).string_len(40).not_null().primary_key())
                    .col(ColumnDef::new(Cities::Name).string_len(80).not_null().unique_key())
                    .col(ColumnDef::new(Cities::Active).boolean().not_null().default(true))
                    .col(
                        ColumnDef::new(Cities::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null()
                            .default(Expr::current_timestamp()),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Areas::Table)
                    .col(ColumnDef::new(Areas::CitySlug).string_len(40).not_null())
                    .col(ColumnDef::new(Areas::Name).string_len(80).not_null())
                    .primary_key(Index::create().col(Areas::CitySlug).col(Areas::Name))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_areas_city")
                            .from(Areas::Table, Areas::CitySlug)
                            .to(Cities::Table, Cities::Slug)
                            .on_delete(ForeignKeyAction::Cascade)
                            .on_update(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Areas::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Cities::Table).to_owned()).await?;
        Ok(())
    }
}
