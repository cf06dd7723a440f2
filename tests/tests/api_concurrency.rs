//! Lost updates over HTTP: listing writes carry `If-Match`, so concurrent writers
//! cannot overwrite each other; each race here lost data before listings had versions.

use futures::future::join_all;
use reqwest::{Method, Response};
use serde_json::{Value, json};
use sp_tests::{Actor, complete_listing, spawn_app};

const PROBLEMS: &str = "https://student-palace.co.uk/problems/";

/// `method path` with `etag` in `If-Match`, as a client that read the listing earlier.
async fn send(actor: &Actor, method: Method, path: &str, etag: &str, body: Option<&Value>) -> Response {
    let b = actor.req(method, path).header("if-match", etag);
    let b = match body {
        Some(v) => b.json(v),
        None => b,
    };
    b.send().await.unwrap()
}

async fn problem_type(r: Response) -> String {
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    r.json::<Value>().await.unwrap()["type"].as_str().unwrap().trim_start_matches(PROBLEMS).to_owned()
}

#[tokio::test]
async fn of_concurrent_patches_with_one_etag_exactly_one_wins() {
    let app = spawn_app().await;
    app.seed_cities().await;
    let owner = app.actor("landlord").await;
    let id = owner.create_listing(&complete_listing()).await;
    let etag = owner.etag(&id).await;
    let path = format!("/api/v1/listings/{id}");
    let bodies: Vec<Value> = (0..8).map(|i| json!({ "title": format!("Renamed house number {i}") })).collect();
    let answers = join_all(bodies.iter().map(|b| send(&owner, Method::PATCH, &path, &etag, Some(b)))).await;

    let mut winners = Vec::new();
    for (i, r) in answers.into_iter().enumerate() {
        match r.status().as_u16() {
            200 => {
                assert_ne!(r.headers()["etag"], etag.as_str(), "a change gets a new ETag");
                winners.push(i);
            }
            412 => assert_eq!(problem_type(r).await, "precondition-failed"),
            other => panic!("PATCH {i}: {other} {}", r.text().await.unwrap()),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one of the writers that read the same version wins");
    let l: Value = owner.get(&path).await.json().await.unwrap();
    assert_eq!(l["title"], format!("Renamed house number {}", winners[0]), "the winner's change is the one stored");
    app.stop().await;
}

#[tokio::test]
async fn writes_without_a_current_etag_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    app.seed_cities().await;
    let owner = app.actor("landlord").await;
    let admin = app.admin().await;
    let id = owner.published_listing(&json!({})).await;
    let path = format!("/api/v1/listings/{id}");
    let before: Value = owner.get(&path).await.json().await.unwrap();

    // No If-Match at all: 428 on every conditional write.
    let writes = [
        (&owner, Method::PATCH, path.clone(), Some(json!({"title": "Changed without reading"}))),
        (&owner, Method::POST, format!("{path}/archive"), None),
        (&owner, Method::POST, format!("{path}/let"), None),
        (&owner, Method::DELETE, path.clone(), None),
        (&admin, Method::POST, format!("/api/v1/admin/listings/{id}/unpublish"), Some(json!({"reason": "Checking"}))),
    ];
    for (who, method, p, body) in &writes {
        let b = who.req(method.clone(), p);
        let b = match body {
            Some(v) => b.json(v),
            None => b,
        };
        let r = b.send().await.unwrap();
        assert_eq!(r.status(), 428, "{method} {p}");
        assert_eq!(problem_type(r).await, "precondition-required");
    }
    // A stale one: 412.
    let stale = owner.etag(&id).await;
    assert_eq!(owner.patch_listing(&id, &json!({"title": "A first change"})).await.status(), 200);
    let r = send(&owner, Method::PATCH, &path, &stale, Some(&json!({"title": "A second change"}))).await;
    assert_eq!(r.status(), 412);
    assert_eq!(problem_type(r).await, "precondition-failed");
    // Not an ETag of ours: 400, before anything is read.
    for bad in ["*", "W/\"1\"", "\"abc\"", "1"] {
        let r = send(&owner, Method::PATCH, &path, bad, Some(&json!({"title": "Third"}))).await;
        assert_eq!(r.status(), 400, "If-Match: {bad}");
        assert_eq!(problem_type(r).await, "invalid-parameter");
    }
    let after: Value = owner.get(&path).await.json().await.unwrap();
    assert_eq!(after["title"], "A first change");
    assert_eq!((&after["status"], &after["published_at"]), (&before["status"], &before["published_at"]));
    app.stop().await;
}

/// Twenty-two clients change twenty-two different fields at once, each the way a client should:
/// read, change, and on 412 read again. Before versions, each PATCH was answered 200 and
/// most of the changes were lost.
#[tokio::test]
async fn parallel_changes_to_different_fields_are_all_kept() {
    let app = spawn_app().await;
    app.seed_cities().await;
    let owner = app.actor("landlord").await;
    let id = owner.create_listing(&complete_listing()).await;
    let changes = [
        json!({"title": "A renamed house on Hyde Park"}),
        json!({"description": "Completely redecorated this summer, with a new kitchen and a big garden at the back."}),
        json!({"area": "Headingley"}),
        json!({"address_line": "14 Example Street"}),
        json!({"postcode": "LS6 2AB"}),
        json!({"property_type": "flat"}),
        json!({"bedrooms": 3}),
        json!({"bathrooms": 1}),
        json!({"ensuite_rooms": 0}),
        json!({"rent_pppw_pence": 13000}),
        json!({"council_tax": "B"}),
        json!({"max_occupants": 3}),
        json!({"epc_expires": "2032-01-01"}),
        json!({"deposit_pence": 40000}),
        json!({"available_from": "2027-08-01"}),
        json!({"tenancy_months": 11}),
        json!({"tenancy_type": "periodic"}),
        json!({"furnished": false}),
        json!({"features": ["wifi"]}),
        json!({"epc_rating": "B"}),
        json!({"hmo_licence": "HMO/2027/0099"}),
        json!({"hmo_licence_expires": "2031-01-01"}),
    ];
    let writer = async |change: &Value| {
        for _ in 0..200 {
            let r = owner.patch_listing(&id, change).await;
            match r.status().as_u16() {
                200 => return,
                412 => {} // someone else changed it first: read again
                other => panic!("{change}: {other} {}", r.text().await.unwrap()),
            }
        }
        panic!("{change}: still 412 after 200 attempts");
    };
    join_all(changes.iter().map(writer)).await;
    let l: Value = owner.get(&format!("/api/v1/listings/{id}")).await.json().await.unwrap();
    for change in &changes {
        let (field, value) = change.as_object().unwrap().iter().next().unwrap();
        assert_eq!(&l[field], value, "{field} was acknowledged and must be stored");
    }
    app.stop().await;
}

/// Two writers read the same version and race: one wins, the other gets 412, and the
/// stored listing is exactly the winner's.
async fn race(a: impl Future<Output = Response>, b: impl Future<Output = Response>) -> (u16, u16) {
    let (a, b) = futures::join!(a, b);
    let (sa, sb) = (a.status().as_u16(), b.status().as_u16());
    assert!(matches!((sa, sb), (200 | 204, 412) | (412, 200 | 204)), "one wins, one is told it lost: {sa} {sb}");
    (sa, sb)
}

#[tokio::test]
async fn a_patch_racing_a_publish_never_undoes_it() {
    let app = spawn_app().await;
    app.seed_cities().await;
    let owner = app.actor("landlord").await;
    for round in 0..10 {
        let id = owner.create_listing(&complete_listing()).await;
        let path = format!("/api/v1/listings/{id}");
        let etag = owner.etag(&id).await;
        let title = json!({"title": format!("Round {round} rename")});
        let (published, _) = race(
            send(&owner, Method::POST, &format!("{path}/publish"), &etag, None),
            send(&owner, Method::PATCH, &path, &etag, Some(&title)),
        )
        .await;
        let l: Value = owner.get(&path).await.json().await.unwrap();
        if published == 200 {
            assert_eq!(
                (l["status"].as_str(), l["title"].as_str()),
                (Some("published"), Some("Bright 4-bed near Hyde Park"))
            );
        } else {
            assert_eq!((l["status"].as_str(), &l["title"]), (Some("draft"), &title["title"]));
        }
    }
    app.stop().await;
}

#[tokio::test]
async fn a_publish_racing_a_delete_leaves_one_outcome() {
    let app = spawn_app().await;
    app.seed_cities().await;
    let owner = app.actor("landlord").await;
    for _ in 0..10 {
        let id = owner.create_listing(&complete_listing()).await;
        let path = format!("/api/v1/listings/{id}");
        let etag = owner.etag(&id).await;
        let publish_path = format!("{path}/publish");
        let (publish, delete) = futures::join!(
            send(&owner, Method::POST, &publish_path, &etag, None),
            send(&owner, Method::DELETE, &path, &etag, None),
        );
        let (published, deleted) = (publish.status().as_u16(), delete.status().as_u16());
        // The loser of a publish is told 412; the loser of a delete finds nothing (404).
        assert!(matches!((published, deleted), (200, 412) | (412 | 404, 204)), "{published} {deleted}");
        let r = app.get(&path).await;
        if published == 200 {
            assert_eq!(r.status(), 200, "published, so not deleted");
        } else {
            assert_eq!(r.status(), 404, "deleted, so not published");
            assert_eq!(owner.get(&path).await.status(), 404);
        }
    }
    app.stop().await;
}

#[tokio::test]
async fn an_admin_unpublish_racing_the_owners_patch_keeps_the_moderation() {
    let app = spawn_app().await;
    app.seed_cities().await;
    let owner = app.actor("landlord").await;
    let admin = app.admin().await;
    for round in 0..10 {
        let id = owner.published_listing(&json!({})).await;
        let path = format!("/api/v1/listings/{id}");
        let etag = owner.etag(&id).await;
        let reason = json!({"reason": format!("Photos do not match, round {round}")});
        let (_, patched) = race(
            send(&admin, Method::POST, &format!("/api/v1/admin/listings/{id}/unpublish"), &etag, Some(&reason)),
            send(&owner, Method::PATCH, &path, &etag, Some(&json!({"title": "Quietly renamed"}))),
        )
        .await;
        if patched == 200 {
            // The admin lost the race: reading again and unpublishing works.
            assert_eq!(admin.unpublish(&id, reason["reason"].as_str().unwrap()).await.status(), 200);
        }
        // Whatever the order, the takedown stands, and the owner's next change keeps it.
        assert_eq!(owner.patch_listing(&id, &json!({"bathrooms": 1})).await.status(), 200);
        let l: Value = owner.get(&path).await.json().await.unwrap();
        assert_eq!(l["status"], "draft");
        assert_eq!(l["moderation_note"], reason["reason"]);
        assert_eq!(app.get(&path).await.status(), 404, "not public after a takedown");
        // And a taken-down listing is evidence: it can't be deleted.
        let r = owner.delete_listing(&id).await;
        assert_eq!(r.status(), 409);
        assert_eq!(problem_type(r).await, "not-deletable");
    }
    app.stop().await;
}
