//! The UK letting rules' facts a listing now states (`domain::rules`, DESIGN.md):
//! `max_occupants` and `single_household` (HMO licensing turns on people and households,
//! not bedrooms), `epc_expires` and `epc_exemption` (an EPC lasts 10 years; F/G need a
//! registered exemption), `council_tax` (band or `student_exempt`) and `bills` (the
//! utilities a bills-included rent covers, a JSON array
//! `[{"utility": "electricity", "cap_pence_per_month": 4000}]`).
//!
//! Existing rows get nothing invented: the new facts are `NULL` (and `bills` `[]`), so a
//! listing published before keeps its place but must state them the next time it is
//! changed or published.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Listings {
    Table,
    MaxOccupants,
    SingleHousehold,
    EpcExpires,
    EpcExemption,
    CouncilTax,
    Bills,
}

fn columns() -> Vec<ColumnDef> {
    vec![
        ColumnDef::new(Listings::MaxOccupants).small_integer().null().to_owned(),
        ColumnDef::new(Listings::SingleHousehold).boolean().not_null().default(false).to_owned(),
        ColumnDef::new(Listings::EpcExpires).date().null().to_owned(),
        ColumnDef::new(Listings::EpcExemption).string_len(50).null().to_owned(),
        ColumnDef::new(Listings::CouncilTax).string_len(20).null().to_owned(),
        ColumnDef::new(Listings::Bills).text().not_null().default("[]").to_owned(),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one at a time.
        for mut c in columns() {
            manager.alter_table(Table::alter().table(Listings::Table).add_column(&mut c).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for c in columns().into_iter().rev() {
            let name = c.get_column_name();
            manager.alter_table(Table::alter().table(Listings::Table).drop_column(Alias::new(name)).to_owned()).await?;
        }
        Ok(())
    }
}
