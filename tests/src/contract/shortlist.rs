//! The `ShortlistRepository` contract.

use application::RepositoryError;
use application::paging::PageRequest;
use application::ports::SavedListing;
use chrono::{DateTime, Utc};
use domain::listing::{Listing, ListingId, ListingStatus, PropertyType};
use domain::{Role, UserId};

use super::Ports;
use super::fixtures::{
    assert_distinct, at, details, event, listing, seed_city, seed_listing, seed_user, time_cursor, today, uid, user,
    walk, write_user,
};

const LANDLORD: u128 = 0x1001;
const ALICE: u128 = 0x1002;
const BOB: u128 = 0x1003;

/// Runs every case on a fresh, empty store.
pub async fn run(p: &Ports) {
    seed(p).await;
    nothing_saved_yet(p).await;
    add_is_idempotent_and_keeps_the_first_time(p).await;
    lists_every_saved_listing_with_a_card_while_it_is_public(p).await;
    remove_says_whether_it_was_there(p).await;
    adding_a_missing_listing_is_unexpected(p).await;
    pages_newest_saved_first_through_ties(p).await;
}

fn lid(n: u128) -> ListingId {
    ListingId(uid(n))
}

fn person(n: u128) -> UserId {
    UserId(uid(n))
}

/// Listings 0x2001..=0x2010: published, except 0x2002 (let), 0x2003 (archived) and
/// 0x2004 (draft).
async fn seed(p: &Ports) {
    seed_city(p, "leeds", "Leeds", &["Hyde Park"]).await;
    seed_user(p, &user(LANDLORD, "landlord@example.com", Role::Landlord, at(1))).await;
    seed_user(p, &user(ALICE, "alice@example.com", Role::Student, at(2))).await;
    seed_user(p, &user(BOB, "bob@example.com", Role::Student, at(3))).await;
    for i in 0..16u8 {
        let n = 0x2001 + u128::from(i);
        let status = match n {
            0x2002 => ListingStatus::Let,
            0x2003 => ListingStatus::Archived,
            0x2004 => ListingStatus::Draft,
            _ => ListingStatus::Published,
        };
        let published = (status != ListingStatus::Draft).then(|| at(20 + i64::from(i)));
        let d = details("leeds", "Hyde Park", "LS6 1AB", PropertyType::Flat, 1 + i % 4, 10_000 + i64::from(i) * 100);
        seed_listing(p, &listing(n, person(LANDLORD), status, d, at(10 + i64::from(i)), published)).await;
    }
}

async fn saved(p: &Ports, who: u128) -> Vec<(u128, DateTime<Utc>)> {
    let page = p.shortlist.list(person(who), PageRequest::first(50), today()).await.unwrap();
    assert!(page.next.is_none());
    page.items.iter().map(|s| (s.listing_id.0.as_u128(), s.saved_at)).collect()
}

async fn nothing_saved_yet(p: &Ports) {
    let page = p.shortlist.list(person(ALICE), PageRequest::first(10), today()).await.unwrap();
    assert!(page.items.is_empty() && page.next.is_none());
    assert!(!p.shortlist.remove(person(ALICE), lid(0x2001)).await.unwrap(), "nothing to remove");
}

async fn add_is_idempotent_and_keeps_the_first_time(p: &Ports) {
    let alice = person(ALICE);
    p.shortlist.add(alice, lid(0x2001), at(100)).await.unwrap();
    p.shortlist.add(alice, lid(0x2005), at(300)).await.unwrap();
    p.shortlist.add(alice, lid(0x2006), at(200)).await.unwrap();
    p.shortlist.add(alice, lid(0x2001), at(900)).await.expect("saving again is fine");
    p.shortlist.add(alice, lid(0x2001), at(50)).await.expect("saving again is fine");
    assert_eq!(
        saved(p, ALICE).await,
        [(0x2005, at(300)), (0x2006, at(200)), (0x2001, at(100))],
        "most recently saved first, each once, with the first time it was saved"
    );
    p.shortlist.add(person(BOB), lid(0x2001), at(150)).await.unwrap();
    assert_eq!(saved(p, BOB).await, [(0x2001, at(150))], "each user has their own list");
    assert_eq!(saved(p, ALICE).await.len(), 3, "bob's save did not touch alice's");
}

