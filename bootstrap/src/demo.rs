//! Demo data: the UK's main university cities with real student areas (and their
//! postcode districts), landlords, agents, and listings with varied rents and features.
//! Used by `serve` on a fresh embedded dev database and by `seed --demo`. Every listing
//! goes through the domain (`Listing::draft` + `publish`), so it obeys the letting rules
//! of its nation. Deterministic for a given seed.

use std::sync::Arc;

use application::audit::{AuditEvent, Origin};
use application::cities::{CityPorts, LoadCities};
use application::ports::{CityRepository, IdGen, ListingRepository, SystemClock, UserRepository, UuidV7};
use chrono::{DateTime, Days, Duration, NaiveDate, Utc};
use domain::listing::{
    AcademicYear, AddressLine, Bill, Bills, CouncilTax, Description, EpcRating, Feature, Features, HmoLicenceNumber,
    Listing, ListingDetails, ListingId, Postcode, PropertyType, TenancyType, Title, Utility,
};
use domain::rules::{Nation, rules_for};
use domain::{AreaName, CityName, CitySlug, DisplayName, Email, PasswordHash, Pence, Role, User, UserId};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// A demo city: name, rent band in pence per person per week, and its areas with their
/// postcode districts.
pub type DemoCity = (&'static str, (i64, i64), &'static [(&'static str, &'static str)]);

pub const CITIES: &[DemoCity] = &[
    (
        "Birmingham",
        (11_000, 16_000),
        &[("Selly Oak", "B29"), ("Edgbaston", "B15"), ("Harborne", "B17"), ("Bournbrook", "B29")],
    ),
    (
        "Bristol",
        (15_000, 22_000),
        &[("Clifton", "BS8"), ("Redland", "BS6"), ("Cotham", "BS6"), ("Bishopston", "BS7"), ("Stokes Croft", "BS2")],
    ),
    ("Cardiff", (10_500, 15_000), &[("Cathays", "CF24"), ("Roath", "CF24"), ("Heath", "CF14"), ("Canton", "CF11")]),
    (
        "Edinburgh",
        (16_000, 24_000),
        &[("Marchmont", "EH9"), ("Newington", "EH8"), ("Bruntsfield", "EH10"), ("Leith", "EH6")],
    ),
    (
        "Glasgow",
        (12_000, 18_000),
        &[("West End", "G12"), ("Hillhead", "G12"), ("Finnieston", "G3"), ("Partick", "G11")],
    ),
    (
        "Leeds",
        (11_000, 17_000),
        &[("Hyde Park", "LS6"), ("Headingley", "LS6"), ("Woodhouse", "LS2"), ("Burley", "LS4"), ("Kirkstall", "LS5")],
    ),
    (
        "Liverpool",
        (10_000, 14_500),
        &[("Smithdown", "L15"), ("Wavertree", "L15"), ("Kensington", "L7"), ("Baltic Triangle", "L1")],
    ),
    (
        "London",
        (22_000, 35_000),
        &[("Camden", "NW1"), ("Bloomsbury", "WC1"), ("Mile End", "E1"), ("New Cross", "SE14"), ("Stratford", "E15")],
    ),
    (
        "Manchester",
        (12_000, 18_000),
        &[
            ("Fallowfield", "M14"),
            ("Withington", "M20"),
            ("Rusholme", "M14"),
            ("Victoria Park", "M14"),
            ("Didsbury", "M20"),
        ],
    ),
    (
        "Newcastle upon Tyne",
        (10_000, 15_000),
        &[("Jesmond", "NE2"), ("Heaton", "NE6"), ("Sandyford", "NE2"), ("Fenham", "NE4")],
    ),
    ("Nottingham", (10_500, 15_000), &[("Lenton", "NG7"), ("Dunkirk", "NG7"), ("Beeston", "NG9"), ("Radford", "NG7")]),
    (
        "Sheffield",
        (10_000, 14_500),
        &[("Crookes", "S10"), ("Broomhill", "S10"), ("Ecclesall Road", "S11"), ("Walkley", "S6")],
    ),
    (
        "Southampton",
        (12_000, 16_500),
        &[("Portswood", "SO17"), ("Highfield", "SO17"), ("Swaythling", "SO16"), ("Shirley", "SO15")],
    ),
    (
        "York",
        (13_000, 18_500),
        &[("Heslington", "YO10"), ("Fulford", "YO10"), ("Tang Hall", "YO31"), ("The Groves", "YO31")],
    ),
];

