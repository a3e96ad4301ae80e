import Cryptography
import HTTPClient

/// The metadata of one object, from a HEAD or a GET answer.
public struct S3ObjectInfo: Sendable, Equatable {
    public let size: Int64
    /// Quotes included, as S3 sends it.
    public let etag: String
    /// The `Last-Modified` HTTP date.
    public let lastModified: String
    public let contentType: String?

    init(head: HTTPResponseHead) {
        size = head.firstValue(for: "Content-Length").flatMap { Int64($0) } ?? 0
        etag = head.firstValue(for: "ETag") ?? ""
        lastModified = head.firstValue(for: "Last-Modified") ?? ""
        contentType = head.firstValue(for: "Content-Type")
    }
}

extension S3Client {
    /// The object's metadata, or nil when there is no such key.
    public func head(_ key: String) throws(BundleStoreError) -> S3ObjectInfo? {
        let call = Call(operation: "HeadObject", key: key, method: "HEAD", url: try objectURL(key), timeout: requestTimeout)
        do throws(BundleStoreError) {
            return try retrying(true) { _ throws(BundleStoreError) in S3ObjectInfo(head: try exchange(call)) }
        } catch .notFound {
            return nil
        }
    }

    /// Streams the object (or the inclusive byte `range` of it) into `sink`, chunk by chunk.
    /// Retried only while `sink` has not been given any byte.
    @discardableResult
    public func get(
        _ key: String,
        range: ClosedRange<Int64>? = nil,
        sink: (UnsafeRawBufferPointer) throws -> Void
    ) throws(BundleStoreError) -> S3ObjectInfo {
        var call = Call(operation: "GetObject", key: key, method: "GET", url: try objectURL(key))
        if let range { call.headers.append((name: "Range", value: "bytes=\(range.lowerBound)-\(range.upperBound)")) }
        var delivered = false
        let head = try retrying(!delivered) { _ throws(BundleStoreError) in
            try exchange(call, sink: { chunk in
                delivered = true
                try sink(chunk)
            })
        }
        return S3ObjectInfo(head: head)
    }

    /// Stores `body` under `key` and returns the new ETag. With `ifNoneMatch` the put only
    /// succeeds if the key is free (`alreadyExists` otherwise) and, for an in-memory body, is
    /// retried: a 412 on a retry is accepted only if the object found holds exactly our bytes
    /// (the earlier attempt succeeded but its answer was lost).
    @discardableResult
    public func put(
        _ key: String,
        body: ObjectBody,
        contentType: String = "application/octet-stream",
        ifNoneMatch: Bool = false
    ) throws(BundleStoreError) -> String {
        var call = Call(operation: "PutObject", key: key, method: "PUT", url: try objectURL(key), body: body)
        call.headers.append((name: "Content-Type", value: contentType))
        if ifNoneMatch { call.headers.append((name: "If-None-Match", value: "*")) }
        return try retrying(ifNoneMatch && body.isReplayable) { attempt throws(BundleStoreError) in
            do throws(BundleStoreError) {
                return try exchange(call).firstValue(for: "ETag") ?? ""
            } catch .alreadyExists(let existing) where attempt > 1 {
                guard case .bytes(let bytes) = body, let found = try holds(key, bytes) else { throw .alreadyExists(key: existing) }
                return found.etag
            }
        }
    }

    /// Write-once put: refuses with `alreadyExists` when a HEAD finds the key (for stores that
    /// ignore `If-None-Match`), then puts with `If-None-Match: *` (a concurrent writer loses with
    /// `alreadyExists` too).
    @discardableResult
    public func putOnce(_ key: String, body: ObjectBody, contentType: String = "application/octet-stream") throws(BundleStoreError) -> String {
        guard try head(key) == nil else { throw .alreadyExists(key: key) }
        return try put(key, body: body, contentType: contentType, ifNoneMatch: true)
    }

    /// Server-side copy of `source` to `destination`; returns the new ETag. `ifNoneMatch` makes it
    /// write-once and retryable, like `put`; a 412 on a retry is accepted when the destination
    /// has the source's size and ETag.
    @discardableResult
    public func copy(from source: String, to destination: String, ifNoneMatch: Bool = false) throws(BundleStoreError) -> String {
        var call = Call(operation: "CopyObject", key: destination, method: "PUT", url: try objectURL(destination), timeout: requestTimeout)
        _ = try objectURL(source)
        let copySource = "/" + configuration.bucket + "/" + SigV4Encoding.encode(source, keepSlash: true)
        call.headers.append((name: "x-amz-copy-source", value: copySource))
        if ifNoneMatch { call.headers.append((name: "If-None-Match", value: "*")) }
        return try retrying(ifNoneMatch) { attempt throws(BundleStoreError) in
            do throws(BundleStoreError) {
                let result = try parseXML(try exchangeBuffered(call), call: call, expecting: "CopyObjectResult")
                return result.text(of: "ETag") ?? ""
            } catch .alreadyExists(let existing) where attempt > 1 {
                guard let copied = try head(destination), let original = try head(source),
                    copied.size == original.size, copied.etag == original.etag
                else { throw .alreadyExists(key: existing) }
                return copied.etag
            }
        }
    }

    /// Write-once copy: HEAD of the destination first, then a copy with `If-None-Match: *`.
    @discardableResult
    public func copyOnce(from source: String, to destination: String) throws(BundleStoreError) -> String {
        guard try head(destination) == nil else { throw .alreadyExists(key: destination) }
        return try copy(from: source, to: destination, ifNoneMatch: true)
    }

    /// Removes `key`; removing a missing key succeeds (S3 answers 204 either way).
    public func delete(_ key: String) throws(BundleStoreError) {
        let call = Call(operation: "DeleteObject", key: key, method: "DELETE", url: try objectURL(key), timeout: requestTimeout)
        do throws(BundleStoreError) {
            try retrying(true) { _ throws(BundleStoreError) in _ = try exchange(call) }
        } catch .notFound {
            return
        }
    }

    /// The object's info when `key` holds exactly `bytes` (size first, then a SHA-256 of a GET).
    func holds(_ key: String, _ bytes: [UInt8]) throws(BundleStoreError) -> S3ObjectInfo? {
        guard let info = try head(key), info.size == Int64(bytes.count) else { return nil }
        let hash = SHA256()
        try get(key, sink: { chunk in hash.update(chunk) })
        return hash.finalize() == SHA256.hash(bytes) ? info : nil
    }
}
