//! Enquiries: students ask about published listings; owners reply or close. One module
//! per use case.
//!
//! | module | use case | endpoint |
//! | --- | --- | --- |
//! | `send` | [`SendEnquiry`] | `POST /listings/{id}/enquiries` |
//! | `set_status` | [`SetEnquiryStatus`] | `POST /enquiries/{id}/status` |
//! | `list` | [`MyEnquiries`] | `GET /me/enquiries` |
//! | `notify_owner` | [`NotifyOwner`] | the `enquiry.notify_owner` job |

mod list;
mod notify_owner;
mod send;
mod set_status;

use std::sync::Arc;

pub use list::{MyEnquiries, MyEnquiriesError};
pub use notify_owner::NotifyOwner;
pub use send::{NOTIFY_OWNER, SendEnquiry, SendEnquiryError};
pub use set_status::{SetEnquiryStatus, SetEnquiryStatusError};

use crate::listings::GetListing;
use crate::ports::{Clock, EnquiryRepository, IdGen};

/// The ports enquiry use cases need.
#[derive(Clone)]
pub struct EnquiryPorts {
    pub enquiries: Arc<dyn EnquiryRepository>,
    pub get_listing: GetListing,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGen>,
}
