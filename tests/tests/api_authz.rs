//! Authorization as a matrix: each endpoint × anonymous, student, owner (landlord),
//! another landlord, admin → the expected status. Every row runs against fresh state so
//! one row's effect cannot leak into another.

use reqwest::Method;
use serde_json::{Value, json};
use sp_tests::{Actor, TestApp, complete_listing, spawn_app};

#[derive(Clone, Copy, Debug)]
enum Who {
    Anonymous,
    Student,
    Owner,
    OtherLandlord,
    Admin,
}

const WHO: [Who; 5] = [Who::Anonymous, Who::Student, Who::Owner, Who::OtherLandlord, Who::Admin];

struct World {
    app: TestApp,
    student: Actor,
    owner: Actor,
    other: Actor,
    admin: Actor,
    draft: String,
    published: String,
    enquiry: String,
}

async fn world() -> World {
    let app = spawn_app().await;
    app.seed_cities().await;
    let student = app.actor("student").await;
    let owner = app.actor("landlord").await;
    let other = app.actor("landlord").await;
    let admin = app.admin().await;
    let draft = owner.create_listing(&json!({"title": "A draft house"})).await;
    let published = owner.published_listing(&json!({})).await;
    let r = student
        .post(&format!("/api/v1/listings/{published}/enquiries"), &json!({"message": "Is it still available?"}))
        .await;
    assert_eq!(r.status(), 201);
    let enquiry = r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    World { app, student, owner, other, admin, draft, published, enquiry }
}

impl World {
    async fn call(&self, who: Who, method: Method, path: &str, body: Option<Value>) -> u16 {
        // Listing writes are conditional: every caller sends the listing's current ETag
        // (as its owner reads it), so the row shows who may write, not who knows the version.
        let target = [("{draft}", &self.draft), ("{published}", &self.published)]
            .into_iter()
            .find(|(k, _)| path.contains(&format!("listings/{k}")) && !path.ends_with("/enquiries"));
        let etag = match target {
            Some((_, id)) if method != Method::GET => Some(self.owner.etag(id).await),
            _ => None,
        };
        let path = path
            .replace("{draft}", &self.draft)
            .replace("{published}", &self.published)
            .replace("{enquiry}", &self.enquiry)
            .replace("{student_id}", &self.student.id)
            .replace("{owner_id}", &self.owner.id);
        let req = match who {
            Who::Anonymous => self.app.client.request(method, self.app.url(&path)),
            Who::Student => self.student.req(method, &path),
            Who::Owner => self.owner.req(method, &path),
            Who::OtherLandlord => self.other.req(method, &path),
            Who::Admin => self.admin.req(method, &path),
        };
        let req = match body {
            Some(b) => req.json(&b),
            None => req,
        };
        let req = match etag {
            Some(e) => req.header("if-match", e),
            None => req,
        };
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        if status >= 400 {
            let ct = r.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
            assert_eq!(ct, "application/problem+json", "{path}: errors are problem+json");
        }
        assert_ne!(status, 500, "{path} as {who:?}");
        status
    }
}

