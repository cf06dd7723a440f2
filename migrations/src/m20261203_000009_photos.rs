//! Photos of listings: one row per upload (the files live in object storage under
//! `listings/{listing_id}/{photo_id}/`). Deleting a listing (a never-published draft)
//! deletes its photo rows; their files are left for `media reconcile`, which reports
//! them daily and removes them with `--apply`.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Photos {
    Table,
    Id,
    ListingId,
    Status,
    Position,
    ContentType,
    Bytes,
    Width,
    Height,
    RejectReason,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Listings {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let at = |c: Photos| ColumnDef::new(c).timestamp_with_time_zone().not_null().to_owned();
        manager
            .create_table(
                Table::create()
                    .table(Photos::Table)
                    .col(ColumnDef::new(Photos::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Photos::ListingId).uuid().not_null())
                    .col(ColumnDef::new(Photos::Status).string_len(16).not_null())
                    .col(ColumnDef::new(Photos::Position).integer().not_null())
                    .col(ColumnDef::new(Photos::ContentType).string_len(32).not_null())
                    .col(ColumnDef::new(Photos::Bytes).big_integer().not_null())
                    .col(ColumnDef::new(Photos::Width).integer().null())
                    .col(ColumnDef::new(Photos::Height).integer().null())
                    .col(ColumnDef::new(Photos::RejectReason).text().null())
                    .col(at(Photos::CreatedAt))
                    .col(at(Photos::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Photos::Table, Photos::ListingId)
                            .to(Listings::Table, Listings::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .check(Expr::cust("status IN ('pending', 'ready', 'rejected')"))
                    .check(Expr::cust("position >= 0 AND bytes >= 0"))
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared("CREATE INDEX ix_photos_listing_position ON photos (listing_id, position, id)")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Photos::Table).to_owned()).await
    }
}
