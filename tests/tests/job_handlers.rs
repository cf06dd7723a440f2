//! The job handlers, on a real (SQLite) store: the enquiry notification and the daily
//! HMO-licence sweep.

use std::sync::{Arc, Mutex};

use application::audit::AuditFilter;
use application::enquiries::{NOTIFY_OWNER, NotifyOwner};
use application::jobs::{JobError, JobHandler};
use application::listings::{HmoLicenceSweep, ListingPorts};
use application::paging::PageRequest;
use application::ports::{Job, JobStatus, Lease, MailError, MailMessage, Mailer, UuidV7};
use async_trait::async_trait;
use domain::enquiry::{Enquiry, EnquiryId, EnquiryMessage, EnquiryStatus, ViewingDates};
use domain::listing::{HmoLicenceNumber, ListingId, ListingStatus, PropertyType};
use domain::{Role, UserId};
use sp_memory::FixedClock;
use sp_tests::TestDb;
use sp_tests::contract::Ports;
use sp_tests::contract::fixtures::{at, date, details, listing, seed_city, seed_listing, seed_user, uid, user};

const OWNER: u128 = 0x1001;
const STUDENT: u128 = 0x1002;

/// What the mailer does: record, or fail.
#[derive(Default)]
struct TestMailer {
    sent: Mutex<Vec<MailMessage>>,
    fail: Mutex<Option<fn() -> MailError>>,
}

#[async_trait]
impl Mailer for TestMailer {
    async fn send(&self, m: &MailMessage) -> Result<(), MailError> {
        if let Some(f) = *self.fail.lock().unwrap() {
            return Err(f());
        }
        self.sent.lock().unwrap().push(m.clone());
        Ok(())
    }
}

async fn store() -> (TestDb, Ports) {
    let db = TestDb::sqlite();
    let conn = db.migrated().await;
    let p = Ports::sql(&conn);
    seed_city(&p, "leeds", "Leeds", &["Hyde Park"]).await;
    seed_user(&p, &user(OWNER, "owner@example.com", Role::Landlord, at(1))).await;
    seed_user(&p, &user(STUDENT, "alex@example.com", Role::Student, at(2))).await;
    (db, p)
}

fn job(kind: &str, payload: serde_json::Value) -> Job {
    Job {
        id: uid(0x9001),
        kind: kind.into(),
        payload,
        status: JobStatus::Running,
        run_at: at(10),
        attempts: 1,
        max_attempts: 5,
        lease: Some(Lease { id: uid(0x9002), until: at(70) }),
        last_error: None,
        dedupe_key: None,
        trace_context: None,
        created_at: at(10),
        updated_at: at(10),
    }
}

