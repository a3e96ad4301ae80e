import Bundle
import BundleStore
import Cryptography
import FastCGI
import Registry

/// What upload-proxy answers once the body is complete in staging.
struct UploadProxyReceipt {
    let uploadID: String
    let size: Int64
    let contentHash: String
    let expiresAt: String
}

/// One upload-proxy body on its way to staging: checked for the zstd magic, then streamed
/// straight into the store's part uploads as it arrives, counted and hashed on the way.
///
/// Reading from the client and sending to the store overlap (each part is an S3 upload fed
/// from the request body), so a proxied upload takes about as long as the slower of the two
/// rather than their sum. Every byte of the current part is also kept in the slot's part
/// buffer, so a part the store fails transiently is sent again from memory.
///
/// Invariants: memory is the part buffer (`partSize`) and the HTTP client's transfer buffer,
/// never the body; the staging session is opened only once the first bytes proved to be zstd,
/// and from then on every failure discards it (multipart aborted, session `failed`), so a
/// partial or mismatching body can never be finalized; a body longer or shorter than declared
/// is refused.
final class UploadProxyTransfer {
    /// S3 parts other than the last must be at least 5 MiB; 8 MiB keeps 200 MiB within 25 parts.
    static let partSize = 8 << 20
    static let zstdMagic: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD]
    /// Tries per part when the store is unavailable (5xx, connection lost), with 0.2 s, 0.4 s pauses.
    static let partAttempts = 3

    private let input: UploadProxyInput
    private let principal: APIPrincipal
    private let publishing: PublishingServices
    private var log: UploadProxyLog
    private let hasher = SHA256()
    private var hashing: Duration = .zero
    private var received: Int64 = 0
    /// The bytes of the part being sent, as received; the first ones may arrive before the part starts.
    private let part: UploadPartBuffer
    private var parts: [S3Part] = []
    private var staging: UploadProxyStaging?

    init(_ input: UploadProxyInput, principal: APIPrincipal, publishing: PublishingServices, requestID: String, buffer: UploadPartBuffer) {
        self.input = input
        self.principal = principal
        self.publishing = publishing
        log = UploadProxyLog(logger: publishing.logger, requestID: requestID)
        part = buffer
    }

    /// Streams `body` into staging and records its hash on the session; on failure, throws what
    /// the client is told after discarding the session.
    func run(_ body: RequestBody) throws -> UploadProxyReceipt {
        do {
            try receiveMagic(body)
            let opened = try UploadProxyStaging.open(input, principal: principal, publishing: publishing)
            staging = opened
            log.uploadID = opened.session.id
            var offset: Int64 = 0
            while offset < input.size {
                let length = min(Int64(Self.partSize), input.size - offset)
                try sendPart(length: Int(length), from: body, to: opened)
                offset += length
            }
            try expectEnd(of: body)
            return try finish(opened)
        } catch {
            staging?.discard(publishing: publishing)
            let answered = Self.clientError(for: error)
            log.failed(bytes: received, error: answered)
            throw answered
        }
    }

    /// Reads the first four bytes (the part buffer keeps them for the first part) and checks
    /// they are a zstd frame's magic; no session exists before this passed.
    private func receiveMagic(_ body: RequestBody) throws {
        var head = [UInt8](repeating: 0, count: Self.zstdMagic.count)
        var count = 0
        while count < head.count {
            let read = try head.withUnsafeMutableBytes { raw in try receive(from: body, into: UnsafeMutableRawBufferPointer(rebasing: raw[count...])) }
            if read == 0 { throw received < input.size ? PublishingError.sizeMismatch(declared: input.size, received: received) : .notZstd }
            count += read
        }
        guard head == Self.zstdMagic else { throw PublishingError.notZstd }
    }

    /// Uploads the next part of `length` bytes, fed from the part buffer first and then from the
    /// body; a transiently failed attempt is repeated with what the buffer holds by then.
    private func sendPart(length: Int, from body: RequestBody, to staging: UploadProxyStaging) throws {
        let number = parts.count + 1
        var attempt = 1
        while true {
            var sent = 0
            let source = ObjectBody.stream(length: Int64(length)) { [self] buffer in
                let count: Int
                if sent < part.bytes.count {
                    count = min(buffer.count, part.bytes.count - sent)
                    part.bytes.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[sent..<sent + count])) }
                } else {
                    count = try receive(from: body, into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<min(buffer.count, length - sent)]))
                    if count == 0 { throw PublishingError.sizeMismatch(declared: input.size, received: received) }
                }
                sent += count
                return count
            }
            do throws(BundleStoreError) {
                let etag = try publishing.store.uploadPart(staging.session.stagingKey, multipartId: staging.multipartID, partNumber: number, body: source)
                parts.append(S3Part(number: number, etag: etag))
                part.bytes.removeAll(keepingCapacity: true)
                return
            } catch {
                guard case .unavailable = error, attempt < Self.partAttempts else { throw error }
                S3RetryPolicy.threadSleep(.milliseconds(200 << (attempt - 1)))
                attempt += 1
            }
        }
    }

    /// Reads body bytes into `buffer`, counting, hashing and keeping them in the part buffer.
    private func receive(from body: RequestBody, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count = try body.read(into: buffer)
        guard count > 0 else { return 0 }
        let fresh = UnsafeRawBufferPointer(rebasing: buffer[..<count])
        received += Int64(count)
        let hashStart = ContinuousClock.now
        hasher.update(fresh)
        hashing += hashStart.duration(to: .now)
        part.bytes.append(contentsOf: fresh)
        return count
    }

    /// Without a `Content-Length` (a chunked body) only the declared size bounds the body: one
    /// byte more is a body longer than declared.
    private func expectEnd(of body: RequestBody) throws {
        var probe: UInt8 = 0
        let extra = try withUnsafeMutableBytes(of: &probe) { try body.read(into: $0) }
        if extra > 0 { throw PublishingError.exceedsDeclaredSize(declared: input.size) }
    }

    private func finish(_ staging: UploadProxyStaging) throws -> UploadProxyReceipt {
        log.received(bytes: received, parts: parts.count)
        let contentHash = ContentHash(digest: hasher.finalize()).description
        log.hashed(bytes: received, contentHash: contentHash, hashing: hashing)
        if let declared = input.declaredHash, declared != contentHash {
            throw PublishingError.hashMismatch(declared: declared, actual: contentHash)
        }
        let session = staging.session
        try publishing.store.completeMultipart(session.stagingKey, multipartId: staging.multipartID, parts: parts, ifNoneMatch: false)
        try publishing.sessions.update(tenantID: session.tenantID, id: session.id, state: .open, contentHash: contentHash)
        return UploadProxyReceipt(uploadID: session.id, size: received, contentHash: contentHash, expiresAt: session.expiresAt)
    }

    /// What the client is told: a body that ended early or broke (client gone, nginx timeout) is
    /// an interrupted upload, whichever layer noticed it; errors thrown while feeding the store
    /// are the body's own.
    private static func clientError(for error: any Error) -> any Error {
        switch error {
        case BundleStoreError.sourceFailed(let underlying): clientError(for: underlying)
        case RequestError.bodyIncomplete, RequestError.bodyReadFailed: PublishingError.uploadInterrupted
        default: error
        }
    }
}
