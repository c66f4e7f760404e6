//! Which addresses are victim-side: the member's own ranges and the
//! special-purpose ranges that only ever name the inside of a network.
//! Everything else (documentation ranges included) counts as public, so
//! attacker addresses stay.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

use super::RuleId;

fn v4(a: u8, b: u8, c: u8, d: u8, prefix: u8) -> Option<IpNet> {
    Ipv4Net::new(Ipv4Addr::new(a, b, c, d), prefix)
        .ok()
        .map(IpNet::V4)
}

fn v6(segments: [u16; 8], prefix: u8) -> Option<IpNet> {
    let [a, b, c, d, e, f, g, h] = segments;
    Ipv6Net::new(Ipv6Addr::new(a, b, c, d, e, f, g, h), prefix)
        .ok()
        .map(IpNet::V6)
}

/// The special-purpose ranges and the rule each falls under.
fn special_ranges() -> Vec<(IpNet, RuleId)> {
    [
        (v4(10, 0, 0, 0, 8), RuleId::PrivateAddress),
        (v4(172, 16, 0, 0, 12), RuleId::PrivateAddress),
        (v4(192, 168, 0, 0, 16), RuleId::PrivateAddress),
        (v4(100, 64, 0, 0, 10), RuleId::PrivateAddress),
        (v4(169, 254, 0, 0, 16), RuleId::LinkLocalAddress),
        (v4(127, 0, 0, 0, 8), RuleId::LoopbackAddress),
        (v6([0xfc00, 0, 0, 0, 0, 0, 0, 0], 7), RuleId::PrivateAddress),
        (
            v6([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10),
            RuleId::LinkLocalAddress,
        ),
        (v6([0, 0, 0, 0, 0, 0, 0, 1], 128), RuleId::LoopbackAddress),
    ]
    .into_iter()
    .filter_map(|(net, rule)| net.map(|net| (net, rule)))
    .collect()
}

/// IPv4-mapped IPv6 (`::ffff:10.0.0.1`) is judged as the IPv4 inside.
fn unmap(net: IpNet) -> IpNet {
    if let IpNet::V6(v6net) = net {
        if let Some(inner) = v6net.addr().to_ipv4_mapped() {
            let prefix = v6net.prefix_len().saturating_sub(96);
            if let Ok(n) = Ipv4Net::new(inner, prefix) {
                return IpNet::V4(n);
            }
        }
    }
    net
}

/// Whether an address or block is victim-side, and under which rule. A
/// block counts when it lies inside a victim range, or (for the member's
/// own ranges) when it contains one, since naming the enclosing block
/// narrows the member down as well.
pub(crate) fn classify(net: IpNet, member_ranges: &[IpNet]) -> Option<RuleId> {
    let net = unmap(net);
    if member_ranges
        .iter()
        .any(|range| range.contains(&net) || (net.prefix_len() > 0 && net.contains(range)))
    {
        return Some(RuleId::InternalAddress);
    }
    special_ranges()
        .into_iter()
        .find(|(range, _)| range.contains(&net))
        .map(|(_, rule)| rule)
}

/// Parses an address or CIDR block as written in text or a pattern
/// (an IPv6 zone such as `%eth0` is ignored).
pub(crate) fn parse_net(text: &str) -> Option<IpNet> {
    let text = text.trim();
    let (addr, prefix) = match text.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (text, None),
    };
    let addr = addr.split('%').next().unwrap_or(addr);
    let ip: IpAddr = addr.parse().ok()?;
    match prefix {
        None => Some(IpNet::from(ip)),
        Some(p) => {
            let p: u8 = p.parse().ok()?;
            IpNet::new(ip, p).ok().map(|n| n.trunc())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(text: &str, member: &[&str]) -> Option<RuleId> {
        let ranges: Vec<IpNet> = member.iter().filter_map(|r| r.parse().ok()).collect();
        parse_net(text).and_then(|n| classify(n, &ranges))
    }

    #[test]
    fn ranges() {
        assert_eq!(rule("10.1.2.3", &[]), Some(RuleId::PrivateAddress));
        assert_eq!(rule("172.31.255.1", &[]), Some(RuleId::PrivateAddress));
        assert_eq!(rule("172.32.0.1", &[]), None);
        assert_eq!(rule("192.168.0.0/24", &[]), Some(RuleId::PrivateAddress));
        assert_eq!(rule("169.254.1.1", &[]), Some(RuleId::LinkLocalAddress));
        assert_eq!(rule("127.0.0.1", &[]), Some(RuleId::LoopbackAddress));
        assert_eq!(rule("fe80::1%eth0", &[]), Some(RuleId::LinkLocalAddress));
        assert_eq!(rule("fd12:3456::1", &[]), Some(RuleId::PrivateAddress));
        assert_eq!(rule("::1", &[]), Some(RuleId::LoopbackAddress));
        assert_eq!(rule("::ffff:10.0.0.1", &[]), Some(RuleId::PrivateAddress));
        assert_eq!(rule("203.0.113.5", &[]), None);
        assert_eq!(rule("2001:db8::1", &[]), None);
        assert_eq!(
            rule("203.0.113.5", &["203.0.113.0/24"]),
            Some(RuleId::InternalAddress)
        );
        assert_eq!(
            rule("203.0.112.0/23", &["203.0.113.0/24"]),
            Some(RuleId::InternalAddress)
        );
        assert_eq!(rule("0.0.0.0/0", &["203.0.113.0/24"]), None);
    }
}
