//! Decides which addresses feedmark may connect to: no private networks unless allowed.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::error::{Error, Result};

/// Refusal raised inside the resolver; the HTTP layer turns it into [`Error::Refused`].
#[derive(Debug, thiserror::Error)]
#[error(
    "{host} resolves to a non-public address ({ip}); set http.allow_private_networks = true to allow it"
)]
pub struct PrivateAddress {
    pub host: String,
    pub ip: IpAddr,
}

/// Checks a URL before any request: scheme, and hosts that are IP literals.
///
/// Host names are checked after resolution by [`PublicOnlyResolver`], which also covers
/// names that point at private addresses and DNS answers that change between checks.
pub fn check_url(url: &Url, allow_private: bool) -> Result<()> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::Refused {
            url: url.to_string(),
            reason: format!(
                "scheme `{}` is not allowed (only http and https)",
                url.scheme()
            ),
        });
    }
    let ip = match url.host() {
        None => {
            return Err(Error::Refused {
                url: url.to_string(),
                reason: "no host".into(),
            });
        }
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip),
        Some(url::Host::Domain(_)) => return Ok(()),
    };
    if !allow_private && !is_public(ip) {
        return Err(Error::Refused {
            url: url.to_string(),
            reason: format!(
                "{ip} is not a public address; set http.allow_private_networks = true to allow it"
            ),
        });
    }
    Ok(())
}

/// True for addresses on the public internet; false for loopback, private, link-local,
/// unspecified, shared (CGNAT), multicast, broadcast and documentation ranges.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    let shared = a == 100 && (64..128).contains(&b);
    let benchmarking = a == 198 && (b == 18 || b == 19);
    let reserved = a >= 240;
    let ietf = a == 192 && b == 0 && c == 0;
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || shared
        || benchmarking
        || reserved
        || ietf)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let seg = ip.segments();
    let low_v4 = v4_from(seg[6], seg[7]);
    // IPv4-compatible (::a.b.c.d, deprecated), IPv4-translated (::ffff:0:a.b.c.d, RFC 2765)
    // and NAT64 (64:ff9b::/96) reach the IPv4 address in their last 32 bits.
    if seg[..6] == [0, 0, 0, 0, 0, 0]
        || seg[..6] == [0, 0, 0, 0, 0xffff, 0]
        || seg[..6] == [0x64, 0xff9b, 0, 0, 0, 0]
    {
        return !ip.is_unspecified() && !ip.is_loopback() && is_public_v4(low_v4);
    }
    // 6to4 (2002::/16) reaches the IPv4 address in bits 16..48 through a relay.
    if seg[0] == 0x2002 && !is_public_v4(v4_from(seg[1], seg[2])) {
        return false;
    }
    // Teredo (2001::/32) tunnels to a client behind a NAT: its address is the last 32 bits
    // inverted, and the tunnel's server sits in bits 32..64. Rather than vouch for both, the
    // whole range counts as non-public: no feed is served from a Teredo address (the public
    // Teredo servers are gone), so nothing real is lost and no embedded address is missed.
    let teredo = seg[0] == 0x2001 && seg[1] == 0;
    // 100::/64 only discards (RFC 6666); 64:ff9b:1::/48 is NAT64 for local use (RFC 8215),
    // translating to whatever IPv4 network the site chose, private ones included.
    let discard = seg[..4] == [0x100, 0, 0, 0];
    let local_nat64 = seg[..3] == [0x64, 0xff9b, 1];
    let unique_local = (seg[0] & 0xfe00) == 0xfc00;
    let link_local = (seg[0] & 0xffc0) == 0xfe80;
    let site_local = (seg[0] & 0xffc0) == 0xfec0;
    let documentation = seg[0] == 0x2001 && seg[1] == 0x0db8;
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || unique_local
        || link_local
        || site_local
        || documentation
        || teredo
        || discard
        || local_nat64)
}

