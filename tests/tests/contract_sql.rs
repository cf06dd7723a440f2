//! The repository contract suites on SQLite and PostgreSQL, each on a freshly migrated
//! database of its own.

use std::sync::Arc;

use sea_orm::DatabaseConnection;
use sp_sql::{
    SqlAuditLog, SqlCityRepository, SqlEnquiryRepository, SqlListingRepository, SqlShortlistRepository,
    SqlUserRepository,
};
use sp_tests::TestDb;
use sp_tests::contract::{self, Ports};

fn ports(db: &DatabaseConnection) -> Ports {
    Ports {
        users: Arc::new(SqlUserRepository::new(db.clone())),
        cities: Arc::new(SqlCityRepository::new(db.clone())),
        listings: Arc::new(SqlListingRepository::new(db.clone())),
        shortlist: Arc::new(SqlShortlistRepository::new(db.clone())),
        enquiries: Arc::new(SqlEnquiryRepository::new(db.clone())),
        audit: Arc::new(SqlAuditLog::new(db.clone())),
    }
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

suites!(users, listings, shortlist, enquiries, audit);
