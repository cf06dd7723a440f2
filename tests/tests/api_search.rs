//! Public search, counters, shortlist and enquiries over HTTP.

use serde_json::{Value, json};
use sp_tests::spawn_app;

async fn search(app: &sp_tests::TestApp, qs: &str) -> (u16, Value) {
    let r = app.get(&format!("/api/v1/listings?{qs}")).await;
    (r.status().as_u16(), r.json().await.unwrap())
}

fn ids(v: &Value) -> Vec<String> {
    v["items"].as_array().unwrap().iter().map(|l| l["id"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn filters_sorts_and_pages() {
    let app = spawn_app().await;
    app.seed_cities().await;
    let owner = app.actor("landlord").await;
    let cheap = owner
        .published_listing(
            &json!({"rent_pppw_pence": 9000, "deposit_pence": 40000, "bedrooms": 3, "features": ["wifi"]}),
        )
        .await;
    let mid = owner
        .published_listing(&json!({"rent_pppw_pence": 12000, "deposit_pence": 0, "bills_included": false, "bills": []}))
        .await;
    let dear = owner
        .published_listing(&json!({"rent_pppw_pence": 16000, "city": "manchester", "area": "Fallowfield", "postcode": "M14 6AB", "ensuite_rooms": 0}))
        .await;
    let _draft = owner.create_listing(&json!({"title": "Not in search"})).await;

    let (s, all) = search(&app, "").await;
    assert_eq!(s, 200);
    assert_eq!(all["total_estimate"], 3);
    assert_eq!(all["next_cursor"], Value::Null, "the last page says so with null");
    let card = &all["items"][0];
    assert!(card.get("description").is_none() && card.get("deposit_pence").is_none(), "items are cards: {card}");
    let excerpt = card["excerpt"].as_str().unwrap();
    assert!(!excerpt.is_empty() && excerpt.chars().count() <= 200, "{card}");
    // The cover: the first ready photo's thumbnail (the test photo is 1200 × 900).
    let cover = &card["cover_photo"];
    let url = cover["url"].as_str().unwrap_or_else(|| panic!("a cover: {card}"));
    assert!(url.starts_with("http") && url.contains(&format!("/listings/{}/", card["id"].as_str().unwrap())), "{url}");
    assert!(url.ends_with("/thumb.webp"), "{url}");
    assert_eq!((cover["width"].as_u64(), cover["height"].as_u64()), (Some(400), Some(300)), "{cover}");
    assert_eq!(ids(&all), [dear.clone(), mid.clone(), cheap.clone()], "newest first");

    assert_eq!(ids(&search(&app, "city=leeds&sort=rent_asc").await.1), [cheap.clone(), mid.clone()]);
    assert_eq!(ids(&search(&app, "max_rent=12000&sort=rent_desc").await.1), [mid.clone(), cheap.clone()]);
    assert_eq!(ids(&search(&app, "min_rent=12000&max_rent=12000").await.1), [mid.as_str()]);
    assert_eq!(ids(&search(&app, "bills_included=false").await.1), [mid.as_str()]);
    assert_eq!(ids(&search(&app, "features=wifi,garden").await.1), [dear.clone(), mid.clone()]);
    assert_eq!(ids(&search(&app, "area=fallowfield").await.1), [dear.as_str()]);
    assert_eq!(ids(&search(&app, "ensuite=false").await.1), [dear.as_str()]);
    assert_eq!(ids(&search(&app, "bedrooms_max=3").await.1), [cheap.as_str()]);
    assert_eq!(ids(&search(&app, "q=garden&city=leeds").await.1), [mid.clone(), cheap.clone()]);

    // Pages of one, following next_cursor.
    let mut seen = Vec::new();
    let mut qs = "page_size=1&sort=rent_asc".to_owned();
    loop {
        let (s, page) = search(&app, &qs).await;
        assert_eq!(s, 200);
        seen.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(c) => qs = format!("page_size=1&sort=rent_asc&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen, [cheap, mid, dear]);
    app.stop().await;
}

#[tokio::test]
async fn bad_search_parameters_are_400_naming_the_parameter() {
    let app = spawn_app().await;
    for (qs, param) in [
        ("colour=blue", "colour"),
        ("min_rent=-5", "min_rent"),
        ("min_rent=abc", "min_rent"),
        ("bedrooms_min=0", "bedrooms_min"),
        ("bedrooms_max=99", "bedrooms_max"),
        ("property_type=castle", "property_type"),
        ("sort=cheapest", "sort"),
        ("features=wifi,jacuzzi", "features"),
        ("academic_year=2027-28", "academic_year"),
        ("available_from=tomorrow", "available_from"),
        ("page_size=0", "page_size"),
        ("page_size=51", "page_size"),
        ("cursor=not%20a%20cursor", "cursor"),
        ("city=Not%20A%20Slug", "city"),
        ("bills_included=maybe", "bills_included"),
        ("features=", "features"),
    ] {
        let r = app.get(&format!("/api/v1/listings?{qs}")).await;
        assert_eq!(r.status(), 400, "{qs}");
        assert_eq!(r.headers()["content-type"], "application/problem+json", "{qs}");
        let p: Value = r.json().await.unwrap();
        assert!(p.to_string().contains(param), "{qs}: {p}");
    }
    // Valid against the document but not meaningful: 422 naming the parameter.
    for (qs, param) in [("cursor=bm90LWEtY3Vyc29y", "cursor"), ("min_rent=500&max_rent=100", "min_rent")] {
        let r = app.get(&format!("/api/v1/listings?{qs}")).await;
        assert_eq!(r.status(), 422, "{qs}");
        let p: Value = r.json().await.unwrap();
        assert_eq!(p["errors"][0]["field"], param, "{qs}: {p}");
    }
    // A cursor from another sort order is refused too.
    let owner = {
        app.seed_cities().await;
        app.actor("landlord").await
    };
    owner.published_listing(&json!({})).await;
    owner.published_listing(&json!({})).await;
    let (_, page) = search(&app, "page_size=1").await;
    let c = page["next_cursor"].as_str().unwrap();
    assert_eq!(app.get(&format!("/api/v1/listings?page_size=1&sort=rent_asc&cursor={c}")).await.status(), 422);
    app.stop().await;
}

#[tokio::test]
async fn counters_and_city_counts_follow_publishing_and_suspension() {
    let app = spawn_app().await;
    app.seed_cities().await;
    let owner = app.actor("landlord").await;
    let admin = app.admin().await;
    owner.published_listing(&json!({})).await;
    owner.published_listing(&json!({})).await;
    let cities: Value = app.get("/api/v1/cities").await.json().await.unwrap();
    let leeds = cities["items"].as_array().unwrap().iter().find(|c| c["slug"] == "leeds").unwrap();
    assert_eq!(leeds["listing_count"], 2);
    let stats: Value = app.get("/api/v1/stats").await.json().await.unwrap();
    assert_eq!(stats, json!({"listings": 2, "cities": 1, "landlords": 1}));

    // A suspended landlord's listings leave search and counts (stats are cached for a
    // minute, so check search and city counts, which are live).
    admin.post_empty(&format!("/api/v1/admin/users/{}/suspend", owner.id)).await;
    assert_eq!(search(&app, "").await.1["total_estimate"], 0);
    let cities: Value = app.get("/api/v1/cities").await.json().await.unwrap();
    let leeds = cities["items"].as_array().unwrap().iter().find(|c| c["slug"] == "leeds").unwrap();
    assert_eq!(leeds["listing_count"], 0);
    app.stop().await;
}

#[tokio::test]
async fn shortlist_and_enquiries() {
    let app = spawn_app().await;
    app.seed_cities().await;
    let owner = app.actor("landlord").await;
    let student = app.actor("student").await;
    let a = owner.published_listing(&json!({})).await;
    let b = owner.published_listing(&json!({})).await;
    let draft = owner.create_listing(&json!({"title": "Secret draft"})).await;

    assert_eq!(student.put(&format!("/api/v1/me/shortlist/{a}")).await.status(), 204);
    assert_eq!(student.put(&format!("/api/v1/me/shortlist/{b}")).await.status(), 204);
    assert_eq!(student.put(&format!("/api/v1/me/shortlist/{a}")).await.status(), 204, "idempotent");
    assert_eq!(student.put(&format!("/api/v1/me/shortlist/{draft}")).await.status(), 404);
    let list: Value = student.get("/api/v1/me/shortlist").await.json().await.unwrap();
    let saved: Vec<&str> =
        list["items"].as_array().unwrap().iter().map(|i| i["listing_id"].as_str().unwrap()).collect();
    assert_eq!(saved, [b.as_str(), a.as_str()]);
    for item in list["items"].as_array().unwrap() {
        assert_eq!(item["available"], true);
        assert_eq!(item["card"]["id"], item["listing_id"], "a public listing shows its card");
        assert!(item["card"].get("description").is_none(), "a card, not the whole listing");
        let cover = item["card"]["cover_photo"]["url"].as_str().unwrap_or_else(|| panic!("a cover: {item}"));
        assert!(cover.ends_with("/thumb.webp"), "{cover}");
    }
    assert_eq!(student.delete(&format!("/api/v1/me/shortlist/{b}")).await.status(), 204);
    let list: Value = student.get("/api/v1/me/shortlist").await.json().await.unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);

    let r = student
        .post(
            &format!("/api/v1/listings/{a}/enquiries"),
            &json!({"message": "Could we view it next week?", "viewing_dates": ["2099-01-01"]}),
        )
        .await;
    assert_eq!(r.status(), 422, "dates more than a year ahead are refused");
    let r = student
        .post(&format!("/api/v1/listings/{a}/enquiries"), &json!({"message": "Could we view it next week?"}))
        .await;
    assert_eq!(r.status(), 201);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["status"], "new");
    let eid = e["id"].as_str().unwrap();
    assert_eq!(
        student
            .post(&format!("/api/v1/listings/{draft}/enquiries"), &json!({"message": "Hello there, is it free?"}))
            .await
            .status(),
        404
    );

    // The owner's notification is queued as a job.
    let pending = app.jobs_of("enquiry.notify_owner").await;
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].payload["enquiry_id"], eid);
    assert!(!pending[0].payload.to_string().contains("view it"), "no message bodies in job payloads");

    // The embedded worker sends it: one e-mail to the owner with the student's message.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let jobs = app.jobs_of("enquiry.notify_owner").await;
        if jobs[0].status == application::ports::JobStatus::Done {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "not sent within 30 s: {jobs:?}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let mail = app.sent_mail();
    assert_eq!(mail.len(), 1);
    assert!(mail[0].contains(&format!("To: {}", owner.email)), "{}", mail[0]);
    assert!(mail[0].contains("Could we view it next week?"), "{}", mail[0]);
    assert!(mail[0].contains("multipart/alternative"));

    let sent: Value = student.get("/api/v1/me/enquiries?box=sent").await.json().await.unwrap();
    assert_eq!(sent["items"].as_array().unwrap().len(), 1);
    let received: Value = owner.get("/api/v1/me/enquiries?box=received").await.json().await.unwrap();
    assert_eq!(received["items"][0]["id"], eid);
    assert_eq!(owner.get("/api/v1/me/enquiries?box=elsewhere").await.status(), 400);

    assert_eq!(
        owner.post(&format!("/api/v1/enquiries/{eid}/status"), &json!({"status": "replied"})).await.status(),
        200
    );
    assert_eq!(
        owner.post(&format!("/api/v1/enquiries/{eid}/status"), &json!({"status": "closed"})).await.status(),
        200
    );
    let r = owner.post(&format!("/api/v1/enquiries/{eid}/status"), &json!({"status": "replied"})).await;
    assert_eq!(r.status(), 409, "closed is final");
    assert_eq!(
        owner.post(&format!("/api/v1/enquiries/{eid}/status"), &json!({"status": "lost"})).await.status(),
        400,
        "not one of the documented statuses"
    );
    app.stop().await;
}

#[tokio::test]
async fn search_items_are_cards_with_an_excerpt_and_the_detail_is_whole() {
    let app = spawn_app().await;
    app.seed_cities().await;
    let owner = app.actor("landlord").await;
    let long = format!("{} Ends here.", "A roomy student house near campus with a garden. ".repeat(40));
    let id = owner.published_listing(&json!({ "description": long })).await;
    let (_, page) = search(&app, "").await;
    let card = &page["items"][0];
    assert_eq!(card["id"], id.as_str());
    let excerpt = card["excerpt"].as_str().unwrap();
    assert!(excerpt.ends_with('\u{2026}') && excerpt.chars().count() <= 200, "{excerpt}");
    assert!(long.starts_with(excerpt.trim_end_matches('\u{2026}')), "the start of the description");
    let keys: Vec<&str> = card.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys.len(), 18, "exactly the card's fields: {keys:?}");
    let detail: Value = app.get(&format!("/api/v1/listings/{id}")).await.json().await.unwrap();
    assert_eq!(detail["description"].as_str().unwrap(), long.trim());
    app.stop().await;
}
