use application::RepositoryError;
use application::audit::{AuditEvent, AuditFilter};
use application::paging::{Page, PageRequest};
use application::ports::AuditLog;
use async_trait::async_trait;

use crate::store::{Shared, micros, page};

/// The audit trail of an [`InMemoryStore`](crate::InMemoryStore): the events its user,
/// listing and enquiry repositories wrote.
#[derive(Clone)]
pub struct InMemoryAuditLog {
    state: Shared,
}

impl InMemoryAuditLog {
    pub(crate) fn new(state: Shared) -> Self {
        Self { state }
    }
}

#[async_trait]
impl AuditLog for InMemoryAuditLog {
    async fn list(&self, filter: &AuditFilter, req: PageRequest) -> Result<Page<AuditEvent>, RepositoryError> {
        let rows: Vec<AuditEvent> = self
            .state
            .read()
            .audit
            .iter()
            .filter(|e| filter.actor_id.is_none_or(|a| e.actor_id == Some(a)))
            .filter(|e| filter.target_type.as_ref().is_none_or(|t| e.target_type == *t))
            .filter(|e| filter.target_id.as_ref().is_none_or(|t| e.target_id == *t))
            .cloned()
            .collect();
        Ok(page(rows, req, 0, true, |e| (micros(e.at), e.id)))
    }
}
