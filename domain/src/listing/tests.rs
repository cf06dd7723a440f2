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
        max_occupants: Some(4),
        single_household: false,
        rent_pppw: Some(pence(12_500)),
        bills_included: true,
        bills: Bills::new(vec![
            Bill { utility: Utility::Electricity, cap_pence_per_month: Some(pence(4_000)) },
            Bill { utility: Utility::Water, cap_pence_per_month: None },
            Bill { utility: Utility::Broadband, cap_pence_per_month: None },
        ])
        .unwrap(),
        deposit: Some(pence(50_000)),
        council_tax: Some(CouncilTax::StudentExempt),
        available_from: NaiveDate::from_ymd_opt(2027, 7, 1),
        academic_year: Some(AcademicYear::parse("2027/28").unwrap()),
        tenancy_months: Some(12),
        tenancy_type: Some(TenancyType::Periodic),
        furnished: true,
        features: Features::parse_all(["wifi", "garden"]).unwrap(),
        hmo_licence: None,
        hmo_licence_expires: None,
        epc_rating: Some(EpcRating::C),
        epc_expires: NaiveDate::from_ymd_opt(2031, 3, 1),
        epc_exemption: None,
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
        "epc_expires",
        "max_occupants",
        "deposit_pence",
        "tenancy_type",
        "council_tax",
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

fn in_wales(mut d: ListingDetails) -> ListingDetails {
    d.city = Some(CitySlug::parse("cardiff").unwrap());
    d.area = None;
    d.postcode = Some(Postcode::parse("CF24 4HQ").unwrap());
    d
}

fn in_scotland(mut d: ListingDetails) -> ListingDetails {
    d.city = Some(CitySlug::parse("edinburgh").unwrap());
    d.area = None;
    d.postcode = Some(Postcode::parse("EH8 9YL").unwrap());
    d
}

fn publish_problems(d: ListingDetails) -> Vec<&'static str> {
    match draft(d).publish(now()) {
        Ok(()) => Vec::new(),
        Err(ListingError::Incomplete(m)) => fields(&m),
        Err(e) => panic!("{e:?}"),
    }
}

#[test]
fn epc_f_or_g_needs_a_registered_exemption_in_england_and_wales() {
    for nation in [complete(), in_wales(complete())] {
        for band in [EpcRating::F, EpcRating::G] {
            let mut d = nation.clone();
            d.epc_rating = Some(band);
            assert_eq!(publish_problems(d.clone()), ["epc_rating"]);
            d.epc_exemption = Some(EpcExemptionRef::parse("PRS-EX-000123").unwrap());
            assert_eq!(publish_problems(d), Vec::<&str>::new(), "an exemption lets {band:?} publish");
        }
    }
    // Scotland has no minimum band for private lets in force.
    let mut d = in_scotland(complete());
    d.max_occupants = Some(2);
    d.epc_rating = Some(EpcRating::G);
    assert_eq!(publish_problems(d), Vec::<&str>::new());
}

#[test]
fn an_expired_or_implausible_epc_blocks_publishing_everywhere() {
    for nation in [complete(), in_wales(complete()), in_scotland(complete())] {
        let mut d = nation;
        d.max_occupants = Some(2);
        d.epc_expires = NaiveDate::from_ymd_opt(2026, 11, 24); // the day before `now()`
        assert_eq!(publish_problems(d.clone()), ["epc_expires"]);
        d.epc_expires = NaiveDate::from_ymd_opt(2036, 11, 25); // exactly ten years: fine
        assert_eq!(publish_problems(d.clone()), Vec::<&str>::new());
        d.epc_expires = NaiveDate::from_ymd_opt(2036, 11, 26);
        assert_eq!(publish_problems(d.clone()), ["epc_expires"], "an EPC lasts ten years");
        d.epc_expires = None;
        assert_eq!(publish_problems(d), ["epc_expires"]);
    }
}

#[test]
fn material_information_is_required_to_publish() {
    let mut d = complete();
    d.deposit = None;
    d.tenancy_type = None;
    d.council_tax = None;
    d.bills = Bills::default();
    assert_eq!(publish_problems(d.clone()), ["deposit_pence", "tenancy_type", "council_tax", "bills"]);
    // An explicit zero deposit is information; bills not included need no list.
    d.deposit = Some(Pence::ZERO);
    d.tenancy_type = Some(TenancyType::Periodic);
    d.council_tax = Some(CouncilTax::C);
    d.bills_included = false;
    assert_eq!(publish_problems(d.clone()), Vec::<&str>::new());
    // A bills list on a let without bills is contradictory, draft or not.
    d.bills = complete().bills;
    assert_eq!(fields(&d.violations()), ["bills"]);
}

#[test]
fn council_tax_band_i_exists_in_wales_only() {
    let mut d = complete();
    d.council_tax = Some(CouncilTax::I);
    assert_eq!(fields(&d.violations()), ["council_tax"]);
    assert_eq!(fields(&in_scotland(d.clone()).violations()), ["council_tax"]);
    assert!(in_wales(d).violations().is_empty());
}

