use domain::listing::{Listing, ListingId, ListingStatus};
use domain::{ValidationError, Version};

use crate::audit::Origin;
use crate::errors::stale_writes_are_reported;
use crate::listings::{ListingPorts, Viewer, audit_event, save};

#[derive(Debug, thiserror::Error)]
pub enum UnpublishListingError {
    #[error("only admins moderate listings")]
    NotAnAdmin,
    /// The reason the owner will read (5–500 characters).
    #[error("invalid reason")]
    Invalid(Vec<ValidationError>),
    #[error("listing not found")]
    NotFound,
    /// Only published listings can be taken down.
    #[error("a {0} listing cannot be unpublished")]
    NotPublished(ListingStatus),
    /// The listing changed since the admin read it (`If-Match`), or meanwhile.
    #[error("the listing changed since it was read")]
    Stale,
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

stale_writes_are_reported!(UnpublishListingError);

/// `POST /admin/listings/{id}/unpublish`: an admin takes a published listing down with a
/// reason; it goes back to draft with the reason as its moderation note.
#[derive(Clone)]
pub struct UnpublishListing {
    ports: ListingPorts,
}

impl UnpublishListing {
    pub const MIN_REASON: usize = 5;
    pub const MAX_REASON: usize = 500;

    pub fn new(ports: ListingPorts) -> Self {
        Self { ports }
    }

    #[tracing::instrument(name = "moderation.unpublish", skip_all, fields(listing_id = %id))]
    pub async fn execute(
        &self,
        viewer: Viewer,
        id: ListingId,
        if_match: Version,
        reason: &str,
        origin: &Origin,
    ) -> Result<Listing, UnpublishListingError> {
        if !viewer.is_admin() {
            return Err(UnpublishListingError::NotAnAdmin);
        }
        let reason = reason.split_whitespace().collect::<Vec<_>>().join(" ");
        if !(Self::MIN_REASON..=Self::MAX_REASON).contains(&reason.chars().count()) {
            return Err(UnpublishListingError::Invalid(vec![ValidationError::new(
                "reason",
                format!("must be {} to {} characters", Self::MIN_REASON, Self::MAX_REASON),
            )]));
        }
        let before = self.ports.listings.find(id).await?.ok_or(UnpublishListingError::NotFound)?;
        if before.version != if_match {
            return Err(UnpublishListingError::Stale);
        }
        let mut after = before.clone();
        after
            .unpublish(reason, self.ports.clock.now())
            .map_err(|_| UnpublishListingError::NotPublished(before.status))?;
        let ev = audit_event(&self.ports, origin, "listing.unpublish", Some(&before), Some(&after), id);
        Ok(save(&self.ports, &before, after, &ev).await?)
    }
}
