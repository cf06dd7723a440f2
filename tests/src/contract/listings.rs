//! The `ListingRepository` contract: storage, owners' lists, and search semantics
//! (visibility, every filter, every sort, keyset pagination), counts and stats.
//!
//! Free-text cases use single plain words that appear as whole words, so PostgreSQL
//! full-text search and a simple word match agree (stemming is not tested).

use application::RepositoryError;
use application::audit::AuditEvent;
use application::paging::{Cursor, PageRequest};
use application::ports::{CityChange, Precondition, SearchQuery, SearchSort, SiteStats};
use domain::listing::{
    AcademicYear, Description, EpcRating, Feature, Features, HmoLicenceNumber, Listing, ListingCard, ListingDetails,
    ListingId, ListingStatus, Postcode, PropertyType, TenancyType, Title,
};
use domain::{AreaName, CitySlug, DisplayName, Role, User, UserId};

use super::Ports;
use super::fixtures::{
    assert_distinct, at, date, details, event, events_about, listing, pence, seed_city, seed_listing, seed_user,
    time_cursor, today, uid, user, walk, write_user,
};

/// Runs every case on a fresh, empty store.
pub async fn run(p: &Ports) {
    seed(p).await;
    no_listings_yet(p).await;
    every_field_round_trips(p).await;
    update_replaces_every_field(p).await;
    writes_are_conditional_on_the_version_and_status_read(p).await;
    only_never_published_drafts_are_deleted(p).await;
    list_by_owner_is_newest_created_first_in_any_status(p).await;

    search_dataset(p).await;
    search_shows_only_visible_listings(p).await;
    search_filters(p).await;
    search_free_text(p).await;
    search_sorts(p).await;
    suspending_an_owner_hides_their_listings(p).await;
    deactivating_a_city_hides_its_listings_everywhere(p).await;
    shortlist_cards_follow_the_same_rule(p).await;
    counts_by_city_and_stats(p).await;
    search_pages_through_ties_in_every_sort(p).await;
}

// ---------------------------------------------------------------- people and places

const LANDLORD: u128 = 0x1001;
const AGENT: u128 = 0x1002;
const SUSPENDED: u128 = 0x1003;
const STUDENT: u128 = 0x1004;
const ADMIN: u128 = 0x1005;
const OWNER: u128 = 0x1006;

fn uid_of(n: u128) -> UserId {
    UserId(uid(n))
}

async fn seed(p: &Ports) {
    seed_city(p, "leeds", "Leeds", &["Hyde Park", "Headingley"]).await;
    seed_city(p, "york", "York", &["Heslington"]).await;
    seed_city(p, "edinburgh", "Edinburgh", &["Marchmont"]).await;
    seed_city(p, "bath", "Bath", &["Widcombe"]).await;
    seed_city(p, "sheffield", "Sheffield", &["Crookes"]).await;
    let mut suspended = user(SUSPENDED, "suspended@example.com", Role::Landlord, at(3));
    suspended.suspended = true;
    for u in [
        user(LANDLORD, "landlord@example.com", Role::Landlord, at(1)),
        user(AGENT, "agent@example.com", Role::Agent, at(2)),
        suspended,
        user(STUDENT, "student@example.com", Role::Student, at(4)),
        user(ADMIN, "admin@example.com", Role::Admin, at(5)),
        user(OWNER, "owner@example.com", Role::Landlord, at(6)),
    ] {
        seed_user(p, &u).await;
    }
}

fn lid(n: u128) -> ListingId {
    ListingId(uid(n))
}

async fn no_listings_yet(p: &Ports) {
    assert!(p.listings.find(lid(0x9999)).await.unwrap().is_none());
    let page = p.listings.list_by_owner(uid_of(LANDLORD), PageRequest::first(10)).await.unwrap();
    assert!(page.items.is_empty() && page.next.is_none());
    let res = p.listings.search(&SearchQuery::default(), today()).await.unwrap();
    assert!(res.items.is_empty() && res.next.is_none());
    assert_eq!(p.listings.count(&SearchQuery::default(), today()).await.unwrap(), 0);
    assert!(p.listings.visible_counts_by_city(today()).await.unwrap().is_empty());
    let stats = p.listings.stats(today()).await.unwrap();
    assert_eq!(stats, SiteStats { listings: 0, cities: 0, landlords: 3 }, "landlord, agent and owner are active");
}

// ---------------------------------------------------------------- storage

/// Every field set, none at its default.
fn full_details() -> ListingDetails {
    ListingDetails {
        title: Some(Title::parse("Café-side 6-bed — £150 pppw").unwrap()),
        description: Some(
            Description::parse(
                "Six double rooms, two with en-suite.\nNew kitchen (2026).\n\tQuote “ref 42” when you call; tenants say it’s great.",
            )
            .unwrap(),
        ),
        city: Some(CitySlug::parse("leeds").unwrap()),
        area: Some(AreaName::parse("Hyde Park").unwrap()),
        address_line: Some(domain::listing::AddressLine::parse("Flat 2, 14 Royal Park Terrace").unwrap()),
        postcode: Some(Postcode::parse("ls6 1ab").unwrap()),
        property_type: Some(PropertyType::House),
        bedrooms: Some(6),
        bathrooms: Some(3),
        ensuite_rooms: 2,
        max_occupants: Some(6),
        single_household: false,
        rent_pppw: Some(pence(15_050)),
        bills_included: true,
        bills: domain::listing::Bills::new(vec![
            domain::listing::Bill {
                utility: domain::listing::Utility::Electricity,
                cap_pence_per_month: Some(pence(4_500)),
            },
            domain::listing::Bill { utility: domain::listing::Utility::Broadband, cap_pence_per_month: None },
        ])
        .unwrap(),
        deposit: Some(pence(60_000)),
        council_tax: Some(domain::listing::CouncilTax::StudentExempt),
        available_from: Some(date(2027, 7, 1)),
        academic_year: Some(AcademicYear::parse("2027/28").unwrap()),
        tenancy_months: Some(11),
        tenancy_type: Some(TenancyType::Periodic),
        furnished: true,
        features: Features::from_iter([Feature::Wifi, Feature::Garden, Feature::NearTransport, Feature::Cctv]),
        hmo_licence: Some(HmoLicenceNumber::parse("HMO/2026/0042").unwrap()),
        hmo_licence_expires: Some(date(2029, 3, 31)),
        epc_rating: Some(EpcRating::B),
        epc_expires: Some(date(2033, 9, 30)),
        epc_exemption: None,
    }
}

