//! Limits on the forms that attackers hammer (sign-in, sign-up, sign-in links, guest tickets):
//! a fixed one-minute window per (client address, form), and per (account, form) for the forms
//! aimed at one account (sign-in, sign-in links), so a brute force spread over many addresses
//! is slowed too. In memory: several instances each keep their own count; that is enough to
//! stop a brute force.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A refused attempt: try again in this many seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many attempts: try again in {0} s")]
pub struct RateLimited(pub u64);

/// Who is counted: an address, or an account (a keyed hash of the e-mail, so an attacker's
/// long strings cost no memory).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Who {
    Address(IpAddr),
    Account(u64),
}

/// (who, form) → (window start, attempts in it).
type Windows = HashMap<(Who, &'static str), (Instant, u32)>;

pub struct RateLimiter {
    per_address: u32,
    per_account: u32,
    accounts: RandomState,
    windows: Mutex<Windows>,
}

const WINDOW: Duration = Duration::from_secs(60);
const MAX_TRACKED: usize = 100_000;

impl RateLimiter {
    /// Attempts per minute allowed from one address, and on one account from all addresses.
    pub fn new(per_address: u32, per_account: u32) -> Self {
        Self { per_address, per_account, accounts: RandomState::new(), windows: Mutex::new(HashMap::new()) }
    }

    /// Counts one attempt from `ip`; `Err(seconds to wait)` once the window is full.
    pub fn check(&self, ip: IpAddr, form: &'static str) -> Result<(), u64> {
        self.count(Who::Address(ip), form, self.per_address)
    }

    /// Counts one attempt on `account` (an e-mail, compared trimmed and in lower case).
    pub fn check_account(&self, account: &str, form: &'static str) -> Result<(), u64> {
        let key = self.accounts.hash_one(account.trim().to_lowercase());
        self.count(Who::Account(key), form, self.per_account)
    }

    fn count(&self, who: Who, form: &'static str, limit: u32) -> Result<(), u64> {
        let now = Instant::now();
        let mut windows = match self.windows.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        if windows.len() >= MAX_TRACKED {
            windows.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        let entry = windows.entry((who, form)).or_insert((now, 0));
        if now.duration_since(entry.0) >= WINDOW {
            *entry = (now, 0);
        }
        if entry.1 >= limit {
            return Err(WINDOW.saturating_sub(now.duration_since(entry.0)).as_secs().max(1));
        }
        entry.1 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_past_the_limit_per_address_and_form() {
        let limiter = RateLimiter::new(3, 100);
        let a: IpAddr = [10, 0, 0, 1].into();
        let b: IpAddr = [10, 0, 0, 2].into();
        for _ in 0..3 {
            assert!(limiter.check(a, "login").is_ok());
        }
        let wait = limiter.check(a, "login").unwrap_err();
        assert!((1..=60).contains(&wait), "{wait}");
        assert!(limiter.check(a, "register").is_ok());
        assert!(limiter.check(b, "login").is_ok());
    }

    #[test]
    fn refuses_past_the_limit_per_account_whatever_the_spelling() {
        let limiter = RateLimiter::new(100, 2);
        assert!(limiter.check_account("Anna@Unibg.it", "login").is_ok());
        assert!(limiter.check_account(" anna@unibg.it", "login").is_ok());
        assert!(limiter.check_account("anna@unibg.it", "login").is_err());
        assert!(limiter.check_account("bruno@unibg.it", "login").is_ok());
        assert!(limiter.check_account("anna@unibg.it", "sign-in-link").is_ok());
    }
}
