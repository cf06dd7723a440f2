//! Listing DTOs (the v1 JSON contract) and their conversion into domain values.
//!
//! Input schemas state every constraint a JSON Schema can (lengths, ranges, patterns,
//! enums); what breaks them is a 400 before any use case runs. Rules no schema can state
//! (letting rules, a city we list in, en-suites ≤ bedrooms, ...) are the domain's and
//! answer 422 with every field at once.

use application::photos::Cover;
use domain::listing::{
    AcademicYear, AddressLine, Bill, Bills, CouncilTax, Description, EpcExemptionRef, EpcRating, Feature, Features,
    Hidden, HmoLicenceNumber, Listing, ListingCard, ListingDetails, ListingId, ListingPatch, ListingStatus, Patch,
    Postcode, PropertyType, TenancyType, Title, Utility, bounds,
};
use domain::photo::PhotoStatus;
use domain::{AreaName, CitySlug, Pence, ValidationError};
use poem_openapi::Object;
use poem_openapi::types::MaybeUndefined;
use serde::Serialize;
use uuid::Uuid;

use crate::types::{AcademicYearText, Closed, Date, Nullable, PostcodeText, SlugText, Text, Timestamp};

/// A listing as created (`POST /listings`). Any subset may be given for a draft; `null`
/// is the same as leaving a field out.
#[derive(Debug, Object, Default)]
#[oai(deny_unknown_fields)]
pub struct ListingInput {
    /// 5–120 characters (runs of whitespace count as one space).
    #[oai(nullable, validator(min_length = 5, max_length = 120))]
    pub title: Option<Text>,
    /// Up to 5,000 characters; publishing needs at least 50.
    #[oai(nullable, validator(min_length = 1, max_length = 5000))]
    pub description: Option<Text>,
    /// City slug, e.g. `leeds` (one of `GET /cities`).
    #[oai(nullable)]
    pub city: Option<SlugText>,
    /// One of the city's areas, e.g. `Hyde Park`.
    #[oai(nullable, validator(min_length = 1, max_length = 80))]
    pub area: Option<Text>,
    /// Private: shown to the owner and admins only.
    #[oai(nullable, validator(min_length = 3, max_length = 200))]
    pub address_line: Option<Text>,
    /// Full UK postcode; only the outward code (`LS6`) is public.
    #[oai(nullable)]
    pub postcode: Option<PostcodeText>,
    #[oai(nullable)]
    pub property_type: Option<Closed<PropertyType>>,
    #[oai(nullable, validator(minimum(value = "1"), maximum(value = "20")))]
    pub bedrooms: Option<i32>,
    #[oai(nullable, validator(minimum(value = "1"), maximum(value = "20")))]
    pub bathrooms: Option<i32>,
    /// Bedrooms with their own bathroom (at most `bedrooms`).
    #[oai(nullable, validator(minimum(value = "0"), maximum(value = "20")))]
    pub ensuite_rooms: Option<i32>,
    /// How many people the property is let to; for a room or a hall place, everyone in
    /// the house or flat it is in. Required to publish; HMO licensing turns on it.
    #[oai(nullable, validator(minimum(value = "1"), maximum(value = "30")))]
    pub max_occupants: Option<i32>,
    /// Let to one household (a family, a couple) rather than to sharers (default `false`).
    #[oai(nullable)]
    pub single_household: Option<bool>,
    /// Rent in pence per person per week.
    #[oai(nullable, validator(minimum(value = "1"), maximum(value = "200000")))]
    pub rent_pppw_pence: Option<i64>,
    #[oai(nullable)]
    pub bills_included: Option<bool>,
    /// The utilities a bills-included rent covers, each once, with any fair-usage cap
    /// (required to publish when `bills_included`; must be empty otherwise).
    #[oai(nullable, validator(max_items = 6))]
    pub bills: Option<Vec<BillInput>>,
    /// Deposit in pence per person (at most 5 weeks' rent in England); `0` for none.
    /// Required to publish.
    #[oai(nullable, validator(minimum(value = "0"), maximum(value = "5000000")))]
    pub deposit_pence: Option<i64>,
    /// Council tax band, or `student_exempt` for an all-student household. Required to
    /// publish; band `I` exists in Wales only.
    #[oai(nullable)]
    pub council_tax: Option<Closed<CouncilTax>>,
    #[oai(nullable)]
    pub available_from: Option<Date>,
    /// e.g. `2027/28`
    #[oai(nullable)]
    pub academic_year: Option<AcademicYearText>,
    #[oai(nullable, validator(minimum(value = "1"), maximum(value = "24")))]
    pub tenancy_months: Option<i32>,
    /// `fixed` only for purpose-built halls in England.
    #[oai(nullable)]
    pub tenancy_type: Option<Closed<TenancyType>>,
    #[oai(nullable)]
    pub furnished: Option<bool>,
    #[oai(nullable, validator(max_items = 16))]
    pub features: Option<Vec<Closed<Feature>>>,
    #[oai(nullable, validator(min_length = 3, max_length = 50))]
    pub hmo_licence: Option<Text>,
    #[oai(nullable)]
    pub hmo_licence_expires: Option<Date>,
    #[oai(nullable)]
    pub epc_rating: Option<Closed<EpcRating>>,
    /// When the EPC expires (10 years after issue). Required to publish; an expired EPC
    /// cannot publish.
    #[oai(nullable)]
    pub epc_expires: Option<Date>,
    /// Reference of the registered exemption that allows letting a home rated F or G.
    #[oai(nullable, validator(min_length = 3, max_length = 50))]
    pub epc_exemption: Option<Text>,
}

