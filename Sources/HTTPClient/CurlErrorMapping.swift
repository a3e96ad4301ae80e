import CCurl

/// Turns a failed `CURLcode` into the typed error the caller can act on.
///
/// `reason` is curl's error text, already redacted; the URL is redacted here before it is kept.
enum CurlErrorMapping {
    static func error(for code: CURLcode, request: HTTPRequest, reason: String) -> HTTPClientError {
        let host = URLRedaction.host(of: URLRedaction.redactToken(request.url))
        switch code {
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT:
            return .invalidURL(url: URLRedaction.redactToken(request.url))
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return .resolveFailed(host: host)
        case CURLE_COULDNT_CONNECT:
            return .connectFailed(host: host, reason: reason)
        case CURLE_OPERATION_TIMEDOUT:
            return .timeout(reason: reason)
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
            CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_CRL_BADFILE, CURLE_SSL_INVALIDCERTSTATUS,
            CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_SHUTDOWN_FAILED, CURLE_SSL_ENGINE_INITFAILED,
            CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED, CURLE_USE_SSL_FAILED:
            return .tlsFailed(reason: reason)
        case CURLE_SEND_ERROR:
            return .sendFailed(reason: reason)
        case CURLE_SEND_FAIL_REWIND:
            return .sendFailed(reason: "the connection was lost and the body cannot be sent again")
        case CURLE_RECV_ERROR, CURLE_PARTIAL_FILE:
            return .receiveFailed(reason: reason)
        case CURLE_GOT_NOTHING:
            return .emptyResponse
        case CURLE_WEIRD_SERVER_REPLY, CURLE_HTTP2, CURLE_HTTP2_STREAM, CURLE_BAD_CONTENT_ENCODING:
            return .protocolError(reason: reason)
        case CURLE_ABORTED_BY_CALLBACK, CURLE_WRITE_ERROR, CURLE_READ_ERROR:
            // A callback of ours aborted without recording why: nothing better is known.
            return .aborted
        default:
            return .transferFailed(curlCode: Int(code.rawValue), reason: reason)
        }
    }
}
