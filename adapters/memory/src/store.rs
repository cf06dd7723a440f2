//! One in-memory store behind every repository port, like one database behind the SQL
//! repositories: audit events written by the user, listing and enquiry repositories are
//! read through the audit log, search sees whether owners are suspended, deleting a
//! listing removes its shortlist entries.
//!
//! Each method takes the lock once, checks everything it needs, and only then changes
//! the state, so a failed call changes nothing (the transactions of the SQL adapter).
//! References are checked like the SQL schema's foreign keys (a listing's owner and city,
//! a shortlist entry's user and listing, an enquiry's people and listing), and ids are
//! unique, so tests against memory catch what the database would refuse.

use std::collections::HashMap;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use application::RepositoryError;
use application::audit::AuditEvent;
use application::paging::{Page, PageRequest};
use application::ports::Job;
use chrono::{DateTime, Utc};
use domain::enquiry::{Enquiry, EnquiryId};
use domain::listing::{Listing, ListingId};
use domain::{User, UserId};
use uuid::Uuid;

use crate::InMemoryCityRepository;
use crate::audit::InMemoryAuditLog;
use crate::enquiries::InMemoryEnquiryRepository;
use crate::jobs::InMemoryJobQueue;
use crate::listings::InMemoryListingRepository;
use crate::photos::InMemoryPhotoRepository;
use crate::shortlist::InMemoryShortlistRepository;
use crate::users::InMemoryUserRepository;

#[derive(Default)]
pub(crate) struct State {
    pub users: HashMap<UserId, User>,
    pub listings: HashMap<ListingId, Listing>,
    /// When each (user, listing) pair was saved.
    pub shortlist: HashMap<(UserId, ListingId), DateTime<Utc>>,
    pub enquiries: HashMap<EnquiryId, Enquiry>,
    /// The job queue (enquiry notifications are stored here with their enquiry).
    pub jobs: HashMap<Uuid, Job>,
    pub photos: HashMap<domain::photo::PhotoId, domain::photo::Photo>,
    pub audit: Vec<AuditEvent>,
}

impl State {
    /// Refuses an audit event whose id is taken (the id is the table's primary key).
    pub fn check_event(&self, ev: &AuditEvent) -> Result<(), RepositoryError> {
        if self.audit.iter().any(|e| e.id == ev.id) {
            return Err(unexpected(format!("audit event {} exists already", ev.id)));
        }
        Ok(())
    }

    pub fn check_user(&self, id: UserId, what: &str) -> Result<(), RepositoryError> {
        if self.users.contains_key(&id) { Ok(()) } else { Err(unexpected(format!("{what} {id} does not exist"))) }
    }
}

/// Shared state; handles are cheap clones of this.
#[derive(Clone, Default)]
pub(crate) struct Shared(Arc<RwLock<State>>);

impl Shared {
    pub fn read(&self) -> RwLockReadGuard<'_, State> {
        self.0.read().expect("in-memory store lock poisoned")
    }

    pub fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.0.write().expect("in-memory store lock poisoned")
    }
}

/// The in-memory store. `InMemoryStore::new()` is empty; its handles (`users()`,
/// `listings()`, ...) all see the same data and are cheap to clone.
#[derive(Clone)]
pub struct InMemoryStore {
    state: Shared,
    cities: Arc<InMemoryCityRepository>,
}

impl Default for InMemoryStore {
    fn default() -> Self {
        let state = Shared::default();
        Self { cities: Arc::new(InMemoryCityRepository::with_state(state.clone())), state }
    }
}

impl InMemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn users(&self) -> InMemoryUserRepository {
        InMemoryUserRepository::new(self.state.clone())
    }

    /// Listings check their city against this store's cities.
    pub fn listings(&self) -> InMemoryListingRepository {
        InMemoryListingRepository::new(self.state.clone(), self.cities.clone())
    }

    pub fn shortlist(&self) -> InMemoryShortlistRepository {
        InMemoryShortlistRepository::new(self.state.clone(), self.cities.clone())
    }

    pub fn enquiries(&self) -> InMemoryEnquiryRepository {
        InMemoryEnquiryRepository::new(self.state.clone())
    }

    pub fn photos(&self) -> InMemoryPhotoRepository {
        InMemoryPhotoRepository::new(self.state.clone())
    }

    pub fn jobs(&self) -> InMemoryJobQueue {
        InMemoryJobQueue::new(self.state.clone())
    }

    pub fn audit(&self) -> InMemoryAuditLog {
        InMemoryAuditLog::new(self.state.clone())
    }

    /// The store's cities (the listings of this store refer to them).
    pub fn cities(&self) -> Arc<InMemoryCityRepository> {
        self.cities.clone()
    }
}

pub(crate) fn unexpected(message: String) -> RepositoryError {
    RepositoryError::Unexpected(anyhow::Error::msg(message))
}

/// Keyset pagination over rows already filtered: orders them by `(key, id)` (descending
/// or ascending), skips up to and including the cursor's row, and builds the page with a
/// cursor of sort tag `sort` at its last row.
pub(crate) fn page<T>(
    mut rows: Vec<T>,
    req: PageRequest,
    sort: u8,
    descending: bool,
    key: impl Fn(&T) -> (i64, Uuid),
) -> Page<T> {
    rows.sort_by(|a, b| if descending { key(b).cmp(&key(a)) } else { key(a).cmp(&key(b)) });
    if let Some(c) = req.after {
        let after = (c.key, c.id);
        rows.retain(|r| if descending { key(r) < after } else { key(r) > after });
    }
    rows.truncate(usize::try_from(req.fetch_limit()).unwrap_or(usize::MAX));
    Page::from_rows(rows, req.size, sort, key)
}

/// The cursor key of a time ordering (sort tag 0): microseconds since the epoch.
pub(crate) fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

#[cfg(test)]
mod tests {
    use application::paging::Cursor;

    use super::*;

    #[test]
    fn pages_follow_the_cursor_through_ties() {
        let rows: Vec<(i64, u128)> = vec![(1, 5), (2, 1), (1, 7), (2, 3), (0, 9)];
        let key = |r: &(i64, u128)| (r.0, Uuid::from_u128(r.1));
        let first = page(rows.clone(), PageRequest::first(2), 0, true, key);
        assert_eq!(first.items, [(2, 3), (2, 1)]);
        assert_eq!(first.next, Some(Cursor { sort: 0, key: 2, id: Uuid::from_u128(1) }));
        let second = page(rows.clone(), PageRequest { after: first.next, size: 2 }, 0, true, key);
        assert_eq!(second.items, [(1, 7), (1, 5)]);
        let third = page(rows.clone(), PageRequest { after: second.next, size: 2 }, 0, true, key);
        assert_eq!(third.items, [(0, 9)]);
        assert_eq!(third.next, None);
        let asc = page(rows, PageRequest::first(10), 1, false, key);
        assert_eq!(asc.items, [(0, 9), (1, 5), (1, 7), (2, 1), (2, 3)]);
        assert_eq!(asc.next, None);
    }
}
