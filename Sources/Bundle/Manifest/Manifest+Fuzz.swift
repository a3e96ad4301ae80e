import JSON

extension Manifest {
    /// libFuzzer entry point: validates arbitrary bytes as a manifest and, when they pass,
    /// checks that the normalised form validates to the same manifest and that its endpoints
    /// build a matcher that finds each of them.
    ///
    /// Any crash or failed check here is a bug; a `ManifestError` is the expected outcome for most inputs.
    public static func fuzzValidate(_ data: UnsafeRawBufferPointer) {
        guard let manifest = try? ManifestValidator.validate(data) else { return }
        precondition((try? ManifestValidator.validate(manifest.jsonValue)) == manifest, "normalised manifest changed on revalidation")
        let matcher = EndpointMatcher(manifest.endpoints)
        for endpoint in manifest.endpoints where endpoint.path.parameterNames.isEmpty {
            precondition(matcher.match(method: endpoint.method.rawValue, path: endpoint.path.description)?.endpoint == endpoint,
                         "an endpoint without captures does not match its own path")
        }
    }
}
