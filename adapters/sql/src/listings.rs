use application::RepositoryError;
use application::audit::AuditEvent;
use application::paging::{Page, PageRequest};
use application::ports::listings::ESTIMATE_CAP;
use application::ports::{ListingRepository, Precondition, SearchQuery, SiteStats};
use async_trait::async_trait;
use chrono::NaiveDate;
use domain::listing::{
    AcademicYear, AddressLine, Bill, Bills, CouncilTax, Description, EpcExemptionRef, EpcRating, Features,
    HmoLicenceNumber, Listing, ListingCard, ListingDetails, ListingId, ListingStatus, Postcode, PropertyType,
    TenancyType, Title, Utility, bounds, excerpt,
};
use domain::{AreaName, CitySlug, Pence, Role, UserId, ValidationError, Version};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, FromQueryResult, QueryFilter, TransactionTrait,
};

use crate::audit::record;
use crate::card::CardRow;
use crate::entity::listings::{self, Column};
use crate::entity::{shortlists, users};
use crate::error::map_db_err;
use crate::rows::{corrupt, newest_first, read_version, stored, stored_version};
use crate::search::{page_of, search_count_statement, search_statement, visible};

/// Listings and their search on PostgreSQL or SQLite.
#[derive(Clone)]
pub struct SqlListingRepository {
    db: DatabaseConnection,
}

impl SqlListingRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

fn small(n: u8) -> i16 {
    i16::from(n)
}

pub(crate) fn to_row(l: &Listing) -> Result<listings::ActiveModel, RepositoryError> {
    let d = &l.details;
    let text = |v: Option<&str>| v.map(str::to_owned);
    Ok(listings::ActiveModel {
        id: Set(l.id.0),
        owner_id: Set(l.owner_id.0),
        status: Set(l.status.as_str().to_owned()),
        title: Set(text(d.title.as_ref().map(Title::as_str))),
        description: Set(text(d.description.as_ref().map(Description::as_str))),
        excerpt: Set(d.description.as_ref().map(|t| excerpt(t.as_str()))),
        city: Set(text(d.city.as_ref().map(CitySlug::as_str))),
        area: Set(text(d.area.as_ref().map(AreaName::as_str))),
        address_line: Set(text(d.address_line.as_ref().map(AddressLine::as_str))),
        postcode: Set(text(d.postcode.as_ref().map(Postcode::as_str))),
        postcode_outward: Set(text(d.postcode.as_ref().map(Postcode::outward))),
        property_type: Set(d.property_type.map(|p| p.as_str().to_owned())),
        bedrooms: Set(d.bedrooms.map(small)),
        bathrooms: Set(d.bathrooms.map(small)),
        ensuite_rooms: Set(small(d.ensuite_rooms)),
        rent_pppw_pence: Set(d.rent_pppw.map(Pence::get)),
        bills_included: Set(d.bills_included),
        deposit_pence: Set(d.deposit.map(Pence::get)),
        available_from: Set(d.available_from),
        // Out of range only if built around `AcademicYear::parse`; the CHECK refuses it.
        academic_year: Set(d.academic_year.map(|y| i16::try_from(y.start_year()).unwrap_or(i16::MAX))),
        tenancy_months: Set(d.tenancy_months.map(small)),
        tenancy_type: Set(d.tenancy_type.map(|t| t.as_str().to_owned())),
        furnished: Set(d.furnished),
        features_mask: Set(d.features.mask()),
        hmo_licence: Set(text(d.hmo_licence.as_ref().map(HmoLicenceNumber::as_str))),
        hmo_licence_expires: Set(d.hmo_licence_expires),
        epc_rating: Set(d.epc_rating.map(|e| e.as_str().to_owned())),
        searchable_until: Set(d.searchable_until()),
        moderation_note: Set(l.moderation_note.clone()),
        created_at: Set(stored(l.created_at)),
        updated_at: Set(stored(l.updated_at)),
        published_at: Set(l.published_at.map(stored)),
        version: Set(stored_version(l.version)?),
        max_occupants: Set(d.max_occupants.map(small)),
        single_household: Set(d.single_household),
        epc_expires: Set(d.epc_expires),
        epc_exemption: Set(text(d.epc_exemption.as_ref().map(EpcExemptionRef::as_str))),
        council_tax: Set(d.council_tax.map(|c| c.as_str().to_owned())),
        bills: Set(bills_json(&d.bills)),
    })
}

/// How `bills` is stored: `[{"utility": "gas", "cap_pence_per_month": 4000}]`.
#[derive(serde::Serialize, serde::Deserialize)]
struct StoredBill {
    utility: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cap_pence_per_month: Option<i64>,
}

