use async_trait::async_trait;
use chrono::NaiveDate;
use domain::listing::{AcademicYear, Features, Listing, ListingCard, ListingId, ListingStatus, PropertyType};
use domain::{AreaName, CitySlug, UserId, Version};

use super::RepositoryError;
use crate::audit::AuditEvent;
use crate::paging::{Page, PageRequest};

/// Search orderings. The discriminant is stored in cursors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SearchSort {
    /// Most recently published first.
    #[default]
    Newest = 0,
    RentAsc = 1,
    RentDesc = 2,
    BedroomsDesc = 3,
}

impl domain::ClosedSet for SearchSort {
    const NAME: &'static str = "SearchSort";
    const FIELD: &'static str = "sort";
    const ALL: &'static [Self] = &[Self::Newest, Self::RentAsc, Self::RentDesc, Self::BedroomsDesc];

    fn as_str(self) -> &'static str {
        match self {
            Self::Newest => "newest",
            Self::RentAsc => "rent_asc",
            Self::RentDesc => "rent_desc",
            Self::BedroomsDesc => "bedrooms_desc",
        }
    }
}

impl SearchSort {
    pub fn tag(self) -> u8 {
        self as u8
    }

    /// The cursor key of a card under this ordering (ties broken by id, descending
    /// for `Newest`/`*Desc`, ascending for `RentAsc`).
    pub fn key_of(self, c: &ListingCard) -> i64 {
        match self {
            SearchSort::Newest => c.published_at.timestamp_micros(),
            SearchSort::RentAsc | SearchSort::RentDesc => c.rent_pppw.get(),
            SearchSort::BedroomsDesc => i64::from(c.bedrooms),
        }
    }
}

/// Public search. Every filter is optional; all given filters must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchQuery {
    pub city: Option<CitySlug>,
    pub area: Option<AreaName>,
    /// Pence per person per week, inclusive.
    pub min_rent: Option<i64>,
    pub max_rent: Option<i64>,
    pub bedrooms_min: Option<u8>,
    pub bedrooms_max: Option<u8>,
    pub property_type: Option<PropertyType>,
    pub bills_included: Option<bool>,
    /// `true`: at least one en-suite room; `false`: none.
    pub ensuite: Option<bool>,
    pub furnished: Option<bool>,
    /// Available on or before this date.
    pub available_from: Option<NaiveDate>,
    pub academic_year: Option<AcademicYear>,
    /// Listings having all of these.
    pub features: Features,
    /// Free text over title, description and area.
    pub q: Option<String>,
    pub sort: SearchSort,
    pub page: Option<PageRequest>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchResults {
    pub page: Page<ListingCard>,
    /// Number of matches, exact up to `ESTIMATE_CAP` (1,000) and capped there.
    pub total_estimate: u64,
    /// The cards' cover photos (cards without a ready photo have none).
    pub covers: std::collections::HashMap<ListingId, crate::photos::Cover>,
}

/// Counting stops here: past it the exact number does not matter to a searcher ("1,000+").
pub const ESTIMATE_CAP: u64 = 1_000;

/// Home-page counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct SiteStats {
    /// Listings visible in search.
    pub listings: u64,
    /// Cities with at least one visible listing.
    pub cities: u64,
    /// Landlords and agents with an active account.
    pub landlords: u64,
}

/// What a conditional write expects to find stored: the version and status it was based on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Precondition {
    pub version: Version,
    pub status: ListingStatus,
}

impl Precondition {
    /// The listing as it was read.
    pub fn of(l: &Listing) -> Self {
        Self { version: l.version, status: l.status }
    }
}

/// Persistence and search of listings.
///
/// "Visible" (what search, counts and stats see) means: status `published`, owner not
/// suspended, and `searchable_until` absent or not before `today` (a lapsed HMO licence
/// hides a listing until renewed).
#[cfg_attr(any(test, feature = "testing"), mockall::automock)]
#[async_trait]
pub trait ListingRepository: Send + Sync + 'static {
    /// Stores a new listing and its audit event in one transaction.
    async fn insert(&self, listing: &Listing, audit: &AuditEvent) -> Result<(), RepositoryError>;

    /// Replaces the stored listing (all fields, its version included: callers set it to
    /// `expected.version.next()`) and stores the audit event, in one transaction, only if
    /// the stored row still has `expected`'s version and status (checked in the UPDATE
    /// statement itself).
    ///
    /// Errors: `Stale` when it does not (another write won, or the listing is gone):
    /// nothing is written, no event stored. `Unexpected` otherwise.
    async fn update(
        &self,
        listing: &Listing,
        expected: Precondition,
        audit: &AuditEvent,
    ) -> Result<(), RepositoryError>;

    /// Deletes the listing (and its shortlist entries) and stores the audit event, in one
    /// transaction, only if it is still at `expected`, a draft, was never published and
    /// has no enquiries: all checked in the DELETE statement itself.
    ///
    /// Errors: `Stale` when any of that no longer holds (nothing deleted, no event).
    async fn delete(&self, id: ListingId, expected: Version, audit: &AuditEvent) -> Result<(), RepositoryError>;

    async fn find(&self, id: ListingId) -> Result<Option<Listing>, RepositoryError>;

    /// The owner's listings in any status, most recently created first.
    async fn list_by_owner(&self, owner: UserId, page: PageRequest) -> Result<Page<Listing>, RepositoryError>;

    /// Published listings whose HMO licence expired before `today` (their
    /// `searchable_until` is past), by id after `after`, at most `limit` (the daily sweep
    /// unlists them).
    async fn lapsed_licences(
        &self,
        today: NaiveDate,
        after: Option<ListingId>,
        limit: u32,
    ) -> Result<Vec<Listing>, RepositoryError>;

    /// The cards of visible listings matching `query`, in its order, one page
    /// (`query.page`, default first page of 20). The cursor must belong to `query.sort`
    /// (callers check). Reads only what a card shows (never the description).
    async fn search(&self, query: &SearchQuery, today: NaiveDate) -> Result<Page<ListingCard>, RepositoryError>;

    /// How many visible listings match `query`'s filters (its sort and page are ignored),
    /// exact up to `ESTIMATE_CAP` and capped there, so the cost is bounded.
    async fn count(&self, query: &SearchQuery, today: NaiveDate) -> Result<u64, RepositoryError>;

    /// Number of visible listings per city (cities without any are absent).
    async fn visible_counts_by_city(&self, today: NaiveDate) -> Result<Vec<(CitySlug, u64)>, RepositoryError>;

    /// The home-page counters.
    async fn stats(&self, today: NaiveDate) -> Result<SiteStats, RepositoryError>;
}
