//! Structured logs. Request ids come from tracing-actix-web's root span.

use tracing_subscriber::{fmt, EnvFilter};

pub fn init() {
    init_with_default("info");
}

/// `RUST_LOG` wins; otherwise `default` (tests use "warn" to keep their output readable).
pub fn init_with_default(default: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    // A second init (tests start many apps in one process) is harmless.
    let _ = fmt().with_env_filter(filter).with_target(false).try_init();
}
