//! The core of the service: users, listings (with search), shortlists, enquiries, the
//! transactional outbox and the audit trail.
//!
//! Tables, foreign keys and CHECK constraints are written once with the schema builder
//! and run on both databases. Indexes are plain SQL per backend: PostgreSQL gets partial
//! indexes over published listings (what search reads), a generated `tsvector` column and
//! its GIN index; SQLite (the embedded dev database) gets plain equivalents and searches
//! free text with `LIKE`. `docs/search.md` explains which query uses which index.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Cities {
    Table,
    Slug,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Email,
    PasswordHash,
    DisplayName,
    Role,
    EmailVerified,
    Suspended,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Listings {
    Table,
    Id,
    OwnerId,
    Status,
    Title,
    Description,
    City,
    Area,
    AddressLine,
    Postcode,
    PostcodeOutward,
    PropertyType,
    Bedrooms,
    Bathrooms,
    EnsuiteRooms,
    RentPppwPence,
    BillsIncluded,
    DepositPence,
    AvailableFrom,
    AcademicYear,
    TenancyMonths,
    TenancyType,
    Furnished,
    FeaturesMask,
    HmoLicence,
    HmoLicenceExpires,
    EpcRating,
    SearchableUntil,
    ModerationNote,
    CreatedAt,
    UpdatedAt,
    PublishedAt,
}

#[derive(DeriveIden)]
enum Shortlists {
    Table,
    UserId,
    ListingId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Enquiries {
    Table,
    Id,
    ListingId,
    SenderId,
    OwnerId,
    Message,
    ViewingDates,
    Status,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Id,
    Kind,
    Payload,
    CreatedAt,
    ProcessedAt,
    Attempts,
    LastError,
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Id,
    ActorId,
    Action,
    TargetType,
    TargetId,
    Before,
    After,
    RequestId,
    At,
}

/// A named CHECK constraint written in SQL both databases understand.
fn check(name: &'static str, sql: &'static str) -> Check {
    Check::named(Alias::new(name), Expr::cust(sql))
}

fn ts(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).timestamp_with_time_zone().not_null().to_owned()
}

fn ts_null(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).timestamp_with_time_zone().null().to_owned()
}

fn fk(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
) -> ForeignKeyCreateStatement {
    ForeignKey::create().name(name).from(from.0, from.1).to(to.0, to.1).to_owned()
}

/// Indexes shared by both databases (names are global in both).
const COMMON_INDEXES: &[&str] = &[
    "CREATE INDEX ix_users_role_created ON users (role, created_at DESC, id DESC)",
    "CREATE INDEX ix_users_created ON users (created_at DESC, id DESC)",
    // /me/listings: the owner's listings in any status, newest first.
    "CREATE INDEX ix_listings_owner_created ON listings (owner_id, created_at DESC, id DESC)",
    "CREATE INDEX ix_shortlists_user_created ON shortlists (user_id, created_at DESC, listing_id DESC)",
    // Deleting a listing cascades to its shortlist entries and enquiries.
    "CREATE INDEX ix_shortlists_listing ON shortlists (listing_id)",
    "CREATE INDEX ix_enquiries_sender_created ON enquiries (sender_id, created_at DESC, id DESC)",
    "CREATE INDEX ix_enquiries_owner_created ON enquiries (owner_id, created_at DESC, id DESC)",
    "CREATE INDEX ix_enquiries_listing ON enquiries (listing_id)",
    "CREATE INDEX ix_outbox_pending ON outbox (processed_at, created_at, id)",
    "CREATE INDEX ix_audit_at ON audit_events (at DESC, id DESC)",
    "CREATE INDEX ix_audit_actor_at ON audit_events (actor_id, at DESC, id DESC)",
    "CREATE INDEX ix_audit_target_at ON audit_events (target_type, target_id, at DESC, id DESC)",
];

