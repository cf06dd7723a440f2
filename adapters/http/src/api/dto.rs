//! Listing DTOs (the v1 JSON contract) and their conversion into domain values. Every
//! field error is collected so a client learns all of them at once.

use chrono::{DateTime, NaiveDate, Utc};
use domain::listing::{
    AcademicYear, AddressLine, Description, EpcRating, Features, HmoLicenceNumber, Listing, ListingDetails,
    ListingPatch, Patch, Postcode, PropertyType, TenancyType, Title, bounds,
};
use domain::{AreaName, CitySlug, Pence, ValidationError};
use poem_openapi::Object;
use poem_openapi::types::MaybeUndefined;
use serde::Serialize;
use uuid::Uuid;

use crate::payload::as_openapi;

/// A listing as created (`POST /listings`). Any subset may be given for a draft.
#[derive(Debug, Object, Default)]
#[oai(deny_unknown_fields)]
pub struct ListingInput {
    #[oai(validator(max_length = 200))]
    pub title: Option<String>,
    #[oai(validator(max_length = 10000))]
    pub description: Option<String>,
    /// City slug, e.g. `leeds`.
    #[oai(validator(max_length = 40))]
    pub city: Option<String>,
    #[oai(validator(max_length = 80))]
    pub area: Option<String>,
    /// Private: shown to the owner and admins only.
    #[oai(validator(max_length = 200))]
    pub address_line: Option<String>,
    /// Full UK postcode; only the outward code is public.
    #[oai(validator(max_length = 12))]
    pub postcode: Option<String>,
    /// house | flat | studio | room | hall
    pub property_type: Option<String>,
    pub bedrooms: Option<i64>,
    pub bathrooms: Option<i64>,
    pub ensuite_rooms: Option<i64>,
    /// Rent in pence per person per week.
    pub rent_pppw_pence: Option<i64>,
    pub bills_included: Option<bool>,
    /// Deposit in pence per person (at most 5 weeks' rent in England).
    pub deposit_pence: Option<i64>,
    pub available_from: Option<NaiveDate>,
    /// e.g. `2027/28`
    pub academic_year: Option<String>,
    pub tenancy_months: Option<i64>,
    /// periodic | fixed (fixed only for purpose-built halls in England)
    pub tenancy_type: Option<String>,
    pub furnished: Option<bool>,
    #[oai(validator(max_items = 32))]
    pub features: Option<Vec<String>>,
    #[oai(validator(max_length = 60))]
    pub hmo_licence: Option<String>,
    pub hmo_licence_expires: Option<NaiveDate>,
    /// A–G
    pub epc_rating: Option<String>,
}

/// A partial update (`PATCH /listings/{id}`): absent = unchanged, `null` = cleared.
#[derive(Debug, Object, Default)]
#[oai(deny_unknown_fields)]
pub struct ListingPatchInput {
    pub title: MaybeUndefined<String>,
    pub description: MaybeUndefined<String>,
    pub city: MaybeUndefined<String>,
    pub area: MaybeUndefined<String>,
    pub address_line: MaybeUndefined<String>,
    pub postcode: MaybeUndefined<String>,
    pub property_type: MaybeUndefined<String>,
    pub bedrooms: MaybeUndefined<i64>,
    pub bathrooms: MaybeUndefined<i64>,
    pub ensuite_rooms: MaybeUndefined<i64>,
    pub rent_pppw_pence: MaybeUndefined<i64>,
    pub bills_included: MaybeUndefined<bool>,
    pub deposit_pence: MaybeUndefined<i64>,
    pub available_from: MaybeUndefined<NaiveDate>,
    pub academic_year: MaybeUndefined<String>,
    pub tenancy_months: MaybeUndefined<i64>,
    pub tenancy_type: MaybeUndefined<String>,
    pub furnished: MaybeUndefined<bool>,
    pub features: MaybeUndefined<Vec<String>>,
    pub hmo_licence: MaybeUndefined<String>,
    pub hmo_licence_expires: MaybeUndefined<NaiveDate>,
    pub epc_rating: MaybeUndefined<String>,
}

/// Collects field errors while converting.
#[derive(Default)]
pub struct Errors(pub Vec<ValidationError>);

impl Errors {
    fn take<T>(&mut self, r: Result<T, ValidationError>) -> Option<T> {
        r.map_err(|e| self.0.push(e)).ok()
    }

    pub fn finish<T>(self, value: T) -> Result<T, Vec<ValidationError>> {
        if self.0.is_empty() { Ok(value) } else { Err(self.0) }
    }
}