/// Loads the shipped reference list of cities (`crate::reference`), which holds every
/// demo city and area: creates those not stored yet, leaves the others as they are.
pub async fn seed_cities(
    repo: Arc<dyn CityRepository>,
    public: application::cached::PublicVersion,
) -> anyhow::Result<usize> {
    let ports = CityPorts { cities: repo, clock: Arc::new(SystemClock), ids: Arc::new(UuidV7), public };
    let loaded = LoadCities::new(ports).execute(&crate::reference::cities()).await?;
    Ok(loaded.created + loaded.present)
}

/// The password of every demo account (dev data only).
pub const DEMO_PASSWORD: &str = "student-palace-demo";

/// Demo accounts a developer can sign in with.
pub const DEMO_STUDENT: &str = "student@demo.student-palace.co.uk";
pub const DEMO_LANDLORD: &str = "landlord@demo.student-palace.co.uk";
pub const DEMO_ADMIN: &str = "admin@demo.student-palace.co.uk";

pub struct DemoPorts {
    pub users: Arc<dyn UserRepository>,
    pub cities: Arc<dyn CityRepository>,
    pub listings: Arc<dyn ListingRepository>,
    /// A hash of `DEMO_PASSWORD`, computed once (argon2 is deliberately slow).
    pub password_hash: PasswordHash,
    /// Seeding writes behind the use cases' backs: it replaces the public version itself.
    pub public: application::cached::PublicVersion,
}

pub struct DemoSummary {
    pub cities: usize,
    pub users: usize,
    pub listings: usize,
    /// The listings added, in order.
    pub listing_ids: Vec<ListingId>,
}

const STREETS: &[&str] = &[
    "Victoria Road",
    "Church Street",
    "Park Avenue",
    "Queens Road",
    "Mill Lane",
    "Station Road",
    "Albert Terrace",
    "Cardigan Road",
    "Brudenell Grove",
    "Ashville Avenue",
    "Harold Mount",
    "Manor Drive",
    "Grove Lane",
    "Chestnut Avenue",
];
const ADJECTIVES: &[&str] =
    &["Bright", "Spacious", "Modern", "Newly refurbished", "Cosy", "Stylish", "Well kept", "Light and airy", "Quiet"];
const INWARD_LETTERS: &[u8] = b"ABDEFGHJLNPQRSTUWXYZ";

fn pick<'a, T>(rng: &mut StdRng, xs: &'a [T]) -> &'a T {
    &xs[rng.random_range(0..xs.len())]
}

fn user(id: UserId, email: &str, name: &str, role: Role, hash: &PasswordHash, at: DateTime<Utc>) -> User {
    User {
        id,
        email: Email::parse(email).expect("demo e-mails are valid"),
        display_name: DisplayName::parse(name).expect("demo names are valid"),
        role,
        password_hash: hash.clone(),
        email_verified: true,
        suspended: false,
        created_at: at,
        updated_at: at,
        version: domain::Version::FIRST,
        session_epoch: 0,
    }
}

fn audit(ids: &dyn IdGen, action: &str, target: (&str, String), at: DateTime<Utc>) -> AuditEvent {
    let origin = Origin { actor: None, request_id: Some("seed".into()) };
    AuditEvent::new(ids.new_id(), &origin, action, target, None, None, at)
}