fn create_event(n: u128, l: &Listing, at_: chrono::DateTime<chrono::Utc>) -> AuditEvent {
    let mut ev = event(n, "listing.create", ("listing", l.id.to_string()), at_);
    ev.actor_id = Some(l.owner_id);
    ev.request_id = Some("req-listing".into());
    ev
}

async fn every_field_round_trips(p: &Ports) {
    let mut full = listing(0x2001, uid_of(LANDLORD), ListingStatus::Published, full_details(), at(100), Some(at(150)));
    full.updated_at = at(160);
    full.moderation_note = Some("Photos checked ✓".into());
    let ev = create_event(0x7001, &full, at(100));
    p.listings.insert(&full, &ev).await.expect("insert");
    assert_eq!(p.listings.find(full.id).await.unwrap().as_ref(), Some(&full), "every field round-trips");

    // A bare draft: every optional field empty, flags false, no features.
    let bare = listing(0x2002, uid_of(LANDLORD), ListingStatus::Draft, ListingDetails::default(), at(101), None);
    let ev2 = create_event(0x7002, &bare, at(101));
    p.listings.insert(&bare, &ev2).await.unwrap();
    assert_eq!(p.listings.find(bare.id).await.unwrap().as_ref(), Some(&bare), "empty fields round-trip");

    // Features: the highest bit, and every feature at once.
    let mut all = listing(
        0x2003,
        uid_of(AGENT),
        ListingStatus::Archived,
        ListingDetails { features: Feature::ALL.iter().copied().collect(), ..full_details() },
        at(102),
        Some(at(103)),
    );
    all.details.tenancy_type = Some(TenancyType::Fixed);
    all.details.property_type = Some(PropertyType::Hall);
    all.details.epc_rating = Some(EpcRating::G);
    p.listings.insert(&all, &create_event(0x7003, &all, at(102))).await.unwrap();
    assert_eq!(p.listings.find(all.id).await.unwrap().as_ref(), Some(&all));

    assert_eq!(events_about(p, "listing", full.id.to_string()).await, vec![ev], "insert wrote its audit event");
    assert_eq!(events_about(p, "listing", bare.id.to_string()).await, vec![ev2]);
}

async fn update_replaces_every_field(p: &Ports) {
    let before = p.listings.find(lid(0x2001)).await.unwrap().unwrap();
    let mut after = before.clone();
    after.status = ListingStatus::Let;
    after.updated_at = at(200);
    after.moderation_note = None;
    after.details = ListingDetails {
        title: Some(Title::parse("Renovated house near the park").unwrap()),
        description: None,
        city: Some(CitySlug::parse("york").unwrap()),
        area: None,
        address_line: None,
        postcode: Some(Postcode::parse("YO10 5DD").unwrap()),
        property_type: Some(PropertyType::Flat),
        bedrooms: Some(2),
        bathrooms: None,
        ensuite_rooms: 0,
        max_occupants: Some(1),
        single_household: true,
        rent_pppw: Some(pence(9_999)),
        bills_included: false,
        bills: domain::listing::Bills::default(),
        deposit: None,
        council_tax: Some(domain::listing::CouncilTax::H),
        available_from: None,
        academic_year: Some(AcademicYear::starting(2028)),
        tenancy_months: None,
        tenancy_type: None,
        furnished: false,
        features: Features::from_iter([Feature::Parking]),
        hmo_licence: None,
        hmo_licence_expires: None,
        epc_rating: Some(EpcRating::A),
        epc_expires: None,
        epc_exemption: Some(domain::listing::EpcExemptionRef::parse("PRS-EX-2026-0001").unwrap()),
    };
    let mut ev = event(0x7101, "listing.update", ("listing", before.id.to_string()), at(200));
    ev.actor_id = Some(before.owner_id);
    ev.before = Some(serde_json::json!({ "status": "published", "rent_pppw_pence": 15_050 }));
    ev.after = Some(serde_json::json!({ "status": "let", "rent_pppw_pence": 9_999 }));
    after.version = before.version.next();
    p.listings.update(&after, Precondition::of(&before), &ev).await.expect("update");
    assert_eq!(p.listings.find(after.id).await.unwrap().as_ref(), Some(&after), "update replaces all fields");

    // And back: fields cleared by the first update can be set again. (Archived, so that
    // it stays out of the search cases below.)
    let mut again = before.clone();
    again.status = ListingStatus::Archived;
    again.updated_at = at(201);
    again.version = after.version.next();
    let ev2 = event(0x7102, "listing.update", ("listing", before.id.to_string()), at(201));
    p.listings.update(&again, Precondition::of(&after), &ev2).await.unwrap();
    assert_eq!(p.listings.find(again.id).await.unwrap().as_ref(), Some(&again));
    assert_eq!(again.version, domain::Version(3), "one more with every write");

    let events = events_about(p, "listing", before.id.to_string()).await;
    assert_eq!(events.iter().map(|e| e.id.as_u128()).collect::<Vec<_>>(), [0x7102, 0x7101, 0x7001]);
    assert_eq!(events[1], ev, "the update's event is stored as given");
}

/// Writes `after` over `before` (its version moved on by one); returns what was written.
async fn write(p: &Ports, before: &Listing, change: impl FnOnce(&mut Listing), ev: u128) -> Listing {
    let mut after = before.clone();
    change(&mut after);
    after.version = before.version.next();
    let e = event(ev, "listing.update", ("listing", before.id.to_string()), after.updated_at);
    p.listings.update(&after, Precondition::of(before), &e).await.expect("update");
    after
}

