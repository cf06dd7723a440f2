//! The `EnquiryRepository` contract, with its transactional outbox.

use application::RepositoryError;
use application::audit::AuditEvent;
use application::paging::PageRequest;
use application::ports::{EnquiryBox, JobStatus, NewJob};
use chrono::{DateTime, Utc};
use domain::enquiry::{Enquiry, EnquiryId, EnquiryMessage, EnquiryStatus, ViewingDates};
use domain::listing::{ListingId, ListingStatus, PropertyType};
use domain::{Role, UserId};

use super::Ports;
use super::fixtures::{
    assert_distinct, at, date, details, event, events_about, listing, seed_city, seed_listing, seed_user, time_cursor,
    uid, user, walk,
};

const OWNER1: u128 = 0x1001;
const OWNER2: u128 = 0x1002;
const ALICE: u128 = 0x1003;
const BOB: u128 = 0x1004;

const L1: u128 = 0x2001;
const L2: u128 = 0x2002;
const L3: u128 = 0x2003;

/// Runs every case on a fresh, empty store.
pub async fn run(p: &Ports) {
    seed(p).await;
    nothing_yet(p).await;
    insert_stores_the_enquiry_and_its_notification(p).await;
    insert_is_all_or_nothing(p).await;
    every_enquiry_queues_its_notification(p).await;
    update_status_stores_status_updated_at_and_audit(p).await;
    lists_sent_and_received_newest_first_in_pages(p).await;
}

fn person(n: u128) -> UserId {
    UserId(uid(n))
}

async fn seed(p: &Ports) {
    seed_city(p, "leeds", "Leeds", &["Hyde Park"]).await;
    seed_user(p, &user(OWNER1, "owner1@example.com", Role::Landlord, at(1))).await;
    seed_user(p, &user(OWNER2, "owner2@example.com", Role::Agent, at(2))).await;
    seed_user(p, &user(ALICE, "alice@example.com", Role::Student, at(3))).await;
    seed_user(p, &user(BOB, "bob@example.com", Role::Student, at(4))).await;
    for (n, owner) in [(L1, OWNER1), (L2, OWNER1), (L3, OWNER2)] {
        let d = details("leeds", "Hyde Park", "LS6 1AB", PropertyType::House, 4, 12_000);
        seed_listing(p, &listing(n, person(owner), ListingStatus::Published, d, at(5), Some(at(6)))).await;
    }
}

fn enquiry(n: u128, listing: u128, sender: u128, owner: u128, created: DateTime<Utc>) -> Enquiry {
    Enquiry {
        id: EnquiryId(uid(n)),
        listing_id: ListingId(uid(listing)),
        sender_id: person(sender),
        owner_id: person(owner),
        message: EnquiryMessage::parse(&format!("Is room {n:x} still free?\nThanks — £ is fine.")).unwrap(),
        viewing_dates: ViewingDates::from_stored(vec![date(2026, 12, 1), date(2026, 12, 3)]),
        status: EnquiryStatus::New,
        created_at: created,
        updated_at: created,
    }
}

fn notify(n: u128, e: &Enquiry, created: DateTime<Utc>) -> NewJob {
    let payload = serde_json::json!({
        "enquiry_id": e.id,
        "listing_id": e.listing_id,
        "owner_id": e.owner_id,
        "attempt": 1,
        "tags": ["new", null, true],
    });
    NewJob::now(uid(n), "enquiry.notify_owner", payload, created)
}

/// The queued jobs, as they were enqueued, by id.
async fn outbox(p: &Ports) -> Vec<NewJob> {
    let page = p.jobs.list(Some(JobStatus::Queued), PageRequest::first(50)).await.unwrap();
    let mut jobs: Vec<NewJob> = page
        .items
        .into_iter()
        .map(|j| NewJob {
            id: j.id,
            kind: j.kind,
            payload: j.payload,
            run_at: j.run_at,
            max_attempts: j.max_attempts,
            dedupe_key: j.dedupe_key,
            created_at: j.created_at,
        })
        .collect();
    jobs.sort_by_key(|j| j.id);
    jobs
}

async fn nothing_yet(p: &Ports) {
    assert!(p.enquiries.find(EnquiryId(uid(0x3001))).await.unwrap().is_none());
    for which in [EnquiryBox::Sent, EnquiryBox::Received] {
        let page = p.enquiries.list(person(ALICE), which, PageRequest::first(10)).await.unwrap();
        assert!(page.items.is_empty() && page.next.is_none());
    }
    assert!(outbox(p).await.is_empty());
}

