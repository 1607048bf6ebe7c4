//! Which URLs a webhook may be sent to (防止服务端请求伪造, SSRF).
//!
//! A target is refused unless it is `https` (`http` only where configured, for tests),
//! carries no user name or password and no fragment, and its host is neither a name for
//! this machine or a cloud's metadata service nor an address outside the public internet:
//! unspecified, loopback, private (RFC 1918), shared/CGNAT (100.64/10), link-local, unique
//! local (fc00::/7), site-local, multicast, broadcast, documentation, benchmarking or other
//! reserved ranges — also when written as an IPv4-mapped, IPv4-compatible, NAT64 or 6to4
//! IPv6 address. An operator may allow chosen networks (an intranet's receivers, a test's
//! loopback) with [`TargetPolicy::allowed_networks`]; cloud metadata addresses stay refused
//! even then.
//!
//! A name that resolves to a refused address passes [`check_url`] (DNS is not consulted at
//! subscription time) and is caught at delivery: the worker resolves the host, passes every
//! address to [`check_resolved`], and connects only to the addresses it returns (pinning
//! them, so a second lookup cannot swap in another address).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use url::{Host, Url};

/// Longest target URL accepted.
pub const MAX_URL_LENGTH: usize = 2048;

/// Host names that reach this machine or a cloud's instance metadata.
const REFUSED_NAMES: [&str; 6] = [
    "localhost",
    "metadata",
    "metadata.google.internal",
    "metadata.tencentyun.com",
    "instance-data",
    "instance-data.ec2.internal",
];

/// Cloud instance-metadata endpoints: AWS/GCP/Azure/Huawei, AWS ECS, Tencent, Alibaba, AWS IPv6.
const METADATA: [IpAddr; 5] = [
    IpAddr::V4(Ipv4Addr::new(169, 254, 169, 254)),
    IpAddr::V4(Ipv4Addr::new(169, 254, 170, 2)),
    IpAddr::V4(Ipv4Addr::new(169, 254, 0, 23)),
    IpAddr::V4(Ipv4Addr::new(100, 100, 100, 200)),
    IpAddr::V6(Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254)),
];

/// Why an address is not on the public internet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressClass {
    Unspecified,
    Loopback,
    /// RFC 1918
    Private,
    /// 100.64.0.0/10 (carrier-grade NAT)
    Shared,
    LinkLocal,
    /// fc00::/7 and the deprecated site-local fec0::/10
    UniqueLocal,
    Multicast,
    Broadcast,
    Documentation,
    Benchmarking,
    Reserved,
    /// A cloud's instance-metadata service.
    Metadata,
}

impl AddressClass {
    pub fn name_zh(self) -> &'static str {
        match self {
            Self::Unspecified => "未指定地址",
            Self::Loopback => "本机回环地址",
            Self::Private => "私有网络地址",
            Self::Shared => "运营商共享地址",
            Self::LinkLocal => "链路本地地址",
            Self::UniqueLocal => "IPv6本地地址",
            Self::Multicast => "组播地址",
            Self::Broadcast => "广播地址",
            Self::Documentation => "文档示例地址",
            Self::Benchmarking => "测试基准地址",
            Self::Reserved => "保留地址",
            Self::Metadata => "云平台元数据地址",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            Self::Unspecified => "unspecified",
            Self::Loopback => "loopback",
            Self::Private => "private",
            Self::Shared => "shared (CGNAT)",
            Self::LinkLocal => "link-local",
            Self::UniqueLocal => "unique local",
            Self::Multicast => "multicast",
            Self::Broadcast => "broadcast",
            Self::Documentation => "documentation",
            Self::Benchmarking => "benchmarking",
            Self::Reserved => "reserved",
            Self::Metadata => "cloud metadata",
        }
    }
}

/// A network in CIDR form, e.g. `10.20.0.0/16` or `fd12::/16`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    address: IpAddr,
    prefix: u8,
}

