//! Scotland: a deposit may not exceed two months' rent (Rent (Scotland) Act 1984), and an
//! HMO licence is needed when 3 or more people from more than 2 families share (Housing
//! (Scotland) Act 2006). No minimum EPC band for private lets is in force, so none is
//! enforced; the rating and an unexpired certificate are still required. Council tax
//! bands A–H.

use chrono::NaiveDate;

use super::{HmoThreshold, LettingRules, Nation, epc_certificate, hmo_licence, no_band_i, one_rent};
use crate::ValidationError;
use crate::listing::ListingDetails;

pub struct Scotland;

/// Two months of a weekly rent: 2 × 52 / 12 weeks.
pub fn max_deposit_pence(rent_pppw: i64) -> i64 {
    rent_pppw * 104 / 12
}

impl LettingRules for Scotland {
    fn nation(&self) -> Nation {
        Nation::Scotland
    }

    fn hmo_threshold(&self) -> Option<HmoThreshold> {
        Some(HmoThreshold { people: 3, households: 3 })
    }

    fn check(&self, d: &ListingDetails) -> Vec<ValidationError> {
        let mut out = Vec::new();
        if let (Some(dep), Some(rent)) = (d.deposit, d.rent_pppw) {
            let max = max_deposit_pence(rent.get());
            if dep.get() > max {
                out.push(ValidationError::new(
                    "deposit_pence",
                    format!("a deposit may not exceed two months' rent ({max} pence per person) in Scotland"),
                ));
            }
        }
        no_band_i(d, "Scotland", &mut out);
        one_rent(d, &mut out);
        out
    }

    fn check_publishable(&self, d: &ListingDetails, today: NaiveDate) -> Vec<ValidationError> {
        let mut out = Vec::new();
        epc_certificate(d, today, &mut out);
        hmo_licence(self, d, today, &mut out);
        out
    }
}
