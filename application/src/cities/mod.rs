//! Cities and their areas as admins keep them: reference data production needs, not
//! demo data. One module per use case; every admin use case refuses non-admins.
//!
//! | module | use case | entry point |
//! | --- | --- | --- |
//! | `all` | [`ListAllCities`] | `GET /admin/cities` |
//! | `create` | [`CreateCity`] | `POST /admin/cities` |
//! | `change` | [`ChangeCity`] | `PATCH /admin/cities/{slug}` |
//! | `add_area` | [`AddArea`] | `POST /admin/cities/{slug}/areas` |
//! | `change_area` | [`ChangeArea`] | `PATCH /admin/cities/{slug}/areas/{area}` |
//! | `load` | [`LoadCities`] | `student-palace seed --cities` |
//!
//! The public list (`GET /cities`) is `listings::CitiesWithCounts`; it is cached, so an
//! admin's change shows there within its TTL.
//!
//! Concurrency: every change sets only the fields it names, in one statement, so two
//! admins changing different fields at once both keep their change; names are unique in
//! the store (areas ignoring case), so of two concurrent creations of one name exactly
//! one succeeds and the other is `NameTaken`.

mod add_area;
mod all;
mod change;
mod change_area;
mod create;
mod load;

use std::sync::Arc;

pub use add_area::{AddArea, AddAreaError};
pub use all::{ListAllCities, ListAllCitiesError};
pub use change::{ChangeCity, ChangeCityError};
pub use change_area::{ChangeArea, ChangeAreaError};
pub use create::{CreateCity, CreateCityError, NewCity};
pub use load::{LoadCities, LoadCitiesError, Loaded};

use domain::{City, CitySlug};

use crate::audit::{AuditEvent, Origin};
use crate::ports::{CityRepository, Clock, IdGen};

/// The ports the city use cases need.
#[derive(Clone)]
pub struct CityPorts {
    pub cities: Arc<dyn CityRepository>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGen>,
    /// Cities and areas are public (and hide or show listings).
    pub public: crate::cached::PublicVersion,
}

/// What the audit trail records of a city.
pub fn summary(c: &City) -> serde_json::Value {
    serde_json::json!({
        "slug": c.slug.as_str(),
        "name": c.name.as_str(),
        "active": c.active,
        "areas": c.areas().iter().map(|a| serde_json::json!({"name": a.name.as_str(), "active": a.active})).collect::<Vec<_>>(),
    })
}

pub(crate) fn audit_event(
    p: &CityPorts,
    origin: &Origin,
    action: &str,
    slug: &CitySlug,
    before: Option<&City>,
    after: Option<&City>,
) -> AuditEvent {
    AuditEvent::new(
        p.ids.new_id(),
        origin,
        action,
        ("city", slug.to_string()),
        before.map(summary),
        after.map(summary),
        p.clock.now(),
    )
}

const ADMINS_ONLY: &str = "only admins manage cities";
