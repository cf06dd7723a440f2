//! Port contract suites: each is written once and run against every implementation of
//! its port (see `tests/tests/contract_*.rs`).
//!
//! The repository suites (users, listings, shortlist, enquiries, audit) take a [`Ports`]
//! fixture: one fresh, empty store seen through every repository port, because the
//! contracts cross ports (audit events written by the user repository are read through
//! the audit log; search must know whether owners are suspended; the SQL schema has
//! foreign keys, so each suite first inserts the users, cities and listings it refers to).

pub mod audit;
pub mod blob;
pub mod cache;
pub mod cities;
pub mod enquiries;
pub mod jobs;
pub mod listings;
pub mod photos;
pub mod rate_limit;
pub mod sessions;
pub mod shortlist;
pub mod users;

use std::sync::Arc;

use application::ports::{
    AuditLog, CityRepository, EnquiryRepository, JobQueue, ListingRepository, PhotoRepository, ShortlistRepository,
    UserRepository,
};

/// One store behind every repository port. Each repository suite expects a fresh,
/// empty store (no users, cities, listings, ...).
#[derive(Clone)]
pub struct Ports {
    pub users: Arc<dyn UserRepository>,
    pub cities: Arc<dyn CityRepository>,
    pub listings: Arc<dyn ListingRepository>,
    pub shortlist: Arc<dyn ShortlistRepository>,
    pub enquiries: Arc<dyn EnquiryRepository>,
    pub jobs: Arc<dyn JobQueue>,
    pub photos: Arc<dyn PhotoRepository>,
    pub audit: Arc<dyn AuditLog>,
}

impl Ports {
    /// The SQL repositories on `db` (PostgreSQL or SQLite).
    pub fn sql(db: &sea_orm::DatabaseConnection) -> Self {
        Self {
            users: Arc::new(sp_sql::SqlUserRepository::new(db.clone())),
            cities: Arc::new(sp_sql::SqlCityRepository::new(db.clone())),
            listings: Arc::new(sp_sql::SqlListingRepository::new(db.clone())),
            shortlist: Arc::new(sp_sql::SqlShortlistRepository::new(db.clone())),
            enquiries: Arc::new(sp_sql::SqlEnquiryRepository::new(db.clone())),
            jobs: Arc::new(sp_sql::SqlJobQueue::new(db.clone())),
            photos: Arc::new(sp_sql::SqlPhotoRepository::new(db.clone())),
            audit: Arc::new(sp_sql::SqlAuditLog::new(db.clone())),
        }
    }
}

/// Values and helpers the repository suites share. Everything is deterministic: fixed
/// ids (`Uuid::from_u128`) and times with whole microseconds (what PostgreSQL keeps).
pub mod fixtures {
    use std::fmt::Debug;

    use application::audit::{AuditEvent, AuditFilter};
    use application::paging::{Cursor, Page, PageRequest};
    use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
    use domain::listing::{
        AcademicYear, AddressLine, Description, EpcRating, Features, Listing, ListingDetails, ListingId, ListingStatus,
        Postcode, PropertyType, TenancyType, Title,
    };
    use domain::{AreaName, City, CityName, CitySlug, DisplayName, Email, PasswordHash, Pence, Role, User, UserId};
    use uuid::Uuid;

    use super::Ports;

    pub fn uid(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    /// A fixed instant plus `secs` seconds; it has a fractional part of whole
    /// microseconds so that sub-second precision is exercised.
    pub fn at(secs: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 9, 1, 9, 0, 0).unwrap() + Duration::microseconds(123_456) + Duration::seconds(secs)
    }

    /// The "today" that visibility is judged against.
    pub fn today() -> NaiveDate {
        date(2026, 11, 25)
    }

    pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    pub fn pence(v: i64) -> Pence {
        Pence::new("pence", v, i64::MAX).unwrap()
    }

    pub fn email(raw: &str) -> Email {
        Email::parse(raw).unwrap()
    }

    pub fn user(n: u128, mail: &str, role: Role, created: DateTime<Utc>) -> User {
        User {
            id: UserId(uid(n)),
            email: email(mail),
            display_name: DisplayName::parse(&format!("User {n:x}")).unwrap(),
            role,
            password_hash: PasswordHash(format!("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA${n:x}")),
            email_verified: false,
            suspended: false,
            created_at: created,
            updated_at: created,
            version: domain::Version::FIRST,
            session_epoch: 0,
        }
    }

    /// An audit event with the given identity, no actor, and small before/after summaries.
    pub fn event(id: u128, action: &str, target: (&str, String), at: DateTime<Utc>) -> AuditEvent {
        AuditEvent {
            id: uid(id),
            actor_id: None,
            action: action.to_owned(),
            target_type: target.0.to_owned(),
            target_id: target.1,
            before: None,
            after: Some(serde_json::json!({ "action": action })),
            request_id: None,
            at,
        }
    }

    /// Inserts the user with a `user.create` event (id `0xE000_0000 + user id`).
    pub async fn seed_user(p: &Ports, u: &User) {
        let ev = event(0xE000_0000 + u.id.0.as_u128(), "user.create", ("user", u.id.to_string()), u.created_at);
        p.users.insert(u, &ev).await.expect("seed user");
    }

    /// Creates an active city with these areas; returns its `city.create` event (id
    /// `0xC000_0000 +` a digest of the slug, at `at(0)`: older than every other event).
    pub async fn seed_city(p: &Ports, slug: &str, name: &str, areas: &[&str]) -> AuditEvent {
        let city = City::new(
            CitySlug::parse(slug).unwrap(),
            CityName::parse(name).unwrap(),
            true,
            areas.iter().map(|a| AreaName::parse(a).unwrap()).collect(),
        );
        let digest = slug.bytes().fold(0_u128, |h, b| (h * 257 + u128::from(b)) % 0x0FFF_FFFF);
        let mut ev = event(0xC000_0000 + digest, "city.create", ("city", slug.to_owned()), at(0));
        ev.after = Some(application::cities::summary(&city));
        p.cities.create(&city, &ev).await.expect("seed city");
        ev
    }