/// A utility included in the rent.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct BillInput {
    pub utility: Closed<Utility>,
    /// Fair-usage cap in pence per month (above it the tenants pay the difference);
    /// absent or `null`: no cap.
    #[oai(nullable, validator(minimum(value = "1"), maximum(value = "100000")))]
    pub cap_pence_per_month: Option<i64>,
}

/// A partial update (`PATCH /listings/{id}`): absent = unchanged, `null` = cleared.
/// `ensuite_rooms`, `bills_included`, `furnished` and `features` always have a value:
/// they can be changed, not cleared.
#[derive(Debug, Object, Default)]
#[oai(deny_unknown_fields)]
pub struct ListingPatchInput {
    #[oai(nullable, validator(min_length = 5, max_length = 120))]
    pub title: MaybeUndefined<Text>,
    #[oai(nullable, validator(min_length = 1, max_length = 5000))]
    pub description: MaybeUndefined<Text>,
    #[oai(nullable)]
    pub city: MaybeUndefined<SlugText>,
    #[oai(nullable, validator(min_length = 1, max_length = 80))]
    pub area: MaybeUndefined<Text>,
    #[oai(nullable, validator(min_length = 3, max_length = 200))]
    pub address_line: MaybeUndefined<Text>,
    #[oai(nullable)]
    pub postcode: MaybeUndefined<PostcodeText>,
    #[oai(nullable)]
    pub property_type: MaybeUndefined<Closed<PropertyType>>,
    #[oai(nullable, validator(minimum(value = "1"), maximum(value = "20")))]
    pub bedrooms: MaybeUndefined<i32>,
    #[oai(nullable, validator(minimum(value = "1"), maximum(value = "20")))]
    pub bathrooms: MaybeUndefined<i32>,
    #[oai(validator(minimum(value = "0"), maximum(value = "20")))]
    pub ensuite_rooms: MaybeUndefined<i32>,
    #[oai(nullable, validator(minimum(value = "1"), maximum(value = "30")))]
    pub max_occupants: MaybeUndefined<i32>,
    pub single_household: MaybeUndefined<bool>,
    #[oai(nullable, validator(minimum(value = "1"), maximum(value = "200000")))]
    pub rent_pppw_pence: MaybeUndefined<i64>,
    pub bills_included: MaybeUndefined<bool>,
    /// Replaces the whole list (`[]` to empty it).
    #[oai(validator(max_items = 6))]
    pub bills: MaybeUndefined<Vec<BillInput>>,
    #[oai(nullable, validator(minimum(value = "0"), maximum(value = "5000000")))]
    pub deposit_pence: MaybeUndefined<i64>,
    #[oai(nullable)]
    pub council_tax: MaybeUndefined<Closed<CouncilTax>>,
    #[oai(nullable)]
    pub available_from: MaybeUndefined<Date>,
    #[oai(nullable)]
    pub academic_year: MaybeUndefined<AcademicYearText>,
    #[oai(nullable, validator(minimum(value = "1"), maximum(value = "24")))]
    pub tenancy_months: MaybeUndefined<i32>,
    #[oai(nullable)]
    pub tenancy_type: MaybeUndefined<Closed<TenancyType>>,
    pub furnished: MaybeUndefined<bool>,
    #[oai(validator(max_items = 16))]
    pub features: MaybeUndefined<Vec<Closed<Feature>>>,
    #[oai(nullable, validator(min_length = 3, max_length = 50))]
    pub hmo_licence: MaybeUndefined<Text>,
    #[oai(nullable)]
    pub hmo_licence_expires: MaybeUndefined<Date>,
    #[oai(nullable)]
    pub epc_rating: MaybeUndefined<Closed<EpcRating>>,
    #[oai(nullable)]
    pub epc_expires: MaybeUndefined<Date>,
    #[oai(nullable, validator(min_length = 3, max_length = 50))]
    pub epc_exemption: MaybeUndefined<Text>,
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

fn small(field: &'static str, v: i32, range: std::ops::RangeInclusive<u8>) -> Result<u8, ValidationError> {
    u8::try_from(v)
        .ok()
        .filter(|n| range.contains(n))
        .ok_or_else(|| ValidationError::new(field, format!("must be between {} and {}", range.start(), range.end())))
}

fn ensuites(v: i32) -> Result<u8, ValidationError> {
    small("ensuite_rooms", v, 0..=20)
}

fn rent(v: i64) -> Result<Pence, ValidationError> {
    Pence::new("rent_pppw_pence", v, bounds::MAX_RENT_PPPW_PENCE)
}

fn deposit(v: i64) -> Result<Pence, ValidationError> {
    Pence::new("deposit_pence", v, bounds::MAX_DEPOSIT_PENCE)
}

fn occupants(v: i32) -> Result<u8, ValidationError> {
    small("max_occupants", v, bounds::OCCUPANTS)
}

fn bills(v: Vec<BillInput>) -> Result<Bills, ValidationError> {
    let bills = v
        .into_iter()
        .map(|b| {
            let cap =
                b.cap_pence_per_month.map(|c| Pence::new("bills", c, Bills::MAX_CAP_PENCE_PER_MONTH)).transpose()?;
            Ok(Bill { utility: b.utility.0, cap_pence_per_month: cap })
        })
        .collect::<Result<Vec<_>, ValidationError>>()?;
    Bills::new(bills)
}

fn features(v: &[Closed<Feature>]) -> Features {
    v.iter().map(|f| f.0).collect()
}

fn city(v: &str) -> Result<CitySlug, ValidationError> {
    CitySlug::parse(v).map_err(|x| ValidationError::new("city", x.message))
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
            city: opt(&mut e, self.city, |v| city(&v.0)),
            area: opt(&mut e, self.area, |v| AreaName::parse(&v)),
            address_line: opt(&mut e, self.address_line, |v| AddressLine::parse(&v)),
            postcode: opt(&mut e, self.postcode, |v| Postcode::parse(&v.0)),
            property_type: self.property_type.map(|p| p.0),
            bedrooms: opt(&mut e, self.bedrooms, |v| small("bedrooms", v, bounds::BEDROOMS)),
            bathrooms: opt(&mut e, self.bathrooms, |v| small("bathrooms", v, bounds::BATHROOMS)),
            ensuite_rooms: opt(&mut e, self.ensuite_rooms, ensuites).unwrap_or(0),
            max_occupants: opt(&mut e, self.max_occupants, occupants),
            single_household: self.single_household.unwrap_or(false),
            rent_pppw: opt(&mut e, self.rent_pppw_pence, rent),
            bills_included: self.bills_included.unwrap_or(false),
            bills: opt(&mut e, self.bills, bills).unwrap_or_default(),
            deposit: opt(&mut e, self.deposit_pence, deposit),
            council_tax: self.council_tax.map(|c| c.0),
            available_from: self.available_from.map(|d| d.0),
            academic_year: opt(&mut e, self.academic_year, |v| AcademicYear::parse(&v.0)),
            tenancy_months: opt(&mut e, self.tenancy_months, |v| small("tenancy_months", v, bounds::TENANCY_MONTHS)),
            tenancy_type: self.tenancy_type.map(|t| t.0),
            furnished: self.furnished.unwrap_or(false),
            features: self.features.map(|f| features(&f)).unwrap_or_default(),
            hmo_licence: opt(&mut e, self.hmo_licence, |v| HmoLicenceNumber::parse(&v)),
            hmo_licence_expires: self.hmo_licence_expires.map(|d| d.0),
            epc_rating: self.epc_rating.map(|r| r.0),
            epc_expires: self.epc_expires.map(|d| d.0),
            epc_exemption: opt(&mut e, self.epc_exemption, |v| EpcExemptionRef::parse(&v)),
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
            city: patch(&mut e, self.city, |v| city(&v.0)),
            area: patch(&mut e, self.area, |v| AreaName::parse(&v)),
            address_line: patch(&mut e, self.address_line, |v| AddressLine::parse(&v)),
            postcode: patch(&mut e, self.postcode, |v| Postcode::parse(&v.0)),
            property_type: patch(&mut e, self.property_type, |v| Ok(v.0)),
            bedrooms: patch(&mut e, self.bedrooms, |v| small("bedrooms", v, bounds::BEDROOMS)),
            bathrooms: patch(&mut e, self.bathrooms, |v| small("bathrooms", v, bounds::BATHROOMS)),
            ensuite_rooms: set_only(&mut e, "ensuite_rooms", self.ensuite_rooms, ensuites),
            max_occupants: patch(&mut e, self.max_occupants, occupants),
            single_household: set_only(&mut e, "single_household", self.single_household, Ok),
            rent_pppw: patch(&mut e, self.rent_pppw_pence, rent),
            bills_included: set_only(&mut e, "bills_included", self.bills_included, Ok),
            bills: set_only(&mut e, "bills", self.bills, bills),
            deposit: patch(&mut e, self.deposit_pence, deposit),
            council_tax: patch(&mut e, self.council_tax, |v| Ok(v.0)),
            available_from: patch(&mut e, self.available_from, |d| Ok(d.0)),
            academic_year: patch(&mut e, self.academic_year, |v| AcademicYear::parse(&v.0)),
            tenancy_months: patch(&mut e, self.tenancy_months, |v| small("tenancy_months", v, bounds::TENANCY_MONTHS)),
            tenancy_type: patch(&mut e, self.tenancy_type, |v| Ok(v.0)),
            furnished: set_only(&mut e, "furnished", self.furnished, Ok),
            features: set_only(&mut e, "features", self.features, |v| Ok(features(&v))),
            hmo_licence: patch(&mut e, self.hmo_licence, |v| HmoLicenceNumber::parse(&v)),
            hmo_licence_expires: patch(&mut e, self.hmo_licence_expires, |d| Ok(d.0)),
            epc_rating: patch(&mut e, self.epc_rating, |v| Ok(v.0)),
            epc_expires: patch(&mut e, self.epc_expires, |d| Ok(d.0)),
            epc_exemption: patch(&mut e, self.epc_exemption, |v| EpcExemptionRef::parse(&v)),
        };
        e.finish(p)
    }
}

