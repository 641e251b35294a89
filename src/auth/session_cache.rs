//! A short memory of verified sessions, so a busy client does not cost a database read per
//! request. Entries live `HELPDESK_CACHE_TTL_MS` (2 s by default): a logout on this instance
//! forgets its token at once; a revocation, role change or disabled account made elsewhere
//! applies here within the TTL.

use std::time::Duration;

use crate::accounts::User;
use crate::cache::TtlCache;

/// Verified sessions by token id (`jti`).
pub type SessionCache = TtlCache<String, User>;

/// Enough for every session active within a TTL on one instance.
const MAX_ENTRIES: usize = 50_000;

pub fn session_cache(ttl: Duration) -> SessionCache {
    TtlCache::new(ttl, MAX_ENTRIES)
}
