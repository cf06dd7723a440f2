//! The SQL of listing search, built with sea-query (every value from the query is bound).
//!
//! Public so that the query-plan test (`tests/tests/search_plan.rs`) and the EXPLAIN
//! script (`scripts/explain-search.sh`, through `examples/search_sql.rs`) check exactly
//! the statements the repository runs. `docs/search.md` lists the shapes and indexes.

use application::paging::{Cursor, PageRequest};
use application::ports::listings::ESTIMATE_CAP;
use application::ports::{SearchQuery, SearchSort};
use chrono::NaiveDate;
use domain::CitySlug;
use domain::listing::{Feature, Features, ListingStatus, PropertyType};
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, Func, Query, SelectStatement};
use sea_orm::{DatabaseBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Statement};

use crate::card::CARD_COLUMNS;
use crate::entity::{cities, listings, users};
use crate::rows::{after, before, contains, ts_of_key};

use listings::Column as L;

fn col(c: L) -> Expr {
    Expr::col((listings::Entity, c))
}

/// The rest of "public" beside the status (`domain::listing::Listing::hidden`): owner
/// not suspended, licence not lapsed on `today`, city active.
fn public_beside_status(today: NaiveDate) -> Condition {
    let active_owner = Query::select()
        .expr(Expr::cust("1"))
        .from(users::Entity)
        .and_where(Expr::col((users::Entity, users::Column::Id)).equals((listings::Entity, L::OwnerId)))
        .and_where(Expr::col((users::Entity, users::Column::Suspended)).eq(false))
        .to_owned();
    let active_city = Query::select()
        .expr(Expr::cust("1"))
        .from(cities::Entity)
        .and_where(Expr::col((cities::Entity, cities::Column::Slug)).equals((listings::Entity, L::City)))
        .and_where(Expr::col((cities::Entity, cities::Column::Active)).eq(true))
        .to_owned();
    Condition::all()
        .add(Condition::any().add(col(L::SearchableUntil).is_null()).add(col(L::SearchableUntil).gte(today)))
        .add(Expr::exists(active_owner))
        .add(Expr::exists(active_city))
}

/// What the public may see on `today` (the detail page, shortlist cards): published or
/// let, and [`public_beside_status`].
pub(crate) fn public(today: NaiveDate) -> Condition {
    Condition::all()
        .add(col(L::Status).is_in([ListingStatus::Published.as_str(), ListingStatus::Let.as_str()]))
        .add(public_beside_status(today))
}

