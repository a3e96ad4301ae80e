import BundleStore
import Cryptography
import ExthostCore
import HTTPClient
import Registry
import Runner

/// The settings `exthost config check` warns about because they run but are unsafe: each
/// function looks at one setting and returns the warnings it earns (docs/operator-guide.md,
/// "Configuration warnings").
enum ConfigSafetyChecks {
    /// `EXTHOST_ENV`: `production` (the default) or `development`; only development relaxes a check.
    static let environmentVariable = "EXTHOST_ENV"

    enum Mode: String {
        case production
        case development
    }

    /// nil for an unknown value (a problem: a typo must not switch the checks off).
    static func mode(_ environment: [String: String]) -> Mode? {
        let text = environment[environmentVariable] ?? ""
        return text.isEmpty ? .production : Mode(rawValue: text)
    }

    /// Domains under which anyone can get a name (public suffixes and shared hosting): a
    /// wildcard over one admits hosts no operator controls.
    static let openDomains: Set<String> = [
        "co.uk", "org.uk", "ac.uk", "gov.uk", "me.uk", "com.au", "net.au", "org.au", "co.nz", "co.jp", "co.kr", "co.in",
        "co.za", "com.br", "com.cn", "com.mx", "com.tr", "com.tw", "com.sg", "com.hk",
        "amazonaws.com", "cloudfront.net", "herokuapp.com", "github.io", "gitlab.io", "appspot.com", "azurewebsites.net",
        "cloudapp.net", "blob.core.windows.net", "vercel.app", "netlify.app", "pages.dev", "workers.dev", "web.app",
        "firebaseapp.com", "ngrok.io", "ngrok-free.app", "duckdns.org", "nip.io", "sslip.io",
    ]

    static func egress(_ allowlist: EgressAllowlist) -> [String] {
        allowlist.entries.flatMap { entry -> [String] in
            var warnings: [String] = []
            let name = "\(EgressAllowlist.environmentVariable) entry \(entry)"
            switch entry.pattern {
            case .subdomains(let domain) where openDomains.contains(domain):
                warnings.append("\(name) matches names anyone can register under \(domain): list the hosts you mean")
            case .host(.address(let address)) where address.bytes.allSatisfy({ $0 == 0 }):
                warnings.append("\(name) is the unspecified address, which connects to this machine: remove it")
            case .host(.address(let address)):
                // The runner's own policy: a literal entry is the one way past it.
                guard let range = EgressAddressPolicy.range(of: address) else { break }
                warnings.append("\(name) is not a public address (\(range.rawValue)); like any loopback, private or link-local address (cloud metadata lives there), it lets extensions reach internal services")
            case .host(.name(let host)) where host == "localhost" || host.hasSuffix(".localhost"):
                warnings.append("\(name) is this machine: extensions can reach local services")
            default:
                break
            }
            if entry.allowsPlainHTTP { warnings.append("\(name) allows plain http: requests and answers can be read and changed on the way") }
            return warnings
        }
    }

    static func s3Endpoint(_ endpoint: S3Endpoint) -> [String] {
        guard endpoint.scheme == "http", !isLoopback(host: endpoint.host) else { return [] }
        return ["\(S3Configuration.Variable.endpoint) \(endpoint) is plain http to a host that is not loopback: "
            + "credentials' signatures and bundles cross the network unencrypted; use https"]
    }

    static func secretsKeys(_ keyring: SecretsKeyring) -> [String] {
        let current = keyring.current.weakness.map { ["\(SecretsKey.environmentVariable) is weak: \($0); generate one with `openssl rand -hex 32`"] } ?? []
        let previous = keyring.previous.enumerated().compactMap { index, key in
            key.weakness.map { "entry \(index + 1) of \(SecretsKeyring.previousEnvironmentVariable) is weak: \($0); rotate away from it and drop it" }
        }
        return current + previous
    }

