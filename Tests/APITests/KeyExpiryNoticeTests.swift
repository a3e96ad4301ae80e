import API
import FastCGI
import Registry
import Synchronization
import Testing

/// The `Warning` header and count for requests made with a key about to expire.
@Suite struct KeyExpiryNoticeTests {
    final class Tally: Sendable {
        let count = Atomic<Int>(0)
    }

    @Test func onlyKeysInsideTheWindowGetTheHeaderAndAreCounted() throws {
        let tally = Tally()
        do {
            let notice = KeyExpiryNotice(warning: try APIKeyExpiryWarning(days: 7)) { tally.count.add(1, ordering: .relaxed) }
            let soon = APIKeyExpiry(keyID: "0b7c1c52-7d0e-4d8e-9a55-2f7f0f3c9e11", expiresAt: "2026-12-01T09:30:00Z", secondsLeft: 3_600)
            let later = APIKeyExpiry(keyID: soon.keyID, expiresAt: "2027-12-01T09:30:00Z", secondsLeft: 8 * 86_400)

            var warned = Response.json("{}")
            notice.annotate(&warned, expiry: soon)
            #expect(try warned.headers["Warning"] == APIKeyExpiryWarning(days: 7).headerValue(for: soon))
            #expect(warned.headers["Content-Type"] == "application/json")

            for expiry in [later, nil] {
                var plain = Response.json("{}")
                notice.annotate(&plain, expiry: expiry)
                #expect(plain.headers == Response.json("{}").headers)
            }
            #expect(tally.count.load(ordering: .relaxed) == 1)
        }
    }
}
