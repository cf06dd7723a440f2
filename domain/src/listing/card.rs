//! What a results page shows of a listing: a card, not the whole listing.

use chrono::{DateTime, NaiveDate, Utc};

use super::{AcademicYear, Features, Listing, ListingId, PropertyType, Title};
use crate::money::Pence;
use crate::{AreaName, CitySlug};

/// Longest excerpt, in characters, ellipsis included.
pub const EXCERPT_MAX_CHARS: usize = 200;

const ELLIPSIS: char = '\u{2026}';

/// The start of a description for a card: whitespace collapsed to single spaces, at most
/// [`EXCERPT_MAX_CHARS`] characters. A longer text is cut at the last word boundary that
/// fits and ends with an ellipsis (`…`); a first word longer than the limit is cut inside it.
///
/// Stored beside the listing when it is written, so a search never reads descriptions.
pub fn excerpt(description: &str) -> String {
    let words: Vec<&str> = description.split_whitespace().collect();
    let full_len = words.iter().map(|w| w.chars().count()).sum::<usize>() + words.len().saturating_sub(1);
    if full_len <= EXCERPT_MAX_CHARS {
        return words.join(" ");
    }
    let budget = EXCERPT_MAX_CHARS - 1; // room for the ellipsis
    let mut out = String::new();
    let mut used = 0;
    for w in &words {
        let n = w.chars().count();
        let sep = usize::from(!out.is_empty());
        if used + sep + n > budget {
            if out.is_empty() {
                out.extend(w.chars().take(budget));
            }
            break;
        }
        if sep == 1 {
            out.push(' ');
        }
        out.push_str(w);
        used += sep + n;
    }
    // "…" straight after a comma or a dash reads badly: drop trailing punctuation.
    while out.ends_with([',', ';', ':', '-', '\u{2013}', '\u{2014}']) {
        out.pop();
    }
    out.push(ELLIPSIS);
    out
}

/// A listing as a search result or a shortlist entry shows it. Only listings that are
/// (or were) published have cards: every field publishing requires is present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListingCard {
    pub id: ListingId,
    pub title: Title,
    /// [`excerpt`] of the description.
    pub excerpt: String,
    pub city: CitySlug,
    pub area: Option<AreaName>,
    /// The public part of the postcode, e.g. `LS6`.
    pub postcode_outward: String,
    pub property_type: PropertyType,
    pub bedrooms: u8,
    pub bathrooms: Option<u8>,
    pub ensuite_rooms: u8,
    pub rent_pppw: Pence,
    pub bills_included: bool,
    pub available_from: NaiveDate,
    pub academic_year: Option<AcademicYear>,
    pub furnished: bool,
    pub features: Features,
    pub published_at: DateTime<Utc>,
}

impl Listing {
    /// The card of a listing that has been published; `None` while a field a card needs
    /// is missing (a draft that never was published).
    pub fn card(&self) -> Option<ListingCard> {
        let d = &self.details;
        Some(ListingCard {
            id: self.id,
            title: d.title.clone()?,
            excerpt: d.description.as_ref().map(|t| excerpt(t.as_str())).unwrap_or_default(),
            city: d.city.clone()?,
            area: d.area.clone(),
            postcode_outward: d.postcode.as_ref()?.outward().to_owned(),
            property_type: d.property_type?,
            bedrooms: d.bedrooms?,
            bathrooms: d.bathrooms,
            ensuite_rooms: d.ensuite_rooms,
            rent_pppw: d.rent_pppw?,
            bills_included: d.bills_included,
            available_from: d.available_from?,
            academic_year: d.academic_year,
            furnished: d.furnished,
            features: d.features,
            published_at: self.published_at?,
        })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn short_descriptions_are_kept_whole_with_whitespace_collapsed() {
        assert_eq!(excerpt("  Bright room.\n\nNear campus\tand shops. "), "Bright room. Near campus and shops.");
        assert_eq!(excerpt(""), "");
        let exact = "a".repeat(EXCERPT_MAX_CHARS);
        assert_eq!(excerpt(&exact), exact, "exactly the limit is not cut");
    }

    #[test]
    fn long_descriptions_are_cut_at_a_word_boundary_with_an_ellipsis() {
        let text = "word ".repeat(100);
        let e = excerpt(&text);
        assert!(e.ends_with('\u{2026}'), "{e}");
        assert!(e.chars().count() <= EXCERPT_MAX_CHARS);
        assert_eq!(e.trim_end_matches('\u{2026}').rsplit(' ').next(), Some("word"), "whole words only: {e}");
        let commas = "flat, ".repeat(60);
        assert!(excerpt(&commas).ends_with("flat\u{2026}"), "no comma before the ellipsis");
    }

    #[test]
    fn one_giant_word_is_cut_inside_it() {
        let e = excerpt(&"é".repeat(500));
        assert_eq!(e.chars().count(), EXCERPT_MAX_CHARS);
        assert!(e.ends_with('\u{2026}'));
    }

    proptest! {
        #[test]
        fn excerpts_are_bounded_prefixes_of_the_text(words in prop::collection::vec("[a-zé,]{1,30}", 0..80), gaps in "[ \n\t]{1,3}") {
            let text = words.join(&gaps);
            let normal = words.join(" ");
            let e = excerpt(&text);
            prop_assert!(e.chars().count() <= EXCERPT_MAX_CHARS);
            if normal.chars().count() <= EXCERPT_MAX_CHARS {
                prop_assert_eq!(&e, &normal);
            } else {
                let body = e.strip_suffix('\u{2026}').expect("ends with an ellipsis when cut");
                prop_assert!(normal.starts_with(body), "{body:?} is a prefix of {normal:?}");
                let next = normal[body.len()..].chars().next();
                let word_cut = next.is_none_or(|c| c == ' ' || c == ',') || !body.contains(' ');
                prop_assert!(word_cut, "cut at a word boundary: {body:?} / {next:?}");
            }
        }
    }
}
