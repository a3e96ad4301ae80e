import BundleStore
import ExthostCore
import FuzzSupport
import Glibc

/// The file store's own presigned URLs (`expires` and `signature` query items, checked by
/// `FileBundleStore.verifyPresigned`): the URL as handed out verifies, and every mutation of its
/// method, path, expiry or signature, and every expired use, is refused.
enum FileURLSignatureChecks {
    private static let base = "https://exthost.example"
    private static let store: FileBundleStore = {
        do {
            return try FileBundleStore(
                root: "/tmp/exthost-fuzz-sigv4-store", publicBase: base, signingKey: Array(repeating: 0x5A, count: 32),
                keyPolicy: BundleKeyPolicy(base: "bundles/"))
        } catch {
            fatalError("fuzz-sigv4: cannot open the file store in /tmp: \(error)")
        }
    }()
    private static let methods = ["GET", "PUT", "POST", "HEAD", "get"]
    private static let uploadIDBytes = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-".utf8)

    private struct SignedURL: Equatable {
        var method: String
        var path: [UInt8]
        var expires: Int64
        var signature: String
    }

    static func check(_ input: inout FuzzedInput) {
        let expiresIn = 1 + input.int(below: 1 << 16) * 10 % FileBundleStore.maximumExpiry
        let presigned: PresignedRequest?
        switch input.int(below: 3) {
        case 0: presigned = try? store.presignDownload(input.text(upTo: 64), expiresIn: expiresIn)
        case 1: presigned = try? store.presignUpload(stagingKey(&input), expiresIn: expiresIn, contentLength: nil)
        default: presigned = try? store.presignPart(stagingKey(&input), multipartId: "m", partNumber: 1 + input.int(below: 12000), expiresIn: expiresIn)
        }
        guard let presigned, let original = parse(presigned) else { return }
        let now = Int64(time(nil))
        fuzzCheck(verify(original, now: now), "a URL the store presigned does not verify: \(presigned.url)")
        fuzzCheck(!verify(original, now: original.expires + 1 + Int64(input.int(below: 1 << 16))), "an expired URL verifies")
        var mutated = original
        switch input.int(below: 5) {
        case 0:
            mutated.method = methods[input.int(below: methods.count)]
        case 1:
            let index = input.int(below: mutated.path.count)
            mutated.path[index] &+= max(1, input.byte())
        case 2:
            mutated.expires += Int64(input.int(below: 1 << 16)) - (1 << 15)
        case 3:
            var hex = Array(mutated.signature.utf8)
            let index = input.int(below: hex.count)
            hex[index] = Array("0123456789abcdef".utf8)[(Int(hex[index]) + 1 + input.int(below: 15)) % 16]
            mutated.signature = String(decoding: hex, as: UTF8.self)
        default:
            mutated.signature = input.text(upTo: 80)
        }
        let sameMeaning = mutated.method == original.method && mutated.path == original.path && mutated.expires == original.expires
            && Hex.decode(mutated.signature) == Hex.decode(original.signature)
        // Hex digits of either case decode to the same signature: that is no forgery.
        fuzzCheck(sameMeaning || !verify(mutated, now: now), "a mutated URL verifies: \(mutated)")
    }

    private static func stagingKey(_ input: inout FuzzedInput) -> String {
        "staging/" + input.text(upTo: 64, from: uploadIDBytes) + "/bundle.tar.zst"
    }

    /// The request line the URL leads to, read the way `SignedUpload.authorize` reads it.
    private static func parse(_ presigned: PresignedRequest) -> SignedURL? {
        let text = Array(presigned.url.utf8)
        fuzzCheck(text.starts(with: Array(base.utf8)), "presigned URL outside the public base: \(presigned.url)")
        let target = text.dropFirst(base.utf8.count)
        let parts = target.split(separator: UInt8(ascii: "?"), maxSplits: 1, omittingEmptySubsequences: false)
        fuzzCheck(parts.count == 2, "presigned URL without a query: \(presigned.url)")
        var expires: Int64?
        var signature: String?
        for item in parts[1].split(separator: UInt8(ascii: "&")) {
            let pair = item.split(separator: UInt8(ascii: "="), maxSplits: 1).map { String(decoding: $0, as: UTF8.self) }
            if pair.first == "expires" { expires = pair.count == 2 ? Int64(pair[1]) : nil }
            if pair.first == "signature" { signature = pair.count == 2 ? pair[1] : nil }
        }
        guard let expires, let signature else {
            fuzzCheck(false, "presigned URL without expires and signature: \(presigned.url)")
            return nil
        }
        return SignedURL(method: presigned.method, path: Array(parts[0]), expires: expires, signature: signature)
    }

    private static func verify(_ url: SignedURL, now: Int64) -> Bool {
        store.verifyPresigned(method: url.method, path: String(decoding: url.path, as: UTF8.self), expires: url.expires, signature: url.signature, now: now)
    }
}
