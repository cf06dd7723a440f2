//! The `CityRepository` contract (run on a fresh [`Ports`] store: area renames move
//! listings, every change writes its audit event).

use std::sync::atomic::{AtomicU32, Ordering};

use application::RepositoryError;
use application::ports::{AreaChange, CityChange, CityFilter};
use domain::listing::{ListingStatus, PropertyType};
use domain::{AreaName, City, CityName, CitySlug, Role};

use super::Ports;
use super::fixtures::{at, details, event, events_about, listing, seed_listing, seed_user, user};

fn city(slug: &str, name: &str, active: bool, areas: &[&str]) -> City {
    City::new(
        CitySlug::parse(slug).unwrap(),
        CityName::parse(name).unwrap(),
        active,
        areas.iter().map(|a| AreaName::parse(a).unwrap()).collect(),
    )
}

fn slug(s: &str) -> CitySlug {
    CitySlug::parse(s).unwrap()
}

fn area(s: &str) -> AreaName {
    AreaName::parse(s).unwrap()
}

fn slugs(cities: &[City]) -> Vec<&str> {
    cities.iter().map(|c| c.slug.as_str()).collect()
}

fn areas(c: &City) -> Vec<(&str, bool)> {
    c.areas().iter().map(|a| (a.name.as_str(), a.active)).collect()
}

/// A fresh audit event about `slug` (ids unique within the suite).
fn ev(action: &str, slug: &str) -> application::audit::AuditEvent {
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    event(0xC1_0000 + u128::from(n), action, ("city", slug.to_owned()), at(i64::from(n)))
}

/// Runs every case on a fresh, empty store.
pub async fn run(p: &Ports) {
    empty_store_lists_nothing(p).await;
    creates_and_finds_with_areas(p).await;
    lists_by_name_and_filters_inactive(p).await;
    a_taken_slug_or_name_is_a_conflict(p).await;
    changes_set_only_what_they_name(p).await;
    concurrent_changes_of_different_fields_both_stay(p).await;
    areas_are_unique_ignoring_case(p).await;
    concurrent_adds_of_one_area_name_let_exactly_one_win(p).await;
    areas_are_renamed_and_retired(p).await;
    renaming_an_area_moves_its_listings(p).await;
}

async fn empty_store_lists_nothing(p: &Ports) {
    assert!(p.cities.list(CityFilter::All).await.unwrap().is_empty());
    assert!(p.cities.find(&slug("nowhere")).await.unwrap().is_none());
}

async fn creates_and_finds_with_areas(p: &Ports) {
    let leeds = city("leeds", "Leeds", true, &["Hyde Park", "Headingley"]);
    let e = ev("city.create", "leeds");
    p.cities.create(&leeds, &e).await.unwrap();
    let found = p.cities.find(&leeds.slug).await.unwrap().expect("created city is found");
    assert_eq!(found, leeds);
    assert_eq!(areas(&found), [("Headingley", true), ("Hyde Park", true)], "areas come back sorted, active");
    assert_eq!(events_about(p, "city", "leeds".into()).await, [e], "audited with the write");
}

async fn lists_by_name_and_filters_inactive(p: &Ports) {
    p.cities.create(&city("york", "York", true, &[]), &ev("city.create", "york")).await.unwrap();
    p.cities.create(&city("bath", "Bath", false, &["Widcombe"]), &ev("city.create", "bath")).await.unwrap();
    p.cities.create(&city("aberdeen", "Aberdeen", true, &[]), &ev("city.create", "aberdeen")).await.unwrap();
    let active = p.cities.list(CityFilter::Active).await.unwrap();
    assert_eq!(slugs(&active), ["aberdeen", "leeds", "york"]);
    let all = p.cities.list(CityFilter::All).await.unwrap();
    assert_eq!(slugs(&all), ["aberdeen", "bath", "leeds", "york"]);
    assert_eq!(all[1].areas().len(), 1, "inactive cities keep their areas");
}