#[test]
fn northern_ireland_and_the_crown_dependencies_are_refused_with_a_reason() {
    for (postcode, says) in
        [("BT7 1NN", "Northern Ireland"), ("JE2 3AB", "Jersey"), ("GY1 1AA", "Guernsey"), ("IM1 1AA", "Isle of Man")]
    {
        let mut d = complete();
        d.postcode = Some(Postcode::parse(postcode).unwrap());
        let v = d.violations();
        assert_eq!(fields(&v), ["postcode"], "{postcode}");
        assert!(v[0].message.contains(says), "{postcode}: {}", v[0].message);
        let Err(ListingError::Invalid(_)) = Listing::draft(ListingId(Uuid::nil()), UserId(Uuid::nil()), d, now())
        else {
            panic!("{postcode} is refused at creation")
        };
    }
}

#[test]
fn hmo_licensing_turns_on_people_and_households_not_bedrooms() {
    // Four bedrooms let to five sharers: licence needed.
    let mut d = complete();
    d.max_occupants = Some(5);
    assert_eq!(publish_problems(d.clone()), ["hmo_licence"]);
    // Five people of one household (a family): no mandatory licence.
    d.single_household = true;
    assert_eq!(publish_problems(d), Vec::<&str>::new());
    // A room in a six-person house needs the house's licence, whatever the type.
    for property_type in [PropertyType::Room, PropertyType::Flat, PropertyType::Hall] {
        let mut d = complete();
        d.property_type = Some(property_type);
        d.bedrooms = Some(1);
        d.ensuite_rooms = 0;
        d.max_occupants = Some(6);
        assert_eq!(publish_problems(d.clone()), ["hmo_licence"], "{property_type:?}");
        assert_eq!(publish_problems(in_wales(d)), ["hmo_licence"], "{property_type:?} in Wales");
    }
    // Five bedrooms let to four: none.
    let mut d = complete();
    d.bedrooms = Some(5);
    assert_eq!(publish_problems(d), Vec::<&str>::new());
}

#[test]
fn five_sharers_need_an_unexpired_hmo_licence() {
    let mut d = complete();
    d.bedrooms = Some(5);
    d.max_occupants = Some(5);
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
    assert_eq!(complete().searchable_until(), None, "4 sharers in England: no licence needed");
    assert!(d.searchable(NaiveDate::from_ymd_opt(2028, 12, 31).unwrap()));
    assert!(!d.searchable(NaiveDate::from_ymd_opt(2029, 1, 2).unwrap()));
}

#[test]
fn scotland_needs_a_licence_from_three_and_caps_deposits_at_two_months() {
    let mut d = in_scotland(complete());
    d.bedrooms = Some(3);
    d.max_occupants = Some(3);
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

#[test]
fn the_fifty_thousand_pound_test_is_on_the_rent_of_the_let() {
    // £200 a week: a five-person house is let for £52,000 a year (6 weeks allowed), a
    // room in that house for £10,400 (5 weeks), whatever the house's size.
    let mut house = complete();
    house.rent_pppw = Some(pence(20_000));
    house.max_occupants = Some(5);
    house.hmo_licence = Some(HmoLicenceNumber::parse("HMO/2026/0042").unwrap());
    house.deposit = Some(pence(20_000 * 6));
    assert!(house.violations().is_empty());
    let mut room = house.clone();
    room.property_type = Some(PropertyType::Room);
    room.bedrooms = Some(1);
    room.ensuite_rooms = 0;
    assert_eq!(fields(&room.violations()), ["deposit_pence"]);
    room.deposit = Some(pence(20_000 * 5));
    assert!(room.violations().is_empty());
    let mut hall = room.clone();
    hall.property_type = Some(PropertyType::Hall);
    hall.deposit = Some(pence(20_000 * 6));
    assert_eq!(fields(&hall.violations()), ["deposit_pence"]);
}

#[test]
fn wales_has_no_deposit_cap_in_weeks() {
    let mut d = in_wales(complete());
    d.deposit = Some(pence(12_500 * 8));
    assert!(d.violations().is_empty());
}

proptest! {
    /// The deposit cap holds for every rent, let and occupancy: accepted ⇔ within the cap.
    #[test]
    fn deposit_cap_property(
        rent in 1i64..200_000,
        weeks_x10 in 0i64..80,
        occupants in 1u8..=30,
        room in any::<bool>(),
    ) {
        let mut d = complete();
        d.rent_pppw = Some(pence(rent));
        d.max_occupants = Some(occupants);
        if room {
            d.property_type = Some(PropertyType::Room);
            d.bedrooms = Some(1);
            d.ensuite_rooms = 0;
        }
        let deposit = rent * weeks_x10 / 10;
        d.deposit = Some(pence(deposit));
        let annual = rent * 52 * if room { 1 } else { i64::from(occupants) };
        let cap = crate::rules::england_max_deposit(rent, annual);
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