/// Search on PostgreSQL: every search filters `status = 'published'` (a literal in the
/// query, so these partial indexes apply), then orders by one of the sorts. Each index
/// INCLUDEs every column a filter reads, so the search's id-picking step and its count
/// are index-only scans: filtering thousands of candidates touches no heap page, and only
/// the page's rows are fetched (see `docs/search.md`).
const POSTGRES_SEARCH: &[&str] = &[
    "ALTER TABLE listings ADD COLUMN search_tsv tsvector GENERATED ALWAYS AS \
     (to_tsvector('english', coalesce(title, '') || ' ' || coalesce(description, '') || ' ' || coalesce(area, ''))) \
     STORED",
    "CREATE INDEX ix_listings_pub_newest ON listings (published_at DESC, id DESC) INCLUDE (city, owner_id, area, rent_pppw_pence, bedrooms, ensuite_rooms, property_type, bills_included, furnished, available_from, academic_year, features_mask, searchable_until) \
     WHERE status = 'published'",
    "CREATE INDEX ix_listings_pub_city_newest ON listings (city, published_at DESC, id DESC) INCLUDE (owner_id, area, rent_pppw_pence, bedrooms, ensuite_rooms, property_type, bills_included, furnished, available_from, academic_year, features_mask, searchable_until) \
     WHERE status = 'published'",
    "CREATE INDEX ix_listings_pub_rent ON listings (rent_pppw_pence, id) INCLUDE (city, owner_id, area, bedrooms, ensuite_rooms, property_type, bills_included, furnished, available_from, academic_year, features_mask, searchable_until) \
     WHERE status = 'published'",
    "CREATE INDEX ix_listings_pub_city_rent ON listings (city, rent_pppw_pence, id) INCLUDE (owner_id, area, bedrooms, ensuite_rooms, property_type, bills_included, furnished, available_from, academic_year, features_mask, searchable_until) \
     WHERE status = 'published'",
    "CREATE INDEX ix_listings_pub_bedrooms ON listings (bedrooms DESC, id DESC) INCLUDE (city, owner_id, area, rent_pppw_pence, ensuite_rooms, property_type, bills_included, furnished, available_from, academic_year, features_mask, searchable_until) \
     WHERE status = 'published'",
    "CREATE INDEX ix_listings_pub_text ON listings USING GIN (search_tsv) WHERE status = 'published'",
];

