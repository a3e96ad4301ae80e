/// What pax `x` and GNU `L`/`K` headers say about the next entry.
struct TarPendingMetadata {
    var paxPath: [UInt8]?
    var paxSize: Int?
    var gnuLongName: [UInt8]?
    var isSparse = false
    var hasAny = false

    /// The entry's name: pax `path` wins over a GNU long name, which wins over the header's.
    func name(header: TarHeader) -> [UInt8] {
        paxPath ?? gnuLongName ?? header.name
    }

    func size(header: TarHeader) -> Int {
        paxSize ?? header.size
    }

    mutating func apply(paxRecords records: [PaxRecords.Record], offset: Int) throws(TarError) {
        hasAny = true
        for record in records {
            switch record.key {
            case "path":
                // An empty value removes an earlier override (POSIX pax semantics).
                paxPath = record.value.isEmpty ? nil : record.value
            case "size":
                guard let size = PaxRecords.decimal(record.value[...]) else {
                    throw .invalidHeader(offset: offset, reason: "pax header: invalid size")
                }
                paxSize = size
            case let key where key.hasPrefix("GNU.sparse."):
                isSparse = true
            default:
                // mtime, atime, ctime, uid, gid, uname, gname, comment, linkpath, charset and
                // vendor keys do not change what we extract.
                continue
            }
        }
    }

    mutating func apply(gnuLongName data: [UInt8]) {
        hasAny = true
        gnuLongName = Array(data[..<(data.lastIndex(where: { $0 != 0 }).map { $0 + 1 } ?? 0)])
    }

    mutating func noteGNULongLink() {
        // The link target is irrelevant: the link entry that follows is rejected anyway.
        hasAny = true
    }

    static func checkGlobal(paxRecords records: [PaxRecords.Record], offset: Int) throws(TarError) {
        if records.contains(where: { $0.key == "path" && !$0.value.isEmpty }) {
            throw .globalPathOverride(offset: offset)
        }
    }
}
