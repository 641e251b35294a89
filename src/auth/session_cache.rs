//! A short memory of verified sessions, so a busy client does not cost a database read per
//! request. Entries live `ttl` (2 s by default): a logout on this instance forgets its
//! token at once; a revocation, role change or disabled account made elsewhere applies here
//! within `ttl`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::accounts::User;

pub struct SessionCache {
    ttl: Duration,
    entries: Mutex<HashMap<String, (Instant, User)>>,
}

const MAX_ENTRIES: usize = 50_000;

impl SessionCache {
    pub fn new(ttl: Duration) -> Self {
        Self { ttl, entries: Mutex::new(HashMap::new()) }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Instant, User)>> {
        match self.entries.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    pub fn get(&self, jti: &str) -> Option<User> {
        let entries = self.entries();
        entries.get(jti).filter(|(at, _)| at.elapsed() < self.ttl).map(|(_, user)| user.clone())
    }

    pub fn put(&self, jti: &str, user: User) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.entries();
        if entries.len() >= MAX_ENTRIES {
            let ttl = self.ttl;
            entries.retain(|_, (at, _)| at.elapsed() < ttl);
        }
        entries.insert(jti.to_owned(), (Instant::now(), user));
    }

    pub fn forget(&self, jti: &str) {
        self.entries().remove(jti);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Locale, Role};

    fn user() -> User {
        User {
            id: "u".into(),
            email: "a@b.it".into(),
            display_name: "A".into(),
            role: Role::Student,
            locale: Locale::It,
            email_verified: true,
            teams: vec![],
            team_ids: vec![],
        }
    }

    #[test]
    fn remembers_for_the_ttl_and_forgets_on_logout() {
        let cache = SessionCache::new(Duration::from_millis(50));
        cache.put("t1", user());
        assert!(cache.get("t1").is_some());
        cache.forget("t1");
        assert!(cache.get("t1").is_none());
        cache.put("t2", user());
        std::thread::sleep(Duration::from_millis(60));
        assert!(cache.get("t2").is_none(), "an expired entry is not used");
        let off = SessionCache::new(Duration::ZERO);
        off.put("t3", user());
        assert!(off.get("t3").is_none());
    }
}
