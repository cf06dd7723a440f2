//! The `AuditLog` contract. Events are written by the other repositories (in the
//! transaction of the change they record), so this suite makes changes through them and
//! reads the trail back.

use application::audit::{AuditEvent, AuditFilter};
use application::paging::PageRequest;
use application::ports::NewJob;
use domain::enquiry::{Enquiry, EnquiryId, EnquiryMessage, EnquiryStatus, ViewingDates};
use domain::listing::{ListingId, ListingStatus, PropertyType};
use domain::{Role, User, UserId};

use super::Ports;
use super::fixtures::{assert_distinct, at, details, listing, seed_city, time_cursor, uid, user, walk};

const ADMIN: u128 = 0x1001;
const LANDLORD: u128 = 0x1002;
const STUDENT: u128 = 0x1003;
const L1: u128 = 0x2001;
const L2: u128 = 0x2002;
const ENQUIRY: u128 = 0x3001;

/// Runs every case on a fresh, empty store.
pub async fn run(p: &Ports) {
    let empty = p.audit.list(&AuditFilter::default(), PageRequest::first(10)).await.unwrap();
    assert!(empty.items.is_empty() && empty.next.is_none(), "a fresh store has no events");

    let events = record_changes(p).await;
    lists_newest_first_as_written(p, &events).await;
    filters(p).await;
    pages(p).await;
}

fn person(n: u128) -> UserId {
    UserId(uid(n))
}

fn ev(
    n: u128,
    actor: Option<u128>,
    action: &str,
    target: (&str, String),
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
    t: i64,
) -> AuditEvent {
    AuditEvent {
        id: uid(n),
        actor_id: actor.map(person),
        action: action.to_owned(),
        target_type: target.0.to_owned(),
        target_id: target.1,
        before,
        after,
        request_id: Some(format!("01JD{n:X}-req")),
        at: at(t),
    }
}

/// A summary with every JSON shape: nesting, arrays, unicode, escapes, null members,
/// negative and large integers, a decimal, booleans, empty containers.
fn rich_json(status: &str) -> serde_json::Value {
    serde_json::json!({
        "status": status,
        "title": "Café-side 6-bed — £150 \"pppw\"\n(second line)",
        "rent_pppw_pence": 15_050,
        "balance": -42,
        "big": i64::MAX,
        "ratio": 1.5,
        "bedrooms": null,
        "flags": [true, false, null],
        "nested": { "a.b": { "c": [1, [2, { "d": "ü" }]] }, "empty_obj": {}, "empty_arr": [] },
    })
}

/// Makes changes through the repositories and returns the events they wrote, in the
/// order the trail must list them (newest first; ties by id, descending).
async fn record_changes(p: &Ports) -> Vec<AuditEvent> {
    let city_create = seed_city(p, "leeds", "Leeds", &["Hyde Park"]).await;
    let mut users: Vec<User> = vec![
        user(ADMIN, "admin@example.com", Role::Admin, at(10)),
        user(LANDLORD, "landlord@example.com", Role::Landlord, at(11)),
        user(STUDENT, "student@example.com", Role::Student, at(12)),
    ];
    let created: Vec<AuditEvent> = users
        .iter()
        .enumerate()
        .map(|(i, u)| {
            let mut e = ev(
                0xA001 + i as u128,
                None,
                "user.create",
                ("user", u.id.to_string()),
                None,
                Some(serde_json::json!({ "role": u.role.as_str() })),
                10 + i64::try_from(i).unwrap(),
            );
            e.request_id = None;
            e
        })
        .collect();
    for (u, e) in users.iter().zip(&created) {
        p.users.insert(u, e).await.unwrap();
    }

    let d = || details("leeds", "Hyde Park", "LS6 1AB", PropertyType::House, 4, 12_000);
    let mut l1 = listing(L1, person(LANDLORD), ListingStatus::Published, d(), at(20), Some(at(20)));
    let l2 = listing(L2, person(LANDLORD), ListingStatus::Draft, d(), at(21), None);
    let l1_create = ev(0xA010, Some(LANDLORD), "listing.create", ("listing", l1.id.to_string()), None, None, 20);
    let l2_create = ev(
        0xA011,
        Some(LANDLORD),
        "listing.create",
        ("listing", l2.id.to_string()),
        None,
        Some(serde_json::json!({ "status": "draft" })),
        21,
    );
    p.listings.insert(&l1, &l1_create).await.unwrap();
    p.listings.insert(&l2, &l2_create).await.unwrap();

    // Two events at the same instant.
    let l1_read = application::ports::Precondition::of(&l1);
    l1.status = ListingStatus::Let;
    l1.updated_at = at(30);
    l1.version = l1_read.version.next();
    let l1_update = ev(
        0xA021,
        Some(LANDLORD),
        "listing.let",
        ("listing", l1.id.to_string()),
        Some(rich_json("published")),
        Some(rich_json("let")),
        30,
    );
    p.listings.update(&l1, l1_read, &l1_update).await.unwrap();
    let l2_delete =
        ev(0xA020, Some(ADMIN), "listing.delete", ("listing", l2.id.to_string()), Some(rich_json("draft")), None, 30);
    p.listings.delete(l2.id, l2.version, &l2_delete).await.unwrap();

    let read = users[2].version;
    users[2].suspended = true;
    users[2].updated_at = at(40);
    users[2].version = read.next();
    let suspend = ev(
        0xA030,
        Some(ADMIN),
        "user.suspend",
        ("user", users[2].id.to_string()),
        Some(serde_json::json!({ "suspended": false })),
        Some(serde_json::json!({ "suspended": true })),
        40,
    );
    p.users.update(&users[2], read, &suspend).await.unwrap();

    let enquiry = Enquiry {
        id: EnquiryId(uid(ENQUIRY)),
        listing_id: ListingId(uid(L1)),
        sender_id: person(STUDENT),
        owner_id: person(LANDLORD),
        message: EnquiryMessage::parse("Is it still available?").unwrap(),
        viewing_dates: ViewingDates::default(),
        status: EnquiryStatus::New,
        created_at: at(45),
        updated_at: at(45),
    };
    let note =
        NewJob::now(uid(0x8001), "enquiry.notify_owner", serde_json::json!({ "enquiry_id": enquiry.id }), at(45));
    p.enquiries.insert(&enquiry, &note).await.unwrap();
    let replied = Enquiry { status: EnquiryStatus::Replied, updated_at: at(50), ..enquiry };
    let reply = ev(
        0xA040,
        Some(LANDLORD),
        "enquiry.status",
        ("enquiry", replied.id.to_string()),
        Some(serde_json::json!({ "status": "new" })),
        Some(serde_json::json!({ "status": "replied" })),
        50,
    );
    p.enquiries.update_status(&replied, EnquiryStatus::New, &reply).await.unwrap();

    let mut newest_first = vec![reply, suspend, l1_update, l2_delete, l2_create, l1_create];
    newest_first.extend(created.into_iter().rev());
    newest_first.push(city_create);
    newest_first
}

