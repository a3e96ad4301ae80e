import Bundle
import BundleStore
import JSON

/// A finalize request as read from its body `{uploadId, declaredHash?, signature?, parts?}`.
///
/// Invariants: `uploadID` is a canonical uuid, `declaredHash` a canonical content hash,
/// `signature` a well-formed signature document (parsed, not yet verified), and `parts`, when
/// present, holds 1 to 10,000 distinct part numbers in ascending order with quoted ETags.
struct FinalizeRequest {
    let uploadID: String
    let declaredHash: ContentHash?
    let signature: BundleSignature?
    let parts: [S3Part]?

    /// S3's limits: part numbers 1...10000, so at most that many parts.
    static let partNumbers: ClosedRange<Int64> = 1...10_000

    /// Unknown members are 400 before the signature is parsed, so a misspelled field is reported
    /// as such rather than as a signature problem.
    init(body: FieldReader) throws {
        // FieldReader reads scalars and objects; `parts` (an array of objects) is read here and
        // left out of the members it checks.
        let partsValue = body.object["parts"]
        var members = FieldReader(JSONObject(body.object.filter { $0.key != "parts" }.map { ($0.key, $0.value) }), path: body.path)
        uploadID = try UploadInput.uploadID(&members)
        declaredHash = try members.string("declaredHash", maxLength: 80).map { text throws(InputError) in
            try UploadInput.contentHash(text, field: body.path.appending("declaredHash"))
        }
        let signatureObject = try members.object("signature")
        try members.finish()
        parts = try partsValue.map { value throws(InputError) in try Self.parts(value, path: body.path.appending("parts")) }
        signature = try signatureObject.map { object throws(BundleSignatureError) in try BundleSignature(json: .object(object)) }
    }

    /// `[{partNumber, etag}, …]`, as the client collected them from its part PUTs.
    static func parts(_ value: JSONValue, path: JSONPath) throws(InputError) -> [S3Part] {
        guard let items = value.arrayValue else { throw .wrongType(path, expected: "an array of {partNumber, etag}") }
        guard !items.isEmpty, items.count <= Int(partNumbers.upperBound) else {
            throw .invalidValue(path, reason: "must list 1 to \(partNumbers.upperBound) parts")
        }
        var parts: [S3Part] = []
        var seen = Set<Int>()
        for (index, item) in items.enumerated() {
            let itemPath = path.appending(index: index)
            guard let object = item.objectValue else { throw .wrongType(itemPath, expected: "an object {partNumber, etag}") }
            var reader = FieldReader(object, path: itemPath)
            let number = Int(try reader.integer("partNumber", required: true, in: partNumbers) ?? 0)
            let etag = try reader.string("etag", required: true, maxLength: 256) ?? ""
            try reader.finish()
            guard seen.insert(number).inserted else {
                throw .invalidValue(itemPath.appending("partNumber"), reason: "repeats part \(number)")
            }
            parts.append(S3Part(number: number, etag: quoted(etag)))
        }
        return parts.sorted { $0.number < $1.number }
    }

    /// S3 answers ETags in quotes and clients often strip them; the store expects them quoted.
    static func quoted(_ etag: String) -> String {
        let bare = etag.utf8.first == UInt8(ascii: "\"") && etag.utf8.last == UInt8(ascii: "\"") && etag.utf8.count >= 2
            ? String(etag.dropFirst().dropLast()) : etag
        return "\"" + bare + "\""
    }
}