fn bills_json(b: &Bills) -> String {
    let rows: Vec<StoredBill> = b
        .as_slice()
        .iter()
        .map(|b| StoredBill {
            utility: b.utility.as_str().to_owned(),
            cap_pence_per_month: b.cap_pence_per_month.map(Pence::get),
        })
        .collect();
    serde_json::to_string(&rows).unwrap_or_else(|_| "[]".to_owned())
}

fn bills_from_json(id: uuid::Uuid, raw: &str) -> Result<Bills, RepositoryError> {
    let bad = |why: &dyn std::fmt::Display| corrupt("listing", id, "bills", why);
    let rows: Vec<StoredBill> = serde_json::from_str(raw).map_err(|e| bad(&e))?;
    let bills = rows
        .into_iter()
        .map(|r| {
            Ok(Bill {
                utility: Utility::parse(&r.utility).map_err(|e| bad(&e))?,
                cap_pence_per_month: r
                    .cap_pence_per_month
                    .map(|c| Pence::new("cap_pence_per_month", c, Bills::MAX_CAP_PENCE_PER_MONTH))
                    .transpose()
                    .map_err(|e| bad(&e))?,
            })
        })
        .collect::<Result<Vec<_>, RepositoryError>>()?;
    Bills::new(bills).map_err(|e| bad(&e))
}

fn parse<T>(
    id: uuid::Uuid,
    field: &str,
    v: Option<String>,
    f: fn(&str) -> Result<T, ValidationError>,
) -> Result<Option<T>, RepositoryError> {
    v.map(|s| f(&s)).transpose().map_err(|e| corrupt("listing", id, field, e))
}

/// A stored listing back through the domain's constructors.
pub(crate) fn to_domain(m: listings::Model) -> Result<Listing, RepositoryError> {
    let id = m.id;
    let bad = |field: &str, why: &dyn std::fmt::Display| corrupt("listing", id, field, why);
    let count = |field: &'static str, v: i16| u8::try_from(v).map_err(|e| bad(field, &e));
    let pence = |field: &'static str, v: Option<i64>, max: i64| {
        v.map(|p| Pence::new(field, p, max)).transpose().map_err(|e| bad(field, &e))
    };
    let academic_year = match m.academic_year {
        None => None,
        Some(y) => match u16::try_from(y) {
            Ok(y) if (2000..=2098).contains(&y) => Some(AcademicYear::starting(y)),
            _ => return Err(bad("academic_year", &y)),
        },
    };
    let details = ListingDetails {
        title: parse(id, "title", m.title, Title::parse)?,
        description: parse(id, "description", m.description, Description::parse)?,
        city: parse(id, "city", m.city, CitySlug::parse)?,
        area: parse(id, "area", m.area, AreaName::parse)?,
        address_line: parse(id, "address_line", m.address_line, AddressLine::parse)?,
        postcode: parse(id, "postcode", m.postcode, Postcode::parse)?,
        property_type: parse(id, "property_type", m.property_type, PropertyType::parse)?,
        bedrooms: m.bedrooms.map(|b| count("bedrooms", b)).transpose()?,
        bathrooms: m.bathrooms.map(|b| count("bathrooms", b)).transpose()?,
        ensuite_rooms: count("ensuite_rooms", m.ensuite_rooms)?,
        rent_pppw: pence("rent_pppw_pence", m.rent_pppw_pence, bounds::MAX_RENT_PPPW_PENCE)?,
        bills_included: m.bills_included,
        deposit: pence("deposit_pence", m.deposit_pence, bounds::MAX_DEPOSIT_PENCE)?,
        available_from: m.available_from,
        academic_year,
        tenancy_months: m.tenancy_months.map(|t| count("tenancy_months", t)).transpose()?,
        tenancy_type: parse(id, "tenancy_type", m.tenancy_type, TenancyType::parse)?,
        furnished: m.furnished,
        features: Features::from_mask(m.features_mask),
        hmo_licence: parse(id, "hmo_licence", m.hmo_licence, HmoLicenceNumber::parse)?,
        hmo_licence_expires: m.hmo_licence_expires,
        epc_rating: parse(id, "epc_rating", m.epc_rating, EpcRating::parse)?,
        epc_expires: m.epc_expires,
        epc_exemption: parse(id, "epc_exemption", m.epc_exemption, EpcExemptionRef::parse)?,
        max_occupants: m.max_occupants.map(|n| count("max_occupants", n)).transpose()?,
        single_household: m.single_household,
        council_tax: parse(id, "council_tax", m.council_tax, CouncilTax::parse)?,
        bills: bills_from_json(id, &m.bills)?,
    };
    Ok(Listing {
        id: ListingId(m.id),
        owner_id: UserId(m.owner_id),
        status: ListingStatus::parse(&m.status).map_err(|e| bad("status", &e))?,
        details,
        created_at: m.created_at,
        updated_at: m.updated_at,
        published_at: m.published_at,
        moderation_note: m.moderation_note,
        version: read_version("listing", id, m.version)?,
    })
}

