import Bundle
import JSON
import Registry

/// Validation shared by the upload endpoints' bodies and query strings.
enum UploadInput {
    /// A display name for the upload (it never becomes a path): 1-255 bytes, no control characters.
    static func filename(_ text: String, field: JSONPath) throws(InputError) -> String {
        guard !text.isEmpty, text.utf8.count <= 255 else { throw .invalidValue(field, reason: "must be 1 to 255 bytes") }
        guard !text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw .invalidValue(field, reason: "must not contain control characters")
        }
        return text
    }

    /// `sha256:<64 lowercase hex>`, the form `exthost digest` prints.
    static func contentHash(_ text: String, field: JSONPath) throws(InputError) -> ContentHash {
        guard let hash = ContentHash(parsing: text), hash.description == text else {
            throw .invalidValue(field, reason: "must be sha256: followed by 64 lowercase hex digits (see `exthost digest`)")
        }
        return hash
    }

    /// A positive size within the cap; above it is 413 `BUNDLE_TOO_LARGE` before any byte moves.
    static func size(_ size: Int64, limits: PublishingLimits, field: JSONPath) throws -> Int64 {
        guard size >= 1 else { throw InputError.invalidValue(field, reason: "must be at least 1") }
        guard size <= limits.maxBundleBytes else { throw PublishingError.bundleTooLarge(limit: limits.maxBundleBytes) }
        return size
    }

    /// `{uploadId}` as a uuid.
    static func uploadID(_ body: inout FieldReader) throws(InputError) -> String {
        let text = try body.string("uploadId", required: true, maxLength: 64) ?? ""
        guard let id = UUIDText.normalized(text) else {
            throw .invalidValue(body.path.appending("uploadId"), reason: "must be the uploadId that initiate-upload or upload-proxy answered")
        }
        return id
    }
}