async fn writes_are_conditional_on_the_version_and_status_read(p: &Ports) {
    let base = listing(
        0x2020,
        uid_of(LANDLORD),
        ListingStatus::Draft,
        details("leeds", "Hyde Park", "LS6 1AB", PropertyType::Flat, 2, 11_000),
        at(140),
        None,
    );
    seed_listing(p, &base).await;
    let v2 = write(p, &base, |l| l.details.bedrooms = Some(3), 0x7110).await;

    // A write based on the first read loses to the one that happened meanwhile.
    let mut late = base.clone();
    late.details.bathrooms = Some(2);
    late.version = base.version.next();
    let ev = event(0x7111, "listing.update", ("listing", base.id.to_string()), at(141));
    let err = p.listings.update(&late, Precondition::of(&base), &ev).await.unwrap_err();
    assert!(matches!(err, RepositoryError::Stale), "stale version: {err:?}");
    // Right version, wrong status (the caller believes it is published).
    let believed = Precondition { status: ListingStatus::Published, ..Precondition::of(&v2) };
    let err = p.listings.update(&late, believed, &ev).await.unwrap_err();
    assert!(matches!(err, RepositoryError::Stale), "stale status: {err:?}");
    // A listing that does not exist.
    let mut ghost = v2.clone();
    ghost.id = lid(0x2FFE);
    let err = p.listings.update(&ghost, Precondition::of(&v2), &ev).await.unwrap_err();
    assert!(matches!(err, RepositoryError::Stale), "missing: {err:?}");
    assert_eq!(p.listings.find(base.id).await.unwrap().as_ref(), Some(&v2), "the refused writes changed nothing");
    let events = events_about(p, "listing", base.id.to_string()).await;
    assert!(!events.iter().any(|e| e.id.as_u128() == 0x7111), "and stored no event");

    // Racing writers from the same read: exactly one wins, whatever the interleaving.
    let racers = (0..8u8).map(|i| {
        let mut mine = v2.clone();
        mine.details.ensuite_rooms = i % 2;
        mine.details.bathrooms = Some(i + 1);
        mine.version = v2.version.next();
        let ev = event(0x7120 + u128::from(i), "listing.update", ("listing", base.id.to_string()), at(142));
        let v2 = v2.clone();
        async move { p.listings.update(&mine, Precondition::of(&v2), &ev).await.map(|()| mine) }
    });
    let results = futures::future::join_all(racers).await;
    let won: Vec<&Listing> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(won.len(), 1, "one write wins: {results:?}");
    assert!(
        results.iter().filter(|r| r.is_err()).all(|r| matches!(r, Err(RepositoryError::Stale))),
        "the others are Stale: {results:?}"
    );
    assert_eq!(p.listings.find(base.id).await.unwrap().as_ref(), Some(won[0]), "the winner's write is stored whole");

    // Out of the way of the later cases.
    let now = p.listings.find(base.id).await.unwrap().unwrap();
    write(p, &now, |l| l.status = ListingStatus::Archived, 0x7130).await;
}

async fn only_never_published_drafts_are_deleted(p: &Ports) {
    let d = || details("leeds", "Hyde Park", "LS6 1AB", PropertyType::Flat, 2, 11_000);
    let doomed = listing(0x2010, uid_of(LANDLORD), ListingStatus::Draft, d(), at(110), None);
    let published = listing(0x2011, uid_of(LANDLORD), ListingStatus::Published, d(), at(112), Some(at(113)));
    // Taken down by an admin: a draft again, but it was published.
    let mut taken_down = listing(0x2012, uid_of(LANDLORD), ListingStatus::Draft, d(), at(114), Some(at(115)));
    taken_down.moderation_note = Some("misleading photos".into());
    for l in [&doomed, &published, &taken_down] {
        seed_listing(p, l).await;
    }
    let student = uid_of(STUDENT);
    p.shortlist.add(student, doomed.id, at(120)).await.unwrap();
    p.shortlist.add(student, published.id, at(121)).await.unwrap();

    let refused = |n: u128, id: ListingId| event(n, "listing.delete", ("listing", id.to_string()), at(129));
    for (n, l) in [(0x7210, &published), (0x7211, &taken_down)] {
        let err = p.listings.delete(l.id, l.version, &refused(n, l.id)).await.unwrap_err();
        assert!(matches!(err, RepositoryError::Stale), "{:?} is kept: {err:?}", l.status);
        assert_eq!(p.listings.find(l.id).await.unwrap().as_ref(), Some(l), "untouched");
    }
    let err = p.listings.delete(doomed.id, doomed.version.next(), &refused(0x7212, doomed.id)).await.unwrap_err();
    assert!(matches!(err, RepositoryError::Stale), "a stale version deletes nothing: {err:?}");
    let err = p.listings.delete(lid(0x2FFF), domain::Version::FIRST, &refused(0x7213, lid(0x2FFF))).await.unwrap_err();
    assert!(matches!(err, RepositoryError::Stale), "a missing listing: {err:?}");

    let mut ev = event(0x7201, "listing.delete", ("listing", doomed.id.to_string()), at(130));
    ev.before = Some(serde_json::json!({ "status": "draft" }));
    ev.after = None;
    p.listings.delete(doomed.id, doomed.version, &ev).await.expect("delete");
    assert!(p.listings.find(doomed.id).await.unwrap().is_none(), "deleted");
    let saved = p.shortlist.list(student, PageRequest::first(50), today()).await.unwrap();
    let saved_ids: Vec<_> = saved.items.iter().map(|s| s.listing_id).collect();
    assert_eq!(saved_ids, [published.id], "its shortlist entries went with it");
    assert!(!p.shortlist.remove(student, doomed.id).await.unwrap(), "no entry is left to remove");
    let events = events_about(p, "listing", doomed.id.to_string()).await;
    assert!(events.contains(&ev), "delete wrote its audit event");
    assert!(!events.iter().any(|e| e.id.as_u128() == 0x7212), "a refused delete stores no event");

    // Leave the store as it was for the owner-list case: out of search, out of the way.
    p.shortlist.remove(student, published.id).await.unwrap();
    write(p, &published, |l| l.status = ListingStatus::Archived, 0x7203).await;
    write(p, &taken_down, |l| l.status = ListingStatus::Archived, 0x7204).await;
}

