import CCurl
import Glibc

/// Runs `curl_global_init` exactly once, before the first handle exists (it is not thread safe;
/// a static `let` is initialised once, under a lock).
enum LibCurl {
    static let initialized: Void = {
        let code = curl_global_init(Int(CURL_GLOBAL_ALL))
        precondition(code == CURLE_OK, "curl_global_init failed: \(code.rawValue)")
    }()
}

/// One libcurl easy handle and its error buffer; it keeps its live connections between
/// transfers, which is where connection reuse comes from.
///
/// Invariants: owns the `CURL *` and the `CURL_ERROR_SIZE` error buffer, both freed in deinit;
/// used by one thread at a time (the pool hands it out exclusively, hence `@unchecked
/// Sendable`); every option is set anew for each transfer and cleared by `reset()` before the
/// handle goes back to the pool, so no pointer into a finished transfer is left behind.
final class CurlEasyHandle: @unchecked Sendable {
    private let handle: UnsafeMutableRawPointer
    private let errorBuffer: UnsafeMutablePointer<CChar>

    init() {
        LibCurl.initialized
        guard let handle = curl_easy_init() else { fatalError("curl_easy_init: out of memory") }
        self.handle = handle
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
    }

    deinit {
        curl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }

    /// Forgets the options of the last transfer; keeps live connections, DNS and TLS session caches.
    func reset() {
        curl_easy_reset(handle)
    }

    /// Runs `request` to completion, feeding `transfer` from curl's callbacks.
    func perform(
        _ request: HTTPRequest,
        transfer: CurlTransfer,
        options: TransferOptions
    ) throws(HTTPClientError) -> HTTPResponseHead {
        // curl keeps these pointers (not copies) until the transfer ends.
        let headerList = CurlStringList(CurlHeaderLines.lines(for: request))
        let resolveList = request.resolve.map(CurlStringList.init)
        defer { withExtendedLifetime((transfer, headerList, resolveList)) {} }

        try configure(request, options: options)
        try set(CURLOPT_HTTPHEADER, list: headerList)
        if let resolveList { try set(CURLOPT_RESOLVE, list: resolveList) }
        try installCallbacks(context: Unmanaged.passUnretained(transfer).toOpaque())

        errorBuffer[0] = 0
        let code = curl_easy_perform(handle)
        if let failure = transfer.failure { throw failure }
        if code == CURLE_COULDNT_CONNECT, !transfer.refusedAddresses.isEmpty, !transfer.admittedAny {
            let refused = transfer.refusedAddresses.map(\.description).joined(separator: ", ")
            throw .connectFailed(host: URLRedaction.host(of: URLRedaction.redactToken(request.url)), reason: "the connect guard refused \(refused)")
        }
        guard code == CURLE_OK else {
            throw CurlErrorMapping.error(for: code, request: request, reason: errorText(for: code))
        }
        var status = 0
        _ = exthost_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        guard let head = transfer.finishHead(status: status) else {
            throw transfer.failure ?? .protocolError(reason: "no response head was received")
        }
        return head
    }

    private func configure(_ request: HTTPRequest, options: TransferOptions) throws(HTTPClientError) {
        try set(CURLOPT_ERRORBUFFER, pointer: UnsafeMutableRawPointer(errorBuffer))
        try set(CURLOPT_URL, request.url)
        try set(CURLOPT_PROTOCOLS_STR, "http,https")
        try set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https")
        try set(CURLOPT_FOLLOWLOCATION, 0)
        // Send the path exactly as given: a signature covers it byte for byte.
        try set(CURLOPT_PATH_AS_IS, 1)
        // Proxy variables in the environment must not reroute (and bypass) pinned resolution.
        try set(CURLOPT_PROXY, "")
        try set(CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1)
        // Signals are process-wide: curl must not use SIGALRM for timeouts in a threaded server.
        try set(CURLOPT_NOSIGNAL, 1)
        try set(CURLOPT_TCP_KEEPALIVE, 1)
        try set(CURLOPT_SSL_VERIFYPEER, 1)
        try set(CURLOPT_SSL_VERIFYHOST, 2)
        if let caFile = options.caFile { try set(CURLOPT_CAINFO, caFile) }
        try set(CURLOPT_USERAGENT, options.userAgent)
        try set(CURLOPT_CONNECTTIMEOUT_MS, options.connectTimeoutMilliseconds)
        try set(CURLOPT_TIMEOUT_MS, options.totalTimeoutMilliseconds)
        try set(CURLOPT_LOW_SPEED_LIMIT, options.lowSpeedLimit)
        try set(CURLOPT_LOW_SPEED_TIME, options.lowSpeedLimit > 0 ? options.lowSpeedTimeSeconds : 0)
        try set(CURLOPT_BUFFERSIZE, options.receiveBufferSize)
        try set(CURLOPT_UPLOAD_BUFFERSIZE, options.uploadBufferSize)
        try configureMethod(request.method, bodyLength: request.body.length)
    }