/// The same orderings on SQLite, as plain indexes led by the status.
const SQLITE_SEARCH: &[&str] = &[
    "CREATE INDEX ix_listings_pub_newest ON listings (status, published_at DESC, id DESC)",
    "CREATE INDEX ix_listings_pub_city_newest ON listings (city, status, published_at DESC, id DESC)",
    "CREATE INDEX ix_listings_pub_rent ON listings (status, rent_pppw_pence, id)",
    "CREATE INDEX ix_listings_pub_city_rent ON listings (city, status, rent_pppw_pence, id)",
    "CREATE INDEX ix_listings_pub_bedrooms ON listings (status, bedrooms DESC, id DESC)",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(ColumnDef::new(Users::Id).uuid().not_null().primary_key())
                    // Stored normalised (trimmed, lowercase) by the domain: unique is
                    // case-insensitive uniqueness.
                    .col(ColumnDef::new(Users::Email).string_len(254).not_null().unique_key())
                    .col(ColumnDef::new(Users::PasswordHash).text().not_null())
                    .col(ColumnDef::new(Users::DisplayName).string_len(60).not_null())
                    .col(ColumnDef::new(Users::Role).string_len(16).not_null())
                    .col(ColumnDef::new(Users::EmailVerified).boolean().not_null().default(false))
                    .col(ColumnDef::new(Users::Suspended).boolean().not_null().default(false))
                    .col(ts(Users::CreatedAt))
                    .col(ts(Users::UpdatedAt))
                    .check(check("ck_users_role", "role IN ('student', 'landlord', 'agent', 'admin')"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Listings::Table)
                    .col(ColumnDef::new(Listings::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Listings::OwnerId).uuid().not_null())
                    .col(ColumnDef::new(Listings::Status).string_len(16).not_null())
                    .col(ColumnDef::new(Listings::Title).string_len(120).null())
                    .col(ColumnDef::new(Listings::Description).text().null())
                    .col(ColumnDef::new(Listings::City).string_len(40).null())
                    .col(ColumnDef::new(Listings::Area).string_len(80).null())
                    .col(ColumnDef::new(Listings::AddressLine).string_len(200).null())
                    .col(ColumnDef::new(Listings::Postcode).string_len(8).null())
                    .col(ColumnDef::new(Listings::PostcodeOutward).string_len(4).null())
                    .col(ColumnDef::new(Listings::PropertyType).string_len(16).null())
                    .col(ColumnDef::new(Listings::Bedrooms).small_integer().null())
                    .col(ColumnDef::new(Listings::Bathrooms).small_integer().null())
                    .col(ColumnDef::new(Listings::EnsuiteRooms).small_integer().not_null().default(0))
                    .col(ColumnDef::new(Listings::RentPppwPence).big_integer().null())
                    .col(ColumnDef::new(Listings::BillsIncluded).boolean().not_null().default(false))
                    .col(ColumnDef::new(Listings::DepositPence).big_integer().null())
                    .col(ColumnDef::new(Listings::AvailableFrom).date().null())
                    // The academic year's first calendar year (2027 for 2027/28).
                    .col(ColumnDef::new(Listings::AcademicYear).small_integer().null())
                    .col(ColumnDef::new(Listings::TenancyMonths).small_integer().null())
                    .col(ColumnDef::new(Listings::TenancyType).string_len(16).null())
                    .col(ColumnDef::new(Listings::Furnished).boolean().not_null().default(false))
                    // `domain::listing::Features::mask()`: bit i = `Feature::ALL[i]`.
                    .col(ColumnDef::new(Listings::FeaturesMask).big_integer().not_null().default(0))
                    .col(ColumnDef::new(Listings::HmoLicence).string_len(50).null())
                    .col(ColumnDef::new(Listings::HmoLicenceExpires).date().null())
                    .col(ColumnDef::new(Listings::EpcRating).char_len(1).null())
                    // `ListingDetails::searchable_until()`: NULL = no date limits search.
                    .col(ColumnDef::new(Listings::SearchableUntil).date().null())
                    .col(ColumnDef::new(Listings::ModerationNote).text().null())
                    .col(ts(Listings::CreatedAt))
                    .col(ts(Listings::UpdatedAt))
                    .col(ts_null(Listings::PublishedAt))
                    .foreign_key(&mut fk(
                        "fk_listings_owner",
                        (Listings::Table, Listings::OwnerId),
                        (Users::Table, Users::Id),
                    ))
                    .foreign_key(
                        fk("fk_listings_city", (Listings::Table, Listings::City), (Cities::Table, Cities::Slug))
                            .on_update(ForeignKeyAction::Cascade),
                    )
                    // A safety net under the domain's rules, not a substitute for them.
                    .check(check("ck_listings_status", "status IN ('draft', 'published', 'let', 'archived')"))
                    .check(check(
                        "ck_listings_property_type",
                        "property_type IN ('house', 'flat', 'studio', 'room', 'hall')",
                    ))
                    .check(check("ck_listings_tenancy_type", "tenancy_type IN ('periodic', 'fixed')"))
                    .check(check("ck_listings_epc", "epc_rating IN ('A', 'B', 'C', 'D', 'E', 'F', 'G')"))
                    .check(check("ck_listings_bedrooms", "bedrooms BETWEEN 1 AND 20"))
                    .check(check("ck_listings_bathrooms", "bathrooms BETWEEN 1 AND 20"))
                    .check(check(
                        "ck_listings_ensuite",
                        "ensuite_rooms BETWEEN 0 AND 20 AND (bedrooms IS NULL OR ensuite_rooms <= bedrooms)",
                    ))
                    .check(check("ck_listings_tenancy_months", "tenancy_months BETWEEN 1 AND 24"))
                    .check(check("ck_listings_rent", "rent_pppw_pence BETWEEN 0 AND 200000"))
                    .check(check("ck_listings_deposit", "deposit_pence BETWEEN 0 AND 5000000"))
                    .check(check("ck_listings_academic_year", "academic_year BETWEEN 2000 AND 2098"))
                    .check(check("ck_listings_features", "features_mask >= 0"))
                    // Keyset pagination of search relies on these being present.
                    .check(check(
                        "ck_listings_published_complete",
                        "status <> 'published' OR (published_at IS NOT NULL AND rent_pppw_pence IS NOT NULL \
                         AND bedrooms IS NOT NULL)",
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Shortlists::Table)
                    .col(ColumnDef::new(Shortlists::UserId).uuid().not_null())
                    .col(ColumnDef::new(Shortlists::ListingId).uuid().not_null())
                    .col(ts(Shortlists::CreatedAt))
                    .primary_key(Index::create().col(Shortlists::UserId).col(Shortlists::ListingId))
                    .foreign_key(
                        fk("fk_shortlists_user", (Shortlists::Table, Shortlists::UserId), (Users::Table, Users::Id))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        fk(
                            "fk_shortlists_listing",
                            (Shortlists::Table, Shortlists::ListingId),
                            (Listings::Table, Listings::Id),
                        )
                        .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Enquiries::Table)
                    .col(ColumnDef::new(Enquiries::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Enquiries::ListingId).uuid().not_null())
                    .col(ColumnDef::new(Enquiries::SenderId).uuid().not_null())
                    .col(ColumnDef::new(Enquiries::OwnerId).uuid().not_null())
                    .col(ColumnDef::new(Enquiries::Message).text().not_null())
                    // A JSON array of ISO dates (`["2026-12-01"]`), portable to SQLite.
                    .col(ColumnDef::new(Enquiries::ViewingDates).text().not_null().default("[]"))
                    .col(ColumnDef::new(Enquiries::Status).string_len(16).not_null())
                    .col(ts(Enquiries::CreatedAt))
                    .col(ts(Enquiries::UpdatedAt))
                    // Only drafts can be deleted, but a listing taken back to draft by a
                    // moderator may have enquiries: they go with it.
                    .foreign_key(
                        fk(
                            "fk_enquiries_listing",
                            (Enquiries::Table, Enquiries::ListingId),
                            (Listings::Table, Listings::Id),
                        )
                        .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(&mut fk(
                        "fk_enquiries_sender",
                        (Enquiries::Table, Enquiries::SenderId),
                        (Users::Table, Users::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_enquiries_owner",
                        (Enquiries::Table, Enquiries::OwnerId),
                        (Users::Table, Users::Id),
                    ))
                    .check(check("ck_enquiries_status", "status IN ('new', 'replied', 'closed')"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Outbox::Table)
                    .col(ColumnDef::new(Outbox::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Outbox::Kind).string_len(64).not_null())
                    // JSON text: what the handler needs (ids only).
                    .col(ColumnDef::new(Outbox::Payload).text().not_null())
                    .col(ts(Outbox::CreatedAt))
                    .col(ts_null(Outbox::ProcessedAt))
                    .col(ColumnDef::new(Outbox::Attempts).integer().not_null().default(0))
                    .col(ColumnDef::new(Outbox::LastError).text().null())
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AuditEvents::Table)
                    .col(ColumnDef::new(AuditEvents::Id).uuid().not_null().primary_key())
                    // No foreign key: the trail outlives the accounts it mentions.
                    .col(ColumnDef::new(AuditEvents::ActorId).uuid().null())
                    .col(ColumnDef::new(AuditEvents::Action).string_len(64).not_null())
                    .col(ColumnDef::new(AuditEvents::TargetType).string_len(32).not_null())
                    .col(ColumnDef::new(AuditEvents::TargetId).string_len(64).not_null())
                    // JSON text summaries; NULL when there is no before/after.
                    .col(ColumnDef::new(AuditEvents::Before).text().null())
                    .col(ColumnDef::new(AuditEvents::After).text().null())
                    .col(ColumnDef::new(AuditEvents::RequestId).string_len(128).null())
                    .col(ts(AuditEvents::At))
                    .to_owned(),
            )
            .await?;

        let db = manager.get_connection();
        let search = match manager.get_database_backend() {
            DatabaseBackend::Postgres => POSTGRES_SEARCH,
            _ => SQLITE_SEARCH,
        };
        for sql in COMMON_INDEXES.iter().chain(search) {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Indexes and the generated column go with their tables.
        for table in [
            AuditEvents::Table.into_iden(),
            Outbox::Table.into_iden(),
            Enquiries::Table.into_iden(),
            Shortlists::Table.into_iden(),
            Listings::Table.into_iden(),
            Users::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
