use domain::enquiry::Enquiry;

use super::EnquiryPorts;
use crate::errors::storage_errors_are_unexpected;
use crate::listings::Viewer;
use crate::paging::{Page, PageRequest};
use crate::ports::EnquiryBox;

#[derive(Debug, thiserror::Error)]
pub enum MyEnquiriesError {
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

storage_errors_are_unexpected!(MyEnquiriesError);

/// `GET /me/enquiries`: the viewer's sent enquiries, or those about their listings.
#[derive(Clone)]
pub struct MyEnquiries {
    p: EnquiryPorts,
}

impl MyEnquiries {
    pub fn new(p: EnquiryPorts) -> Self {
        Self { p }
    }

    #[tracing::instrument(name = "enquiries.list", skip_all)]
    pub async fn execute(
        &self,
        viewer: Viewer,
        which: EnquiryBox,
        page: PageRequest,
    ) -> Result<Page<Enquiry>, MyEnquiriesError> {
        Ok(self.p.enquiries.list(viewer.id, which, page).await?)
    }
}
