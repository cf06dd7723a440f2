//! Reference data production needs: the UK university cities we list in and their
//! student areas. Loaded by `student-palace seed --cities` in every environment (and by
//! the demo seed). Only the nations we serve: Northern Ireland is not served yet.
//!
//! Loading it (`application::cities::LoadCities`) is idempotent and never overrides an
//! admin: a stored city is left exactly as it is, only cities not stored yet are
//! created. Stored cities change through the admin endpoints (`/api/v1/admin/cities`).

use domain::{AreaName, City, CityName, CitySlug};

/// A city and its student areas.
pub type ReferenceCity = (&'static str, &'static [&'static str]);

pub const UK_CITIES: &[ReferenceCity] = &[
    ("Aberdeen", &["Old Aberdeen", "Rosemount", "Ferryhill", "Froghall"]),
    ("Aberystwyth", &["Town Centre", "Llanbadarn Fawr", "Penparcau"]),
    ("Bangor", &["Upper Bangor", "Hirael", "Glanadda"]),
    ("Bath", &["Oldfield Park", "Widcombe", "Bear Flat", "Combe Down"]),
    ("Birmingham", &["Selly Oak", "Edgbaston", "Harborne", "Bournbrook"]),
    ("Bournemouth", &["Winton", "Charminster", "Talbot Village"]),
    ("Brighton", &["Hanover", "Moulsecoomb", "Coldean", "Kemptown"]),
    ("Bristol", &["Clifton", "Redland", "Cotham", "Bishopston", "Stokes Croft"]),
    ("Cambridge", &["Mill Road", "Chesterton", "Newnham", "Romsey"]),
    ("Canterbury", &["Hales Place", "Wincheap", "St Dunstan's"]),
    ("Cardiff", &["Cathays", "Roath", "Heath", "Canton"]),
    ("Colchester", &["Wivenhoe", "Greenstead"]),
    ("Coventry", &["Earlsdon", "Canley", "Tile Hill", "Stoke"]),
    ("Dundee", &["West End", "Hilltown", "Perth Road"]),
    ("Durham", &["Viaduct", "Gilesgate", "Claypath", "Neville's Cross"]),
    ("Edinburgh", &["Marchmont", "Newington", "Bruntsfield", "Leith"]),
    ("Exeter", &["St James", "Pennsylvania", "Mount Pleasant", "Heavitree"]),
    ("Glasgow", &["West End", "Hillhead", "Finnieston", "Partick"]),
    ("Guildford", &["Onslow Village", "Park Barn", "Guildford Park"]),
    ("Hull", &["Newland", "The Avenues", "Cottingham"]),
    ("Lancaster", &["Bowerham", "Greaves", "Scotforth"]),
    ("Leamington Spa", &["Old Town", "Milverton", "Lillington"]),
    ("Leeds", &["Hyde Park", "Headingley", "Woodhouse", "Burley", "Kirkstall"]),
    ("Leicester", &["Clarendon Park", "Westcotes", "Knighton"]),
    ("Lincoln", &["West End", "Brayford", "Monks Road"]),
    ("Liverpool", &["Smithdown", "Wavertree", "Kensington", "Baltic Triangle"]),
    ("London", &["Camden", "Bloomsbury", "Mile End", "New Cross", "Stratford"]),
    ("Loughborough", &["Storer Road", "Ashby Road", "Forest Road"]),
    ("Manchester", &["Fallowfield", "Withington", "Rusholme", "Victoria Park", "Didsbury"]),
    ("Newcastle upon Tyne", &["Jesmond", "Heaton", "Sandyford", "Fenham"]),
    ("Norwich", &["Golden Triangle", "Earlham", "Unthank Road"]),
    ("Nottingham", &["Lenton", "Dunkirk", "Beeston", "Radford"]),
    ("Oxford", &["Cowley", "Jericho", "Summertown", "Headington"]),
    ("Plymouth", &["Mutley", "North Hill", "Greenbank", "Lipson"]),
    ("Portsmouth", &["Southsea", "Fratton", "Landport"]),
    ("Reading", &["Earley", "Redlands", "Whitley"]),
    ("Sheffield", &["Crookes", "Broomhill", "Ecclesall Road", "Walkley"]),
    ("Southampton", &["Portswood", "Highfield", "Swaythling", "Shirley"]),
    ("St Andrews", &["Town Centre", "Hepburn Gardens"]),
    ("Stirling", &["Bridge of Allan", "Causewayhead", "City Centre"]),
    ("Stoke-on-Trent", &["Shelton", "Hanley"]),
    ("Swansea", &["Brynmill", "Uplands", "Sketty", "St Thomas"]),
    ("York", &["Heslington", "Fulford", "Tang Hall", "The Groves"]),
];

/// The reference list as domain values (names and slugs checked by the domain).
pub fn cities() -> Vec<City> {
    UK_CITIES
        .iter()
        .map(|(name, areas)| {
            let name = CityName::parse(name).expect("reference city names are valid");
            let slug = CitySlug::from_name(&name).expect("reference city slugs are valid");
            let areas = areas.iter().map(|a| AreaName::parse(a).expect("reference areas are valid")).collect();
            City::new(slug, name, true, areas)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn every_reference_city_and_area_is_valid_and_unique() {
        let all = cities();
        assert_eq!(all.len(), UK_CITIES.len());
        let slugs: HashSet<_> = all.iter().map(|c| c.slug.clone()).collect();
        assert_eq!(slugs.len(), all.len(), "slugs are unique");
        for (c, (_, areas)) in all.iter().zip(UK_CITIES) {
            assert_eq!(c.areas().len(), areas.len(), "{}: areas are unique", c.name.as_str());
        }
    }

    #[test]
    fn only_nations_we_serve() {
        assert!(UK_CITIES.iter().all(|(name, _)| *name != "Belfast"), "Northern Ireland is not served yet");
    }
}
