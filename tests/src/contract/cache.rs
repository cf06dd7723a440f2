//! The `Cache` contract. Keys are made unique per run so a shared Redis is safe.

use std::time::Duration;

use application::ports::Cache;
use bytes::Bytes;

pub async fn run(cache: &dyn Cache) {
    let ns = uuid::Uuid::new_v4().simple().to_string();
    let k = |s: &str| format!("{ns}:{s}");

    cache.ping().await.expect("ping");
    assert_eq!(cache.get(&k("missing")).await.unwrap(), None);

    cache.set(&k("a"), Bytes::from_static(b"one"), Duration::from_secs(60)).await.unwrap();
    assert_eq!(cache.get(&k("a")).await.unwrap(), Some(Bytes::from_static(b"one")));

    cache.set(&k("a"), Bytes::from_static(b"two"), Duration::from_secs(60)).await.unwrap();
    assert_eq!(cache.get(&k("a")).await.unwrap(), Some(Bytes::from_static(b"two")), "set replaces");

    let binary = Bytes::from((0u8..=255).collect::<Vec<_>>());
    cache.set(&k("bin"), binary.clone(), Duration::from_secs(60)).await.unwrap();
    assert_eq!(cache.get(&k("bin")).await.unwrap(), Some(binary), "values are opaque bytes");

    // set_if_absent: only into an empty key, and of racing callers exactly one stores.
    assert!(!cache.set_if_absent(&k("a"), Bytes::from_static(b"three"), Duration::from_secs(60)).await.unwrap());
    assert_eq!(cache.get(&k("a")).await.unwrap(), Some(Bytes::from_static(b"two")), "a held key is kept");
    let race = k("race");
    let racers = (0..16u8).map(|i| cache.set_if_absent(&race, Bytes::from(vec![i]), Duration::from_secs(60)));
    let won: Vec<bool> = futures::future::join_all(racers).await.into_iter().map(Result::unwrap).collect();
    assert_eq!(won.iter().filter(|w| **w).count(), 1, "exactly one of 16 racers stores: {won:?}");
    let winner = won.iter().position(|w| *w).unwrap();
    assert_eq!(cache.get(&race).await.unwrap(), Some(Bytes::from(vec![u8::try_from(winner).unwrap()])));

    cache.delete(&k("a")).await.unwrap();
    assert_eq!(cache.get(&k("a")).await.unwrap(), None);
    cache.delete(&k("a")).await.expect("deleting a missing key is fine");

    // Expiry: poll with a deadline instead of sleeping a fixed time.
    cache.set(&k("short"), Bytes::from_static(b"x"), Duration::from_millis(50)).await.unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        if cache.get(&k("short")).await.unwrap().is_none() {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "entry with a 50 ms TTL still present after 5 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
