//! Admins keep cities and areas (`/api/v1/admin/cities`): audited, refused to others,
//! names unique under concurrency, and what listings see follows.

use serde_json::{Value, json};
use sp_tests::spawn_app;

const PROBLEMS: &str = "https://student-palace.co.uk/problems/";

fn area_names(city: &Value) -> Vec<(String, bool)> {
    city["areas"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["name"].as_str().unwrap().to_owned(), a["active"].as_bool().unwrap()))
        .collect()
}

#[tokio::test]
async fn only_admins_manage_cities() {
    let app = spawn_app().await;
    let landlord = app.actor("landlord").await;
    assert_eq!(app.get("/api/v1/admin/cities").await.status(), 401);
    assert_eq!(landlord.get("/api/v1/admin/cities").await.status(), 403);
    let r = landlord.post("/api/v1/admin/cities", &json!({"name": "Durham"})).await;
    assert_eq!(r.status(), 403);
    let admin = app.admin().await;
    let all: Value = admin.get("/api/v1/admin/cities").await.json().await.unwrap();
    assert_eq!(all["items"], json!([]), "nothing was created");
    app.stop().await;
}

#[tokio::test]
async fn admins_create_rename_and_deactivate_cities_and_areas() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let r = admin.post("/api/v1/admin/cities", &json!({"name": "Durham", "areas": ["Viaduct", "Gilesgate"]})).await;
    assert_eq!(r.status(), 201);
    let durham: Value = r.json().await.unwrap();
    assert_eq!(durham["slug"], "durham");
    assert_eq!(area_names(&durham), [("Gilesgate".into(), true), ("Viaduct".into(), true)]);

    for body in [json!({"name": "Durham"}), json!({"name": "Elsewhere", "slug": "durham"})] {
        let r = admin.post("/api/v1/admin/cities", &body).await;
        assert_eq!(r.status(), 409, "{body}");
        let p: Value = r.json().await.unwrap();
        assert_eq!(p["type"], format!("{PROBLEMS}name-taken"));
    }
    let r = admin.post("/api/v1/admin/cities", &json!({"name": "Bath", "areas": ["Widcombe", "WIDCOMBE"]})).await;
    assert_eq!(r.status(), 422, "an area named twice");

    // A landlord lists in the new city and area.
    let landlord = app.actor("landlord").await;
    let id = landlord.create_listing(&json!({"city": "durham", "area": "viaduct", "postcode": "DH1 4AB"})).await;
    let before = landlord.etag(&id).await;

    let r = admin.post("/api/v1/admin/cities/durham/areas", &json!({"name": "viaduct"})).await;
    assert_eq!(r.status(), 409, "area names are unique ignoring case");
    let r = admin.post("/api/v1/admin/cities/durham/areas", &json!({"name": "Claypath"})).await;
    assert_eq!(r.status(), 201);
    assert_eq!(admin.post("/api/v1/admin/cities/nowhere/areas", &json!({"name": "X"})).await.status(), 404);

    // Renaming an area moves its listings (and their ETags).
    let r = admin.patch("/api/v1/admin/cities/durham/areas/Viaduct", &json!({"name": "The Viaduct"})).await;
    assert_eq!(r.status(), 200);
    let seen: Value = landlord.get(&format!("/api/v1/listings/{id}")).await.json().await.unwrap();
    assert_eq!(seen["area"], "The Viaduct", "{seen}");
    assert_ne!(landlord.etag(&id).await, before);
    let r = landlord
        .req(reqwest::Method::PATCH, &format!("/api/v1/listings/{id}"))
        .header("if-match", &before)
        .json(&json!({"title": "Old tab"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 412, "a change based on the old version is refused");

    // A retired area is not offered to new listings; the listing in it keeps it.
    let r = admin.patch("/api/v1/admin/cities/durham/areas/the%20viaduct", &json!({"active": false})).await;
    assert_eq!(r.status(), 200);
    let city: Value = r.json().await.unwrap();
    assert!(area_names(&city).contains(&("The Viaduct".into(), false)), "{city}");
    let r = landlord.post("/api/v1/listings", &json!({"city": "durham", "area": "The Viaduct"})).await;
    assert_eq!(r.status(), 422);
    assert_eq!(landlord.patch_listing(&id, &json!({"title": "Still editable"})).await.status(), 200);
    let r = admin.patch("/api/v1/admin/cities/durham/areas/Nowhere", &json!({"active": false})).await;
    assert_eq!(r.status(), 404);
    let r = admin.patch("/api/v1/admin/cities/durham/areas/Claypath", &json!({"name": "GILESGATE"})).await;
    assert_eq!(r.status(), 409);

    // Rename the city; deactivate it.
    let r = admin.patch("/api/v1/admin/cities/durham", &json!({"name": "City of Durham"})).await;
    assert_eq!(r.status(), 200);
    let r = admin.patch("/api/v1/admin/cities/durham", &json!({"active": false})).await;
    let city: Value = r.json().await.unwrap();
    assert_eq!((city["name"].as_str(), city["active"].as_bool()), (Some("City of Durham"), Some(false)), "{city}");
    assert_eq!(admin.patch("/api/v1/admin/cities/nowhere", &json!({"active": false})).await.status(), 404);
    for body in [json!({"name": null}), json!({"active": null})] {
        assert_eq!(admin.patch("/api/v1/admin/cities/durham", &body).await.status(), 400, "{body}: not clearable");
    }
    let r = landlord.post("/api/v1/listings", &json!({"city": "durham"})).await;
    assert_eq!(r.status(), 422, "an inactive city is not offered");

    // Every change is in the audit trail with the admin as actor.
    let trail: Value = admin.get("/api/v1/admin/audit?target_type=city&target_id=durham").await.json().await.unwrap();
    let actions: Vec<_> = trail["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        ["city.update", "city.update", "city.update_area", "city.update_area", "city.add_area", "city.create"],
        "{trail}"
    );
    assert!(trail["items"].as_array().unwrap().iter().all(|e| e["actor_id"] == admin.id.as_str()));
    let all: Value = admin.get("/api/v1/admin/cities").await.json().await.unwrap();
    assert_eq!(all["items"].as_array().unwrap().len(), 1, "inactive cities are listed to admins");
    app.stop().await;
}

#[tokio::test]
async fn two_admins_adding_one_name_at_once_get_one_201_and_one_409() {
    let app = spawn_app().await;
    let (a, b) = (app.admin().await, app.admin().await);
    assert_eq!(a.post("/api/v1/admin/cities", &json!({"name": "Leeds"})).await.status(), 201);
    for round in 0..5 {
        let (x, y) = (json!({"name": format!("Area {round}")}), json!({"name": format!("AREA {round}")}));
        let (r1, r2) = tokio::join!(
            a.post("/api/v1/admin/cities/leeds/areas", &x),
            b.post("/api/v1/admin/cities/leeds/areas", &y)
        );
        let mut statuses = [r1.status().as_u16(), r2.status().as_u16()];
        statuses.sort_unstable();
        assert_eq!(statuses, [201, 409], "round {round}");
    }
    let york = json!({"name": "York"});
    let (r1, r2) = tokio::join!(a.post("/api/v1/admin/cities", &york), b.post("/api/v1/admin/cities", &york));
    let mut statuses = [r1.status().as_u16(), r2.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409]);
    let leeds: Value = a.get("/api/v1/admin/cities").await.json().await.unwrap();
    assert_eq!(leeds["items"][0]["areas"].as_array().unwrap().len(), 5);
    app.stop().await;
}