async fn a_taken_slug_or_name_is_a_conflict(p: &Ports) {
    for (s, name) in [("york", "New York"), ("york-2", "York")] {
        let e = ev("city.create", s);
        let err = p.cities.create(&city(s, name, true, &["Somewhere"]), &e).await.unwrap_err();
        assert!(matches!(err, RepositoryError::Conflict(_)), "{s}: {err:?}");
    }
    assert!(p.cities.find(&slug("york-2")).await.unwrap().is_none(), "nothing was written");
    let york = p.cities.find(&slug("york")).await.unwrap().unwrap();
    assert_eq!((york.name.as_str(), york.areas().len()), ("York", 0), "york is as it was");
    assert!(events_about(p, "city", "york-2".into()).await.is_empty(), "no event for a refused write");
}

async fn changes_set_only_what_they_name(p: &Ports) {
    let rename = CityChange { name: Some(CityName::parse("City of York").unwrap()), active: None };
    let york = p.cities.change(&slug("york"), &rename, &ev("city.update", "york")).await.unwrap().unwrap();
    assert_eq!((york.name.as_str(), york.active), ("City of York", true));
    let off = CityChange { name: None, active: Some(false) };
    let york = p.cities.change(&slug("york"), &off, &ev("city.update", "york")).await.unwrap().unwrap();
    assert_eq!((york.name.as_str(), york.active), ("City of York", false), "the name stays");
    assert_eq!(p.cities.find(&slug("york")).await.unwrap().unwrap(), york, "as stored");
    assert_eq!(events_about(p, "city", "york".into()).await.len(), 3, "create and two changes");

    let nowhere = p.cities.change(&slug("nowhere"), &off, &ev("city.update", "nowhere")).await.unwrap();
    assert!(nowhere.is_none());
    assert!(events_about(p, "city", "nowhere".into()).await.is_empty(), "no event without a city");

    let taken = CityChange { name: Some(CityName::parse("Leeds").unwrap()), active: Some(true) };
    let err = p.cities.change(&slug("york"), &taken, &ev("city.update", "york")).await.unwrap_err();
    assert!(matches!(err, RepositoryError::Conflict(_)), "{err:?}");
    assert_eq!(p.cities.find(&slug("york")).await.unwrap().unwrap(), york, "nothing changed");
}

async fn concurrent_changes_of_different_fields_both_stay(p: &Ports) {
    for round in 0..5 {
        let name = CityName::parse(&format!("Bath {round}")).unwrap();
        let on = round % 2 == 0;
        let (e1, e2) = (ev("city.update", "bath"), ev("city.update", "bath"));
        let rename = CityChange { name: Some(name.clone()), active: None };
        let flip = CityChange { name: None, active: Some(on) };
        let bath = slug("bath");
        let (a, b) = tokio::join!(p.cities.change(&bath, &rename, &e1), p.cities.change(&bath, &flip, &e2));
        a.unwrap().unwrap();
        b.unwrap().unwrap();
        let bath = p.cities.find(&slug("bath")).await.unwrap().unwrap();
        assert_eq!((&bath.name, bath.active), (&name, on), "round {round}: both changes stay");
    }
}

async fn areas_are_unique_ignoring_case(p: &Ports) {
    let leeds = p.cities.add_area(&slug("leeds"), &area("Woodhouse"), &ev("city.add_area", "leeds")).await.unwrap();
    assert_eq!(areas(&leeds.unwrap()), [("Headingley", true), ("Hyde Park", true), ("Woodhouse", true)]);
    let err = p.cities.add_area(&slug("leeds"), &area("hyde PARK"), &ev("city.add_area", "leeds")).await.unwrap_err();
    assert!(matches!(err, RepositoryError::Conflict(_)), "{err:?}");
    let none = p.cities.add_area(&slug("nowhere"), &area("Centre"), &ev("city.add_area", "nowhere")).await.unwrap();
    assert!(none.is_none());
    assert_eq!(p.cities.find(&slug("leeds")).await.unwrap().unwrap().areas().len(), 3, "nothing was added");
}

