//! Structured logs. Request ids come from tracing-actix-web's root span, which records the
//! request's target with its secrets (guest links, sign-in tokens, OAuth codes) redacted.

use std::borrow::Cow;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::HttpMessage;
use tracing::Span;
use tracing_actix_web::{DefaultRootSpanBuilder, RequestId, RootSpanBuilder};
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

/// Query parameters whose values never reach a log line.
const SECRET_PARAMS: [&str; 4] = ["secret", "token", "code", "state"];

/// `path?query` with the values of secret-bearing parameters replaced by `redacted`.
pub fn redact_target(target: &str) -> Cow<'_, str> {
    let Some((path, query)) = target.split_once('?') else {
        return Cow::Borrowed(target);
    };
    let secret = |pair: &str| {
        pair.split_once('=').is_some_and(|(key, _)| SECRET_PARAMS.iter().any(|s| key.eq_ignore_ascii_case(s)))
    };
    if !query.split('&').any(secret) {
        return Cow::Borrowed(target);
    }
    let pairs: Vec<Cow<'_, str>> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if secret(pair) => Cow::Owned(format!("{key}=redacted")),
            _ => Cow::Borrowed(pair),
        })
        .collect();
    Cow::Owned(format!("{path}?{}", pairs.join("&")))
}

/// tracing-actix-web's root span, with the target redacted (its default records the raw URI).
pub struct RedactedRootSpan;

impl RootSpanBuilder for RedactedRootSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let target = request.uri().path_and_query().map(|p| p.as_str()).unwrap_or("");
        let route = request.match_pattern().unwrap_or_else(|| "default".into());
        let request_id = request.extensions().get::<RequestId>().copied();
        let trusted = request.app_data::<actix_web::web::Data<crate::state::AppState>>().map(|s| &s.settings.trusted_proxies);
        let client_ip = match trusted {
            Some(trusted) => crate::auth::client_ip(request.request(), trusted),
            None => request.peer_addr().map(|a| a.ip()),
        };
        let client_ip = client_ip.map(|ip| ip.to_string()).unwrap_or_default();
        tracing::info_span!(
            "HTTP request",
            http.method = %request.method(),
            http.route = %route,
            http.target = %redact_target(target),
            http.client_ip = %client_ip,
            request_id = %request_id.map(|id| id.to_string()).unwrap_or_default(),
            http.status_code = tracing::field::Empty,
            otel.status_code = tracing::field::Empty,
            exception.message = tracing::field::Empty,
            exception.details = tracing::field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, actix_web::Error>) {
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_in_a_query_are_redacted_and_nothing_else() {
        assert_eq!(redact_target("/tickets/HD-2026-000001?secret=abc123"), "/tickets/HD-2026-000001?secret=redacted");
        assert_eq!(redact_target("/sign-in/link?token=eyJ.x.y&next=/tickets"), "/sign-in/link?token=redacted&next=/tickets");
        assert_eq!(redact_target("/oauth/callback?code=c0de&state=s7&Token=T"), "/oauth/callback?code=redacted&state=redacted&Token=redacted");
        assert_eq!(redact_target("/kb?q=secret+token&locale=it"), "/kb?q=secret+token&locale=it");
        assert_eq!(redact_target("/api/v1/tickets"), "/api/v1/tickets");
        assert!(matches!(redact_target("/kb?q=x"), Cow::Borrowed(_)));
    }
}