/// A photo of a listing.
#[derive(Debug, Object, Serialize)]
pub struct PhotoDto {
    pub id: Uuid,
    /// `pending` (being processed), `ready` (its `urls` are set) or `rejected`.
    pub status: Closed<PhotoStatus>,
    /// Place in the gallery, from 0; the first ready photo is the cover.
    pub position: u32,
    /// Oriented size of the photo once processed.
    pub width: Nullable<u32>,
    pub height: Nullable<u32>,
    /// Absolute public URLs of the variants once `ready` (WebP `thumb` 400 px, `medium`
    /// 1024 px, `large` 2048 px on the longest side; `medium_jpeg` for clients without
    /// WebP); `null` before.
    pub urls: Nullable<PhotoUrlsDto>,
    /// Why processing refused it (`rejected`); owner and admins only.
    pub reject_reason: Nullable<String>,
    /// A link to the uploaded original, valid 15 minutes; owner and admins only.
    pub original_url: Nullable<String>,
}

/// The public URLs of a ready photo, by variant.
#[derive(Debug, Object, Serialize)]
pub struct PhotoUrlsDto {
    pub thumb: String,
    pub medium: String,
    pub large: String,
    pub medium_jpeg: String,
}

impl From<application::photos::PhotoView> for PhotoDto {
    fn from(v: application::photos::PhotoView) -> Self {
        let url = |n: &str| v.urls.get(n).cloned();
        let urls = match (url("thumb"), url("medium"), url("large"), url("medium_jpeg")) {
            (Some(thumb), Some(medium), Some(large), Some(medium_jpeg)) => {
                Some(PhotoUrlsDto { thumb, medium, large, medium_jpeg })
            }
            _ => None,
        };
        Self {
            id: v.photo.id.0,
            status: Closed(v.photo.status),
            position: v.photo.position,
            width: Nullable(v.photo.width),
            height: Nullable(v.photo.height),
            urls: Nullable(urls),
            reject_reason: Nullable(v.original_url.as_ref().and(v.photo.reject_reason.clone())),
            original_url: Nullable(v.original_url),
        }
    }
}

