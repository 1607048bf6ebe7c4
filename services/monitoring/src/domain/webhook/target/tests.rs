use super::*;

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

#[test]
fn addresses_are_classified_by_their_range() {
    use AddressClass::*;
    let cases: &[(&str, Option<AddressClass>)] = &[
        // Public.
        ("8.8.8.8", None),
        ("58.213.0.1", None),
        ("100.63.255.255", None),
        ("100.128.0.0", None),
        ("172.15.255.255", None),
        ("172.32.0.0", None),
        ("2400:3200::1", None),
        ("64:ff9b::808:808", None),
        // IPv4.
        ("0.0.0.0", Some(Unspecified)),
        ("0.1.2.3", Some(Unspecified)),
        ("127.0.0.1", Some(Loopback)),
        ("127.255.255.254", Some(Loopback)),
        ("10.1.2.3", Some(Private)),
        ("172.16.0.1", Some(Private)),
        ("172.31.255.255", Some(Private)),
        ("192.168.1.1", Some(Private)),
        ("100.64.0.1", Some(Shared)),
        ("100.127.255.255", Some(Shared)),
        ("169.254.1.1", Some(LinkLocal)),
        ("192.0.0.8", Some(Reserved)),
        ("192.0.2.10", Some(Documentation)),
        ("198.51.100.7", Some(Documentation)),
        ("203.0.113.200", Some(Documentation)),
        ("198.18.0.1", Some(Benchmarking)),
        ("198.19.255.255", Some(Benchmarking)),
        ("224.0.0.1", Some(Multicast)),
        ("239.255.255.250", Some(Multicast)),
        ("240.0.0.1", Some(Reserved)),
        ("255.255.255.255", Some(Broadcast)),
        // Metadata services.
        ("169.254.169.254", Some(Metadata)),
        ("169.254.170.2", Some(Metadata)),
        ("100.100.100.200", Some(Metadata)),
        ("fd00:ec2::254", Some(Metadata)),
        ("::ffff:169.254.169.254", Some(Metadata)),
        // IPv6.
        ("::", Some(Unspecified)),
        ("::1", Some(Loopback)),
        ("fc00::1", Some(UniqueLocal)),
        ("fd12:3456::1", Some(UniqueLocal)),
        ("fec0::1", Some(UniqueLocal)),
        ("fe80::1", Some(LinkLocal)),
        ("ff02::1", Some(Multicast)),
        ("2001:db8::1", Some(Documentation)),
        ("3fff::1", Some(Documentation)),
        ("2001:2::1", Some(Benchmarking)),
        ("2001::1", Some(Reserved)),
        ("100::1", Some(Reserved)),
        ("64:ff9b:1::1", Some(Reserved)),
        ("4000::1", Some(Reserved)),
        // IPv4 inside IPv6.
        ("::ffff:127.0.0.1", Some(Loopback)),
        ("::ffff:10.0.0.1", Some(Private)),
        ("::ffff:8.8.8.8", None),
        ("::127.0.0.1", Some(Loopback)),
        ("::8.8.8.8", Some(Reserved)),
        ("64:ff9b::a00:1", Some(Private)),
        ("64:ff9b::7f00:1", Some(Loopback)),
        ("2002:7f00:1::", Some(Loopback)),
        ("2002:c0a8:101::1", Some(Private)),
        ("2002:808:808::1", None),
    ];
    for (text, class) in cases {
        assert_eq!(classify(ip(text)), *class, "{text}");
    }
}

