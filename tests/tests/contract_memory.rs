//! The repository contract suites on the in-memory store (each on a fresh one).

use std::sync::Arc;

use sp_memory::InMemoryStore;
use sp_tests::contract::{self, Ports};

fn ports() -> Ports {
    let store = InMemoryStore::new();
    Ports {
        users: Arc::new(store.users()),
        cities: store.cities(),
        listings: Arc::new(store.listings()),
        shortlist: Arc::new(store.shortlist()),
        enquiries: Arc::new(store.enquiries()),
        jobs: Arc::new(store.jobs()),
        photos: Arc::new(store.photos()),
        audit: Arc::new(store.audit()),
    }
}

#[tokio::test]
async fn users() {
    contract::users::run(&ports()).await;
}

#[tokio::test]
async fn listings() {
    contract::listings::run(&ports()).await;
}

#[tokio::test]
async fn shortlist() {
    contract::shortlist::run(&ports()).await;
}

#[tokio::test]
async fn enquiries() {
    contract::enquiries::run(&ports()).await;
}

#[tokio::test]
async fn audit() {
    contract::audit::run(&ports()).await;
}

#[tokio::test]
async fn cities() {
    contract::cities::run(&ports()).await;
}

#[tokio::test]
async fn jobs() {
    contract::jobs::run(&ports()).await;
}

#[tokio::test]
async fn photos() {
    contract::photos::run(&ports()).await;
}
