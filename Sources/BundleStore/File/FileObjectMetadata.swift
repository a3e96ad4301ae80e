import Glibc

/// The ETag and dates the file store reports for a file, derived from its status alone.
///
/// Invariant: the ETag is `"<size>-<mtime in ns>"`: it changes whenever a different file is
/// published under the key (objects are never modified in place), costs no read, and is shared
/// by hard links, so a `copyOnce` keeps the ETag of its source as S3's copy does.
enum FileObjectMetadata {
    static func etag(_ info: stat) -> String {
        "\"\(info.st_size)-\(modificationNanoseconds(info))\""
    }

    static func modificationNanoseconds(_ info: stat) -> Int64 {
        Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
    }

    /// As HEAD answers: `Wed, 25 Nov 2026 22:18:57 GMT`.
    static func httpDate(_ info: stat) -> String { format(info, "%a, %d %b %Y %H:%M:%S GMT") }

    /// As listings answer: `2026-11-25T22:18:57.000Z`.
    static func iso8601(_ info: stat) -> String { format(info, "%Y-%m-%dT%H:%M:%S.000Z") }

    static func storedObject(key: String, _ info: stat, listed: Bool = false) -> StoredObject {
        StoredObject(key: key, size: Int64(info.st_size), etag: etag(info), lastModified: listed ? iso8601(info) : httpDate(info))
    }

    private static func format(_ info: stat, _ pattern: String) -> String {
        var seconds = info.st_mtim.tv_sec
        var fields = tm()
        guard gmtime_r(&seconds, &fields) != nil else { return "" }
        var buffer = [CChar](repeating: 0, count: 64)
        let count = strftime(&buffer, buffer.count, pattern, &fields)
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
