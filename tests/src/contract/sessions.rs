//! The `SessionStore` contract. Ids and users are made unique per run so a shared Redis
//! is safe.

use std::time::{Duration, Instant};

use application::ports::SessionStore;
use domain::UserId;

pub async fn run(store: &dyn SessionStore) {
    let ns = uuid::Uuid::new_v4().simple().to_string();
    let id = |s: &str| format!("{ns}-{s}");
    let amy = UserId(uuid::Uuid::new_v4());
    let ben = UserId(uuid::Uuid::new_v4());
    let day = Duration::from_secs(24 * 3600);

    store.ping().await.expect("ping");
    assert_eq!(store.load(&id("missing")).await.unwrap(), None);

    store.save(&id("a1"), Some(amy), r#"{"uid":"amy"}"#, day).await.unwrap();
    assert_eq!(store.load(&id("a1")).await.unwrap().as_deref(), Some(r#"{"uid":"amy"}"#));
    store.save(&id("a1"), Some(amy), r#"{"uid":"amy","n":2}"#, day).await.unwrap();
    assert_eq!(store.load(&id("a1")).await.unwrap().as_deref(), Some(r#"{"uid":"amy","n":2}"#), "save replaces");

    store.remove(&id("a1")).await.unwrap();
    assert_eq!(store.load(&id("a1")).await.unwrap(), None);
    store.remove(&id("a1")).await.expect("removing a missing session is fine");

    // Sign out everywhere: every session of the user, and only theirs. Saved at once from
    // several places (devices, instances), none is missed.
    let saves: Vec<_> = (0..8).map(|i| id(&format!("amy-{i}"))).collect();
    futures::future::join_all(saves.iter().map(|s| store.save(s, Some(amy), "{}", day))).await;
    store.save(&id("ben"), Some(ben), "{}", day).await.unwrap();
    store.save(&id("anon"), None, r#"{"k":1}"#, day).await.unwrap();
    store.remove(&saves[0]).await.unwrap();
    assert_eq!(store.remove_all_for(amy).await.unwrap(), 7, "counts the sessions that were still there");
    for s in &saves {
        assert_eq!(store.load(s).await.unwrap(), None, "{s} ended");
    }
    assert!(store.load(&id("ben")).await.unwrap().is_some(), "another user's session stays");
    assert!(store.load(&id("anon")).await.unwrap().is_some(), "an anonymous session stays");
    assert_eq!(store.remove_all_for(amy).await.unwrap(), 0, "nothing left: not an error");

    // A session expires with its TTL: poll with a deadline instead of sleeping.
    store.save(&id("short"), Some(ben), "{}", Duration::from_millis(50)).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while store.load(&id("short")).await.unwrap().is_some() {
        assert!(Instant::now() < deadline, "a session outlived its TTL by 5 s");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(store.remove_all_for(ben).await.unwrap(), 1, "only ben's live session was left");
}