#[tokio::test]
async fn the_owner_is_mailed_the_enquiry_with_both_bodies() {
    let (_db, p) = store().await;
    let d = details("leeds", "Hyde Park", "LS6 1AB", PropertyType::House, 4, 12_000);
    seed_listing(&p, &listing(0x2001, UserId(uid(OWNER)), ListingStatus::Published, d, at(3), Some(at(4)))).await;
    let enquiry = Enquiry {
        id: EnquiryId(uid(0x3001)),
        listing_id: ListingId(uid(0x2001)),
        sender_id: UserId(uid(STUDENT)),
        owner_id: UserId(uid(OWNER)),
        message: EnquiryMessage::parse("Is it free for 2027/28? <b>Thanks</b>").unwrap(),
        viewing_dates: ViewingDates::from_stored(vec![date(2027, 1, 6)]),
        status: EnquiryStatus::New,
        created_at: at(5),
        updated_at: at(5),
    };
    let payload = serde_json::json!({ "enquiry_id": enquiry.id });
    p.enquiries
        .insert(&enquiry, &application::ports::NewJob::now(uid(0x9001), NOTIFY_OWNER, payload.clone(), at(5)))
        .await
        .unwrap();

    let mailer = Arc::new(TestMailer::default());
    let handler = NotifyOwner {
        enquiries: p.enquiries.clone(),
        listings: p.listings.clone(),
        users: p.users.clone(),
        mailer: mailer.clone(),
        site_url: url::Url::parse("https://student-palace.co.uk").unwrap(),
    };
    handler.run(&job(NOTIFY_OWNER, payload.clone())).await.unwrap();
    let sent = mailer.sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 1);
    let m = &sent[0];
    assert_eq!(m.to.as_str(), "owner@example.com");
    assert_eq!(m.subject, "New enquiry about A home for students");
    assert!(m.text.contains("Is it free for 2027/28? <b>Thanks</b>"), "{}", m.text);
    assert!(m.text.contains("Wed 6 January 2027"), "{}", m.text);
    assert!(m.text.contains("https://student-palace.co.uk/me/enquiries?box=received"));
    assert!(m.html.contains("&lt;b&gt;Thanks") || m.html.contains("&#60;b&#62;Thanks"), "{}", m.html);

    // The mail server is down: retried. It refuses the recipient: dead.
    *mailer.fail.lock().unwrap() = Some(|| MailError::Unavailable(anyhow::anyhow!("connection refused")));
    assert!(matches!(handler.run(&job(NOTIFY_OWNER, payload.clone())).await, Err(JobError::Retry(_))));
    *mailer.fail.lock().unwrap() = Some(|| MailError::Rejected("550".into()));
    assert!(matches!(handler.run(&job(NOTIFY_OWNER, payload)).await, Err(JobError::Permanent(_))));

    // Nothing to notify about: dead at once, nothing sent.
    *mailer.fail.lock().unwrap() = None;
    let missing = serde_json::json!({ "enquiry_id": uid(0x3999) });
    assert!(matches!(handler.run(&job(NOTIFY_OWNER, missing)).await, Err(JobError::Permanent(_))));
    assert!(matches!(handler.run(&job(NOTIFY_OWNER, serde_json::json!({}))).await, Err(JobError::Permanent(_))));
    assert_eq!(mailer.sent.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn the_sweep_unlists_published_listings_whose_hmo_licence_lapsed_once() {
    let (_db, p) = store().await;
    let hmo = |expires| {
        let mut d = details("leeds", "Hyde Park", "LS6 1AB", PropertyType::House, 6, 11_000);
        d.max_occupants = Some(6);
        d.hmo_licence = Some(HmoLicenceNumber::parse("HMO/2024/0042").unwrap());
        d.hmo_licence_expires = Some(expires);
        d
    };
    let owner = UserId(uid(OWNER));
    seed_listing(&p, &listing(0x2001, owner, ListingStatus::Published, hmo(date(2026, 11, 30)), at(3), Some(at(4))))
        .await;
    seed_listing(&p, &listing(0x2002, owner, ListingStatus::Published, hmo(date(2026, 12, 1)), at(3), Some(at(4))))
        .await;
    seed_listing(&p, &listing(0x2003, owner, ListingStatus::Draft, hmo(date(2026, 1, 1)), at(3), None)).await;
    let small = details("leeds", "Hyde Park", "LS6 1AB", PropertyType::House, 4, 11_000);
    seed_listing(&p, &listing(0x2004, owner, ListingStatus::Published, small, at(3), Some(at(4)))).await;

    // 1 December 2026, 00:30 in London.
    let clock =
        Arc::new(FixedClock::new(chrono::DateTime::parse_from_rfc3339("2026-12-01T00:30:00Z").unwrap().to_utc()));
    let sweep = HmoLicenceSweep {
        ports: ListingPorts {
            listings: p.listings.clone(),
            cities: p.cities.clone(),
            clock,
            ids: Arc::new(UuidV7),
            public: application::cached::PublicVersion::disabled(),
        },
    };
    sweep.run(&job("listing.hmo_licence_sweep", serde_json::json!({}))).await.unwrap();

    let l1 = p.listings.find(ListingId(uid(0x2001))).await.unwrap().unwrap();
    assert_eq!(l1.status, ListingStatus::Draft, "expired on 30 November: unlisted on 1 December");
    let note = l1.moderation_note.unwrap();
    assert!(note.contains("HMO licence expired on 30 November 2026"), "{note}");
    for (n, why) in [(0x2002, "expires today: still valid"), (0x2004, "needs no licence")] {
        assert_eq!(
            p.listings.find(ListingId(uid(n))).await.unwrap().unwrap().status,
            ListingStatus::Published,
            "{why}"
        );
    }
    let trail = p.audit.list(&AuditFilter::default(), PageRequest::first(50)).await.unwrap();
    let unpublished: Vec<_> = trail.items.iter().filter(|e| e.action == "listing.unpublish").collect();
    assert_eq!(unpublished.len(), 1);
    assert_eq!(unpublished[0].actor_id, None, "done by the system, not an admin");
    assert_eq!(unpublished[0].request_id.as_deref(), Some(format!("job:{}", uid(0x9001)).as_str()));

    // Running it again changes nothing.
    sweep.run(&job("listing.hmo_licence_sweep", serde_json::json!({}))).await.unwrap();
    let again = p.listings.find(ListingId(uid(0x2001))).await.unwrap().unwrap();
    assert_eq!(again.version, l1.version);
    let trail = p.audit.list(&AuditFilter::default(), PageRequest::first(50)).await.unwrap();
    assert_eq!(trail.items.iter().filter(|e| e.action == "listing.unpublish").count(), 1);
}