async fn concurrent_adds_of_one_area_name_let_exactly_one_win(p: &Ports) {
    let (e1, e2) = (ev("city.add_area", "aberdeen"), ev("city.add_area", "aberdeen"));
    let (a1, a2) = (area("Old Aberdeen"), area("OLD ABERDEEN"));
    let aberdeen = slug("aberdeen");
    let (a, b) = tokio::join!(p.cities.add_area(&aberdeen, &a1, &e1), p.cities.add_area(&aberdeen, &a2, &e2));
    let won = [a.is_ok(), b.is_ok()];
    assert_eq!(won.iter().filter(|w| **w).count(), 1, "exactly one wins: {a:?} {b:?}");
    assert!([a, b].into_iter().any(|r| matches!(r, Err(RepositoryError::Conflict(_)))));
    assert_eq!(p.cities.find(&slug("aberdeen")).await.unwrap().unwrap().areas().len(), 1);
}

async fn areas_are_renamed_and_retired(p: &Ports) {
    let retire = AreaChange { name: None, active: Some(false) };
    let (leeds_slug, woodhouse) = (slug("leeds"), area("Woodhouse"));
    let leeds = p.cities.change_area(&leeds_slug, &woodhouse, &retire, &ev("city.update_area", "leeds")).await;
    let leeds = leeds.unwrap().unwrap();
    assert_eq!(areas(&leeds), [("Headingley", true), ("Hyde Park", true), ("Woodhouse", false)]);
    let err = p.cities.add_area(&slug("leeds"), &area("woodhouse"), &ev("city.add_area", "leeds")).await.unwrap_err();
    assert!(matches!(err, RepositoryError::Conflict(_)), "a retired name stays taken: {err:?}");

    let to_taken = AreaChange { name: Some(area("HEADINGLEY")), active: None };
    let err = p
        .cities
        .change_area(&slug("leeds"), &area("Woodhouse"), &to_taken, &ev("city.update_area", "leeds"))
        .await
        .unwrap_err();
    assert!(matches!(err, RepositoryError::Conflict(_)), "{err:?}");
    let unknown = p.cities.change_area(&leeds_slug, &area("Nowhere"), &retire, &ev("city.update_area", "leeds")).await;
    assert!(unknown.unwrap().is_none());
    let unknown = p.cities.change_area(&slug("nowhere"), &woodhouse, &retire, &ev("city.update_area", "x")).await;
    assert!(unknown.unwrap().is_none());
    assert_eq!(p.cities.find(&slug("leeds")).await.unwrap().unwrap(), leeds, "nothing changed");
}

async fn renaming_an_area_moves_its_listings(p: &Ports) {
    let owner = user(0xC1_FF01, "cities-owner@example.com", Role::Landlord, at(0));
    seed_user(p, &owner).await;
    let d = |a: &str| details("leeds", a, "LS6 1AB", PropertyType::House, 4, 12_000);
    let in_area = listing(0xC1_FF10, owner.id, ListingStatus::Published, d("Hyde Park"), at(1), Some(at(1)));
    let elsewhere = listing(0xC1_FF11, owner.id, ListingStatus::Draft, d("Headingley"), at(2), None);
    seed_listing(p, &in_area).await;
    seed_listing(p, &elsewhere).await;

    let rename = AreaChange { name: Some(area("Hyde Park Corner")), active: None };
    let e = ev("city.update_area", "leeds");
    let leeds = p.cities.change_area(&slug("leeds"), &area("Hyde Park"), &rename, &e).await.unwrap().unwrap();
    assert!(leeds.area("Hyde Park Corner").is_some_and(|a| a.active) && leeds.area("Hyde Park").is_none());

    let moved = p.listings.find(in_area.id).await.unwrap().unwrap();
    assert_eq!(moved.details.area.as_ref().map(AreaName::as_str), Some("Hyde Park Corner"));
    assert_eq!(moved.version, in_area.version.next(), "its version moves on: an ETag read before is stale");
    assert_eq!(moved.status, ListingStatus::Published, "nothing else changes");
    let kept = p.listings.find(elsewhere.id).await.unwrap().unwrap();
    assert_eq!(kept, elsewhere, "listings in other areas are untouched");
    assert_eq!(events_about(p, "city", "leeds".into()).await[0], e);
}
