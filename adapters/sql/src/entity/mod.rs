pub mod areas;
pub mod audit_events;
pub mod cities;
pub mod enquiries;
pub mod jobs;
pub mod listings;
pub mod shortlists;
pub mod users;