/// Builds one valid, published listing.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn listing(rng: &mut StdRng, ids: &dyn IdGen, owner: UserId, now: DateTime<Utc>) -> Listing {
    let (city_name, (lo, hi), areas) = pick(rng, CITIES);
    let (area, district) = pick(rng, areas);
    let city = CitySlug::from_name(&CityName::parse(city_name).expect("valid")).expect("valid");
    let postcode = Postcode::parse(&format!(
        "{district} {}{}{}",
        rng.random_range(1..=9),
        *pick(rng, INWARD_LETTERS) as char,
        *pick(rng, INWARD_LETTERS) as char
    ))
    .expect("demo postcodes are valid");
    let nation = Nation::of_postcode(&postcode);
    let property_type = *pick(
        rng,
        &[
            PropertyType::House,
            PropertyType::House,
            PropertyType::House,
            PropertyType::Flat,
            PropertyType::Flat,
            PropertyType::Studio,
            PropertyType::Room,
            PropertyType::Hall,
        ],
    );
    let bedrooms: u8 = match property_type {
        PropertyType::House => rng.random_range(3..=8),
        PropertyType::Flat => rng.random_range(1..=4),
        PropertyType::Room => rng.random_range(3..=6),
        PropertyType::Studio | PropertyType::Hall => 1,
    };
    let rent = rng.random_range(*lo..=*hi) / 100 * 100 + if rng.random_bool(0.3) { 50 } else { 0 };
    let bills_included = rng.random_bool(0.5);
    let rent = if bills_included { rent + 1_500 } else { rent };
    let max_deposit_weeks = if nation == Nation::Scotland { 8 } else { 5 };
    let deposit = rent * rng.random_range(0..=max_deposit_weeks);
    let mut features: Features = Feature::ALL.iter().copied().filter(|_| rng.random_bool(0.35)).collect();
    features = features | Feature::Wifi;
    let ensuite_rooms = if rng.random_bool(0.35) { rng.random_range(1..=bedrooms) } else { 0 };
    let year = if rng.random_bool(0.8) { 2027 } else { 2026 };
    let available_from =
        NaiveDate::from_ymd_opt(i32::from(year), 6, 1).expect("valid") + Days::new(rng.random_range(0..100));
    // Everyone in the house or flat (for a hall place: the flat of the hall).
    let max_occupants: u8 = match property_type {
        PropertyType::Studio => 1,
        PropertyType::Hall => rng.random_range(4..=8),
        _ => bedrooms,
    };
    let needs_licence =
        rules_for(nation).hmo_threshold().is_some_and(|t| max_occupants >= t.people && max_occupants >= t.households);
    let adjective = pick(rng, ADJECTIVES);
    let kind = match property_type {
        PropertyType::House => format!("{bedrooms}-bed house"),
        PropertyType::Flat => format!("{bedrooms}-bed flat"),
        PropertyType::Studio => "studio".to_owned(),
        PropertyType::Room => format!("room in a {bedrooms}-bed shared house"),
        PropertyType::Hall => "en-suite room in halls".to_owned(),
    };
    let feature_words: Vec<&str> = features.iter().map(|f| f.as_str()).collect();
    let description = format!(
        "{adjective} {kind} in {area}, {city_name}, a short walk from campus, shops and buses. \
         {} Fully {} with {}. Rent is £{}.{:02} per person per week{}. Available from {}.",
        if ensuite_rooms > 0 {
            format!("{ensuite_rooms} of the rooms have en-suite bathrooms.")
        } else {
            String::new()
        },
        if rng.random_bool(0.8) { "furnished" } else { "unfurnished (furniture on request)" },
        feature_words.join(", ").replace('_', " "),
        rent / 100,
        rent % 100,
        if bills_included { ", bills included" } else { "" },
        available_from.format("%-d %B %Y"),
    );
    let details = ListingDetails {
        title: Some(Title::parse(&format!("{adjective} {kind} in {area}")).expect("valid")),
        description: Some(Description::parse(&description).expect("valid")),
        city: Some(city),
        area: Some(AreaName::parse(area).expect("valid")),
        address_line: Some(
            AddressLine::parse(&format!("{} {}", rng.random_range(1..=180), pick(rng, STREETS))).expect("valid"),
        ),
        postcode: Some(postcode),
        property_type: Some(property_type),
        bedrooms: Some(bedrooms),
        bathrooms: Some(1 + bedrooms / 3),
        ensuite_rooms,
        rent_pppw: Some(Pence::new("rent", rent, i64::MAX).expect("valid")),
        bills_included,
        deposit: Some(Pence::new("deposit", deposit, i64::MAX).expect("valid")),
        available_from: Some(available_from),
        academic_year: Some(AcademicYear::starting(year)),
        tenancy_months: Some(if property_type == PropertyType::Hall { 10 } else { 12 }),
        tenancy_type: Some(if property_type == PropertyType::Hall {
            TenancyType::Fixed
        } else {
            TenancyType::Periodic
        }),
        furnished: rng.random_bool(0.8),
        features,
        hmo_licence: needs_licence.then(|| {
            HmoLicenceNumber::parse(&format!("HMO/{}/{:04}", rng.random_range(2022..=2026), rng.random_range(1..9999)))
                .expect("valid")
        }),
        hmo_licence_expires: needs_licence.then(|| now.date_naive() + Days::new(rng.random_range(200..1500))),
        epc_rating: Some(*pick(
            rng,
            &[EpcRating::B, EpcRating::C, EpcRating::C, EpcRating::D, EpcRating::D, EpcRating::E],
        )),
        epc_expires: Some(now.date_naive() + Days::new(rng.random_range(200..3000))),
        epc_exemption: None,
        max_occupants: Some(max_occupants),
        single_household: false,
        council_tax: Some(if rng.random_bool(0.9) { CouncilTax::StudentExempt } else { CouncilTax::B }),
        bills: if bills_included { demo_bills(rng) } else { Bills::default() },
    };
    let created = now - Duration::minutes(rng.random_range(60..60 * 24 * 90));
    let mut l = Listing::draft(ListingId(ids.new_id()), owner, details, created).expect("demo listings obey the rules");
    let published = created + Duration::minutes(rng.random_range(1..60 * 24 * 3));
    l.publish(published.min(now)).expect("demo listings are complete");
    l
}

