//! Registration, sign-in, sessions.

use serde_json::{Value, json};
use sp_tests::actors::PASSWORD;
use sp_tests::spawn_app;

async fn register(app: &sp_tests::TestApp, body: Value) -> reqwest::Response {
    app.client.post(app.url("/api/v1/auth/register")).json(&body).send().await.unwrap()
}

fn reg(email: &str, password: &str, role: &str) -> Value {
    json!({"email": email, "password": password, "display_name": "Ada Student", "role": role})
}

#[tokio::test]
async fn register_then_sign_in_then_me_then_sign_out() {
    let app = spawn_app().await;
    let r = register(&app, reg("  Ada@Example.AC.uk ", PASSWORD, "student")).await;
    assert_eq!(r.status(), 201);
    let u: Value = r.json().await.unwrap();
    assert_eq!(u["email"], "ada@example.ac.uk", "normalised");
    assert_eq!(u["role"], "student");
    assert!(u.get("password").is_none() && u.get("password_hash").is_none());

    let r = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": "ADA@example.ac.uk", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let cookie = r.headers().get("set-cookie").unwrap().to_str().unwrap().to_owned();
    assert!(cookie.starts_with("sp_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain http in dev: {cookie}");
    assert!(!cookie.contains("ada@example"), "the cookie is encrypted");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["user"]["email"], "ada@example.ac.uk");
    let csrf = v["csrf_token"].as_str().unwrap().to_owned();
    assert!(csrf.len() >= 32);

    let me: Value = app.get("/api/v1/me").await.json().await.unwrap();
    assert_eq!(me["user"]["email"], "ada@example.ac.uk");
    assert_eq!(me["csrf_token"], csrf.as_str(), "a reloaded page gets the session's token back");

    let r = app.client.post(app.url("/api/v1/auth/logout")).header("x-csrf-token", &csrf).send().await.unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(app.get("/api/v1/me").await.status(), 401);
    app.stop().await;
}

#[tokio::test]
async fn duplicate_emails_conflict_case_insensitively_and_say_little() {
    let app = spawn_app().await;
    assert_eq!(register(&app, reg("bo@example.com", PASSWORD, "landlord")).await.status(), 201);
    let r = register(&app, reg("BO@EXAMPLE.COM", "another long passphrase", "student")).await;
    assert_eq!(r.status(), 409);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["type"], "https://student-palace.co.uk/problems/email-taken");
    let text = p.to_string();
    assert!(!text.contains("landlord") && !text.contains("created"), "reveals nothing about the account: {text}");
    app.stop().await;
}

#[tokio::test]
async fn bad_registrations_name_every_field_and_store_nothing() {
    let app = spawn_app().await;
    // Valid against the document, but breaking rules it cannot state: 422, every field.
    let r =
        register(&app, json!({"email": "nope", "password": "q1w2e3r4t5y6", "display_name": "   ", "role": "student"}))
            .await;
    assert_eq!(r.status(), 422);
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["type"], "https://student-palace.co.uk/problems/validation");
    let fields: Vec<&str> = p["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    for f in ["email", "password", "display_name"] {
        assert!(fields.contains(&f), "{f} in {p}");
    }
    // Not valid against the document (lengths, the role's enum): 400, naming the field.
    for (body, field) in [
        (json!({"email": "c@example.com", "password": "short", "display_name": "C", "role": "student"}), "password"),
        (json!({"email": "c@example.com", "password": PASSWORD, "display_name": "C", "role": "wizard"}), "SignupRole"),
        (
            json!({"email": "c@example.com", "password": "x".repeat(129), "display_name": "C", "role": "student"}),
            "password",
        ),
        (json!({"email": "c@example.com", "password": PASSWORD, "display_name": "C", "role": "admin"}), "SignupRole"),
    ] {
        let r = register(&app, body.clone()).await;
        assert_eq!(r.status(), 400, "{body}");
        let p: Value = r.json().await.unwrap();
        assert_eq!(p["type"], "https://student-palace.co.uk/problems/invalid-body", "{body}");
        assert!(p["detail"].as_str().unwrap().contains(field), "{field} named in {p}");
    }
    for common in ["q1w2e3r4t5y6", "Q1W2E3R4T5Y6", "1qaz2wsx3edc"] {
        let r = register(&app, reg("c@example.com", common, "student")).await;
        assert_eq!(r.status(), 422, "{common}: a common password of 12+ characters is refused");
        let p: Value = r.json().await.unwrap();
        assert_eq!(p["errors"][0]["field"], "password", "{common}");
    }
    // None of them created an account.
    let r = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": "c@example.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    app.stop().await;
}

