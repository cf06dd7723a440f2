//! Listings: one module per use case, each with its own error enum.
//!
//! | module | use case | endpoint |
//! | --- | --- | --- |
//! | `create` | [`CreateListing`] | `POST /listings` |
//! | `update` | [`UpdateListing`] | `PATCH /listings/{id}` |
//! | `publish` | [`PublishListing`] | `POST /listings/{id}/publish` |
//! | `archive` | [`ArchiveListing`] | `POST /listings/{id}/archive` |
//! | `mark_let` | [`MarkListingLet`] | `POST /listings/{id}/let` |
//! | `delete` | [`DeleteListing`] | `DELETE /listings/{id}` |
//! | `get` | [`GetListing`] | `GET /listings/{id}` |
//! | `search` | [`SearchListings`] | `GET /listings` |
//! | `mine` | [`MyListings`] | `GET /me/listings` |
//! | `cities` | [`CitiesWithCounts`] | `GET /cities` |
//! | `counters` | [`SiteCounters`] | `GET /stats` |
//! | `hmo_sweep` | [`HmoLicenceSweep`] | the daily `listing.hmo_licence_sweep` job |
//!
//! (Admins taking a listing down is `moderation::UnpublishListing`.)

mod archive;
mod cities;
mod counters;
mod create;
mod delete;
mod get;
mod hmo_sweep;
mod mark_let;
mod mine;
mod publish;
mod search;
mod update;

use std::sync::Arc;

pub use archive::{ArchiveListing, ArchiveListingError};
pub use cities::{CitiesWithCounts, CitiesWithCountsError};
pub use counters::{SiteCounters, SiteCountersError};
pub use create::{CreateListing, CreateListingError};
pub use delete::{DeleteListing, DeleteListingError};
use domain::listing::{Listing, ListingDetails, ListingId, ListingStatus};
use domain::{Role, UserId, ValidationError, Version};
pub use get::{GetListing, GetListingError, ListingView};
pub use hmo_sweep::{HMO_SWEEP, HmoLicenceSweep};
pub use mark_let::{MarkListingLet, MarkListingLetError};
pub use mine::{MyListings, MyListingsError};
pub use publish::{PublishListing, PublishListingError};
pub use search::{SearchListings, SearchListingsError};
pub use update::{UpdateListing, UpdateListingError};

use crate::RepositoryError;
use crate::audit::{AuditEvent, Origin};
use crate::ports::{CityRepository, Clock, IdGen, ListingRepository, Precondition};

/// Who is asking: an authenticated, non-suspended user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Viewer {
    pub id: UserId,
    pub role: Role,
}

impl Viewer {
    pub fn is_admin(self) -> bool {
        self.role == Role::Admin
    }

    /// Owner or admin: may see private fields and change the listing.
    pub fn manages(self, l: &Listing) -> bool {
        self.is_admin() || l.owner_id == self.id
    }
}

/// The ports listing use cases need.
#[derive(Clone)]
pub struct ListingPorts {
    pub listings: Arc<dyn ListingRepository>,
    pub cities: Arc<dyn CityRepository>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGen>,
    /// Replaced by every change the public can see (`cached::PublicVersion`).
    pub public: crate::cached::PublicVersion,
}

/// What the audit trail keeps of a listing.
pub fn summary(l: &Listing) -> serde_json::Value {
    let d = &l.details;
    serde_json::json!({
        "status": l.status.as_str(),
        "title": d.title.as_ref().map(|t| t.as_str()),
        "city": d.city.as_ref().map(|c| c.as_str()),
        "rent_pppw_pence": d.rent_pppw.map(domain::Pence::get),
        "deposit_pence": d.deposit.map(domain::Pence::get),
        "bedrooms": d.bedrooms,
        "epc_rating": d.epc_rating.map(|e| e.as_str()),
        "hmo_licence": d.hmo_licence.as_ref().map(|h| h.as_str()),
        "moderation_note": l.moderation_note,
    })
}

