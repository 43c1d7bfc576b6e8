//! The client's address behind reverse proxies: `Forwarded` (RFC 7239) or an
//! `X-Forwarded-For`-style list, believed only as far as a chain of trusted proxies vouches for
//! it. The chain is walked from the right (the hop nearest to us); the first address that is not
//! a trusted proxy is the client. Anything unreadable stops the walk at the last trusted hop.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A CIDR network; IPv4-mapped IPv6 addresses are compared as IPv4.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Network {
    addr: IpAddr,
    prefix: u8,
}

/// `::ffff:a.b.c.d` is the IPv4 host `a.b.c.d` (a dual-stack socket reports IPv4 peers so).
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

fn bits(ip: IpAddr) -> (u128, u8) {
    match ip {
        IpAddr::V4(v4) => (u128::from(u32::from(v4)), 32),
        IpAddr::V6(v6) => (u128::from(v6), 128),
    }
}

fn mask(prefix: u8, width: u8) -> u128 {
    if prefix == 0 {
        0
    } else {
        let all = if width == 128 { u128::MAX } else { (1u128 << width) - 1 };
        all & !((1u128 << (width - prefix)) - 1)
    }
}

impl std::fmt::Display for Network {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

impl Network {
    /// `"10.0.0.0/8"`, `"::1/128"`, or a single address. Host bits must be zero (as
    /// `ipaddress.ip_network` requires): a typo in a trust list must not widen it silently.
    pub fn parse(s: &str) -> Result<Network, String> {
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = addr.parse().map_err(|_| format!("invalid network {s:?}: not an IP address"))?;
        let addr = canonical(addr);
        let (value, width) = bits(addr);
        let prefix = match prefix {
            None => width,
            Some(p) => match p.parse::<u8>() {
                Ok(n) if n <= width && p.bytes().all(|b| b.is_ascii_digit()) => n,
                _ => return Err(format!("invalid network {s:?}: prefix length must be 0..={width}")),
            },
        };
        if value & !mask(prefix, width) != 0 {
            return Err(format!("invalid network {s:?}: host bits set"));
        }
        Ok(Network { addr, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let (net, width) = bits(self.addr);
        let (v, w) = bits(canonical(ip));
        w == width && v & mask(self.prefix, width) == net
    }
}

/// How the configured header lists the hops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// RFC 7239 `Forwarded: for=...;proto=..., for=...`.
    Forwarded,
    /// Comma-separated addresses (`X-Forwarded-For`, `X-Real-IP`, ...).
    List,
}

/// An address with an optional port: `1.2.3.4`, `1.2.3.4:80`, `2001:db8::1`, `[2001:db8::1]`,
/// `[2001:db8::1]:80`. `unknown`, obfuscated identifiers (`_hidden`) and anything else: `None`.
pub fn parse_node(s: &str) -> Option<IpAddr> {
    let s = s.trim_matches([' ', '\t']);
    if let Some(rest) = s.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        if !(after.is_empty() || after.strip_prefix(':').is_some_and(valid_port)) {
            return None;
        }
        return host.parse::<Ipv6Addr>().ok().map(|a| canonical(IpAddr::V6(a)));
    }
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    let (host, port) = s.rsplit_once(':')?;
    if !valid_port(port) {
        return None;
    }
    host.parse::<Ipv4Addr>().ok().map(IpAddr::V4)
}

/// RFC 7239 `node-port`: digits, or an obfuscated port.
fn valid_port(p: &str) -> bool {
    (p.bytes().all(|b| b.is_ascii_digit()) && p.parse::<u16>().is_ok())
        || (p.len() > 1 && p.starts_with('_') && p.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)))
}

/// Split on `sep` outside quoted strings.
fn split_quoted(s: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut quote, mut escape, mut start) = (false, false, 0);
    for (i, c) in s.char_indices() {
        if escape {
            escape = false;
        } else if quote {
            match c {
                '\\' => escape = true,
                '"' => quote = false,
                _ => {}
            }
        } else if c == '"' {
            quote = true;
        } else if c == sep {
            parts.push(&s[start..i]);
            start = i + 1;
        }
    }
    parts.push(&s[start..]);
    parts
}

/// The `for=` node of one `Forwarded` element, `None` when absent, repeated or unreadable.
fn forwarded_for(element: &str) -> Option<IpAddr> {
    let mut found = None;
    for pair in split_quoted(element, ';') {
        let Some((name, value)) = pair.split_once('=') else {
            if pair.trim_matches([' ', '\t']).is_empty() {
                continue;
            }
            return None;
        };
        if !name.trim_matches([' ', '\t']).eq_ignore_ascii_case("for") {
            continue;
        }
        if found.is_some() {
            return None;
        }
        let value = value.trim_matches([' ', '\t']);
        let node = match value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
            Some(inner) => {
                let mut out = String::with_capacity(inner.len());
                let mut chars = inner.chars();
                while let Some(c) = chars.next() {
                    out.push(if c == '\\' { chars.next()? } else { c });
                }
                out
            }
            None => value.to_owned(),
        };
        found = Some(parse_node(&node)?);
    }
    found
}

/// The hops listed in the header lines, left to right; `None` for an unreadable hop.
pub fn hops(lines: &[&str], format: Format) -> Vec<Option<IpAddr>> {
    let mut out = Vec::new();
    for line in lines {
        match format {
            Format::List => out.extend(line.split(',').map(parse_node)),
            Format::Forwarded => out.extend(split_quoted(line, ',').into_iter().map(forwarded_for)),
        }
    }
    out
}

/// The client address. `peer` is the directly connected address. Unless it is inside a trusted
/// network the headers are ignored. Otherwise the hops are walked from the right: trusted hops
/// are skipped, the first untrusted address is returned, and an unreadable hop (or the end of
/// the list) returns the last trusted address reached.
pub fn resolve(peer: IpAddr, lines: &[&str], format: Format, trusted: &[Network]) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|n| n.contains(ip));
    let mut current = canonical(peer);
    if !is_trusted(current) {
        return current;
    }
    for hop in hops(lines, format).into_iter().rev() {
        match hop {
            None => return current,
            Some(ip) if is_trusted(ip) => current = ip,
            Some(ip) => return ip,
        }
    }
    current
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
    }

    #[test]
    fn networks() {
        let n = Network::parse("10.0.0.0/8").unwrap_or(Network { addr: ip("0.0.0.0"), prefix: 32 });
        assert!(n.contains(ip("10.1.2.3")) && n.contains(ip("::ffff:10.1.2.3")) && !n.contains(ip("11.0.0.1")));
        assert!(Network::parse("10.0.0.1/8").is_err());
        assert!(Network::parse("10.0.0.0/33").is_err());
        assert!(Network::parse("::/0").is_ok_and(|n| n.contains(ip("2001:db8::1"))));
    }

    #[test]
    fn walk() {
        let t = [Network::parse("127.0.0.1/32").unwrap_or(Network { addr: ip("0.0.0.0"), prefix: 32 })];
        let p = ip("127.0.0.1");
        assert_eq!(resolve(p, &["1.1.1.1, 2.2.2.2"], Format::List, &t), ip("2.2.2.2"));
        assert_eq!(resolve(p, &["1.1.1.1, garbage"], Format::List, &t), p);
        assert_eq!(resolve(ip("9.9.9.9"), &["1.1.1.1"], Format::List, &t), ip("9.9.9.9"));
        assert_eq!(resolve(p, &["for=\"[2001:db8::1]:4711\""], Format::Forwarded, &t), ip("2001:db8::1"));
        assert_eq!(resolve(p, &["for=_hidden"], Format::Forwarded, &t), p);
    }
}
