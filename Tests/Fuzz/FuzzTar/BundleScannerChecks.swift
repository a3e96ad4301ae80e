import Bundle

extension TarFuzzing {
    /// The bundle-level readers must agree with what `BundleStream` reported: the scanner accepts
    /// exactly the complete archives holding a `manifest.json` file (of at most
    /// `BundleReader.maxManifestBytes`) and returns the same entries, digest and manifest, and
    /// the manifest reader finds the same manifest bytes.
    static func checkScanners(_ input: UnsafeRawBufferPointer, agreeWith outcome: Outcome) {
        let manifestRecord = outcome.records.first { $0.entry.path == "manifest.json" && $0.entry.kind == .file }
        let acceptable = outcome.failure == nil && manifestRecord.map { $0.entry.size <= BundleReader.maxManifestBytes } == true
        let scanner = BundleScanner(limits: limits)
        let scanned = Result { try scanner.feed(input); return try scanner.finish() }
        guard case .success(let scan) = scanned else {
            require(!acceptable, "BundleScanner rejected a complete bundle with a manifest: \(scanned)")
            return
        }
        require(acceptable, "BundleScanner accepted what BundleStream rejected or a bundle without manifest: \(outcome)")
        require(scan.digest == outcome.digest, "BundleScanner and BundleStream disagree on the digest")
        require(scan.entries == outcome.records.map(\.entry), "BundleScanner and BundleStream disagree on the entries")
        require(scan.fileBytes == outcome.records.reduce(0) { $0 + $1.entry.size }, "BundleScanner's fileBytes is wrong")
        var checksum = FNV1a()
        scan.manifest.withUnsafeBytes { checksum.update($0) }
        require(checksum.value == manifestRecord?.dataChecksum, "BundleScanner's manifest is not the archive's manifest.json")

        let reader = BundleManifestReader(limits: limits)
        let found = Result { try reader.feed(input); return try reader.finish() }
        require((try? found.get()) == scan.manifest, "BundleManifestReader found \(found), not the scanner's manifest")
        scan.manifest.withUnsafeBytes(Manifest.fuzzValidate)
    }
}
