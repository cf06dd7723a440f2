use async_trait::async_trait;
use domain::{AreaName, City, CityName, CitySlug};

use super::RepositoryError;
use crate::audit::AuditEvent;

/// Which cities `CityRepository::list` returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CityFilter {
    /// Active cities only (what searchers are offered).
    #[default]
    Active,
    /// Every city, active or not.
    All,
}

/// A change to a city: only the fields that are `Some` change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CityChange {
    pub name: Option<CityName>,
    pub active: Option<bool>,
}

impl CityChange {
    /// The change applied to a city value (what the store will hold).
    pub fn apply(&self, city: &mut City) {
        if let Some(n) = &self.name {
            city.name = n.clone();
        }
        if let Some(a) = self.active {
            city.active = a;
        }
    }
}

/// A change to an area: only the fields that are `Some` change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AreaChange {
    pub name: Option<AreaName>,
    pub active: Option<bool>,
}

impl AreaChange {
    /// The change applied to area `current` of a city value; `false` when the city has
    /// no such area or another area has the new name.
    pub fn apply(&self, city: &mut City, current: &AreaName) -> bool {
        city.change_area(current.as_str(), self.name.as_ref(), self.active)
    }
}

/// Persistence of cities and their areas. Every write stores its audit event in the
/// same transaction, and sets only what it names in one statement (no read-modify-write):
/// two concurrent changes of different fields both stay. City names are unique; area
/// names are unique within their city ignoring case. Cities and areas are never deleted
/// (listings refer to them): they are deactivated.
#[cfg_attr(any(test, feature = "testing"), mockall::automock)]
#[async_trait]
pub trait CityRepository: Send + Sync + 'static {
    /// Cities matching `filter`, ordered by name (then slug), areas by name. Never fails
    /// for an empty store.
    /// Errors: `Unexpected` when the store fails.
    async fn list(&self, filter: CityFilter) -> Result<Vec<City>, RepositoryError>;

    /// The city with this slug, areas included (retired ones too), or `None`.
    /// Errors: `Unexpected` when the store fails.
    async fn find(&self, slug: &CitySlug) -> Result<Option<City>, RepositoryError>;

    /// Stores a new city with its areas.
    /// Errors: `Conflict` when a city with this slug or this name exists (nothing is
    /// written); `Unexpected` otherwise.
    async fn create(&self, city: &City, audit: &AuditEvent) -> Result<(), RepositoryError>;

    /// Sets the fields `change` names on city `slug`. Returns the city as stored after
    /// the change, or `None` (nothing written) when there is no such city.
    /// Errors: `Conflict` when another city has the new name; `Unexpected` otherwise.
    async fn change(
        &self,
        slug: &CitySlug,
        change: &CityChange,
        audit: &AuditEvent,
    ) -> Result<Option<City>, RepositoryError>;

    /// Adds an active area to city `slug`. Returns the city after, or `None` when there
    /// is no such city.
    /// Errors: `Conflict` when the city has an area of this name in any case (retired
    /// ones included); `Unexpected` otherwise.
    async fn add_area(
        &self,
        slug: &CitySlug,
        name: &AreaName,
        audit: &AuditEvent,
    ) -> Result<Option<City>, RepositoryError>;

    /// Sets the fields `change` names on area `current` (its stored name) of city
    /// `slug`. Renaming also moves the city's listings in the area to the new name in the
    /// same transaction, each to its next version (so a version read before is stale).
    /// Returns the city after, or `None` when there is no such city or area.
    /// Errors: `Conflict` when the city has another area of the new name (any case);
    /// `Unexpected` otherwise.
    async fn change_area(
        &self,
        slug: &CitySlug,
        current: &AreaName,
        change: &AreaChange,
        audit: &AuditEvent,
    ) -> Result<Option<City>, RepositoryError>;
}
