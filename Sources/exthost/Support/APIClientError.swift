import ExthostCore
import HTTPClient

/// An error document of the exthost API: `{"error":{code, message, requestId, field?, issues?}}`.
struct APIErrorDocument: Sendable, Equatable {
    let status: Int
    let code: String
    let message: String
    let requestID: String?
    let field: String?
    /// Every manifest issue of a 422, as `path: message [CODE]`.
    let issues: [String]
    /// `Retry-After` of a 429 or 503, in seconds.
    let retryAfter: String?
}

/// Why a call of the CLI to the exthost API or to a presigned storage URL failed, in words a
/// person can act on: the API's code, message, field and every issue, plus a hint.
///
/// Invariant: no case holds the API key or a URL's query string (presigned URLs carry a
/// signature there), so printing an error never leaks a credential.
enum APIClientError: HTTPError {
    /// The API answered with its error document; `operation` is `METHOD /path`.
    case rejected(operation: String, APIErrorDocument)
    /// The request never got an HTTP answer: DNS, connect, TLS, timeout…; `url` without query.
    case unreachable(url: String, cause: HTTPClientError)
    /// A 2xx without the JSON the contract promises, or an error status without an error document.
    case unexpectedResponse(operation: String, status: Int, detail: String)
    /// The storage behind a presigned URL refused a PUT; `url` without query.
    case storageRejected(url: String, status: Int, detail: String)
    /// The local bundle file could not be read while it was being sent.
    case bundleUnreadable(reason: String)

    var status: HTTPStatus {
        switch self {
        case .rejected(_, let document): HTTPStatus(document.status, "")
        case .unreachable(_, let cause): cause.status
        case .unexpectedResponse, .storageRejected: .badGateway
        case .bundleUnreadable: .internalServerError
        }
    }

    var code: String {
        switch self {
        case .rejected(_, let document): document.code
        case .unreachable(_, let cause): cause.code
        case .unexpectedResponse: "UNEXPECTED_RESPONSE"
        case .storageRejected: "STORAGE_UPLOAD_REJECTED"
        case .bundleUnreadable: "BUNDLE_UNREADABLE"
        }
    }

    var message: String {
        switch self {
        case .rejected(let operation, let document): "\(operation) answered \(document.status): \(document.message)"
        case .unreachable(let url, let cause): "cannot reach \(url): \(cause.message)"
        case .unexpectedResponse(let operation, let status, let detail): "\(operation) answered \(status) with \(detail)"
        case .storageRejected(let url, let status, let detail): "the storage refused the upload to \(url) with \(status): \(detail)"
        case .bundleUnreadable(let reason): "cannot read the bundle while sending it: \(reason)"
        }
    }

    var field: String? {
        if case .rejected(_, let document) = self { return document.field }
        return nil
    }

    /// A transport failure or a server-side status that a later attempt may get past.
    var isTransient: Bool {
        switch self {
        case .unreachable(_, let cause): cause.code != "UPSTREAM_TLS_FAILED" && cause.code != "HTTP_CLIENT_INVALID_URL"
        case .rejected(_, let document): document.status == 429 || document.status >= 500
        case .storageRejected(_, let status, _), .unexpectedResponse(_, let status, _): status == 429 || status >= 500
        case .bundleUnreadable: false
        }
    }
}

extension APIClientError: CustomStringConvertible {
    /// `CODE: message`, then the field, every issue, the request id and a hint, one per line.
    var description: String {
        var lines = ["\(code): \(message)"]
        if case .rejected(_, let document) = self {
            if let field = document.field { lines.append("  field: \(field)") }
            lines += document.issues.map { "  issue: \($0)" }
            if let retryAfter = document.retryAfter { lines.append("  retry after: \(retryAfter) s") }
            if let requestID = document.requestID { lines.append("  request id: \(requestID)") }
        }
        if let hint { lines.append("  hint: \(hint)") }
        return lines.joined(separator: "\n")
    }

    /// What to do next, for the failures a publisher can fix.
    var hint: String? {
        switch self {
        case .rejected(_, let document): Self.hint(code: document.code, status: document.status)
        case .unreachable(_, let cause) where cause.code == "UPSTREAM_TLS_FAILED":
            "pass the server's CA certificate with --cacert (or set EXTHOST_CA)"
        case .unreachable: "check --url (or EXTHOST_URL) and that the server is running"
        case .storageRejected(_, let status, _) where status == 403:
            "the presigned URL was refused (expired or altered); run publish again"
        case .unexpectedResponse, .storageRejected, .bundleUnreadable: nil
        }
    }

    private static func hint(code: String, status: Int) -> String? {
        switch code {
        case "UNAUTHENTICATED", "INVALID_API_KEY":
            "check --key (or EXTHOST_API_KEY): it must be a live key of your tenant (exthost admin create-key --role admin)"
        case "FORBIDDEN": "publishing and installing need an admin key; this key's role is member"
        case "VERSION_EXISTS": "this version is published with other content: raise \"version\" in manifest.json"
        case "MANIFEST_INVALID": "fix manifest.json; `exthost verify BUNDLE` lists the same issues without uploading"
        case "SIGNATURE_REQUIRED": "the server requires signed bundles: pass --sign-key and --cert, or put BUNDLE.sig next to the bundle"
        case "SIGNATURE_INVALID": "the signature does not match these bytes: sign the bundle again after its last change"
        case "SIGNER_UNTRUSTED": "the server does not trust this certificate: sign with one its SIGNING_TRUST_BUNDLE trusts"
        case "SIGNER_MISMATCH": "the certificate's subject CN must equal the manifest's \"publisher\""
        case "BUNDLE_TOO_LARGE": "the server caps bundle size (EXTHOST_MAX_BUNDLE_BYTES): ship less in the bundle"
        case "HASH_MISMATCH", "SIZE_MISMATCH", "UPLOAD_INTERRUPTED": "the bytes changed or stopped on the way: run publish again"
        case "UPLOAD_NOT_FOUND", "UPLOAD_CLOSED", "UPLOAD_INCOMPLETE": "the upload session is gone or incomplete: run publish again"
        case "CAPABILITY_NOT_DECLARED": "--grant only capabilities the manifest declares under \"capabilities\""
        case "MODULE_INVALID": "the wasm entry must be a valid exthost-wasm@1 module (exports memory, exthost_alloc and each handler)"
        default:
            if status == 429 { "the server is rate limiting: wait and run publish again" }
            else if status >= 500 { "a server-side failure: look the request id up in the exthost-api log" }
            else { nil }
        }
    }
}
