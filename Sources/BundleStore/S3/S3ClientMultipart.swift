import HTTPClient

/// One uploaded part of a multipart upload.
public struct S3Part: Sendable, Equatable {
    public let number: Int
    /// Quotes included, as S3 returns it.
    public let etag: String
    /// Known from ListParts; nil when the caller only has the number and ETag.
    public let size: Int64?

    public init(number: Int, etag: String, size: Int64? = nil) {
        self.number = number
        self.etag = etag
        self.size = size
    }
}

extension S3Client {
    /// Starts a multipart upload of `key` and returns its upload id. Not retried: a repeat would
    /// start a second upload (orphaned uploads cost storage until aborted or expired).
    public func createMultipartUpload(_ key: String, contentType: String = "application/octet-stream") throws(BundleStoreError) -> String {
        var call = Call(operation: "CreateMultipartUpload", key: key, method: "POST", url: try objectURL(key, query: [S3QueryItem("uploads")]), timeout: requestTimeout)
        call.headers.append((name: "Content-Type", value: contentType))
        let result = try parseXML(try exchangeBuffered(call), call: call, expecting: "InitiateMultipartUploadResult")
        guard let uploadId = result.text(of: "UploadId"), !uploadId.isEmpty else {
            throw .protocolError(operation: call.operation, reason: "no UploadId in the answer")
        }
        return uploadId
    }

    /// Uploads part `partNumber` (1...10000) and returns its ETag; retried for in-memory bodies.
    public func uploadPart(_ key: String, uploadId: String, partNumber: Int, body: ObjectBody) throws(BundleStoreError) -> String {
        try Self.checkPartNumber(partNumber, key: key)
        let query = [S3QueryItem("partNumber", String(partNumber)), S3QueryItem("uploadId", uploadId)]
        let call = Call(operation: "UploadPart", key: key, method: "PUT", url: try objectURL(key, query: query), body: body)
        return try retrying(body.isReplayable) { _ throws(BundleStoreError) in
            guard let etag = try exchange(call).firstValue(for: "ETag"), !etag.isEmpty else {
                throw .protocolError(operation: call.operation, reason: "no ETag in the answer")
            }
            return etag
        }
    }

    /// Assembles the parts (in ascending part order) into the object; returns its ETag.
    ///
    /// With `ifNoneMatch` the object must not exist yet (`alreadyExists` otherwise) and the call
    /// is retried. If a retry finds the upload gone or the key taken, the earlier attempt may have
    /// succeeded: that is accepted when the object's ETag is a multipart ETag of as many parts
    /// (S3 does not return the part list of a finished object, so this is the check available).
    @discardableResult
    public func completeMultipartUpload(_ key: String, uploadId: String, parts: [S3Part], ifNoneMatch: Bool = false) throws(BundleStoreError) -> String {
        var call = Call(operation: "CompleteMultipartUpload", key: key, method: "POST", url: try objectURL(key, query: [S3QueryItem("uploadId", uploadId)]), timeout: requestTimeout)
        if ifNoneMatch { call.headers.append((name: "If-None-Match", value: "*")) }
        var document = "<CompleteMultipartUpload>"
        for part in parts.sorted(by: { $0.number < $1.number }) {
            document += "<Part><PartNumber>\(part.number)</PartNumber><ETag>\(S3XML.escape(part.etag))</ETag></Part>"
        }
        document += "</CompleteMultipartUpload>"
        call.body = .bytes(Array(document.utf8))
        call.headers.append((name: "Content-Type", value: "application/xml"))
        return try retrying(ifNoneMatch) { attempt throws(BundleStoreError) in
            do throws(BundleStoreError) {
                let result = try parseXML(try exchangeBuffered(call), call: call, expecting: "CompleteMultipartUploadResult")
                return result.text(of: "ETag") ?? ""
            } catch {
                switch error {
                case .alreadyExists, .notFound:
                    guard attempt > 1, let found = try head(key), found.etag.hasSuffix("-\(parts.count)\"") else { throw error }
                    return found.etag
                default:
                    throw error
                }
            }
        }
    }

    /// S3 numbers parts 1...10000; the number may come from an API client, so it is checked.
    static func checkPartNumber(_ partNumber: Int, key: String) throws(BundleStoreError) {
        guard (1...10_000).contains(partNumber) else { throw .invalidMultipart(key: key, s3Code: "InvalidPartNumber") }
    }

    /// A presigned URL for uploading part `partNumber` of `uploadId` with a plain PUT.
    public func presignPart(_ key: String, uploadId: String, partNumber: Int, expiresIn seconds: Int) throws(BundleStoreError) -> SigV4PresignedURL {
        try Self.checkPartNumber(partNumber, key: key)
        let query = [S3QueryItem("partNumber", String(partNumber)), S3QueryItem("uploadId", uploadId)]
        return try presignedURL(method: "PUT", key: key, query: query, expiresIn: seconds)
    }

    /// Abandons the upload and frees its parts; an upload already gone counts as aborted.
    public func abortMultipartUpload(_ key: String, uploadId: String) throws(BundleStoreError) {
        let call = Call(operation: "AbortMultipartUpload", key: key, method: "DELETE", url: try objectURL(key, query: [S3QueryItem("uploadId", uploadId)]), timeout: requestTimeout)
        do throws(BundleStoreError) {
            try retrying(true) { _ throws(BundleStoreError) in _ = try exchange(call) }
        } catch .notFound {
            return
        }
    }

    /// Every part uploaded so far, in part order (follows the listing's pages).
    public func listParts(_ key: String, uploadId: String) throws(BundleStoreError) -> [S3Part] {
        var parts: [S3Part] = []
        var marker: String?
        repeat {
            var query = [S3QueryItem("uploadId", uploadId)]
            if let marker { query.append(S3QueryItem("part-number-marker", marker)) }
            let call = Call(operation: "ListParts", key: key, method: "GET", url: try objectURL(key, query: query), timeout: requestTimeout)
            let result = try retrying(true) { _ throws(BundleStoreError) in
                try parseXML(try exchangeBuffered(call), call: call, expecting: "ListPartsResult")
            }
            for element in result.children("Part") {
                guard let number = element.text(of: "PartNumber").flatMap({ Int($0) }), let etag = element.text(of: "ETag") else {
                    throw .protocolError(operation: call.operation, reason: "a <Part> without PartNumber or ETag")
                }
                parts.append(S3Part(number: number, etag: etag, size: element.text(of: "Size").flatMap { Int64($0) }))
            }
            marker = result.text(of: "IsTruncated") == "true" ? result.text(of: "NextPartNumberMarker") : nil
        } while marker != nil
        return parts
    }
}