impl Network {
    pub fn parse(text: &str) -> Result<Self, String> {
        let invalid = || format!("not a network in CIDR form such as 10.0.0.0/8: {text:?}");
        let (address, prefix) = text.trim().split_once('/').ok_or_else(invalid)?;
        let address: IpAddr = address.parse().map_err(|_| invalid())?;
        let prefix: u8 = prefix.parse().map_err(|_| invalid())?;
        let max = if address.is_ipv4() { 32 } else { 128 };
        if prefix > max {
            return Err(invalid());
        }
        Ok(Self { address, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.address, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => within(
                u128::from(u32::from(net)) << 96,
                u128::from(u32::from(ip)) << 96,
                self.prefix,
            ),
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                within(u128::from(net), u128::from(ip), self.prefix)
            }
            _ => false,
        }
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.address, self.prefix)
    }
}

/// Whether the first `prefix` bits of two left-aligned 128-bit addresses agree.
fn within(net: u128, ip: u128, prefix: u8) -> bool {
    let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
    net & mask == ip & mask
}

/// An IPv4-mapped IPv6 address as the IPv4 address it is.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

fn v4_class(ip: Ipv4Addr) -> Option<AddressClass> {
    use AddressClass::*;
    let n = u32::from(ip);
    let ranges: [(u32, u8, AddressClass); 16] = [
        (0x0000_0000, 8, Unspecified),    // 0.0.0.0/8 "this network"
        (0x0A00_0000, 8, Private),        // 10/8
        (0x6440_0000, 10, Shared),        // 100.64/10
        (0x7F00_0000, 8, Loopback),       // 127/8
        (0xA9FE_0000, 16, LinkLocal),     // 169.254/16
        (0xAC10_0000, 12, Private),       // 172.16/12
        (0xC000_0000, 24, Reserved),      // 192.0.0/24 IETF protocol assignments
        (0xC000_0200, 24, Documentation), // 192.0.2/24 TEST-NET-1
        (0xC058_6300, 24, Reserved),      // 192.88.99/24 6to4 relay anycast
        (0xC0A8_0000, 16, Private),       // 192.168/16
        (0xC612_0000, 15, Benchmarking),  // 198.18/15
        (0xC633_6400, 24, Documentation), // 198.51.100/24 TEST-NET-2
        (0xCB00_7100, 24, Documentation), // 203.0.113/24 TEST-NET-3
        (0xFFFF_FFFF, 32, Broadcast),     // 255.255.255.255
        (0xE000_0000, 4, Multicast),      // 224/4
        (0xF000_0000, 4, Reserved),       // 240/4
    ];
    ranges
        .iter()
        .find(|(net, prefix, _)| within(u128::from(*net) << 96, u128::from(n) << 96, *prefix))
        .map(|(_, _, class)| *class)
}

/// The IPv4 address carried in the last 32 bits.
fn low_v4(v6: Ipv6Addr) -> Ipv4Addr {
    let s = v6.segments();
    Ipv4Addr::from((u32::from(s[6]) << 16) | u32::from(s[7]))
}

