//! SSRF guard: source URLs, redirects and DNS answers must point at the public internet
//! unless `allow_private` is set.
//!
//! Two checks are needed because IP-literal hosts never reach the resolver (hyper-util
//! parses them before resolving): [`check_url`] runs on the first URL and on every redirect
//! hop, [`PublicOnlyResolver`] filters what names resolve to, at connect time, so a DNS
//! answer cannot be swapped between a check and the connection.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

/// Whether `ip` may be fetched from when private targets are not allowed.
pub fn is_public_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    let blocked = a == 0 // "this network", includes 0.0.0.0
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local() // 169.254/16, cloud metadata at 169.254.169.254
        || (a == 100 && (b & 0xC0) == 64) // CGNAT 100.64/10
        || ip.is_multicast()
        || a >= 240; // reserved, includes broadcast
    !blocked
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = embedded_v4(ip) {
        return is_public_v4(v4);
    }
    let first = ip.segments()[0];
    let blocked = ip.is_unspecified()
        || ip.is_loopback()
        || (first & 0xFE00) == 0xFC00 // ULA fc00::/7
        || (first & 0xFFC0) == 0xFE80 // link-local fe80::/10
        || (first & 0xFFC0) == 0xFEC0 // deprecated site-local fec0::/10
        || ip.is_multicast();
    !blocked
}

/// IPv4 addresses smuggled inside IPv6 forms that end up reaching the IPv4 host:
/// mapped `::ffff:a.b.c.d`, compatible `::a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let tail = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    match s {
        [0, 0, 0, 0, 0, 0xFFFF, ..] => Some(tail),
        // `::` and `::1` are IPv6's own unspecified/loopback, handled by the caller.
        [0, 0, 0, 0, 0, 0, 0, 0 | 1] => None,
        [0, 0, 0, 0, 0, 0, ..] => Some(tail),
        [0x64, 0xFF9B, 0, 0, 0, 0, ..] => Some(tail),
        [0x2002, hi, lo, ..] => Some(Ipv4Addr::new(
            (hi >> 8) as u8,
            hi as u8,
            (lo >> 8) as u8,
            lo as u8,
        )),
        _ => None,
    }
}

/// Why a URL was refused, before any connection is made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlRefusal {
    Scheme(String),
    Address(IpAddr),
}

impl fmt::Display for UrlRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UrlRefusal::Scheme(s) => write!(f, "scheme {s:?} is not allowed (http and https only)"),
            UrlRefusal::Address(ip) => write!(f, "address {ip} is not public"),
        }
    }
}

/// Scheme and IP-literal check for a URL about to be requested over the network.
pub fn check_url(url: &Url, allow_private: bool) -> Result<(), UrlRefusal> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(UrlRefusal::Scheme(url.scheme().to_string()));
    }
    if allow_private {
        return Ok(());
    }
    let ip = match url.host() {
        Some(Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(Host::Ipv6(v6)) => IpAddr::V6(v6),
        _ => return Ok(()),
    };
    if is_public_ip(ip) {
        Ok(())
    } else {
        Err(UrlRefusal::Address(ip))
    }
}

/// Error returned by the resolver when a name only leads to non-public addresses; found
/// again by walking the reqwest error's source chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockedAddress {
    pub host: String,
    pub addr: IpAddr,
}

impl fmt::Display for BlockedAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} resolves to non-public address {}",
            self.host, self.addr
        )
    }
}

impl std::error::Error for BlockedAddress {}

/// System resolver (via tokio) that drops non-public answers and fails when none is left.
#[derive(Debug, Clone, Copy, Default)]
pub struct PublicOnlyResolver;

