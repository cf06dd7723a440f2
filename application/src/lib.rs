//! Student Palace use cases and the ports (traits) they depend on.
//!
//! Ports are `Send + Sync + 'static` traits whose doc comments state their error
//! contract. Adapters implement them; `bootstrap` wires adapters into use cases. This
//! crate knows no runtime, database, web framework or storage SDK.

pub mod accounts;
pub mod audit;
pub mod cached;
pub mod cities;
pub mod enquiries;
mod errors;
pub mod health;
pub mod jobs;
pub mod listings;
pub mod mail;
pub mod media_url;
pub mod moderation;
pub mod paging;
pub mod photos;
pub mod ports;
pub mod rate_limit;
pub mod shortlist;

pub use ports::RepositoryError;
