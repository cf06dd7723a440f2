//! The `PhotoRepository` contract: gallery order, the per-listing limit under racing
//! uploads, the processing job stored with the row, conditional status changes.

use application::RepositoryError;
use application::ports::NewJob;
use domain::listing::{ListingId, ListingStatus, PropertyType};
use domain::photo::{Photo, PhotoId, PhotoStatus};
use domain::{Role, UserId};

use super::Ports;
use super::fixtures::{at, details, listing, seed_city, seed_listing, seed_user, uid, user};

const OWNER: u128 = 0x1001;
const L1: u128 = 0x2001;
const L2: u128 = 0x2002;

pub async fn run(p: &Ports) {
    seed_city(p, "leeds", "Leeds", &["Hyde Park"]).await;
    seed_user(p, &user(OWNER, "owner@example.com", Role::Landlord, at(1))).await;
    for n in [L1, L2] {
        let d = details("leeds", "Hyde Park", "LS6 1AB", PropertyType::House, 4, 12_000);
        seed_listing(p, &listing(n, UserId(uid(OWNER)), ListingStatus::Draft, d, at(2), None)).await;
    }
    uploads_append_with_their_job(p).await;
    status_changes_are_conditional(p).await;
    reorder_and_delete(p).await;
    the_last_place_goes_to_one_upload(p).await;
}

fn photo(n: u128, listing: u128) -> Photo {
    Photo {
        id: PhotoId(uid(n)),
        listing_id: ListingId(uid(listing)),
        status: PhotoStatus::Ready, // ignored: stored as pending
        position: 99,               // ignored: appended
        content_type: "image/jpeg".into(),
        bytes: 5_000_000,
        width: Some(1),
        height: Some(1),
        reject_reason: None,
        created_at: at(10),
        updated_at: at(10),
    }
}

fn job(n: u128, photo: u128) -> NewJob {
    NewJob::now(uid(n), "photo.process", serde_json::json!({ "photo_id": uid(photo) }), at(10))
}

async fn uploads_append_with_their_job(p: &Ports) {
    for (i, n) in [0x3001u128, 0x3002, 0x3003].into_iter().enumerate() {
        let stored = p.photos.insert(&photo(n, L1), 30, &job(0x9000 + n, n)).await.unwrap();
        assert_eq!((stored.position, stored.status), (u32::try_from(i).unwrap(), PhotoStatus::Pending));
        assert_eq!((stored.width, stored.height, stored.bytes), (None, None, 5_000_000));
        assert!(p.jobs.find(uid(0x9000 + n)).await.unwrap().is_some(), "the job is stored with the photo");
    }
    let ids: Vec<u128> = p.photos.list(ListingId(uid(L1))).await.unwrap().iter().map(|x| x.id.0.as_u128()).collect();
    assert_eq!(ids, [0x3001, 0x3002, 0x3003]);
    assert!(p.photos.list(ListingId(uid(L2))).await.unwrap().is_empty());
    assert!(matches!(
        p.photos.insert(&photo(0x3001, L1), 30, &job(0x9999, 0x3001)).await,
        Err(RepositoryError::Conflict(_))
    ));
    assert!(p.jobs.find(uid(0x9999)).await.unwrap().is_none(), "no job without its photo");
    assert!(
        matches!(p.photos.insert(&photo(0x3004, L1), 3, &job(0x9004, 0x3004)).await, Err(RepositoryError::Conflict(_))),
        "full at 3"
    );
    assert!(p.photos.find(PhotoId(uid(0x3004))).await.unwrap().is_none());
    assert!(p.jobs.find(uid(0x9004)).await.unwrap().is_none());
}

