import Bundle
import Glibc
import HTTPClient
import JSON

/// How a bundle's bytes reached staging: what finalize needs to know about them.
struct UploadReceipt {
    let uploadID: String
    /// `presigned-put`, `multipart` (both chosen by the server) or `proxy`.
    let strategy: String
    /// Every part's ETag, in part order; empty unless `strategy` is `multipart`.
    let parts: [(number: Int, etag: String)]
}

/// Moves a bundle file into the server's staging area, by the strategy initiate-upload picks
/// (one presigned PUT, or presigned parts above the multipart threshold) or through the
/// upload proxy, with progress.
///
/// Invariants: the file is streamed in fixed-size chunks, never held whole; a failed part is
/// sent again up to `retries` times with exponential backoff before the upload fails;
/// an upload session this uploader opened and could not fill is aborted before the error
/// is thrown, so staging keeps no half upload.
struct BundleUploader {
    static let retries = 3
    static let firstBackoff: Duration = .milliseconds(500)
    static let initiatePath = "/api/ext-bundles/initiate-upload"
    static let proxyPath = "/api/ext-bundles/upload-proxy"

    let api: APIClient
    let progress: ProgressReporter

    /// Opens an upload session and fills it with the URLs the server presigned.
    func uploadPresigned(_ file: PublishBundleFile, filename: String, contentHash: ContentHash) throws -> UploadReceipt {
        let session = try api.json("POST", Self.initiatePath, body: [
            "filename": .string(filename), "size": .number(JSONNumber(Int(file.size))), "declaredHash": .string(contentHash.description),
        ])
        let uploadID = try session.string("uploadId")
        let strategy = try session.string("strategy")
        do {
            progress.beginTransfer("uploading", total: file.size)
            let parts: [(number: Int, etag: String)]
            switch strategy {
            case "presigned-put":
                _ = try put(file, range: 0..<file.size, url: session.string("url"), headers: presignedHeaders(session), what: "the bundle")
                parts = []
            case "multipart":
                parts = try putParts(file, session: session)
            default:
                throw APIClientError.unexpectedResponse(operation: session.operation, status: session.status, detail: "an unknown strategy \"\(strategy)\"")
            }
            progress.endTransfer("uploaded")
            return UploadReceipt(uploadID: uploadID, strategy: strategy, parts: parts)
        } catch {
            progress.cancelTransfer()
            abandon(uploadID)
            throw error
        }
    }

    /// Streams the file through the API itself (`--via-proxy`), which hashes it into staging.
    func uploadThroughProxy(_ file: PublishBundleFile, filename: String, contentHash: ContentHash) throws -> UploadReceipt {
        progress.beginTransfer("uploading", total: file.size)
        do {
            // The proxy aborts its own staging when the body fails: nothing to abandon here.
            let answer = try api.upload(
                Self.proxyPath,
                query: [("filename", filename), ("size", String(file.size)), ("declaredHash", contentHash.description)],
                contentType: "application/zstd", body: file.body(progress: progress))
            progress.endTransfer("uploaded")
            return UploadReceipt(uploadID: try answer.string("uploadId"), strategy: "proxy", parts: [])
        } catch {
            progress.cancelTransfer()
            throw error
        }
    }

    /// Best effort: tells the server to drop the staging of an upload that will not be finalized.
    func abandon(_ uploadID: String) {
        do {
            let answer = try api.json("POST", "/api/ext-bundles/abort", body: ["uploadId": .string(uploadID)])
            progress.stage("abandoned upload \(uploadID) (\(answer.document["status"]?.stringValue ?? "aborted"))")
        } catch {
            progress.stage("could not abort upload \(uploadID) (\(error.code)); the server expires it")
        }
    }

    private func presignedHeaders(_ session: APIClient.Answer) throws(APIClientError) -> [(name: String, value: String)] {
        guard let headers = session.document["headers"] else { return [] }
        guard let object = headers.objectValue else {
            throw .unexpectedResponse(operation: session.operation, status: session.status, detail: "\"headers\" that are not an object")
        }
        return try object.map { member throws(APIClientError) in
            (member.key, try session.string(member.key, in: headers))
        }
    }