fn count_of(row: Option<&sea_orm::QueryResult>, col: &str) -> Result<u64, RepositoryError> {
    let n: i64 = match row {
        Some(r) => r.try_get("", col).map_err(crate::error::unexpected)?,
        None => 0,
    };
    u64::try_from(n).map_err(crate::error::unexpected)
}

#[async_trait]
impl ListingRepository for SqlListingRepository {
    #[tracing::instrument(name = "db.listings.insert", skip_all)]
    async fn insert(&self, listing: &Listing, audit: &AuditEvent) -> Result<(), RepositoryError> {
        crate::observe::op("listings.insert", async move {
            let txn = self.db.begin().await.map_err(crate::error::unexpected)?;
            listings::Entity::insert(to_row(listing)?)
                .exec_without_returning(&txn)
                .await
                .map_err(|e| map_db_err(e, "a listing with this id exists"))?;
            record(&txn, audit).await?;
            txn.commit().await.map_err(crate::error::unexpected)
        })
        .await
    }

    #[tracing::instrument(name = "db.listings.update", skip_all)]
    async fn update(
        &self,
        listing: &Listing,
        expected: Precondition,
        audit: &AuditEvent,
    ) -> Result<(), RepositoryError> {
        crate::observe::op("listings.update", async move {
            let row = listings::ActiveModel { id: NotSet, ..to_row(listing)? };
            let txn = self.db.begin().await.map_err(crate::error::unexpected)?;
            let res = listings::Entity::update_many()
                .set(row)
                .filter(Column::Id.eq(listing.id.0))
                .filter(Column::Version.eq(stored_version(expected.version)?))
                .filter(Column::Status.eq(expected.status.as_str()))
                .exec(&txn)
                .await
                .map_err(crate::error::unexpected)?;
            if res.rows_affected == 0 {
                return Err(RepositoryError::Stale);
            }
            record(&txn, audit).await?;
            txn.commit().await.map_err(crate::error::unexpected)
        })
        .await
    }

    #[tracing::instrument(name = "db.listings.delete", skip_all)]
    async fn delete(&self, id: ListingId, expected: Version, audit: &AuditEvent) -> Result<(), RepositoryError> {
        crate::observe::op("listings.delete", async move {
            use crate::entity::enquiries;
            let txn = self.db.begin().await.map_err(crate::error::unexpected)?;
            // Every condition in the statement: a concurrent publish, change or enquiry makes
            // it delete nothing.
            let res = listings::Entity::delete_many()
                .filter(Column::Id.eq(id.0))
                .filter(Column::Version.eq(stored_version(expected)?))
                .filter(Column::Status.eq(ListingStatus::Draft.as_str()))
                .filter(Column::PublishedAt.is_null())
                .filter(
                    Expr::exists(
                        Query::select()
                            .expr(Expr::val(1))
                            .from(enquiries::Entity)
                            .and_where(Expr::col((enquiries::Entity, enquiries::Column::ListingId)).eq(id.0))
                            .to_owned(),
                    )
                    .not(),
                )
                .exec(&txn)
                .await
                .map_err(crate::error::unexpected)?;
            if res.rows_affected == 0 {
                return Err(RepositoryError::Stale);
            }
            // The foreign keys cascade too; deleting explicitly does not depend on SQLite's
            // `foreign_keys` pragma being on.
            shortlists::Entity::delete_many()
                .filter(shortlists::Column::ListingId.eq(id.0))
                .exec(&txn)
                .await
                .map_err(crate::error::unexpected)?;
            record(&txn, audit).await?;
            txn.commit().await.map_err(crate::error::unexpected)
        })
        .await
    }

    #[tracing::instrument(name = "db.listings.find", skip_all)]
    async fn find(&self, id: ListingId) -> Result<Option<Listing>, RepositoryError> {
        crate::observe::op("listings.find", async move {
            let row = listings::Entity::find_by_id(id.0).one(&self.db).await.map_err(crate::error::unexpected)?;
            row.map(to_domain).transpose()
        })
        .await
    }

    #[tracing::instrument(name = "db.listings.list_by_owner", skip_all)]
    async fn list_by_owner(&self, owner: UserId, page: PageRequest) -> Result<Page<Listing>, RepositoryError> {
        crate::observe::op("listings.list_by_owner", async move {
            let q = listings::Entity::find().filter(Column::OwnerId.eq(owner.0));
            let rows = newest_first(&self.db, q, Column::CreatedAt, Column::Id, page).await?;
            let items = rows.into_iter().map(to_domain).collect::<Result<Vec<_>, _>>()?;
            Ok(Page::from_rows(items, page.size, 0, |l| (l.created_at.timestamp_micros(), l.id.0)))
        })
        .await
    }

