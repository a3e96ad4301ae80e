import Glibc

/// Listing for GC and the sweep of temporary files a crashed writer left behind.
extension FileBundleStore {
    /// Walks the tree depth first in S3's key order (byte order of whole keys: a directory sorts
    /// as its name followed by `/`), skipping the store's own directories and anything that is
    /// neither a file nor a directory. One directory's names are held at a time.
    public func list(prefix: String, visit: (StoredObject) throws(BundleStoreError) -> Void) throws(BundleStoreError) {
        try list(root, path: "", prefix: prefix, visit: visit)
    }

    private func list(_ directory: FileDescriptor, path: String, prefix: String, visit: (StoredObject) throws(BundleStoreError) -> Void) throws(BundleStoreError) {
        let entries = try call({ () throws(SystemCallError) in try directory.entries() }, "list", path.isEmpty ? prefix : path)
        var named: [(key: String, entry: DirectoryEntry)] = []
        for entry in entries where entry.isDirectory || entry.isRegularFile {
            if path.isEmpty && FileObjectKey.reservedNames.contains(entry.name) { continue }
            let key = path + entry.name + (entry.isDirectory ? "/" : "")
            guard key.utf8.starts(with: prefix.utf8) || (entry.isDirectory && prefix.utf8.starts(with: key.utf8)) else { continue }
            named.append((key, entry))
        }
        named.sort { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        for (key, entry) in named {
            do {
                if entry.isDirectory {
                    try list(try directory.openDirectory(entry.name), path: key, prefix: prefix, visit: visit)
                } else if let status = try directory.status(of: entry.name) {
                    try visit(FileObjectMetadata.storedObject(key: key, status, listed: true))
                }
            } catch let error as SystemCallError where error.code == ENOENT {
                continue  // deleted since the directory was read
            } catch let error as SystemCallError {
                throw error.storeError(operation: "list", key: key)
            } catch let error as BundleStoreError {
                throw error
            } catch {
                throw .unavailable(operation: "list", reason: "\(error)")
            }
        }
    }

    /// Removes the files in `<root>/tmp/` last modified more than `age` seconds before `now`
    /// (writers that crashed or were killed between the temporary file and the link); returns
    /// how many. A live writer's file is younger than any sensible `age` (an hour).
    @discardableResult
    public func sweepTemporaryFiles(olderThan age: Int64, now: Int64? = nil) throws(BundleStoreError) -> Int {
        let cutoff = (now ?? Int64(time(nil))) - age
        let temporary = FileObjectKey.temporaryDirectory
        return try call({ () throws(SystemCallError) in
            let directory = try root.openDirectory(temporary)
            var removed = 0
            for entry in try directory.entries() where entry.isRegularFile {
                guard let status = try directory.status(of: entry.name), Int64(status.st_mtim.tv_sec) < cutoff else { continue }
                if try directory.unlink(entry.name) { removed += 1 }
            }
            return removed
        }, "sweepTemporaryFiles", temporary + "/")
    }
}