    /// PUTs each part from its range of the file and collects the ETags S3 answers.
    private func putParts(_ file: PublishBundleFile, session: APIClient.Answer) throws -> [(number: Int, etag: String)] {
        let partSize = Int64(try session.integer("partSize"))
        let parts = try session.member("parts").arrayValue ?? []
        let expected = partSize > 0 ? Int((file.size + partSize - 1) / partSize) : 0
        guard expected > 0, parts.count == expected else {
            throw APIClientError.unexpectedResponse(
                operation: session.operation, status: session.status,
                detail: "\(parts.count) part URLs of \(partSize) bytes for a \(file.size)-byte bundle")
        }
        let numbers = try parts.map { part throws(APIClientError) in try session.integer("partNumber", in: part) }
        guard numbers.sorted() == Array(1...expected) else {
            throw APIClientError.unexpectedResponse(operation: session.operation, status: session.status, detail: "part numbers \(numbers), not 1 to \(expected)")
        }
        var etags: [(number: Int, etag: String)] = []
        for (number, part) in zip(numbers, parts) {
            let start = Int64(number - 1) * partSize
            let head = try put(file, range: start..<min(start + partSize, file.size), url: session.string("url", in: part), headers: [], what: "part \(number)")
            guard let etag = head.firstValue(for: "ETag"), !etag.isEmpty else {
                throw APIClientError.storageRejected(url: APIClient.withoutQuery(try session.string("url", in: part)), status: head.status, detail: "no ETag for part \(number)")
            }
            etags.append((number, etag))
        }
        return etags.sorted { $0.number < $1.number }
    }

    /// PUTs one range, sending it again after a transient failure; the bytes of a failed
    /// attempt are taken back from the progress so the percentage stays true. A write-once URL
    /// (`If-None-Match: *`) answering 412 to a retry means the earlier attempt was stored.
    private func put(
        _ file: PublishBundleFile, range: Range<Int64>, url: String, headers: [(name: String, value: String)], what: String
    ) throws(APIClientError) -> HTTPResponseHead {
        var attempts = 0
        let writeOnce = headers.contains { $0.name.lowercased() == "if-none-match" }
        return try withRetries(what) { () throws(APIClientError) in
            attempts += 1
            let sentBefore = progress.sentBytes
            do throws(APIClientError) {
                let response = try api.sendUnauthenticated(HTTPRequest(method: "PUT", url: url, headers: headers, body: file.body(range, progress: progress)))
                if response.status == 412, writeOnce, attempts > 1 {
                    // The attempt whose answer was lost did arrive; finalize hashes what staging holds.
                    progress.stage("\(what) was already stored by the attempt before")
                    return response.head
                }
                guard (200..<300).contains(response.status) else {
                    throw .storageRejected(url: APIClient.withoutQuery(url), status: response.status, detail: Self.storageDetail(response.body))
                }
                return response.head
            } catch {
                progress.advance(Int(sentBefore - progress.sentBytes))
                throw error
            }
        }
    }

    /// Runs `attempt` again after a transient failure (a dropped connection, a 5xx, a 429),
    /// up to `retries` times, waiting `firstBackoff` and then twice as long each time.
    func withRetries<T>(_ what: String, _ attempt: () throws(APIClientError) -> T) throws(APIClientError) -> T {
        var retry = 0
        while true {
            do throws(APIClientError) {
                return try attempt()
            } catch {
                guard error.isTransient, retry < Self.retries else { throw error }
                retry += 1
                let delay = Self.firstBackoff * (1 << (retry - 1))
                progress.stage("\(what) failed (\(error.code): \(error.message)); trying again in \(ProgressFormat.seconds(delay.inSeconds)) s (retry \(retry) of \(Self.retries))")
                Self.sleep(delay)
            }
        }
    }

    /// `Code: Message` of an S3 XML error, else the start of the body.
    static func storageDetail(_ body: [UInt8]) -> String {
        let text = String(decoding: body.prefix(4096), as: UTF8.self)
        func element(_ name: String) -> String? {
            guard let open = text.firstRange(of: "<\(name)>"), let close = text[open.upperBound...].firstRange(of: "</\(name)>") else { return nil }
            return String(text[open.upperBound..<close.lowerBound])
        }
        guard let code = element("Code") else { return APIClient.excerpt(body) }
        return element("Message").map { "\(code): \($0)" } ?? code
    }

    private static func sleep(_ duration: Duration) {
        var request = timespec(tv_sec: Int(duration.components.seconds), tv_nsec: Int(duration.components.attoseconds / 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }
}