impl Resolve for PublicOnlyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let (public, private): (Vec<SocketAddr>, Vec<SocketAddr>) =
                addrs.into_iter().partition(|a| is_public_ip(a.ip()));
            match (public.is_empty(), private.first()) {
                (false, _) => Ok(Box::new(public.into_iter()) as Addrs),
                (true, Some(first)) => Err(BlockedAddress {
                    host,
                    addr: first.ip(),
                }
                .into()),
                (true, None) => Err(format!("{host}: no addresses").into()),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_classes() {
        let cases: &[(&str, bool)] = &[
            ("8.8.8.8", true),
            ("1.1.1.1", true),
            ("203.113.131.1", true), // a .vn provider
            ("100.63.255.255", true),
            ("100.128.0.0", true),
            ("172.32.0.1", true),
            ("223.255.255.255", true),
            ("127.0.0.1", false),
            ("127.255.255.254", false),
            ("10.1.2.3", false),
            ("172.16.0.1", false),
            ("172.31.255.255", false),
            ("192.168.1.1", false),
            ("169.254.169.254", false),
            ("169.254.0.1", false),
            ("100.64.0.1", false),
            ("100.127.255.255", false),
            ("0.0.0.0", false),
            ("0.1.2.3", false),
            ("224.0.0.1", false),
            ("240.0.0.1", false),
            ("255.255.255.255", false),
            ("2001:4860:4860::8888", true),
            ("2606:4700::1111", true),
            ("::1", false),
            ("::", false),
            ("fc00::1", false),
            ("fd12:3456::1", false),
            ("fe80::1", false),
            ("febf::1", false),
            ("fec0::1", false),
            ("ff02::1", false),
            ("::ffff:127.0.0.1", false),
            ("::ffff:169.254.169.254", false),
            ("::ffff:10.0.0.1", false),
            ("::ffff:8.8.8.8", true),
            ("::127.0.0.1", false),
            ("::8.8.8.8", true),
            ("64:ff9b::a00:1", false),
            ("64:ff9b::808:808", true),
            ("2002:c0a8:101::1", false),
            ("2002:808:808::1", true),
        ];
        for (ip, public) in cases {
            let parsed: IpAddr = ip.parse().expect("test address");
            assert_eq!(is_public_ip(parsed), *public, "{ip}");
        }
    }

    #[test]
    fn url_checks() {
        let cases: &[(&str, bool, Option<&str>)] = &[
            ("https://bqlkkt.khanhhoa.gov.vn/tin", false, None),
            ("http://8.8.8.8/", false, None),
            (
                "http://127.0.0.1:8080/",
                false,
                Some("address 127.0.0.1 is not public"),
            ),
            (
                "http://127.1/",
                false,
                Some("address 127.0.0.1 is not public"),
            ),
            (
                "http://0x7f000001/",
                false,
                Some("address 127.0.0.1 is not public"),
            ),
            ("http://[::1]/", false, Some("address ::1 is not public")),
            (
                "http://[::ffff:7f00:1]/",
                false,
                Some("address ::ffff:127.0.0.1 is not public"),
            ),
            (
                "http://169.254.169.254/latest/meta-data",
                false,
                Some("address 169.254.169.254 is not public"),
            ),
            ("http://127.0.0.1:8080/", true, None),
            (
                "ftp://example.vn/feed",
                false,
                Some("scheme \"ftp\" is not allowed (http and https only)"),
            ),
            (
                "file:///etc/passwd",
                true,
                Some("scheme \"file\" is not allowed (http and https only)"),
            ),
        ];
        for (url, allow_private, want) in cases {
            let url = Url::parse(url).expect("test URL");
            let got = check_url(&url, *allow_private).err().map(|e| e.to_string());
            assert_eq!(got.as_deref(), *want, "{url}");
        }
    }

    #[tokio::test]
    async fn resolver_refuses_localhost() {
        let name: Name = "localhost".parse().expect("valid name");
        let err = match PublicOnlyResolver.resolve(name).await {
            Ok(addrs) => panic!("resolved to {:?}", addrs.collect::<Vec<_>>()),
            Err(e) => e,
        };
        let blocked = err
            .downcast_ref::<BlockedAddress>()
            .expect("a BlockedAddress");
        assert_eq!(blocked.host, "localhost");
        assert!(blocked.addr.is_loopback());
    }
}
