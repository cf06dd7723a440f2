use application::RepositoryError;
use application::audit::AuditEvent;
use application::paging::{Page, PageRequest};
use application::ports::{UserFilter, UserRepository};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::{DisplayName, Email, PasswordHash, Role, User, UserId, Version};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, TransactionTrait,
};

use crate::audit::record;
use crate::entity::users::{self, Column};
use crate::error::map_db_err;
use crate::rows::{contains, corrupt, newest_first, read_version, stored, stored_version};

const EMAIL_TAKEN: &str = "an account with this e-mail address exists";

/// User accounts on PostgreSQL or SQLite.
#[derive(Clone)]
pub struct SqlUserRepository {
    db: DatabaseConnection,
}

impl SqlUserRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

fn to_row(u: &User) -> Result<users::ActiveModel, RepositoryError> {
    Ok(users::ActiveModel {
        id: Set(u.id.0),
        email: Set(u.email.as_str().to_owned()),
        password_hash: Set(u.password_hash.0.clone()),
        display_name: Set(u.display_name.as_str().to_owned()),
        role: Set(u.role.as_str().to_owned()),
        email_verified: Set(u.email_verified),
        suspended: Set(u.suspended),
        created_at: Set(stored(u.created_at)),
        updated_at: Set(stored(u.updated_at)),
        version: Set(stored_version(u.version)?),
        session_epoch: Set(i64::try_from(u.session_epoch).map_err(crate::error::unexpected)?),
    })
}

pub(crate) fn to_domain(m: users::Model) -> Result<User, RepositoryError> {
    let bad = |field: &str, e: domain::ValidationError| corrupt("user", m.id, field, e);
    Ok(User {
        id: UserId(m.id),
        email: Email::parse(&m.email).map_err(|e| bad("email", e))?,
        display_name: DisplayName::parse(&m.display_name).map_err(|e| bad("display_name", e))?,
        role: Role::parse(&m.role).map_err(|e| bad("role", e))?,
        password_hash: PasswordHash(m.password_hash),
        email_verified: m.email_verified,
        suspended: m.suspended,
        created_at: m.created_at,
        updated_at: m.updated_at,
        version: read_version("user", m.id, m.version)?,
        session_epoch: u64::try_from(m.session_epoch).map_err(|e| corrupt("user", m.id, "session_epoch", e))?,
    })
}

#[async_trait]
impl UserRepository for SqlUserRepository {
    #[tracing::instrument(name = "db.users.insert", skip_all)]
    async fn insert(&self, user: &User, audit: &AuditEvent) -> Result<(), RepositoryError> {
        crate::observe::op("users.insert", async move {
            let txn = self.db.begin().await.map_err(crate::error::unexpected)?;
            users::Entity::insert(to_row(user)?)
                .exec_without_returning(&txn)
                .await
                .map_err(|e| map_db_err(e, EMAIL_TAKEN))?;
            record(&txn, audit).await?;
            txn.commit().await.map_err(crate::error::unexpected)
        })
        .await
    }

    #[tracing::instrument(name = "db.users.update", skip_all)]
    async fn update(&self, user: &User, expected: Version, audit: &AuditEvent) -> Result<(), RepositoryError> {
        crate::observe::op("users.update", async move {
            // The mutable fields only: id, e-mail and created_at stay as stored.
            let changes = users::ActiveModel { id: NotSet, email: NotSet, created_at: NotSet, ..to_row(user)? };
            let txn = self.db.begin().await.map_err(crate::error::unexpected)?;
            let res = users::Entity::update_many()
                .set(changes)
                .filter(Column::Id.eq(user.id.0))
                .filter(Column::Version.eq(stored_version(expected)?))
                .exec(&txn)
                .await
                .map_err(crate::error::unexpected)?;
            if res.rows_affected == 0 {
                return Err(RepositoryError::Stale);
            }
            record(&txn, audit).await?;
            txn.commit().await.map_err(crate::error::unexpected)
        })
        .await
    }

    #[tracing::instrument(name = "db.users.end_sessions", skip_all)]
    async fn end_sessions(&self, id: UserId, at: DateTime<Utc>, audit: &AuditEvent) -> Result<u64, RepositoryError> {
        crate::observe::op("users.end_sessions", async move {
            let txn = self.db.begin().await.map_err(crate::error::unexpected)?;
            let res = users::Entity::update_many()
                .col_expr(Column::SessionEpoch, Expr::col(Column::SessionEpoch).add(1))
                .col_expr(Column::Version, Expr::col(Column::Version).add(1))
                .col_expr(Column::UpdatedAt, Expr::value(stored(at)))
                .filter(Column::Id.eq(id.0))
                .exec(&txn)
                .await
                .map_err(crate::error::unexpected)?;
            if res.rows_affected == 0 {
                return Err(RepositoryError::Stale);
            }
            // Read in the same transaction: the epoch this call made (the row is locked).
            let row = users::Entity::find_by_id(id.0)
                .one(&txn)
                .await
                .map_err(crate::error::unexpected)?
                .ok_or(RepositoryError::Stale)?;
            record(&txn, audit).await?;
            txn.commit().await.map_err(crate::error::unexpected)?;
            u64::try_from(row.session_epoch).map_err(|e| corrupt("user", id.0, "session_epoch", e))
        })
        .await
    }

    #[tracing::instrument(name = "db.users.find", skip_all)]
    async fn find(&self, id: UserId) -> Result<Option<User>, RepositoryError> {
        crate::observe::op("users.find", async move {
            let row = users::Entity::find_by_id(id.0).one(&self.db).await.map_err(crate::error::unexpected)?;
            row.map(to_domain).transpose()
        })
        .await
    }

    #[tracing::instrument(name = "db.users.find_by_email", skip_all)]
    async fn find_by_email(&self, email: &Email) -> Result<Option<User>, RepositoryError> {
        crate::observe::op("users.find_by_email", async move {
            let row = users::Entity::find()
                .filter(Column::Email.eq(email.as_str()))
                .one(&self.db)
                .await
                .map_err(crate::error::unexpected)?;
            row.map(to_domain).transpose()
        })
        .await
    }

    #[tracing::instrument(name = "db.users.list", skip_all)]
    async fn list(&self, filter: &UserFilter, page: PageRequest) -> Result<Page<User>, RepositoryError> {
        crate::observe::op("users.list", async move {
            let mut q = users::Entity::find();
            if let Some(role) = filter.role {
                q = q.filter(Column::Role.eq(role.as_str()));
            }
            if let Some(needle) = &filter.email_contains {
                // E-mails are stored lowercase: lowering the needle makes this case-insensitive.
                q = q.filter(Expr::col((users::Entity, Column::Email)).like(contains(&needle.to_lowercase())));
            }
            let rows = newest_first(&self.db, q, Column::CreatedAt, Column::Id, page).await?;
            let users = rows.into_iter().map(to_domain).collect::<Result<Vec<_>, _>>()?;
            Ok(Page::from_rows(users, page.size, 0, |u| (u.created_at.timestamp_micros(), u.id.0)))
        })
        .await
    }
}
