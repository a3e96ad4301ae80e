/// The `CURLOPT_HTTPHEADER` lines for a request, in curl's conventions.
///
/// curl drops a field given as `Name:` (used here to switch off its own defaults) and sends an
/// empty field when given `Name;`, so an empty caller value is written the second way.
enum CurlHeaderLines {
    static func lines(for request: HTTPRequest) -> [String] {
        var lines = request.headers.map { field in
            field.value.isEmpty ? "\(field.name);" : "\(field.name): \(field.value)"
        }
        let names = request.headers.map(\.name)
        // Waiting for 100 Continue costs a round trip (or curl's 1 s timeout) on every upload.
        if !names.contains(where: { HTTPFieldName.equal($0, "Expect") }) {
            lines.append("Expect:")
        }
        // curl labels every POST body as a form unless told otherwise; the body is opaque here.
        if request.method == "POST", !names.contains(where: { HTTPFieldName.equal($0, "Content-Type") }) {
            lines.append("Content-Type:")
        }
        return lines
    }
}
