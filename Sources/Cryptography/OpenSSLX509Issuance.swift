import COpenSSL

/// What goes into a certificate that exthost's keygen makes.
struct CertificateRequest {
    var commonName: String
    var subjectKey: EVPKey
    var days: Int
    var isCA: Bool
}

extension X509Certificate {
    /// The largest validity `issue` accepts, about 100 years.
    static let maximumDays = 36_500
    /// How far notBefore is put in the past, so that a certificate made now is already valid on
    /// a server whose clock runs a little behind.
    private static let clockSkewSeconds = 300

    /// A version 3 certificate for `request`, signed by `issuerKey`; self-signed when `issuer`
    /// is nil. Carries basicConstraints, keyUsage, subject and authority key identifiers and a
    /// random 128-bit serial number.
    static func issue(_ request: CertificateRequest, issuer: X509Certificate?, issuerKey: EVPKey) throws(SignerError) -> X509Certificate {
        guard (1...maximumDays).contains(request.days) else {
            throw .issuanceFailed(reason: "validity must be 1 to \(maximumDays) days, not \(request.days)")
        }
        let digest: OpaquePointer?
        switch issuerKey.type {
        case .ed25519: digest = nil  // Ed25519 signs the certificate body itself.
        case .ecdsaP256, .rsa: digest = EVP_sha256()
        case .other(let name): throw .issuanceFailed(reason: "cannot sign certificates with a \(name) key")
        }
        OpenSSLErrorQueue.clear()
        if let issuer {
            guard issuer.isCA else { throw .issuanceFailed(reason: "the issuer certificate is not a CA (basicConstraints CA:TRUE)") }
            guard X509_check_private_key(issuer.pointer, issuerKey.pointer) == 1 else {
                OpenSSLErrorQueue.clear()
                throw .issuanceFailed(reason: "the issuer key does not belong to the issuer certificate")
            }
        }
        guard let raw = X509_new() else { throw failure("X509_new") }
        let certificate = X509Certificate(taking: raw)
        try certificate.fill(request, issuer: issuer ?? certificate, issuerKey: issuerKey)
        guard X509_sign(raw, issuerKey.pointer, digest) > 0 else { throw failure("X509_sign") }
        return certificate
    }

    private func fill(_ request: CertificateRequest, issuer: X509Certificate, issuerKey: EVPKey) throws(SignerError) {
        guard X509_set_version(pointer, Int(X509_VERSION_3)) == 1 else { throw X509Certificate.failure("X509_set_version") }
        try setRandomSerial()
        guard X509_time_adj_ex(X509_getm_notBefore(pointer), 0, -X509Certificate.clockSkewSeconds, nil) != nil,
              X509_time_adj_ex(X509_getm_notAfter(pointer), Int32(request.days), 0, nil) != nil
        else { throw X509Certificate.failure("set validity") }
        guard X509_set_pubkey(pointer, request.subjectKey.pointer) == 1 else { throw X509Certificate.failure("X509_set_pubkey") }
        try setSubject(commonName: request.commonName)
        guard X509_set_issuer_name(pointer, X509_get_subject_name(issuer.pointer)) == 1 else {
            throw X509Certificate.failure("X509_set_issuer_name")
        }
        var context = X509V3_CTX()
        X509V3_set_ctx(&context, issuer.pointer, pointer, nil, nil, 0)
        guard X509V3_set_issuer_pkey(&context, issuerKey.pointer) == 1 else { throw X509Certificate.failure("X509V3_set_issuer_pkey") }
        // The subject key identifier comes first: a self-signed certificate's authority key
        // identifier is read from it.
        let extensions: [(nid: Int32, value: String)] = request.isCA
            ? [(NID_subject_key_identifier, "hash"), (NID_authority_key_identifier, "keyid:always"),
               (NID_basic_constraints, "critical,CA:TRUE"), (NID_key_usage, "critical,keyCertSign,cRLSign")]
            : [(NID_subject_key_identifier, "hash"), (NID_authority_key_identifier, "keyid,issuer"),
               (NID_basic_constraints, "CA:FALSE"), (NID_key_usage, "critical,digitalSignature")]
        for (nid, value) in extensions {
            guard let created = X509V3_EXT_conf_nid(nil, &context, nid, value) else {
                throw X509Certificate.failure("extension \(String(cString: OBJ_nid2sn(nid))) = \(value)")
            }
            defer { X509_EXTENSION_free(created) }
            guard X509_add_ext(pointer, created, -1) == 1 else { throw X509Certificate.failure("X509_add_ext") }
        }
    }

    private func setRandomSerial() throws(SignerError) {
        var serial = SecureRandom.bytes(16)
        // Positive (top bit clear) and always 16 octets long (next bit set), per RFC 5280 §4.1.2.2.
        serial[0] = serial[0] & 0x7F | 0x40
        guard let number = BN_bin2bn(serial, Int32(serial.count), nil) else { throw X509Certificate.failure("BN_bin2bn") }
        defer { BN_free(number) }
        guard BN_to_ASN1_INTEGER(number, X509_get_serialNumber(pointer)) != nil else {
            throw X509Certificate.failure("set serial number")
        }
    }

    private func setSubject(commonName: String) throws(SignerError) {
        guard !commonName.isEmpty else { throw .issuanceFailed(reason: "the common name is empty") }
        guard let name = X509_NAME_new() else { throw X509Certificate.failure("X509_NAME_new") }
        defer { X509_NAME_free(name) }
        let bytes = Array(commonName.utf8)
        guard X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8, bytes, Int32(bytes.count), -1, 0) == 1 else {
            throw .issuanceFailed(reason: "common name \(commonName.debugDescription) is not allowed (at most 64 characters): \(OpenSSLErrorQueue.drain())")
        }
        guard X509_set_subject_name(pointer, name) == 1 else { throw X509Certificate.failure("X509_set_subject_name") }
    }

    private static func failure(_ operation: String) -> SignerError {
        .issuanceFailed(reason: "\(operation): \(OpenSSLErrorQueue.drain())")
    }
}
