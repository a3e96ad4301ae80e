/// An object key checked for use as a relative path under the file store's root.
///
/// Invariant: `segments` is non-empty and no segment is empty, `.`, `..` or longer than a file
/// name may be, no byte is a control character, and the first segment is none of the store's
/// own directories (`tmp`, `multipart`), so a key can neither leave the root nor reach the
/// store's scratch areas.
struct FileObjectKey {
    let key: String
    let segments: [String]

    static let temporaryDirectory = "tmp"
    static let multipartDirectory = "multipart"
    static let reservedNames: Set<String> = [temporaryDirectory, multipartDirectory]
    static let maximumSegmentBytes = 255

    init(_ key: String) throws(BundleStoreError) {
        do {
            try S3URLError.validate(key: key)
        } catch {
            throw .invalidKey(reason: error.message)
        }
        let segments = key.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard segments.allSatisfy({ !$0.isEmpty }) else { throw .invalidKey(reason: "contains an empty segment") }
        guard segments.allSatisfy({ $0.utf8.count <= Self.maximumSegmentBytes }) else {
            throw .invalidKey(reason: "a segment is longer than \(Self.maximumSegmentBytes) bytes")
        }
        guard !Self.reservedNames.contains(segments[0]) else { throw .invalidKey(reason: "'\(segments[0])/' is the file store's own directory") }
        self.key = key
        self.segments = segments
    }

    var directories: ArraySlice<String> { segments.dropLast() }
    var fileName: String { segments[segments.count - 1] }
}
