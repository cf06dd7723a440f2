//! Port contract suites: each is written once and run against every implementation of
//! its port (see `tests/tests/contract_*.rs`).

pub mod blob;
pub mod cache;
pub mod cities;
