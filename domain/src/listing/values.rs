//! Validated values a listing is made of.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::ValidationError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ListingId(pub Uuid);

impl fmt::Display for ListingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

fn text(field: &'static str, raw: &str, min: usize, max: usize, multiline: bool) -> Result<String, ValidationError> {
    if raw.chars().any(|c| c.is_control() && !(multiline && (c == '\n' || c == '\t' || c == '\r'))) {
        return Err(ValidationError::new(field, "must not contain control characters"));
    }
    let s =
        if multiline { raw.trim().replace("\r\n", "\n") } else { raw.split_whitespace().collect::<Vec<_>>().join(" ") };
    let n = s.chars().count();
    if n < min {
        return Err(ValidationError::new(field, format!("must be at least {min} characters")));
    }
    if n > max {
        return Err(ValidationError::new(field, format!("must be at most {max} characters")));
    }
    Ok(s)
}

macro_rules! text_type {
    ($(#[$m:meta])* $name:ident, $field:literal, $min:expr, $max:expr, $multi:expr) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub const MIN_CHARS: usize = $min;
            pub const MAX_CHARS: usize = $max;

            pub fn parse(raw: &str) -> Result<Self, ValidationError> {
                text($field, raw, $min, $max, $multi).map(Self)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
    };
}

text_type!(
    /// A listing's headline, 5–120 characters.
    Title, "title", 5, 120, false
);
text_type!(
    /// The full description, up to 5,000 characters (publishing needs at least 50).
    Description, "description", 1, 5000, true
);
text_type!(
    /// The street address line (private to the owner and admins).
    AddressLine, "address_line", 3, 200, false
);
text_type!(
    /// An HMO licence number as issued by the council, e.g. `HMO/2026/0042`.
    HmoLicenceNumber, "hmo_licence", 3, 50, false
);

text_type!(
    /// The reference of a registered energy-efficiency exemption (the PRS Exemptions
    /// Register in England and Wales), needed to let a home rated EPC F or G.
    EpcExemptionRef, "epc_exemption", 3, 50, false
);

/// A UK postcode, normalised to upper case with one space (`LS6 1AB`). Only the outward
/// code (`LS6`) is public.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Postcode(String);

impl Postcode {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let compact: String = raw.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_uppercase();
        let bad = || ValidationError::new("postcode", "is not a valid UK postcode (e.g. LS6 1AB)");
        if !(5..=7).contains(&compact.len()) || !compact.is_ascii() {
            return Err(bad());
        }
        let (outward, inward) = compact.split_at(compact.len() - 3);
        if compact == "GIR0AA" {
            return Ok(Self("GIR 0AA".into()));
        }
        let inward_ok = {
            let b = inward.as_bytes();
            b[0].is_ascii_digit() && b[1..].iter().all(|c| c.is_ascii_uppercase() && !b"CIKMOV".contains(c))
        };
        // Outward: area (1–2 letters) + district (digit, then optional digit or letter).
        let letters = outward.bytes().take_while(u8::is_ascii_uppercase).count();
        let district = &outward[letters..];
        let district_ok = match district.as_bytes() {
            [d] => d.is_ascii_digit(),
            [d, x] => d.is_ascii_digit() && (x.is_ascii_digit() || x.is_ascii_uppercase()),
            _ => false,
        };
        if !(1..=2).contains(&letters) || !district_ok || !inward_ok {
            return Err(bad());
        }
        Ok(Self(format!("{outward} {inward}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The public part, e.g. `LS6`.
    pub fn outward(&self) -> &str {
        self.0.split(' ').next().unwrap_or_default()
    }

    /// The postcode area, e.g. `LS` (1–2 letters).
    pub fn area(&self) -> &str {
        let out = self.outward();
        &out[..out.bytes().take_while(u8::is_ascii_uppercase).count()]
    }
}

crate::closed_set!(
    /// What kind of home is let.
    PropertyType, "property_type", {
        House => "house", Flat => "flat", Studio => "studio", Room => "room", Hall => "hall",
    }
);

crate::closed_set!(
    /// Energy Performance Certificate band.
    EpcRating, "epc_rating", { A => "A", B => "B", C => "C", D => "D", E => "E", F => "F", G => "G" }
);

crate::closed_set!(
    /// Assured periodic (the default in England from 1 May 2026) or fixed term
    /// (purpose-built halls under an approved code).
    TenancyType, "tenancy_type", { Periodic => "periodic", Fixed => "fixed" }
);

crate::closed_set!(
    /// The council tax band of the home (A–H; I exists in Wales only), or the exemption
    /// an all-student household has (tenants then pay none).
    CouncilTax, "council_tax", {
        A => "A", B => "B", C => "C", D => "D", E => "E", F => "F", G => "G", H => "H", I => "I",
        StudentExempt => "student_exempt",
    }
);

crate::closed_set!(
    /// A utility that bills-included rent can cover.
    Utility, "utility", {
        Electricity => "electricity",
        Gas => "gas",
        Water => "water",
        Broadband => "broadband",
        TvLicence => "tv_licence",
        ContentsInsurance => "contents_insurance",
    }
);

/// One utility included in the rent, with its fair-usage cap if there is one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bill {
    pub utility: Utility,
    /// Above this (pence per month) the tenants pay the difference; `None`: no cap.
    pub cap_pence_per_month: Option<crate::Pence>,
}

/// The bills a bills-included let covers: each utility at most once, in the order given.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Bills(Vec<Bill>);

impl Bills {
    /// Largest fair-usage cap we accept: £1,000 a month (more is a typo).
    pub const MAX_CAP_PENCE_PER_MONTH: i64 = 100_000;

    pub fn new(bills: Vec<Bill>) -> Result<Self, ValidationError> {
        for (i, b) in bills.iter().enumerate() {
            if bills[..i].iter().any(|o| o.utility == b.utility) {
                return Err(ValidationError::new("bills", format!("{} is listed twice", b.utility.as_str())));
            }
        }
        Ok(Self(bills))
    }

    pub fn as_slice(&self) -> &[Bill] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

crate::closed_set!(
    /// Where a listing is in its life. draft → published → let → archived.
    ListingStatus, "status", { Draft => "draft", Published => "published", Let => "let", Archived => "archived" }
);

crate::closed_set!(
    /// The fixed vocabulary of features. The order is the bit position in storage:
    /// append only, never reorder.
    Feature, "features", {
        Wifi => "wifi",
        Parking => "parking",
        Garden => "garden",
        WashingMachine => "washing_machine",
        Dishwasher => "dishwasher",
        BikeStorage => "bike_storage",
        TumbleDryer => "tumble_dryer",
        CentralHeating => "central_heating",
        DoubleBeds => "double_beds",
        Desk => "desk",
        Gym => "gym",
        Cctv => "cctv",
        BurglarAlarm => "burglar_alarm",
        PetsAllowed => "pets_allowed",
        NearCampus => "near_campus",
        NearTransport => "near_transport",
    }
);

impl Feature {
    pub fn bit(self) -> i64 {
        let idx = Feature::ALL.iter().position(|f| *f == self).expect("listed");
        1i64 << idx
    }
}

/// A set of features, stored as a bit mask (portable across databases, and an
/// "all of" filter is `mask & wanted = wanted`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Features(i64);

impl Features {
    pub fn from_mask(mask: i64) -> Self {
        let all = Feature::ALL.iter().fold(0, |m, f| m | f.bit());
        Self(mask & all)
    }

    pub fn mask(self) -> i64 {
        self.0
    }

    pub fn contains(self, f: Feature) -> bool {
        self.0 & f.bit() != 0
    }

    pub fn contains_all(self, other: Features) -> bool {
        self.0 & other.0 == other.0
    }

    pub fn iter(self) -> impl Iterator<Item = Feature> {
        Feature::ALL.iter().copied().filter(move |f| self.contains(*f))
    }

    pub fn parse_all<'a>(raw: impl IntoIterator<Item = &'a str>) -> Result<Self, ValidationError> {
        raw.into_iter().try_fold(Self::default(), |acc, s| Ok(acc | Feature::parse(s)?))
    }
}

impl std::ops::BitOr<Feature> for Features {
    type Output = Features;
    fn bitor(self, f: Feature) -> Features {
        Features(self.0 | f.bit())
    }
}

impl FromIterator<Feature> for Features {
    fn from_iter<T: IntoIterator<Item = Feature>>(iter: T) -> Self {
        iter.into_iter().fold(Self::default(), |acc, f| acc | f)
    }
}

/// An academic year such as `2027/28` (the second part is the following year).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AcademicYear(u16);

impl AcademicYear {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let bad = || ValidationError::new("academic_year", "must look like 2027/28");
        let (a, b) = raw.trim().split_once('/').ok_or_else(bad)?;
        if a.len() != 4 || b.len() != 2 {
            return Err(bad());
        }
        let start: u16 = a.parse().map_err(|_| bad())?;
        let end: u16 = b.parse().map_err(|_| bad())?;
        if !(2000..=2098).contains(&start) || (start + 1) % 100 != end {
            return Err(bad());
        }
        Ok(Self(start))
    }

    pub fn starting(year: u16) -> Self {
        Self(year)
    }

    pub fn start_year(self) -> u16 {
        self.0
    }
}

impl fmt::Display for AcademicYear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{:02}", self.0, (self.0 + 1) % 100)
    }
}

/// Bounds of the numeric fields.
pub mod bounds {
    pub const BEDROOMS: std::ops::RangeInclusive<u8> = 1..=20;
    /// People the property is let to (for a room or a hall place: the whole house or flat
    /// it is in).
    pub const OCCUPANTS: std::ops::RangeInclusive<u8> = 1..=30;
    pub const BATHROOMS: std::ops::RangeInclusive<u8> = 1..=20;
    pub const TENANCY_MONTHS: std::ops::RangeInclusive<u8> = 1..=24;
    /// £2,000 per person per week: anything above is a typo (pence entered as pounds×100).
    pub const MAX_RENT_PPPW_PENCE: i64 = 200_000;
    pub const MAX_DEPOSIT_PENCE: i64 = 5_000_000;
    pub const MIN_PUBLISHED_DESCRIPTION: usize = 50;
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn postcodes() {
        for (raw, norm, out) in [
            ("ls61ab", "LS6 1AB", "LS6"),
            ("  SW1A 1AA ", "SW1A 1AA", "SW1A"),
            ("M1 1AE", "M1 1AE", "M1"),
            ("b338th", "B33 8TH", "B33"),
            ("EH8 9YL", "EH8 9YL", "EH8"),
        ] {
            let p = Postcode::parse(raw).unwrap();
            assert_eq!(p.as_str(), norm);
            assert_eq!(p.outward(), out);
        }
        assert_eq!(Postcode::parse("CF24 4HQ").unwrap().area(), "CF");
        for bad in ["", "LS6", "123 456", "LS6 1CB", "LSS6 1AB", "LS6 11B", "ÉS6 1AB", "L 1AB", "LS61 1AB1"] {
            assert!(Postcode::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn bills_list_each_utility_once() {
        let b = |u| Bill { utility: u, cap_pence_per_month: None };
        assert!(Bills::new(vec![b(Utility::Gas), b(Utility::Water)]).is_ok());
        let e = Bills::new(vec![b(Utility::Gas), b(Utility::Gas)]).unwrap_err();
        assert_eq!(e.field, "bills");
        assert!(e.message.contains("gas"), "{}", e.message);
    }

    #[test]
    fn academic_years() {
        assert_eq!(AcademicYear::parse("2027/28").unwrap().to_string(), "2027/28");
        assert!(AcademicYear::parse("2099/00").is_err());
        assert_eq!(AcademicYear::parse("2049/50").unwrap().start_year(), 2049);
        for bad in ["2027/29", "2027-28", "27/28", "2027/2028", "abcd/ef", ""] {
            assert!(AcademicYear::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn features_round_trip_through_the_mask() {
        let f = Features::parse_all(["wifi", "garden", "near_transport"]).unwrap();
        assert_eq!(Features::from_mask(f.mask()), f);
        assert_eq!(f.iter().map(Feature::as_str).collect::<Vec<_>>(), ["wifi", "garden", "near_transport"]);
        assert!(Features::parse_all(["wifi", "jacuzzi"]).is_err());
        assert!(f.contains_all(Features::parse_all(["wifi"]).unwrap()));
        assert!(!f.contains_all(Features::parse_all(["gym"]).unwrap()));
    }

    #[test]
    fn titles_collapse_whitespace_and_descriptions_keep_lines() {
        assert_eq!(Title::parse("  Bright   5-bed  ").unwrap().as_str(), "Bright 5-bed");
        assert_eq!(Description::parse("Line one\r\nLine two").unwrap().as_str(), "Line one\nLine two");
        assert!(Title::parse("abc").is_err());
        assert!(Title::parse("a\u{7}bcdef").is_err());
    }

    proptest! {
        #[test]
        fn postcode_parse_is_idempotent(s in "[A-Za-z]{1,2}[0-9][0-9A-Za-z]? ?[0-9][ABD-HJLNP-UW-Zabd-hjlnp-uw-z]{2}") {
            if let Ok(p) = Postcode::parse(&s) {
                prop_assert_eq!(Postcode::parse(p.as_str()).unwrap(), p.clone());
                prop_assert!(p.as_str().starts_with(p.outward()));
            }
        }

        #[test]
        fn postcode_parse_never_panics(s in "\\PC{0,12}") {
            let _ = Postcode::parse(&s);
        }

        #[test]
        fn feature_masks_only_keep_known_bits(mask in any::<i64>()) {
            let f = Features::from_mask(mask);
            prop_assert_eq!(Features::from_mask(f.mask()), f);
            prop_assert!(f.iter().count() <= Feature::ALL.len());
        }
    }
}
