//! The versioned JSON API (`/api/v1`), one module per endpoint group.

mod cities;

use poem_openapi::Tags;

#[derive(Tags)]
pub enum ApiTags {
    /// Cities and their areas.
    Cities,
}

pub type Apis = cities::CitiesApi;

pub fn apis() -> Apis {
    cities::CitiesApi
}