fn small(field: &'static str, v: i64, range: std::ops::RangeInclusive<u8>) -> Result<u8, ValidationError> {
    u8::try_from(v)
        .ok()
        .filter(|n| range.contains(n))
        .ok_or_else(|| ValidationError::new(field, format!("must be between {} and {}", range.start(), range.end())))
}

fn ensuites(v: i64) -> Result<u8, ValidationError> {
    small("ensuite_rooms", v, 0..=20)
}

fn rent(v: i64) -> Result<Pence, ValidationError> {
    Pence::new("rent_pppw_pence", v, bounds::MAX_RENT_PPPW_PENCE)
}

fn deposit(v: i64) -> Result<Pence, ValidationError> {
    Pence::new("deposit_pence", v, bounds::MAX_DEPOSIT_PENCE)
}

fn epc(v: &str) -> Result<EpcRating, ValidationError> {
    EpcRating::parse(&v.trim().to_uppercase())
}

fn features(v: &[String]) -> Result<Features, ValidationError> {
    Features::parse_all(v.iter().map(String::as_str))
}

/// A required-to-be-valid optional field: `None` stays `None`, `Some` must parse.
fn opt<T, U>(e: &mut Errors, v: Option<T>, f: impl FnOnce(T) -> Result<U, ValidationError>) -> Option<U> {
    v.and_then(|v| e.take(f(v)))
}

impl ListingInput {
    pub fn into_details(self) -> Result<ListingDetails, Vec<ValidationError>> {
        let mut e = Errors::default();
        let d = ListingDetails {
            title: opt(&mut e, self.title, |v| Title::parse(&v)),
            description: opt(&mut e, self.description, |v| Description::parse(&v)),
            city: opt(&mut e, self.city, |v| CitySlug::parse(&v).map_err(|x| ValidationError::new("city", x.message))),
            area: opt(&mut e, self.area, |v| AreaName::parse(&v)),
            address_line: opt(&mut e, self.address_line, |v| AddressLine::parse(&v)),
            postcode: opt(&mut e, self.postcode, |v| Postcode::parse(&v)),
            property_type: opt(&mut e, self.property_type, |v| PropertyType::parse(&v)),
            bedrooms: opt(&mut e, self.bedrooms, |v| small("bedrooms", v, bounds::BEDROOMS)),
            bathrooms: opt(&mut e, self.bathrooms, |v| small("bathrooms", v, bounds::BATHROOMS)),
            ensuite_rooms: opt(&mut e, self.ensuite_rooms, ensuites).unwrap_or(0),
            rent_pppw: opt(&mut e, self.rent_pppw_pence, rent),
            bills_included: self.bills_included.unwrap_or(false),
            deposit: opt(&mut e, self.deposit_pence, deposit),
            available_from: self.available_from,
            academic_year: opt(&mut e, self.academic_year, |v| AcademicYear::parse(&v)),
            tenancy_months: opt(&mut e, self.tenancy_months, |v| small("tenancy_months", v, bounds::TENANCY_MONTHS)),
            tenancy_type: opt(&mut e, self.tenancy_type, |v| TenancyType::parse(&v)),
            furnished: self.furnished.unwrap_or(false),
            features: opt(&mut e, self.features, |v| features(&v)).unwrap_or_default(),
            hmo_licence: opt(&mut e, self.hmo_licence, |v| HmoLicenceNumber::parse(&v)),
            hmo_licence_expires: self.hmo_licence_expires,
            epc_rating: opt(&mut e, self.epc_rating, |v| epc(&v)),
        };
        e.finish(d)
    }
}

fn patch<T, U>(e: &mut Errors, v: MaybeUndefined<T>, f: impl FnOnce(T) -> Result<U, ValidationError>) -> Patch<U> {
    match v {
        MaybeUndefined::Undefined => Patch::Keep,
        MaybeUndefined::Null => Patch::Clear,
        MaybeUndefined::Value(v) => e.take(f(v)).map_or(Patch::Keep, Patch::Set),
    }
}

/// For fields that cannot be "cleared" (booleans, counts with a default): `null` is an error.
fn set_only<T, U>(
    e: &mut Errors,
    field: &'static str,
    v: MaybeUndefined<T>,
    f: impl FnOnce(T) -> Result<U, ValidationError>,
) -> Option<U> {
    match v {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => {
            e.0.push(ValidationError::new(field, "cannot be null"));
            None
        }
        MaybeUndefined::Value(v) => e.take(f(v)),
    }
}

