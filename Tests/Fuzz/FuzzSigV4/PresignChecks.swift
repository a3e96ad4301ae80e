import BundleStore
import FuzzSupport

/// Properties of presigned URLs: they are refused exactly when the expiry is out of range or the
/// URL already carries authorization items; otherwise the URL text parses back to the given
/// query items followed by the `X-Amz-*` items, and signing what was parsed gives the same
/// signature (what S3 does to verify it).
enum PresignChecks {
    private static let authorizationNames: Set<String> = [
        "x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-expires", "x-amz-signedheaders", "x-amz-security-token", "x-amz-signature",
    ]

    static func check(_ request: SigV4Case) {
        let expiryValid = (1...SigV4Error.maximumExpiry).contains(request.expires)
        let carriesAuthorization = request.url.query.contains { authorizationNames.contains($0.name.lowercased()) }
        do throws(SigV4Error) {
            let presigned = try request.signer.presignedURL(
                method: request.method, url: request.url, headers: request.headers, expires: request.expires, at: request.timestamp)
            fuzzCheck(expiryValid && !carriesAuthorization, "presigned despite expiry \(request.expires) or existing X-Amz-* items")
            checkParsesBack(presigned, request)
        } catch {
            switch error {
            case .expiryOutOfRange(let seconds):
                fuzzCheck(!expiryValid && seconds == request.expires, "expiry \(request.expires) refused as out of range")
            case .alreadyPresigned:
                fuzzCheck(expiryValid && carriesAuthorization, "refused as already presigned without X-Amz-* items")
            }
        }
    }

    private static func checkParsesBack(_ presigned: SigV4PresignedURL, _ request: SigV4Case) {
        let url = request.url
        let prefix = Array("\(url.scheme)://\(url.hostHeader)\(url.path)?".utf8)
        let text = Array(presigned.url.utf8)
        fuzzCheck(text.starts(with: prefix), "presigned URL does not start with scheme, host and path")
        guard let items = SigV4Text.decodeQuery(text.dropFirst(prefix.count)) else {
            fuzzCheck(false, "presigned URL query is not canonically encoded")
            return
        }
        let given = url.query.map { (name: Array($0.name.utf8), value: Array($0.value.utf8)) }
        fuzzCheck(items.prefix(given.count).elementsEqual(given) { $0 == $1 }, "presigned URL does not start with the given query items, in order")
        let signature = presigned.signature
        var expected = [
            ("X-Amz-Algorithm", SigV4Signer.algorithm),
            ("X-Amz-Credential", signature.credential),
            ("X-Amz-Date", request.timestamp.amzDate),
            ("X-Amz-Expires", String(request.expires)),
            ("X-Amz-SignedHeaders", signature.signedHeaders),
        ]
        if let token = request.signer.credentials.sessionToken { expected.append(("X-Amz-Security-Token", token)) }
        expected.append(("X-Amz-Signature", signature.signature))
        let authorization = items.dropFirst(given.count)
        fuzzCheck(authorization.elementsEqual(expected) { $0.name == Array($1.0.utf8) && $0.value == Array($1.1.utf8) },
                  "presigned URL's X-Amz-* items differ from what was signed")
        fuzzCheck(presigned.requiredHeaders.elementsEqual(request.headers) { $0 == $1 }, "required headers differ from the signed ones")

        let unsigned = items.dropLast().map { S3QueryItem(String(decoding: $0.name, as: UTF8.self), String(decoding: $0.value, as: UTF8.self)) }
        let parsed = S3URL(scheme: url.scheme, host: url.host, port: url.port, path: url.path, query: unsigned)
        fuzzCheck(request.sign(url: parsed).signature == signature.signature, "signing the parsed presigned URL gives another signature")
    }
}