async fn lists_newest_first_as_written(p: &Ports, events: &[AuditEvent]) {
    let page = p.audit.list(&AuditFilter::default(), PageRequest::first(50)).await.unwrap();
    assert!(page.next.is_none());
    assert_eq!(page.items, events, "every event, exactly as written (JSON included), newest first");
}

fn ids(events: &[AuditEvent]) -> Vec<u128> {
    events.iter().map(|e| e.id.as_u128()).collect()
}

async fn filters(p: &Ports) {
    let list = async |f: AuditFilter| {
        let page = p.audit.list(&f, PageRequest::first(50)).await.unwrap();
        assert!(page.next.is_none());
        ids(&page.items)
    };
    let actor = |n| AuditFilter { actor_id: Some(person(n)), ..Default::default() };
    assert_eq!(list(actor(ADMIN)).await, [0xA030, 0xA020]);
    assert_eq!(list(actor(LANDLORD)).await, [0xA040, 0xA021, 0xA011, 0xA010]);
    assert!(list(actor(STUDENT)).await.is_empty());

    let kind = |t: &str| AuditFilter { target_type: Some(t.to_owned()), ..Default::default() };
    assert_eq!(list(kind("user")).await, [0xA030, 0xA003, 0xA002, 0xA001]);
    assert_eq!(list(kind("listing")).await, [0xA021, 0xA020, 0xA011, 0xA010]);
    assert_eq!(list(kind("enquiry")).await, [0xA040]);
    assert!(list(kind("photo")).await.is_empty());
    assert!(list(kind("LISTING")).await.is_empty(), "target types match exactly");

    let l1 = ListingId(uid(L1)).to_string();
    let l2 = ListingId(uid(L2)).to_string();
    let about = |t: &str, id: &str| AuditFilter {
        target_type: Some(t.to_owned()),
        target_id: Some(id.to_owned()),
        ..Default::default()
    };
    assert_eq!(list(about("listing", &l1)).await, [0xA021, 0xA010]);
    assert_eq!(list(about("listing", &l2)).await, [0xA020, 0xA011], "a deleted listing keeps its trail");
    assert!(list(about("user", &l1)).await.is_empty(), "type and id must both match");
    let by_id = AuditFilter { target_id: Some(l2.clone()), ..Default::default() };
    assert_eq!(list(by_id).await, [0xA020, 0xA011], "target id alone");

    let all_three =
        AuditFilter { actor_id: Some(person(LANDLORD)), target_type: Some("listing".into()), target_id: Some(l1) };
    assert_eq!(list(all_three).await, [0xA021, 0xA010], "filters combine");
    let landlord_listings =
        AuditFilter { actor_id: Some(person(LANDLORD)), target_type: Some("listing".into()), ..Default::default() };
    assert_eq!(list(landlord_listings).await, [0xA021, 0xA011, 0xA010]);
}

async fn pages(p: &Ports) {
    let all = p.audit.list(&AuditFilter::default(), PageRequest::first(50)).await.unwrap().items;
    for size in [1, 2, 3, 4, 9, 10] {
        let walked = walk(
            size,
            async |req| p.audit.list(&AuditFilter::default(), req).await.unwrap(),
            |e: &AuditEvent| time_cursor(e.at, e.id),
        )
        .await;
        assert_distinct(&ids(&walked));
        assert_eq!(walked, all, "pages of {size}: every event once, in order");
    }
    let listings = AuditFilter { target_type: Some("listing".into()), ..Default::default() };
    let walked =
        walk(2, async |req| p.audit.list(&listings, req).await.unwrap(), |e: &AuditEvent| time_cursor(e.at, e.id))
            .await;
    assert_eq!(ids(&walked), [0xA021, 0xA020, 0xA011, 0xA010], "filtered pages, across the tie at t30");
}
