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
use crate::listing::{CouncilTax, EpcRating, ListingDetails, Postcode};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nation {
    England,
    Wales,
    Scotland,
    NorthernIreland,
    /// Jersey, Guernsey and the Isle of Man: Crown Dependencies with their own law, not
    /// part of the UK (so not England, whatever their postcodes look like).
    CrownDependency,
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
            "JE" | "GY" | "IM" => Nation::CrownDependency,
            _ => Nation::England,
        }
    }
}

/// When mandatory HMO licensing applies: at least `people` occupants from at least
/// `households` households, whatever the property type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HmoThreshold {
    pub people: u8,
    pub households: u8,
}

/// What a nation's law requires of an advertised let.
pub trait LettingRules: Send + Sync {
    fn nation(&self) -> Nation;

    /// Rules that hold for any listing, draft or not, whenever the fields involved are
    /// known (deposit cap, tenancy type, one specific rent).
    fn check(&self, details: &ListingDetails) -> Vec<ValidationError>;

    /// Extra rules for a listing to be published on `today` (energy efficiency, licensing).
    fn check_publishable(&self, details: &ListingDetails, today: NaiveDate) -> Vec<ValidationError>;

    /// When an HMO licence is mandatory (`None`: never).
    fn hmo_threshold(&self) -> Option<HmoThreshold>;

    /// Whether this listing needs an HMO licence: its occupants and households reach the
    /// threshold (a room in a 6-person house needs the house's licence).
    fn needs_hmo_licence(&self, d: &ListingDetails) -> bool {
        match (self.hmo_threshold(), d.max_occupants, d.households()) {
            (Some(t), Some(people), Some(households)) => people >= t.people && households >= t.households,
            _ => false,
        }
    }

    /// Whether a published listing may stay in search on `today` (e.g. a lapsed HMO licence
    /// takes it out until renewed).
    fn searchable(&self, details: &ListingDetails, today: NaiveDate) -> bool {
        self.check_publishable(details, today).is_empty()
    }
}

/// The rules for a nation. Northern Ireland and the Crown Dependencies are not served:
/// listings there are refused, with the reason.
pub fn rules_for(nation: Nation) -> &'static dyn LettingRules {
    match nation {
        Nation::England => &england::England,
        Nation::Wales => &wales::Wales,
        Nation::Scotland => &scotland::Scotland,
        Nation::NorthernIreland => &NotServed {
            nation: Nation::NorthernIreland,
            reason: "Student Palace does not list homes in Northern Ireland yet",
        },
        Nation::CrownDependency => &NotServed {
            nation: Nation::CrownDependency,
            reason: "Jersey, Guernsey and the Isle of Man are not part of the UK and have their own letting law; \
                     Student Palace lists homes in England, Wales and Scotland",
        },
    }
}

/// The rules for the listing's postcode; England's when the postcode is not known yet.
pub fn rules_for_listing(details: &ListingDetails) -> &'static dyn LettingRules {
    rules_for(details.postcode.as_ref().map_or(Nation::England, Nation::of_postcode))
}

struct NotServed {
    nation: Nation,
    reason: &'static str,
}

impl LettingRules for NotServed {
    fn nation(&self) -> Nation {
        self.nation
    }
    fn hmo_threshold(&self) -> Option<HmoThreshold> {
        None
    }
    fn check(&self, _: &ListingDetails) -> Vec<ValidationError> {
        vec![ValidationError::new("postcode", self.reason)]
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

/// Shared check: one specific rent.
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

/// Council tax band I exists in Wales only.
pub(crate) fn no_band_i(d: &ListingDetails, nation: &str, out: &mut Vec<ValidationError>) {
    if d.council_tax == Some(CouncilTax::I) {
        out.push(ValidationError::new("council_tax", format!("band I exists in Wales only, not in {nation}")));
    }
}

/// How long an EPC is valid.
pub const EPC_VALID_YEARS: u32 = 10;

/// The certificate itself (every nation): not expired on `today`, and an expiry no more
/// than 10 years ahead (an EPC is valid 10 years from issue: a later date is a typo).
pub(crate) fn epc_certificate(d: &ListingDetails, today: NaiveDate, out: &mut Vec<ValidationError>) {
    let Some(expires) = d.epc_expires else { return };
    if expires < today {
        out.push(ValidationError::new("epc_expires", "the EPC has expired; a new certificate is needed to publish"));
    } else if today.checked_add_months(chrono::Months::new(12 * EPC_VALID_YEARS)).is_some_and(|max| expires > max) {
        out.push(ValidationError::new(
            "epc_expires",
            format!("an EPC is valid for {EPC_VALID_YEARS} years from issue; check the expiry date"),
        ));
    }
}

/// Minimum energy efficiency (England and Wales regulations): EPC F or G may be let only
/// with a registered exemption.
pub(crate) fn epc_at_least_e(d: &ListingDetails, nation: &str, out: &mut Vec<ValidationError>) {
    if d.epc_rating.is_some_and(|e| e > EpcRating::E) && d.epc_exemption.is_none() {
        out.push(ValidationError::new(
            "epc_rating",
            format!(
                "homes rated EPC F or G may not be let in {nation} (minimum is E) unless an exemption is registered: \
                 give its reference in epc_exemption"
            ),
        ));
    }
}

/// HMO licence present and unexpired when the rules' threshold is reached.
pub(crate) fn hmo_licence(
    rules: &dyn LettingRules,
    d: &ListingDetails,
    today: NaiveDate,
    out: &mut Vec<ValidationError>,
) {
    let Some(t) = rules.hmo_threshold() else { return };
    if !rules.needs_hmo_licence(d) {
        return;
    }
    match &d.hmo_licence {
        None => out.push(ValidationError::new(
            "hmo_licence",
            format!(
                "an HMO licence number is required when {} or more people from {} or more households share \
                 (for a room: the licence of the house it is in)",
                t.people, t.households
            ),
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
        assert_eq!(n("JE2 3AB"), Nation::CrownDependency);
        assert_eq!(n("GY1 1AA"), Nation::CrownDependency);
        assert_eq!(n("IM1 1AA"), Nation::CrownDependency);
        assert_eq!(n("GU1 1AA"), Nation::England, "GU is Guildford, not Guernsey");
    }

    #[test]
    fn offers_over_is_not_a_price() {
        assert!(invites_offers("Lovely flat, Offers Over £150 pw"));
        assert!(invites_offers("OIEO"));
        assert!(!invites_offers("Lovely flat, £150 pppw, bills included"));
    }
}
