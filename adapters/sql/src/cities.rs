use application::RepositoryError;
use application::ports::{CityFilter, CityRepository};
use async_trait::async_trait;
use domain::{AreaName, City, CityName, CitySlug};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, TransactionTrait,
};

use crate::entity::{areas, cities};
use crate::error::map_db_err;

/// Cities on PostgreSQL or SQLite.
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
    let bad = |e: domain::ValidationError| crate::error::unexpected(anyhow::anyhow!("stored city is invalid: {e}"));
    let areas = area_rows.into_iter().map(|a| AreaName::parse(&a.name)).collect::<Result<Vec<_>, _>>().map_err(bad)?;
    Ok(City::new(CitySlug::parse(&row.slug).map_err(bad)?, CityName::parse(&row.name).map_err(bad)?, row.active, areas))
}

#[async_trait]
impl CityRepository for SqlCityRepository {
    async fn list(&self, filter: CityFilter) -> Result<Vec<City>, RepositoryError> {
        let mut q = cities::Entity::find().find_with_related(areas::Entity);
        if filter == CityFilter::Active {
            q = q.filter(cities::Column::Active.eq(true));
        }
        let rows = q
            .order_by_asc(cities::Column::Name)
            .order_by_asc(cities::Column::Slug)
            .all(&self.db)
            .await
            .map_err(crate::error::unexpected)?;
        rows.into_iter().map(|(c, a)| to_domain(&c, a)).collect()
    }

    async fn find(&self, slug: &CitySlug) -> Result<Option<City>, RepositoryError> {
        let rows = cities::Entity::find_by_id(slug.as_str().to_owned())
            .find_with_related(areas::Entity)
            .all(&self.db)
            .await
            .map_err(crate::error::unexpected)?;
        rows.into_iter().next().map(|(c, a)| to_domain(&c, a)).transpose()
    }

    async fn save(&self, city: &City) -> Result<(), RepositoryError> {
        let conflict = "a city with this name exists";
        let txn = self.db.begin().await.map_err(crate::error::unexpected)?;
        let row = cities::ActiveModel {
            slug: Set(city.slug.as_str().to_owned()),
            name: Set(city.name.as_str().to_owned()),
            active: Set(city.active),
            created_at: Set(chrono::Utc::now()),
        };
        cities::Entity::insert(row)
            .on_conflict(
                OnConflict::column(cities::Column::Slug)
                    .update_columns([cities::Column::Name, cities::Column::Active])
                    .to_owned(),
            )
            .exec(&txn)
            .await
            .map_err(|e| map_db_err(e, conflict))?;
        if !city.areas().is_empty() {
            let existing: Vec<String> = areas::Entity::find()
                .filter(areas::Column::CitySlug.eq(city.slug.as_str()))
                .all(&txn)
                .await
                .map_err(crate::error::unexpected)?
                .into_iter()
                .map(|a| a.name.to_lowercase())
                .collect();
            let new: Vec<_> = city
                .areas()
                .iter()
                .filter(|a| !existing.contains(&a.name.as_str().to_lowercase()))
                .map(|a| areas::ActiveModel {
                    city_slug: Set(city.slug.as_str().to_owned()),
                    name: Set(a.name.as_str().to_owned()),
                })
                .collect();
            if !new.is_empty() {
                areas::Entity::insert_many(new)
                    .on_conflict_do_nothing_on([areas::Column::CitySlug, areas::Column::Name])
                    .exec(&txn)
                    .await
                    .map_err(crate::error::unexpected)?;
            }
        }
        txn.commit().await.map_err(crate::error::unexpected)
    }
}