fn v6_class(ip: Ipv6Addr) -> Option<AddressClass> {
    use AddressClass::*;
    let n = u128::from(ip);
    let is = |net: u128, prefix: u8| within(net, n, prefix);
    if ip.is_unspecified() {
        return Some(Unspecified);
    }
    if ip.is_loopback() {
        return Some(Loopback);
    }
    if let Some(v4) = ip.to_ipv4_mapped() {
        return v4_class(v4);
    }
    // IPv4-compatible ::a.b.c.d and NAT64 64:ff9b::a.b.c.d reach the IPv4 address.
    if is(0, 96) || is(0x0064_ff9b << 96, 96) {
        return v4_class(low_v4(ip)).or(if is(0, 96) { Some(Reserved) } else { None });
    }
    // 6to4 2002:AABB:CCDD::/48 carries AA.BB.CC.DD.
    if is(0x2002 << 112, 16) {
        let s = ip.segments();
        return v4_class(Ipv4Addr::from((u32::from(s[1]) << 16) | u32::from(s[2])));
    }
    let ranges: [(u128, u8, AddressClass); 11] = [
        (0x0064_ff9b_0001 << 80, 48, Reserved), // local-use NAT64
        (0x0100 << 112, 64, Reserved),          // discard-only
        (0x2001_0002 << 96, 48, Benchmarking),
        (0x2001_0db8 << 96, 32, Documentation),
        (0x2001_0010 << 96, 28, Reserved), // ORCHID
        (0x2001_0020 << 96, 28, Reserved), // ORCHIDv2
        (0x2001 << 112, 32, Reserved),     // Teredo
        (0x3fff << 112, 20, Documentation),
        (0xfc00 << 112, 7, UniqueLocal),
        (0xfe80 << 112, 10, LinkLocal),
        (0xfec0 << 112, 10, UniqueLocal), // site-local, deprecated
    ];
    if let Some((_, _, class)) = ranges.iter().find(|(net, prefix, _)| is(*net, *prefix)) {
        return Some(*class);
    }
    if is(0xff00 << 112, 8) {
        return Some(Multicast);
    }
    // Only 2000::/3 is global unicast today.
    (!is(0x2000 << 112, 3)).then_some(Reserved)
}

/// Why `ip` is not a public internet address; `None` when it is one.
pub fn classify(ip: IpAddr) -> Option<AddressClass> {
    if METADATA.contains(&canonical(ip)) {
        return Some(AddressClass::Metadata);
    }
    match ip {
        IpAddr::V4(v4) => v4_class(v4),
        IpAddr::V6(v6) => v6_class(v6),
    }
}

/// Where webhooks may go. The default is strict: https to public addresses only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetPolicy {
    /// Accept `http://` targets (tests, or an intranet without TLS).
    pub allow_http: bool,
    /// Non-public networks deliveries may reach nonetheless (never metadata addresses).
    pub allowed_networks: Vec<Network>,
}

