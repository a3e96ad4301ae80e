import ExthostCore
extension Response {
    /// The CGI response head nginx reads: `Status:`, the fields, a blank line.
    /// `Content-Length` comes from in-memory bodies and `X-Request-Id` echoes the request id.
    public func cgiHead(requestID: String) -> [UInt8] {
        let response = self
        var text = "Status: \(response.status.code) \(response.status.reason)\r\n"
        var sawContentType = false
        for field in response.headers {
            // Defence in depth: a field that slipped past HTTPHeaders is dropped, never written.
            guard (try? HTTPHeaders.validate(name: field.name, value: field.value)) != nil else { continue }
            let lower = field.name.lowercased()
            if lower == "content-length" || lower == "x-request-id" { continue }
            if lower == "content-type" { sawContentType = true }
            text += "\(field.name): \(field.value)\r\n"
        }
        for (header, value) in response.accelHeaders
        where (try? HTTPHeaders.validateSyntax(name: header.rawValue, value: value)) != nil {
            text += "\(header.rawValue): \(value)\r\n"
        }
        switch response.body {
        case .empty:
            if response.status.code != 204 && response.status.code != 304 { text += "Content-Length: 0\r\n" }
        case .bytes(let bytes):
            text += "Content-Length: \(bytes.count)\r\n"
            if !sawContentType && !bytes.isEmpty { text += "Content-Type: application/octet-stream\r\n" }
        case .stream:
            if !sawContentType { text += "Content-Type: application/octet-stream\r\n" }
        }
        text += "X-Request-Id: \(requestID)\r\n\r\n"
        return Array(text.utf8)
    }
}
