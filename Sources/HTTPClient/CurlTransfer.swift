/// The state of one transfer that libcurl's callbacks act on: the body being sent, the head
/// being parsed and the caller's handlers for what arrives.
///
/// Invariants: lives for exactly one `curl_easy_perform` on one thread; the first failure is
/// recorded in `failure` and every later callback refuses to go on, so curl aborts and the
/// recorded failure (not curl's generic abort code) is what the caller sees; `onHead` runs at
/// most once and before the first body byte reaches `sink`; `sink` never sees more than
/// `maxResponseBytes` in total, and a larger declared `Content-Length` fails before `onHead`;
/// the body source is never asked for more than its length; every address the connect guard
/// refused is in `refusedAddresses` and `admittedAny` says whether it let one through: a
/// refusal is not a failure by itself (curl may still connect to another address of the host).
final class CurlTransfer {
    private(set) var failure: HTTPClientError?
    private(set) var deliveredHead: HTTPResponseHead?
    private(set) var refusedAddresses: [IPAddress] = []
    private(set) var admittedAny = false
    let connectGuard: ((IPAddress, Int) -> Bool)?

    private let body: HTTPRequestBody
    private var bodyOffset: Int64 = 0
    private let maxResponseBytes: Int64?
    private let isHeadRequest: Bool
    private var receivedBytes: Int64 = 0
    private let onHead: (HTTPResponseHead) throws -> Void
    private let sink: (UnsafeRawBufferPointer) throws -> Void
    private var parser = ResponseHeadParser()

    init(
        body: HTTPRequestBody,
        isHeadRequest: Bool,
        maxResponseBytes: Int64?,
        connectGuard: ((IPAddress, Int) -> Bool)? = nil,
        onHead: @escaping (HTTPResponseHead) throws -> Void,
        sink: @escaping (UnsafeRawBufferPointer) throws -> Void
    ) {
        self.body = body
        self.isHeadRequest = isHeadRequest
        self.maxResponseBytes = maxResponseBytes
        self.connectGuard = connectGuard
        self.onHead = onHead
        self.sink = sink
    }

    /// Fills a prefix of `buffer` with the next body bytes; returns how many (0 at the end), or
    /// nil to abort the transfer after recording why.
    func fillBody(_ buffer: UnsafeMutableRawBufferPointer) -> Int? {
        guard failure == nil else { return nil }
        let remaining = body.length - bodyOffset
        guard remaining > 0, buffer.count > 0 else { return 0 }
        let window = UnsafeMutableRawBufferPointer(rebasing: buffer[..<Int(min(Int64(buffer.count), remaining))])
        let written: Int
        switch body {
        case .none:
            written = 0
        case .bytes(let bytes):
            let start = Int(bodyOffset)
            bytes.withUnsafeBytes { source in
                window.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[start..<start + window.count]))
            }
            written = window.count
        case .stream(let length, let source):
            do {
                written = try source(window)
            } catch {
                failure = .bodySourceFailed(error)
                return nil
            }
            precondition(written >= 0 && written <= window.count, "a body source returned \(written) for a \(window.count)-byte buffer")
            if written == 0 {
                failure = .bodyEndedEarly(expected: length, sent: bodyOffset)
                return nil
            }
        }
        bodyOffset += Int64(written)
        return written
    }

    /// Whether curl may open a connection to `address`; a refusal is remembered.
    func admitConnection(to address: IPAddress, port: Int) -> Bool {
        guard failure == nil else { return false }
        guard let connectGuard, !connectGuard(address, port) else {
            admittedAny = true
            return true
        }
        refusedAddresses.append(address)
        return false
    }

    /// Moves the body back to `offset` when curl must resend it on a fresh connection; a
    /// streamed body can only "rewind" to where it already is.
    func rewindBody(to offset: Int64) -> Bool {
        guard offset >= 0, offset <= body.length else { return false }
        if case .stream = body, offset != bodyOffset { return false }
        bodyOffset = offset
        return true
    }

    /// Takes one header line (status line, field, or the blank line ending a block); returns
    /// false to abort the transfer after recording why.
    func receiveHeaderLine(_ line: UnsafeRawBufferPointer) -> Bool {
        guard failure == nil else { return false }
        // Trailer fields after the body are not part of the head handed to the caller.
        guard deliveredHead == nil else { return true }
        switch parser.consume(line) {
        case .needMore:
            return true
        case .invalid(let reason):
            failure = .protocolError(reason: reason)
            return false
        case .complete(let head):
            return deliverHead(head)
        }
    }

    /// Passes one chunk of the response body to the sink; returns false to abort the transfer
    /// after recording why.
    func receiveBody(_ chunk: UnsafeRawBufferPointer) -> Bool {
        guard failure == nil else { return false }
        if deliveredHead == nil {
            guard let head = parser.partialHead(), deliverHead(head) else {
                failure = failure ?? .protocolError(reason: "body data arrived before a status line")
                return false
            }
        }
        if let maxResponseBytes, Int64(chunk.count) > maxResponseBytes - receivedBytes {
            failure = .responseTooLarge(limit: maxResponseBytes)
            return false
        }
        receivedBytes += Int64(chunk.count)
        do {
            try sink(chunk)
            return true
        } catch {
            failure = .sinkFailed(error)
            return false
        }
    }

    /// The head handed to `onHead`, delivered now if curl finished without the blank line that
    /// ends a head (which it should never do).
    func finishHead(status: Int) -> HTTPResponseHead? {
        if let deliveredHead { return deliveredHead }
        var head = parser.partialHead() ?? HTTPResponseHead(status: status, headers: [])
        if head.status == 0 { head.status = status }
        guard head.status > 0, deliverHead(head) else {
            failure = failure ?? .protocolError(reason: "no status line was received")
            return nil
        }
        return head
    }

    private func deliverHead(_ head: HTTPResponseHead) -> Bool {
        deliveredHead = head
        // Refuse a declared oversize body up front; a HEAD response or a 204/304 declares the
        // length of a body that is not sent. (CURLOPT_MAXFILESIZE would refuse those too.)
        if let maxResponseBytes, !isHeadRequest, head.status != 204, head.status != 304,
            let declared = head.firstValue(for: "Content-Length").flatMap(Int64.init), declared > maxResponseBytes
        {
            failure = .responseTooLarge(limit: maxResponseBytes)
            return false
        }
        do {
            try onHead(head)
            return true
        } catch {
            failure = .sinkFailed(error)
            return false
        }
    }
}
