//! In-memory implementations of the ports: the in-process cache used by the embedded
//! default, and repositories that test suites and demos swap in for the database.

mod cache;
mod cities;
mod clock;

pub use cache::InProcessCache;
pub use cities::InMemoryCityRepository;
pub use clock::FixedClock;
