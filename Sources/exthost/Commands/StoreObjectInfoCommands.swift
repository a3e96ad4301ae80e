import ArgumentParser
import BundleStore

/// `exthost store head`: an object's metadata without its body.
struct StoreHeadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "head",
        abstract: "Print the size, ETag, Last-Modified and Content-Type of KEY (NOT_FOUND if missing).",
        discussion: "  exthost store head sha256/ab/abcd…/bundle.tar.zst"
    )

    @Argument(help: "Object key, used as given.")
    var key: String

    func run() throws {
        let client = try StoreConnection.client()
        let info = try cliAttempt("cannot head \(key)") { () throws(BundleStoreError) -> S3ObjectInfo in
            guard let info = try client.head(key) else { throw .notFound(key: key) }
            return info
        }
        print("key: \(key)")
        print("size: \(info.size)")
        print("etag: \(info.etag)")
        print("last-modified: \(info.lastModified)")
        print("content-type: \(info.contentType ?? "")")
    }
}

/// `exthost store ls`: every key under a prefix, one line each, following continuation tokens.
struct StoreListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls",
        abstract: "List the objects whose key starts with PREFIX: size, last-modified, ETag, key.",
        discussion: "  exthost store ls sha256/ab/"
    )

    @Argument(help: "Key prefix; the whole bucket when omitted.")
    var prefix = ""

    func run() throws {
        let client = try StoreConnection.client()
        var token: String? = nil
        repeat {
            let page = try cliAttempt("cannot list '\(prefix)'") { try client.listObjectsV2(prefix: prefix, continuationToken: token) }
            for object in page.objects {
                print("\(object.size)\t\(object.lastModified)\t\(object.etag)\t\(object.key)")
            }
            token = page.nextContinuationToken
        } while token != nil
    }
}

/// `exthost store rm`: removes one object; a missing key is not an error (S3 semantics).
struct StoreRemoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm",
        abstract: "Remove KEY (succeeds when it does not exist).",
        discussion: "  exthost store rm scratch/big.bin"
    )

    @Argument(help: "Object key, used as given.")
    var key: String

    func run() throws {
        let client = try StoreConnection.client()
        try cliAttempt("cannot remove \(key)") { try client.delete(key) }
    }
}