async fn list_by_owner_is_newest_created_first_in_any_status(p: &Ports) {
    let owner = uid_of(OWNER);
    let d = || details("bath", "Widcombe", "BA2 4BL", PropertyType::Flat, 2, 10_000);
    // (id, status, created); ties on created_at are broken by id, descending. Published
    // times and updated times deliberately disagree with creation order.
    let rows = [
        (0x3005, ListingStatus::Draft, 300),
        (0x3001, ListingStatus::Published, 305),
        (0x3003, ListingStatus::Let, 305),
        (0x3002, ListingStatus::Archived, 305),
        (0x3004, ListingStatus::Published, 310),
        (0x3006, ListingStatus::Draft, 299),
        (0x3007, ListingStatus::Published, 320),
    ];
    for (n, status, created) in rows {
        let published = (status != ListingStatus::Draft).then(|| at(1000 - created));
        let mut l = listing(n, owner, status, d(), at(created), published);
        l.updated_at = at(2000 - created);
        seed_listing(p, &l).await;
    }
    let expected = [0x3007, 0x3004, 0x3003, 0x3002, 0x3001, 0x3005, 0x3006];
    let ids = |ls: &[Listing]| ls.iter().map(|l| l.id.0.as_u128()).collect::<Vec<_>>();
    let first = p.listings.list_by_owner(owner, PageRequest::first(50)).await.unwrap();
    assert_eq!(ids(&first.items), expected, "all statuses, newest created first, ties by id descending");
    assert!(first.next.is_none());
    for size in [1, 2, 3, 7] {
        let walked = walk(
            size,
            async |req| p.listings.list_by_owner(owner, req).await.unwrap(),
            |l: &Listing| time_cursor(l.created_at, l.id.0),
        )
        .await;
        assert_distinct(&ids(&walked));
        assert_eq!(ids(&walked), expected, "pages of {size}");
    }
    let others = p.listings.list_by_owner(uid_of(LANDLORD), PageRequest::first(50)).await.unwrap();
    assert_eq!(ids(&others.items), [0x2020, 0x2012, 0x2011, 0x2002, 0x2001], "only the owner's listings");
    let agent = p.listings.list_by_owner(uid_of(AGENT), PageRequest::first(50)).await.unwrap();
    assert_eq!(ids(&agent.items), [0x2003]);

    // Out of search, so that the search cases see only their own dataset.
    for (n, status, _) in rows {
        if status != ListingStatus::Archived {
            let l = p.listings.find(lid(n)).await.unwrap().unwrap();
            write(p, &l, |l| l.status = ListingStatus::Archived, 0x7400 + n).await;
        }
    }
    let left = p.listings.list_by_owner(owner, PageRequest::first(50)).await.unwrap();
    assert!(left.items.iter().all(|l| l.status == ListingStatus::Archived));
}

// ---------------------------------------------------------------- the search dataset
//
// Visible (published, active owner, licence not lapsed on `today()` = 2026-11-25):
//
// | name | city      | area       | type   | bed | rent  | bills | ensuite | furn | available  | year | features              | published |
// | A    | leeds     | Hyde Park  | house  | 4   | 15000 | yes   | 2       | yes  | 2027-07-01 | 2027 | wifi garden           | t400 |
// | B    | leeds     | Headingley | flat   | 2   | 12000 | no    | 0       | no   | 2027-09-01 | 2027 | wifi                  | t410 |
// | C    | york      | Heslington | studio | 1   | 20000 | yes   | 1       | yes  | 2027-06-15 | 2026 | wifi gym parking      | t420 |
// | D    | leeds     | Hyde Park  | house  | 6   | 13000 | yes   | 0       | yes  | 2027-07-01 | 2027 | garden parking        | t430 | licensed to 2027-06-30
// | E    | leeds     | Headingley | house  | 5   | 14000 | no    | 5       | yes  | 2027-08-01 | 2027 | wifi parking          | t440 | licence expires today
// | K    | edinburgh | Marchmont  | flat   | 2   | 16000 | yes   | 0       | no   | 2027-08-15 | 2027 | wifi                  | t450 | Scottish 2-bed: no licence needed
//
// Hidden: X1 English 5-bed whose licence expired yesterday; X2 draft (bath's only
// listing); X3 let; X4 archived; X5 owner suspended (york); X6 Scottish 3-bed whose
// licence expired yesterday (Scotland licenses from 3 bedrooms). Listings stored by the
// earlier cases are draft or archived by now.
//
// Free text: "garden" in A's title, D's description and X1's title; "lake" in C's title;
// areas Hyde Park / Headingley / Heslington / Marchmont.

const A: u128 = 0x4006;
const B: u128 = 0x4003;
const C: u128 = 0x4005;
const D: u128 = 0x4001;
const E: u128 = 0x4004;
const K: u128 = 0x4002;
const X1: u128 = 0x4101;
const X2: u128 = 0x4102;
const X3: u128 = 0x4103;
const X4: u128 = 0x4104;
const X5: u128 = 0x4105;
const X6: u128 = 0x4106;

fn name(id: &ListingId) -> String {
    match id.0.as_u128() {
        A => "A".into(),
        B => "B".into(),
        C => "C".into(),
        D => "D".into(),
        E => "E".into(),
        K => "K".into(),
        X1 => "X1".into(),
        X2 => "X2".into(),
        X3 => "X3".into(),
        X4 => "X4".into(),
        X5 => "X5".into(),
        X6 => "X6".into(),
        n => format!("{n:#x}"),
    }
}

/// Listings and their cards, by id.
trait HasId {
    fn listing_id(&self) -> ListingId;
}

impl HasId for Listing {
    fn listing_id(&self) -> ListingId {
        self.id
    }
}

impl HasId for ListingCard {
    fn listing_id(&self) -> ListingId {
        self.id
    }
}

fn names<T: HasId>(ls: &[T]) -> Vec<String> {
    ls.iter().map(|l| name(&l.listing_id())).collect()
}

fn features(fs: &[Feature]) -> Features {
    fs.iter().copied().collect()
}

fn title(s: &str) -> Title {
    Title::parse(s).unwrap()
}

fn published(n: u128, owner: u128, d: ListingDetails, t: i64) -> Listing {
    listing(n, uid_of(owner), ListingStatus::Published, d, at(t - 50), Some(at(t)))
}