async fn lists_every_saved_listing_with_a_card_while_it_is_public(p: &Ports) {
    let alice = person(ALICE);
    p.shortlist.add(alice, lid(0x2002), at(310)).await.unwrap();
    p.shortlist.add(alice, lid(0x2003), at(320)).await.unwrap();
    p.shortlist.add(alice, lid(0x2004), at(330)).await.unwrap();
    let page = p.shortlist.list(alice, PageRequest::first(50), today()).await.unwrap();
    let shown: Vec<_> = page.items.iter().map(|s| (s.listing_id.0.as_u128(), s.card.is_some())).collect();
    assert_eq!(
        shown,
        [(0x2004, false), (0x2003, false), (0x2002, true), (0x2005, true), (0x2006, true), (0x2001, true)],
        "every saved listing stays on the list; drafts and archived ones without content"
    );
    for s in page.items.iter().filter(|s| s.card.is_some()) {
        let stored = p.listings.find(s.listing_id).await.unwrap().unwrap();
        assert_eq!(s.card, stored.card(), "published and let listings show their card, as stored");
    }

    // The list shows the listing as it is now, not as it was when saved.
    let mut now_let: Listing = p.listings.find(lid(0x2005)).await.unwrap().unwrap();
    let read = application::ports::Precondition::of(&now_let);
    now_let.version = read.version.next();
    now_let.status = ListingStatus::Let;
    now_let.details.title = Some(domain::listing::Title::parse("Let already, sorry").unwrap());
    now_let.updated_at = at(400);
    let ev = event(0x7001, "listing.let", ("listing", now_let.id.to_string()), at(400));
    p.listings.update(&now_let, read, &ev).await.unwrap();
    let page = p.shortlist.list(alice, PageRequest::first(50), today()).await.unwrap();
    let entry = page.items.iter().find(|s| s.listing_id == now_let.id).expect("still saved");
    assert_eq!((entry.saved_at, &entry.card), (at(300), &now_let.card()));

    // A suspended owner's listings are not public: no content, still saved.
    let mut owner = p.users.find(person(LANDLORD)).await.unwrap().unwrap();
    owner.suspended = true;
    owner.updated_at = at(401);
    let ev = event(0x7002, "user.suspend", ("user", owner.id.to_string()), at(401));
    write_user(p, &mut owner, &ev).await;
    let page = p.shortlist.list(alice, PageRequest::first(50), today()).await.unwrap();
    assert_eq!(page.items.len(), 6);
    assert!(page.items.iter().all(|s| s.card.is_none()), "nothing of a suspended owner's is shown");
    owner.suspended = false;
    owner.updated_at = at(402);
    let ev = event(0x7003, "user.unsuspend", ("user", owner.id.to_string()), at(402));
    write_user(p, &mut owner, &ev).await;
}

async fn remove_says_whether_it_was_there(p: &Ports) {
    let alice = person(ALICE);
    assert!(p.shortlist.remove(alice, lid(0x2006)).await.unwrap(), "it was there");
    assert!(!p.shortlist.remove(alice, lid(0x2006)).await.unwrap(), "not any more");
    assert!(!p.shortlist.remove(alice, lid(0x2009)).await.unwrap(), "never saved");
    assert!(!p.shortlist.remove(alice, lid(0x2FFF)).await.unwrap(), "no such listing");
    assert!(!p.shortlist.remove(person(0x1FFF), lid(0x2001)).await.unwrap(), "no such user");
    let ids: Vec<u128> = saved(p, ALICE).await.into_iter().map(|(n, _)| n).collect();
    assert_eq!(ids, [0x2004, 0x2003, 0x2002, 0x2005, 0x2001]);
    assert_eq!(saved(p, BOB).await, [(0x2001, at(150))], "removing alice's entries left bob's alone");

    // Removed, then saved again: the new time counts.
    p.shortlist.add(alice, lid(0x2006), at(700)).await.unwrap();
    assert_eq!(saved(p, ALICE).await[0], (0x2006, at(700)));
}

async fn adding_a_missing_listing_is_unexpected(p: &Ports) {
    let err = p.shortlist.add(person(ALICE), lid(0x2FFF), at(800)).await.unwrap_err();
    assert!(matches!(err, RepositoryError::Unexpected(_)), "{err:?}");
    assert!(saved(p, ALICE).await.iter().all(|(n, _)| *n != 0x2FFF), "nothing was saved");
}

async fn pages_newest_saved_first_through_ties(p: &Ports) {
    // Bob saves 12 listings; several at the same instant (ties go by listing id,
    // descending), saved in an order that is neither id nor time order.
    let bob = person(BOB);
    let plan: [(u128, i64); 11] = [
        (0x2007, 500),
        (0x2003, 510),
        (0x200C, 500),
        (0x2010, 520),
        (0x2002, 510),
        (0x2008, 500),
        (0x200A, 530),
        (0x2004, 510),
        (0x200F, 490),
        (0x200B, 500),
        (0x2009, 520),
    ];
    for (n, t) in plan {
        p.shortlist.add(bob, lid(n), at(t)).await.unwrap();
    }
    let expected: Vec<u128> =
        vec![0x200A, 0x2010, 0x2009, 0x2004, 0x2003, 0x2002, 0x200C, 0x200B, 0x2008, 0x2007, 0x200F, 0x2001];
    for size in [1, 2, 3, 5, 12, 13] {
        let walked = walk(
            size,
            async |req| p.shortlist.list(bob, req, today()).await.unwrap(),
            |s: &SavedListing| time_cursor(s.saved_at, s.listing_id.0),
        )
        .await;
        let ids: Vec<u128> = walked.iter().map(|s| s.listing_id.0.as_u128()).collect();
        assert_distinct(&ids);
        assert_eq!(ids, expected, "pages of {size}: newest saved first, ties by listing id descending");
    }
}
