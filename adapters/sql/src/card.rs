//! Listing cards straight from the card's columns (search results, shortlists): no
//! description, no private fields.

use application::RepositoryError;
use chrono::{DateTime, NaiveDate, Utc};
use domain::listing::{AcademicYear, Features, ListingCard, ListingId, PropertyType, Title, bounds};
use domain::{AreaName, CitySlug, Pence};
use sea_orm::{DbErr, FromQueryResult, QueryResult};
use uuid::Uuid;

use crate::entity::listings::Column;
use crate::rows::corrupt;

/// The columns a card reads, in [`CardRow`]'s order.
pub(crate) const CARD_COLUMNS: [Column; 17] = [
    Column::Id,
    Column::Title,
    Column::Excerpt,
    Column::City,
    Column::Area,
    Column::PostcodeOutward,
    Column::PropertyType,
    Column::Bedrooms,
    Column::Bathrooms,
    Column::EnsuiteRooms,
    Column::RentPppwPence,
    Column::BillsIncluded,
    Column::AvailableFrom,
    Column::AcademicYear,
    Column::Furnished,
    Column::FeaturesMask,
    Column::PublishedAt,
];

/// A card's columns, read by position in [`CARD_COLUMNS`]' order (the queries select
/// exactly those): looking each column up by name cost a search a few percent of its CPU.
#[derive(Debug)]
pub(crate) struct CardRow {
    pub id: Uuid,
    pub title: Option<String>,
    pub excerpt: Option<String>,
    pub city: Option<String>,
    pub area: Option<String>,
    pub postcode_outward: Option<String>,
    pub property_type: Option<String>,
    pub bedrooms: Option<i16>,
    pub bathrooms: Option<i16>,
    pub ensuite_rooms: i16,
    pub rent_pppw_pence: Option<i64>,
    pub bills_included: bool,
    pub available_from: Option<NaiveDate>,
    pub academic_year: Option<i16>,
    pub furnished: bool,
    pub features_mask: i64,
    pub published_at: Option<DateTime<Utc>>,
}

impl FromQueryResult for CardRow {
    fn from_query_result(r: &QueryResult, _pre: &str) -> Result<Self, DbErr> {
        Ok(Self {
            id: r.try_get_by_index(0)?,
            title: r.try_get_by_index(1)?,
            excerpt: r.try_get_by_index(2)?,
            city: r.try_get_by_index(3)?,
            area: r.try_get_by_index(4)?,
            postcode_outward: r.try_get_by_index(5)?,
            property_type: r.try_get_by_index(6)?,
            bedrooms: r.try_get_by_index(7)?,
            bathrooms: r.try_get_by_index(8)?,
            ensuite_rooms: r.try_get_by_index(9)?,
            rent_pppw_pence: r.try_get_by_index(10)?,
            bills_included: r.try_get_by_index(11)?,
            available_from: r.try_get_by_index(12)?,
            academic_year: r.try_get_by_index(13)?,
            furnished: r.try_get_by_index(14)?,
            features_mask: r.try_get_by_index(15)?,
            published_at: r.try_get_by_index(16)?,
        })
    }
}

impl CardRow {
    /// The card, through the domain's constructors. A row without a field every
    /// published listing has is corrupt: only call this for listings that were published.
    pub(crate) fn into_card(self) -> Result<ListingCard, RepositoryError> {
        let id = self.id;
        let bad = |field: &str, why: &dyn std::fmt::Display| corrupt("listing", id, field, why);
        let need = |field: &str| corrupt("listing", id, field, "is missing on a published listing");
        let count = |field: &'static str, v: i16| u8::try_from(v).map_err(|e| bad(field, &e));
        let academic_year = match self.academic_year {
            None => None,
            Some(y) => match u16::try_from(y) {
                Ok(y) if (2000..=2098).contains(&y) => Some(AcademicYear::starting(y)),
                _ => return Err(bad("academic_year", &y)),
            },
        };
        Ok(ListingCard {
            id: ListingId(id),
            title: Title::parse(&self.title.ok_or_else(|| need("title"))?).map_err(|e| bad("title", &e))?,
            // Written with every listing since migration 4 (which filled in the others).
            excerpt: self.excerpt.unwrap_or_default(),
            city: CitySlug::parse(&self.city.ok_or_else(|| need("city"))?).map_err(|e| bad("city", &e))?,
            area: self.area.map(|a| AreaName::parse(&a)).transpose().map_err(|e| bad("area", &e))?,
            postcode_outward: self.postcode_outward.ok_or_else(|| need("postcode"))?,
            property_type: PropertyType::parse(&self.property_type.ok_or_else(|| need("property_type"))?)
                .map_err(|e| bad("property_type", &e))?,
            bedrooms: count("bedrooms", self.bedrooms.ok_or_else(|| need("bedrooms"))?)?,
            bathrooms: self.bathrooms.map(|b| count("bathrooms", b)).transpose()?,
            ensuite_rooms: count("ensuite_rooms", self.ensuite_rooms)?,
            rent_pppw: Pence::new(
                "rent_pppw_pence",
                self.rent_pppw_pence.ok_or_else(|| need("rent_pppw_pence"))?,
                bounds::MAX_RENT_PPPW_PENCE,
            )
            .map_err(|e| bad("rent_pppw_pence", &e))?,
            bills_included: self.bills_included,
            available_from: self.available_from.ok_or_else(|| need("available_from"))?,
            academic_year,
            furnished: self.furnished,
            features: Features::from_mask(self.features_mask),
            published_at: self.published_at.ok_or_else(|| need("published_at"))?,
        })
    }
}
