extension JSONValue {
    /// libFuzzer entry point: parses arbitrary bytes and, when they are JSON, checks that the
    /// value survives a round trip through the serializer (compact, canonical and pretty).
    ///
    /// Any crash or failed check here is a bug; a parse error is the expected outcome for most inputs.
    public static func fuzzParse(_ data: UnsafeRawBufferPointer) {
        guard let value = try? parse(data) else { return }
        for options in [JSONWriteOptions.compact, .canonical, .pretty] {
            let reparsed = try? parse(value.serializedBytes(options))
            precondition(reparsed == value, "JSON round trip changed the value")
        }
    }
}