impl ListingPatchInput {
    pub fn into_patch(self) -> Result<ListingPatch, Vec<ValidationError>> {
        let mut e = Errors::default();
        let p = ListingPatch {
            title: patch(&mut e, self.title, |v| Title::parse(&v)),
            description: patch(&mut e, self.description, |v| Description::parse(&v)),
            city: patch(&mut e, self.city, |v| {
                CitySlug::parse(&v).map_err(|x| ValidationError::new("city", x.message))
            }),
            area: patch(&mut e, self.area, |v| AreaName::parse(&v)),
            address_line: patch(&mut e, self.address_line, |v| AddressLine::parse(&v)),
            postcode: patch(&mut e, self.postcode, |v| Postcode::parse(&v)),
            property_type: patch(&mut e, self.property_type, |v| PropertyType::parse(&v)),
            bedrooms: patch(&mut e, self.bedrooms, |v| small("bedrooms", v, bounds::BEDROOMS)),
            bathrooms: patch(&mut e, self.bathrooms, |v| small("bathrooms", v, bounds::BATHROOMS)),
            ensuite_rooms: set_only(&mut e, "ensuite_rooms", self.ensuite_rooms, ensuites),
            rent_pppw: patch(&mut e, self.rent_pppw_pence, rent),
            bills_included: set_only(&mut e, "bills_included", self.bills_included, Ok),
            deposit: patch(&mut e, self.deposit_pence, deposit),
            available_from: patch(&mut e, self.available_from, Ok),
            academic_year: patch(&mut e, self.academic_year, |v| AcademicYear::parse(&v)),
            tenancy_months: patch(&mut e, self.tenancy_months, |v| small("tenancy_months", v, bounds::TENANCY_MONTHS)),
            tenancy_type: patch(&mut e, self.tenancy_type, |v| TenancyType::parse(&v)),
            furnished: set_only(&mut e, "furnished", self.furnished, Ok),
            features: set_only(&mut e, "features", self.features, |v| features(&v)),
            hmo_licence: patch(&mut e, self.hmo_licence, |v| HmoLicenceNumber::parse(&v)),
            hmo_licence_expires: patch(&mut e, self.hmo_licence_expires, Ok),
            epc_rating: patch(&mut e, self.epc_rating, |v| epc(&v)),
        };
        e.finish(p)
    }
}

/// A photo of a listing (uploads come with the photos issue; the list is empty until then).
#[derive(Debug, Object, Serialize)]
pub struct PhotoDto {
    pub id: Uuid,
    pub status: String,
}

/// A listing as returned. `postcode`, `address_line` and `moderation_note` appear only
/// for the owner and admins.
// Written with serde (`JsonOut`): keep the serde attributes in step with the `oai` ones;
// `serde_matches_openapi` checks that the two agree.
#[derive(Debug, Object, Serialize)]
pub struct ListingDto {
    pub id: Uuid,
    /// draft | published | let | archived
    pub status: String,
    pub owner_id: Uuid,
    pub title: Option<String>,
    pub description: Option<String>,
    pub city: Option<String>,
    pub area: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address_line: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postcode: Option<String>,
    /// The public part of the postcode, e.g. `LS6`.
    pub postcode_outward: Option<String>,
    pub property_type: Option<String>,
    pub bedrooms: Option<u8>,
    pub bathrooms: Option<u8>,
    pub ensuite_rooms: u8,
    pub rent_pppw_pence: Option<i64>,
    pub bills_included: bool,
    pub deposit_pence: Option<i64>,
    pub available_from: Option<NaiveDate>,
    pub academic_year: Option<String>,
    pub tenancy_months: Option<u8>,
    pub tenancy_type: Option<String>,
    pub furnished: bool,
    pub features: Vec<String>,
    pub hmo_licence: Option<String>,
    pub hmo_licence_expires: Option<NaiveDate>,
    pub epc_rating: Option<String>,
    pub photos: Vec<PhotoDto>,
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moderation_note: Option<String>,
    #[serde(serialize_with = "as_openapi::datetime")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "as_openapi::datetime")]
    pub updated_at: DateTime<Utc>,
    #[serde(serialize_with = "as_openapi::datetime_opt")]
    pub published_at: Option<DateTime<Utc>>,
}

