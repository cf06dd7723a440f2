//! Wales: the energy-efficiency minimum (the 2015 regulations cover England and Wales:
//! EPC E or better, F/G only with a registered exemption) and HMO licensing (mandatory
//! licensing for 5+ people from 2+ households, as in England; councils such as Cardiff
//! add schemes in student areas like Cathays). Renting Homes (Wales) Act 2016 occupation
//! contracts; no statutory deposit cap in weeks, so none is enforced beyond the general
//! sanity bounds. Council tax has a band I in Wales. One specific rent is kept as good
//! practice.

use chrono::NaiveDate;

use super::{HmoThreshold, LettingRules, Nation, epc_at_least_e, epc_certificate, hmo_licence, one_rent};
use crate::ValidationError;
use crate::listing::ListingDetails;

pub struct Wales;

impl LettingRules for Wales {
    fn nation(&self) -> Nation {
        Nation::Wales
    }

    fn hmo_threshold(&self) -> Option<HmoThreshold> {
        Some(HmoThreshold { people: 5, households: 2 })
    }

    fn check(&self, d: &ListingDetails) -> Vec<ValidationError> {
        let mut out = Vec::new();
        one_rent(d, &mut out);
        out
    }

    fn check_publishable(&self, d: &ListingDetails, today: NaiveDate) -> Vec<ValidationError> {
        let mut out = Vec::new();
        epc_at_least_e(d, "Wales", &mut out);
        epc_certificate(d, today, &mut out);
        hmo_licence(self, d, today, &mut out);
        out
    }
}
