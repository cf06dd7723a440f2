use application::RepositoryError;
use application::audit::AuditEvent;
use application::ports::{AreaChange, CityChange, CityFilter, CityRepository};
use async_trait::async_trait;
use domain::{Area, AreaName, City, CityName, CitySlug};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, TransactionTrait,
};

use crate::audit::record;
use crate::entity::{areas, cities, listings};
use crate::error::{map_db_err, unexpected};

const CITY_TAKEN: &str = "a city with this slug or name exists";
const AREA_TAKEN: &str = "the city has an area of this name";

/// Cities on PostgreSQL or SQLite. Names are unique by the schema (cities by name,
/// areas by city and lower-cased name), so concurrent creations cannot both succeed.
#[derive(Clone)]
pub struct SqlCityRepository {
    db: DatabaseConnection,
}

impl SqlCityRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

fn to_domain(row: &cities::Model, area_rows: Vec<areas::Model>) -> Result<City, RepositoryError> {
    let bad = |e: domain::ValidationError| unexpected(anyhow::anyhow!("stored city is invalid: {e}"));
    let areas = area_rows
        .into_iter()
        .map(|a| AreaName::parse(&a.name).map(|name| Area { name, active: a.active }))
        .collect::<Result<Vec<_>, _>>()
        .map_err(bad)?;
    Ok(City::with_areas(
        CitySlug::parse(&row.slug).map_err(bad)?,
        CityName::parse(&row.name).map_err(bad)?,
        row.active,
        areas,
    ))
}

async fn load<C: ConnectionTrait>(db: &C, slug: &CitySlug) -> Result<Option<City>, RepositoryError> {
    let rows = cities::Entity::find_by_id(slug.as_str().to_owned())
        .find_with_related(areas::Entity)
        .all(db)
        .await
        .map_err(unexpected)?;
    rows.into_iter().next().map(|(c, a)| to_domain(&c, a)).transpose()
}

/// Records the event, reads the city back and commits: the end of every change.
async fn finish(
    txn: DatabaseTransaction,
    slug: &CitySlug,
    audit: &AuditEvent,
) -> Result<Option<City>, RepositoryError> {
    record(&txn, audit).await?;
    let city = load(&txn, slug).await?;
    txn.commit().await.map_err(unexpected)?;
    Ok(city)
}

#[async_trait]
impl CityRepository for SqlCityRepository {
    #[tracing::instrument(name = "db.cities.list", skip_all)]
    async fn list(&self, filter: CityFilter) -> Result<Vec<City>, RepositoryError> {
        crate::observe::op("cities.list", async move {
            let mut q = cities::Entity::find().find_with_related(areas::Entity);
            if filter == CityFilter::Active {
                q = q.filter(cities::Column::Active.eq(true));
            }
            let rows = q
                .order_by_asc(cities::Column::Name)
                .order_by_asc(cities::Column::Slug)
                .all(&self.db)
                .await
                .map_err(unexpected)?;
            rows.into_iter().map(|(c, a)| to_domain(&c, a)).collect()
        })
        .await
    }

    #[tracing::instrument(name = "db.cities.find", skip_all)]
    async fn find(&self, slug: &CitySlug) -> Result<Option<City>, RepositoryError> {
        crate::observe::op("cities.find", async move { load(&self.db, slug).await }).await
    }

    #[tracing::instrument(name = "db.cities.create", skip_all)]
    async fn create(&self, city: &City, audit: &AuditEvent) -> Result<(), RepositoryError> {
        crate::observe::op("cities.create", async move {
            let txn = self.db.begin().await.map_err(unexpected)?;
            let row = cities::ActiveModel {
                slug: Set(city.slug.as_str().to_owned()),
                name: Set(city.name.as_str().to_owned()),
                active: Set(city.active),
                created_at: Set(audit.at),
            };
            cities::Entity::insert(row).exec(&txn).await.map_err(|e| map_db_err(e, CITY_TAKEN))?;
            let rows: Vec<_> = city
                .areas()
                .iter()
                .map(|a| areas::ActiveModel {
                    city_slug: Set(city.slug.as_str().to_owned()),
                    name: Set(a.name.as_str().to_owned()),
                    active: Set(a.active),
                })
                .collect();
            if !rows.is_empty() {
                areas::Entity::insert_many(rows).exec(&txn).await.map_err(|e| map_db_err(e, AREA_TAKEN))?;
            }
            record(&txn, audit).await?;
            txn.commit().await.map_err(unexpected)
        })
        .await
    }