/// (method, path, body, [anonymous, student, owner, other landlord, admin])
fn rows() -> Vec<(Method, &'static str, Option<Value>, [u16; 5])> {
    let patch = Some(json!({"title": "A renamed house"}));
    vec![
        (Method::GET, "/api/v1/listings", None, [200, 200, 200, 200, 200]),
        (Method::GET, "/api/v1/cities", None, [200, 200, 200, 200, 200]),
        (Method::GET, "/api/v1/stats", None, [200, 200, 200, 200, 200]),
        (Method::GET, "/api/v1/listings/{published}", None, [200, 200, 200, 200, 200]),
        (Method::GET, "/api/v1/listings/{draft}", None, [404, 404, 200, 404, 200]),
        (Method::GET, "/api/v1/me", None, [401, 200, 200, 200, 200]),
        (Method::GET, "/api/v1/me/listings", None, [401, 200, 200, 200, 200]),
        (Method::POST, "/api/v1/listings", Some(json!({"title": "Another house"})), [401, 403, 201, 201, 403]),
        (Method::PATCH, "/api/v1/listings/{draft}", patch.clone(), [401, 404, 200, 404, 200]),
        (Method::PATCH, "/api/v1/listings/{published}", patch, [401, 403, 200, 403, 200]),
        (Method::POST, "/api/v1/listings/{published}/let", None, [401, 403, 200, 403, 200]),
        (Method::POST, "/api/v1/listings/{published}/archive", None, [401, 403, 200, 403, 200]),
        (Method::POST, "/api/v1/listings/{draft}/publish", None, [401, 404, 409, 404, 409]),
        (Method::DELETE, "/api/v1/listings/{draft}", None, [401, 404, 204, 404, 204]),
        (Method::DELETE, "/api/v1/listings/{published}", None, [401, 403, 409, 403, 409]),
        (Method::GET, "/api/v1/me/shortlist", None, [401, 200, 403, 403, 403]),
        (Method::PUT, "/api/v1/me/shortlist/{published}", None, [401, 204, 403, 403, 403]),
        (Method::DELETE, "/api/v1/me/shortlist/{published}", None, [401, 204, 403, 403, 403]),
        (
            Method::POST,
            "/api/v1/listings/{published}/enquiries",
            Some(json!({"message": "Can I view it on Monday?"})),
            [401, 201, 403, 403, 403],
        ),
        (Method::GET, "/api/v1/me/enquiries?box=received", None, [401, 200, 200, 200, 200]),
        (
            Method::POST,
            "/api/v1/enquiries/{enquiry}/status",
            Some(json!({"status": "replied"})),
            [401, 403, 200, 404, 200],
        ),
        (Method::GET, "/api/v1/admin/users", None, [401, 403, 403, 403, 200]),
        (Method::POST, "/api/v1/admin/users/{student_id}/suspend", None, [401, 403, 403, 403, 200]),
        (Method::POST, "/api/v1/admin/users/{student_id}/unsuspend", None, [401, 403, 403, 403, 200]),
        (
            Method::POST,
            "/api/v1/admin/listings/{published}/unpublish",
            Some(json!({"reason": "Misleading photos"})),
            [401, 403, 403, 403, 200],
        ),
        (Method::GET, "/api/v1/admin/audit", None, [401, 403, 403, 403, 200]),
    ]
}

#[tokio::test]
async fn authorization_matrix() {
    use futures::StreamExt;
    let mut failures = Vec::new();
    // Reads change nothing: one world answers all of them.
    let shared = world().await;
    let mut writes = Vec::new();
    for (method, path, body, expected) in rows() {
        for (who, want) in WHO.iter().zip(expected) {
            if method == Method::GET {
                let got = shared.call(*who, method.clone(), path, body.clone()).await;
                if got != want {
                    failures.push(format!("{method} {path} as {who:?}: expected {want}, got {got}"));
                }
            } else {
                writes.push((method.clone(), path, body.clone(), *who, want));
            }
        }
    }
    shared.app.stop().await;
    // Each write gets a fresh world, so a delete or a suspension cannot change another
    // cell; four at a time.
    let results: Vec<Option<String>> = futures::stream::iter(writes)
        .map(|(method, path, body, who, want)| async move {
            let w = world().await;
            let got = w.call(who, method.clone(), path, body).await;
            w.app.stop().await;
            (got != want).then(|| format!("{method} {path} as {who:?}: expected {want}, got {got}"))
        })
        .buffer_unordered(4)
        .collect()
        .await;
    failures.extend(results.into_iter().flatten());
    failures.sort();
    assert!(failures.is_empty(), "authorization mismatches:\n{}", failures.join("\n"));
}

#[tokio::test]
async fn state_changing_requests_need_the_csrf_token() {
    let w = world().await;
    // Same session, no token: 403 problem with its own type.
    let r = w.owner.client.post(w.owner.url("/api/v1/listings")).json(&complete_listing()).send().await.unwrap();
    assert_eq!(r.status(), 403);
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["type"], "https://student-palace.co.uk/problems/csrf");
    // Wrong token: 403 as well.
    let r = w
        .owner
        .client
        .post(w.owner.url("/api/v1/listings"))
        .header("x-csrf-token", "0".repeat(64))
        .json(&complete_listing())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // Another user's token: 403.
    let r = w
        .owner
        .client
        .delete(w.owner.url(&format!("/api/v1/listings/{}", w.draft)))
        .header("x-csrf-token", &w.other.csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // Nothing changed: the draft is still there.
    assert_eq!(w.owner.get(&format!("/api/v1/listings/{}", w.draft)).await.status(), 200);
    w.app.stop().await;
}
