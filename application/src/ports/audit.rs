use async_trait::async_trait;

use super::RepositoryError;
use crate::audit::{AuditEvent, AuditFilter};
use crate::paging::{Page, PageRequest};

/// Reading the audit trail (events are written by the other repositories, inside the
/// transaction of the change they record).
#[cfg_attr(any(test, feature = "testing"), mockall::automock)]
#[async_trait]
pub trait AuditLog: Send + Sync + 'static {
    /// Events matching the filter, newest first.
    async fn list(&self, filter: &AuditFilter, page: PageRequest) -> Result<Page<AuditEvent>, RepositoryError>;
}