/// A listing as returned. `address_line`, `postcode` and `moderation_note` are sent to
/// the owner and admins only (`null` when empty); everyone else never gets them.
// Written with serde (`JsonOut`): keep the serde attributes in step with the `oai` ones;
// `serde_matches_openapi` checks that the two agree.
#[derive(Debug, Object, Serialize)]
pub struct ListingDto {
    pub id: Uuid,
    pub status: Closed<ListingStatus>,
    pub owner_id: Uuid,
    pub title: Nullable<String>,
    pub description: Nullable<String>,
    /// City slug.
    pub city: Nullable<String>,
    pub area: Nullable<String>,
    /// Owner and admins only.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address_line: Option<Nullable<String>>,
    /// The full postcode: owner and admins only.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postcode: Option<Nullable<String>>,
    /// The public part of the postcode, e.g. `LS6`.
    pub postcode_outward: Nullable<String>,
    pub property_type: Nullable<Closed<PropertyType>>,
    pub bedrooms: Nullable<i32>,
    pub bathrooms: Nullable<i32>,
    pub ensuite_rooms: i32,
    /// People the property is let to (for a room or a hall place: the whole house or flat).
    pub max_occupants: Nullable<i32>,
    pub single_household: bool,
    /// Pence per person per week.
    pub rent_pppw_pence: Nullable<i64>,
    pub bills_included: bool,
    /// What a bills-included rent covers (empty otherwise).
    pub bills: Vec<BillDto>,
    /// Pence per person; `0`: no deposit.
    pub deposit_pence: Nullable<i64>,
    pub council_tax: Nullable<Closed<CouncilTax>>,
    pub available_from: Nullable<Date>,
    /// e.g. `2027/28`
    pub academic_year: Nullable<String>,
    pub tenancy_months: Nullable<i32>,
    pub tenancy_type: Nullable<Closed<TenancyType>>,
    pub furnished: bool,
    pub features: Vec<Closed<Feature>>,
    pub hmo_licence: Nullable<String>,
    pub hmo_licence_expires: Nullable<Date>,
    pub epc_rating: Nullable<Closed<EpcRating>>,
    pub epc_expires: Nullable<Date>,
    /// The registered exemption reference (for a home rated F or G).
    pub epc_exemption: Nullable<String>,
    /// The gallery in order, in `GET /listings/{id}` (every photo for the owner and
    /// admins, the ready ones for everyone else; `original_url` is only in
    /// `GET /listings/{id}/photos`). Other responses that carry a listing leave it empty.
    pub photos: Vec<PhotoDto>,
    /// Why an admin took the listing down (owner and admins only).
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moderation_note: Option<Nullable<String>>,
    /// Why the public can't see it right now (owner and admins only; `null` when it is
    /// public): `not_public` (draft or archived), `owner_suspended`, `licence_lapsed`
    /// (renew the HMO licence), `city_inactive`.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hidden_reason: Option<Nullable<Closed<Hidden>>>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub published_at: Nullable<Timestamp>,
}