    #[tracing::instrument(name = "db.listings.lapsed_licences", skip_all)]
    async fn lapsed_licences(
        &self,
        today: NaiveDate,
        after: Option<ListingId>,
        limit: u32,
    ) -> Result<Vec<Listing>, RepositoryError> {
        crate::observe::op("listings.lapsed_licences", async move {
            use sea_orm::{QueryOrder, QuerySelect};
            let mut q = listings::Entity::find();
            if let Some(a) = after {
                q = q.filter(Column::Id.gt(a.0));
            }
            let rows = q
                .filter(Column::Status.eq(ListingStatus::Published.as_str()))
                .filter(Column::SearchableUntil.lt(today))
                .order_by_asc(Column::Id)
                .limit(u64::from(limit))
                .all(&self.db)
                .await
                .map_err(crate::error::unexpected)?;
            rows.into_iter().map(to_domain).collect()
        })
        .await
    }

    #[tracing::instrument(name = "db.listings.search", skip_all)]
    async fn search(&self, query: &SearchQuery, today: NaiveDate) -> Result<Page<ListingCard>, RepositoryError> {
        crate::observe::op("listings.search", async move {
            let backend = self.db.get_database_backend();
            let page = page_of(query);
            let rows = CardRow::find_by_statement(search_statement(query, today, backend))
                .all(&self.db)
                .await
                .map_err(crate::error::unexpected)?;
            let items = rows.into_iter().map(CardRow::into_card).collect::<Result<Vec<_>, _>>()?;
            let sort = query.sort;
            Ok(Page::from_rows(items, page.size, sort.tag(), |l| (sort.key_of(l), l.id.0)))
        })
        .await
    }

    #[tracing::instrument(name = "db.listings.count", skip_all)]
    async fn count(&self, query: &SearchQuery, today: NaiveDate) -> Result<u64, RepositoryError> {
        crate::observe::op("listings.count", async move {
            let backend = self.db.get_database_backend();
            let row = self
                .db
                .query_one_raw(search_count_statement(query, today, backend))
                .await
                .map_err(crate::error::unexpected)?;
            Ok(Ord::min(count_of(row.as_ref(), "n")?, ESTIMATE_CAP))
        })
        .await
    }

    #[tracing::instrument(name = "db.listings.visible_counts_by_city", skip_all)]
    async fn visible_counts_by_city(&self, today: NaiveDate) -> Result<Vec<(CitySlug, u64)>, RepositoryError> {
        crate::observe::op("listings.visible_counts_by_city", async move {
            let st = Query::select()
                .column((listings::Entity, Column::City))
                .expr_as(Expr::cust("count(*)"), Alias::new("n"))
                .from(listings::Entity)
                .cond_where(visible(today))
                .and_where(Expr::col((listings::Entity, Column::City)).is_not_null())
                .group_by_col((listings::Entity, Column::City))
                .order_by((listings::Entity, Column::City), sea_orm::Order::Asc)
                .to_owned();
            let rows = self.db.query_all(&st).await.map_err(crate::error::unexpected)?;
            rows.iter()
                .map(|r| {
                    let slug: String = r.try_get("", "city").map_err(crate::error::unexpected)?;
                    let slug = CitySlug::parse(&slug).map_err(|e| corrupt("listing", "(count)", "city", e))?;
                    Ok((slug, count_of(Some(r), "n")?))
                })
                .collect()
        })
        .await
    }

    #[tracing::instrument(name = "db.listings.stats", skip_all)]
    async fn stats(&self, today: NaiveDate) -> Result<SiteStats, RepositoryError> {
        crate::observe::op("listings.stats", async move {
            let listings_st = Query::select()
                .expr_as(Expr::cust("count(*)"), Alias::new("listings"))
                .expr_as(Expr::col((listings::Entity, Column::City)).count_distinct(), Alias::new("cities"))
                .from(listings::Entity)
                .cond_where(visible(today))
                .to_owned();
            let landlords_st = Query::select()
                .expr_as(Expr::cust("count(*)"), Alias::new("landlords"))
                .from(users::Entity)
                .and_where(Expr::col(users::Column::Role).is_in([Role::Landlord.as_str(), Role::Agent.as_str()]))
                .and_where(Expr::col(users::Column::Suspended).eq(false))
                .to_owned();
            let l = self.db.query_one(&listings_st).await.map_err(crate::error::unexpected)?;
            let u = self.db.query_one(&landlords_st).await.map_err(crate::error::unexpected)?;
            Ok(SiteStats {
                listings: count_of(l.as_ref(), "listings")?,
                cities: count_of(l.as_ref(), "cities")?,
                landlords: count_of(u.as_ref(), "landlords")?,
            })
        })
        .await
    }
}