async fn insert_stores_the_enquiry_and_its_notification(p: &Ports) {
    let e = enquiry(0x3001, L1, ALICE, OWNER1, at(100));
    let m = notify(0x8001, &e, at(100));
    p.enquiries.insert(&e, &m).await.expect("insert");
    assert_eq!(p.enquiries.find(e.id).await.unwrap().as_ref(), Some(&e), "every field round-trips");
    assert_eq!(outbox(p).await, vec![m], "the notification job is queued, payload intact");

    // No viewing dates at all.
    let mut bare = enquiry(0x3002, L3, BOB, OWNER2, at(101));
    bare.viewing_dates = ViewingDates::default();
    p.enquiries.insert(&bare, &notify(0x8002, &bare, at(101))).await.unwrap();
    assert_eq!(p.enquiries.find(bare.id).await.unwrap().as_ref(), Some(&bare));
}

async fn insert_is_all_or_nothing(p: &Ports) {
    // The enquiry exists already: its new notification must not be queued.
    let again = enquiry(0x3001, L1, ALICE, OWNER1, at(102));
    let m = notify(0x8003, &again, at(102));
    assert!(p.enquiries.insert(&again, &m).await.is_err(), "an enquiry id is stored once");
    assert!(outbox(p).await.iter().all(|o| o.id != m.id), "no notification without its enquiry");
    assert_eq!(p.enquiries.find(again.id).await.unwrap().unwrap().created_at, at(100), "the first is kept");

    // The notification's id is taken: the enquiry must not be stored either.
    let fresh = enquiry(0x3003, L2, BOB, OWNER1, at(103));
    let clash = notify(0x8001, &fresh, at(103));
    assert!(p.enquiries.insert(&fresh, &clash).await.is_err(), "a job id is stored once");
    assert!(p.enquiries.find(fresh.id).await.unwrap().is_none(), "no enquiry without its notification");
    assert_eq!(outbox(p).await.len(), 2);
}

async fn every_enquiry_queues_its_notification(p: &Ports) {
    // Created in an order unlike their insertion (and id) order.
    let plan: [(u128, u128, i64); 4] =
        [(0x3010, 0x8010, 95), (0x3011, 0x8009, 99), (0x3012, 0x8011, 99), (0x3013, 0x8008, 110)];
    for (n, m, t) in plan {
        let e = enquiry(n, L2, BOB, OWNER1, at(t));
        p.enquiries.insert(&e, &notify(m, &e, at(t))).await.unwrap();
    }
    let ids: Vec<u128> = outbox(p).await.iter().map(|m| m.id.as_u128()).collect();
    assert_eq!(ids, [0x8001, 0x8002, 0x8008, 0x8009, 0x8010, 0x8011], "one queued job per enquiry");
    let due = p.jobs.claim(at(100), at(130), 10).await.unwrap();
    let ids: Vec<u128> = due.iter().map(|j| j.id.as_u128()).collect();
    assert_eq!(ids, [0x8010, 0x8009, 0x8011, 0x8001], "due at their enquiry's time, oldest first, ties by id");
    for j in due {
        let lease = j.lease.unwrap().id;
        p.jobs.finish(j.id, lease, &application::ports::Outcome::Release, at(100)).await.unwrap();
    }
}

async fn update_status_stores_status_updated_at_and_audit(p: &Ports) {
    let before = p.enquiries.find(EnquiryId(uid(0x3001))).await.unwrap().unwrap();
    let mut after = before.clone();
    after.status = EnquiryStatus::Replied;
    after.updated_at = at(300);
    let ev = status_event(0x9001, &before, &after);
    p.enquiries.update_status(&after, before.status, &ev).await.expect("update_status");
    assert_eq!(p.enquiries.find(before.id).await.unwrap().as_ref(), Some(&after));
    assert_eq!(events_about(p, "enquiry", before.id.to_string()).await, vec![ev.clone()], "the audit event is stored");

    // Only status and updated_at are stored; the rest of the enquiry is not rewritten.
    let mut closed = after.clone();
    closed.status = EnquiryStatus::Closed;
    closed.updated_at = at(301);
    closed.message = EnquiryMessage::parse("A different message altogether").unwrap();
    closed.viewing_dates = ViewingDates::default();
    let ev2 = status_event(0x9002, &after, &closed);
    // Conditional on the status read: a change based on "new" loses to the reply.
    let stale = status_event(0x9003, &before, &closed);
    let err = p.enquiries.update_status(&closed, before.status, &stale).await.unwrap_err();
    assert!(matches!(err, RepositoryError::Stale), "{err:?}");
    p.enquiries.update_status(&closed, after.status, &ev2).await.unwrap();
    let stored = p.enquiries.find(before.id).await.unwrap().unwrap();
    assert_eq!(stored, Enquiry { status: EnquiryStatus::Closed, updated_at: at(301), ..before.clone() });
    assert_eq!(events_about(p, "enquiry", before.id.to_string()).await, vec![ev2, ev]);

    let other = p.enquiries.find(EnquiryId(uid(0x3002))).await.unwrap().unwrap();
    assert_eq!(other.status, EnquiryStatus::New, "other enquiries are untouched");
}