    /// curl derives the method from how the body is sent; anything else is a custom method.
    private func configureMethod(_ method: String, bodyLength: Int64) throws(HTTPClientError) {
        switch method {
        case "HEAD":
            try set(CURLOPT_NOBODY, 1)
        case "POST":
            try set(CURLOPT_POST, 1)
            try set(CURLOPT_POSTFIELDSIZE_LARGE, offset: bodyLength)
        case "PUT":
            try set(CURLOPT_UPLOAD, 1)
            try set(CURLOPT_INFILESIZE_LARGE, offset: bodyLength)
        case _ where bodyLength > 0:
            try set(CURLOPT_UPLOAD, 1)
            try set(CURLOPT_INFILESIZE_LARGE, offset: bodyLength)
            try set(CURLOPT_CUSTOMREQUEST, method)
        case "GET":
            try set(CURLOPT_HTTPGET, 1)
        default:
            try set(CURLOPT_CUSTOMREQUEST, method)
        }
    }

    private func installCallbacks(context: UnsafeMutableRawPointer) throws(HTTPClientError) {
        try set(CURLOPT_WRITEDATA, pointer: context)
        try check(exthost_curl_setopt_write_function(handle, CURLOPT_WRITEFUNCTION) { data, size, count, context in
            let length = size * count
            let accepted = CurlTransfer.from(context).receiveBody(UnsafeRawBufferPointer(start: data, count: length))
            return accepted ? length : Int(CURL_WRITEFUNC_ERROR)
        }, CURLOPT_WRITEFUNCTION)
        try set(CURLOPT_HEADERDATA, pointer: context)
        try check(exthost_curl_setopt_write_function(handle, CURLOPT_HEADERFUNCTION) { data, size, count, context in
            let length = size * count
            let accepted = CurlTransfer.from(context).receiveHeaderLine(UnsafeRawBufferPointer(start: data, count: length))
            return accepted ? length : Int(CURL_WRITEFUNC_ERROR)
        }, CURLOPT_HEADERFUNCTION)
        // Always installed: curl's default read function would read the process's stdin.
        try set(CURLOPT_READDATA, pointer: context)
        try check(exthost_curl_setopt_read_function(handle) { buffer, size, count, context in
            let buffer = UnsafeMutableRawBufferPointer(start: buffer, count: size * count)
            return CurlTransfer.from(context).fillBody(buffer) ?? Int(CURL_READFUNC_ABORT)
        }, CURLOPT_READFUNCTION)
        try set(CURLOPT_SEEKDATA, pointer: context)
        try check(exthost_curl_setopt_seek_function(handle) { context, offset, origin in
            let rewound = origin == SEEK_SET && CurlTransfer.from(context).rewindBody(to: Int64(offset))
            return rewound ? CURL_SEEKFUNC_OK : CURL_SEEKFUNC_CANTSEEK
        }, CURLOPT_SEEKFUNCTION)
        guard CurlTransfer.from(context).connectGuard != nil else { return }
        // The only place that sees the address curl really connects to (after resolution, for
        // every attempt): refusing here means no socket, so not one byte reaches that address.
        try set(CURLOPT_OPENSOCKETDATA, pointer: context)
        try check(exthost_curl_setopt_opensocket_function(handle) { context, purpose, address in
            guard purpose == CURLSOCKTYPE_IPCXN, let address, let (ip, port) = CurlEasyHandle.endpoint(of: address),
                CurlTransfer.from(context).admitConnection(to: ip, port: port)
            else { return CURL_SOCKET_BAD }
            let type = address.pointee.socktype | Int32(bitPattern: UInt32(SOCK_CLOEXEC.rawValue))
            return socket(address.pointee.family, type, address.pointee.protocol)
        }, CURLOPT_OPENSOCKETFUNCTION)
    }