impl TargetPolicy {
    /// For tests: http, and loopback receivers.
    pub fn for_testing() -> Self {
        Self {
            allow_http: true,
            allowed_networks: ["127.0.0.0/8", "::1/128"]
                .iter()
                .filter_map(|n| Network::parse(n).ok())
                .collect(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetRefusal {
    #[error("not an absolute URL (不是有效的网址): {0}")]
    NotAUrl(String),
    #[error("a target URL is at most {MAX_URL_LENGTH} characters (网址过长)")]
    TooLong,
    #[error("the scheme must be https (推送地址须使用 https); got {0}")]
    Scheme(String),
    #[error("a target URL carries no user name or password (网址中不得包含用户名或密码)")]
    Credentials,
    #[error("a target URL has no fragment (网址中不得包含 # 片段)")]
    Fragment,
    #[error("the host {0} is this machine or a metadata service (不允许推送到本机或元数据服务)")]
    Name(String),
    #[error("{address} is a {} address, not reachable for webhooks ({}，不允许推送)", .class.name_en(), .class.name_zh())]
    Address {
        address: IpAddr,
        class: AddressClass,
    },
    #[error("the host {0} resolved to no address (域名无法解析)")]
    Unresolved(String),
}

impl TargetRefusal {
    /// Why, in both languages.
    pub fn text(&self) -> hte_shared::i18n::Text {
        use hte_shared::i18n::Text;
        use hte_shared::text;
        match self {
            Self::NotAUrl(raw) => text!("not an absolute URL: {raw}", "不是有效的网址：{raw}"),
            Self::TooLong => text!(
                "a target URL is at most {MAX_URL_LENGTH} characters",
                "推送网址最多 {MAX_URL_LENGTH} 个字符"
            ),
            Self::Scheme(scheme) => text!(
                "the scheme must be https; got {scheme}",
                "推送地址须使用 https，收到的是 {scheme}"
            ),
            Self::Credentials => Text::fixed(
                "a target URL carries no user name or password",
                "网址中不得包含用户名或密码",
            ),
            Self::Fragment => Text::fixed("a target URL has no fragment", "网址中不得包含 # 片段"),
            Self::Name(host) => text!(
                "the host {host} is this machine or a metadata service",
                "主机 {host} 是本机或元数据服务，不允许推送"
            ),
            Self::Address { address, class } => {
                let (en, zh) = (class.name_en(), class.name_zh());
                text!(
                    "{address} is a {en} address, not reachable for webhooks",
                    "{address} 是{zh}，不允许推送"
                )
            }
            Self::Unresolved(host) => text!(
                "the host {host} resolved to no address",
                "域名 {host} 无法解析"
            ),
        }
    }

    /// A stable key for the rule, for problem details.
    pub fn rule(&self) -> &'static str {
        match self {
            Self::NotAUrl(_) => "url",
            Self::TooLong => "length",
            Self::Scheme(_) => "scheme",
            Self::Credentials => "credentials",
            Self::Fragment => "fragment",
            Self::Name(_) | Self::Address { .. } => "public_address",
            Self::Unresolved(_) => "resolvable",
        }
    }
}

/// Whether deliveries may connect to `address`.
pub fn check_address(address: IpAddr, policy: &TargetPolicy) -> Result<(), TargetRefusal> {
    match classify(address) {
        None => Ok(()),
        Some(AddressClass::Metadata) => Err(TargetRefusal::Address {
            address,
            class: AddressClass::Metadata,
        }),
        Some(_) if policy.allowed_networks.iter().any(|n| n.contains(address)) => Ok(()),
        Some(class) => Err(TargetRefusal::Address { address, class }),
    }
}

/// A target URL that passed [`check_url`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetUrl(Url);

impl TargetUrl {
    pub fn as_url(&self) -> &Url {
        &self.0
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

/// Checks a target URL when a subscription is created (and again before each delivery).
pub fn check_url(raw: &str, policy: &TargetPolicy) -> Result<TargetUrl, TargetRefusal> {
    if raw.len() > MAX_URL_LENGTH {
        return Err(TargetRefusal::TooLong);
    }
    let url = Url::parse(raw.trim()).map_err(|e| TargetRefusal::NotAUrl(e.to_string()))?;
    match url.scheme() {
        "https" => {}
        "http" if policy.allow_http => {}
        other => return Err(TargetRefusal::Scheme(other.to_owned())),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(TargetRefusal::Credentials);
    }
    if url.fragment().is_some() {
        return Err(TargetRefusal::Fragment);
    }
    match url.host() {
        None => return Err(TargetRefusal::NotAUrl("no host".to_owned())),
        Some(Host::Ipv4(v4)) => check_address(IpAddr::V4(v4), policy)?,
        Some(Host::Ipv6(v6)) => check_address(IpAddr::V6(v6), policy)?,
        Some(Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            if name.is_empty()
                || REFUSED_NAMES.contains(&name.as_str())
                || name.ends_with(".localhost")
            {
                return Err(TargetRefusal::Name(name));
            }
        }
    }
    Ok(TargetUrl(url))
}

/// At delivery: the addresses `target`'s host resolved to, checked. Every one must pass
/// (a mix of public and internal answers is how DNS rebinding looks); the worker then
/// connects only to the socket addresses returned.
pub fn check_resolved(
    target: &TargetUrl,
    resolved: &[IpAddr],
    policy: &TargetPolicy,
) -> Result<Vec<SocketAddr>, TargetRefusal> {
    let url = target.as_url();
    if resolved.is_empty() {
        return Err(TargetRefusal::Unresolved(
            url.host_str().unwrap_or_default().to_owned(),
        ));
    }
    let port = url.port_or_known_default().unwrap_or(443);
    resolved
        .iter()
        .map(|ip| check_address(*ip, policy).map(|()| SocketAddr::new(*ip, port)))
        .collect()
}

#[cfg(test)]
mod tests;
