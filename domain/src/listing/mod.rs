//! Listings: what landlords and agents advertise, and the rules of their life.

mod card;
mod values;

use chrono::{DateTime, NaiveDate, Utc};

pub use card::{EXCERPT_MAX_CHARS, ListingCard, excerpt};
pub use values::*;

use crate::money::Pence;
use crate::rules::rules_for_listing;
use crate::user::UserId;
use crate::{AreaName, CitySlug, ValidationError};

/// The editable content of a listing. Drafts may be incomplete; publishing needs
/// [`ListingDetails::missing_for_publish`] to be empty.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListingDetails {
    pub title: Option<Title>,
    pub description: Option<Description>,
    pub city: Option<CitySlug>,
    pub area: Option<AreaName>,
    pub address_line: Option<AddressLine>,
    pub postcode: Option<Postcode>,
    pub property_type: Option<PropertyType>,
    pub bedrooms: Option<u8>,
    pub bathrooms: Option<u8>,
    pub ensuite_rooms: u8,
    /// How many people the property is let to: for a house or flat its tenants, for a
    /// room or a hall place everyone in the house or flat it is in. HMO licensing turns
    /// on this, not on bedrooms.
    pub max_occupants: Option<u8>,
    /// Let to one household (a family, a couple): then no mandatory HMO licence. Students
    /// sharing are separate households (the default).
    pub single_household: bool,
    pub rent_pppw: Option<Pence>,
    pub bills_included: bool,
    /// The utilities a bills-included rent covers (empty otherwise).
    pub bills: Bills,
    /// Per person; `Some(0)` is an explicit "no deposit" (publishing needs one or the other).
    pub deposit: Option<Pence>,
    pub council_tax: Option<CouncilTax>,
    pub available_from: Option<NaiveDate>,
    pub academic_year: Option<AcademicYear>,
    pub tenancy_months: Option<u8>,
    pub tenancy_type: Option<TenancyType>,
    pub furnished: bool,
    pub features: Features,
    pub hmo_licence: Option<HmoLicenceNumber>,
    pub hmo_licence_expires: Option<NaiveDate>,
    pub epc_rating: Option<EpcRating>,
    /// An EPC is valid for 10 years from its issue: this is the end of that.
    pub epc_expires: Option<NaiveDate>,
    /// The registered exemption that lets a home rated F or G be let.
    pub epc_exemption: Option<EpcExemptionRef>,
}

/// A change to one field: leave it, clear it, or set it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Patch<T> {
    #[default]
    Keep,
    Clear,
    Set(T),
}

impl<T> Patch<T> {
    fn apply(self, slot: &mut Option<T>) {
        match self {
            Patch::Keep => {}
            Patch::Clear => *slot = None,
            Patch::Set(v) => *slot = Some(v),
        }
    }
}

/// A partial update (`PATCH`): fields not mentioned stay as they are.
#[derive(Debug, Clone, Default)]
pub struct ListingPatch {
    pub title: Patch<Title>,
    pub description: Patch<Description>,
    pub city: Patch<CitySlug>,
    pub area: Patch<AreaName>,
    pub address_line: Patch<AddressLine>,
    pub postcode: Patch<Postcode>,
    pub property_type: Patch<PropertyType>,
    pub bedrooms: Patch<u8>,
    pub bathrooms: Patch<u8>,
    pub ensuite_rooms: Option<u8>,
    pub max_occupants: Patch<u8>,
    pub single_household: Option<bool>,
    pub rent_pppw: Patch<Pence>,
    pub bills_included: Option<bool>,
    pub bills: Option<Bills>,
    pub deposit: Patch<Pence>,
    pub council_tax: Patch<CouncilTax>,
    pub available_from: Patch<NaiveDate>,
    pub academic_year: Patch<AcademicYear>,
    pub tenancy_months: Patch<u8>,
    pub tenancy_type: Patch<TenancyType>,
    pub furnished: Option<bool>,
    pub features: Option<Features>,
    pub hmo_licence: Patch<HmoLicenceNumber>,
    pub hmo_licence_expires: Patch<NaiveDate>,
    pub epc_rating: Patch<EpcRating>,
    pub epc_expires: Patch<NaiveDate>,
    pub epc_exemption: Patch<EpcExemptionRef>,
}

