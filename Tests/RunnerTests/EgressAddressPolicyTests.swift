import Runner
import Testing

@Suite struct EgressAddressPolicyTests {
    /// The range of an IP literal, read as a URL host would be.
    private func range(_ literal: String) -> EgressAddressPolicy.Range?? {
        guard case .address(let address)? = EgressHost(curlHost: literal) else { return .none }
        return .some(EgressAddressPolicy.range(of: address))
    }

    @Test(arguments: [
        ("0.0.0.0", EgressAddressPolicy.Range.unspecified), ("0.1.2.3", .unspecified),
        ("127.0.0.1", .loopback), ("127.255.255.254", .loopback),
        ("10.0.0.1", .privateNetwork), ("10.255.255.255", .privateNetwork),
        ("172.16.0.1", .privateNetwork), ("172.31.255.255", .privateNetwork),
        ("192.168.1.1", .privateNetwork),
        ("100.64.0.1", .sharedAddressSpace), ("100.127.255.255", .sharedAddressSpace),
        ("169.254.169.254", .linkLocal), ("169.254.0.1", .linkLocal),
        ("224.0.0.1", .multicast), ("239.255.255.250", .multicast),
        ("240.0.0.1", .reserved), ("255.255.255.255", .reserved),
        ("192.0.0.8", .reserved), ("198.18.0.1", .reserved), ("198.19.255.255", .reserved),
        ("192.0.2.1", .documentation), ("198.51.100.7", .documentation), ("203.0.113.9", .documentation),
    ])
    func refusedIPv4(_ literal: String, _ expected: EgressAddressPolicy.Range) {
        #expect(range(literal) == .some(expected), "\(literal)")
    }

    @Test(arguments: [
        "1.1.1.1", "8.8.8.8", "93.184.216.34", "9.255.255.255", "11.0.0.0", "100.63.255.255", "100.128.0.0",
        "126.255.255.255", "128.0.0.0", "169.253.255.255", "169.255.0.0", "172.15.255.255", "172.32.0.0",
        "192.167.255.255", "192.169.0.0", "198.17.255.255", "198.20.0.0", "223.255.255.255",
    ])
    func publicIPv4(_ literal: String) {
        #expect(range(literal) == .some(nil), "\(literal)")
    }

    @Test(arguments: [
        ("[::]", EgressAddressPolicy.Range.unspecified), ("[::1]", .loopback),
        ("[fc00::1]", .privateNetwork), ("[fdff:ffff::1]", .privateNetwork), ("[fec0::1]", .privateNetwork),
        ("[fe80::1]", .linkLocal), ("[febf::1]", .linkLocal),
        ("[ff02::1]", .multicast), ("[2001:db8::1]", .documentation), ("[100::1]", .reserved),
        ("[2001:0:4136:e378::1]", .reserved), ("[64:ff9b:1::1]", .privateNetwork),
        // IPv4 in IPv6 clothing is judged by the IPv4 address it carries.
        ("[::ffff:127.0.0.1]", .loopback), ("[::ffff:7f00:1]", .loopback), ("[::ffff:169.254.169.254]", .linkLocal),
        ("[::ffff:10.0.0.1]", .privateNetwork), ("[::ffff:0.0.0.0]", .unspecified),
        ("[::ffff:0:192.168.0.1]", .privateNetwork),
        ("[64:ff9b::127.0.0.1]", .loopback), ("[64:ff9b::a9fe:a9fe]", .linkLocal),
        ("[2002:7f00:1::1]", .loopback), ("[2002:c0a8:101::1]", .privateNetwork),
        // IPv4-compatible (deprecated) and the rest of ::/8 are refused whatever they carry.
        ("[::127.0.0.1]", .reserved), ("[::8.8.8.8]", .reserved), ("[::2]", .reserved),
    ])
    func refusedIPv6(_ literal: String, _ expected: EgressAddressPolicy.Range) {
        #expect(range(literal) == .some(expected), "\(literal)")
    }

    @Test(arguments: ["[2606:4700:4700::1111]", "[2a00:1450:4001:80b::200e]", "[::ffff:8.8.8.8]", "[64:ff9b::808:808]", "[2002:808:808::1]"])
    func publicIPv6(_ literal: String) {
        #expect(range(literal) == .some(nil), "\(literal)")
    }
}