#[tokio::test]
async fn wrong_email_and_wrong_password_answer_identically() {
    let app = spawn_app().await;
    register(&app, reg("dee@example.com", PASSWORD, "student")).await;
    let attempt = |email: &'static str, password: &'static str| {
        let (c, u) = (app.client.clone(), app.url("/api/v1/auth/login"));
        async move {
            let r = c.post(u).json(&json!({"email": email, "password": password})).send().await.unwrap();
            (r.status().as_u16(), r.headers().get("set-cookie").is_some(), r.json::<Value>().await.unwrap())
        }
    };
    let (s1, c1, b1) = attempt("dee@example.com", "not the password at all").await;
    let (s2, c2, b2) = attempt("nobody@example.com", "not the password at all").await;
    let (s3, _, b3) = attempt("not an email", "x").await;
    assert_eq!((s1, s2, s3), (401, 401, 401));
    assert!(!c1 && !c2, "no session on failure");
    assert_eq!(b1, b2);
    assert_eq!(b1, b3);
    app.stop().await;
}

#[tokio::test]
async fn suspended_users_cannot_sign_in_and_their_sessions_end() {
    let app = spawn_app().await;
    let student = app.actor("student").await;
    let admin = app.admin().await;
    assert_eq!(student.get("/api/v1/me").await.status(), 200);
    assert_eq!(admin.post_empty(&format!("/api/v1/admin/users/{}/suspend", student.id)).await.status(), 200);
    assert_eq!(student.get("/api/v1/me").await.status(), 401, "the existing session stops working");
    let r = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": student.email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(admin.post_empty(&format!("/api/v1/admin/users/{}/unsuspend", student.id)).await.status(), 200);
    assert_eq!(student.get("/api/v1/me").await.status(), 401, "lifting a suspension does not revive old sessions");
    let again = app.sign_in(&student.email, "student").await;
    assert_eq!(again.get("/api/v1/me").await.status(), 200);
    app.stop().await;
}

/// Signs in with a fresh client and returns the raw session cookie and CSRF token, as an
/// attacker who copied them from a browser would hold them.
async fn copied_session(app: &sp_tests::TestApp, email: &str) -> (String, String) {
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    let csrf = r.json::<Value>().await.unwrap()["csrf_token"].as_str().unwrap().to_owned();
    (cookie, csrf)
}

async fn me_with(app: &sp_tests::TestApp, cookie: &str) -> u16 {
    let r = reqwest::Client::new().get(app.url("/api/v1/me")).header("cookie", cookie).send().await.unwrap();
    r.status().as_u16()
}

#[tokio::test]
async fn after_logout_a_copied_cookie_is_refused() {
    let app = spawn_app().await;
    let student = app.actor("student").await;
    let (cookie, csrf) = copied_session(&app, &student.email).await;
    assert_eq!(me_with(&app, &cookie).await, 200);
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/auth/logout"))
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(me_with(&app, &cookie).await, 401, "the server ended the session, not just the browser");
    assert_eq!(student.get("/api/v1/me").await.status(), 401, "signing out ends the account's other sessions too");
    let again = app.sign_in(&student.email, "student").await;
    assert_eq!(again.get("/api/v1/me").await.status(), 200, "signing in again works");
    app.stop().await;
}

#[tokio::test]
async fn revoke_all_ends_every_session_of_the_account_only() {
    let app = spawn_app().await;
    let student = app.actor("student").await;
    let other = app.actor("student").await;
    let (laptop, _) = copied_session(&app, &student.email).await;
    let (phone, _) = copied_session(&app, &student.email).await;
    assert_eq!(student.post_empty("/api/v1/me/sessions/revoke-all").await.status(), 204);
    assert_eq!(me_with(&app, &laptop).await, 401);
    assert_eq!(me_with(&app, &phone).await, 401);
    assert_eq!(student.get("/api/v1/me").await.status(), 401, "this session too");
    assert_eq!(other.get("/api/v1/me").await.status(), 200, "nobody else's");
    // Anonymous: 401; without the CSRF token: 403 (it is a state change).
    assert_eq!(app.client.post(app.url("/api/v1/me/sessions/revoke-all")).send().await.unwrap().status(), 401);
    let r = other.client.post(other.url("/api/v1/me/sessions/revoke-all")).send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(other.get("/api/v1/me").await.status(), 200);

    let audit: Value = app
        .admin()
        .await
        .get(&format!("/api/v1/admin/audit?target_type=user&target_id={}", student.id))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(audit["items"][0]["action"], "session.revoke_all");
    app.stop().await;
}

#[tokio::test]
async fn a_tampered_cookie_is_just_anonymous() {
    let app = spawn_app().await;
    let r = app.client.get(app.url("/api/v1/me")).header("cookie", "sp_session=forged-value").send().await.unwrap();
    assert_eq!(r.status(), 401);
    app.stop().await;
}

