//! A student's shortlist: one module per use case.
//!
//! | module | use case | endpoint |
//! | --- | --- | --- |
//! | `save` | [`SaveListing`] | `PUT /me/shortlist/{listing_id}` |
//! | `remove` | [`RemoveSavedListing`] | `DELETE /me/shortlist/{listing_id}` |
//! | `list` | [`MyShortlist`] | `GET /me/shortlist` |

mod list;
mod remove;
mod save;

pub use list::{MyShortlist, MyShortlistError, Shortlist};
pub use remove::{RemoveSavedListing, RemoveSavedListingError};
pub use save::{SaveListing, SaveListingError};
