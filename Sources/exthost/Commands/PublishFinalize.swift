import Bundle
import JSON

/// What finalize registered: its answer `{extension:{id,publisher,name}, version:{id,version},
/// contentHash, size, signature:{verified, signer}}` and whether this call created it.
struct FinalizedBundle {
    let answer: JSONValue
    /// 201: registered now; 200: the same content and version were already registered.
    let created: Bool
    let extensionID: String
    /// `publisher.name`, the id the API and URLs accept.
    let qualifiedName: String
    let version: String
}

extension BundleUploader {
    static let finalizePath = "/api/ext-bundles/finalize"

    /// Asks the server to check and register what staging holds. Finalize is idempotent, so a
    /// transient failure is retried; a refusal abandons the upload before it is thrown.
    func finalize(_ receipt: UploadReceipt, contentHash: ContentHash, signature: BundleSignature?) throws -> FinalizedBundle {
        var body: [(String, JSONValue)] = [("uploadId", .string(receipt.uploadID)), ("declaredHash", .string(contentHash.description))]
        if let signature { body.append(("signature", signature.jsonValue)) }
        if !receipt.parts.isEmpty {
            body.append(("parts", .array(receipt.parts.map { ["partNumber": .number(JSONNumber($0.number)), "etag": .string($0.etag)] })))
        }
        do {
            let answer = try withRetries("finalize") { () throws(APIClientError) in
                try api.json("POST", Self.finalizePath, body: .object(body))
            }
            let extensionMember = try answer.member("extension")
            let publisher = try answer.string("publisher", in: extensionMember)
            let name = try answer.string("name", in: extensionMember)
            return FinalizedBundle(
                answer: answer.document, created: answer.status == 201, extensionID: try answer.string("id", in: extensionMember),
                qualifiedName: "\(publisher).\(name)", version: try answer.string("version", in: answer.member("version")))
        } catch {
            abandon(receipt.uploadID)
            throw error
        }
    }
}
