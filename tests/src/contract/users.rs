//! The `UserRepository` contract (and the audit events it writes).

use application::RepositoryError;
use application::audit::AuditEvent;
use application::paging::PageRequest;
use application::ports::UserFilter;
use domain::{DisplayName, PasswordHash, Role, User, UserId};

use super::Ports;
use super::fixtures::{assert_distinct, at, email, event, events_about, time_cursor, uid, user, walk};

/// Runs every case on a fresh, empty store.
pub async fn run(p: &Ports) {
    empty_store_has_no_users(p).await;
    inserts_and_finds_by_id_and_email(p).await;
    duplicate_email_is_a_conflict_and_writes_nothing(p).await;
    update_replaces_the_mutable_fields(p).await;
    updating_a_missing_user_is_stale_and_writes_nothing(p).await;
    lists_newest_first_with_filters_and_pages(p).await;
    ending_sessions_counts_every_call(p).await;
}

fn insert_event(u: &User, ev_id: u128) -> AuditEvent {
    let mut ev = event(ev_id, "user.create", ("user", u.id.to_string()), u.created_at);
    ev.request_id = Some(format!("req-{ev_id:x}"));
    ev
}

async fn empty_store_has_no_users(p: &Ports) {
    assert!(p.users.find(UserId(uid(1))).await.unwrap().is_none());
    assert!(p.users.find_by_email(&email("nobody@example.com")).await.unwrap().is_none());
    let page = p.users.list(&UserFilter::default(), PageRequest::first(10)).await.unwrap();
    assert!(page.items.is_empty() && page.next.is_none(), "{page:?}");
}

async fn inserts_and_finds_by_id_and_email(p: &Ports) {
    let mut alice = user(0x100, "Alice.Smith@Leeds.ac.uk", Role::Student, at(10));
    alice.email_verified = true;
    alice.display_name = DisplayName::parse("Alice Smith-Jones ✓").unwrap();
    let ev = insert_event(&alice, 0x9100);
    p.users.insert(&alice, &ev).await.expect("insert");

    assert_eq!(p.users.find(alice.id).await.unwrap().as_ref(), Some(&alice), "every field round-trips");
    let by_mail = p.users.find_by_email(&email("  ALICE.smith@leeds.AC.UK")).await.unwrap();
    assert_eq!(by_mail.as_ref(), Some(&alice), "e-mails are normalised, so lookups ignore case");
    assert!(p.users.find_by_email(&email("alice@leeds.ac.uk")).await.unwrap().is_none());

    assert_eq!(events_about(p, "user", alice.id.to_string()).await, vec![ev], "insert wrote its audit event");
}

async fn duplicate_email_is_a_conflict_and_writes_nothing(p: &Ports) {
    let twin = user(0x101, "ALICE.SMITH@leeds.ac.uk", Role::Landlord, at(11));
    let ev = insert_event(&twin, 0x9101);
    let err = p.users.insert(&twin, &ev).await.unwrap_err();
    assert!(matches!(err, RepositoryError::Conflict(_)), "{err:?}");
    assert!(p.users.find(twin.id).await.unwrap().is_none(), "the user was not stored");
    assert!(events_about(p, "user", twin.id.to_string()).await.is_empty(), "nor its audit event");
    let alice = p.users.find_by_email(&twin.email).await.unwrap().unwrap();
    assert_eq!(alice.id, UserId(uid(0x100)), "the first owner of the e-mail keeps it");
}

async fn update_replaces_the_mutable_fields(p: &Ports) {
    let bob = user(0x102, "bob@example.com", Role::Student, at(12));
    p.users.insert(&bob, &insert_event(&bob, 0x9102)).await.unwrap();

    let mut changed = bob.clone();
    changed.role = Role::Agent;
    changed.suspended = true;
    changed.display_name = DisplayName::parse("Robert").unwrap();
    changed.email_verified = true;
    changed.password_hash = PasswordHash("$argon2id$v=19$m=19456,t=2,p=1$bmV3$new".into());
    changed.updated_at = at(500);
    changed.session_epoch = 4;
    changed.version = bob.version.next();
    let mut ev = event(0x9202, "user.suspend", ("user", bob.id.to_string()), at(500));
    ev.actor_id = Some(UserId(uid(0x100)));
    ev.before = Some(serde_json::json!({ "suspended": false }));
    ev.after = Some(serde_json::json!({ "suspended": true }));
    p.users.update(&changed, bob.version, &ev).await.expect("update");
    assert_eq!(p.users.find(bob.id).await.unwrap().as_ref(), Some(&changed), "mutable fields persisted");

    // E-mail and creation time are not among the fields `update` replaces.
    let mut sneaky = changed.clone();
    sneaky.email = email("robert@example.com");
    sneaky.created_at = at(1);
    sneaky.suspended = false;
    sneaky.updated_at = at(501);
    sneaky.version = changed.version.next();
    let ev2 = event(0x9203, "user.unsuspend", ("user", bob.id.to_string()), at(501));
    // Based on the first read: refused, nothing written.
    let stale = event(0x9204, "user.unsuspend", ("user", bob.id.to_string()), at(501));
    let err = p.users.update(&sneaky, bob.version, &stale).await.unwrap_err();
    assert!(matches!(err, RepositoryError::Stale), "{err:?}");
    p.users.update(&sneaky, changed.version, &ev2).await.unwrap();
    let stored = p.users.find(bob.id).await.unwrap().unwrap();
    assert_eq!(stored.email, bob.email, "update does not change the e-mail");
    assert_eq!(stored.created_at, bob.created_at, "update does not change created_at");
    assert!(!stored.suspended);
    assert_eq!(stored.updated_at, at(501));
    assert!(p.users.find_by_email(&email("robert@example.com")).await.unwrap().is_none());

    let events = events_about(p, "user", bob.id.to_string()).await;
    assert_eq!(events, vec![ev2, ev, insert_event(&bob, 0x9102)], "every change wrote its event, newest first");
}