impl ListingPatch {
    pub fn apply_to(self, d: &mut ListingDetails) {
        self.title.apply(&mut d.title);
        self.description.apply(&mut d.description);
        self.city.apply(&mut d.city);
        self.area.apply(&mut d.area);
        self.address_line.apply(&mut d.address_line);
        self.postcode.apply(&mut d.postcode);
        self.property_type.apply(&mut d.property_type);
        self.bedrooms.apply(&mut d.bedrooms);
        self.bathrooms.apply(&mut d.bathrooms);
        if let Some(v) = self.ensuite_rooms {
            d.ensuite_rooms = v;
        }
        self.max_occupants.apply(&mut d.max_occupants);
        if let Some(v) = self.single_household {
            d.single_household = v;
        }
        self.rent_pppw.apply(&mut d.rent_pppw);
        if let Some(v) = self.bills_included {
            d.bills_included = v;
        }
        if let Some(v) = self.bills {
            d.bills = v;
        }
        self.deposit.apply(&mut d.deposit);
        self.council_tax.apply(&mut d.council_tax);
        self.available_from.apply(&mut d.available_from);
        self.academic_year.apply(&mut d.academic_year);
        self.tenancy_months.apply(&mut d.tenancy_months);
        self.tenancy_type.apply(&mut d.tenancy_type);
        if let Some(v) = self.furnished {
            d.furnished = v;
        }
        if let Some(v) = self.features {
            d.features = v;
        }
        self.hmo_licence.apply(&mut d.hmo_licence);
        self.hmo_licence_expires.apply(&mut d.hmo_licence_expires);
        self.epc_rating.apply(&mut d.epc_rating);
        self.epc_expires.apply(&mut d.epc_expires);
        self.epc_exemption.apply(&mut d.epc_exemption);
    }
}

impl ListingDetails {
    /// Field ranges and relations between fields that always hold, plus the letting rules
    /// of the listing's nation. Empty when the details may be stored.
    pub fn violations(&self) -> Vec<ValidationError> {
        let mut out = Vec::new();
        if let Some(b) = self.bedrooms
            && !bounds::BEDROOMS.contains(&b)
        {
            out.push(ValidationError::new("bedrooms", "must be between 1 and 20"));
        }
        if let Some(b) = self.bathrooms
            && !bounds::BATHROOMS.contains(&b)
        {
            out.push(ValidationError::new("bathrooms", "must be between 1 and 20"));
        }
        if let Some(m) = self.tenancy_months
            && !bounds::TENANCY_MONTHS.contains(&m)
        {
            out.push(ValidationError::new("tenancy_months", "must be between 1 and 24"));
        }
        if let Some(b) = self.bedrooms
            && self.ensuite_rooms > b
        {
            out.push(ValidationError::new("ensuite_rooms", "cannot exceed the number of bedrooms"));
        }
        if let Some(r) = self.rent_pppw
            && r.get() == 0
        {
            out.push(ValidationError::new("rent_pppw_pence", "must be more than zero"));
        }
        if self.area.is_some() && self.city.is_none() {
            out.push(ValidationError::new("area", "needs a city"));
        }
        if let Some(n) = self.max_occupants
            && !bounds::OCCUPANTS.contains(&n)
        {
            out.push(ValidationError::new("max_occupants", "must be between 1 and 30"));
        }
        if !self.bills_included && !self.bills.is_empty() {
            out.push(ValidationError::new("bills", "list included bills only when bills_included is true"));
        }
        out.extend(rules_for_listing(self).check(self));
        out
    }

