//! A per-address limit on the forms that attackers hammer (sign-in, sign-up, sign-in links,
//! guest tickets): a fixed one-minute window per (address, form), in memory.
//! Several instances each keep their own count; that is enough to stop a brute force.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// (address, form) → (window start, attempts in it).
type Windows = HashMap<(IpAddr, &'static str), (Instant, u32)>;

pub struct RateLimiter {
    per_minute: u32,
    windows: Mutex<Windows>,
}

const WINDOW: Duration = Duration::from_secs(60);
const MAX_TRACKED: usize = 100_000;

impl RateLimiter {
    pub fn new(per_minute: u32) -> Self {
        Self { per_minute, windows: Mutex::new(HashMap::new()) }
    }

    /// Counts one attempt; `Err(seconds to wait)` once the window is full.
    pub fn check(&self, ip: IpAddr, form: &'static str) -> Result<(), u64> {
        let now = Instant::now();
        let mut windows = match self.windows.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        if windows.len() >= MAX_TRACKED {
            windows.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        let entry = windows.entry((ip, form)).or_insert((now, 0));
        if now.duration_since(entry.0) >= WINDOW {
            *entry = (now, 0);
        }
        if entry.1 >= self.per_minute {
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
        let limiter = RateLimiter::new(3);
        let a: IpAddr = [10, 0, 0, 1].into();
        let b: IpAddr = [10, 0, 0, 2].into();
        for _ in 0..3 {
            assert!(limiter.check(a, "login").is_ok());
        }
        assert!(limiter.check(a, "login").is_err());
        assert!(limiter.check(a, "register").is_ok());
        assert!(limiter.check(b, "login").is_ok());
    }
}
