//! The worker tier's durable queue: `jobs` replaces the enquiry outbox. Pending outbox
//! messages move into it as queued jobs (their attempts and last error kept); delivered
//! ones are history and are not carried over.
//!
//! `status` is one of queued | running | done | dead (CHECK). A claim sets `lease_id`
//! and `lease_until`; every later change of the job is conditional on `lease_id`.
//! `dedupe_key` is unique: a scheduled job is enqueued by every worker under one key per
//! slot and stored once. Workers find due jobs through `ix_jobs_due`.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Jobs {
    Table,
    Id,
    Kind,
    Payload,
    Status,
    RunAt,
    Attempts,
    MaxAttempts,
    LeaseId,
    LeaseUntil,
    LastError,
    DedupeKey,
    CreatedAt,
    UpdatedAt,
}

fn at(col: Jobs) -> ColumnDef {
    ColumnDef::new(col).timestamp_with_time_zone().not_null().to_owned()
}

const INDEXES: &[&str] = &[
    "CREATE INDEX ix_jobs_due ON jobs (status, run_at, id)",
    "CREATE INDEX ix_jobs_status_updated ON jobs (status, updated_at DESC, id DESC)",
    "CREATE INDEX ix_jobs_updated ON jobs (updated_at DESC, id DESC)",
];

const MOVE_OUTBOX: &str = "INSERT INTO jobs (id, kind, payload, status, run_at, attempts, max_attempts, last_error, created_at, updated_at) \
     SELECT id, kind, payload, 'queued', created_at, 0, 10 + attempts, last_error, created_at, created_at \
     FROM outbox WHERE processed_at IS NULL";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Jobs::Table)
                    .col(ColumnDef::new(Jobs::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Jobs::Kind).string_len(64).not_null())
                    // JSON text: ids only, never personal data.
                    .col(ColumnDef::new(Jobs::Payload).text().not_null())
                    .col(ColumnDef::new(Jobs::Status).string_len(16).not_null())
                    .col(at(Jobs::RunAt))
                    .col(ColumnDef::new(Jobs::Attempts).integer().not_null().default(0))
                    .col(ColumnDef::new(Jobs::MaxAttempts).integer().not_null())
                    .col(ColumnDef::new(Jobs::LeaseId).uuid().null())
                    .col(ColumnDef::new(Jobs::LeaseUntil).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(Jobs::LastError).text().null())
                    .col(ColumnDef::new(Jobs::DedupeKey).string_len(200).null().unique_key())
                    .col(at(Jobs::CreatedAt))
                    .col(at(Jobs::UpdatedAt))
                    .check(Expr::cust("status IN ('queued', 'running', 'done', 'dead')"))
                    .check(Expr::cust("attempts >= 0 AND max_attempts >= 1"))
                    .check(Expr::cust("(status = 'running') = (lease_id IS NOT NULL AND lease_until IS NOT NULL)"))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        for sql in INDEXES {
            db.execute_unprepared(sql).await?;
        }
        db.execute_unprepared(MOVE_OUTBOX).await?;
        manager.drop_table(Table::drop().table(Alias::new("outbox")).to_owned()).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let col = |n: &str| ColumnDef::new(Alias::new(n));
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("outbox"))
                    .col(col("id").uuid().not_null().primary_key())
                    .col(col("kind").string_len(64).not_null())
                    .col(col("payload").text().not_null())
                    .col(col("created_at").timestamp_with_time_zone().not_null())
                    .col(col("processed_at").timestamp_with_time_zone().null())
                    .col(col("attempts").integer().not_null().default(0))
                    .col(col("last_error").text().null())
                    .to_owned(),
            )
            .await?;
        db.execute_unprepared("CREATE INDEX ix_outbox_pending ON outbox (processed_at, created_at, id)").await?;
        // Jobs not yet done go back as pending messages; the rest is history.
        db.execute_unprepared(
            "INSERT INTO outbox (id, kind, payload, created_at, processed_at, attempts, last_error) \
             SELECT id, kind, payload, created_at, NULL, attempts, last_error FROM jobs \
             WHERE kind = 'enquiry.notify_owner' AND status <> 'done'",
        )
        .await?;
        manager.drop_table(Table::drop().table(Jobs::Table).to_owned()).await?;
        Ok(())
    }
}
