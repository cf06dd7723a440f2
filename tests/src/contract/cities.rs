//! The `CityRepository` contract.

use application::RepositoryError;
use application::ports::{CityFilter, CityRepository};
use domain::{AreaName, City, CityName, CitySlug};

fn city(slug: &str, name: &str, active: bool, areas: &[&str]) -> City {
    City::new(
        CitySlug::parse(slug).unwrap(),
        CityName::parse(name).unwrap(),
        active,
        areas.iter().map(|a| AreaName::parse(a).unwrap()).collect(),
    )
}

fn slugs(cities: &[City]) -> Vec<&str> {
    cities.iter().map(|c| c.slug.as_str()).collect()
}

/// Runs every case on a fresh, empty repository.
pub async fn run(repo: &dyn CityRepository) {
    empty_store_lists_nothing(repo).await;
    saves_and_finds_with_areas(repo).await;
    lists_by_name_and_filters_inactive(repo).await;
    save_is_an_idempotent_upsert_that_keeps_areas(repo).await;
    duplicate_name_is_a_conflict(repo).await;
}

async fn empty_store_lists_nothing(repo: &dyn CityRepository) {
    assert!(repo.list(CityFilter::All).await.unwrap().is_empty());
    assert!(repo.find(&CitySlug::parse("nowhere").unwrap()).await.unwrap().is_none());
}

async fn saves_and_finds_with_areas(repo: &dyn CityRepository) {
    let leeds = city("leeds", "Leeds", true, &["Hyde Park", "Headingley"]);
    repo.save(&leeds).await.unwrap();
    let found = repo.find(&leeds.slug).await.unwrap().expect("saved city is found");
    assert_eq!(found, leeds);
    let areas: Vec<_> = found.areas().iter().map(|a| a.name.as_str()).collect();
    assert_eq!(areas, ["Headingley", "Hyde Park"], "areas come back sorted");
}

async fn lists_by_name_and_filters_inactive(repo: &dyn CityRepository) {
    repo.save(&city("york", "York", true, &[])).await.unwrap();
    repo.save(&city("bath", "Bath", false, &["Widcombe"])).await.unwrap();
    repo.save(&city("aberdeen", "Aberdeen", true, &[])).await.unwrap();
    let active = repo.list(CityFilter::Active).await.unwrap();
    assert_eq!(slugs(&active), ["aberdeen", "leeds", "york"]);
    let all = repo.list(CityFilter::All).await.unwrap();
    assert_eq!(slugs(&all), ["aberdeen", "bath", "leeds", "york"]);
    assert_eq!(all[1].areas().len(), 1, "inactive cities keep their areas");
}

async fn save_is_an_idempotent_upsert_that_keeps_areas(repo: &dyn CityRepository) {
    let renamed = city("leeds", "Leeds City", false, &["Woodhouse", "hyde park"]);
    repo.save(&renamed).await.unwrap();
    repo.save(&renamed).await.unwrap();
    let found = repo.find(&renamed.slug).await.unwrap().unwrap();
    assert_eq!(found.name.as_str(), "Leeds City");
    assert!(!found.active);
    let areas: Vec<_> = found.areas().iter().map(|a| a.name.as_str()).collect();
    assert_eq!(areas, ["Headingley", "Hyde Park", "Woodhouse"], "areas are added, never removed or duplicated");
    assert_eq!(repo.list(CityFilter::All).await.unwrap().len(), 4);
}

async fn duplicate_name_is_a_conflict(repo: &dyn CityRepository) {
    let err = repo.save(&city("york-2", "York", true, &[])).await.unwrap_err();
    assert!(matches!(err, RepositoryError::Conflict(_)), "{err:?}");
    assert!(repo.find(&CitySlug::parse("york-2").unwrap()).await.unwrap().is_none(), "nothing was written");
}
