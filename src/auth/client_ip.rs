//! The address of the client behind our own reverse proxies. A request's peer is the client,
//! unless it is one of `HELPDESK_TRUSTED_PROXIES`: then the client is the right-most address
//! of `X-Forwarded-For` that is not a trusted proxy. Addresses left of it are whatever the
//! client chose to send, so they are never believed.

use std::net::IpAddr;

use actix_web::HttpRequest;
use ipnet::IpNet;

/// The proxies whose `X-Forwarded-For` is believed (addresses or CIDR ranges).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl std::str::FromStr for TrustedProxies {
    type Err = String;

    /// A comma-separated list: `10.0.0.1, 10.1.0.0/16, ::1`.
    fn from_str(list: &str) -> Result<Self, Self::Err> {
        list.split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(|item| {
                item.parse::<IpNet>()
                    .or_else(|_| item.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("{item:?} is not an IP address or a CIDR range"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(TrustedProxies)
    }
}

impl TrustedProxies {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client's address, given the peer and the `X-Forwarded-For` values in order.
    pub fn client<'a>(&self, peer: IpAddr, forwarded_for: impl Iterator<Item = &'a str>) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let hops: Vec<&str> = forwarded_for.flat_map(|value| value.split(',')).collect();
        let mut client = peer;
        for hop in hops.iter().rev() {
            // Each hop was written by the trusted proxy to its right; one that does not parse
            // means a misconfigured proxy: stop at the last address known.
            let Some(ip) = parse_hop(hop) else {
                break;
            };
            client = ip;
            if !self.trusts(ip) {
                break;
            }
        }
        client
    }
}

/// The client's address for rate limits and logs (`None` without a peer, e.g. in unit tests).
pub fn client_ip(req: &HttpRequest, trusted: &TrustedProxies) -> Option<IpAddr> {
    let peer = canonical(req.peer_addr()?.ip());
    if trusted.is_empty() {
        return Some(peer);
    }
    let values = req.headers().get_all("x-forwarded-for").filter_map(|v| v.to_str().ok());
    Some(trusted.client(peer, values))
}

/// `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1` or `[2001:db8::1]:443`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    hop.parse::<std::net::SocketAddr>().ok().map(|a| canonical(a.ip()))
}

/// An IPv4 client on a dual-stack socket arrives as `::ffff:1.2.3.4`: count it as `1.2.3.4`.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let none = TrustedProxies::default();
        assert_eq!(none.client(ip("198.51.100.7"), ["203.0.113.1"].into_iter()), ip("198.51.100.7"));
        let proxies: TrustedProxies = "10.0.0.0/8".parse().unwrap();
        assert_eq!(proxies.client(ip("198.51.100.7"), ["203.0.113.1"].into_iter()), ip("198.51.100.7"));
    }

    #[test]
    fn behind_trusted_proxies_the_right_most_untrusted_hop_is_the_client() {
        let proxies: TrustedProxies = "10.0.0.1, 10.1.0.0/16".parse().unwrap();
        // The left entry is the client's own claim: ignored.
        let hops = ["6.6.6.6, 203.0.113.9", "10.1.2.3"];
        assert_eq!(proxies.client(ip("10.0.0.1"), hops.into_iter()), ip("203.0.113.9"));
        // Ports and brackets as some proxies write them.
        assert_eq!(proxies.client(ip("10.0.0.1"), ["[2001:db8::5]:443, 10.1.0.9:80"].into_iter()), ip("2001:db8::5"));
        // All hops trusted: the left-most one is the furthest known.
        assert_eq!(proxies.client(ip("10.0.0.1"), ["10.1.0.4, 10.1.0.5"].into_iter()), ip("10.1.0.4"));
        // No header: the proxy itself.
        assert_eq!(proxies.client(ip("10.0.0.1"), std::iter::empty()), ip("10.0.0.1"));
        // Garbage written by a misconfigured proxy: the last address known.
        assert_eq!(proxies.client(ip("10.0.0.1"), ["203.0.113.9, unknown"].into_iter()), ip("10.0.0.1"));
    }

    #[test]
    fn the_list_accepts_addresses_and_ranges_and_names_what_it_refuses() {
        let proxies: TrustedProxies = " 127.0.0.1 , ::1, 192.168.0.0/24,".parse().unwrap();
        assert!(proxies.trusts(ip("127.0.0.1")) && proxies.trusts(ip("::1")) && proxies.trusts(ip("192.168.0.77")));
        assert!(proxies.trusts(ip("::ffff:127.0.0.1")), "IPv4-mapped");
        assert!(!proxies.trusts(ip("192.168.1.1")));
        assert!("".parse::<TrustedProxies>().unwrap().is_empty());
        assert!("10.0.0.1, proxy.local".parse::<TrustedProxies>().unwrap_err().contains("proxy.local"));
    }
}
