use std::sync::Arc;

use crate::auth::JwtKeys;
use crate::config::Settings;
use crate::db::Db;
use crate::tickets::attachments::FileStore;

/// What every handler may reach: built once at start-up, shared by the workers.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub settings: Arc<Settings>,
    pub keys: Arc<JwtKeys>,
    pub files: FileStore,
}