fn dataset() -> Vec<Listing> {
    let la = published(
        A,
        LANDLORD,
        ListingDetails {
            title: Some(title("Bright house with garden")),
            bills_included: true,
            ensuite_rooms: 2,
            furnished: true,
            features: features(&[Feature::Wifi, Feature::Garden]),
            ..details("leeds", "Hyde Park", "LS6 1AB", PropertyType::House, 4, 15_000)
        },
        400,
    );
    let lb = published(
        B,
        AGENT,
        ListingDetails {
            title: Some(title("Modern flat near campus")),
            available_from: Some(date(2027, 9, 1)),
            features: features(&[Feature::Wifi]),
            ..details("leeds", "Headingley", "LS6 3AA", PropertyType::Flat, 2, 12_000)
        },
        410,
    );
    let lc = published(
        C,
        AGENT,
        ListingDetails {
            title: Some(title("Quiet studio by the lake")),
            bills_included: true,
            ensuite_rooms: 1,
            furnished: true,
            available_from: Some(date(2027, 6, 15)),
            academic_year: Some(AcademicYear::starting(2026)),
            features: features(&[Feature::Wifi, Feature::Gym, Feature::Parking]),
            ..details("york", "Heslington", "YO10 5DD", PropertyType::Studio, 1, 20_000)
        },
        420,
    );
    let ld = published(
        D,
        LANDLORD,
        ListingDetails {
            title: Some(title("Large licensed house")),
            description: Some(
                Description::parse(&format!("A big garden at the back. {}", super::fixtures::FILLER)).unwrap(),
            ),
            bills_included: true,
            furnished: true,
            features: features(&[Feature::Garden, Feature::Parking]),
            hmo_licence: Some(HmoLicenceNumber::parse("HMO/2024/0001").unwrap()),
            hmo_licence_expires: Some(date(2027, 6, 30)),
            ..details("leeds", "Hyde Park", "LS6 1AB", PropertyType::House, 6, 13_000)
        },
        430,
    );
    let le = published(
        E,
        AGENT,
        ListingDetails {
            title: Some(title("Five bedroom house")),
            ensuite_rooms: 5,
            furnished: true,
            available_from: Some(date(2027, 8, 1)),
            features: features(&[Feature::Wifi, Feature::Parking]),
            hmo_licence: Some(HmoLicenceNumber::parse("HMO/2021/0777").unwrap()),
            hmo_licence_expires: Some(today()),
            ..details("leeds", "Headingley", "LS6 3AA", PropertyType::House, 5, 14_000)
        },
        440,
    );
    let lk = published(
        K,
        LANDLORD,
        ListingDetails {
            title: Some(title("Tenement flat")),
            bills_included: true,
            available_from: Some(date(2027, 8, 15)),
            features: features(&[Feature::Wifi]),
            ..details("edinburgh", "Marchmont", "EH9 1AA", PropertyType::Flat, 2, 16_000)
        },
        450,
    );
    // Hidden ones match the broad filters, so a filter that forgets visibility shows them.
    let lapsed = |n, t| {
        published(
            n,
            LANDLORD,
            ListingDetails {
                title: Some(title("Huge house with garden")),
                bills_included: true,
                furnished: true,
                features: features(&[Feature::Wifi, Feature::Garden, Feature::Parking]),
                hmo_licence: Some(HmoLicenceNumber::parse("HMO/2020/0002").unwrap()),
                hmo_licence_expires: Some(date(2026, 11, 24)),
                ..details("leeds", "Hyde Park", "LS6 1AB", PropertyType::House, 5, 14_500)
            },
            t,
        )
    };
    let x1 = lapsed(X1, 460);
    let mut x2 = lapsed(X2, 461);
    x2.status = ListingStatus::Draft;
    x2.published_at = None;
    x2.details.hmo_licence_expires = Some(date(2030, 1, 1));
    x2.details.city = Some(CitySlug::parse("bath").unwrap());
    x2.details.area = Some(AreaName::parse("Widcombe").unwrap());
    x2.details.postcode = Some(Postcode::parse("BA2 4BL").unwrap());
    let mut x3 = lapsed(X3, 462);
    x3.status = ListingStatus::Let;
    x3.details.hmo_licence_expires = Some(date(2030, 1, 1));
    let mut x4 = lapsed(X4, 463);
    x4.status = ListingStatus::Archived;
    x4.details.hmo_licence_expires = Some(date(2030, 1, 1));
    let mut x5 = lapsed(X5, 464);
    x5.owner_id = uid_of(SUSPENDED);
    x5.details.hmo_licence_expires = Some(date(2030, 1, 1));
    x5.details.city = Some(CitySlug::parse("york").unwrap());
    x5.details.area = Some(AreaName::parse("Heslington").unwrap());
    x5.details.postcode = Some(Postcode::parse("YO10 5DD").unwrap());
    let x6 = published(
        X6,
        LANDLORD,
        ListingDetails {
            title: Some(title("Scottish flat with garden")),
            hmo_licence: Some(HmoLicenceNumber::parse("EDIN/HMO/1").unwrap()),
            hmo_licence_expires: Some(date(2026, 11, 24)),
            features: features(&[Feature::Wifi]),
            ..details("edinburgh", "Marchmont", "EH9 1AA", PropertyType::Flat, 3, 15_500)
        },
        465,
    );
    // Inserted in an order that is neither id nor publication order.
    vec![lc, x6, lk, x1, la, x3, le, x5, lb, x2, ld, x4]
}

async fn search_dataset(p: &Ports) {
    for l in dataset() {
        seed_listing(p, &l).await;
    }
    assert_eq!(
        dataset().iter().find(|l| l.id == lid(X1)).unwrap().details.searchable_until(),
        Some(date(2026, 11, 24)),
        "sanity: the lapsed English 5-bed is limited by its licence"
    );
    assert_eq!(
        dataset().iter().find(|l| l.id == lid(X6)).unwrap().details.searchable_until(),
        Some(date(2026, 11, 24))
    );
    assert_eq!(dataset().iter().find(|l| l.id == lid(K)).unwrap().details.searchable_until(), None);
}

/// Searches one page of up to 50 and checks that it is the whole result.
async fn search(p: &Ports, q: SearchQuery) -> Vec<String> {
    let q = SearchQuery { page: Some(PageRequest::first(50)), ..q };
    let res = p.listings.search(&q, today()).await.unwrap();
    assert!(res.next.is_none(), "{q:?}: everything fits one page");
    assert_eq!(p.listings.count(&q, today()).await.unwrap(), res.items.len() as u64, "{q:?}: count is exact");
    names(&res.items)
}

