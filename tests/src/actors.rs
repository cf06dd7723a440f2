//! Signed-in users for black-box tests: each `Actor` has its own cookie jar and CSRF
//! token, and helpers that send the token on state-changing requests.

use reqwest::{Method, RequestBuilder, Response};
use serde_json::{Value, json};

use crate::TestApp;

pub const PASSWORD: &str = "a long enough passphrase";

pub struct Actor {
    pub id: String,
    pub email: String,
    pub role: String,
    pub csrf: String,
    pub client: reqwest::Client,
    base: String,
    /// The service's photo rows: `create_listing` gives each listing a ready photo.
    photos: std::sync::Arc<dyn application::ports::PhotoRepository>,
}

fn new_client() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().expect("client")
}

impl Actor {
    /// The same session (cookie jar and CSRF token) sent to another instance.
    #[must_use]
    pub fn on(&self, app: &TestApp) -> Actor {
        Actor {
            id: self.id.clone(),
            email: self.email.clone(),
            role: self.role.clone(),
            csrf: self.csrf.clone(),
            client: self.client.clone(),
            base: app.address.clone(),
            photos: self.photos.clone(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A request carrying the session cookie and (for non-GET) the CSRF token.
    pub fn req(&self, method: Method, path: &str) -> RequestBuilder {
        let is_get = method == Method::GET;
        let b = self.client.request(method, self.url(path));
        if is_get { b } else { b.header("x-csrf-token", &self.csrf) }
    }

    pub async fn get(&self, path: &str) -> Response {
        self.req(Method::GET, path).send().await.expect("sent")
    }

    pub async fn post(&self, path: &str, body: &Value) -> Response {
        self.req(Method::POST, path).json(body).send().await.expect("sent")
    }

    pub async fn post_empty(&self, path: &str) -> Response {
        self.req(Method::POST, path).send().await.expect("sent")
    }

    pub async fn patch(&self, path: &str, body: &Value) -> Response {
        self.req(Method::PATCH, path).json(body).send().await.expect("sent")
    }

    pub async fn put(&self, path: &str) -> Response {
        self.req(Method::PUT, path).send().await.expect("sent")
    }

    /// Uploads `bytes` as the `file` part of a `multipart/form-data` body.
    pub async fn upload(&self, path: &str, file_name: &str, bytes: Vec<u8>) -> Response {
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name(file_name.to_owned())
            .mime_str("image/jpeg")
            .expect("a MIME type");
        let form = reqwest::multipart::Form::new().part("file", part);
        self.req(Method::POST, path).multipart(form).send().await.expect("sent")
    }

    pub async fn delete(&self, path: &str) -> Response {
        self.req(Method::DELETE, path).send().await.expect("sent")
    }

    /// The ETag that listing `id`'s owner or an admin is given (asserting there is one).
    pub async fn etag(&self, id: &str) -> String {
        let r = self.get(&format!("/api/v1/listings/{id}")).await;
        let status = r.status();
        match r.headers().get("etag") {
            Some(v) => v.to_str().expect("ascii etag").to_owned(),
            None => panic!("GET /api/v1/listings/{id} answered {status} without an ETag"),
        }
    }

    /// `method path` sent with listing `id`'s current ETag in `If-Match`, read just before,
    /// as a client does before it changes something.
    pub async fn conditional(&self, method: Method, path: &str, id: &str, body: Option<&Value>) -> Response {
        let etag = self.etag(id).await;
        let b = self.req(method, path).header("if-match", etag);
        let b = match body {
            Some(v) => b.json(v),
            None => b,
        };
        b.send().await.expect("sent")
    }

    /// `PATCH /api/v1/listings/{id}` with the current ETag.
    pub async fn patch_listing(&self, id: &str, body: &Value) -> Response {
        self.conditional(Method::PATCH, &format!("/api/v1/listings/{id}"), id, Some(body)).await
    }

    /// `POST /api/v1/listings/{id}/{action}` (publish, archive, let) with the current ETag.
    pub async fn transition(&self, id: &str, action: &str) -> Response {
        self.conditional(Method::POST, &format!("/api/v1/listings/{id}/{action}"), id, None).await
    }

    /// `DELETE /api/v1/listings/{id}` with the current ETag.
    pub async fn delete_listing(&self, id: &str) -> Response {
        self.conditional(Method::DELETE, &format!("/api/v1/listings/{id}"), id, None).await
    }

    /// An admin's `POST /api/v1/admin/listings/{id}/unpublish` with the current ETag.
    pub async fn unpublish(&self, id: &str, reason: &str) -> Response {
        let body = json!({ "reason": reason });
        self.conditional(Method::POST, &format!("/api/v1/admin/listings/{id}/unpublish"), id, Some(&body)).await
    }

    /// Creates a listing from `body` and returns its id (asserting 201). The listing gets
    /// one ready photo row (no files: listing tests do not look at them), since publishing
    /// needs one; `tests/tests/api_photos.rs` takes photos through the real pipeline.
    pub async fn create_listing(&self, body: &Value) -> String {
        let r = self.post("/api/v1/listings", body).await;
        let status = r.status();
        let v: Value = r.json().await.expect("json");
        assert_eq!(status, 201, "{v}");
        let id = v["id"].as_str().expect("id").to_owned();
        self.add_ready_photo(&id).await;
        id
    }

    /// Stores a ready photo row for listing `id` directly (its job never runs).
    pub async fn add_ready_photo(&self, id: &str) {
        use domain::photo::{Photo, PhotoId, PhotoStatus};
        let now = chrono::Utc::now();
        let photo = Photo {
            id: PhotoId(uuid::Uuid::now_v7()),
            listing_id: domain::listing::ListingId(id.parse().expect("a listing id")),
            status: PhotoStatus::Pending,
            position: 0,
            content_type: "image/jpeg".into(),
            bytes: 1,
            width: None,
            height: None,
            reject_reason: None,
            created_at: now,
            updated_at: now,
        };
        let far = chrono::DateTime::parse_from_rfc3339("2100-01-01T00:00:00Z").expect("a date").to_utc();
        let job = application::ports::NewJob {
            run_at: far,
            ..application::ports::NewJob::now(
                uuid::Uuid::now_v7(),
                "test.placeholder-photo",
                serde_json::json!({}),
                now,
            )
        };
        let stored = self.photos.insert(&photo, domain::photo::MAX_PHOTOS_PER_LISTING, &job).await.expect("photo row");
        self.photos.mark_ready(stored.id, 1200, 900, now).await.expect("ready");
    }

    /// Sends an enquiry about `listing` (a student's question) and expects 201; its owner
    /// is then mailed by the worker.
    pub async fn enquire(&self, listing: &str) {
        let r = self
            .post(
                &format!("/api/v1/listings/{listing}/enquiries"),
                &json!({"message": "Is it still free in September?"}),
            )
            .await;
        let status = r.status();
        assert_eq!(status, 201, "{}", r.text().await.unwrap_or_default());
    }

    /// Creates and publishes a complete listing; returns its id.
    pub async fn published_listing(&self, overrides: &Value) -> String {
        let mut body = complete_listing();
        merge(&mut body, overrides);
        let id = self.create_listing(&body).await;
        let r = self.transition(&id, "publish").await;
        let status = r.status();
        assert_eq!(status, 200, "{}", r.text().await.unwrap_or_default());
        id
    }
}

/// Shallow-merges `extra`'s keys into `base`.
pub fn merge(base: &mut Value, extra: &Value) {
    if let (Some(b), Some(e)) = (base.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            b.insert(k.clone(), v.clone());
        }
    }
}

/// A complete, publishable listing in Leeds (DESIGN.md's example, let to 4 so no HMO
/// licence is needed).
pub fn complete_listing() -> Value {
    json!({
        "title": "Bright 4-bed near Hyde Park",
        "description": "A bright, well kept student house with a garden, close to campus and the shops on Hyde Park Corner.",
        "city": "leeds",
        "area": "Hyde Park",
        "address_line": "12 Example Street",
        "postcode": "LS6 1AB",
        "property_type": "house",
        "bedrooms": 4,
        "bathrooms": 2,
        "ensuite_rooms": 1,
        "max_occupants": 4,
        "rent_pppw_pence": 12500,
        "bills_included": true,
        "bills": [{"utility": "electricity", "cap_pence_per_month": 4000}, {"utility": "water"}],
        "deposit_pence": 50000,
        "council_tax": "student_exempt",
        "available_from": "2027-07-01",
        "academic_year": "2027/28",
        "tenancy_months": 12,
        "furnished": true,
        "features": ["wifi", "garden", "washing_machine"],
        "epc_rating": "C",
        "epc_expires": "2031-03-01",
        "tenancy_type": "periodic"
    })
}

impl TestApp {
    /// Registers a user with `role` and a unique e-mail, signs in, returns the actor.
    pub async fn actor(&self, role: &str) -> Actor {
        let email = format!("{role}-{}@example.ac.uk", uuid::Uuid::new_v4().simple());
        let client = new_client();
        let r = client
            .post(self.url("/api/v1/auth/register"))
            .json(&json!({"email": email, "password": PASSWORD, "display_name": format!("Test {role}"), "role": role}))
            .send()
            .await
            .expect("sent");
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
        self.sign_in(&email, role).await
    }

    /// An admin created the way operators do (the CLI's use case), signed in.
    pub async fn admin(&self) -> Actor {
        let email = format!("admin-{}@example.ac.uk", uuid::Uuid::new_v4().simple());
        let ports = self.deps.account_ports();
        application::accounts::CreateAdmin::new(ports).execute(&email, "Test Admin", PASSWORD).await.expect("admin");
        self.sign_in(&email, "admin").await
    }

    pub async fn sign_in(&self, email: &str, role: &str) -> Actor {
        let client = new_client();
        let r = client
            .post(self.url("/api/v1/auth/login"))
            .json(&json!({"email": email, "password": PASSWORD}))
            .send()
            .await
            .expect("sent");
        assert_eq!(r.status(), 200, "sign-in failed");
        let v: Value = r.json().await.expect("json");
        Actor {
            id: v["user"]["id"].as_str().expect("id").to_owned(),
            email: email.to_owned(),
            role: role.to_owned(),
            csrf: v["csrf_token"].as_str().expect("csrf").to_owned(),
            client,
            base: self.address.clone(),
            photos: self.deps.photos.clone(),
        }
    }

    /// Seeds the demo cities (listings need a city).
    pub async fn seed_cities(&self) {
        bootstrap::demo::seed_cities(self.deps.cities.clone(), self.deps.public_version()).await.expect("cities");
    }
}
