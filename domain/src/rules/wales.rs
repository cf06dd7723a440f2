//! Wales: the energy-efficiency minimum (the 2015 regulations cover England and Wales:
//! EPC E or better) and HMO licensing (mandatory licensing plus additional schemes in
//! student areas such as Cathays: we require a licence from 5 bedrooms, like England).
//! Renting Homes (Wales) Act 2016 occupation contracts; no statutory deposit cap in
//! weeks, so none is enforced beyond the general sanity bounds. One specific rent is
//! kept as good practice.

use chrono::NaiveDate;

use super::{LettingRules, Nation, epc_at_least_e, hmo_licence, one_rent};
use crate::ValidationError;
use crate::listing::ListingDetails;

pub struct Wales;

impl LettingRules for Wales {
    fn nation(&self) -> Nation {
        Nation::Wales
    }

    fn hmo_threshold(&self) -> Option<u8> {
        Some(5)
    }

    fn check(&self, d: &ListingDetails) -> Vec<ValidationError> {
        let mut out = Vec::new();
        one_rent(d, &mut out);
        out
    }

    fn check_publishable(&self, d: &ListingDetails, today: NaiveDate) -> Vec<ValidationError> {
        let mut out = Vec::new();
        epc_at_least_e(d, " in Wales", &mut out);
        hmo_licence(d, 5, today, &mut out);
        out
    }
}
