//! `search-bench`: writes a realistic mix of listing searches as URLs for wrk
//! (`GET /api/v1/listings?...`) and as the SQL the adapter runs for each, for pgbench, so
//! `scripts/bench.sh` (`make bench`) can compare the HTTP path with the database's own
//! limit on the same searches. The SQL comes twice:
//!
//! - `q*.sql` + `vars.txt`: the statements exactly as the adapter sends them, values as
//!   bound parameters (`:c3_2` variables, defined by the `-D` lines of `vars.txt`), so
//!   PostgreSQL parses, plans and runs them as it does for the service;
//! - `inlined/q*.sql`: the same with every value written into the SQL as a constant. A
//!   prepared statement without parameters is planned once per connection; this is the
//!   floor, what the searches would cost with no planning at all.
//!
//! Usage: search-bench --prepare DIR [--cases 120] [--page-size 20] [--with-count]

use application::ports::{SearchQuery, SearchSort};
use chrono::NaiveDate;
use domain::listing::{AcademicYear, Features, PropertyType};
use domain::{AreaName, CitySlug};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{DatabaseBackend, Statement, Value};

struct Case {
    url: String,
    query: SearchQuery,
}

/// A search a student would make: mostly a city, often a rent ceiling and bedrooms, some
/// features, sometimes an area or free text, all four sorts.
fn case(rng: &mut StdRng, page_size: u32) -> Case {
    let cities = bootstrap::demo::CITIES;
    let (name, (lo, hi), areas) = cities[rng.random_range(0..cities.len())];
    let slug = CitySlug::from_name(&domain::CityName::parse(name).unwrap()).unwrap();
    let mut q = SearchQuery::default();
    let mut params: Vec<(String, String)> = Vec::new();
    if rng.random_bool(0.9) {
        params.push(("city".into(), slug.to_string()));
        q.city = Some(slug);
        if rng.random_bool(0.25) {
            let (area, _) = areas[rng.random_range(0..areas.len())];
            params.push(("area".into(), area.into()));
            q.area = Some(AreaName::parse(area).unwrap());
        }
    }
    if rng.random_bool(0.5) {
        let max = rng.random_range(lo..=hi) / 500 * 500;
        params.push(("max_rent".into(), max.to_string()));
        q.max_rent = Some(max);
    }
    if rng.random_bool(0.4) {
        let b: u8 = rng.random_range(1..=6);
        params.push(("bedrooms_min".into(), b.to_string()));
        q.bedrooms_min = Some(b);
    }
    if rng.random_bool(0.15) {
        let t = [PropertyType::House, PropertyType::Flat, PropertyType::Studio][rng.random_range(0..3)];
        params.push(("property_type".into(), t.as_str().into()));
        q.property_type = Some(t);
    }
    if rng.random_bool(0.3) {
        params.push(("bills_included".into(), "true".into()));
        q.bills_included = Some(true);
    }
    if rng.random_bool(0.2) {
        let f = ["garden", "washing_machine", "parking", "dishwasher"][rng.random_range(0..4)];
        params.push(("features".into(), format!("wifi,{f}")));
        q.features = Features::parse_all(["wifi", f]).unwrap();
    }
    if rng.random_bool(0.1) {
        params.push(("academic_year".into(), "2027/28".into()));
        q.academic_year = Some(AcademicYear::starting(2027));
    }
    if rng.random_bool(0.1) {
        let w = ["garden", "modern", "bright", "quiet", "campus"][rng.random_range(0..5)];
        params.push(("q".into(), w.into()));
        q.q = Some(w.into());
    }
    let sort =
        [SearchSort::Newest, SearchSort::Newest, SearchSort::RentAsc, SearchSort::RentDesc, SearchSort::BedroomsDesc]
            [rng.random_range(0..5)];
    q.sort = sort;
    params.push(("sort".into(), domain::ClosedSet::as_str(sort).into()));
    if page_size != application::paging::PageRequest::DEFAULT_SIZE {
        params.push(("page_size".into(), page_size.to_string()));
    }
    q.page = Some(application::paging::PageRequest::first(page_size));
    let qs = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(params).finish();
    Case { url: format!("/api/v1/listings?{qs}"), query: q }
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let dir = arg(&args, "--prepare").ok_or_else(|| {
        anyhow::anyhow!("usage: search-bench --prepare DIR [--cases 120] [--page-size 20] [--with-count]")
    })?;
    let n_cases: usize = arg(&args, "--cases").map_or(Ok(120), |v| v.parse())?;
    let page_size: u32 = arg(&args, "--page-size").map_or(Ok(20), |v| v.parse())?;
    // The same seed for every page size: the same searches, bigger pages.
    let mut rng = StdRng::seed_from_u64(42);
    let cases: Vec<Case> = (0..n_cases).map(|_| case(&mut rng, page_size)).collect();
    std::fs::create_dir_all(&dir)?;
    let urls: Vec<&str> = cases.iter().map(|c| c.url.as_str()).collect();
    std::fs::write(format!("{dir}/urls.txt"), urls.join("\n") + "\n")?;
    let today: NaiveDate = chrono::Utc::now().date_naive();
    std::fs::create_dir_all(format!("{dir}/inlined"))?;
    let mut vars = Vec::new();
    for (i, c) in cases.iter().enumerate() {
        // What one HTTP search costs the database once its estimate is cached (the
        // warm-up runs every case): the page query. `--with-count` adds the capped count,
        // i.e. the cost of a search whose estimate is not cached.
        let mut statements = vec![sp_sql::search_statement(&c.query, today, DatabaseBackend::Postgres)];
        if args.iter().any(|a| a == "--with-count") {
            statements.push(sp_sql::search_count_statement(&c.query, today, DatabaseBackend::Postgres));
        }
        let inlined = statements.iter().map(ToString::to_string).collect::<Vec<_>>().join(";\n") + ";\n";
        std::fs::write(format!("{dir}/inlined/q{i:04}.sql"), inlined)?;
        let mut bound = String::new();
        for (j, st) in statements.iter().enumerate() {
            let (sql, defines) = with_variables(st, &format!("c{i}s{j}_"))?;
            bound.push_str(&sql);
            bound.push_str(";\n");
            vars.extend(defines);
        }
        std::fs::write(format!("{dir}/q{i:04}.sql"), bound)?;
    }
    std::fs::write(format!("{dir}/vars.txt"), vars.join("\n") + "\n")?;
    println!("wrote {} URLs and pgbench scripts (bound and inlined) to {dir}", cases.len());
    Ok(())
}