fn v(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

async fn search_shows_only_visible_listings(p: &Ports) {
    // Newest published first: K t450, E t440, D t430, C t420, B t410, A t400.
    let res = p
        .listings
        .search(&SearchQuery { city: Some(CitySlug::parse("leeds").unwrap()), ..Default::default() }, today())
        .await
        .unwrap();
    let stored: Vec<ListingCard> = {
        let mut out = Vec::new();
        for n in [E, D, B, A] {
            out.push(p.listings.find(lid(n)).await.unwrap().unwrap().card().expect("published"));
        }
        out
    };
    assert_eq!(res.items, stored, "search returns the cards of the stored listings");
    assert!(res.items.iter().all(|c| !c.excerpt.is_empty()), "with the description's excerpt");
    let leeds_only = SearchQuery { city: Some(CitySlug::parse("leeds").unwrap()), ..Default::default() };
    assert_eq!(p.listings.count(&leeds_only, today()).await.unwrap(), 4);

    let all = search(p, SearchQuery::default()).await;
    assert_eq!(all, v(&["K", "E", "D", "C", "B", "A"]), "draft, let, archived, suspended and lapsed are hidden");

    // The lapsed licence hides X1 from the day after expiry only; E (expiring today) is
    // visible today and hidden tomorrow.
    let leeds = SearchQuery { city: Some(CitySlug::parse("leeds").unwrap()), ..Default::default() };
    let yesterday = p.listings.search(&leeds, date(2026, 11, 24)).await.unwrap();
    assert_eq!(names(&yesterday.items), v(&["X1", "E", "D", "B", "A"]), "on its last day X1 is visible");
    let tomorrow = p.listings.search(&leeds, date(2026, 11, 26)).await.unwrap();
    assert_eq!(names(&tomorrow.items), v(&["D", "B", "A"]), "the day after, E is hidden");
    let later = p.listings.search(&leeds, date(2027, 7, 1)).await.unwrap();
    assert_eq!(names(&later.items), v(&["B", "A"]), "D's licence lapsed on 2027-06-30");
}

async fn search_filters(p: &Ports) {
    let s = async |q: SearchQuery| search(p, q).await;
    let base = SearchQuery::default;
    let city = |c: &str| Some(CitySlug::parse(c).unwrap());
    let area = |a: &str| Some(AreaName::parse(a).unwrap());

    assert_eq!(s(SearchQuery { city: city("leeds"), ..base() }).await, v(&["E", "D", "B", "A"]));
    assert_eq!(s(SearchQuery { city: city("york"), ..base() }).await, v(&["C"]), "X5's owner is suspended");
    assert_eq!(s(SearchQuery { city: city("edinburgh"), ..base() }).await, v(&["K"]), "X6's licence lapsed");
    assert_eq!(s(SearchQuery { city: city("sheffield"), ..base() }).await, v(&[]));

    let hyde_park = SearchQuery { city: city("leeds"), area: area("hyde park"), ..base() };
    assert_eq!(s(hyde_park).await, v(&["D", "A"]), "area matches by name, ignoring case");
    assert_eq!(s(SearchQuery { area: area("HEADINGLEY"), ..base() }).await, v(&["E", "B"]));
    assert_eq!(s(SearchQuery { area: area("Hyde"), ..base() }).await, v(&[]), "area is the whole name");

    assert_eq!(s(SearchQuery { min_rent: Some(14_000), ..base() }).await, v(&["K", "E", "C", "A"]), "inclusive");
    assert_eq!(s(SearchQuery { max_rent: Some(13_000), ..base() }).await, v(&["D", "B"]), "inclusive");
    assert_eq!(s(SearchQuery { min_rent: Some(13_000), max_rent: Some(15_000), ..base() }).await, v(&["E", "D", "A"]));
    assert_eq!(s(SearchQuery { min_rent: Some(20_001), ..base() }).await, v(&[]));

    assert_eq!(s(SearchQuery { bedrooms_min: Some(4), ..base() }).await, v(&["E", "D", "A"]));
    assert_eq!(s(SearchQuery { bedrooms_max: Some(2), ..base() }).await, v(&["K", "C", "B"]));
    assert_eq!(s(SearchQuery { bedrooms_min: Some(2), bedrooms_max: Some(4), ..base() }).await, v(&["K", "B", "A"]));
    assert_eq!(s(SearchQuery { bedrooms_min: Some(5), bedrooms_max: Some(5), ..base() }).await, v(&["E"]));

    let kind = |t| SearchQuery { property_type: Some(t), ..base() };
    assert_eq!(s(kind(PropertyType::House)).await, v(&["E", "D", "A"]));
    assert_eq!(s(kind(PropertyType::Flat)).await, v(&["K", "B"]));
    assert_eq!(s(kind(PropertyType::Studio)).await, v(&["C"]));
    assert_eq!(s(kind(PropertyType::Hall)).await, v(&[]));

    assert_eq!(s(SearchQuery { bills_included: Some(true), ..base() }).await, v(&["K", "D", "C", "A"]));
    assert_eq!(s(SearchQuery { bills_included: Some(false), ..base() }).await, v(&["E", "B"]));
    assert_eq!(s(SearchQuery { ensuite: Some(true), ..base() }).await, v(&["E", "C", "A"]), "at least one en-suite");
    assert_eq!(s(SearchQuery { ensuite: Some(false), ..base() }).await, v(&["K", "D", "B"]), "no en-suite");
    assert_eq!(s(SearchQuery { furnished: Some(true), ..base() }).await, v(&["E", "D", "C", "A"]));
    assert_eq!(s(SearchQuery { furnished: Some(false), ..base() }).await, v(&["K", "B"]));

    let from = |d| SearchQuery { available_from: Some(d), ..base() };
    assert_eq!(s(from(date(2027, 7, 1))).await, v(&["D", "C", "A"]), "available on or before the date");
    assert_eq!(s(from(date(2027, 6, 30))).await, v(&["C"]));
    assert_eq!(s(from(date(2027, 6, 14))).await, v(&[]));
    assert_eq!(s(from(date(2027, 9, 1))).await, v(&["K", "E", "D", "C", "B", "A"]));

    let year = |y| SearchQuery { academic_year: Some(AcademicYear::starting(y)), ..base() };
    assert_eq!(s(year(2027)).await, v(&["K", "E", "D", "B", "A"]));
    assert_eq!(s(year(2026)).await, v(&["C"]));
    assert_eq!(s(year(2028)).await, v(&[]));

    let with = |fs: &[Feature]| SearchQuery { features: features(fs), ..base() };
    assert_eq!(s(with(&[Feature::Wifi])).await, v(&["K", "E", "C", "B", "A"]));
    assert_eq!(s(with(&[Feature::Wifi, Feature::Parking])).await, v(&["E", "C"]), "all of them");
    assert_eq!(s(with(&[Feature::Garden, Feature::Parking])).await, v(&["D"]));
    assert_eq!(s(with(&[Feature::Gym, Feature::Garden])).await, v(&[]));

    let combined = SearchQuery {
        city: city("leeds"),
        furnished: Some(true),
        max_rent: Some(14_000),
        features: features(&[Feature::Parking]),
        ..base()
    };
    assert_eq!(s(combined).await, v(&["E", "D"]), "all given filters must hold");
    let none = SearchQuery { city: city("york"), bedrooms_min: Some(2), ..base() };
    assert_eq!(s(none).await, v(&[]));
}

async fn search_free_text(p: &Ports) {
    let q = |w: &str| SearchQuery { q: Some(w.to_owned()), ..Default::default() };
    assert_eq!(search(p, q("garden")).await, v(&["D", "A"]), "title (A) and description (D); X1 is hidden");
    assert_eq!(search(p, q("GARDEN")).await, v(&["D", "A"]), "case-insensitive");
    assert_eq!(search(p, q("lake")).await, v(&["C"]));
    assert_eq!(search(p, q("headingley")).await, v(&["E", "B"]), "the area is searched too");
    assert_eq!(search(p, q("Marchmont")).await, v(&["K"]));
    assert_eq!(search(p, q("zebra")).await, v(&[]));
    let filtered = SearchQuery { q: Some("garden".into()), bedrooms_max: Some(4), ..Default::default() };
    assert_eq!(search(p, filtered).await, v(&["A"]), "text combines with filters");
}

async fn search_sorts(p: &Ports) {
    let sorted = async |sort| search(p, SearchQuery { sort, ..Default::default() }).await;
    assert_eq!(sorted(SearchSort::Newest).await, v(&["K", "E", "D", "C", "B", "A"]), "published_at desc");
    assert_eq!(sorted(SearchSort::RentAsc).await, v(&["B", "D", "E", "A", "K", "C"]), "rent asc");
    assert_eq!(sorted(SearchSort::RentDesc).await, v(&["C", "K", "A", "E", "D", "B"]), "rent desc");
    // B and K both have 2 bedrooms: ties go by id, descending (B = 0x4003 > K = 0x4002).
    assert_eq!(sorted(SearchSort::BedroomsDesc).await, v(&["D", "E", "A", "B", "K", "C"]), "bedrooms desc");

    // Each sort pages through the same listings with cursors of its own kind.
    for sort in [SearchSort::Newest, SearchSort::RentAsc, SearchSort::RentDesc, SearchSort::BedroomsDesc] {
        let q = SearchQuery::default();
        let all = sorted(sort).await;
        let walked = walk(
            2,
            async |req| {
                let q = SearchQuery { sort, page: Some(req), ..q.clone() };
                let res = p.listings.search(&q, today()).await.unwrap();
                assert_eq!(p.listings.count(&q, today()).await.unwrap(), 6, "{sort:?}: count ignores sort and page");
                res
            },
            |l: &ListingCard| Cursor { sort: sort.tag(), key: sort.key_of(l), id: l.id.0 },
        )
        .await;
        assert_eq!(names(&walked), all, "{sort:?} pages of 2");
    }
}

async fn suspending_an_owner_hides_their_listings(p: &Ports) {
    let mut agent: User = p.users.find(uid_of(AGENT)).await.unwrap().unwrap();
    agent.suspended = true;
    agent.display_name = DisplayName::parse("Suspended agent").unwrap();
    agent.updated_at = at(600);
    let ev = event(0x7301, "user.suspend", ("user", agent.id.to_string()), at(600));
    write_user(p, &mut agent, &ev).await;
    let s = async || search(p, SearchQuery::default()).await;
    assert_eq!(s().await, v(&["K", "D", "A"]), "the agent's B, C and E leave search at once");
    let stats = p.listings.stats(today()).await.unwrap();
    assert_eq!(stats.landlords, 2, "a suspended agent is not an active landlord");

    agent.suspended = false;
    agent.updated_at = at(601);
    let ev = event(0x7302, "user.unsuspend", ("user", agent.id.to_string()), at(601));
    write_user(p, &mut agent, &ev).await;
    assert_eq!(s().await, v(&["K", "E", "D", "C", "B", "A"]), "and come back when reinstated");
}

/// Sets york's `active` flag (each call its own event id).
async fn set_york_active(p: &Ports, active: bool) {
    static CALLS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let ev = event(0x7400 + u128::from(n), "city.update", ("city", "york".into()), at(800 + i64::from(n)));
    let change = CityChange { name: None, active: Some(active) };
    p.cities.change(&CitySlug::parse("york").unwrap(), &change, &ev).await.unwrap().expect("york exists");
}

async fn deactivating_a_city_hides_its_listings_everywhere(p: &Ports) {
    set_york_active(p, false).await;
    let s = async || search(p, SearchQuery::default()).await;
    assert_eq!(s().await, v(&["K", "E", "D", "B", "A"]), "york's C leaves search");
    let counts = p.listings.visible_counts_by_city(today()).await.unwrap();
    assert!(counts.iter().all(|(c, _)| c.as_str() != "york"), "and the city counts: {counts:?}");
    assert_eq!(p.listings.stats(today()).await.unwrap().listings, 5, "and the stats");
    set_york_active(p, true).await;
    assert_eq!(s().await, v(&["K", "E", "D", "C", "B", "A"]), "and comes back when reactivated");
}

/// A saved listing has its card exactly while `Listing::hidden` is `None` (let listings
/// included, unlike search): lapsed licence, suspended owner, inactive city, draft,
/// archived show no content.
async fn shortlist_cards_follow_the_same_rule(p: &Ports) {
    let student = uid_of(STUDENT);
    let saved = [C, X1, X2, X3, X4, X5];
    for (i, n) in (0_i64..).zip(saved.iter()) {
        p.shortlist.add(student, lid(*n), at(700 + i)).await.unwrap();
    }
    let carded = async || {
        let page = p.shortlist.list(student, PageRequest::first(50), today()).await.unwrap();
        let mut with: Vec<u128> =
            page.items.iter().filter(|s| s.card.is_some()).map(|s| s.listing_id.0.as_u128()).collect();
        with.sort_unstable();
        with
    };
    assert_eq!(
        carded().await,
        [C, X3],
        "C is public, X3 is let; X1's licence lapsed, X2 draft, X4 archived, X5's owner suspended"
    );
    set_york_active(p, false).await;
    assert_eq!(carded().await, [X3], "C's city is inactive");
    set_york_active(p, true).await;
    // The day X3's licence lapses is judged by the `today` passed in.
    let late = p.shortlist.list(student, PageRequest::first(50), date(2030, 1, 2)).await.unwrap();
    assert!(late.items.iter().all(|s| s.listing_id != lid(X3) || s.card.is_none()), "X3's licence lapsed in 2030");
    for n in saved {
        p.shortlist.remove(student, lid(n)).await.unwrap();
    }
}

async fn counts_by_city_and_stats(p: &Ports) {
    let mut counts = p.listings.visible_counts_by_city(today()).await.unwrap();
    counts.sort();
    let counts: Vec<(String, u64)> = counts.into_iter().map(|(c, n)| (c.as_str().to_owned(), n)).collect();
    let expected = [("edinburgh", 1), ("leeds", 4), ("york", 1)];
    let expected: Vec<(String, u64)> = expected.iter().map(|(c, n)| ((*c).to_owned(), *n)).collect();
    assert_eq!(counts, expected, "visible listings per city; bath (a draft) and sheffield (nothing) are absent");

    let stats = p.listings.stats(today()).await.unwrap();
    assert_eq!(stats, SiteStats { listings: 6, cities: 3, landlords: 3 });

    let mut later = p.listings.visible_counts_by_city(date(2027, 7, 1)).await.unwrap();
    later.sort();
    assert_eq!(later.iter().find(|(c, _)| c.as_str() == "leeds").map(|(_, n)| *n), Some(2), "D and E lapsed");
    assert_eq!(p.listings.stats(date(2027, 7, 1)).await.unwrap(), SiteStats { listings: 4, cities: 3, landlords: 3 });
}

// ---------------------------------------------------------------- pagination with ties

async fn search_pages_through_ties_in_every_sort(p: &Ports) {
    // 25 listings in sheffield with many equal rents, bedroom counts and publication
    // times; ids do not follow insertion order.
    let rents = [11_000, 12_000, 12_000, 12_000, 13_000];
    let mut tied = Vec::new();
    for i in 0..25u8 {
        let n = 0x5000 + u128::from((i * 7) % 25);
        let owner = if i % 2 == 0 { LANDLORD } else { AGENT };
        let d = details("sheffield", "Crookes", "S10 2TN", PropertyType::House, 1 + i % 3, rents[usize::from(i % 5)]);
        let l = published(n, owner, d, 700 + i64::from(i / 4));
        seed_listing(p, &l).await;
        tied.push(l);
    }
    let city = Some(CitySlug::parse("sheffield").unwrap());

    let first_q = SearchQuery { city: city.clone(), ..Default::default() };
    let first = p.listings.search(&first_q, today()).await.unwrap();
    assert_eq!(first.items.len(), 20, "the default page is the first 20");
    assert_eq!(p.listings.count(&first_q, today()).await.unwrap(), 25);
    let last_of_first = first.items.last().unwrap();
    assert_eq!(
        first.next,
        Some(Cursor {
            sort: SearchSort::Newest.tag(),
            key: SearchSort::Newest.key_of(last_of_first),
            id: last_of_first.id.0
        })
    );

    for sort in [SearchSort::Newest, SearchSort::RentAsc, SearchSort::RentDesc, SearchSort::BedroomsDesc] {
        let mut expected: Vec<ListingCard> = tied.iter().map(|l| l.card().unwrap()).collect();
        expected.sort_by(|a, b| {
            let (ka, kb) = ((sort.key_of(a), a.id), (sort.key_of(b), b.id));
            if sort == SearchSort::RentAsc { ka.cmp(&kb) } else { kb.cmp(&ka) }
        });
        for size in [1, 3, 7, 20, 25, 50] {
            let q = SearchQuery { city: city.clone(), sort, ..Default::default() };
            let walked = walk(
                size,
                async |req| {
                    let q = SearchQuery { page: Some(req), ..q.clone() };
                    let res = p.listings.search(&q, today()).await.unwrap();
                    assert_eq!(p.listings.count(&q, today()).await.unwrap(), 25);
                    res
                },
                |l: &ListingCard| Cursor { sort: sort.tag(), key: sort.key_of(l), id: l.id.0 },
            )
            .await;
            assert_distinct(&walked.iter().map(|l| l.id).collect::<Vec<_>>());
            assert_eq!(names(&walked), names(&expected), "{sort:?} in pages of {size}: no gaps, no duplicates");
        }
    }

    // Filters and pages together: the 12 000 rents, cheapest first (all tied: by id).
    let q = SearchQuery {
        city,
        min_rent: Some(12_000),
        max_rent: Some(12_000),
        sort: SearchSort::RentAsc,
        ..Default::default()
    };
    let walked = walk(
        4,
        async |req| p.listings.search(&SearchQuery { page: Some(req), ..q.clone() }, today()).await.unwrap(),
        |l: &ListingCard| Cursor { sort: SearchSort::RentAsc.tag(), key: 12_000, id: l.id.0 },
    )
    .await;
    let mut ids: Vec<_> = tied.iter().filter(|l| l.details.rent_pppw == Some(pence(12_000))).map(|l| l.id).collect();
    ids.sort();
    assert_eq!(walked.iter().map(|l| l.id).collect::<Vec<_>>(), ids);
}
