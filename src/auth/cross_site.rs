//! Writes that another site started are refused before any handler runs. Browsers say where a
//! request comes from: `Sec-Fetch-Site` (every current browser) and `Origin` (on every POST).
//! A write (anything but GET/HEAD/OPTIONS) that a browser marks as cross-site or same-site (a
//! sibling subdomain), or whose `Origin` is not this host, is a 403. Clients that are not
//! browsers (the MTA, the career system, scripts with a Bearer token) send neither header.

use actix_web::http::header::{HeaderMap, HOST, ORIGIN};
use actix_web::http::Method;

/// Whether the browser says this request comes from another site.
pub fn from_another_site(headers: &HeaderMap) -> bool {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    if let Some(site) = header("sec-fetch-site") {
        if site.eq_ignore_ascii_case("cross-site") || site.eq_ignore_ascii_case("same-site") {
            return true;
        }
    }
    let Some(origin) = headers.get(ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    // `scheme://host[:port]`, compared with the Host the browser sent this request to.
    let origin_host = origin.split_once("://").map(|(_, rest)| rest.trim_end_matches('/'));
    let host = headers.get(HOST).and_then(|v| v.to_str().ok());
    match (origin_host, host) {
        (Some(origin_host), Some(host)) => !origin_host.eq_ignore_ascii_case(host),
        // "null" (a sandboxed frame, a privacy redirect) or a Host-less request: not ours.
        _ => true,
    }
}

pub fn is_write(method: &Method) -> bool {
    !(method == Method::GET || method == Method::HEAD || method == Method::OPTIONS)
}


#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(HeaderName::from_static(name), HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn only_this_host_may_write() {
        assert!(!from_another_site(&headers(&[])), "no browser headers: a client, not a browser");
        assert!(!from_another_site(&headers(&[("sec-fetch-site", "same-origin"), ("origin", "http://desk:8080"), ("host", "desk:8080")])));
        assert!(!from_another_site(&headers(&[("sec-fetch-site", "none")])));
        assert!(from_another_site(&headers(&[("sec-fetch-site", "cross-site")])));
        assert!(from_another_site(&headers(&[("sec-fetch-site", "same-site")])));
        assert!(from_another_site(&headers(&[("origin", "https://evil.example"), ("host", "desk:8080")])));
        assert!(from_another_site(&headers(&[("origin", "null"), ("host", "desk:8080")])));
        assert!(from_another_site(&headers(&[("origin", "http://desk:8081"), ("host", "desk:8080")])));
    }
}
