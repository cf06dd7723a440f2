use std::sync::Arc;

use async_trait::async_trait;

use super::NOTIFY_OWNER;
use crate::jobs::{JobError, JobHandler, payload_id};
use crate::mail::EnquiryToOwner;
use crate::ports::{EnquiryRepository, Job, ListingRepository, MailError, Mailer, UserRepository};

/// The `enquiry.notify_owner` job: e-mails the listing's owner about a new enquiry.
///
/// The payload holds ids only (`enquiry_id`); names, the message and the address are read
/// when the job runs. A missing enquiry, owner or listing can never be notified: the job
/// is dead at once. A suspended owner is not e-mailed (done, nothing sent). The mail
/// server refusing the recipient is permanent; it being unreachable is retried.
///
/// Delivery is at least once: if a worker dies between the SMTP server accepting the
/// message and the job being marked done, the owner gets the e-mail twice.
#[derive(Clone)]
pub struct NotifyOwner {
    pub enquiries: Arc<dyn EnquiryRepository>,
    pub listings: Arc<dyn ListingRepository>,
    pub users: Arc<dyn UserRepository>,
    pub mailer: Arc<dyn Mailer>,
    /// The site's public URL (links in the e-mail), e.g. `https://student-palace.co.uk`.
    pub site_url: url::Url,
}

#[async_trait]
impl JobHandler for NotifyOwner {
    fn kind(&self) -> &'static str {
        NOTIFY_OWNER
    }

    async fn run(&self, job: &Job) -> Result<(), JobError> {
        let id = payload_id(job, "enquiry_id")?;
        let gone = |what: &str| JobError::Permanent(anyhow::anyhow!("{what} of enquiry {id} does not exist"));
        let enquiry = self
            .enquiries
            .find(domain::enquiry::EnquiryId(id))
            .await
            .map_err(JobError::retry)?
            .ok_or_else(|| gone("the enquiry"))?;
        let owner =
            self.users.find(enquiry.owner_id).await.map_err(JobError::retry)?.ok_or_else(|| gone("the owner"))?;
        if owner.suspended {
            tracing::info!(enquiry_id = %id, "owner suspended; no notification sent");
            return Ok(());
        }
        let student =
            self.users.find(enquiry.sender_id).await.map_err(JobError::retry)?.ok_or_else(|| gone("the sender"))?;
        let listing = self
            .listings
            .find(enquiry.listing_id)
            .await
            .map_err(JobError::retry)?
            .ok_or_else(|| gone("the listing"))?;
        let title = listing.details.title.as_ref().map_or("your listing", |t| t.as_str());
        let reply_url = self.site_url.join("me/enquiries?box=received").map_err(JobError::retry)?;
        let message = EnquiryToOwner {
            owner_name: owner.display_name.as_str(),
            student_name: student.display_name.as_str(),
            listing_title: title,
            message: enquiry.message.as_str(),
            viewing_dates: enquiry.viewing_dates.dates().iter().map(|d| d.format("%a %-d %B %Y").to_string()).collect(),
            reply_url: reply_url.as_str(),
        }
        .render(&owner.email)
        .map_err(|e| JobError::Permanent(e.into()))?;
        match self.mailer.send(&message).await {
            Ok(()) => {
                tracing::info!(enquiry_id = %id, "owner notified of an enquiry");
                Ok(())
            }
            Err(e @ MailError::Rejected(_)) => Err(JobError::Permanent(e.into())),
            Err(e @ MailError::Unavailable(_)) => Err(JobError::Retry(e.into())),
        }
    }
}
