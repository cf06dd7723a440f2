//! Listings over HTTP: drafts, publishing rules, transitions, privacy of the address.

use serde_json::{Value, json};
use sp_tests::{complete_listing, merge, spawn_app};

fn problem_fields(p: &Value) -> Vec<String> {
    p["errors"]
        .as_array()
        .map(|a| a.iter().map(|e| e["field"].as_str().unwrap().to_owned()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_landlord_drafts_completes_and_publishes() {
    let app = spawn_app().await;
    app.seed_cities().await;
    let owner = app.actor("landlord").await;
    let id = owner.create_listing(&json!({"title": "Bright 4-bed near Hyde Park", "city": "leeds"})).await;

    let r = owner.transition(&id, "publish").await;
    assert_eq!(r.status(), 409);
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["type"], "https://student-palace.co.uk/problems/listing-incomplete");
    let missing = problem_fields(&p);
    for f in ["description", "postcode", "property_type", "bedrooms", "rent_pppw_pence", "available_from", "epc_rating"]
    {
        assert!(missing.contains(&f.to_owned()), "{f} in {missing:?}");
    }

    let r = owner.patch_listing(&id, &complete_listing()).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let r = owner.transition(&id, "publish").await;
    assert_eq!(r.status(), 200);
    let l: Value = r.json().await.unwrap();
    assert_eq!(l["status"], "published");
    assert!(l["published_at"].is_string());
    assert_eq!(l["postcode"], "LS6 1AB", "the owner sees the full postcode");

    // The public sees only the outward code.
    let public: Value = app.get(&format!("/api/v1/listings/{id}")).await.json().await.unwrap();
    assert_eq!(public["postcode_outward"], "LS6");
    assert!(public.get("postcode").is_none() && public.get("address_line").is_none(), "{public}");
    assert_eq!(public["features"], json!(["wifi", "garden", "washing_machine"]));
    assert_eq!(public["rent_pppw_pence"], 12500);
    assert_eq!(public["photos"].as_array().unwrap().len(), 1, "its ready photo: {public}");
    assert_eq!(public["photos"][0]["status"], "ready");
    assert!(public["photos"][0]["urls"]["thumb"].as_str().unwrap().starts_with("http"));
    app.stop().await;
}

#[tokio::test]
async fn uk_rules_refuse_with_reasons() {
    let app = spawn_app().await;
    app.seed_cities().await;
    let owner = app.actor("agent").await;

    // Deposit over 5 weeks: refused at creation, naming the field.
    let mut body = complete_listing();
    merge(&mut body, &json!({"deposit_pence": 12500 * 5 + 1}));
    let r = owner.post("/api/v1/listings", &body).await;
    assert_eq!(r.status(), 422);
    let p: Value = r.json().await.unwrap();
    assert_eq!(problem_fields(&p), ["deposit_pence"]);
    assert!(p["errors"][0]["message"].as_str().unwrap().contains("Tenant Fees Act"));

    // EPC G: a draft is fine, publishing is not.
    let mut body = complete_listing();
    merge(&mut body, &json!({"epc_rating": "G"}));
    let id = owner.create_listing(&body).await;
    let r = owner.transition(&id, "publish").await;
    assert_eq!(r.status(), 409);
    assert_eq!(problem_fields(&r.json().await.unwrap()), ["epc_rating"]);

    // Five sharers need an HMO licence with an expiry in the future (a room in a house of
    // five: the house's licence).
    let mut body = complete_listing();
    merge(&mut body, &json!({"property_type": "room", "bedrooms": 1, "ensuite_rooms": 0, "max_occupants": 5}));
    let id = owner.create_listing(&body).await;
    let r = owner.transition(&id, "publish").await;
    assert_eq!(problem_fields(&r.json().await.unwrap()), ["hmo_licence"]);
    let r =
        owner.patch_listing(&id, &json!({"hmo_licence": "HMO/2026/0042", "hmo_licence_expires": "2030-01-01"})).await;
    assert_eq!(r.status(), 200);
    assert_eq!(owner.transition(&id, "publish").await.status(), 200);

    // Material information: deposit (0 is an answer), tenancy type, council tax, bills.
    let mut body = complete_listing();
    let obj = body.as_object_mut().unwrap();
    for f in ["deposit_pence", "tenancy_type", "council_tax", "bills"] {
        obj.remove(f);
    }
    let id = owner.create_listing(&body).await;
    let r = owner.transition(&id, "publish").await;
    assert_eq!(r.status(), 409);
    assert_eq!(problem_fields(&r.json().await.unwrap()), ["deposit_pence", "tenancy_type", "council_tax", "bills"]);
    let r = owner
        .patch_listing(
            &id,
            &json!({"deposit_pence": 0, "tenancy_type": "periodic", "council_tax": "C", "bills": [{"utility": "gas"}]}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let l: Value = owner.transition(&id, "publish").await.json().await.unwrap();
    assert_eq!(l["status"], "published", "{l}");
    assert_eq!(l["bills"], json!([{"utility": "gas", "cap_pence_per_month": null}]));
    assert_eq!(l["deposit_pence"], 0);

    // An expired EPC, an F without an exemption.
    let mut body = complete_listing();
    merge(&mut body, &json!({"epc_expires": "2020-01-01"}));
    let id = owner.create_listing(&body).await;
    assert_eq!(problem_fields(&owner.transition(&id, "publish").await.json().await.unwrap()), ["epc_expires"]);
    let mut body = complete_listing();
    merge(&mut body, &json!({"epc_rating": "F", "epc_exemption": "PRS-EX-000123"}));
    let id = owner.create_listing(&body).await;
    assert_eq!(owner.transition(&id, "publish").await.status(), 200, "a registered exemption lets F publish");

    // Jersey is not England; a utility listed twice is refused.
    let mut body = complete_listing();
    merge(&mut body, &json!({"postcode": "JE2 3AB"}));
    let r = owner.post("/api/v1/listings", &body).await;
    assert_eq!(r.status(), 422);
    let p: Value = r.json().await.unwrap();
    assert_eq!(problem_fields(&p), ["postcode"]);
    assert!(p["errors"][0]["message"].as_str().unwrap().contains("Jersey"), "{p}");
    let mut body = complete_listing();
    merge(&mut body, &json!({"bills": [{"utility": "gas"}, {"utility": "gas"}]}));
    let r = owner.post("/api/v1/listings", &body).await;
    assert_eq!(r.status(), 422);
    assert_eq!(problem_fields(&r.json().await.unwrap()), ["bills"]);

    // "Offers over" is not a price.
    let mut body = complete_listing();
    merge(&mut body, &json!({"title": "4-bed house, offers over £120"}));
    assert_eq!(owner.post("/api/v1/listings", &body).await.status(), 422);

    // Unknown city and an area of another city.
    let r = owner.post("/api/v1/listings", &json!({"city": "atlantis"})).await;
    assert_eq!(problem_fields(&r.json().await.unwrap()), ["city"]);
    let r = owner.post("/api/v1/listings", &json!({"city": "leeds", "area": "Fallowfield"})).await;
    assert_eq!(problem_fields(&r.json().await.unwrap()), ["area"]);
    app.stop().await;
}

#[tokio::test]
async fn transitions_and_deletes() {
    let app = spawn_app().await;
    app.seed_cities().await;
    let owner = app.actor("landlord").await;
    let draft = owner.create_listing(&json!({"title": "Draft to delete"})).await;
    let r = owner.transition(&draft, "let").await;
    assert_eq!(r.status(), 409);
    assert_eq!(r.json::<Value>().await.unwrap()["type"], "https://student-palace.co.uk/problems/invalid-transition");
    assert_eq!(owner.delete_listing(&draft).await.status(), 204);
    assert_eq!(owner.get(&format!("/api/v1/listings/{draft}")).await.status(), 404);

    let id = owner.published_listing(&json!({})).await;
    let r = owner.delete_listing(&id).await;
    assert_eq!(r.status(), 409);
    assert_eq!(r.json::<Value>().await.unwrap()["type"], "https://student-palace.co.uk/problems/not-deletable");
    assert_eq!(owner.transition(&id, "let").await.status(), 200);
    assert_eq!(app.get(&format!("/api/v1/listings/{id}")).await.status(), 200, "let listings stay visible");
    assert_eq!(owner.transition(&id, "archive").await.status(), 200);
    assert_eq!(app.get(&format!("/api/v1/listings/{id}")).await.status(), 404, "archived: gone for the public");
    assert_eq!(owner.patch_listing(&id, &json!({"title": "Edited"})).await.status(), 409);

    // A published listing must stay publishable: clearing the rent is refused, unchanged.
    let id = owner.published_listing(&json!({})).await;
    let r = owner.patch_listing(&id, &json!({"rent_pppw_pence": null})).await;
    assert_eq!(r.status(), 409);
    let l: Value = owner.get(&format!("/api/v1/listings/{id}")).await.json().await.unwrap();
    assert_eq!(l["rent_pppw_pence"], 12500);

    let mine: Value = owner.get("/api/v1/me/listings").await.json().await.unwrap();
    assert_eq!(mine["items"].as_array().unwrap().len(), 2);
    app.stop().await;
}

#[tokio::test]
async fn every_change_is_audited_with_the_servers_request_id() {
    let app = spawn_app().await;
    app.seed_cities().await;
    let owner = app.actor("landlord").await;
    let admin = app.admin().await;
    let r = owner
        .req(reqwest::Method::POST, "/api/v1/listings")
        .header("x-request-id", "audit-req-1")
        .json(&complete_listing())
        .send()
        .await
        .unwrap();
    let server_id = r.headers()["x-request-id"].to_str().unwrap().to_owned();
    let id = r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    owner.add_ready_photo(&id).await;
    assert_eq!(owner.transition(&id, "publish").await.status(), 200);
    let r = admin.unpublish(&id, "Photos do not match").await;
    assert_eq!(r.status(), 200);
    let l: Value = owner.get(&format!("/api/v1/listings/{id}")).await.json().await.unwrap();
    assert_eq!(l["status"], "draft");
    assert_eq!(l["moderation_note"], "Photos do not match");

    let audit: Value =
        admin.get(&format!("/api/v1/admin/audit?target_type=listing&target_id={id}")).await.json().await.unwrap();
    let actions: Vec<&str> = audit["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["listing.unpublish", "listing.publish", "listing.create"], "newest first");
    let create = &audit["items"][2];
    assert_eq!(create["request_id"], server_id.as_str(), "the server's id, not the client's");
    assert_eq!(create["actor_id"], owner.id.as_str());
    assert_eq!(audit["items"][0]["actor_id"], admin.id.as_str());
    assert_eq!(audit["items"][0]["before"]["status"], "published");
    assert_eq!(audit["items"][0]["after"]["status"], "draft");
    assert!(!audit.to_string().contains("argon2"), "no secrets in the audit trail");
    app.stop().await;
}

/// A lapsed HMO licence hides the listing from the public (detail 404, out of search), the
/// owner still sees it with the reason, and enquiries are refused with 409; a deactivated
/// city takes its listings out of search and detail.
#[tokio::test]
async fn lapsed_licences_and_inactive_cities_hide_listings() {
    use sea_orm::ConnectionTrait;
    let app = spawn_app().await;
    app.seed_cities().await;
    let owner = app.actor("landlord").await;
    let student = app.actor("student").await;
    let licensed = owner
        .published_listing(
            &json!({"max_occupants": 5, "hmo_licence": "HMO/2026/0042", "hmo_licence_expires": "2030-01-01"}),
        )
        .await;
    let plain = owner.published_listing(&json!({})).await;
    let search_ids = |v: Value| -> Vec<String> {
        v["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect()
    };
    let ids = search_ids(app.get("/api/v1/listings?city=leeds").await.json().await.unwrap());
    assert!(ids.contains(&licensed) && ids.contains(&plain), "{ids:?}");

    // The licence lapses: the row as it would stand after its expiry (search reads the
    // derived `searchable_until`, the detail page the licence itself).
    let db = app.db.connect().await;
    let lapse = format!(
        "UPDATE listings SET hmo_licence_expires = '2020-01-01', searchable_until = '2020-01-01' WHERE id = '{licensed}'"
    );
    db.execute_unprepared(&lapse).await.unwrap();
    // A change behind the use cases' backs: replace the public version as they would.
    app.deps.public_version().changed().await;
    assert_eq!(app.get(&format!("/api/v1/listings/{licensed}")).await.status(), 404);
    let ids = search_ids(app.get("/api/v1/listings?city=leeds").await.json().await.unwrap());
    assert!(!ids.contains(&licensed) && ids.contains(&plain), "{ids:?}");
    let seen: Value = owner.get(&format!("/api/v1/listings/{licensed}")).await.json().await.unwrap();
    assert_eq!(seen["hidden_reason"], "licence_lapsed", "{seen}");
    let visible: Value = owner.get(&format!("/api/v1/listings/{plain}")).await.json().await.unwrap();
    assert!(visible["hidden_reason"].is_null(), "{visible}");
    let r = student.post(&format!("/api/v1/listings/{licensed}/enquiries"), &json!({"message": "Is it free?"})).await;
    assert_eq!(r.status(), 409);
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["type"], "https://student-palace.co.uk/problems/not-taking-enquiries", "{p}");
    assert!(p["detail"].as_str().unwrap().contains("licence"), "{p}");

    // An admin deactivates Leeds: its listings leave search and detail; the owner sees why.
    let admin = app.admin().await;
    assert_eq!(admin.patch("/api/v1/admin/cities/leeds", &json!({"active": false})).await.status(), 200);
    assert_eq!(app.get(&format!("/api/v1/listings/{plain}")).await.status(), 404);
    let all = search_ids(app.get("/api/v1/listings").await.json().await.unwrap());
    assert!(!all.contains(&plain), "{all:?}");
    let seen: Value = owner.get(&format!("/api/v1/listings/{plain}")).await.json().await.unwrap();
    assert_eq!(seen["hidden_reason"], "city_inactive", "{seen}");
    let r = student.post(&format!("/api/v1/listings/{plain}/enquiries"), &json!({"message": "Is it free?"})).await;
    assert_eq!(r.status(), 404);
    // Its owner can still edit it (the city is not chosen anew), but cannot list a new one there.
    assert_eq!(owner.patch_listing(&plain, &json!({"title": "Still ours"})).await.status(), 200);
    let r = owner.post("/api/v1/listings", &json!({"city": "leeds"})).await;
    assert_eq!(r.status(), 422, "a deactivated city is not offered");
    app.stop().await;
}
