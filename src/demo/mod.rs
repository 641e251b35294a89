//! `helpdesk seed-demo`: a desk to look around in, made on an empty database through the
//! services people use (accounts, `tickets::open`, replies, ratings, bookings, procedures).
//! Only the month of history is moved back in time, in `history`.

mod cast;
mod history;
mod procedures;
mod script;

use diesel::prelude::*;

use crate::db::schema::{tickets, users};
use crate::db::{Db, DbConn};
use crate::error::ServiceError;
use crate::files::FileStore;
use crate::tickets::open::Place;

pub use cast::DemoAccount;

/// What the demo made, for the command to print.
pub struct Demo {
    pub accounts: Vec<DemoAccount>,
    pub tickets: usize,
    /// The academic year whose calendar the demo published (copied from the newest one), if
    /// the current year had none.
    pub calendar: Option<String>,
}

/// Seeds the demo: refused (409) unless the desk is empty of tickets and accounts, so that it
/// never mixes invented people with real ones.
pub async fn seed(db: &Db, files: &FileStore, place: &Place) -> Result<Demo, ServiceError> {
    db.read(refuse_real_data).await?;
    let calendar = db.write(procedures::current_calendar).await?;
    let cast = cast::create(db).await?;
    let (mut tickets, ita_l2) = script::current(db, files, &cast, place).await?;
    tickets += script::history(db, files, &cast, place).await?;
    procedures::seed(db, &cast, &ita_l2, place).await?;
    Ok(Demo { accounts: cast.accounts(), tickets, calendar })
}

fn refuse_real_data(conn: &mut DbConn) -> Result<(), ServiceError> {
    let tickets: i64 = tickets::table.count().get_result(conn)?;
    let accounts: i64 = users::table.count().get_result(conn)?;
    if tickets > 0 || accounts > 0 {
        return Err(ServiceError::Conflict(format!(
            "this desk already has data ({tickets} tickets, {accounts} accounts): the demo is seeded only on a fresh \
             data folder (e.g. HELPDESK_DATA_DIR=./demo-data) and never mixed with real requests"
        )));
    }
    Ok(())
}
