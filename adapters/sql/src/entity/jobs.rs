use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "jobs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kind: String,
    /// JSON text.
    pub payload: String,
    pub status: String,
    pub run_at: ChronoDateTimeUtc,
    pub attempts: i32,
    pub max_attempts: i32,
    pub lease_id: Option<Uuid>,
    pub lease_until: Option<ChronoDateTimeUtc>,
    pub last_error: Option<String>,
    pub dedupe_key: Option<String>,
    pub trace_context: Option<String>,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