    /// What publishing still needs: required fields and the nation's publishing rules.
    pub fn missing_for_publish(&self, today: NaiveDate) -> Vec<ValidationError> {
        let mut out = Vec::new();
        let mut need = |present: bool, field: &'static str, what: &str| {
            if !present {
                out.push(ValidationError::new(field, format!("{what} is required to publish")));
            }
        };
        need(self.title.is_some(), "title", "a title");
        need(self.city.is_some(), "city", "a city");
        need(self.postcode.is_some(), "postcode", "a postcode");
        need(self.property_type.is_some(), "property_type", "the property type");
        need(self.bedrooms.is_some(), "bedrooms", "the number of bedrooms");
        need(self.rent_pppw.is_some(), "rent_pppw_pence", "the rent");
        need(self.available_from.is_some(), "available_from", "an available-from date");
        need(self.epc_rating.is_some(), "epc_rating", "the EPC rating");
        need(self.epc_expires.is_some(), "epc_expires", "the EPC's expiry date");
        need(self.max_occupants.is_some(), "max_occupants", "the number of people the property is let to");
        // Material information (trading standards): what a tenant will pay beside the rent.
        need(self.deposit.is_some(), "deposit_pence", "the deposit (0 for none)");
        need(self.tenancy_type.is_some(), "tenancy_type", "the tenancy type");
        need(self.council_tax.is_some(), "council_tax", "the council tax band (or student_exempt)");
        need(
            !self.bills_included || !self.bills.is_empty(),
            "bills",
            "the list of included bills (with any fair-usage cap)",
        );
        match &self.description {
            Some(d) if d.as_str().chars().count() >= bounds::MIN_PUBLISHED_DESCRIPTION => {}
            _ => out.push(ValidationError::new(
                "description",
                format!(
                    "a description of at least {} characters is required to publish",
                    bounds::MIN_PUBLISHED_DESCRIPTION
                ),
            )),
        }
        out.extend(rules_for_listing(self).check_publishable(self, today));
        out
    }

    /// The last day search may show this listing (a licence's expiry), or `None` when no
    /// date limits it. Stored beside the listing so search filters on one column.
    pub fn searchable_until(&self) -> Option<NaiveDate> {
        if rules_for_listing(self).needs_hmo_licence(self) { self.hmo_licence_expires } else { None }
    }

    /// How many households share: one when let to a single household, otherwise each
    /// occupant (students sharing are separate households).
    pub fn households(&self) -> Option<u8> {
        if self.single_household { Some(1) } else { self.max_occupants }
    }

    /// The annual rent of the whole let in pence (the Tenant Fees Act's £50,000 test): a
    /// room or a hall place is its own tenancy (one person's rent); a house, flat or studio
    /// is let to all its occupants together.
    pub fn annual_rent_of_let_pence(&self) -> Option<i64> {
        let rent = self.rent_pppw?.get() * 52;
        let tenants = match self.property_type {
            Some(PropertyType::Room | PropertyType::Hall) => 1,
            _ => self.max_occupants.or(self.bedrooms).unwrap_or(1),
        };
        Some(rent * i64::from(tenants))
    }

    /// Whether search shows this (published) listing today: a lapsed licence hides it.
    pub fn searchable(&self, today: NaiveDate) -> bool {
        rules_for_listing(self).searchable(self, today)
    }
}

/// Why a listing operation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ListingError {
    #[error("a {from} listing cannot be {action}")]
    InvalidTransition { from: ListingStatus, action: &'static str },
    #[error("the listing is not complete enough to publish")]
    Incomplete(Vec<ValidationError>),
    #[error("the listing breaks the letting rules")]
    Invalid(Vec<ValidationError>),
    /// Only a draft that was never published may be deleted: anything students or
    /// moderators have seen is kept (archived) as evidence.
    #[error("only a never-published draft can be deleted; archive this {0} listing instead")]
    NotDeletable(ListingStatus),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    pub id: ListingId,
    pub owner_id: UserId,
    pub status: ListingStatus,
    pub details: ListingDetails,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
    /// Set when an admin took the listing down; cleared when it is published again.
    pub moderation_note: Option<String>,
    /// The stored version this value was read at (or will be written as).
    pub version: crate::Version,
}

crate::closed_set!(
    /// Why the public cannot see a listing (its owner and admins still can, with this
    /// reason). One definition for the detail page, enquiries, the shortlist and search
    /// (which further shows only `published`, not `let`).
    Hidden, "hidden_reason", {
        /// A draft (never published, or taken down) or archived.
        NotPublic => "not_public",
        /// The owner's account is suspended.
        OwnerSuspended => "owner_suspended",
        /// The HMO licence it needs has expired: renew it (a new expiry date) to show it
        /// again.
        LicenceLapsed => "licence_lapsed",
        /// Its city is deactivated.
        CityInactive => "city_inactive",
    }
);

