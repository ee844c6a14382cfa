//! `client_ip_header` and `trusted_proxies`: where the client's address is read from,
//! checked once at start.
//!
//! Proxies append to `X-Forwarded-For` / `Forwarded`, so only the right-most entries were
//! written by machines we trust; everything left of them came from the client and may be
//! forged. With `trusted_proxies = N` the client is the N-th entry from the right. Reading
//! a request by this setting is `web::client_ip`'s part.

/// Which header carries the client address, and how many proxies in front append to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// No proxy: the TCP peer is the client.
    Peer,
    XForwardedFor {
        trusted_proxies: usize,
    },
    /// Set (not appended) by the one proxy in front, e.g. nginx `$remote_addr`.
    XRealIp,
    /// RFC 7239 `Forwarded: for=…`.
    Forwarded {
        trusted_proxies: usize,
    },
}

impl Source {
    /// From the settings `client_ip_header`, `trusted_proxies` and the older
    /// `trust_proxy_headers` (which now means X-Forwarded-For behind one proxy).
    pub fn from_settings(
        header: Option<&str>,
        trusted_proxies: u32,
        legacy_trust: bool,
    ) -> anyhow::Result<Source> {
        let n = trusted_proxies as usize;
        let name = match (header, legacy_trust) {
            (Some(_), true) => anyhow::bail!(
                "trust_proxy_headers is replaced by client_ip_header; remove trust_proxy_headers"
            ),
            (None, true) => return Ok(Source::XForwardedFor { trusted_proxies: 1 }),
            (None, false) => return Ok(Source::Peer),
            (Some(h), false) => h.trim().to_ascii_lowercase(),
        };
        if name.is_empty() {
            return Ok(Source::Peer);
        }
        if n < 1 {
            anyhow::bail!("trusted_proxies must be at least 1 when client_ip_header is set");
        }
        match name.as_str() {
            "x-forwarded-for" => Ok(Source::XForwardedFor { trusted_proxies: n }),
            "forwarded" => Ok(Source::Forwarded { trusted_proxies: n }),
            "x-real-ip" if n == 1 => Ok(Source::XRealIp),
            "x-real-ip" => anyhow::bail!(
                "client_ip_header = \"X-Real-IP\" is set by the one proxy next to the portal: \
                 use trusted_proxies = 1, or X-Forwarded-For for a chain of proxies"
            ),
            _ => anyhow::bail!(
                "client_ip_header must be \"X-Forwarded-For\", \"X-Real-IP\" or \"Forwarded\" (or \"\" for none)"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_checked() {
        let s = |h: Option<&str>, n, legacy| Source::from_settings(h, n, legacy);
        assert_eq!(s(None, 1, false).expect("none"), Source::Peer);
        assert_eq!(
            s(None, 1, true).expect("legacy"),
            Source::XForwardedFor { trusted_proxies: 1 }
        );
        assert_eq!(
            s(Some("x-forwarded-for"), 2, false).expect("xff"),
            Source::XForwardedFor { trusted_proxies: 2 }
        );
        assert_eq!(
            s(Some("X-Real-IP"), 1, false).expect("xri"),
            Source::XRealIp
        );
        assert!(s(Some("X-Real-IP"), 2, false).is_err());
        assert!(s(Some("X-Forwarded-For"), 0, false).is_err());
        assert!(s(Some("True-Client-IP"), 1, false).is_err());
        let both = s(Some("Forwarded"), 1, true).expect_err("old and new together");
        assert!(both.to_string().contains("trust_proxy_headers"), "{both}");
    }
}
