//! England (DESIGN.md, checked 2026-11):
//! - Tenant Fees Act 2019: deposit ≤ 5 weeks' rent, 6 weeks when the annual rent of the
//!   let is £50,000 or more (a room or a hall place is its own let).
//! - MEES: EPC F or G may not be let without a registered exemption; an EPC is valid 10
//!   years.
//! - Mandatory HMO licensing for 5+ people from 2+ households, whatever the property type:
//!   licence number + unexpired licence.
//! - Renters' Rights Act 2025 (from 1 May 2026): one specific rent; assured periodic
//!   tenancies, fixed terms only for purpose-built halls.
//! - Council tax bands A–H.

use chrono::NaiveDate;

use super::{HmoThreshold, LettingRules, Nation, epc_at_least_e, epc_certificate, hmo_licence, no_band_i, one_rent};
use crate::ValidationError;
use crate::listing::{ListingDetails, PropertyType, TenancyType};

pub struct England;

/// £50,000 a year, in pence.
const HIGH_RENT_ANNUAL_PENCE: i64 = 5_000_000;

/// Largest deposit allowed per person for a weekly rent per person, when the let's annual
/// rent is `annual_rent_of_let` pence.
pub fn max_deposit_pence(rent_pppw: i64, annual_rent_of_let: i64) -> i64 {
    let weeks = if annual_rent_of_let >= HIGH_RENT_ANNUAL_PENCE { 6 } else { 5 };
    rent_pppw * weeks
}

impl LettingRules for England {
    fn nation(&self) -> Nation {
        Nation::England
    }

    fn hmo_threshold(&self) -> Option<HmoThreshold> {
        Some(HmoThreshold { people: 5, households: 2 })
    }

    fn check(&self, d: &ListingDetails) -> Vec<ValidationError> {
        let mut out = Vec::new();
        if let (Some(dep), Some(rent), Some(annual)) = (d.deposit, d.rent_pppw, d.annual_rent_of_let_pence()) {
            let max = max_deposit_pence(rent.get(), annual);
            if dep.get() > max {
                out.push(ValidationError::new(
                    "deposit_pence",
                    format!(
                        "a deposit may not exceed {} weeks' rent ({max} pence per person) under the Tenant Fees Act 2019",
                        max / rent.get().max(1)
                    ),
                ));
            }
        }
        if d.tenancy_type == Some(TenancyType::Fixed) && d.property_type.is_some_and(|p| p != PropertyType::Hall) {
            out.push(ValidationError::new(
                "tenancy_type",
                "since 1 May 2026 lets in England are assured periodic tenancies; fixed terms are for purpose-built halls",
            ));
        }
        no_band_i(d, "England", &mut out);
        one_rent(d, &mut out);
        out
    }

    fn check_publishable(&self, d: &ListingDetails, today: NaiveDate) -> Vec<ValidationError> {
        let mut out = Vec::new();
        epc_at_least_e(d, "England", &mut out);
        epc_certificate(d, today, &mut out);
        hmo_licence(self, d, today, &mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deposit_cap_is_five_weeks_or_six_for_high_rents() {
        assert_eq!(max_deposit_pence(12_500, 12_500 * 52 * 5), 62_500);
        // £200 pppw × 52 × 5 = £52,000 ≥ £50,000 → 6 weeks.
        assert_eq!(max_deposit_pence(20_000, 20_000 * 52 * 5), 120_000);
        assert_eq!(max_deposit_pence(20_000, 20_000 * 52 * 4), 100_000);
    }
}
