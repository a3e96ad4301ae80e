import Bundle
import FastCGI
import JSON

/// What an upload-proxy request declares before its body is read: `?filename=&size=&declaredHash=`
/// and the headers.
///
/// Invariants: `size` is within 1...`EXTHOST_MAX_BUNDLE_BYTES`; a `Content-Length` (when sent)
/// equals `size`, so a body that nginx forwards in full can never disagree with the declaration;
/// every query parameter is known and given once.
struct UploadProxyInput {
    static let parameters: Set<String> = ["filename", "size", "declaredHash"]
    static let mediaTypes: Set<String> = ["application/octet-stream", "application/zstd"]

    let filename: String
    let size: Int64
    let declaredHash: String?

    init(_ request: Request, limits: PublishingLimits) throws {
        for (name, _) in request.query.items {
            guard Self.parameters.contains(name) else {
                throw InputError.invalidParameter(name, reason: "is not a parameter of upload-proxy (use filename, size and declaredHash)")
            }
            guard request.query.values(name).count == 1 else { throw InputError.invalidParameter(name, reason: "must be given once") }
        }
        filename = try Self.parameter("filename", of: request, required: true) { text, path throws(InputError) in
            try UploadInput.filename(text, field: path)
        } ?? ""
        let declaredSize = try Self.parameter("size", of: request, required: true) { text, path throws(InputError) -> Int64 in
            guard !text.isEmpty, text.utf8.count <= 19, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }), let size = Int64(text) else {
                throw InputError.invalidValue(path, reason: "must be the bundle's length in bytes, a whole number")
            }
            return size
        } ?? 0
        do {
            size = try UploadInput.size(declaredSize, limits: limits, field: JSONPath.root.appending("size"))
        } catch let error as InputError {
            throw Self.asParameterError(error, name: "size")
        }
        declaredHash = try Self.parameter("declaredHash", of: request, required: false) { text, path throws(InputError) in
            try UploadInput.contentHash(text, field: path).description
        }
        try Self.checkMediaType(request.headers["content-type"])
        // nginx forwards at most Content-Length bytes: a length other than `size` is known to
        // fail before any byte moves, so it is refused before a session or slot is taken.
        if let length = request.contentLength.map(Int64.init) {
            if length > size { throw PublishingError.exceedsDeclaredSize(declared: size) }
            if length < size { throw PublishingError.sizeMismatch(declared: size, received: length) }
        }
    }

    /// `application/octet-stream` or `application/zstd`; parameters such as `; charset=` do not count.
    static func checkMediaType(_ header: String?) throws(PublishingError) {
        let type = String((header ?? "").prefix { $0 != ";" }).lowercased().trimmingSpaces()
        guard mediaTypes.contains(type) else { throw .unsupportedMediaType(type) }
    }

    /// The query parameter `name` checked by `validate`, with a field error turned into a
    /// 400 `INVALID_PARAMETER` that names the parameter as the client wrote it.
    private static func parameter<T>(
        _ name: String, of request: Request, required: Bool, _ validate: (String, JSONPath) throws(InputError) -> T
    ) throws(InputError) -> T? {
        guard let text = request.query[name] else {
            if required { throw .invalidParameter(name, reason: "is required") }
            return nil
        }
        do {
            return try validate(text, JSONPath.root.appending(name))
        } catch {
            throw asParameterError(error, name: name)
        }
    }

    private static func asParameterError(_ error: InputError, name: String) -> InputError {
        switch error {
        case .invalidValue(_, let reason): .invalidParameter(name, reason: reason)
        case .wrongType(_, let expected): .invalidParameter(name, reason: "must be \(expected)")
        default: .invalidParameter(name, reason: error.message)
        }
    }
}

extension String {
    fileprivate func trimmingSpaces() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        return String(drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }
}
