import Cryptography
import ExthostCore

/// Signs and checks the api's own upload and download URLs: a hex HMAC-SHA-256 over
/// `"<METHOD>\n<path>\n<expires>"`, `expires` in epoch seconds.
///
/// Invariant: verification compares in constant time and refuses an expired URL before
/// looking at its signature; the key is never part of any output.
struct FileURLSigner: Sendable {
    let key: [UInt8]

    func signature(method: String, path: String, expires: Int64) -> [UInt8] {
        HMACSHA256.authenticationCode(key: key, message: Array("\(method)\n\(path)\n\(expires)".utf8))
    }

    func verify(method: String, path: String, expires: Int64, signature given: String, now: Int64) -> Bool {
        guard now <= expires, let bytes = Hex.decode(given) else { return false }
        return ConstantTime.equals(bytes, signature(method: method, path: path, expires: expires))
    }
}
