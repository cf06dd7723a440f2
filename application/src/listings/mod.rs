//! Listings: create, edit, publish/let/archive, delete drafts, read, search, counters.

mod manage;
mod read;

use std::sync::Arc;

use domain::listing::{Listing, ListingError};
use domain::{Role, UserId, ValidationError};
pub use manage::{ChangeStatus, CreateListing, DeleteListing, StatusAction, UpdateListing};
pub use read::{CitiesWithCounts, GetListing, ListingView, MyListings, SearchListings, SiteCounters};

use crate::RepositoryError;
use crate::ports::{CityRepository, Clock, IdGen, ListingRepository};

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

#[derive(Debug, thiserror::Error)]
pub enum ListingsError {
    #[error("invalid input")]
    Invalid(Vec<ValidationError>),
    #[error("listing not found")]
    NotFound,
    #[error("not allowed")]
    Forbidden,
    /// An illegal transition or an incomplete listing, with the reason.
    #[error(transparent)]
    Conflict(ListingError),
    /// Another state conflict, with its reason for the client.
    #[error("{0}")]
    StateConflict(String),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<RepositoryError> for ListingsError {
    fn from(e: RepositoryError) -> Self {
        match e {
            RepositoryError::Conflict(m) => ListingsError::Unexpected(anyhow::anyhow!("unexpected conflict: {m}")),
            RepositoryError::Unexpected(e) => ListingsError::Unexpected(e),
        }
    }
}

impl From<ListingError> for ListingsError {
    fn from(e: ListingError) -> Self {
        match e {
            ListingError::Invalid(v) => ListingsError::Invalid(v),
            other => ListingsError::Conflict(other),
        }
    }
}

/// The ports listing use cases need.
#[derive(Clone)]
pub struct ListingPorts {
    pub listings: Arc<dyn ListingRepository>,
    pub cities: Arc<dyn CityRepository>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGen>,
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
