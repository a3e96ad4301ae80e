/// One page of a ListObjectsV2 listing.
public struct S3ListPage: Sendable, Equatable {
    public let objects: [StoredObject]
    /// Pass it back to get the next page; nil on the last page.
    public let nextContinuationToken: String?
}

extension S3Client {
    /// One page (at most `maxKeys`, S3 caps at 1000) of the keys starting with `prefix`, in
    /// ascending key order.
    public func listObjectsV2(prefix: String, continuationToken: String? = nil, maxKeys: Int = 1000) throws(BundleStoreError) -> S3ListPage {
        var query = [S3QueryItem("list-type", "2"), S3QueryItem("prefix", prefix), S3QueryItem("max-keys", String(maxKeys))]
        if let continuationToken { query.append(S3QueryItem("continuation-token", continuationToken)) }
        let call = Call(operation: "ListObjectsV2", key: configuration.bucket, method: "GET", url: configuration.bucketURL(query: query), timeout: requestTimeout)
        let result = try retrying(true) { _ throws(BundleStoreError) in
            try parseXML(try exchangeBuffered(call), call: call, expecting: "ListBucketResult")
        }
        var objects: [StoredObject] = []
        for element in result.children("Contents") {
            guard let key = element.text(of: "Key"), let size = element.text(of: "Size").flatMap({ Int64($0) }) else {
                throw .protocolError(operation: call.operation, reason: "a <Contents> without Key or Size")
            }
            objects.append(StoredObject(key: key, size: size, etag: element.text(of: "ETag") ?? "", lastModified: element.text(of: "LastModified") ?? ""))
        }
        let truncated = result.text(of: "IsTruncated") == "true"
        let token = result.text(of: "NextContinuationToken")
        if truncated && (token ?? "").isEmpty {
            throw .protocolError(operation: call.operation, reason: "a truncated listing without NextContinuationToken")
        }
        return S3ListPage(objects: objects, nextContinuationToken: truncated ? token : nil)
    }
}
