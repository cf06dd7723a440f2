use super::ModerationPorts;
use crate::audit::{AuditEvent, AuditFilter};
use crate::errors::storage_errors_are_unexpected;
use crate::listings::Viewer;
use crate::paging::{Page, PageRequest};

#[derive(Debug, thiserror::Error)]
pub enum ReadAuditTrailError {
    #[error("only admins read the audit trail")]
    NotAnAdmin,
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

storage_errors_are_unexpected!(ReadAuditTrailError);

/// `GET /admin/audit`: every audited change, newest first.
#[derive(Clone)]
pub struct ReadAuditTrail {
    p: ModerationPorts,
}

impl ReadAuditTrail {
    pub fn new(p: ModerationPorts) -> Self {
        Self { p }
    }

    #[tracing::instrument(name = "moderation.audit", skip_all)]
    pub async fn execute(
        &self,
        viewer: Viewer,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> Result<Page<AuditEvent>, ReadAuditTrailError> {
        if !viewer.is_admin() {
            return Err(ReadAuditTrailError::NotAnAdmin);
        }
        Ok(self.p.audit.list(filter, page).await?)
    }
}
