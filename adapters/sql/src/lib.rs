//! sea-orm repositories for PostgreSQL (production) and SQLite (the embedded default).
//! The same code serves both; where SQL differs, the backend is asked
//! (`DatabaseConnection::get_database_backend`).
//!
//! Every write that carries an audit event (or a job) stores it in the same
//! transaction as the change. Rows come back through the domain's constructors: a stored
//! value the domain refuses is `RepositoryError::Unexpected`, never a panic.

mod audit;
mod card;
mod cities;
mod connect;
mod enquiries;
mod entity;
mod error;
mod jobs;
mod listings;
pub mod observe;
mod photos;
mod rows;
pub mod search;
mod shortlist;
mod users;

pub use audit::SqlAuditLog;
pub use cities::SqlCityRepository;
pub use connect::{DatabaseHealth, DbConfig, connect, connect_lazily};
pub use enquiries::SqlEnquiryRepository;
pub use jobs::SqlJobQueue;
pub use listings::SqlListingRepository;
pub use photos::{GALLERY_FULL, SqlPhotoRepository};
pub use sea_orm::{DatabaseBackend, DatabaseConnection};
pub use search::{search_count_statement, search_statement};
pub use shortlist::SqlShortlistRepository;
pub use users::SqlUserRepository;