    static func keyExpiryWarning(_ warning: APIKeyExpiryWarning) -> [String] {
        guard warning.days == 0 else { return [] }
        return ["\(APIKeyExpiryWarning.environmentVariable)=0: clients are never warned before their API key expires"]
    }

    static func trustBundleMissing(_ mode: Mode) -> String {
        switch mode {
        case .production:
            "SIGNING_TRUST_BUNDLE is not set in production mode: unsigned bundles and any self-made certificate are accepted; "
                + "set it (docs/signing.md), or set \(environmentVariable)=development on a development machine"
        case .development: "SIGNING_TRUST_BUNDLE is not set: unsigned bundles are accepted (development mode)"
        }
    }

    /// libpq's default `sslmode=prefer` (and `disable`, `allow`, `require`) accept a server
    /// without checking its certificate: across a network that is a downgrade or a
    /// man-in-the-middle away from the database password.
    static func database(_ conninfo: String) -> [String] {
        let settings = ConninfoSettings(conninfo)
        let hosts = settings.hosts.filter { !$0.hasPrefix("/") && !isLoopback(host: $0) }
        guard !hosts.isEmpty, !["verify-ca", "verify-full"].contains(settings.sslMode ?? "prefer") else { return [] }
        return ["EXTHOST_DATABASE_URL reaches \(hosts.joined(separator: ",")) with sslmode=\(settings.sslMode ?? "prefer (libpq's default)"): "
            + "the server's certificate is not checked; add sslmode=verify-full (and sslrootcert=…)"]
    }

    static func isLoopback(host: String) -> Bool {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if bare == "localhost" || bare.hasSuffix(".localhost") { return true }
        guard let address = IPAddress(bare) else { return false }
        return address.family == .ipv4 ? address.bytes[0] == 127 : address.bytes == [UInt8](repeating: 0, count: 15) + [1]
    }
}

/// The two settings of a libpq connection string the database check needs, from either form:
/// a `postgresql://` URL or `key=value` words. Absent hosts (a Unix socket) give no host.
struct ConninfoSettings {
    var hosts: [String] = []
    var sslMode: String?

    init(_ conninfo: String) {
        var parameters: [(String, String)] = []
        if let schemeEnd = conninfo.firstRange(of: "://")?.upperBound {
            let rest = conninfo[schemeEnd...]
            let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
            let authority = rest[..<authorityEnd].split(separator: "@").last.map(String.init) ?? ""
            hosts = authority.split(separator: ",").map { Self.stripPort(String($0)) }.filter { !$0.isEmpty }
            if let query = rest.firstIndex(of: "?") {
                parameters = rest[rest.index(after: query)...].split(separator: "&").map { pair in
                    let parts = pair.split(separator: "=", maxSplits: 1)
                    let value = parts.count > 1 ? parts[1] : ""
                    // libpq URLs escape a socket path in host= (%2F); a malformed escape stays as written.
                    return (String(parts[0]), PercentDecoding.decode(value, plusIsSpace: false) ?? String(value))
                }
            }
        } else {
            parameters = conninfo.split(separator: " ").compactMap { word in
                let parts = word.split(separator: "=", maxSplits: 1)
                return parts.count == 2 ? (String(parts[0]), String(parts[1]).trimmingQuotes) : nil
            }
        }
        for (name, value) in parameters {
            switch name {
            case "host", "hostaddr": hosts = value.split(separator: ",").map(String.init)
            case "sslmode": sslMode = value
            default: break
            }
        }
    }

    private static func stripPort(_ hostAndPort: String) -> String {
        if hostAndPort.hasPrefix("[") { return String(hostAndPort.prefix(while: { $0 != "]" })) + "]" }
        return String(hostAndPort.prefix(while: { $0 != ":" }))
    }
}

extension String {
    fileprivate var trimmingQuotes: String {
        count >= 2 && hasPrefix("'") && hasSuffix("'") ? String(dropFirst().dropLast()) : self
    }
}