/// What a bills-included demo let covers: energy and water always, usually broadband, and
/// a fair-usage cap on electricity now and then.
fn demo_bills(rng: &mut StdRng) -> Bills {
    let cap =
        rng.random_bool(0.4).then(|| Pence::new("cap", rng.random_range(30..=80) * 100, i64::MAX).expect("valid"));
    let mut bills = vec![
        Bill { utility: Utility::Electricity, cap_pence_per_month: cap },
        Bill { utility: Utility::Gas, cap_pence_per_month: None },
        Bill { utility: Utility::Water, cap_pence_per_month: None },
    ];
    if rng.random_bool(0.8) {
        bills.push(Bill { utility: Utility::Broadband, cap_pence_per_month: None });
    }
    Bills::new(bills).expect("each utility once")
}

/// Who the demo accounts include.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoAdmin {
    /// Dev: `DEMO_ADMIN` with the published demo password.
    Include,
    /// Anywhere else (a load-test database with `ALLOW_DEMO_SEED`): never an admin
    /// account whose password is in the README.
    Leave,
}

/// Seeds cities, demo accounts, `landlords` landlords/agents and `listings` published
/// listings. Idempotent for cities and demo accounts (existing ones are kept); listings
/// are always added.
pub async fn seed(p: &DemoPorts, listings: usize, seed: u64, admin: DemoAdmin) -> anyhow::Result<DemoSummary> {
    let ids = UuidV7;
    let now = Utc::now();
    let mut rng = StdRng::seed_from_u64(seed);
    let cities = seed_cities(p.cities.clone(), p.public.clone()).await?;

    let mut owners = Vec::new();
    let mut users = 0;
    let fixed = [
        (DEMO_STUDENT, "Demo Student", Role::Student),
        (DEMO_LANDLORD, "Demo Landlord", Role::Landlord),
        (DEMO_ADMIN, "Demo Admin", Role::Admin),
    ];
    let generated: Vec<(String, String, Role)> = (1..=30)
        .map(|i| {
            let role = if i % 4 == 0 { Role::Agent } else { Role::Landlord };
            let name = if role == Role::Agent { format!("Campus Lettings {i}") } else { format!("Landlord {i}") };
            (format!("{}{i}@demo.student-palace.co.uk", role.as_str()), name, role)
        })
        .collect();
    let all = fixed
        .iter()
        .filter(|(_, _, r)| *r != Role::Admin || admin == DemoAdmin::Include)
        .map(|(e, n, r)| ((*e).to_owned(), (*n).to_owned(), *r))
        .chain(generated);
    for (email, name, role) in all {
        let existing = p.users.find_by_email(&Email::parse(&email).expect("valid")).await?;
        let u = if let Some(u) = existing {
            u
        } else {
            let u = user(UserId(ids.new_id()), &email, &name, role, &p.password_hash, now - Duration::days(120));
            p.users.insert(&u, &audit(&ids, "user.seed", ("user", u.id.to_string()), now)).await?;
            users += 1;
            u
        };
        if role.can_list() {
            owners.push(u.id);
        }
    }

    let mut listing_ids = Vec::with_capacity(listings);
    for _ in 0..listings {
        let owner = *pick(&mut rng, &owners);
        let l = listing(&mut rng, &ids, owner, now);
        p.listings.insert(&l, &audit(&ids, "listing.seed", ("listing", l.id.to_string()), now)).await?;
        listing_ids.push(l.id);
    }
    p.public.changed().await;
    Ok(DemoSummary { cities, users, listings, listing_ids })
}