/// Why a listing the viewer wants to change could not be loaded.
#[derive(Debug)]
pub(crate) enum Denied {
    /// No such listing, or a draft of someone else (it does not exist for them).
    NotFound,
    /// Someone else's published, let or archived listing.
    Forbidden,
    /// The viewer's copy is old: the stored version is not the one they named.
    Stale,
    Storage(RepositoryError),
}

impl From<RepositoryError> for Denied {
    fn from(e: RepositoryError) -> Self {
        Denied::Storage(e)
    }
}

/// Implements `From<Denied>` (and, for the conditional write, `From<RepositoryError>`)
/// for use-case errors with `NotFound`, `Forbidden`, `Stale` and `Unexpected` cases.
macro_rules! denied_maps_to {
    ($($t:ty),+ $(,)?) => {$(
        impl From<$crate::listings::Denied> for $t {
            fn from(d: $crate::listings::Denied) -> Self {
                match d {
                    $crate::listings::Denied::NotFound => Self::NotFound,
                    $crate::listings::Denied::Forbidden => Self::Forbidden,
                    $crate::listings::Denied::Stale => Self::Stale,
                    $crate::listings::Denied::Storage(e) => e.into(),
                }
            }
        }
        $crate::errors::stale_writes_are_reported!($t);
    )+};
}
pub(crate) use denied_maps_to;

/// Loads a listing the viewer manages (owner or admin), at the version they name (the
/// `ETag` they sent as `If-Match`): a change is only ever applied to what its author saw.
pub(crate) async fn load_managed(
    p: &ListingPorts,
    viewer: Viewer,
    id: ListingId,
    expected: Version,
) -> Result<Listing, Denied> {
    let l = p.listings.find(id).await?.ok_or(Denied::NotFound)?;
    if !viewer.manages(&l) {
        return Err(if l.status == ListingStatus::Draft { Denied::NotFound } else { Denied::Forbidden });
    }
    if l.version != expected {
        return Err(Denied::Stale);
    }
    Ok(l)
}

/// Writes `after` (changed from `before`) only if the stored listing is still `before`
/// (version and status, in the statement); returns it at its new version.
pub(crate) async fn save(
    p: &ListingPorts,
    before: &Listing,
    mut after: Listing,
    audit: &AuditEvent,
) -> Result<Listing, RepositoryError> {
    after.version = before.version.next();
    p.listings.update(&after, Precondition::of(before), audit).await?;
    // A draft's edits are not public, but whether it was one before is the listing's
    // business: every saved change counts.
    p.public.changed().await;
    Ok(after)
}

/// A city or area the listing newly names (on create, or changed by a `PATCH`) must be
/// offered: the city exists and is active, the area is one of its active areas. The
/// area's spelling is normalised to the city's. A listing that keeps its city and area
/// is not checked again, so a deactivated city or a retired area never blocks its
/// owner's other edits.
pub(crate) async fn check_place(
    p: &ListingPorts,
    before: Option<&ListingDetails>,
    d: &mut ListingDetails,
) -> Result<Result<(), ValidationError>, RepositoryError> {
    if before.is_some_and(|b| b.city == d.city && b.area == d.area) {
        return Ok(Ok(()));
    }
    let Some(slug) = &d.city else { return Ok(Ok(())) };
    let Some(city) = p.cities.find(slug).await?.filter(|c| c.active) else {
        return Ok(Err(ValidationError::new("city", "is not a city we list in")));
    };
    if let Some(area) = &d.area {
        match city.area(area.as_str()).filter(|a| a.active) {
            Some(known) => d.area = Some(known.name.clone()),
            None => return Ok(Err(ValidationError::new("area", format!("is not an area of {}", city.name.as_str())))),
        }
    }
    Ok(Ok(()))
}

/// The audit event of a change to listing `id`.
pub(crate) fn audit_event(
    p: &ListingPorts,
    origin: &Origin,
    action: &str,
    before: Option<&Listing>,
    after: Option<&Listing>,
    id: ListingId,
) -> AuditEvent {
    AuditEvent::new(
        p.ids.new_id(),
        origin,
        action,
        ("listing", id.to_string()),
        before.map(summary),
        after.map(summary),
        p.clock.now(),
    )
}
