/// Parser of pax extended-header data: a sequence of `"<length> <key>=<value>\n"` records,
/// where `<length>` counts the whole record including its own digits and the newline.
enum PaxRecords {
    struct Record {
        let key: String
        let value: [UInt8]
    }

    /// `offset` (the header's position in the archive) only serves error messages.
    static func parse(_ data: [UInt8], offset: Int) throws(TarError) -> [Record] {
        func invalid(_ reason: String) -> TarError { .invalidHeader(offset: offset, reason: "pax header: \(reason)") }

        var records: [Record] = []
        var start = 0
        while start < data.count {
            // GNU tar and others may pad the data with NULs after the last record.
            if data[start...].allSatisfy({ $0 == 0 }) { break }
            guard let space = data[start...].firstIndex(of: UInt8(ascii: " ")),
                let length = decimal(data[start..<space]), length > 0
            else { throw invalid("malformed record length") }
            let end = start + length
            guard end <= data.count, end > space + 1, data[end - 1] == UInt8(ascii: "\n") else {
                throw invalid("record length does not match its content")
            }
            let body = data[(space + 1)..<(end - 1)]
            guard let equals = body.firstIndex(of: UInt8(ascii: "=")), equals > body.startIndex else {
                throw invalid("record without 'key='")
            }
            guard let key = String(validating: body[..<equals], as: UTF8.self) else {
                throw invalid("key is not UTF-8")
            }
            records.append(Record(key: key, value: Array(body[(equals + 1)...])))
            start = end
        }
        return records
    }

    /// Strict non-negative decimal (digits only), nil on anything else or overflow.
    static func decimal(_ digits: ArraySlice<UInt8>) -> Int? {
        guard !digits.isEmpty, digits.count <= 18 else { return nil }
        var value = 0
        for digit in digits {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(digit) else { return nil }
            value = value * 10 + Int(digit - UInt8(ascii: "0"))
        }
        return value
    }
}
