use domain::ValidationError;
use domain::listing::{Listing, ListingDetails, ListingId, ListingPatch};

use super::{ListingPorts, ListingsError, Viewer, summary};
use crate::audit::{AuditEvent, Origin};

/// The city must exist and be active, and the area (if any) must be one of its areas.
/// Normalises the area's spelling to the city's.
async fn check_place(p: &ListingPorts, d: &mut ListingDetails) -> Result<(), ListingsError> {
    let Some(slug) = &d.city else { return Ok(()) };
    let city = p.cities.find(slug).await?;
    let Some(city) = city.filter(|c| c.active) else {
        return Err(ListingsError::Invalid(vec![ValidationError::new("city", "is not a city we list in")]));
    };
    if let Some(area) = &d.area {
        match city.area(area.as_str()) {
            Some(known) => d.area = Some(known.name.clone()),
            None => {
                return Err(ListingsError::Invalid(vec![ValidationError::new(
                    "area",
                    format!("is not an area of {}", city.name.as_str()),
                )]));
            }
        }
    }
    Ok(())
}

/// Loads a listing the viewer manages. Drafts of others are 404 (they do not exist for
/// them); other listings of others are 403.
async fn load_managed(p: &ListingPorts, viewer: Viewer, id: ListingId) -> Result<Listing, ListingsError> {
    let l = p.listings.find(id).await?.ok_or(ListingsError::NotFound)?;
    if viewer.manages(&l) {
        Ok(l)
    } else if l.status == domain::listing::ListingStatus::Draft {
        Err(ListingsError::NotFound)
    } else {
        Err(ListingsError::Forbidden)
    }
}

fn audit(
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

/// `POST /listings`: a landlord or agent starts a draft.
#[derive(Clone)]
pub struct CreateListing {
    ports: ListingPorts,
}

impl CreateListing {
    pub fn new(ports: ListingPorts) -> Self {
        Self { ports }
    }

    #[tracing::instrument(name = "listings.create", skip_all)]
    pub async fn execute(
        &self,
        viewer: Viewer,
        mut details: ListingDetails,
        origin: &Origin,
    ) -> Result<Listing, ListingsError> {
        if !viewer.role.can_list() {
            return Err(ListingsError::Forbidden);
        }
        check_place(&self.ports, &mut details).await?;
        let id = ListingId(self.ports.ids.new_id());
        let listing = Listing::draft(id, viewer.id, details, self.ports.clock.now())?;
        let ev = audit(&self.ports, origin, "listing.create", None, Some(&listing), id);
        self.ports.listings.insert(&listing, &ev).await?;
        Ok(listing)
    }
}

/// `PATCH /listings/{id}`.
#[derive(Clone)]
pub struct UpdateListing {
    ports: ListingPorts,
}

impl UpdateListing {
    pub fn new(ports: ListingPorts) -> Self {
        Self { ports }
    }

    #[tracing::instrument(name = "listings.update", skip_all, fields(listing_id = %id))]
    pub async fn execute(
        &self,
        viewer: Viewer,
        id: ListingId,
        patch: ListingPatch,
        origin: &Origin,
    ) -> Result<Listing, ListingsError> {
        let before = load_managed(&self.ports, viewer, id).await?;
        let mut after = before.clone();
        after.update(patch, self.ports.clock.now())?;
        check_place(&self.ports, &mut after.details).await?;
        let ev = audit(&self.ports, origin, "listing.update", Some(&before), Some(&after), id);
        self.ports.listings.update(&after, &ev).await?;
        Ok(after)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusAction {
    Publish,
    Archive,
    Let,
}

/// `POST /listings/{id}/publish|archive|let`.
#[derive(Clone)]
pub struct ChangeStatus {
    ports: ListingPorts,
}

impl ChangeStatus {
    pub fn new(ports: ListingPorts) -> Self {
        Self { ports }
    }

    #[tracing::instrument(name = "listings.change_status", skip_all, fields(listing_id = %id, action = ?action))]
    pub async fn execute(
        &self,
        viewer: Viewer,
        id: ListingId,
        action: StatusAction,
        origin: &Origin,
    ) -> Result<Listing, ListingsError> {
        let before = load_managed(&self.ports, viewer, id).await?;
        let mut after = before.clone();
        let now = self.ports.clock.now();
        let verb = match action {
            StatusAction::Publish => {
                after.publish(now)?;
                "listing.publish"
            }
            StatusAction::Archive => {
                after.archive(now)?;
                "listing.archive"
            }
            StatusAction::Let => {
                after.mark_let(now)?;
                "listing.let"
            }
        };
        let ev = audit(&self.ports, origin, verb, Some(&before), Some(&after), id);
        self.ports.listings.update(&after, &ev).await?;
        Ok(after)
    }

    /// Admin moderation: take a published listing down with a reason.
    #[tracing::instrument(name = "listings.unpublish", skip_all, fields(listing_id = %id))]
    pub async fn unpublish(
        &self,
        viewer: Viewer,
        id: ListingId,
        reason: &str,
        origin: &Origin,
    ) -> Result<Listing, ListingsError> {
        if !viewer.is_admin() {
            return Err(ListingsError::Forbidden);
        }
        let reason = reason.split_whitespace().collect::<Vec<_>>().join(" ");
        if reason.chars().count() < 5 || reason.chars().count() > 500 {
            return Err(ListingsError::Invalid(vec![ValidationError::new("reason", "must be 5 to 500 characters")]));
        }
        let before = self.ports.listings.find(id).await?.ok_or(ListingsError::NotFound)?;
        let mut after = before.clone();
        after.unpublish(reason, self.ports.clock.now())?;
        let ev = audit(&self.ports, origin, "listing.unpublish", Some(&before), Some(&after), id);
        self.ports.listings.update(&after, &ev).await?;
        Ok(after)
    }
}

/// `DELETE /listings/{id}`: drafts only; others are archived instead.
#[derive(Clone)]
pub struct DeleteListing {
    ports: ListingPorts,
}

impl DeleteListing {
    pub fn new(ports: ListingPorts) -> Self {
        Self { ports }
    }

    #[tracing::instrument(name = "listings.delete", skip_all, fields(listing_id = %id))]
    pub async fn execute(&self, viewer: Viewer, id: ListingId, origin: &Origin) -> Result<(), ListingsError> {
        let before = load_managed(&self.ports, viewer, id).await?;
        before.check_deletable()?;
        let ev = audit(&self.ports, origin, "listing.delete", Some(&before), None, id);
        self.ports.listings.delete(id, &ev).await?;
        Ok(())
    }
}