async fn status_changes_are_conditional(p: &Ports) {
    let a = PhotoId(uid(0x3001));
    p.photos.mark_ready(a, 1200, 1600, at(20)).await.unwrap();
    let ready = p.photos.find(a).await.unwrap().unwrap();
    assert_eq!(
        (ready.status, ready.width, ready.height, ready.updated_at),
        (PhotoStatus::Ready, Some(1200), Some(1600), at(20))
    );
    assert!(matches!(p.photos.mark_ready(a, 1, 1, at(21)).await, Err(RepositoryError::Stale)), "once");
    assert!(matches!(p.photos.mark_rejected(a, "late", at(21)).await, Err(RepositoryError::Stale)));
    let b = PhotoId(uid(0x3002));
    p.photos.mark_rejected(b, "the image cannot be decoded", at(22)).await.unwrap();
    let rejected = p.photos.find(b).await.unwrap().unwrap();
    assert_eq!(
        (rejected.status, rejected.reject_reason.as_deref()),
        (PhotoStatus::Rejected, Some("the image cannot be decoded"))
    );
    assert!(matches!(p.photos.mark_ready(PhotoId(uid(0x3999)), 1, 1, at(23)).await, Err(RepositoryError::Stale)));
}

async fn reorder_and_delete(p: &Ports) {
    let l1 = ListingId(uid(L1));
    let [a, b, c] = [0x3001u128, 0x3002, 0x3003].map(|n| PhotoId(uid(n)));
    p.photos.reorder(l1, &[c, a, b], at(30)).await.unwrap();
    let order = |ps: Vec<Photo>| ps.iter().map(|x| (x.id, x.position)).collect::<Vec<_>>();
    assert_eq!(order(p.photos.list(l1).await.unwrap()), [(c, 0), (a, 1), (b, 2)]);
    for bad in [vec![c, a], vec![c, a, b, PhotoId(uid(0x3999))], vec![c, c, a]] {
        assert!(matches!(p.photos.reorder(l1, &bad, at(31)).await, Err(RepositoryError::Conflict(_))), "{bad:?}");
    }
    let covers = |ps: Vec<Photo>| ps.iter().map(|x| (x.listing_id, x.id)).collect::<Vec<_>>();
    let (l2, none) = (ListingId(uid(L2)), ListingId(uid(0x2999)));
    assert_eq!(
        covers(p.photos.covers(&[l1, l2, none]).await.unwrap()),
        [(l1, a)],
        "the first READY photo covers L1 (c before it is pending); L2 has none"
    );
    assert!(p.photos.covers(&[]).await.unwrap().is_empty());
    let gone = p.photos.delete(a).await.unwrap().expect("deleted");
    assert!(p.photos.covers(&[l1]).await.unwrap().is_empty(), "its only ready photo is gone");
    assert_eq!(gone.id, a);
    assert_eq!(order(p.photos.list(l1).await.unwrap()), [(c, 0), (b, 1)], "the gap is closed");
    assert!(p.photos.delete(a).await.unwrap().is_none());
    let again = p.photos.insert(&photo(0x3005, L1), 30, &job(0x9005, 0x3005)).await.unwrap();
    assert_eq!(again.position, 2);
}

async fn the_last_place_goes_to_one_upload(p: &Ports) {
    // L2 has 3 photos and room for 5: of 8 racing uploads exactly 2 get in.
    for n in [0x4001u128, 0x4002, 0x4003] {
        p.photos.insert(&photo(n, L2), 5, &job(0x9000 + n, n)).await.unwrap();
    }
    let racers = (0..8u128).map(|i| {
        let photos = p.photos.clone();
        tokio::spawn(async move { photos.insert(&photo(0x5000 + i, L2), 5, &job(0xA000 + i, 0x5000 + i)).await })
    });
    let results = futures::future::join_all(racers).await;
    let won = results.iter().filter(|r| r.as_ref().unwrap().is_ok()).count();
    assert_eq!(won, 2, "{results:?}");
    for r in &results {
        if let Err(e) = r.as_ref().unwrap() {
            assert!(matches!(e, RepositoryError::Conflict(_)), "{e:?}");
        }
    }
    let positions: Vec<u32> = p.photos.list(ListingId(uid(L2))).await.unwrap().iter().map(|x| x.position).collect();
    assert_eq!(positions, [0, 1, 2, 3, 4]);
}