/// What "visible" means (see `ListingRepository`): public and published.
///
/// `status = 'published'` is a literal, not a bound value, on purpose: PostgreSQL only
/// uses the partial indexes (`WHERE status = 'published'`) when it can prove the query
/// implies their predicate, which a parameter does not allow in a generic plan.
pub(crate) fn visible(today: NaiveDate) -> Condition {
    Condition::all().add(Expr::cust(r#""listings"."status" = 'published'"#)).add(public_beside_status(today))
}

/// The WHERE clause of a search (without the page's cursor).
fn matches(q: &SearchQuery, today: NaiveDate, backend: DatabaseBackend) -> Condition {
    let mut c = visible(today);
    if let Some(city) = &q.city {
        c = c.add(col(L::City).eq(city.as_str()));
    }
    if let Some(area) = &q.area {
        // Areas are stored in their city's spelling; searchers may type any case.
        c = c.add(Expr::expr(Func::lower(col(L::Area))).eq(area.as_str().to_lowercase()));
    }
    if let Some(min) = q.min_rent {
        c = c.add(col(L::RentPppwPence).gte(min));
    }
    if let Some(max) = q.max_rent {
        c = c.add(col(L::RentPppwPence).lte(max));
    }
    if let Some(min) = q.bedrooms_min {
        c = c.add(col(L::Bedrooms).gte(i16::from(min)));
    }
    if let Some(max) = q.bedrooms_max {
        c = c.add(col(L::Bedrooms).lte(i16::from(max)));
    }
    if let Some(t) = q.property_type {
        c = c.add(col(L::PropertyType).eq(t.as_str()));
    }
    if let Some(b) = q.bills_included {
        c = c.add(col(L::BillsIncluded).eq(b));
    }
    match q.ensuite {
        Some(true) => c = c.add(col(L::EnsuiteRooms).gt(0)),
        Some(false) => c = c.add(col(L::EnsuiteRooms).eq(0)),
        None => {}
    }
    if let Some(f) = q.furnished {
        c = c.add(col(L::Furnished).eq(f));
    }
    if let Some(d) = q.available_from {
        c = c.add(col(L::AvailableFrom).lte(d));
    }
    if let Some(y) = q.academic_year {
        c = c.add(col(L::AcademicYear).eq(i16::try_from(y.start_year()).unwrap_or(i16::MAX)));
    }
    // One clause per wanted feature, each bit a literal from the fixed vocabulary (never
    // user text): PostgreSQL keeps statistics on every `(features_mask & bit)` expression
    // (migration `search_tuning`) and so knows how common each feature is. One combined
    // `(features_mask & m) = m` has no statistics; the planner's 0.5% guess made it sort a
    // whole city's matches instead of walking an ordered index.
    for f in q.features.iter() {
        c = c.add(Expr::cust(format!(r#"("listings"."features_mask" & {}) <> 0"#, f.bit())));
    }
    if let Some(text) = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        c = c.add(free_text(text, backend));
    }
    c
}

/// PostgreSQL: full-text search on the generated `search_tsv` (GIN index), with the
/// forgiving `websearch_to_tsquery` syntax. SQLite: every word must appear in the title,
/// description or area (case-insensitive for ASCII).
fn free_text(text: &str, backend: DatabaseBackend) -> Condition {
    if backend == DatabaseBackend::Postgres {
        return Condition::all().add(Expr::cust_with_values(
            r#""listings"."search_tsv" @@ websearch_to_tsquery('english', $1)"#,
            [text.to_owned()],
        ));
    }
    let haystack = r#"lower(coalesce("listings"."title", '') || ' ' || coalesce("listings"."description", '') || ' ' || coalesce("listings"."area", ''))"#;
    text.split_whitespace()
        .fold(Condition::all(), |c, word| c.add(Expr::cust(haystack).like(contains(&word.to_lowercase()))))
}

/// The page a search returns when the query names none.
pub fn page_of(q: &SearchQuery) -> PageRequest {
    q.page.unwrap_or(PageRequest::first(PageRequest::DEFAULT_SIZE))
}

/// The page query: the cards of visible listings matching `q`, in its order, after its
/// cursor, `size + 1` rows (the extra one only proves there is a next page). Only the
/// card's columns are read ([`CARD_COLUMNS`]); descriptions stay on disk.
///
/// A deferred join: the inner query picks the page's ids from a covering index (an
/// index-only scan on PostgreSQL: filters read only INCLUDEd columns), the outer one fetches
/// just those rows. Filtering a city's thousands of candidates then touches no heap page.
pub fn search_select(q: &SearchQuery, today: NaiveDate, backend: DatabaseBackend) -> SelectStatement {
    let page = page_of(q);
    let mut ids = listings::Entity::find().select_only().column(L::Id).filter(matches(q, today, backend));
    let (sort_col, descending) = match q.sort {
        SearchSort::Newest => (L::PublishedAt, true),
        SearchSort::RentAsc => (L::RentPppwPence, false),
        SearchSort::RentDesc => (L::RentPppwPence, true),
        SearchSort::BedroomsDesc => (L::Bedrooms, true),
    };
    if let Some(c) = page.after {
        let (a, b) = ((listings::Entity, sort_col), (listings::Entity, L::Id));
        ids = ids.filter(match q.sort {
            SearchSort::Newest => before(a, b, ts_of_key(c.key), c.id),
            SearchSort::RentAsc => after(a, b, c.key, c.id),
            SearchSort::RentDesc => before(a, b, c.key, c.id),
            SearchSort::BedroomsDesc => {
                let key = i16::try_from(c.key).unwrap_or(if c.key < 0 { i16::MIN } else { i16::MAX });
                before(a, b, key, c.id)
            }
        });
    }
    let order = |sel: sea_orm::Select<listings::Entity>| {
        if descending {
            sel.order_by_desc(sort_col).order_by_desc(L::Id)
        } else {
            sel.order_by_asc(sort_col).order_by_asc(L::Id)
        }
    };
    let ids = order(ids).limit(page.fetch_limit()).into_query();
    // PostgreSQL: `id = ANY(ARRAY(…))` makes the outer side a primary-key lookup whatever
    // the planner guesses of the (bound) LIMIT; with `IN (…)` a generic plan may estimate
    // hundreds of ids and hash-join a scan of the whole table.
    let by_id = if backend == DatabaseBackend::Postgres {
        Expr::cust_with_exprs(r#""listings"."id" = ANY(ARRAY($1))"#, [Expr::SubQuery(None, Box::new(ids.into()))])
    } else {
        col(L::Id).in_subquery(ids)
    };
    order(listings::Entity::find().select_only().columns(CARD_COLUMNS).filter(by_id)).into_query()
}

/// The estimate query: `count(*)` of the first `ESTIMATE_CAP` matches (no cursor), so
/// its cost is bounded however broad the search.
pub fn search_count_select(q: &SearchQuery, today: NaiveDate, backend: DatabaseBackend) -> SelectStatement {
    let capped = Query::select()
        .expr(Expr::cust("1"))
        .from(listings::Entity)
        .cond_where(matches(q, today, backend))
        .limit(ESTIMATE_CAP)
        .to_owned();
    Query::select().expr_as(Expr::cust("count(*)"), Alias::new("n")).from_subquery(capped, Alias::new("m")).to_owned()
}

/// [`search_select`] built for `backend`, values bound: what `SqlListingRepository::search`
/// runs.
pub fn search_statement(q: &SearchQuery, today: NaiveDate, backend: DatabaseBackend) -> Statement {
    backend.build(&search_select(q, today, backend))
}

/// [`search_count_select`] built for `backend`, values bound.
pub fn search_count_statement(q: &SearchQuery, today: NaiveDate, backend: DatabaseBackend) -> Statement {
    backend.build(&search_count_select(q, today, backend))
}

/// The search shapes whose plans are checked (`tests/tests/search_plan.rs`,
/// `scripts/explain-search.sh`, `docs/search.md`): the hot orderings with and without a
/// city, the common filters, free text, and a second page after `after` (a `Newest`
/// cursor). The city is `leeds`; the seed data of the checks has it.
pub fn plan_shapes(after: Cursor) -> Vec<(&'static str, SearchQuery)> {
    let leeds = CitySlug::parse("leeds").ok();
    let q = SearchQuery::default;
    vec![
        ("newest", q()),
        ("city_newest", SearchQuery { city: leeds.clone(), ..q() }),
        (
            "city_rent_range_rent_asc",
            SearchQuery {
                city: leeds.clone(),
                min_rent: Some(10_000),
                max_rent: Some(15_000),
                sort: SearchSort::RentAsc,
                ..q()
            },
        ),
        ("rent_desc", SearchQuery { sort: SearchSort::RentDesc, ..q() }),
        ("bedrooms_desc", SearchQuery { sort: SearchSort::BedroomsDesc, ..q() }),
        (
            "city_filters",
            SearchQuery {
                city: leeds.clone(),
                bedrooms_min: Some(3),
                bills_included: Some(true),
                furnished: Some(true),
                ..q()
            },
        ),
        (
            "city_bedrooms_desc",
            SearchQuery {
                city: leeds.clone(),
                property_type: Some(PropertyType::House),
                sort: SearchSort::BedroomsDesc,
                ..q()
            },
        ),
        ("features", SearchQuery { features: Features::from_iter([Feature::Wifi, Feature::Parking]), ..q() }),
        (
            "city_features_free_text",
            SearchQuery {
                city: leeds,
                features: Features::from_iter([Feature::Garden]),
                // A word every listing of the seed has: walk an ordered index, do not sort them all.
                q: Some("university".into()),
                ..q()
            },
        ),
        ("free_text", SearchQuery { q: Some("garden".into()), ..q() }),
        (
            "newest_page_2",
            SearchQuery { page: Some(PageRequest { after: Some(after), size: PageRequest::DEFAULT_SIZE }), ..q() },
        ),
    ]
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
    }

    #[test]
    fn user_input_is_bound_never_spliced() {
        let evil = "x'); DROP TABLE listings; --";
        let q = SearchQuery {
            q: Some(evil.into()),
            area: Some(domain::AreaName::parse(evil).unwrap()),
            ..SearchQuery::default()
        };
        for backend in [DatabaseBackend::Postgres, DatabaseBackend::Sqlite] {
            for st in [search_statement(&q, today(), backend), search_count_statement(&q, today(), backend)] {
                assert!(!st.sql.contains("DROP"), "{}", st.sql);
                assert!(st.values.is_some());
            }
        }
    }

    #[test]
    fn keyset_and_order_follow_the_sort() {
        let id = Uuid::now_v7();
        let page = PageRequest { after: Some(Cursor { sort: 1, key: 15_000, id }), size: 10 };
        let q = SearchQuery { sort: SearchSort::RentAsc, page: Some(page), ..SearchQuery::default() };
        let sql = search_statement(&q, today(), DatabaseBackend::Postgres).sql;
        assert!(sql.contains(r#"("listings"."rent_pppw_pence", "listings"."id") > ($"#), "{sql}");
        assert!(sql.contains(r#"ORDER BY "listings"."rent_pppw_pence" ASC, "listings"."id" ASC"#), "{sql}");
        assert!(sql.contains(r#""listings"."status" = 'published'"#), "literal, for the partial indexes: {sql}");

        let q = SearchQuery { city: Some(CitySlug::parse("leeds").unwrap()), ..SearchQuery::default() };
        let sql = search_statement(&q, today(), DatabaseBackend::Sqlite).sql;
        assert!(sql.contains(r#"ORDER BY "listings"."published_at" DESC, "listings"."id" DESC"#), "{sql}");
        assert!(!sql.contains(" > ("), "first page has no cursor: {sql}");
    }

    #[test]
    fn free_text_differs_by_backend() {
        let q = SearchQuery {
            q: Some("  garden   50%_off ".into()),
            features: Features::from_iter([Feature::Wifi, Feature::Garden]),
            ..SearchQuery::default()
        };
        let pg = search_statement(&q, today(), DatabaseBackend::Postgres).sql;
        assert!(pg.contains("websearch_to_tsquery('english', $"), "{pg}");
        assert!(
            pg.contains(r#"(("listings"."features_mask" & 1) <> 0) AND (("listings"."features_mask" & 4) <> 0)"#),
            "one literal clause per feature: {pg}"
        );
        let lite = search_statement(&q, today(), DatabaseBackend::Sqlite);
        assert_eq!(lite.sql.matches(" LIKE ").count(), 2, "one LIKE per word: {}", lite.sql);
        let values = format!("{:?}", lite.values);
        assert!(values.contains(r"%50\\%\\_off%"), "wildcards escaped: {values}");
    }
}
