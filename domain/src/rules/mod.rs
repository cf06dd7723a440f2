//! Letting rules per UK nation, behind one policy. A listing is checked by the rules of
//! the nation its postcode is in; adding a nation is one module implementing
//! [`LettingRules`] plus one line in [`Nation::of_postcode`] / [`rules_for`].
//!
//! England's rules are the ones DESIGN.md lists (checked 2026-11). Wales and Scotland
//! carry the rules we are confident of and say so; a solicitor should review them before
//! launch there.

mod england;
pub use england::max_deposit_pence as england_max_deposit;
mod scotland;
mod wales;

use chrono::NaiveDate;

use crate::ValidationError;
use crate::listing::ListingDetails;
use crate::listing::Postcode;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nation {
    England,
    Wales,
    Scotland,
    NorthernIreland,
}

impl Nation {
    /// The nation a postcode is in, by postcode area. Border areas that straddle nations
    /// (CH, SY, LD, TD, NP) are assigned to the nation most of their addresses are in.
    pub fn of_postcode(p: &Postcode) -> Nation {
        match p.area() {
            "CF" | "LL" | "NP" | "SA" | "LD" => Nation::Wales,
            "AB" | "DD" | "DG" | "EH" | "FK" | "G" | "HS" | "IV" | "KA" | "KW" | "KY" | "ML" | "PA" | "PH" | "TD"
            | "ZE" => Nation::Scotland,
            "BT" => Nation::NorthernIreland,
            _ => Nation::England,
        }
    }
}

/// What a nation's law requires of an advertised let.
pub trait LettingRules: Send + Sync {
    fn nation(&self) -> Nation;

    /// Rules that hold for any listing, draft or not, whenever the fields involved are
    /// known (deposit cap, tenancy type, one specific rent).
    fn check(&self, details: &ListingDetails) -> Vec<ValidationError>;

    /// Extra rules for a listing to be published on `today` (energy efficiency, licensing).
    fn check_publishable(&self, details: &ListingDetails, today: NaiveDate) -> Vec<ValidationError>;

    /// From how many bedrooms an HMO licence is required (`None`: never).
    fn hmo_threshold(&self) -> Option<u8>;

    /// Whether a published listing may stay in search on `today` (e.g. a lapsed HMO licence
    /// takes it out until renewed).
    fn searchable(&self, details: &ListingDetails, today: NaiveDate) -> bool {
        self.check_publishable(details, today).is_empty()
    }
}

/// The rules for a nation. Northern Ireland is not served yet: listings there are refused.
pub fn rules_for(nation: Nation) -> &'static dyn LettingRules {
    match nation {
        Nation::England => &england::England,
        Nation::Wales => &wales::Wales,
        Nation::Scotland => &scotland::Scotland,
        Nation::NorthernIreland => &NotServed,
    }
}

/// The rules for the listing's postcode; England's when the postcode is not known yet.
pub fn rules_for_listing(details: &ListingDetails) -> &'static dyn LettingRules {
    rules_for(details.postcode.as_ref().map_or(Nation::England, Nation::of_postcode))
}

struct NotServed;

impl LettingRules for NotServed {
    fn nation(&self) -> Nation {
        Nation::NorthernIreland
    }
    fn hmo_threshold(&self) -> Option<u8> {
        None
    }
    fn check(&self, _: &ListingDetails) -> Vec<ValidationError> {
        vec![ValidationError::new("postcode", "Student Palace does not list homes in Northern Ireland yet")]
    }
    fn check_publishable(&self, d: &ListingDetails, _: NaiveDate) -> Vec<ValidationError> {
        self.check(d)
    }
}

/// Phrases that invite offers above the advertised rent (Renters' Rights Act 2025: an
/// advert states one rent).
pub(crate) fn invites_offers(text: &str) -> bool {
    let t = text.to_lowercase();
    ["offers over", "offers in excess", "offers above", "oieo", "oiro", "best offer", "highest bid", "rental bid"]
        .iter()
        .any(|p| t.contains(p))
}

/// Shared checks: one specific rent; EPC band at most `worst` when required.
pub(crate) fn one_rent(d: &ListingDetails, out: &mut Vec<ValidationError>) {
    let title = d.title.as_ref().map_or("", |t| t.as_str());
    let desc = d.description.as_ref().map_or("", |t| t.as_str());
    if invites_offers(title) || invites_offers(desc) {
        out.push(ValidationError::new(
            "description",
            "state one rent: an advert may not invite offers above it (\"offers over\" is not a price)",
        ));
    }
}

/// Minimum energy efficiency (England and Wales regulations): EPC F or G may not be let.
pub(crate) fn epc_at_least_e(d: &ListingDetails, nation: &str, out: &mut Vec<ValidationError>) {
    if d.epc_rating.is_some_and(|e| e > crate::listing::EpcRating::E) {
        out.push(ValidationError::new(
            "epc_rating",
            format!("homes rated EPC F or G may not be let{nation} (minimum is E)"),
        ));
    }
}

/// HMO licence present and unexpired when the listing has at least `from_bedrooms`.
pub(crate) fn hmo_licence(d: &ListingDetails, from_bedrooms: u8, today: NaiveDate, out: &mut Vec<ValidationError>) {
    let Some(bedrooms) = d.bedrooms else { return };
    if bedrooms < from_bedrooms {
        return;
    }
    match &d.hmo_licence {
        None => out.push(ValidationError::new(
            "hmo_licence",
            format!("an HMO licence number is required for {from_bedrooms} or more bedrooms let to sharers"),
        )),
        Some(_) => match d.hmo_licence_expires {
            None => out.push(ValidationError::new("hmo_licence_expires", "the HMO licence's expiry date is required")),
            Some(exp) if exp < today => {
                out.push(ValidationError::new(
                    "hmo_licence_expires",
                    "the HMO licence has expired; renew it to publish",
                ));
            }
            Some(_) => {}
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nations_by_postcode() {
        let n = |p: &str| Nation::of_postcode(&Postcode::parse(p).unwrap());
        assert_eq!(n("LS6 1AB"), Nation::England);
        assert_eq!(n("CF24 4HQ"), Nation::Wales);
        assert_eq!(n("EH8 9YL"), Nation::Scotland);
        assert_eq!(n("G12 8QQ"), Nation::Scotland);
        assert_eq!(n("GL1 1AA"), Nation::England, "GL is Gloucester, not Glasgow");
        assert_eq!(n("BT7 1NN"), Nation::NorthernIreland);
    }

    #[test]
    fn offers_over_is_not_a_price() {
        assert!(invites_offers("Lovely flat, Offers Over £150 pw"));
        assert!(invites_offers("OIEO"));
        assert!(!invites_offers("Lovely flat, £150 pppw, bills included"));
    }
}
