//! England (DESIGN.md, checked 2026-11):
//! - Tenant Fees Act 2019: deposit ≤ 5 weeks' rent (6 weeks when the annual rent of the
//!   whole let is £50,000 or more).
//! - MEES: EPC F or G may not be let (no exemptions recorded here yet, so A–E to publish).
//! - Mandatory HMO licensing for 5+ people from 2+ households: number + unexpired licence.
//! - Renters' Rights Act 2025 (from 1 May 2026): one specific rent; assured periodic
//!   tenancies, fixed terms only for purpose-built halls.

use chrono::NaiveDate;

use super::{LettingRules, Nation, epc_at_least_e, hmo_licence, one_rent};
use crate::ValidationError;
use crate::listing::{ListingDetails, PropertyType, TenancyType};

pub struct England;

/// £50,000 a year, in pence.
const HIGH_RENT_ANNUAL_PENCE: i64 = 5_000_000;

/// Largest deposit allowed per person for a weekly rent per person.
pub fn max_deposit_pence(rent_pppw: i64, bedrooms: u8) -> i64 {
    let annual_whole_let = rent_pppw * 52 * i64::from(bedrooms.max(1));
    let weeks = if annual_whole_let >= HIGH_RENT_ANNUAL_PENCE { 6 } else { 5 };
    rent_pppw * weeks
}

impl LettingRules for England {
    fn nation(&self) -> Nation {
        Nation::England
    }

    fn hmo_threshold(&self) -> Option<u8> {
        Some(5)
    }

    fn check(&self, d: &ListingDetails) -> Vec<ValidationError> {
        let mut out = Vec::new();
        if let (Some(dep), Some(rent)) = (d.deposit, d.rent_pppw) {
            let max = max_deposit_pence(rent.get(), d.bedrooms.unwrap_or(1));
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
        one_rent(d, &mut out);
        out
    }

    fn check_publishable(&self, d: &ListingDetails, today: NaiveDate) -> Vec<ValidationError> {
        let mut out = Vec::new();
        epc_at_least_e(d, "", &mut out);
        hmo_licence(d, 5, today, &mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deposit_cap_is_five_weeks_or_six_for_high_rents() {
        assert_eq!(max_deposit_pence(12_500, 5), 62_500);
        // £200 pppw × 52 × 5 = £52,000 ≥ £50,000 → 6 weeks.
        assert_eq!(max_deposit_pence(20_000, 5), 120_000);
        assert_eq!(max_deposit_pence(20_000, 4), 100_000);
    }
}