#[test]
fn target_urls_are_checked_before_any_request() {
    let strict = TargetPolicy::default();
    let testing = TargetPolicy::for_testing();
    let ok: &[(&str, &TargetPolicy)] = &[
        ("https://hooks.example.gov.cn/hte", &strict),
        ("https://hooks.example.gov.cn:8443/a?b=c", &strict),
        ("https://8.8.8.8/hook", &strict),
        ("https://[2400:3200::1]/hook", &strict),
        ("http://127.0.0.1:8080/hook", &testing),
        ("http://[::1]:9000/", &testing),
    ];
    for (url, policy) in ok {
        assert!(check_url(url, policy).is_ok(), "{url}");
    }
    let refused: &[(&str, &TargetPolicy, &str)] = &[
        ("not a url", &strict, "url"),
        ("/relative/path", &strict, "url"),
        ("http://hooks.example.gov.cn/", &strict, "scheme"),
        ("ftp://hooks.example.gov.cn/", &testing, "scheme"),
        ("file:///etc/passwd", &testing, "scheme"),
        (
            "https://user:pw@hooks.example.gov.cn/",
            &strict,
            "credentials",
        ),
        ("https://user@hooks.example.gov.cn/", &strict, "credentials"),
        ("https://hooks.example.gov.cn/#x", &strict, "fragment"),
        ("https://localhost/", &strict, "public_address"),
        ("https://LOCALHOST./", &strict, "public_address"),
        ("https://api.localhost/", &strict, "public_address"),
        (
            "https://metadata.google.internal/computeMetadata/v1/",
            &strict,
            "public_address",
        ),
        (
            "https://metadata.tencentyun.com/latest/meta-data/",
            &strict,
            "public_address",
        ),
        ("https://127.0.0.1/", &strict, "public_address"),
        // Other spellings of loopback that URL parsers turn into 127.0.0.1.
        ("https://2130706433/", &strict, "public_address"),
        ("https://0x7f.0.0.1/", &strict, "public_address"),
        ("https://0177.0.0.1/", &strict, "public_address"),
        ("https://127.1/", &strict, "public_address"),
        ("https://[::1]/", &strict, "public_address"),
        ("https://[::ffff:127.0.0.1]/", &strict, "public_address"),
        ("https://[::ffff:7f00:1]/", &strict, "public_address"),
        ("https://10.0.0.5/", &strict, "public_address"),
        ("https://192.168.0.1/", &strict, "public_address"),
        ("https://100.64.1.1/", &strict, "public_address"),
        ("https://[fd00::1]/", &strict, "public_address"),
        ("https://[fe80::1]/", &strict, "public_address"),
        ("https://0.0.0.0/", &strict, "public_address"),
        ("https://224.0.0.1/", &strict, "public_address"),
        ("https://255.255.255.255/", &strict, "public_address"),
        ("https://192.0.2.1/", &strict, "public_address"),
        // Metadata stays refused even where loopback and private ranges are allowed.
        (
            "http://169.254.169.254/latest/meta-data/",
            &testing,
            "public_address",
        ),
        ("http://[fd00:ec2::254]/", &testing, "public_address"),
        ("http://100.100.100.200/", &testing, "public_address"),
        ("http://10.0.0.5/", &testing, "public_address"),
    ];
    for (url, policy, rule) in refused {
        let refusal = check_url(url, policy).expect_err(url);
        assert_eq!(refusal.rule(), *rule, "{url}: {refusal}");
    }
    assert_eq!(
        check_url(&format!("https://a.cn/{}", "x".repeat(2048)), &strict),
        Err(TargetRefusal::TooLong)
    );
    let message = check_url("https://10.0.0.5/", &strict)
        .unwrap_err()
        .to_string();
    assert_eq!(
        message,
        "10.0.0.5 is a private address, not reachable for webhooks (私有网络地址，不允许推送)"
    );
}

#[test]
fn resolved_addresses_are_checked_again_at_delivery() {
    let strict = TargetPolicy::default();
    let target = check_url("https://hooks.example.gov.cn/hte", &strict).unwrap();
    assert_eq!(
        check_resolved(&target, &[ip("58.213.0.1"), ip("2400:3200::1")], &strict),
        Ok(vec![
            "58.213.0.1:443".parse().unwrap(),
            "[2400:3200::1]:443".parse().unwrap()
        ])
    );
    // A name that resolves (also or only) to an internal address is refused whole.
    for answers in [
        vec![ip("10.1.1.1")],
        vec![ip("58.213.0.1"), ip("127.0.0.1")],
        vec![ip("::ffff:169.254.169.254")],
    ] {
        let refusal = check_resolved(&target, &answers, &strict).unwrap_err();
        assert_eq!(refusal.rule(), "public_address", "{answers:?}");
    }
    assert_eq!(
        check_resolved(&target, &[], &strict),
        Err(TargetRefusal::Unresolved("hooks.example.gov.cn".to_owned()))
    );
    // An intranet receiver is reachable when its network is allowed.
    let intranet = TargetPolicy {
        allow_http: false,
        allowed_networks: vec![Network::parse("10.20.0.0/16").unwrap()],
    };
    let port = check_url("https://hooks.intra:8443/", &intranet).unwrap();
    assert_eq!(
        check_resolved(&port, &[ip("10.20.3.4")], &intranet),
        Ok(vec!["10.20.3.4:8443".parse().unwrap()])
    );
    assert!(check_resolved(&port, &[ip("10.21.0.1")], &intranet).is_err());
}

#[test]
fn networks_parse_and_contain() {
    let net = Network::parse("172.16.0.0/12").unwrap();
    assert!(net.contains(ip("172.31.1.1")) && !net.contains(ip("172.32.0.0")));
    assert!(
        net.contains(ip("::ffff:172.20.0.1")),
        "mapped addresses count as IPv4"
    );
    assert!(Network::parse("0.0.0.0/0").unwrap().contains(ip("8.8.8.8")));
    assert!(Network::parse("fd00::/8").unwrap().contains(ip("fd12::1")));
    assert!(!Network::parse("fd00::/8").unwrap().contains(ip("10.0.0.1")));
    for bad in ["10.0.0.0", "10.0.0.0/33", "::/129", "x/8", "10.0.0.0/a"] {
        assert!(Network::parse(bad).is_err(), "{bad}");
    }
    assert_eq!(net.to_string(), "172.16.0.0/12");
}