/// The IPv4 address two 16-bit segments spell.
fn v4_from(high: u16, low: u16) -> Ipv4Addr {
    let [a, b] = high.to_be_bytes();
    let [c, d] = low.to_be_bytes();
    Ipv4Addr::new(a, b, c, d)
}

/// A DNS resolver that drops non-public answers and refuses names that have only those.
#[derive(Debug, Default)]
pub struct PublicOnlyResolver;

impl Resolve for PublicOnlyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs: Vec<_> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<_> = addrs
                .iter()
                .copied()
                .filter(|a| is_public(a.ip()))
                .collect();
            if public.is_empty()
                && let Some(first) = addrs.first()
            {
                let refusal = PrivateAddress {
                    host,
                    ip: first.ip(),
                };
                return Err(Box::new(refusal) as Box<dyn std::error::Error + Send + Sync>);
            }
            let iter: Addrs = Box::new(public.into_iter());
            Ok(iter)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn public(s: &str) -> bool {
        is_public(s.parse().unwrap())
    }

    #[test]
    fn classifies_addresses() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
        ] {
            assert!(!public(private), "{private} should be private");
        }
        for ok in [
            "93.184.216.34",
            "1.1.1.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(public(ok), "{ok} should be public");
        }
    }

    #[test]
    fn ipv6_spellings_of_private_ipv4_and_reserved_ranges_are_not_public() {
        for private in [
            // 6to4: the IPv4 address in bits 16..48.
            "2002:7f00:1::",
            "2002:7f00:0001::1",
            "2002:a00:1::",
            "2002:c0a8:101::1",
            "2002:a9fe:a9fe::",
            "2002::",
            // Teredo: the whole range, whatever it embeds.
            "2001::1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "2001:0:7f00:1:0:0:80ff:fffe",
            // IPv4-translated (::ffff:0:0/96).
            "::ffff:0:7f00:1",
            "::ffff:0:127.0.0.1",
            "::ffff:0:10.0.0.1",
            "::ffff:0:a9fe:a9fe",
            // Discard-only.
            "100::",
            "100::1",
            "100::ffff:ffff:ffff:ffff",
            // NAT64, well-known and local-use prefixes.
            "64:ff9b::7f00:1",
            "64:ff9b::10.0.0.1",
            "64:ff9b:1::a00:1",
            "64:ff9b:1::8.8.8.8",
        ] {
            assert!(!public(private), "{private} should not be public");
            let url = Url::parse(&format!("http://[{private}]/")).unwrap();
            assert!(check_url(&url, false).is_err(), "{url} should be refused");
        }
        for ok in [
            "2002:808:808::",
            "2002:5db8:d822::1",
            "::ffff:0:8.8.8.8",
            "64:ff9b::8.8.8.8",
            "100:0:0:1::1",
            "2001:4860:4860::8888",
        ] {
            assert!(public(ok), "{ok} should be public");
        }
    }

    #[test]
    fn refuses_literal_and_odd_ip_spellings() {
        for url in [
            "http://127.0.0.1/",
            "http://2130706433/",
            "http://0x7f.1/",
            "http://0177.0.0.1/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::1]:8080/feed",
            "http://169.254.169.254/latest/meta-data/",
            "http://0.0.0.0/",
            "http://0/",
            "http://[::]/",
            "http://[::ffff:a9fe:a9fe]/",
            "http://[fd00:ec2::254]/",
            "http://0251.0376.0251.0376/",
            "http://0xA9FEA9FE/",
        ] {
            let u = Url::parse(url).unwrap();
            assert!(check_url(&u, false).is_err(), "{url} should be refused");
            assert!(
                check_url(&u, true).is_ok(),
                "{url} allowed when private networks are"
            );
        }
        let ftp = Url::parse("ftp://example.com/").unwrap();
        assert!(check_url(&ftp, true).is_err());
        let file = Url::parse("file:///etc/passwd").unwrap();
        assert!(check_url(&file, true).is_err());
    }
}