#[tokio::test]
async fn admins_suspend_other_admins_only_when_they_say_so_and_it_is_audited() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let other = app.admin().await;
    let suspend = format!("/api/v1/admin/users/{}/suspend", other.id);
    let r = admin.post_empty(&suspend).await;
    assert_eq!(r.status(), 409);
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["type"], "https://student-palace.co.uk/problems/admin-account", "{p}");
    assert!(p["detail"].as_str().unwrap().contains("confirm_admin=true"), "{p}");
    assert_eq!(other.get("/api/v1/me").await.status(), 200, "nothing changed");
    assert_eq!(admin.post_empty(&format!("{suspend}?confirm_admin=false")).await.status(), 409);

    let r = admin.post_empty(&format!("{suspend}?confirm_admin=true")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(other.get("/api/v1/me").await.status(), 401, "the other admin's sessions end");
    let trail: Value =
        admin.get(&format!("/api/v1/admin/audit?target_type=user&target_id={}", other.id)).await.json().await.unwrap();
    assert_eq!(trail["items"][0]["action"], "user.suspend_admin", "{trail}");
    assert_eq!(trail["items"][0]["actor_id"], admin.id.as_str(), "{trail}");
    app.stop().await;
}

async fn login_status(app: &sp_tests::TestApp, email: &str, password: &str) -> u16 {
    let body = json!({"email": email, "password": password});
    app.client.post(app.url("/api/v1/auth/login")).json(&body).send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn a_password_change_needs_the_current_one_and_ends_every_other_session() {
    let app = spawn_app().await;
    let laptop = app.actor("student").await;
    let phone = app.sign_in(&laptop.email, "student").await;
    let new = "a different long passphrase 42";
    for (body, field) in [
        (json!({"current_password": "not my password at all", "new_password": new}), "current_password"),
        (json!({"current_password": PASSWORD, "new_password": "password1234"}), "new_password"),
        (json!({"current_password": PASSWORD, "new_password": PASSWORD}), "new_password"),
    ] {
        let r = laptop.post("/api/v1/me/password", &body).await;
        assert_eq!(r.status(), 422, "{body}");
        let p: Value = r.json().await.unwrap();
        assert_eq!(p["errors"][0]["field"], field, "{p}");
    }
    assert_eq!(phone.get("/api/v1/me").await.status(), 200, "refused changes end nothing");

    let r = laptop.post("/api/v1/me/password", &json!({"current_password": PASSWORD, "new_password": new})).await;
    assert_eq!(r.status(), 200);
    let fresh: Value = r.json().await.unwrap();
    let csrf = fresh["csrf_token"].as_str().unwrap();
    assert_eq!(phone.get("/api/v1/me").await.status(), 401, "the other device is signed out");
    assert_eq!(laptop.get("/api/v1/me").await.status(), 200, "this client has a fresh session");
    let r = laptop.client.post(laptop.url("/api/v1/me/sessions/revoke-all")).header("x-csrf-token", csrf).send();
    assert_eq!(r.await.unwrap().status(), 204, "with its new CSRF token");
    assert_eq!(login_status(&app, &laptop.email, PASSWORD).await, 401, "the old password is gone");
    assert_eq!(login_status(&app, &laptop.email, new).await, 200);

    let admin = app.admin().await;
    let trail: Value =
        admin.get(&format!("/api/v1/admin/audit?target_type=user&target_id={}", laptop.id)).await.json().await.unwrap();
    let actions: Vec<_> = trail["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert!(actions.contains(&"user.change_password"), "{actions:?}");
    assert!(!trail.to_string().contains("argon2"), "no hash in the trail");
    app.stop().await;
}

#[tokio::test]
async fn two_concurrent_password_changes_let_exactly_one_win() {
    let app = spawn_app().await;
    let a = app.actor("student").await;
    let b = app.sign_in(&a.email, "student").await;
    let (one, two) = ("first new passphrase here", "second new passphrase here");
    let (ba, bb) = (
        json!({"current_password": PASSWORD, "new_password": one}),
        json!({"current_password": PASSWORD, "new_password": two}),
    );
    let (ra, rb) = tokio::join!(a.post("/api/v1/me/password", &ba), b.post("/api/v1/me/password", &bb));
    let statuses = [ra.status().as_u16(), rb.status().as_u16()];
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| [200, 401, 422].contains(s)), "{statuses:?}");
    let works = [login_status(&app, &a.email, one).await, login_status(&app, &a.email, two).await];
    assert_eq!(works.iter().filter(|s| **s == 200).count(), 1, "exactly one new password holds: {works:?}");
    assert_eq!(login_status(&app, &a.email, PASSWORD).await, 401);
    app.stop().await;
}
