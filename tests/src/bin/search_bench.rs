//! `search-bench`: writes a realistic mix of listing searches twice over: as URLs for wrk
//! (`GET /api/v1/listings?...`) and as the SQL the adapter runs for each (values inlined)
//! for pgbench, so `scripts/bench.sh` (`make bench`) can compare the HTTP path with the
//! database's own limit on the same searches.
//!
//! Usage: search-bench --prepare DIR [--cases 120] [--with-count]

use application::ports::{SearchQuery, SearchSort};
use chrono::NaiveDate;
use domain::listing::{AcademicYear, Features, PropertyType};
use domain::{AreaName, CitySlug};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

struct Case {
    url: String,
    query: SearchQuery,
}

/// A search a student would make: mostly a city, often a rent ceiling and bedrooms, some
/// features, sometimes an area or free text, all four sorts.
fn case(rng: &mut StdRng) -> Case {
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
    let sort_name = match sort {
        SearchSort::Newest => "newest",
        SearchSort::RentAsc => "rent_asc",
        SearchSort::RentDesc => "rent_desc",
        SearchSort::BedroomsDesc => "bedrooms_desc",
    };
    params.push(("sort".into(), sort_name.into()));
    q.page = Some(application::paging::PageRequest::first(20));
    let qs = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(params).finish();
    Case { url: format!("/api/v1/listings?{qs}"), query: q }
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let dir = arg(&args, "--prepare")
        .ok_or_else(|| anyhow::anyhow!("usage: search-bench --prepare DIR [--cases 120] [--with-count]"))?;
    let n_cases: usize = arg(&args, "--cases").map_or(Ok(120), |v| v.parse())?;
    let mut rng = StdRng::seed_from_u64(42);
    let cases: Vec<Case> = (0..n_cases).map(|_| case(&mut rng)).collect();
    std::fs::create_dir_all(&dir)?;
    let urls: Vec<&str> = cases.iter().map(|c| c.url.as_str()).collect();
    std::fs::write(format!("{dir}/urls.txt"), urls.join("\n") + "\n")?;
    let today: NaiveDate = chrono::Utc::now().date_naive();
    for (i, c) in cases.iter().enumerate() {
        // What one HTTP search costs the database once its estimate is cached (the
        // warm-up runs every case): the page query. `--with-count` adds the capped count,
        // i.e. the cost of a search whose estimate is not cached.
        let page = sp_sql::search_statement(&c.query, today, sea_orm::DatabaseBackend::Postgres);
        let sql = if args.iter().any(|a| a == "--with-count") {
            let count = sp_sql::search_count_statement(&c.query, today, sea_orm::DatabaseBackend::Postgres);
            format!("{page};\n{count};\n")
        } else {
            format!("{page};\n")
        };
        std::fs::write(format!("{dir}/q{i:04}.sql"), sql)?;
    }
    println!("wrote {} URLs and pgbench scripts to {dir}", cases.len());
    Ok(())
}
