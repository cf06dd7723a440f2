use async_trait::async_trait;
use domain::{City, CitySlug};

use super::RepositoryError;

/// Which cities `CityRepository::list` returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CityFilter {
    /// Active cities only (what searchers are offered).
    #[default]
    Active,
    /// Every city, active or not.
    All,
}

/// Persistence of cities and their areas.
#[cfg_attr(any(test, feature = "testing"), mockall::automock)]
#[async_trait]
pub trait CityRepository: Send + Sync + 'static {
    /// Cities matching `filter`, ordered by name (then slug). Never fails for an empty store.
    /// Errors: `Unexpected` when the store fails.
    async fn list(&self, filter: CityFilter) -> Result<Vec<City>, RepositoryError>;

    /// The city with this slug, areas included, or `None`.
    /// Errors: `Unexpected` when the store fails.
    async fn find(&self, slug: &CitySlug) -> Result<Option<City>, RepositoryError>;

    /// Inserts the city, or updates name/active flag of the city with the same slug, and
    /// adds any of its areas not yet stored (areas are never removed here: listings point
    /// at them). Idempotent.
    /// Errors: `Conflict` when another city already has this name; `Unexpected` otherwise.
    async fn save(&self, city: &City) -> Result<(), RepositoryError>;
}