/// A utility included in the rent, as returned.
#[derive(Debug, Object, Serialize)]
#[oai(rename = "Bill")]
pub struct BillDto {
    pub utility: Closed<Utility>,
    /// Fair-usage cap in pence per month; `null`: no cap.
    pub cap_pence_per_month: Nullable<i64>,
}

fn text<T>(v: Option<&T>, f: impl FnOnce(&T) -> &str) -> Nullable<String> {
    Nullable(v.map(|x| f(x).to_owned()))
}

impl ListingDto {
    /// As its owner or an admin sees it, with why the public can't (`None`: unknown, not
    /// sent).
    pub fn for_manager(l: Listing, hidden: Option<Hidden>) -> Self {
        let mut dto = Self::from_listing(l, true);
        dto.hidden_reason = Some(Nullable(hidden.map(Closed)));
        dto
    }

    pub fn from_listing(l: Listing, private: bool) -> Self {
        let d = l.details;
        let private_text = |v: Option<String>| private.then_some(Nullable(v));
        Self {
            id: l.id.0,
            status: Closed(l.status),
            owner_id: l.owner_id.0,
            title: text(d.title.as_ref(), Title::as_str),
            description: text(d.description.as_ref(), Description::as_str),
            city: text(d.city.as_ref(), CitySlug::as_str),
            area: text(d.area.as_ref(), AreaName::as_str),
            address_line: private_text(d.address_line.map(|v| v.as_str().to_owned())),
            postcode_outward: Nullable(d.postcode.as_ref().map(|p| p.outward().to_owned())),
            postcode: private_text(d.postcode.map(|v| v.as_str().to_owned())),
            property_type: Nullable(d.property_type.map(Closed)),
            bedrooms: Nullable(d.bedrooms.map(i32::from)),
            bathrooms: Nullable(d.bathrooms.map(i32::from)),
            ensuite_rooms: i32::from(d.ensuite_rooms),
            max_occupants: Nullable(d.max_occupants.map(i32::from)),
            single_household: d.single_household,
            rent_pppw_pence: Nullable(d.rent_pppw.map(Pence::get)),
            bills_included: d.bills_included,
            bills: d
                .bills
                .as_slice()
                .iter()
                .map(|b| BillDto {
                    utility: Closed(b.utility),
                    cap_pence_per_month: Nullable(b.cap_pence_per_month.map(Pence::get)),
                })
                .collect(),
            deposit_pence: Nullable(d.deposit.map(Pence::get)),
            council_tax: Nullable(d.council_tax.map(Closed)),
            available_from: Nullable(d.available_from.map(Date)),
            academic_year: Nullable(d.academic_year.map(|y| y.to_string())),
            tenancy_months: Nullable(d.tenancy_months.map(i32::from)),
            tenancy_type: Nullable(d.tenancy_type.map(Closed)),
            furnished: d.furnished,
            features: d.features.iter().map(Closed).collect(),
            hmo_licence: text(d.hmo_licence.as_ref(), HmoLicenceNumber::as_str),
            hmo_licence_expires: Nullable(d.hmo_licence_expires.map(Date)),
            epc_rating: Nullable(d.epc_rating.map(Closed)),
            epc_expires: Nullable(d.epc_expires.map(Date)),
            epc_exemption: text(d.epc_exemption.as_ref(), EpcExemptionRef::as_str),
            photos: Vec::new(),
            moderation_note: private_text(l.moderation_note),
            hidden_reason: None,
            created_at: Timestamp(l.created_at),
            updated_at: Timestamp(l.updated_at),
            published_at: Nullable(l.published_at.map(Timestamp)),
        }
    }
}