/// Gives every listing in `ids` one ready photo, made through the real pipeline: a few
/// generated images are processed once by the `ImageProcessor` (orientation, metadata
/// stripped, every variant), and each listing gets its own copy of one of them under its
/// own keys, with a row marked ready. Each row's `photo.process` job finds it ready and
/// does nothing. `concurrency` listings are done at once (1 on SQLite, which has one
/// writer). About 100 KB of objects per listing.
pub async fn seed_photos(
    p: &application::photos::PhotoPorts,
    ids: &[ListingId],
    concurrency: usize,
) -> anyhow::Result<usize> {
    use futures::{StreamExt as _, TryStreamExt as _};
    let mut processed = Vec::new();
    for seed in 0..4u32 {
        let original = bytes::Bytes::from(sp_images::sample_photo(seed));
        let variants = p.images.process(original.clone()).await.map_err(|e| anyhow::anyhow!("{e:#}"))?;
        processed.push((original, variants));
    }
    let processed = &processed;
    futures::stream::iter(ids.iter().enumerate())
        .map(|(i, listing_id)| {
            let (original, variants) = &processed[i % processed.len()];
            seed_photo(p, *listing_id, original, variants)
        })
        .buffer_unordered(concurrency.max(1))
        .try_collect::<()>()
        .await?;
    p.public.changed().await;
    Ok(ids.len())
}

async fn seed_photo(
    p: &application::photos::PhotoPorts,
    listing_id: ListingId,
    original: &bytes::Bytes,
    variants: &application::ports::Processed,
) -> anyhow::Result<()> {
    use application::ports::{BlobAttrs, BlobKey, NewJob};
    use domain::photo::{Photo, PhotoId, PhotoStatus};
    let now = p.clock.now();
    let photo = Photo {
        id: PhotoId(p.ids.new_id()),
        listing_id,
        status: PhotoStatus::Pending,
        position: 0,
        content_type: "image/jpeg".into(),
        bytes: original.len() as u64,
        width: None,
        height: None,
        reject_reason: None,
        created_at: now,
        updated_at: now,
    };
    p.blobs.put(&BlobKey::parse(&photo.original_key())?, original.clone(), &BlobAttrs::private("image/jpeg")).await?;
    for v in &variants.variants {
        let key = photo.variant_key(v.name).ok_or_else(|| anyhow::anyhow!("no key for {}", v.name))?;
        p.blobs.put(&BlobKey::parse(&key)?, v.bytes.clone(), &BlobAttrs::immutable(v.content_type)).await?;
    }
    let job = NewJob::now(
        p.ids.new_id(),
        application::photos::PROCESS_PHOTO,
        serde_json::json!({ "photo_id": photo.id }),
        now,
    );
    let stored = p.photos.insert(&photo, domain::photo::MAX_PHOTOS_PER_LISTING, &job).await?;
    // The job may have run first (it made the same variants and marked it ready).
    match p.photos.mark_ready(stored.id, variants.width, variants.height, now).await {
        Ok(()) | Err(application::RepositoryError::Stale) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_listings_are_valid_everywhere() {
        let mut rng = StdRng::seed_from_u64(7);
        let now = Utc::now();
        for _ in 0..2_000 {
            let l = listing(&mut rng, &UuidV7, UserId(uuid::Uuid::nil()), now);
            assert!(l.details.violations().is_empty());
            assert_eq!(l.details.missing_for_publish(now.date_naive()), vec![], "demo data is publishable");
            assert!(l.details.searchable(now.date_naive()));
        }
    }

    #[test]
    fn demo_cities_and_areas_are_in_the_reference_list() {
        let reference = crate::reference::cities();
        for (name, _, areas) in CITIES {
            let city = reference.iter().find(|c| c.name.as_str() == *name).expect("demo city in the reference list");
            for (area, _) in *areas {
                assert!(city.area(area).is_some(), "{name}: {area} in the reference list");
            }
        }
    }
}
