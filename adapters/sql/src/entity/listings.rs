use sea_orm::entity::prelude::*;

/// A listing row. PostgreSQL also has `search_tsv` (generated; never read or written here).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "listings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub owner_id: Uuid,
    pub status: String,
    pub title: Option<String>,
    pub description: Option<String>,
    /// `domain::listing::excerpt(description)`, written with the listing (what cards show).
    pub excerpt: Option<String>,
    pub city: Option<String>,
    pub area: Option<String>,
    pub address_line: Option<String>,
    pub postcode: Option<String>,
    pub postcode_outward: Option<String>,
    pub property_type: Option<String>,
    pub bedrooms: Option<i16>,
    pub bathrooms: Option<i16>,
    pub ensuite_rooms: i16,
    pub rent_pppw_pence: Option<i64>,
    pub bills_included: bool,
    pub deposit_pence: Option<i64>,
    pub available_from: Option<Date>,
    pub academic_year: Option<i16>,
    pub tenancy_months: Option<i16>,
    pub tenancy_type: Option<String>,
    pub furnished: bool,
    pub features_mask: i64,
    pub hmo_licence: Option<String>,
    pub hmo_licence_expires: Option<Date>,
    pub epc_rating: Option<String>,
    pub searchable_until: Option<Date>,
    pub moderation_note: Option<String>,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
    pub published_at: Option<ChronoDateTimeUtc>,
    /// Bumped by every write; writes are conditional on it (the `ETag`).
    pub version: i64,
    pub max_occupants: Option<i16>,
    pub single_household: bool,
    pub epc_expires: Option<Date>,
    pub epc_exemption: Option<String>,
    pub council_tax: Option<String>,
    /// JSON array of `{utility, cap_pence_per_month?}` (`[]` when none).
    pub bills: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
