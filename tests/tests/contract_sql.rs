//! The repository contract suites on SQLite and PostgreSQL, each on a freshly migrated
//! database of its own.

use sea_orm::DatabaseConnection;
use sp_tests::TestDb;
use sp_tests::contract::{self, Ports};

fn ports(db: &DatabaseConnection) -> Ports {
    Ports::sql(db)
}

macro_rules! suites {
    ($($suite:ident),+ $(,)?) => {
        mod sqlite {
            use super::*;
            $(
                #[tokio::test]
                async fn $suite() {
                    let db = TestDb::sqlite();
                    contract::$suite::run(&ports(&db.migrated().await)).await;
                }
            )+
        }

        mod postgres {
            use super::*;
            $(
                #[tokio::test]
                async fn $suite() {
                    let db = TestDb::postgres().await;
                    contract::$suite::run(&ports(&db.migrated().await)).await;
                }
            )+
        }
    };
}

suites!(users, cities, listings, shortlist, enquiries, jobs, photos, audit);

// ------------------------------------------------------------------ SQL-specific checks
//
// What the suites cannot see through the ports: how values are stored.

mod storage {
    use application::RepositoryError;
    use application::paging::PageRequest;
    use application::ports::{SearchQuery, UserFilter};
    use chrono::{DateTime, Duration, TimeZone, Utc};
    use domain::Role;
    use domain::listing::{ListingDetails, ListingStatus};
    use sea_orm::{ConnectionTrait, DatabaseConnection};
    use sp_tests::TestDb;
    use sp_tests::contract::fixtures::{event, listing, seed_user, today, user, walk};

    use super::ports;