impl ListingDto {
    pub fn from_listing(l: Listing, private: bool) -> Self {
        let d = l.details;
        Self {
            id: l.id.0,
            status: l.status.as_str().to_owned(),
            owner_id: l.owner_id.0,
            title: d.title.map(|v| v.as_str().to_owned()),
            description: d.description.map(|v| v.as_str().to_owned()),
            city: d.city.map(|v| v.as_str().to_owned()),
            area: d.area.map(|v| v.as_str().to_owned()),
            address_line: d.address_line.filter(|_| private).map(|v| v.as_str().to_owned()),
            postcode_outward: d.postcode.as_ref().map(|p| p.outward().to_owned()),
            postcode: d.postcode.filter(|_| private).map(|v| v.as_str().to_owned()),
            property_type: d.property_type.map(|v| v.as_str().to_owned()),
            bedrooms: d.bedrooms,
            bathrooms: d.bathrooms,
            ensuite_rooms: d.ensuite_rooms,
            rent_pppw_pence: d.rent_pppw.map(Pence::get),
            bills_included: d.bills_included,
            deposit_pence: d.deposit.map(Pence::get),
            available_from: d.available_from,
            academic_year: d.academic_year.map(|y| y.to_string()),
            tenancy_months: d.tenancy_months,
            tenancy_type: d.tenancy_type.map(|v| v.as_str().to_owned()),
            furnished: d.furnished,
            features: d.features.iter().map(|f| f.as_str().to_owned()).collect(),
            hmo_licence: d.hmo_licence.map(|v| v.as_str().to_owned()),
            hmo_licence_expires: d.hmo_licence_expires,
            epc_rating: d.epc_rating.map(|v| v.as_str().to_owned()),
            photos: Vec::new(),
            moderation_note: l.moderation_note.filter(|_| private),
            created_at: l.created_at,
            updated_at: l.updated_at,
            published_at: l.published_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use domain::listing::Feature;
    use poem_openapi::types::ToJSON;

    use super::*;

    fn full() -> ListingDto {
        let at = Utc.with_ymd_and_hms(2026, 11, 25, 14, 3, 4).unwrap() + chrono::Duration::microseconds(123_456);
        ListingDto {
            id: Uuid::now_v7(),
            status: "published".into(),
            owner_id: Uuid::now_v7(),
            title: Some("Bright \"double\" room, Hyde Park \u{2014} \u{1F3E0}".into()),
            description: Some("Line one\nline two\ttabbed \\ backslash \u{7f} \u{1} </script>".into()),
            city: Some("leeds".into()),
            area: Some("Hyde Park".into()),
            address_line: Some("12 Brudenell Road".into()),
            postcode: Some("LS6 1HX".into()),
            postcode_outward: Some("LS6".into()),
            property_type: Some("house".into()),
            bedrooms: Some(5),
            bathrooms: Some(2),
            ensuite_rooms: 1,
            rent_pppw_pence: Some(14_500),
            bills_included: true,
            deposit_pence: Some(60_000),
            available_from: NaiveDate::from_ymd_opt(2027, 7, 1),
            academic_year: Some("2027/28".into()),
            tenancy_months: Some(12),
            tenancy_type: Some("periodic".into()),
            furnished: true,
            features: [Feature::Wifi, Feature::Garden].iter().map(|f| f.as_str().to_owned()).collect(),
            hmo_licence: Some("HMO/2026/0001".into()),
            hmo_licence_expires: NaiveDate::from_ymd_opt(2030, 1, 31),
            epc_rating: Some("C".into()),
            photos: vec![PhotoDto { id: Uuid::now_v7(), status: "ready".into() }],
            moderation_note: Some("ok".into()),
            created_at: at,
            updated_at: at,
            published_at: Some(at),
        }
    }

    fn empty() -> ListingDto {
        ListingDto {
            title: None,
            description: None,
            city: None,
            area: None,
            address_line: None,
            postcode: None,
            postcode_outward: None,
            property_type: None,
            bedrooms: None,
            bathrooms: None,
            rent_pppw_pence: None,
            deposit_pence: None,
            available_from: None,
            academic_year: None,
            tenancy_months: None,
            tenancy_type: None,
            features: Vec::new(),
            hmo_licence: None,
            hmo_licence_expires: None,
            epc_rating: None,
            photos: Vec::new(),
            moderation_note: None,
            published_at: None,
            ..full()
        }
    }

    /// `JsonOut` (serde) and poem-openapi's `Json` (`ToJSON`) write the same document.
    #[test]
    fn serde_matches_openapi() {
        for dto in [full(), empty()] {
            let openapi = dto.to_json().expect("an object");
            let serde = serde_json::to_value(&dto).unwrap();
            assert_eq!(serde, openapi);
        }
        let private = serde_json::to_value(full()).unwrap();
        assert_eq!(private["created_at"], "2026-11-25T14:03:04.123456+00:00");
        assert!(private.get("postcode").is_some());
        let public = serde_json::to_value(empty()).unwrap();
        for hidden in ["address_line", "postcode", "moderation_note"] {
            assert!(public.get(hidden).is_none(), "{hidden} is left out, not null");
        }
        assert!(public["title"].is_null(), "other empty fields are null");
    }
}
