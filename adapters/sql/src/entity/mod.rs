pub mod areas;
pub mod cities;