fn status_event(n: u128, before: &Enquiry, after: &Enquiry) -> AuditEvent {
    let mut ev = event(n, "enquiry.status", ("enquiry", before.id.to_string()), after.updated_at);
    ev.actor_id = Some(before.owner_id);
    ev.request_id = Some("req-status".into());
    ev.before = Some(serde_json::json!({ "status": before.status.as_str() }));
    ev.after = Some(serde_json::json!({ "status": after.status.as_str() }));
    ev
}

async fn lists_sent_and_received_newest_first_in_pages(p: &Ports) {
    // So far: 0x3001 alice→owner1 (t100), 0x3002 bob→owner2 (t101),
    // 0x3010..=0x3013 bob→owner1 (t95, t99, t99, t110). More, with ties.
    let more: [(u128, u128, u128, u128, i64); 5] = [
        (0x3020, L3, ALICE, OWNER2, 200),
        (0x3024, L1, ALICE, OWNER1, 200),
        (0x3022, L2, ALICE, OWNER1, 200),
        (0x3021, L1, BOB, OWNER1, 210),
        (0x3023, L3, ALICE, OWNER2, 90),
    ];
    for (i, (n, l, s, o, t)) in more.into_iter().enumerate() {
        let e = enquiry(n, l, s, o, at(t));
        p.enquiries.insert(&e, &notify(0x8100 + i as u128, &e, at(t))).await.unwrap();
    }
    let list = async |who: u128, which: EnquiryBox| {
        let page = p.enquiries.list(person(who), which, PageRequest::first(50)).await.unwrap();
        assert!(page.next.is_none());
        page.items.iter().map(|e| e.id.0.as_u128()).collect::<Vec<_>>()
    };
    assert_eq!(list(ALICE, EnquiryBox::Sent).await, [0x3024, 0x3022, 0x3020, 0x3001, 0x3023], "ties by id, descending");
    assert_eq!(list(BOB, EnquiryBox::Sent).await, [0x3021, 0x3013, 0x3002, 0x3012, 0x3011, 0x3010]);
    assert_eq!(
        list(OWNER1, EnquiryBox::Received).await,
        [0x3021, 0x3024, 0x3022, 0x3013, 0x3001, 0x3012, 0x3011, 0x3010]
    );
    assert_eq!(list(OWNER2, EnquiryBox::Received).await, [0x3020, 0x3002, 0x3023]);
    assert!(list(ALICE, EnquiryBox::Received).await.is_empty(), "students receive none");
    assert!(list(OWNER1, EnquiryBox::Sent).await.is_empty(), "owners sent none");

    let received = list(OWNER1, EnquiryBox::Received).await;
    for size in [1, 2, 3, 8, 9] {
        let walked = walk(
            size,
            async |req| p.enquiries.list(person(OWNER1), EnquiryBox::Received, req).await.unwrap(),
            |e: &Enquiry| time_cursor(e.created_at, e.id.0),
        )
        .await;
        let ids: Vec<u128> = walked.iter().map(|e| e.id.0.as_u128()).collect();
        assert_distinct(&ids);
        assert_eq!(ids, received, "received, pages of {size}");
    }
    let sent = walk(
        2,
        async |req| p.enquiries.list(person(BOB), EnquiryBox::Sent, req).await.unwrap(),
        |e: &Enquiry| time_cursor(e.created_at, e.id.0),
    )
    .await;
    assert_eq!(sent.iter().map(|e| e.id.0.as_u128()).collect::<Vec<_>>(), list(BOB, EnquiryBox::Sent).await);
}