/// The thumbnail a card shows.
#[derive(Debug, Object, Serialize)]
pub struct CoverPhotoDto {
    /// Absolute URL (on the CDN).
    pub url: String,
    pub width: i32,
    pub height: i32,
}

/// A listing as a results page shows it (search, shortlist). The whole listing is at
/// `GET /listings/{id}`.
#[derive(Debug, Object, Serialize)]
#[oai(rename = "ListingCard")]
pub struct ListingCardDto {
    pub id: Uuid,
    pub title: String,
    /// The start of the description: at most 200 characters, cut at a word boundary and
    /// ending with `…` when cut.
    pub excerpt: String,
    /// City slug.
    pub city: String,
    pub area: Nullable<String>,
    /// The public part of the postcode, e.g. `LS6`.
    pub postcode_outward: String,
    pub property_type: Closed<PropertyType>,
    pub bedrooms: i32,
    pub bathrooms: Nullable<i32>,
    pub ensuite_rooms: i32,
    /// Pence per person per week.
    pub rent_pppw_pence: i64,
    pub bills_included: bool,
    pub available_from: Date,
    /// e.g. `2027/28`
    pub academic_year: Nullable<String>,
    pub furnished: bool,
    pub features: Vec<Closed<Feature>>,
    /// The first ready photo's 400 px thumbnail; `null` when the listing has no ready
    /// photo.
    pub cover_photo: Nullable<CoverPhotoDto>,
    pub published_at: Timestamp,
}

