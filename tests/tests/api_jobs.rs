//! `/api/v1/admin/jobs`: dead jobs listed and retried by admins, refused to others.

use application::ports::{JobStatus, NewJob, Outcome};
use serde_json::{Value, json};
use sp_tests::{TestDb, spawn_app_with};
use uuid::Uuid;

#[tokio::test]
async fn admins_list_dead_jobs_and_retry_them_once() {
    // No embedded worker: the test moves the job through its states itself.
    let app = spawn_app_with(TestDb::postgres().await, &[("EMBEDDED_WORKER", "false")]).await;
    let now = chrono::Utc::now();
    let id = Uuid::now_v7();
    let job = NewJob { max_attempts: 1, ..NewJob::now(id, "enquiry.notify_owner", json!({ "enquiry_id": "x" }), now) };
    app.deps.jobs.enqueue(&job).await.unwrap();
    let queued = Uuid::now_v7();
    app.deps.jobs.enqueue(&NewJob::now(queued, "listing.hmo_licence_sweep", json!({}), now)).await.unwrap();
    let claimed = app.deps.jobs.claim(now, now + chrono::Duration::seconds(60), 1).await.unwrap();
    assert_eq!(claimed[0].id, id);
    let lease = claimed[0].lease.unwrap().id;
    let dead = Outcome::Dead { error: "the payload names no enquiry_id".into() };
    app.deps.jobs.finish(id, lease, &dead, now).await.unwrap();

    let student = app.actor("student").await;
    assert_eq!(student.get("/api/v1/admin/jobs").await.status(), 403);
    assert_eq!(student.post(&format!("/api/v1/admin/jobs/{id}/retry"), &json!({})).await.status(), 403);

    let admin = app.admin().await;
    let page: Value = admin.get("/api/v1/admin/jobs?status=dead").await.json().await.unwrap();
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{page}");
    assert_eq!(items[0]["id"], id.to_string());
    assert_eq!(items[0]["status"], "dead");
    assert_eq!(items[0]["attempts"], 1);
    assert_eq!(items[0]["last_error"], "the payload names no enquiry_id");
    assert!(items[0]["lease_until"].is_null());
    assert!(page["next_cursor"].is_null());
    let all: Value = admin.get("/api/v1/admin/jobs").await.json().await.unwrap();
    assert_eq!(all["items"].as_array().unwrap().len(), 2);
    for bad in ["/api/v1/admin/jobs?status=zombie", "/api/v1/admin/jobs?statuss=dead", "/api/v1/admin/jobs?page_size=0"]
    {
        assert_eq!(admin.get(bad).await.status(), 400, "{bad}");
    }

    let r = admin.post(&format!("/api/v1/admin/jobs/{id}/retry"), &json!({})).await;
    assert_eq!(r.status(), 200);
    let retried: Value = r.json().await.unwrap();
    assert_eq!((retried["status"].as_str(), retried["attempts"].as_u64()), (Some("queued"), Some(0)));
    assert_eq!(app.deps.jobs.find(id).await.unwrap().unwrap().status, JobStatus::Queued);

    let again = admin.post(&format!("/api/v1/admin/jobs/{id}/retry"), &json!({})).await;
    assert_eq!(again.status(), 409, "only dead jobs are retried");
    let problem: Value = again.json().await.unwrap();
    assert!(problem["type"].as_str().unwrap().ends_with("invalid-transition"), "{problem}");
    assert_eq!(admin.post(&format!("/api/v1/admin/jobs/{queued}/retry"), &json!({})).await.status(), 409);
    assert_eq!(admin.post(&format!("/api/v1/admin/jobs/{}/retry", Uuid::now_v7()), &json!({})).await.status(), 404);
    assert_eq!(admin.post("/api/v1/admin/jobs/not-a-uuid/retry", &json!({})).await.status(), 400);

    let audit: Value =
        admin.get(&format!("/api/v1/admin/audit?target_type=job&target_id={id}")).await.json().await.unwrap();
    let events = audit["items"].as_array().unwrap();
    assert_eq!(events.len(), 1, "one retry, audited once: {audit}");
    assert_eq!(events[0]["action"], "job.retry");
    assert_eq!(events[0]["actor_id"], admin.id);
}
