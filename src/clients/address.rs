//! The client's address, for rate limits: the TCP peer, or — behind reverse proxies the
//! operator names in config — the address the outermost trusted proxy saw.
//!
//! Proxies append to `X-Forwarded-For` / `Forwarded`, so only the right-most entries were
//! written by machines we trust; everything left of them came from the client and may be
//! forged. With `trusted_proxies = N` the client is the N-th entry from the right. A list
//! shorter than that did not pass through every proxy, and the peer address is used.

use actix_web::http::header::HeaderMap;
use std::net::{IpAddr, SocketAddr};

pub use crate::config::client_ip::Source;

impl Source {
    /// The client address for a request from `peer` with `headers`.
    pub fn resolve(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> IpAddr {
        let fallback = peer.unwrap_or(IpAddr::from([0, 0, 0, 0]));
        let found = match *self {
            Source::Peer => None,
            Source::XForwardedFor { trusted_proxies } => {
                nth_from_right(list(headers, "x-forwarded-for"), trusted_proxies)
                    .and_then(|e| parse_addr(&e))
            }
            Source::Forwarded { trusted_proxies } => {
                nth_from_right(list(headers, "forwarded"), trusted_proxies)
                    .and_then(|e| forwarded_for(&e))
                    .and_then(|v| parse_addr(&v))
            }
            Source::XRealIp => {
                let mut values = headers.get_all("x-real-ip");
                match (values.next(), values.next()) {
                    // Two X-Real-IP headers: the proxy did not replace the client's.
                    (Some(v), None) => v.to_str().ok().and_then(parse_addr),
                    _ => None,
                }
            }
        };
        found.unwrap_or(fallback)
    }
}

/// Every comma-separated entry of every instance of the header, in order.
fn list(headers: &HeaderMap, name: &str) -> Vec<String> {
    headers
        .get_all(name)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|e| e.trim().to_string())
        .collect()
}

fn nth_from_right(entries: Vec<String>, n: usize) -> Option<String> {
    let len = entries.len();
    if n == 0 || len < n {
        return None;
    }
    entries.into_iter().nth(len - n)
}

/// The `for=` value of one `Forwarded` element (`for=192.0.2.1;proto=https`).
fn forwarded_for(element: &str) -> Option<String> {
    element.split(';').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("for")
            .then(|| v.trim().trim_matches('"').to_string())
    })
}

/// An address as proxies write it: `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1`
/// or `[2001:db8::1]:4711`. Obfuscated names (`unknown`, `_hidden`) give None.
fn parse_addr(s: &str) -> Option<IpAddr> {
    let s = s.trim().trim_matches('"');
    s.parse::<IpAddr>()
        .ok()
        .or_else(|| s.parse::<SocketAddr>().ok().map(|a| a.ip()))
        .or_else(|| {
            s.strip_prefix('[')
                .and_then(|r| r.strip_suffix(']'))
                .and_then(|r| r.parse().ok())
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(
                HeaderName::from_bytes(k.as_bytes()).expect("name"),
                HeaderValue::from_str(v).expect("value"),
            );
        }
        map
    }

    const PEER: &str = "127.0.0.1";

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    fn resolve(source: Source, pairs: &[(&str, &str)]) -> IpAddr {
        source.resolve(Some(ip(PEER)), &headers(pairs))
    }

    #[test]
    fn x_forwarded_for_takes_the_entry_the_trusted_proxies_wrote() {
        let one = Source::XForwardedFor { trusted_proxies: 1 };
        let two = Source::XForwardedFor { trusted_proxies: 2 };
        let spoofed = [("X-Forwarded-For", "6.6.6.6, 203.0.113.7")];
        assert_eq!(resolve(one, &spoofed), ip("203.0.113.7"));
        assert_eq!(resolve(two, &spoofed), ip("6.6.6.6"));
        // Several header lines form one list, in order.
        let split = [
            ("X-Forwarded-For", "6.6.6.6"),
            ("X-Forwarded-For", "203.0.113.7, 10.0.0.2"),
        ];
        assert_eq!(resolve(two, &split), ip("203.0.113.7"));
        // Fewer entries than proxies, or junk: the peer.
        assert_eq!(resolve(two, &[("X-Forwarded-For", "6.6.6.6")]), ip(PEER));
        assert_eq!(resolve(one, &[("X-Forwarded-For", "not-an-ip")]), ip(PEER));
        assert_eq!(resolve(one, &[]), ip(PEER));
        assert_eq!(
            resolve(one, &[("X-Forwarded-For", "[2001:db8::1]:4711")]),
            ip("2001:db8::1")
        );
    }

    #[test]
    fn forwarded_and_x_real_ip_and_peer() {
        let fwd = Source::Forwarded { trusted_proxies: 1 };
        let h = [(
            "Forwarded",
            "for=6.6.6.6;proto=https, for=\"[2001:db8::7]:443\";proto=https",
        )];
        assert_eq!(resolve(fwd, &h), ip("2001:db8::7"));
        assert_eq!(resolve(fwd, &[("Forwarded", "for=unknown")]), ip(PEER));
        assert_eq!(
            resolve(Source::XRealIp, &[("X-Real-IP", "203.0.113.9")]),
            ip("203.0.113.9")
        );
        let doubled = [("X-Real-IP", "6.6.6.6"), ("X-Real-IP", "203.0.113.9")];
        assert_eq!(resolve(Source::XRealIp, &doubled), ip(PEER));
        let all = [
            ("X-Forwarded-For", "6.6.6.6"),
            ("X-Real-IP", "6.6.6.6"),
            ("Forwarded", "for=6.6.6.6"),
        ];
        assert_eq!(resolve(Source::Peer, &all), ip(PEER));
    }
}