impl From<ListingCard> for ListingCardDto {
    fn from(c: ListingCard) -> Self {
        Self {
            id: c.id.0,
            title: c.title.as_str().to_owned(),
            excerpt: c.excerpt,
            city: c.city.as_str().to_owned(),
            area: Nullable(c.area.map(|a| a.as_str().to_owned())),
            postcode_outward: c.postcode_outward,
            property_type: Closed(c.property_type),
            bedrooms: i32::from(c.bedrooms),
            bathrooms: Nullable(c.bathrooms.map(i32::from)),
            ensuite_rooms: i32::from(c.ensuite_rooms),
            rent_pppw_pence: c.rent_pppw.get(),
            bills_included: c.bills_included,
            available_from: Date(c.available_from),
            academic_year: Nullable(c.academic_year.map(|y| y.to_string())),
            furnished: c.furnished,
            features: c.features.iter().map(Closed).collect(),
            cover_photo: Nullable(None),
            published_at: Timestamp(c.published_at),
        }
    }
}

impl ListingCardDto {
    /// The card with its cover photo, if it has one.
    pub fn with_cover(card: ListingCard, covers: &std::collections::HashMap<ListingId, Cover>) -> Self {
        let cover = covers.get(&card.id).map(|c| CoverPhotoDto {
            url: c.url.clone(),
            width: i32::try_from(c.width).unwrap_or(i32::MAX),
            height: i32::try_from(c.height).unwrap_or(i32::MAX),
        });
        Self { cover_photo: Nullable(cover), ..Self::from(card) }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use domain::UserId;
    use domain::listing::{ListingId, ListingStatus};
    use poem_openapi::types::ToJSON;

    use super::*;

    fn listing() -> Listing {
        let at = Utc.with_ymd_and_hms(2026, 11, 25, 14, 3, 4).unwrap() + chrono::Duration::microseconds(123_456);
        Listing {
            id: ListingId(Uuid::now_v7()),
            owner_id: UserId(Uuid::now_v7()),
            status: ListingStatus::Published,
            details: ListingDetails {
                title: Some(Title::parse("Bright \"double\" room, Hyde Park \u{2014} \u{1F3E0}").unwrap()),
                description: Some(Description::parse("Line one\nline two\ttabbed \\ backslash </script>").unwrap()),
                city: Some(CitySlug::parse("leeds").unwrap()),
                area: Some(AreaName::parse("Hyde Park").unwrap()),
                address_line: Some(AddressLine::parse("12 Brudenell Road").unwrap()),
                postcode: Some(Postcode::parse("LS6 1HX").unwrap()),
                property_type: Some(PropertyType::House),
                bedrooms: Some(5),
                bathrooms: Some(2),
                ensuite_rooms: 1,
                max_occupants: Some(5),
                single_household: false,
                rent_pppw: Some(Pence::new("r", 14_500, 200_000).unwrap()),
                bills_included: true,
                bills: Bills::new(vec![
                    Bill { utility: Utility::Gas, cap_pence_per_month: Some(Pence::new("c", 5_000, 100_000).unwrap()) },
                    Bill { utility: Utility::Water, cap_pence_per_month: None },
                ])
                .unwrap(),
                deposit: Some(Pence::new("d", 60_000, 5_000_000).unwrap()),
                council_tax: Some(CouncilTax::StudentExempt),
                available_from: chrono::NaiveDate::from_ymd_opt(2027, 7, 1),
                academic_year: Some(AcademicYear::parse("2027/28").unwrap()),
                tenancy_months: Some(12),
                tenancy_type: Some(TenancyType::Periodic),
                furnished: true,
                features: [Feature::Wifi, Feature::Garden].into_iter().collect(),
                hmo_licence: Some(HmoLicenceNumber::parse("HMO/2026/0001").unwrap()),
                hmo_licence_expires: chrono::NaiveDate::from_ymd_opt(2030, 1, 31),
                epc_rating: Some(EpcRating::C),
                epc_expires: chrono::NaiveDate::from_ymd_opt(2031, 3, 1),
                epc_exemption: None,
            },
            created_at: at,
            updated_at: at,
            published_at: Some(at),
            moderation_note: None,
            version: domain::Version(3),
        }
    }

    fn draft() -> Listing {
        Listing { status: ListingStatus::Draft, details: ListingDetails::default(), published_at: None, ..listing() }
    }

    /// `JsonOut` (serde) and poem-openapi's `Json` (`ToJSON`) write the same document.
    #[test]
    fn serde_matches_openapi() {
        for (l, private) in [(listing(), true), (listing(), false), (draft(), true), (draft(), false)] {
            let dto = ListingDto::from_listing(l, private);
            assert_eq!(serde_json::to_value(&dto).unwrap(), dto.to_json().expect("an object"));
        }
        let card = ListingCardDto::from(listing().card().unwrap());
        assert_eq!(serde_json::to_value(&card).unwrap(), card.to_json().unwrap());
    }

    #[test]
    fn private_fields_are_absent_for_others_and_null_when_empty_for_managers() {
        let public = serde_json::to_value(ListingDto::from_listing(draft(), false)).unwrap();
        for hidden in ["address_line", "postcode", "moderation_note"] {
            assert!(public.get(hidden).is_none(), "{hidden} is left out for the public");
        }
        assert!(public["title"].is_null(), "other empty fields are null");
        let private = serde_json::to_value(ListingDto::from_listing(draft(), true)).unwrap();
        assert!(private["address_line"].is_null() && private["moderation_note"].is_null());
        let full = serde_json::to_value(ListingDto::from_listing(listing(), true)).unwrap();
        assert_eq!(full["created_at"], "2026-11-25T14:03:04.123456Z");
        assert_eq!(full["postcode"], "LS6 1HX");
        assert_eq!(full["features"], serde_json::json!(["wifi", "garden"]));
    }

    const SLUG: &str = SlugText::PATTERN;
    const POSTCODE: &str = PostcodeText::PATTERN;
    const ACADEMIC_YEAR: &str = AcademicYearText::PATTERN;

    #[test]
    fn the_document_carries_these_patterns() {
        let doc = crate::openapi::document("0", false);
        let listing = &doc["components"]["schemas"]["ListingInput"]["properties"];
        assert_eq!(listing["city"]["pattern"], SLUG);
        assert_eq!(listing["postcode"]["pattern"], POSTCODE);
        assert_eq!(listing["academic_year"]["pattern"], ACADEMIC_YEAR);
    }

    /// What the schema lets through, the domain reads: strings generated from each
    /// pattern parse (within the schema's lengths).
    mod schema_valid_is_domain_valid {
        use proptest::prelude::*;

        use super::*;

        #[test]
        fn the_bounded_slug_generator_is_the_slug_pattern() {
            assert_eq!(SLUG, "^[a-z][a-z0-9]*(-[a-z0-9]+)*$", "update the generator in `slugs` with the pattern");
        }

        fn body(p: &str) -> String {
            p.trim_start_matches('^').trim_end_matches('$').to_owned()
        }

        proptest! {
            /// `SLUG` with its repetitions bounded, so the strings fit the schema's 40.
            #[test]
            fn slugs(s in proptest::string::string_regex("[a-z][a-z0-9]{1,9}(-[a-z0-9]{1,8}){0,3}").unwrap()) {
                prop_assert!(s.len() <= 40);
                prop_assert!(CitySlug::parse(&s).is_ok(), "{s}");
            }

            #[test]
            fn postcodes(s in proptest::string::string_regex(&body(POSTCODE)).unwrap()) {
                prop_assert!(Postcode::parse(&s).is_ok(), "{s}");
            }
        }
    }
}
