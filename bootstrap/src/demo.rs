//! Demo data for the embedded dev default: the UK's main university cities and real areas
//! students live in. Used by `serve` on a fresh dev database and by `seed --demo`.

use application::ports::CityRepository;
use domain::{AreaName, City, CityName, CitySlug};

/// (name, areas)
pub const CITIES: &[(&str, &[&str])] = &[
    ("Birmingham", &["Selly Oak", "Edgbaston", "Harborne", "Bournbrook"]),
    ("Bristol", &["Clifton", "Redland", "Cotham", "Bishopston", "Stokes Croft"]),
    ("Cardiff", &["Cathays", "Roath", "Heath", "Canton"]),
    ("Edinburgh", &["Marchmont", "Newington", "Bruntsfield", "Leith"]),
    ("Glasgow", &["West End", "Hillhead", "Finnieston", "Partick"]),
    ("Leeds", &["Hyde Park", "Headingley", "Woodhouse", "Burley", "Kirkstall"]),
    ("Liverpool", &["Smithdown", "Wavertree", "Kensington", "Baltic Triangle"]),
    ("London", &["Camden", "Bloomsbury", "Mile End", "New Cross", "Stratford"]),
    ("Manchester", &["Fallowfield", "Withington", "Rusholme", "Victoria Park", "Didsbury"]),
    ("Newcastle upon Tyne", &["Jesmond", "Heaton", "Sandyford", "Fenham"]),
    ("Nottingham", &["Lenton", "Dunkirk", "Beeston", "Radford"]),
    ("Sheffield", &["Crookes", "Broomhill", "Ecclesall Road", "Walkley"]),
    ("Southampton", &["Portswood", "Highfield", "Swaythling", "Shirley"]),
    ("York", &["Heslington", "Fulford", "Tang Hall", "The Groves"]),
];

pub fn cities() -> Vec<City> {
    CITIES
        .iter()
        .map(|(name, areas)| {
            let name = CityName::parse(name).expect("demo city names are valid");
            let slug = CitySlug::from_name(&name).expect("demo city slugs are valid");
            let areas = areas.iter().map(|a| AreaName::parse(a).expect("demo areas are valid")).collect();
            City::new(slug, name, true, areas)
        })
        .collect()
}

/// Saves the demo cities (idempotent).
pub async fn seed_cities(repo: &dyn CityRepository) -> anyhow::Result<usize> {
    let all = cities();
    for c in &all {
        repo.save(c).await?;
    }
    Ok(all.len())
}

#[cfg(test)]
mod tests {
    #[test]
    fn demo_data_is_valid() {
        assert_eq!(super::cities().len(), super::CITIES.len());
    }
}
