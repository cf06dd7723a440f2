use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use application::RepositoryError;
use application::audit::AuditEvent;
use application::paging::{Page, PageRequest};
use application::ports::listings::ESTIMATE_CAP;
use application::ports::{ListingRepository, Precondition, SearchQuery, SearchSort, SiteStats};
use async_trait::async_trait;
use chrono::NaiveDate;
use domain::listing::{Listing, ListingCard, ListingId, ListingStatus};
use domain::{CitySlug, User, UserId, Version};

use crate::InMemoryCityRepository;
use crate::store::{Shared, State, micros, page, unexpected};

/// Listings of an [`InMemoryStore`](crate::InMemoryStore), with the reference
/// implementation of search that the SQL adapter is tested against.
#[derive(Clone)]
pub struct InMemoryListingRepository {
    state: Shared,
    cities: Arc<InMemoryCityRepository>,
}

impl InMemoryListingRepository {
    pub(crate) fn new(state: Shared, cities: Arc<InMemoryCityRepository>) -> Self {
        Self { state, cities }
    }

    /// Visible listings matching the query's filters, unordered.
    fn matching(&self, query: &SearchQuery, today: NaiveDate) -> Vec<Listing> {
        let s = self.state.read();
        s.listings
            .values()
            .filter(|l| visible(l, &s.users, &self.cities, today) && matches(l, query))
            .cloned()
            .collect()
    }

    /// The references a stored listing must satisfy: its owner and city exist.
    fn check_refs(&self, s: &State, l: &Listing) -> Result<(), RepositoryError> {
        s.check_user(l.owner_id, "owner")?;
        if let Some(city) = &l.details.city
            && !self.cities.contains(city)
        {
            return Err(unexpected(format!("city {city} does not exist")));
        }
        Ok(())
    }
}

/// Public on `today`: `Listing::hidden` says nothing against it.
pub(crate) fn public(
    l: &Listing,
    users: &std::collections::HashMap<UserId, User>,
    cities: &InMemoryCityRepository,
    today: NaiveDate,
) -> bool {
    let owner_active = users.get(&l.owner_id).is_some_and(|u| !u.suspended);
    let city_active = l.details.city.as_ref().is_some_and(|c| cities.is_active(c));
    l.hidden(today, owner_active, city_active).is_none()
}

/// Visible (in search, counts and stats): public and published.
pub(crate) fn visible(
    l: &Listing,
    users: &std::collections::HashMap<UserId, User>,
    cities: &InMemoryCityRepository,
    today: NaiveDate,
) -> bool {
    l.status == ListingStatus::Published && public(l, users, cities, today)
}

/// Lower-cased words (runs of letters and digits).
fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase)
}

/// Free text: every word of `q` begins a word of the title, description or area
/// (ignoring case). This approximates PostgreSQL full-text search, which also matches
/// "garden" in "gardens" (by stemming); a `q` without words does not filter.
fn text_matches(l: &Listing, q: &str) -> bool {
    let d = &l.details;
    let haystack: Vec<String> = [
        d.title.as_ref().map(|t| t.as_str()),
        d.description.as_ref().map(|t| t.as_str()),
        d.area.as_ref().map(|a| a.as_str()),
    ]
    .into_iter()
    .flatten()
    .flat_map(words)
    .collect();
    words(q).all(|term| haystack.iter().any(|w| w.starts_with(&term)))
}

/// Every filter of the query holds. A filter on a field the listing lacks fails.
fn matches(l: &Listing, q: &SearchQuery) -> bool {
    let d = &l.details;
    let rent = d.rent_pppw.map(domain::Pence::get);
    let lower = |s: &str| s.to_lowercase();
    q.city.as_ref().is_none_or(|c| d.city.as_ref() == Some(c))
        && q.area.as_ref().is_none_or(|a| d.area.as_ref().is_some_and(|x| lower(x.as_str()) == lower(a.as_str())))
        && q.min_rent.is_none_or(|min| rent.is_some_and(|r| r >= min))
        && q.max_rent.is_none_or(|max| rent.is_some_and(|r| r <= max))
        && q.bedrooms_min.is_none_or(|min| d.bedrooms.is_some_and(|b| b >= min))
        && q.bedrooms_max.is_none_or(|max| d.bedrooms.is_some_and(|b| b <= max))
        && q.property_type.is_none_or(|t| d.property_type == Some(t))
        && q.bills_included.is_none_or(|b| d.bills_included == b)
        && q.ensuite.is_none_or(|e| (d.ensuite_rooms > 0) == e)
        && q.furnished.is_none_or(|f| d.furnished == f)
        && q.available_from.is_none_or(|by| d.available_from.is_some_and(|a| a <= by))
        && q.academic_year.is_none_or(|y| d.academic_year == Some(y))
        && d.features.contains_all(q.features)
        && q.q.as_deref().is_none_or(|text| text_matches(l, text))
}

#[async_trait]
impl ListingRepository for InMemoryListingRepository {
    async fn insert(&self, listing: &Listing, audit: &AuditEvent) -> Result<(), RepositoryError> {
        let mut s = self.state.write();
        if s.listings.contains_key(&listing.id) {
            return Err(unexpected(format!("listing {} exists already", listing.id)));
        }
        self.check_refs(&s, listing)?;
        s.check_event(audit)?;
        s.listings.insert(listing.id, listing.clone());
        s.audit.push(audit.clone());
        Ok(())
    }

