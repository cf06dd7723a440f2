//! Cities and their areas (e.g. Leeds → Hyde Park, Headingley).

use serde::{Deserialize, Serialize};

use crate::ValidationError;

/// A city's URL slug: 2–40 characters of lowercase ASCII letters, digits and single
/// hyphens, starting with a letter and not ending with a hyphen (`leeds`, `newcastle-upon-tyne`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct CitySlug(String);

impl CitySlug {
    pub const MAX_LEN: usize = 40;

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let err = |m: &str| Err(ValidationError::new("slug", m));
        if raw.len() < 2 || raw.len() > Self::MAX_LEN {
            return err("must be 2 to 40 characters");
        }
        if !raw.starts_with(|c: char| c.is_ascii_lowercase()) {
            return err("must start with a lowercase letter");
        }
        if raw.ends_with('-') || raw.contains("--") {
            return err("hyphens must separate words");
        }
        if !raw.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
            return err("may contain only lowercase letters, digits and hyphens");
        }
        Ok(Self(raw.to_owned()))
    }

    /// Derives a slug from a display name: "Newcastle upon Tyne" → `newcastle-upon-tyne`.
    pub fn from_name(name: &CityName) -> Result<Self, ValidationError> {
        let mut out = String::with_capacity(name.as_str().len());
        for c in name.as_str().chars() {
            if c.is_ascii_alphanumeric() {
                out.push(c.to_ascii_lowercase());
            } else if !out.is_empty() && !out.ends_with('-') {
                out.push('-');
            }
        }
        while out.ends_with('-') {
            out.pop();
        }
        Self::parse(&out)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for CitySlug {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl std::fmt::Display for CitySlug {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Normalises a display name: trims, collapses runs of whitespace, refuses control
/// characters and enforces a length bound (in characters).
fn display_name(field: &'static str, raw: &str, max: usize) -> Result<String, ValidationError> {
    if raw.chars().any(char::is_control) {
        return Err(ValidationError::new(field, "must not contain control characters"));
    }
    let collapsed = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    let n = collapsed.chars().count();
    if n == 0 {
        return Err(ValidationError::new(field, "must not be empty"));
    }
    if n > max {
        return Err(ValidationError::new(field, format!("must be at most {max} characters")));
    }
    Ok(collapsed)
}

/// A city's display name ("Leeds", "Newcastle upon Tyne"), 1–80 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct CityName(String);

impl CityName {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        display_name("name", raw, 80).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An area within a city ("Hyde Park"), 1–80 characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct AreaName(String);

impl AreaName {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        display_name("area", raw, 80).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A named area of a city. A retired area (`active: false`) is kept for the listings
/// in it but not offered to searchers or new listings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Area {
    pub name: AreaName,
    pub active: bool,
}

/// Whether two city or area names are the same name (ignoring case).
pub fn same_name(a: &str, b: &str) -> bool {
    a.to_lowercase() == b.to_lowercase()
}

/// A city that listings belong to. Inactive cities are kept (listings reference them)
/// but are not offered to searchers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct City {
    pub slug: CitySlug,
    pub name: CityName,
    pub active: bool,
    /// Areas, kept sorted by name and free of duplicates.
    areas: Vec<Area>,
}

impl City {
    /// A city whose areas are all active.
    pub fn new(slug: CitySlug, name: CityName, active: bool, areas: Vec<AreaName>) -> Self {
        Self::with_areas(slug, name, active, areas.into_iter().map(|name| Area { name, active: true }).collect())
    }

    /// A city with these areas (a later duplicate name is dropped).
    pub fn with_areas(slug: CitySlug, name: CityName, active: bool, areas: Vec<Area>) -> Self {
        let mut city = Self { slug, name, active, areas: Vec::new() };
        for a in areas {
            city.insert_area(a);
        }
        city
    }

    /// Adds an active area unless one with the same name (ignoring case) exists.
    /// Returns whether it was added.
    pub fn add_area(&mut self, name: AreaName) -> bool {
        self.insert_area(Area { name, active: true })
    }

    fn insert_area(&mut self, area: Area) -> bool {
        if self.area(area.name.as_str()).is_some() {
            return false;
        }
        let at = self.areas.partition_point(|a| a.name < area.name);
        self.areas.insert(at, area);
        true
    }

    /// Renames area `current` and/or sets whether it is active. Returns `false` (and
    /// changes nothing) when there is no such area or another area has the new name.
    pub fn change_area(&mut self, current: &str, name: Option<&AreaName>, active: Option<bool>) -> bool {
        let Some(at) = self.areas.iter().position(|a| same_name(a.name.as_str(), current)) else { return false };
        if let Some(new) = name {
            let taken = self.areas.iter().enumerate().any(|(i, a)| i != at && same_name(a.name.as_str(), new.as_str()));
            if taken {
                return false;
            }
        }
        let mut area = self.areas.remove(at);
        if let Some(new) = name {
            area.name = new.clone();
        }
        if let Some(active) = active {
            area.active = active;
        }
        self.insert_area(area);
        true
    }

    pub fn areas(&self) -> &[Area] {
        &self.areas
    }

    /// Finds an area by name, ignoring case (retired areas included).
    pub fn area(&self, name: &str) -> Option<&Area> {
        self.areas.iter().find(|a| same_name(a.name.as_str(), name.trim()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leeds() -> City {
        let areas = ["Hyde Park", "Headingley"].iter().map(|a| AreaName::parse(a).unwrap()).collect();
        City::new(CitySlug::parse("leeds").unwrap(), CityName::parse("Leeds").unwrap(), true, areas)
    }

    #[test]
    fn areas_are_renamed_and_retired_by_name_ignoring_case_and_stay_sorted() {
        let mut c = leeds();
        assert!(c.change_area("hyde park", Some(&AreaName::parse("Burley").unwrap()), Some(false)));
        let shown: Vec<_> = c.areas().iter().map(|a| (a.name.as_str(), a.active)).collect();
        assert_eq!(shown, [("Burley", false), ("Headingley", true)]);
        assert!(!c.change_area("Headingley", Some(&AreaName::parse("BURLEY").unwrap()), None), "name taken");
        assert!(!c.change_area("Nowhere", None, Some(true)), "no such area");
        assert!(c.change_area("headingley", Some(&AreaName::parse("HEADINGLEY").unwrap()), None), "a new spelling");
        assert_eq!(c.areas()[1].name.as_str(), "HEADINGLEY");
        assert!(!c.add_area(AreaName::parse("burley").unwrap()), "retired names stay taken");
    }
    use proptest::prelude::*;

    #[test]
    fn slugs_accept_the_obvious() {
        for s in ["leeds", "newcastle-upon-tyne", "st-andrews", "b2"] {
            assert_eq!(CitySlug::parse(s).unwrap().as_str(), s);
        }
    }

    #[test]
    fn slugs_refuse_the_rest() {
        for s in ["", "l", "Leeds", "leeds-", "-leeds", "2leeds", "lee--ds", "lee ds", "léeds", &"a".repeat(41)] {
            assert!(CitySlug::parse(s).is_err(), "{s:?} should be refused");
        }
    }

    #[test]
    fn slug_from_name() {
        let n = CityName::parse("  Newcastle   upon Tyne ").unwrap();
        assert_eq!(n.as_str(), "Newcastle upon Tyne");
        assert_eq!(CitySlug::from_name(&n).unwrap().as_str(), "newcastle-upon-tyne");
        let n = CityName::parse("St. Andrews").unwrap();
        assert_eq!(CitySlug::from_name(&n).unwrap().as_str(), "st-andrews");
    }

    #[test]
    fn names_refuse_empty_control_and_long() {
        assert!(CityName::parse("   ").is_err());
        assert!(CityName::parse("Leeds\u{0}").is_err());
        assert!(CityName::parse(&"x".repeat(81)).is_err());
        assert!(CityName::parse(&"é".repeat(80)).is_ok());
    }

    #[test]
    fn areas_stay_sorted_and_unique() {
        let mut c = City::new(
            CitySlug::parse("leeds").unwrap(),
            CityName::parse("Leeds").unwrap(),
            true,
            vec![AreaName::parse("Hyde Park").unwrap(), AreaName::parse("Headingley").unwrap()],
        );
        assert!(!c.add_area(AreaName::parse("hyde park").unwrap()));
        let names: Vec<_> = c.areas().iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["Headingley", "Hyde Park"]);
        assert!(c.area("HEADINGLEY ").is_some());
    }

    proptest! {
        #[test]
        fn parsed_slugs_round_trip(s in "[a-z][a-z0-9]{0,10}(-[a-z0-9]{1,8}){0,3}") {
            prop_assume!(s.len() >= 2);
            let slug = CitySlug::parse(&s).unwrap();
            prop_assert_eq!(CitySlug::parse(slug.as_str()).unwrap(), slug);
        }

        #[test]
        fn slug_parse_never_panics_and_valid_slugs_are_clean(s in "\\PC{0,50}") {
            if let Ok(slug) = CitySlug::parse(&s) {
                prop_assert!(slug.as_str().chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'));
                prop_assert!(!slug.as_str().ends_with('-'));
            }
        }

        #[test]
        fn any_name_with_a_letter_gives_a_valid_slug_or_a_clear_error(s in "[A-Za-z][A-Za-z .'-]{0,30}") {
            if let Ok(name) = CityName::parse(&s) {
                // never panics; either a valid slug or a validation error
                let _ = CitySlug::from_name(&name);
            }
        }

        #[test]
        fn names_are_trimmed_and_collapsed(s in "\\PC{1,60}") {
            if let Ok(n) = CityName::parse(&s) {
                prop_assert_eq!(n.as_str().trim(), n.as_str());
                prop_assert!(!n.as_str().contains("  "));
            }
        }
    }
}