    #[tracing::instrument(name = "db.cities.change", skip_all)]
    async fn change(
        &self,
        slug: &CitySlug,
        change: &CityChange,
        audit: &AuditEvent,
    ) -> Result<Option<City>, RepositoryError> {
        crate::observe::op("cities.change", async move {
            let txn = self.db.begin().await.map_err(unexpected)?;
            // One statement setting only the named columns.
            let mut update = cities::Entity::update_many().filter(cities::Column::Slug.eq(slug.as_str()));
            if let Some(n) = &change.name {
                update = update.col_expr(cities::Column::Name, Expr::value(n.as_str()));
            }
            if let Some(a) = change.active {
                update = update.col_expr(cities::Column::Active, Expr::value(a));
            }
            let touched = if change == &CityChange::default() {
                u64::from(load(&txn, slug).await?.is_some())
            } else {
                update.exec(&txn).await.map_err(|e| map_db_err(e, CITY_TAKEN))?.rows_affected
            };
            if touched == 0 {
                return Ok(None);
            }
            finish(txn, slug, audit).await
        })
        .await
    }

    #[tracing::instrument(name = "db.cities.add_area", skip_all)]
    async fn add_area(
        &self,
        slug: &CitySlug,
        name: &AreaName,
        audit: &AuditEvent,
    ) -> Result<Option<City>, RepositoryError> {
        crate::observe::op("cities.add_area", async move {
            let txn = self.db.begin().await.map_err(unexpected)?;
            if load(&txn, slug).await?.is_none() {
                return Ok(None);
            }
            let row = areas::ActiveModel {
                city_slug: Set(slug.as_str().to_owned()),
                name: Set(name.as_str().to_owned()),
                active: Set(true),
            };
            areas::Entity::insert(row).exec(&txn).await.map_err(|e| map_db_err(e, AREA_TAKEN))?;
            finish(txn, slug, audit).await
        })
        .await
    }

    #[tracing::instrument(name = "db.cities.change_area", skip_all)]
    async fn change_area(
        &self,
        slug: &CitySlug,
        current: &AreaName,
        change: &AreaChange,
        audit: &AuditEvent,
    ) -> Result<Option<City>, RepositoryError> {
        crate::observe::op("cities.change_area", async move {
            let txn = self.db.begin().await.map_err(unexpected)?;
            let this_area = || areas::Column::CitySlug.eq(slug.as_str()).and(areas::Column::Name.eq(current.as_str()));
            let touched = if change == &AreaChange::default() {
                areas::Entity::find().filter(this_area()).all(&txn).await.map_err(unexpected)?.len() as u64
            } else {
                let mut update = areas::Entity::update_many().filter(this_area());
                if let Some(n) = &change.name {
                    update = update.col_expr(areas::Column::Name, Expr::value(n.as_str()));
                }
                if let Some(a) = change.active {
                    update = update.col_expr(areas::Column::Active, Expr::value(a));
                }
                update.exec(&txn).await.map_err(|e| map_db_err(e, AREA_TAKEN))?.rows_affected
            };
            if touched == 0 {
                return Ok(None);
            }
            if let Some(new) = change.name.as_ref().filter(|n| *n != current) {
                // The listings in the area move with it, each to its next version.
                listings::Entity::update_many()
                    .col_expr(listings::Column::Area, Expr::value(new.as_str()))
                    .col_expr(listings::Column::Version, Expr::col(listings::Column::Version).add(1))
                    .col_expr(listings::Column::UpdatedAt, Expr::value(audit.at))
                    .filter(listings::Column::City.eq(slug.as_str()))
                    .filter(listings::Column::Area.eq(current.as_str()))
                    .exec(&txn)
                    .await
                    .map_err(unexpected)?;
            }
            finish(txn, slug, audit).await
        })
        .await
    }
}
