import Registry
import Testing

/// `EXTHOST_KEY_EXPIRY_WARNING_DAYS`, the warning's text and list-keys' key states.
@Suite struct APIKeyExpiryWarningTests {
    static let expiry = APIKeyExpiry(keyID: "0b7c1c52-7d0e-4d8e-9a55-2f7f0f3c9e11", expiresAt: "2026-12-01T09:30:00Z", secondsLeft: 2 * 86_400)

    @Test func theSettingDefaultsTo14DaysAndRefusesNonsense() throws {
        #expect(try APIKeyExpiryWarning(environment: [:]).days == 14)
        #expect(try APIKeyExpiryWarning(environment: ["EXTHOST_KEY_EXPIRY_WARNING_DAYS": " "]).days == 14)
        #expect(try APIKeyExpiryWarning(environment: ["EXTHOST_KEY_EXPIRY_WARNING_DAYS": " 30 "]).days == 30)
        #expect(try APIKeyExpiryWarning(environment: ["EXTHOST_KEY_EXPIRY_WARNING_DAYS": "0"]).days == 0)
        for text in ["-1", "366", "1 4", "14d", "+3", "0x10", "99999999999999999999"] {
            #expect(throws: APIKeyExpiryWarningError.invalidDays, "\(text)") {
                try APIKeyExpiryWarning(environment: ["EXTHOST_KEY_EXPIRY_WARNING_DAYS": text])
            }
        }
        #expect(APIKeyExpiryWarningError.invalidDays.message.contains("from 0 (never warn) to 365"))
    }

    @Test func theHeaderIsAnRFC9111Warn299NamingTheKeyIDAndTheTime() throws {
        let value = APIKeyExpiryWarning.standard.headerValue(for: Self.expiry)
        #expect(value == #"299 - "API key 0b7c1c52-7d0e-4d8e-9a55-2f7f0f3c9e11 expires at 2026-12-01T09:30:00Z; create a new key and revoke this one""#)
        #expect(APIKeyExpiryWarning.standard.headerValue(for: nil) == nil)
        let later = APIKeyExpiry(keyID: Self.expiry.keyID, expiresAt: Self.expiry.expiresAt, secondsLeft: 14 * 86_400 + 1)
        #expect(APIKeyExpiryWarning.standard.headerValue(for: later) == nil)
        #expect(try APIKeyExpiryWarning(days: 0).headerValue(for: Self.expiry) == nil)
        #expect(try APIKeyExpiryWarning(days: 1).headerValue(for: Self.expiry) == nil)
        #expect(try APIKeyExpiryWarning(days: 2).headerValue(for: Self.expiry) != nil)
    }

    @Test func keyStatesPutRevocationBeforeExpiry() {
        func record(seconds: Int64?, revoked: Bool = false) -> APIKeyRecord {
            APIKeyRecord(id: "k", tenantID: "t", role: .member, name: "", createdAt: "2026-01-01T00:00:00Z",
                         expiresAt: seconds == nil ? nil : "2026-12-01T00:00:00Z", revokedAt: revoked ? "2026-02-01T00:00:00Z" : nil,
                         lastUsedAt: nil, secondsUntilExpiry: seconds)
        }
        let warning = APIKeyExpiryWarning.standard
        #expect(record(seconds: nil).state(warning: warning) == .active)
        #expect(record(seconds: 30 * 86_400).state(warning: warning) == .active)
        #expect(record(seconds: 86_400).state(warning: warning) == .expiring)
        #expect(record(seconds: 0).state(warning: warning) == .expired)
        #expect(record(seconds: -5).state(warning: warning) == .expired)
        #expect(record(seconds: 86_400, revoked: true).state(warning: warning) == .revoked)
    }
}