/// The statement with each `$n` replaced by the pgbench variable `:{prefix}{n}`, and the
/// `-D {prefix}{n}=value` definitions. pgbench sends variables of a prepared statement as
/// parameters; PostgreSQL infers their types from the SQL, as it does for the service.
fn with_variables(st: &Statement, prefix: &str) -> anyhow::Result<(String, Vec<String>)> {
    let values = st.values.as_ref().map(|v| v.0.as_slice()).unwrap_or_default();
    let mut sql = st.sql.clone();
    // Highest first, so `$1` does not eat the start of `$12`.
    for n in (1..=values.len()).rev() {
        sql = sql.replace(&format!("${n}"), &format!(":{prefix}{n}"));
    }
    let defines = values
        .iter()
        .enumerate()
        .map(|(k, v)| Ok(format!("-D{prefix}{}={}", k + 1, as_text(v)?)))
        .collect::<anyhow::Result<_>>()?;
    Ok((sql, defines))
}

/// A parameter's value as PostgreSQL's text input for its type.
fn as_text(v: &Value) -> anyhow::Result<String> {
    Ok(match v {
        Value::String(Some(s)) => s.clone(),
        Value::Bool(Some(b)) => b.to_string(),
        Value::SmallInt(Some(n)) => n.to_string(),
        Value::Int(Some(n)) => n.to_string(),
        Value::BigInt(Some(n)) => n.to_string(),
        Value::BigUnsigned(Some(n)) => n.to_string(),
        Value::ChronoDate(Some(d)) => d.to_string(),
        Value::Uuid(Some(u)) => u.to_string(),
        other => anyhow::bail!("search-bench cannot pass {other:?} to pgbench"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bound_scripts_name_every_value_once() {
        let q = SearchQuery {
            city: CitySlug::parse("leeds").ok(),
            q: Some("quiet garden".into()),
            bills_included: Some(true),
            min_rent: Some(9_000),
            max_rent: Some(15_000),
            bedrooms_min: Some(2),
            bedrooms_max: Some(6),
            available_from: NaiveDate::from_ymd_opt(2027, 7, 1),
            academic_year: AcademicYear::parse("2027/28").ok(),
            ..SearchQuery::default()
        };
        let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        let st = sp_sql::search_statement(&q, today, DatabaseBackend::Postgres);
        let n = st.values.as_ref().unwrap().0.len();
        assert!(n >= 10, "enough values to have two-digit placeholders: {n}");
        let (sql, defines) = with_variables(&st, "c7s0_").unwrap();
        assert!(!sql.contains('$'), "every placeholder replaced: {sql}");
        for k in 1..=n {
            assert_eq!(sql.matches(&format!(":c7s0_{k})")).count() + sql.matches(&format!(":c7s0_{k} ")).count(), 1);
        }
        assert_eq!(defines.len(), n);
        assert!(defines.contains(&"-Dc7s0_1=2026-11-25".to_owned()), "{defines:?}");
        assert!(defines.iter().any(|d| d.ends_with("=quiet garden")), "text as is, unquoted: {defines:?}");
        assert!(defines.iter().any(|d| d.ends_with("=true")), "{defines:?}");
    }
}
