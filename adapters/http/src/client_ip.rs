//! The client's IP address, for per-IP rate limits. `X-Forwarded-For` is believed only
//! as far as it was written by proxies we trust (`TRUSTED_PROXIES`: the load balancer,
//! CDN or Cloud Run front end): the TCP peer must be one, and the list is read from the
//! right (the hop nearest us) past every trusted address; the first untrusted one is
//! the client. A client that sends its own `X-Forwarded-For` only adds entries to the
//! left of the ones our proxies append, so it cannot choose the address it is counted
//! under. Without trusted proxies the header is ignored and the peer is the client.

use std::net::IpAddr;

use ipnet::IpNet;

/// The proxies whose `X-Forwarded-For` entries are believed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Comma-separated addresses or CIDR ranges (`10.0.0.0/8, 35.191.0.0/16, ::1`).
    /// The error names the entry that is neither.
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut nets = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let net = part
                .parse::<IpNet>()
                .or_else(|_| part.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("{part:?} is not an IP address or CIDR range"))?;
            nets.push(net);
        }
        Ok(Self(nets))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|n| n.contains(&ip))
    }

    /// The client behind `peer`, given the request's `X-Forwarded-For` header values
    /// (in order; several headers count as one list).
    pub fn client_ip<'a>(&self, peer: IpAddr, forwarded_for: impl IntoIterator<Item = &'a str>) -> IpAddr {
        let peer = canonical(peer);
        if !self.trusts(peer) {
            return peer;
        }
        let hops: Vec<&str> = forwarded_for.into_iter().flat_map(|v| v.split(',')).map(str::trim).collect();
        let mut client = peer;
        for hop in hops.iter().rev() {
            // A malformed entry was not written by a proxy we trust: stop at the last good one.
            let Ok(ip) = hop.parse::<IpAddr>().map(canonical) else {
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

impl std::fmt::Display for TrustedProxies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_empty() {
            return f.write_str("(none: the TCP peer is the client)");
        }
        let nets: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&nets.join(", "))
    }
}

/// IPv4-mapped IPv6 addresses (`::ffff:203.0.113.7`) as the IPv4 address they are.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 @ IpAddr::V4(_) => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        let none = TrustedProxies::default();
        assert_eq!(none.client_ip(ip("198.51.100.9"), ["203.0.113.7"]), ip("198.51.100.9"));
    }

    #[test]
    fn a_trusted_proxy_names_the_client_and_a_spoofed_entry_does_not_count() {
        let lb = TrustedProxies::parse("10.0.0.0/8, 35.191.0.0/16").unwrap();
        // The client said it was 1.2.3.4; the load balancer appended what it saw.
        assert_eq!(lb.client_ip(ip("10.1.2.3"), ["1.2.3.4, 203.0.113.7"]), ip("203.0.113.7"));
        // CDN then load balancer: both trusted hops are skipped.
        assert_eq!(lb.client_ip(ip("10.1.2.3"), ["1.2.3.4, 203.0.113.7, 35.191.4.5"]), ip("203.0.113.7"));
        assert_eq!(lb.client_ip(ip("10.1.2.3"), ["1.2.3.4", "203.0.113.7"]), ip("203.0.113.7"), "two headers");
        // An untrusted peer's header is not believed at all.
        assert_eq!(lb.client_ip(ip("198.51.100.9"), ["203.0.113.7"]), ip("198.51.100.9"));
        // Garbage stops the walk at the last address a trusted proxy wrote.
        assert_eq!(lb.client_ip(ip("10.1.2.3"), ["evil, 10.9.9.9"]), ip("10.9.9.9"));
        assert_eq!(lb.client_ip(ip("10.1.2.3"), std::iter::empty()), ip("10.1.2.3"));
        assert_eq!(lb.client_ip(ip("::ffff:10.1.2.3"), ["203.0.113.7"]), ip("203.0.113.7"), "mapped IPv4");
    }

    #[test]
    fn bad_entries_are_named() {
        assert_eq!(TrustedProxies::parse("").unwrap(), TrustedProxies::default());
        assert!(TrustedProxies::parse("10.0.0.0/8,::1").is_ok());
        assert!(TrustedProxies::parse("10.0.0.0/8, lb.internal").unwrap_err().contains("lb.internal"));
    }
}
