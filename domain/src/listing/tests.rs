use chrono::{NaiveDate, TimeZone, Utc};
use proptest::prelude::*;
use uuid::Uuid;

use super::*;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap()
}

fn pence(v: i64) -> Pence {
    Pence::new("x", v, i64::MAX).unwrap()
}

/// A complete, publishable 4-bed house in Leeds.
pub(crate) fn complete() -> ListingDetails {
    ListingDetails {
        title: Some(Title::parse("Bright 4-bed near Hyde Park").unwrap()),
        description: Some(
            Description::parse(&"A bright, well kept student house close to campus. ".repeat(2)).unwrap(),
        ),
        city: Some(CitySlug::parse("leeds").unwrap()),
        area: Some(AreaName::parse("Hyde Park").unwrap()),
        address_line: Some(AddressLine::parse("12 Example Street").unwrap()),
        postcode: Some(Postcode::parse("LS6 1AB").unwrap()),
        property_type: Some(PropertyType::House),
        bedrooms: Some(4),
        bathrooms: Some(2),
        ensuite_rooms: 1,
        rent_pppw: Some(pence(12_500)),
        bills_included: true,
        deposit: Some(pence(50_000)),
        available_from: NaiveDate::from_ymd_opt(2027, 7, 1),
        academic_year: Some(AcademicYear::parse("2027/28").unwrap()),
        tenancy_months: Some(12),
        tenancy_type: Some(TenancyType::Periodic),
        furnished: true,
        features: Features::parse_all(["wifi", "garden"]).unwrap(),
        hmo_licence: None,
        hmo_licence_expires: None,
        epc_rating: Some(EpcRating::C),
    }
}

fn draft(details: ListingDetails) -> Listing {
    Listing::draft(ListingId(Uuid::nil()), UserId(Uuid::nil()), details, now()).unwrap()
}

fn fields(errs: &[ValidationError]) -> Vec<&'static str> {
    errs.iter().map(|e| e.field).collect()
}

#[test]
fn a_complete_listing_publishes() {
    let mut l = draft(complete());
    l.publish(now()).unwrap();
    assert_eq!(l.status, ListingStatus::Published);
    assert_eq!(l.published_at, Some(now()));
}

#[test]
fn an_empty_draft_is_fine_but_cannot_publish() {
    let mut l = draft(ListingDetails::default());
    let Err(ListingError::Incomplete(missing)) = l.publish(now()) else { panic!("should refuse") };
    for f in [
        "title",
        "description",
        "city",
        "postcode",
        "property_type",
        "bedrooms",
        "rent_pppw_pence",
        "available_from",
        "epc_rating",
    ] {
        assert!(fields(&missing).contains(&f), "{f} missing from {missing:?}");
    }
    assert_eq!(l.status, ListingStatus::Draft);
}

#[test]
fn short_descriptions_do_not_publish() {
    let mut d = complete();
    d.description = Some(Description::parse("Too short.").unwrap());
    let Err(ListingError::Incomplete(m)) = draft(d).publish(now()) else { panic!() };
    assert_eq!(fields(&m), ["description"]);
}

#[test]
fn deposit_above_five_weeks_is_refused_at_creation() {
    let mut d = complete();
    d.deposit = Some(pence(12_500 * 5 + 1));
    let Err(ListingError::Invalid(v)) = Listing::draft(ListingId(Uuid::nil()), UserId(Uuid::nil()), d, now()) else {
        panic!()
    };
    assert_eq!(fields(&v), ["deposit_pence"]);
    assert!(v[0].message.contains("Tenant Fees Act"));
}

#[test]
fn epc_f_or_g_cannot_publish_in_england() {
    for band in [EpcRating::F, EpcRating::G] {
        let mut d = complete();
        d.epc_rating = Some(band);
        let Err(ListingError::Incomplete(m)) = draft(d).publish(now()) else { panic!() };
        assert_eq!(fields(&m), ["epc_rating"]);
    }
}

#[test]
fn five_bedrooms_need_an_unexpired_hmo_licence() {
    let mut d = complete();
    d.bedrooms = Some(5);
    let Err(ListingError::Incomplete(m)) = draft(d.clone()).publish(now()) else { panic!() };
    assert_eq!(fields(&m), ["hmo_licence"]);

    d.hmo_licence = Some(HmoLicenceNumber::parse("HMO/2026/0042").unwrap());
    d.hmo_licence_expires = NaiveDate::from_ymd_opt(2026, 1, 1);
    let Err(ListingError::Incomplete(m)) = draft(d.clone()).publish(now()) else { panic!() };
    assert_eq!(fields(&m), ["hmo_licence_expires"]);

    d.hmo_licence_expires = NaiveDate::from_ymd_opt(2029, 1, 1);
    draft(d.clone()).publish(now()).unwrap();
    // And it leaves search once the licence lapses.
    assert_eq!(d.searchable_until(), NaiveDate::from_ymd_opt(2029, 1, 1));
    assert_eq!(complete().searchable_until(), None, "4 bedrooms in England: no licence needed");
    assert!(d.searchable(NaiveDate::from_ymd_opt(2028, 12, 31).unwrap()));
    assert!(!d.searchable(NaiveDate::from_ymd_opt(2029, 1, 2).unwrap()));
}

