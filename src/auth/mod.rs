//! Who is calling: JWT tokens, password hashing, and the extractors that put the caller's
//! role in a handler's signature (`CurrentUser`, `MaybeUser`, `Staff`, `Admin`).

mod client_ip;
mod extract;
mod password;
mod rate_limit;
mod session_cache;
mod token;

pub use client_ip::{client_ip, TrustedProxies};
pub use extract::{claims_of, Admin, CurrentUser, MaybeUser, Staff};
pub use password::{hash_password, verify_password};
pub use rate_limit::RateLimiter;
pub use session_cache::SessionCache;
pub use token::{Claims, JwtKeys, SESSION_COOKIE};
