//! The one in-process cache: entries live `ttl`, at most `capacity` of them. Each instance
//! keeps its own, so what it caches must tolerate `ttl` of staleness from changes made on
//! other instances; a change made here calls `forget`/`clear` and is seen at once.
//!
//! Our own small type rather than `moka`: three caches of a few entries to a few thousand,
//! read far more than written, need a map behind a lock, not a concurrent cache's machinery
//! (and its dependencies and build time).

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

pub struct TtlCache<K, V> {
    ttl: Duration,
    capacity: usize,
    entries: RwLock<HashMap<K, (Instant, V)>>,
}

impl<K: Hash + Eq, V: Clone> TtlCache<K, V> {
    /// `ttl` zero: nothing is kept.
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        Self { ttl, capacity, entries: RwLock::new(HashMap::new()) }
    }

    // A panic elsewhere while holding the lock leaves whole entries: a cache may go on.
    fn read(&self) -> RwLockReadGuard<'_, HashMap<K, (Instant, V)>> {
        self.entries.read().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, HashMap<K, (Instant, V)>> {
        self.entries.write().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The value if remembered and fresh.
    pub fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.read().get(key).filter(|(at, _)| at.elapsed() < self.ttl).map(|(_, v)| v.clone())
    }

    /// Remembers `value`; when full, the expired entries go first (then it grows past the
    /// capacity rather than forget fresh ones: the capacity bounds the garbage, not the work).
    pub fn put(&self, key: K, value: V) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.write();
        if entries.len() >= self.capacity {
            let ttl = self.ttl;
            entries.retain(|_, (at, _)| at.elapsed() < ttl);
        }
        entries.insert(key, (Instant::now(), value));
    }

    pub fn forget<Q>(&self, key: &Q)
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.write().remove(key);
    }

    pub fn clear(&self) {
        self.write().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_for_the_ttl_and_forgets_when_told() {
        let cache = TtlCache::new(Duration::from_millis(50), 10);
        cache.put("t1".to_owned(), 1);
        assert_eq!(cache.get("t1"), Some(1));
        cache.forget("t1");
        assert_eq!(cache.get("t1"), None);
        cache.put("t2".to_owned(), 2);
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(cache.get("t2"), None, "an expired entry is not used");
        cache.put("t3".to_owned(), 3);
        cache.clear();
        assert_eq!(cache.get("t3"), None);
        let off = TtlCache::new(Duration::ZERO, 10);
        off.put("t4".to_owned(), 4);
        assert_eq!(off.get("t4"), None);
    }

    #[test]
    fn a_full_cache_drops_the_expired_first() {
        let cache = TtlCache::new(Duration::from_millis(30), 2);
        cache.put(1, 1);
        cache.put(2, 2);
        std::thread::sleep(Duration::from_millis(40));
        cache.put(3, 3);
        assert_eq!(cache.read().len(), 1);
        cache.put(4, 4);
        cache.put(5, 5);
        assert_eq!((cache.get(&3), cache.get(&4), cache.get(&5)), (Some(3), Some(4), Some(5)));
    }
}