    async fn update(
        &self,
        listing: &Listing,
        expected: Precondition,
        audit: &AuditEvent,
    ) -> Result<(), RepositoryError> {
        let mut s = self.state.write();
        if s.listings.get(&listing.id).is_none_or(|l| Precondition::of(l) != expected) {
            return Err(RepositoryError::Stale);
        }
        self.check_refs(&s, listing)?;
        s.check_event(audit)?;
        s.listings.insert(listing.id, listing.clone());
        s.audit.push(audit.clone());
        Ok(())
    }

    async fn delete(&self, id: ListingId, expected: Version, audit: &AuditEvent) -> Result<(), RepositoryError> {
        let mut s = self.state.write();
        let deletable = s
            .listings
            .get(&id)
            .is_some_and(|l| l.version == expected && l.status == ListingStatus::Draft && l.published_at.is_none())
            && !s.enquiries.values().any(|e| e.listing_id == id);
        if !deletable {
            return Err(RepositoryError::Stale);
        }
        s.check_event(audit)?;
        s.listings.remove(&id);
        s.shortlist.retain(|(_, l), _| *l != id);
        s.photos.retain(|_, p| p.listing_id != id);
        s.audit.push(audit.clone());
        Ok(())
    }

    async fn find(&self, id: ListingId) -> Result<Option<Listing>, RepositoryError> {
        Ok(self.state.read().listings.get(&id).cloned())
    }

    async fn list_by_owner(&self, owner: UserId, req: PageRequest) -> Result<Page<Listing>, RepositoryError> {
        let rows: Vec<Listing> = self.state.read().listings.values().filter(|l| l.owner_id == owner).cloned().collect();
        Ok(page(rows, req, 0, true, |l| (micros(l.created_at), l.id.0)))
    }

    async fn lapsed_licences(
        &self,
        today: NaiveDate,
        after: Option<ListingId>,
        limit: u32,
    ) -> Result<Vec<Listing>, RepositoryError> {
        let mut rows: Vec<Listing> = self
            .state
            .read()
            .listings
            .values()
            .filter(|l| l.status == ListingStatus::Published)
            .filter(|l| l.details.searchable_until().is_some_and(|until| until < today))
            .filter(|l| after.is_none_or(|a| l.id.0 > a.0))
            .cloned()
            .collect();
        rows.sort_by_key(|l| l.id.0);
        rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok(rows)
    }

    async fn search(&self, query: &SearchQuery, today: NaiveDate) -> Result<Page<ListingCard>, RepositoryError> {
        let rows = self
            .matching(query, today)
            .iter()
            .map(|l| l.card().ok_or_else(|| unexpected(format!("published listing {} has no card", l.id))))
            .collect::<Result<Vec<_>, _>>()?;
        let req = query.page.unwrap_or(PageRequest::first(PageRequest::DEFAULT_SIZE));
        let sort = query.sort;
        let descending = sort != SearchSort::RentAsc;
        Ok(page(rows, req, sort.tag(), descending, |l| (sort.key_of(l), l.id.0)))
    }

    async fn count(&self, query: &SearchQuery, today: NaiveDate) -> Result<u64, RepositoryError> {
        Ok(u64::try_from(self.matching(query, today).len()).unwrap_or(u64::MAX).min(ESTIMATE_CAP))
    }

    async fn visible_counts_by_city(&self, today: NaiveDate) -> Result<Vec<(CitySlug, u64)>, RepositoryError> {
        let s = self.state.read();
        let mut counts: BTreeMap<CitySlug, u64> = BTreeMap::new();
        for l in s.listings.values().filter(|l| visible(l, &s.users, &self.cities, today)) {
            if let Some(city) = &l.details.city {
                *counts.entry(city.clone()).or_default() += 1;
            }
        }
        Ok(counts.into_iter().collect())
    }

    async fn stats(&self, today: NaiveDate) -> Result<SiteStats, RepositoryError> {
        let s = self.state.read();
        let shown: Vec<&Listing> = s.listings.values().filter(|l| visible(l, &s.users, &self.cities, today)).collect();
        let cities: BTreeSet<&CitySlug> = shown.iter().filter_map(|l| l.details.city.as_ref()).collect();
        let landlords = s.users.values().filter(|u| u.role.can_list() && !u.suspended).count();
        let count = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
        Ok(SiteStats { listings: count(shown.len()), cities: count(cities.len()), landlords: count(landlords) })
    }
}

#[cfg(test)]
mod tests {
    use domain::AreaName;
    use domain::listing::{Description, ListingDetails, Title};

    use super::*;

    fn with_text(title: &str, description: &str, area: &str) -> Listing {
        Listing {
            id: ListingId(uuid::Uuid::nil()),
            owner_id: UserId(uuid::Uuid::nil()),
            status: ListingStatus::Published,
            details: ListingDetails {
                title: Some(Title::parse(title).unwrap()),
                description: Some(Description::parse(description).unwrap()),
                area: Some(AreaName::parse(area).unwrap()),
                ..ListingDetails::default()
            },
            created_at: chrono::DateTime::UNIX_EPOCH,
            updated_at: chrono::DateTime::UNIX_EPOCH,
            published_at: None,
            version: domain::Version::FIRST,
            moderation_note: None,
        }
    }

    #[test]
    fn free_text_matches_word_beginnings_in_any_field() {
        let l = with_text("Bright house", "Two gardens, one shed.", "Hyde Park");
        for q in ["bright", "GARDEN", "gardens", "park", "hyde park", "  shed!  ", "", "   "] {
            assert!(text_matches(&l, q), "{q:?}");
        }
        for q in ["arden", "pool", "bright pool", "ouse"] {
            assert!(!text_matches(&l, q), "{q:?}");
        }
    }
}
