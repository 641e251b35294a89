//! Who is calling: JWT tokens, password hashing, and the extractors that put the caller's
//! role in a handler's signature (`CurrentUser`, `MaybeUser`, `Staff`, `Admin`).

mod client_ip;
mod cookie;
mod cross_site;
mod extract;
pub mod mac;
mod password;
mod rate_limit;
mod session_cache;
pub mod ticket_access;
mod token;

pub use client_ip::{client_ip, TrustedProxies};
pub use cross_site::{from_another_site, is_write};
pub use cookie::{session_cookie, session_cookie_name, session_cookie_removal, session_cookie_value};
pub use extract::{authenticate, claims_of, with_role, CSRF_HEADER, Admin, CurrentUser, MaybeUser, Staff};
pub use password::{hash_password, verify_password};
pub use rate_limit::{RateLimited, RateLimiter};
pub use session_cache::{session_cache, SessionCache};
pub use token::{Claims, JwtKeys, Purpose, SECURE_SESSION_COOKIE, SESSION_COOKIE};
