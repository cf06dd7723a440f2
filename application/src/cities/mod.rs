//! Use cases about cities.

mod list;

pub use list::{ListCities, ListCitiesError};