#[test]
fn scotland_needs_a_licence_from_three_and_caps_deposits_at_two_months() {
    let mut d = complete();
    d.city = Some(CitySlug::parse("edinburgh").unwrap());
    d.area = None;
    d.postcode = Some(Postcode::parse("EH8 9YL").unwrap());
    d.bedrooms = Some(3);
    d.ensuite_rooms = 0;
    d.deposit = Some(pence(12_500 * 6)); // fine in Scotland (2 months ≈ 8.7 weeks)
    let Err(ListingError::Incomplete(m)) = draft(d.clone()).publish(now()) else { panic!() };
    assert_eq!(fields(&m), ["hmo_licence"]);
    d.deposit = Some(pence(12_500 * 9));
    assert!(matches!(
        Listing::draft(ListingId(Uuid::nil()), UserId(Uuid::nil()), d, now()),
        Err(ListingError::Invalid(_))
    ));
}

#[test]
fn fixed_terms_only_for_halls_in_england() {
    let mut d = complete();
    d.tenancy_type = Some(TenancyType::Fixed);
    assert_eq!(fields(&d.violations()), ["tenancy_type"]);
    d.property_type = Some(PropertyType::Hall);
    assert!(d.violations().is_empty());
}

#[test]
fn offers_over_is_refused() {
    let mut d = complete();
    d.title = Some(Title::parse("4-bed, offers over £120pw").unwrap());
    assert_eq!(fields(&d.violations()), ["description"]);
}

#[test]
fn ensuites_cannot_exceed_bedrooms() {
    let mut d = complete();
    d.ensuite_rooms = 5;
    assert_eq!(fields(&d.violations()), ["ensuite_rooms"]);
}

#[test]
fn only_a_never_published_draft_is_deletable() {
    let mut l = draft(complete());
    assert_eq!(l.check_deletable(), Ok(()));
    l.publish(now()).unwrap();
    l.unpublish("misleading photos".into(), now()).unwrap();
    assert_eq!(l.status, ListingStatus::Draft);
    assert_eq!(
        l.check_deletable(),
        Err(ListingError::NotDeletable(ListingStatus::Draft)),
        "a listing an admin took down keeps its moderation evidence"
    );
}

#[test]
fn transitions() {
    let mut l = draft(complete());
    assert!(matches!(l.mark_let(now()), Err(ListingError::InvalidTransition { .. })));
    l.publish(now()).unwrap();
    assert!(matches!(l.publish(now()), Err(ListingError::InvalidTransition { .. })));
    assert!(matches!(l.check_deletable(), Err(ListingError::NotDeletable(ListingStatus::Published))));
    l.mark_let(now()).unwrap();
    l.publish(now()).unwrap();
    l.archive(now()).unwrap();
    assert!(matches!(l.archive(now()), Err(ListingError::InvalidTransition { .. })));
    assert!(matches!(l.update(ListingPatch::default(), now()), Err(ListingError::InvalidTransition { .. })));
    l.publish(now()).unwrap();
    l.unpublish("misleading photos".into(), now()).unwrap();
    assert_eq!(l.status, ListingStatus::Draft);
    assert_eq!(l.moderation_note.as_deref(), Some("misleading photos"));
    l.publish(now()).unwrap();
    assert_eq!(l.moderation_note, None);
}

#[test]
fn published_listings_stay_publishable_through_edits() {
    let mut l = draft(complete());
    l.publish(now()).unwrap();
    let clear_rent = ListingPatch { rent_pppw: Patch::Clear, ..ListingPatch::default() };
    assert!(matches!(l.update(clear_rent, now()), Err(ListingError::Incomplete(_))));
    assert!(l.details.rent_pppw.is_some(), "a refused update changes nothing");
    let new_title =
        ListingPatch { title: Patch::Set(Title::parse("Renamed house").unwrap()), ..ListingPatch::default() };
    l.update(new_title, now()).unwrap();
    assert_eq!(l.details.title.as_ref().unwrap().as_str(), "Renamed house");
}

proptest! {
    /// The deposit cap holds for every rent and bedroom count: accepted ⇔ within the cap.
    #[test]
    fn deposit_cap_property(rent in 1i64..200_000, weeks_x10 in 0i64..80, bedrooms in 1u8..=20) {
        let mut d = complete();
        d.rent_pppw = Some(pence(rent));
        d.bedrooms = Some(bedrooms);
        d.ensuite_rooms = 0;
        let deposit = rent * weeks_x10 / 10;
        d.deposit = Some(pence(deposit));
        let cap = crate::rules::england_max_deposit(rent, bedrooms);
        let ok = !fields(&d.violations()).contains(&"deposit_pence");
        prop_assert_eq!(ok, deposit <= cap);
        prop_assert!(cap == rent * 5 || cap == rent * 6);
    }

    /// Whatever the patch sequence, a published listing is always publishable.
    #[test]
    fn published_stays_publishable(bedrooms in proptest::option::of(0u8..30), rent in proptest::option::of(0i64..300_000), clear_epc in any::<bool>()) {
        let mut l = draft(complete());
        l.publish(now()).unwrap();
        let patch = ListingPatch {
            bedrooms: bedrooms.map_or(Patch::Keep, Patch::Set),
            rent_pppw: rent.map_or(Patch::Keep, |r| Patch::Set(pence(r))),
            epc_rating: if clear_epc { Patch::Clear } else { Patch::Keep },
            ..ListingPatch::default()
        };
        let _ = l.update(patch, now());
        prop_assert!(l.details.missing_for_publish(now().date_naive()).is_empty());
        prop_assert!(l.details.violations().is_empty());
    }
}