impl Listing {
    /// Why the public can't see this listing on `today` (UK date), if it can't; the
    /// caller knows whether the owner is active and the city is.
    pub fn hidden(&self, today: NaiveDate, owner_active: bool, city_active: bool) -> Option<Hidden> {
        if !matches!(self.status, ListingStatus::Published | ListingStatus::Let) {
            Some(Hidden::NotPublic)
        } else if !owner_active {
            Some(Hidden::OwnerSuspended)
        } else if self.details.searchable_until().is_some_and(|until| until < today) {
            Some(Hidden::LicenceLapsed)
        } else if !city_active {
            Some(Hidden::CityInactive)
        } else {
            None
        }
    }

    /// A new draft. Refused when the details break a rule that already applies.
    pub fn draft(
        id: ListingId,
        owner_id: UserId,
        details: ListingDetails,
        now: DateTime<Utc>,
    ) -> Result<Self, ListingError> {
        let v = details.violations();
        if !v.is_empty() {
            return Err(ListingError::Invalid(v));
        }
        Ok(Self {
            id,
            owner_id,
            status: ListingStatus::Draft,
            details,
            created_at: now,
            updated_at: now,
            published_at: None,
            moderation_note: None,
            version: crate::Version::FIRST,
        })
    }

    /// Applies a patch. A published listing must stay publishable.
    pub fn update(&mut self, patch: ListingPatch, now: DateTime<Utc>) -> Result<(), ListingError> {
        if self.status == ListingStatus::Archived {
            return Err(ListingError::InvalidTransition { from: self.status, action: "edited" });
        }
        let mut next = self.details.clone();
        patch.apply_to(&mut next);
        let v = next.violations();
        if !v.is_empty() {
            return Err(ListingError::Invalid(v));
        }
        if self.status == ListingStatus::Published {
            let missing = next.missing_for_publish(crate::uk_today(now));
            if !missing.is_empty() {
                return Err(ListingError::Incomplete(missing));
            }
        }
        self.details = next;
        self.updated_at = now;
        Ok(())
    }

    /// draft | let | archived → published, when complete.
    pub fn publish(&mut self, now: DateTime<Utc>) -> Result<(), ListingError> {
        if self.status == ListingStatus::Published {
            return Err(ListingError::InvalidTransition { from: self.status, action: "published" });
        }
        let mut problems = self.details.violations();
        problems.extend(self.details.missing_for_publish(crate::uk_today(now)));
        if !problems.is_empty() {
            return Err(ListingError::Incomplete(problems));
        }
        self.status = ListingStatus::Published;
        self.published_at = Some(now);
        self.moderation_note = None;
        self.updated_at = now;
        Ok(())
    }

    /// published → let.
    pub fn mark_let(&mut self, now: DateTime<Utc>) -> Result<(), ListingError> {
        self.transition(&[ListingStatus::Published], ListingStatus::Let, "marked as let", now)
    }

    /// draft | published | let → archived.
    pub fn archive(&mut self, now: DateTime<Utc>) -> Result<(), ListingError> {
        self.transition(
            &[ListingStatus::Draft, ListingStatus::Published, ListingStatus::Let],
            ListingStatus::Archived,
            "archived",
            now,
        )
    }

    /// An admin takes a published listing down with a reason: back to draft.
    pub fn unpublish(&mut self, reason: String, now: DateTime<Utc>) -> Result<(), ListingError> {
        self.transition(&[ListingStatus::Published], ListingStatus::Draft, "unpublished", now)?;
        self.moderation_note = Some(reason);
        Ok(())
    }

    /// Only a draft that was never published can be deleted (a listing an admin took
    /// down is a draft that was published: it keeps its evidence and is archived).
    pub fn check_deletable(&self) -> Result<(), ListingError> {
        if self.status == ListingStatus::Draft && self.published_at.is_none() {
            Ok(())
        } else {
            Err(ListingError::NotDeletable(self.status))
        }
    }

    fn transition(
        &mut self,
        from: &[ListingStatus],
        to: ListingStatus,
        action: &'static str,
        now: DateTime<Utc>,
    ) -> Result<(), ListingError> {
        if !from.contains(&self.status) {
            return Err(ListingError::InvalidTransition { from: self.status, action });
        }
        self.status = to;
        self.updated_at = now;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
