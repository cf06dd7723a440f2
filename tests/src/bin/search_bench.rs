//! `search-bench`: drives `GET /api/v1/listings` with a realistic filter mix at a fixed
//! concurrency and reports throughput and latency percentiles; writes the same queries as
//! pgbench scripts (the SQL the adapter generates, values inlined) so the database's own
//! limit can be measured at the same concurrency. Run by `scripts/bench.sh` (`make bench`).
//!
//! Usage: search-bench --prepare DIR [--cases 120] [--with-count]
//!          writes DIR/urls.txt (the HTTP requests, for wrk) and DIR/q*.sql (the same
//!          searches' SQL, for pgbench) and exits;
//!        search-bench --url http://127.0.0.1:8090 [--concurrency 32] [--seconds 30]
//!          [--warmup 5] [--cases 120]: drives the load itself (reqwest; heavier than wrk).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

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

fn pct(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    #[allow(clippy::cast_precision_loss)]
    let ms = sorted[i] as f64 / 1000.0;
    ms
}

#[tokio::main]
#[allow(clippy::cast_precision_loss)]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let base = arg(&args, "--url").unwrap_or_else(|| "http://127.0.0.1:8090".into());
    let concurrency: usize = arg(&args, "--concurrency").map_or(Ok(32), |v| v.parse())?;
    let seconds: u64 = arg(&args, "--seconds").map_or(Ok(30), |v| v.parse())?;
    let warmup: u64 = arg(&args, "--warmup").map_or(Ok(5), |v| v.parse())?;
    let n_cases: usize = arg(&args, "--cases").map_or(Ok(200), |v| v.parse())?;
    let mut rng = StdRng::seed_from_u64(42);
    let cases: Arc<Vec<Case>> = Arc::new((0..n_cases).map(|_| case(&mut rng)).collect());

    if let Some(dir) = arg(&args, "--prepare") {
        std::fs::create_dir_all(&dir)?;
        let urls: Vec<&str> = cases.iter().map(|c| c.url.as_str()).collect();
        std::fs::write(format!("{dir}/urls.txt"), urls.join("\n") + "\n")?;
        std::fs::create_dir_all(&dir)?;
        let today: NaiveDate = chrono::Utc::now().date_naive();
        for (i, c) in cases.iter().enumerate() {
            // What one HTTP search costs the database once its estimate is cached (the
            // warm-up runs every case): the page query. `--with-count` adds the capped
            // count, i.e. the cost of a search whose estimate is not cached.
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
        return Ok(());
    }

    let client = reqwest::Client::builder().pool_max_idle_per_host(concurrency).build()?;
    // Check that the server answers and the data is there.
    let probe: serde_json::Value =
        client.get(format!("{base}/api/v1/listings")).send().await?.error_for_status()?.json().await?;
    anyhow::ensure!(probe["total_estimate"].as_u64().unwrap_or(0) > 0, "the database has no listings: seed it first");

    let run = |secs: u64| {
        let client = client.clone();
        let base = base.clone();
        let cases = cases.clone();
        async move {
            let stop = Arc::new(AtomicBool::new(false));
            let errors = Arc::new(AtomicU64::new(0));
            let mut tasks = Vec::new();
            for w in 0..concurrency {
                let (client, base, cases, stop, errors) =
                    (client.clone(), base.clone(), cases.clone(), stop.clone(), errors.clone());
                tasks.push(tokio::spawn(async move {
                    let mut lat = Vec::with_capacity(4096);
                    let mut i = w * 7919;
                    while !stop.load(Ordering::Relaxed) {
                        let c = &cases[i % cases.len()];
                        i += 1;
                        let t = Instant::now();
                        match client.get(format!("{base}{}", c.url)).send().await {
                            Ok(r) if r.status().is_success() => {
                                let _ = r.bytes().await;
                                lat.push(u64::try_from(t.elapsed().as_micros()).unwrap_or(u64::MAX));
                            }
                            _ => {
                                errors.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    }
                    lat
                }));
            }
            let started = Instant::now();
            tokio::time::sleep(Duration::from_secs(secs)).await;
            stop.store(true, Ordering::Relaxed);
            let mut all = Vec::new();
            for t in tasks {
                all.extend(t.await.unwrap_or_default());
            }
            (all, started.elapsed(), errors.load(Ordering::Relaxed))
        }
    };

    if warmup > 0 {
        let _ = run(warmup).await;
    }
    let (mut lat, elapsed, errors) = run(seconds).await;
    lat.sort_unstable();
    let rps = lat.len() as f64 / elapsed.as_secs_f64();
    println!(
        "http: {} requests in {:.1}s, {errors} errors, concurrency {concurrency}: {rps:.0} req/s, p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms",
        lat.len(),
        elapsed.as_secs_f64(),
        pct(&lat, 0.50),
        pct(&lat, 0.95),
        pct(&lat, 0.99)
    );
    println!(
        "RESULT rps={rps:.1} p50_ms={:.2} p95_ms={:.2} p99_ms={:.2} errors={errors}",
        pct(&lat, 0.50),
        pct(&lat, 0.95),
        pct(&lat, 0.99)
    );
    Ok(())
}
