//! In-memory implementations of the ports: repositories that test suites and demos swap
//! in for the database. Never wired into production (the in-process cache is `sp-moka`).
//!
//! The repositories share one [`InMemoryStore`]: `InMemoryStore::new()` and then
//! `store.users()`, `store.listings()`, `store.shortlist()`, `store.enquiries()`,
//! `store.audit()`, `store.jobs()` and `store.cities()`.

mod audit;
mod cities;
mod clock;
mod enquiries;
mod jobs;
mod listings;
mod photos;
mod shortlist;
mod store;
mod users;

pub use audit::InMemoryAuditLog;
pub use cities::InMemoryCityRepository;
pub use clock::FixedClock;
pub use enquiries::InMemoryEnquiryRepository;
pub use jobs::InMemoryJobQueue;
pub use listings::InMemoryListingRepository;
pub use photos::InMemoryPhotoRepository;
pub use shortlist::InMemoryShortlistRepository;
pub use store::InMemoryStore;
pub use users::InMemoryUserRepository;