    /// The IP address and port of the `sockaddr` curl is about to connect to; nil for another
    /// family or a truncated address.
    private static func endpoint(of address: UnsafeMutablePointer<curl_sockaddr>) -> (IPAddress, Int)? {
        let length = Int(address.pointee.addrlen)
        guard let raw = UnsafeRawPointer(exthost_curl_sockaddr_address(address)) else { return nil }
        switch address.pointee.family {
        case AF_INET where length >= MemoryLayout<sockaddr_in>.size:
            let ipv4 = raw.loadUnaligned(as: sockaddr_in.self)
            let bytes = withUnsafeBytes(of: ipv4.sin_addr) { Array($0) }
            return IPAddress(bytes: bytes).map { ($0, Int(UInt16(bigEndian: ipv4.sin_port))) }
        case AF_INET6 where length >= MemoryLayout<sockaddr_in6>.size:
            let ipv6 = raw.loadUnaligned(as: sockaddr_in6.self)
            let bytes = withUnsafeBytes(of: ipv6.sin6_addr) { Array($0) }
            return IPAddress(bytes: bytes).map { ($0, Int(UInt16(bigEndian: ipv6.sin6_port))) }
        default:
            return nil
        }
    }

    private func errorText(for code: CURLcode) -> String {
        let text = errorBuffer[0] != 0 ? String(cString: errorBuffer) : String(cString: curl_easy_strerror(code))
        return URLRedaction.redactText(text)
    }

    private func set(_ option: CURLoption, _ value: Int) throws(HTTPClientError) {
        try check(exthost_curl_setopt_long(handle, option, value), option)
    }

    private func set(_ option: CURLoption, offset value: Int64) throws(HTTPClientError) {
        try check(exthost_curl_setopt_off_t(handle, option, curl_off_t(value)), option)
    }

    private func set(_ option: CURLoption, _ value: String) throws(HTTPClientError) {
        // curl copies string options, so the temporary C string may go away afterwards.
        try check(exthost_curl_setopt_string(handle, option, value), option)
    }

    private func set(_ option: CURLoption, pointer: UnsafeMutableRawPointer) throws(HTTPClientError) {
        try check(exthost_curl_setopt_pointer(handle, option, pointer), option)
    }

    private func set(_ option: CURLoption, list: CurlStringList) throws(HTTPClientError) {
        try check(exthost_curl_setopt_slist(handle, option, list.head), option)
    }

    private func check(_ code: CURLcode, _ option: CURLoption) throws(HTTPClientError) {
        guard code != CURLE_OK else { return }
        let reason = String(cString: curl_easy_strerror(code))
        throw .transferFailed(curlCode: Int(code.rawValue), reason: "setting option \(option.rawValue) failed: \(reason)")
    }
}

extension CurlTransfer {
    /// The transfer behind the context pointer `CurlEasyHandle` registered with curl.
    fileprivate static func from(_ context: UnsafeMutableRawPointer?) -> CurlTransfer {
        Unmanaged<CurlTransfer>.fromOpaque(context!).takeUnretainedValue()
    }
}

/// A `curl_slist` of C strings that curl reads during a transfer.
///
/// Invariants: owns the list (curl copies each string into it), freed in deinit.
final class CurlStringList {
    private(set) var head: UnsafeMutablePointer<curl_slist>?

    init(_ lines: [String]) {
        for line in lines {
            guard let extended = curl_slist_append(head, line) else { fatalError("curl_slist_append: out of memory") }
            head = extended
        }
    }

    deinit {
        curl_slist_free_all(head)
    }
}
