//! Photo rows of an [`InMemoryStore`](crate::InMemoryStore): the SQL adapter's rules under
//! the store's one lock.

use application::RepositoryError;
use application::ports::{NewJob, PhotoRepository};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::listing::ListingId;
use domain::photo::{Photo, PhotoId, PhotoStatus};

use crate::store::{Shared, unexpected};

#[derive(Clone)]
pub struct InMemoryPhotoRepository {
    state: Shared,
}

impl InMemoryPhotoRepository {
    pub(crate) fn new(state: Shared) -> Self {
        Self { state }
    }
}

fn gallery(photos: &std::collections::HashMap<PhotoId, Photo>, listing: ListingId) -> Vec<Photo> {
    let mut v: Vec<Photo> = photos.values().filter(|p| p.listing_id == listing).cloned().collect();
    v.sort_by_key(|p| (p.position, p.id));
    v
}

#[async_trait]
impl PhotoRepository for InMemoryPhotoRepository {
    async fn insert(&self, photo: &Photo, max: usize, process: &NewJob) -> Result<Photo, RepositoryError> {
        let mut s = self.state.write();
        if !s.listings.contains_key(&photo.listing_id) {
            return Err(RepositoryError::Stale);
        }
        if s.photos.contains_key(&photo.id) || s.jobs.contains_key(&process.id) {
            return Err(RepositoryError::Conflict("a photo or job with this id exists".into()));
        }
        let existing = gallery(&s.photos, photo.listing_id);
        if existing.len() >= max {
            return Err(RepositoryError::Conflict("the listing has as many photos as allowed".into()));
        }
        let position = existing.iter().map(|p| p.position + 1).max().unwrap_or(0);
        let stored = Photo {
            status: PhotoStatus::Pending,
            position,
            width: None,
            height: None,
            reject_reason: None,
            updated_at: photo.created_at,
            ..photo.clone()
        };
        crate::jobs::insert_job(&mut s, process)?;
        s.photos.insert(photo.id, stored.clone());
        Ok(stored)
    }

    async fn find(&self, id: PhotoId) -> Result<Option<Photo>, RepositoryError> {
        Ok(self.state.read().photos.get(&id).cloned())
    }

    async fn list(&self, listing: ListingId) -> Result<Vec<Photo>, RepositoryError> {
        Ok(gallery(&self.state.read().photos, listing))
    }

    async fn covers(&self, listings: &[ListingId]) -> Result<Vec<Photo>, RepositoryError> {
        let s = self.state.read();
        Ok(listings
            .iter()
            .filter_map(|l| gallery(&s.photos, *l).into_iter().find(|p| p.status == PhotoStatus::Ready))
            .collect())
    }

    async fn mark_ready(&self, id: PhotoId, width: u32, height: u32, at: DateTime<Utc>) -> Result<(), RepositoryError> {
        let mut s = self.state.write();
        let p = s.photos.get_mut(&id).filter(|p| p.status == PhotoStatus::Pending).ok_or(RepositoryError::Stale)?;
        p.status = PhotoStatus::Ready;
        p.width = Some(width);
        p.height = Some(height);
        p.updated_at = at;
        Ok(())
    }

    async fn mark_rejected(&self, id: PhotoId, reason: &str, at: DateTime<Utc>) -> Result<(), RepositoryError> {
        let mut s = self.state.write();
        let p = s.photos.get_mut(&id).filter(|p| p.status == PhotoStatus::Pending).ok_or(RepositoryError::Stale)?;
        p.status = PhotoStatus::Rejected;
        p.reject_reason = Some(reason.chars().take(500).collect());
        p.updated_at = at;
        Ok(())
    }

    async fn reorder(&self, listing: ListingId, order: &[PhotoId], at: DateTime<Utc>) -> Result<(), RepositoryError> {
        let mut s = self.state.write();
        let mut have: Vec<PhotoId> = gallery(&s.photos, listing).iter().map(|p| p.id).collect();
        let mut want = order.to_vec();
        have.sort();
        want.sort();
        if have != want {
            return Err(RepositoryError::Conflict("the order must name each of the listing's photos once".into()));
        }
        for (position, id) in order.iter().enumerate() {
            let p = s.photos.get_mut(id).ok_or_else(|| unexpected(format!("photo {id} vanished")))?;
            p.position = u32::try_from(position).map_err(|e| unexpected(e.to_string()))?;
            p.updated_at = at;
        }
        Ok(())
    }

    async fn all(&self, after: Option<PhotoId>, limit: u32) -> Result<Vec<Photo>, RepositoryError> {
        let mut v: Vec<Photo> =
            self.state.read().photos.values().filter(|p| after.is_none_or(|a| p.id > a)).cloned().collect();
        v.sort_by_key(|p| p.id);
        v.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok(v)
    }

    async fn delete(&self, id: PhotoId) -> Result<Option<Photo>, RepositoryError> {
        let mut s = self.state.write();
        let Some(gone) = s.photos.remove(&id) else { return Ok(None) };
        for p in s.photos.values_mut().filter(|p| p.listing_id == gone.listing_id && p.position > gone.position) {
            p.position -= 1;
        }
        Ok(Some(gone))
    }
}