    fn base() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 9, 1, 9, 0, 0).unwrap()
    }

    /// Nanoseconds are dropped on both databases (PostgreSQL keeps microseconds; SQLite
    /// stores text and is truncated to match), and on SQLite the text of whole seconds,
    /// milliseconds and microseconds still sorts in time order.
    async fn timestamps(db: &DatabaseConnection) {
        let p = ports(db);
        let offsets_ns = [0, 500_000_000, 500_001_000, 123_400_000, 999_999_999, 1_000_000_000, 1_000];
        for (i, ns) in offsets_ns.iter().enumerate() {
            let n = 0x100 + u128::try_from(i).unwrap();
            let u = user(n, &format!("t{i}@example.com"), Role::Student, base() + Duration::nanoseconds(*ns));
            p.users
                .insert(&u, &event(0x900 + n, "user.create", ("user", u.id.to_string()), u.created_at))
                .await
                .unwrap();
            let stored = p.users.find(u.id).await.unwrap().unwrap();
            assert_eq!(
                stored.created_at,
                base() + Duration::microseconds(ns / 1_000),
                "{ns} ns keeps its microseconds"
            );
        }
        let mut expected: Vec<i64> = offsets_ns.iter().map(|ns| ns / 1_000).collect();
        expected.sort_unstable_by(|a, b| b.cmp(a));
        for size in [1, 2, 50] {
            let walked = walk(
                size,
                async |req| p.users.list(&UserFilter::default(), req).await.unwrap(),
                |u| sp_tests::contract::fixtures::time_cursor(u.created_at, u.id.0),
            )
            .await;
            let got: Vec<i64> = walked.iter().map(|u| (u.created_at - base()).num_microseconds().unwrap()).collect();
            assert_eq!(got, expected, "newest first in pages of {size}");
        }
    }

    /// A stored value the domain refuses comes back as `Unexpected`, never a panic.
    async fn corrupt_rows(db: &DatabaseConnection) {
        let p = ports(db);
        let owner = user(0x200, "owner@example.com", Role::Landlord, base());
        seed_user(&p, &owner).await;
        let l = listing(0x300, owner.id, ListingStatus::Draft, ListingDetails::default(), base(), None);
        p.listings.insert(&l, &event(0x301, "listing.create", ("listing", l.id.to_string()), base())).await.unwrap();

        db.execute_unprepared("UPDATE listings SET postcode = 'Q1 ZZ'").await.unwrap();
        let err = p.listings.find(l.id).await.unwrap_err();
        assert!(matches!(err, RepositoryError::Unexpected(_)), "{err:?}");
        assert!(format!("{:#}", anyhow::Error::from(err)).contains("postcode"), "the message names the field");
        assert!(p.listings.list_by_owner(owner.id, PageRequest::first(10)).await.is_err());

        db.execute_unprepared("UPDATE users SET email = 'not-an-email' WHERE email = 'owner@example.com'")
            .await
            .unwrap();
        assert!(matches!(p.users.find(owner.id).await, Err(RepositoryError::Unexpected(_))));
        assert!(p.listings.search(&SearchQuery::default(), today()).await.is_ok(), "drafts are not read by search");
    }

    /// The audit event is written in the change's transaction: when it cannot be stored,
    /// the change is not either.
    async fn audit_shares_the_transaction(db: &DatabaseConnection) {
        let p = ports(db);
        let owner = user(0x400, "atomic@example.com", Role::Landlord, base());
        seed_user(&p, &owner).await;
        let first = listing(0x401, owner.id, ListingStatus::Draft, ListingDetails::default(), base(), None);
        let ev = event(0x4FF, "listing.create", ("listing", first.id.to_string()), base());
        p.listings.insert(&first, &ev).await.unwrap();

        // Same event id again: the audit insert fails, so the listing must not exist.
        let second = listing(0x402, owner.id, ListingStatus::Draft, ListingDetails::default(), base(), None);
        assert!(p.listings.insert(&second, &ev).await.is_err());
        assert!(p.listings.find(second.id).await.unwrap().is_none(), "rolled back with its audit event");

        let mut changed = first.clone();
        changed.moderation_note = Some("changed".into());
        changed.version = first.version.next();
        let read = application::ports::Precondition::of(&first);
        // The precondition holds, so the failure is the audit event's (a duplicate id).
        assert!(matches!(p.listings.update(&changed, read, &ev).await, Err(RepositoryError::Conflict(_))));
        assert_eq!(p.listings.find(first.id).await.unwrap(), Some(first.clone()), "update rolled back");
        assert!(matches!(p.listings.delete(first.id, first.version, &ev).await, Err(RepositoryError::Conflict(_))));
        assert!(p.listings.find(first.id).await.unwrap().is_some(), "delete rolled back");
    }

    async fn all(db: &DatabaseConnection) {
        timestamps(db).await;
        corrupt_rows(db).await;
    }

    #[tokio::test]
    async fn sqlite() {
        let t = TestDb::sqlite();
        all(&t.migrated().await).await;
        audit_shares_the_transaction(&TestDb::sqlite().migrated().await).await;
    }

    #[tokio::test]
    async fn postgres() {
        let t = TestDb::postgres().await;
        all(&t.migrated().await).await;
        let t2 = TestDb::postgres().await;
        audit_shares_the_transaction(&t2.migrated().await).await;
    }
}

/// The pool the service opens (`sp_sql::connect`), not the tests' plain connections.
mod pool {
    use std::time::Duration;

    use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
    use sp_sql::{DbConfig, connect};
    use sp_tests::TestDb;

    /// Search statements are planned for their values on every execution
    /// (`sp_sql::connect::PLAN_CACHE_MODE`): a generic plan chosen after five runs made
    /// some searches 15× slower.
    #[tokio::test]
    async fn postgres_sessions_plan_for_the_actual_values() {
        let t = TestDb::postgres().await;
        let cfg = DbConfig {
            url: t.url.clone().into(),
            max_connections: 2,
            min_connections: 0,
            connect_timeout: Duration::from_secs(5),
            acquire_timeout: Duration::from_secs(5),
            label: "primary",
        };
        let db = connect(&cfg).await.unwrap();
        for _ in 0..3 {
            let row = db
                .query_one_raw(Statement::from_string(DatabaseBackend::Postgres, "SHOW plan_cache_mode"))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(row.try_get::<String>("", "plan_cache_mode").unwrap(), "force_custom_plan");
        }
        db.close().await.unwrap();
    }
}