    /// Filler text that none of the free-text cases search for.
    pub const FILLER: &str = "Well kept and close to shops, buses and the university. Viewing is recommended.";

    /// Complete, publishable details (England unless the postcode says otherwise).
    pub fn details(
        city: &str,
        area: &str,
        postcode: &str,
        kind: PropertyType,
        bedrooms: u8,
        rent: i64,
    ) -> ListingDetails {
        ListingDetails {
            title: Some(Title::parse("A home for students").unwrap()),
            description: Some(Description::parse(FILLER).unwrap()),
            city: Some(CitySlug::parse(city).unwrap()),
            area: Some(AreaName::parse(area).unwrap()),
            address_line: Some(AddressLine::parse("1 Example Street").unwrap()),
            postcode: Some(Postcode::parse(postcode).unwrap()),
            property_type: Some(kind),
            bedrooms: Some(bedrooms),
            bathrooms: Some(1),
            ensuite_rooms: 0,
            max_occupants: Some(bedrooms),
            single_household: false,
            rent_pppw: Some(pence(rent)),
            bills_included: false,
            bills: domain::listing::Bills::default(),
            deposit: None,
            council_tax: None,
            available_from: Some(date(2027, 7, 1)),
            academic_year: Some(AcademicYear::starting(2027)),
            tenancy_months: Some(12),
            tenancy_type: Some(TenancyType::Periodic),
            furnished: false,
            features: Features::default(),
            hmo_licence: None,
            hmo_licence_expires: None,
            epc_rating: Some(EpcRating::C),
            epc_expires: Some(date(2031, 1, 1)),
            epc_exemption: None,
        }
    }

    /// A listing in `status`, created at `created`; published listings (and let or
    /// archived ones, which were published once) carry `published`.
    pub fn listing(
        n: u128,
        owner: UserId,
        status: ListingStatus,
        details: ListingDetails,
        created: DateTime<Utc>,
        published: Option<DateTime<Utc>>,
    ) -> Listing {
        Listing {
            id: ListingId(uid(n)),
            owner_id: owner,
            status,
            details,
            created_at: created,
            updated_at: published.unwrap_or(created),
            published_at: published,
            moderation_note: None,
            version: domain::Version::FIRST,
        }
    }

    /// Writes the user's changes (conditional on the version it was read at, which moves on).
    pub async fn write_user(p: &Ports, u: &mut User, ev: &AuditEvent) {
        let read = u.version;
        u.version = read.next();
        p.users.update(u, read, ev).await.expect("user update");
    }

    /// Inserts the listing with a `listing.create` event (id `0xE100_0000 + listing id`).
    pub async fn seed_listing(p: &Ports, l: &Listing) {
        let ev = event(0xE100_0000 + l.id.0.as_u128(), "listing.create", ("listing", l.id.to_string()), l.created_at);
        p.listings.insert(l, &ev).await.expect("seed listing");
    }

    /// Every audit event about one target, newest first (one page of at most 50).
    pub async fn events_about(p: &Ports, target_type: &str, target_id: String) -> Vec<AuditEvent> {
        let filter =
            AuditFilter { target_type: Some(target_type.to_owned()), target_id: Some(target_id), ..Default::default() };
        let page = p.audit.list(&filter, PageRequest::first(50)).await.unwrap();
        assert!(page.next.is_none(), "more than 50 events about one target");
        page.items
    }

    /// Walks every page of size `size` from the first, following `next` cursors, and
    /// returns all items in order. Checks the paging rules on the way: no page is larger
    /// than `size`; a page with a `next` cursor is full and its cursor is
    /// `expected_cursor(last item)`; the last page has no cursor; only an empty result has
    /// an empty page.
    pub async fn walk<T: Debug>(
        size: u32,
        mut fetch: impl AsyncFnMut(PageRequest) -> Page<T>,
        expected_cursor: impl Fn(&T) -> Cursor,
    ) -> Vec<T> {
        let mut out = Vec::new();
        let mut after = None;
        for round in 0..1000 {
            let page = fetch(PageRequest { after, size }).await;
            assert!(page.items.len() <= size as usize, "page {round} has {} items > size {size}", page.items.len());
            if round > 0 {
                assert!(!page.items.is_empty(), "page {round} is empty: the previous page should have had no cursor");
            }
            let Some(cursor) = page.next else {
                out.extend(page.items);
                return out;
            };
            assert_eq!(page.items.len(), size as usize, "page {round} has a next cursor but is not full");
            let last = page.items.last().expect("full page");
            assert_eq!(cursor, expected_cursor(last), "cursor of page {round} must point at its last item");
            after = Some(cursor);
            out.extend(page.items);
        }
        panic!("pagination did not end after 1000 pages");
    }

    /// The cursor of a list ordered by a timestamp (sort tag 0, key = micros).
    pub fn time_cursor(t: DateTime<Utc>, id: Uuid) -> Cursor {
        Cursor { sort: 0, key: t.timestamp_micros(), id }
    }

    /// Asserts that `items` has no duplicates.
    pub fn assert_distinct<K: Ord + Debug + Clone>(items: &[K]) {
        let mut sorted = items.to_vec();
        sorted.sort();
        let before = sorted.len();
        sorted.dedup();
        assert_eq!(before, sorted.len(), "duplicates in {items:?}");
    }
}