async fn updating_a_missing_user_is_stale_and_writes_nothing(p: &Ports) {
    let ghost = user(0x1FF, "ghost@example.com", Role::Student, at(13));
    let ev = event(0x92FF, "user.suspend", ("user", ghost.id.to_string()), at(13));
    let err = p.users.update(&ghost, ghost.version, &ev).await.unwrap_err();
    assert!(matches!(err, RepositoryError::Stale), "{err:?}");
    let ev = event(0x92FE, "session.revoke_all", ("user", ghost.id.to_string()), at(13));
    let err = p.users.end_sessions(ghost.id, at(13), &ev).await.unwrap_err();
    assert!(matches!(err, RepositoryError::Stale), "{err:?}");
    assert!(p.users.find(ghost.id).await.unwrap().is_none(), "update does not insert");
    assert!(events_about(p, "user", ghost.id.to_string()).await.is_empty(), "no event for a failed update");
}

async fn lists_newest_first_with_filters_and_pages(p: &Ports) {
    // Users so far: alice 0x100 (student, t10), bob 0x102 (agent, t12, not suspended).
    // More, with ties on created_at (broken by id, descending) and ids that do not follow
    // creation order.
    let more = [
        user(0x110, "carol@leeds.ac.uk", Role::Landlord, at(20)),
        user(0x10A, "dave@EXAMPLE.com", Role::Landlord, at(20)),
        user(0x10F, "erin@example.com", Role::Student, at(20)),
        user(0x103, "frank@leeds.ac.uk", Role::Admin, at(30)),
        user(0x104, "a_b@example.com", Role::Student, at(40)),
        user(0x105, "axb@example.com", Role::Student, at(5)),
        user(0x106, "percent%sign@example.com", Role::Agent, at(41)),
    ];
    for (i, u) in more.iter().enumerate() {
        p.users.insert(u, &insert_event(u, 0x9300 + i as u128)).await.unwrap();
    }
    let ids = |users: &[User]| users.iter().map(|u| u.id.0.as_u128()).collect::<Vec<_>>();
    let list = async |filter: UserFilter| {
        let page = p.users.list(&filter, PageRequest::first(50)).await.unwrap();
        assert!(page.next.is_none());
        ids(&page.items)
    };

    let all = [0x106, 0x104, 0x103, 0x110, 0x10F, 0x10A, 0x102, 0x100, 0x105];
    assert_eq!(list(UserFilter::default()).await, all, "newest created first; ties by id, descending");

    let by_role = |role| UserFilter { role: Some(role), ..Default::default() };
    assert_eq!(list(by_role(Role::Landlord)).await, [0x110, 0x10A]);
    assert_eq!(list(by_role(Role::Agent)).await, [0x106, 0x102]);
    assert_eq!(list(by_role(Role::Admin)).await, [0x103]);
    assert_eq!(list(by_role(Role::Student)).await, [0x104, 0x10F, 0x100, 0x105]);

    let containing = |s: &str| UserFilter { email_contains: Some(s.to_owned()), ..Default::default() };
    assert_eq!(list(containing("LEEDS.AC")).await, [0x103, 0x110, 0x100], "case-insensitive substring");
    assert_eq!(list(containing("example.com")).await, [0x106, 0x104, 0x10F, 0x10A, 0x102, 0x105]);
    assert_eq!(list(containing("a_b")).await, [0x104], "`_` is a literal character, not a wildcard");
    assert_eq!(list(containing("%")).await, [0x106], "`%` is a literal character, not a wildcard");
    assert_eq!(list(containing("nobody")).await, Vec::<u128>::new());
    let both = UserFilter { role: Some(Role::Student), email_contains: Some("EXAMPLE".into()) };
    assert_eq!(list(both).await, [0x104, 0x10F, 0x105], "filters combine");

    for size in [1, 2, 3, 4, 9, 10] {
        let walked = walk(
            size,
            async |req| p.users.list(&UserFilter::default(), req).await.unwrap(),
            |u: &User| time_cursor(u.created_at, u.id.0),
        )
        .await;
        let got = ids(&walked);
        assert_distinct(&got);
        assert_eq!(got, all, "pages of {size} walk every user once, in order");
    }
    let students = walk(
        2,
        async |req| p.users.list(&by_role(Role::Student), req).await.unwrap(),
        |u: &User| time_cursor(u.created_at, u.id.0),
    )
    .await;
    assert_eq!(ids(&students), [0x104, 0x10F, 0x100, 0x105], "filtered lists page too");
}

async fn ending_sessions_counts_every_call(p: &Ports) {
    let cat = user(0x1C0, "cat@example.com", Role::Student, at(14));
    p.users.insert(&cat, &insert_event(&cat, 0x94C0)).await.unwrap();
    let calls = (0..5u128).map(|i| {
        let ev = event(0x9500 + i, "session.revoke_all", ("user", cat.id.to_string()), at(600));
        async move { p.users.end_sessions(cat.id, at(600), &ev).await }
    });
    let mut epochs: Vec<u64> = futures::future::join_all(calls).await.into_iter().map(Result::unwrap).collect();
    epochs.sort_unstable();
    assert_eq!(epochs, [1, 2, 3, 4, 5], "concurrent calls each move the epoch on, none is lost");
    let stored = p.users.find(cat.id).await.unwrap().unwrap();
    assert_eq!((stored.session_epoch, stored.version, stored.updated_at), (5, domain::Version(6), at(600)));
    assert_eq!(events_about(p, "user", cat.id.to_string()).await.len(), 6, "one event per call (and the insert)");
}
