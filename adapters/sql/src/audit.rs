use application::RepositoryError;
use application::audit::{AuditEvent, AuditFilter};
use application::paging::{Page, PageRequest};
use application::ports::AuditLog;
use async_trait::async_trait;
use domain::UserId;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::entity::audit_events::{self, Column};
use crate::error::map_db_err;
use crate::rows::{corrupt, newest_first, stored};

/// Writes the event on `db`: the repositories pass the transaction of the change it records.
pub(crate) async fn record<C: ConnectionTrait>(db: &C, ev: &AuditEvent) -> Result<(), RepositoryError> {
    let json = |v: &Option<serde_json::Value>| v.as_ref().map(serde_json::Value::to_string);
    let row = audit_events::ActiveModel {
        id: Set(ev.id),
        actor_id: Set(ev.actor_id.map(|a| a.0)),
        action: Set(ev.action.clone()),
        target_type: Set(ev.target_type.clone()),
        target_id: Set(ev.target_id.clone()),
        before: Set(json(&ev.before)),
        after: Set(json(&ev.after)),
        request_id: Set(ev.request_id.clone()),
        at: Set(stored(ev.at)),
    };
    audit_events::Entity::insert(row)
        .exec_without_returning(db)
        .await
        .map_err(|e| map_db_err(e, "an audit event with this id exists"))?;
    Ok(())
}

fn to_domain(m: audit_events::Model) -> Result<AuditEvent, RepositoryError> {
    let id = m.id;
    let json = |field: &str, v: Option<String>| {
        v.map(|s| serde_json::from_str(&s)).transpose().map_err(|e| corrupt("audit event", id, field, e))
    };
    Ok(AuditEvent {
        id: m.id,
        actor_id: m.actor_id.map(UserId),
        action: m.action,
        target_type: m.target_type,
        target_id: m.target_id,
        before: json("before", m.before)?,
        after: json("after", m.after)?,
        request_id: m.request_id,
        at: m.at,
    })
}

/// The audit trail on PostgreSQL or SQLite.
#[derive(Clone)]
pub struct SqlAuditLog {
    db: DatabaseConnection,
}

impl SqlAuditLog {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

#[async_trait]
impl AuditLog for SqlAuditLog {
    #[tracing::instrument(name = "db.audit.list", skip_all)]
    async fn list(&self, filter: &AuditFilter, page: PageRequest) -> Result<Page<AuditEvent>, RepositoryError> {
        crate::observe::op("audit.list", async move {
            let mut q = audit_events::Entity::find();
            if let Some(actor) = filter.actor_id {
                q = q.filter(Column::ActorId.eq(actor.0));
            }
            if let Some(t) = &filter.target_type {
                q = q.filter(Column::TargetType.eq(t.as_str()));
            }
            if let Some(t) = &filter.target_id {
                q = q.filter(Column::TargetId.eq(t.as_str()));
            }
            let rows = newest_first(&self.db, q, Column::At, Column::Id, page).await?;
            let events = rows.into_iter().map(to_domain).collect::<Result<Vec<_>, _>>()?;
            Ok(Page::from_rows(events, page.size, 0, |e| (e.at.timestamp_micros(), e.id)))
        })
        .await
    }
}
