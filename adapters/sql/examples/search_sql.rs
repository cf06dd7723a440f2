//! Prints the SQL `SqlListingRepository::search` runs on PostgreSQL for each shape of
//! `sp_sql::search::plan_shapes`, values inlined (for `psql`), as
//!
//! ```text
//! -- shape: <name>
//! <page query>;
//! -- estimate: <name>
//! <count query>;
//! ```
//!
//! Used by `scripts/explain-search.sh`:
//! `cargo run -q -p sp-sql --example search_sql -- [--today YYYY-MM-DD] [--after MICROS:UUID]`.

use application::paging::Cursor;
use application::ports::SearchSort;
use chrono::NaiveDate;
use sea_orm::DatabaseBackend;
use sea_orm::sea_query::PostgresQueryBuilder;
use sp_sql::search::{plan_shapes, search_count_select, search_select};
use uuid::Uuid;

fn main() -> Result<(), String> {
    let mut today = NaiveDate::from_ymd_opt(2026, 11, 25).expect("date");
    let mut after = Cursor { sort: SearchSort::Newest.tag(), key: 1_795_000_000_000_000, id: Uuid::nil() };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next().ok_or_else(|| format!("{arg} needs a value"))?;
        match arg.as_str() {
            "--today" => today = value.parse().map_err(|e| format!("--today: {e}"))?,
            "--after" => {
                let (key, id) = value.split_once(':').ok_or("--after is MICROS:UUID")?;
                after.key = key.parse().map_err(|e| format!("--after key: {e}"))?;
                after.id = id.parse().map_err(|e| format!("--after id: {e}"))?;
            }
            _ => return Err(format!("unknown argument {arg}")),
        }
    }
    for (name, q) in plan_shapes(after) {
        let pg = DatabaseBackend::Postgres;
        println!("-- shape: {name}\n{};", search_select(&q, today, pg).to_string(PostgresQueryBuilder));
        println!("-- estimate: {name}\n{};", search_count_select(&q, today, pg).to_string(PostgresQueryBuilder));
    }
    Ok(())
}
