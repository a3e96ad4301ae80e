import COpenSSL
import Glibc

/// An OpenSSL X.509 certificate (`X509`): parsing, encoding, the fields exthost reads, and
/// issuance for the CLI's keygen.
///
/// Invariant: owns one `X509` reference, freed in `deinit`. It is mutated only by `issue`,
/// before the object is returned; afterwards it is read-only (OpenSSL locks its own lazily
/// computed extension cache), hence `@unchecked Sendable`.
final class X509Certificate: @unchecked Sendable {
    let pointer: OpaquePointer

    /// Takes ownership of `pointer` (one reference).
    init(taking pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit { X509_free(pointer) }

    // MARK: Parsing and encoding

    /// Every `CERTIFICATE` block in `pem`, in order; other PEM blocks are skipped.
    static func parseAll(pem: String) throws(SignerError) -> [X509Certificate] {
        OpenSSLErrorQueue.clear()
        let bio = MemoryBIO(text: pem)
        var certificates: [X509Certificate] = []
        while let next = bio.withPointer({ PEM_read_bio_X509($0, nil, nil, nil) }) {
            certificates.append(X509Certificate(taking: next))
        }
        // The loop ends at the first block that does not parse; only "no more blocks" is clean.
        let last = ERR_peek_last_error()
        if ERR_GET_LIB(last) == ERR_LIB_PEM && ERR_GET_REASON(last) == PEM_R_NO_START_LINE {
            OpenSSLErrorQueue.clear()
        } else {
            let position = "certificate block \(certificates.count + 1)"
            throw .certificateInvalid(reason: "\(position) does not parse: \(OpenSSLErrorQueue.drain())")
        }
        return certificates
    }

    /// The certificate encoded by exactly the bytes `der`.
    static func parse(der: [UInt8]) throws(SignerError) -> X509Certificate {
        OpenSSLErrorQueue.clear()
        let (parsed, consumed): (OpaquePointer?, Int) = der.withUnsafeBufferPointer { buffer in
            var cursor = buffer.baseAddress
            let parsed = d2i_X509(nil, &cursor, buffer.count)
            return (parsed, cursor.map { $0 - buffer.baseAddress! } ?? 0)
        }
        guard let parsed else { throw .certificateInvalid(reason: "DER does not parse: \(OpenSSLErrorQueue.drain())") }
        let certificate = X509Certificate(taking: parsed)
        guard consumed == der.count else { throw .certificateInvalid(reason: "\(der.count - consumed) bytes after the certificate") }
        return certificate
    }

    var der: [UInt8] {
        DEREncoding.encode("i2d_X509") { i2d_X509(pointer, $0) }
    }

    var pem: String {
        MemoryBIO.collectText("PEM_write_bio_X509") { PEM_write_bio_X509($0, pointer) }
    }

    // MARK: Fields

    /// The subject's single commonName as UTF-8; nil when absent, repeated, or holding a NUL.
    var subjectCommonName: String? {
        guard let name = X509_get_subject_name(pointer) else { return nil }
        let index = X509_NAME_get_index_by_NID(name, NID_commonName, -1)
        guard index >= 0, X509_NAME_get_index_by_NID(name, NID_commonName, index) < 0,
              let entry = X509_NAME_get_entry(name, index),
              let data = X509_NAME_ENTRY_get_data(entry)
        else { return nil }
        var utf8: UnsafeMutablePointer<UInt8>?
        let length = ASN1_STRING_to_UTF8(&utf8, data)
        guard length >= 0, let utf8 else {
            OpenSSLErrorQueue.clear()
            return nil
        }
        defer { exthost_OPENSSL_free(utf8) }
        let bytes = UnsafeBufferPointer(start: utf8, count: Int(length))
        guard !bytes.contains(0) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The subject distinguished name in RFC 2253 form (`CN=acme,O=Example`), for messages.
    var subjectText: String {
        MemoryBIO.collectText("X509_NAME_print_ex") { bio in
            X509_NAME_print_ex(bio, X509_get_subject_name(pointer), 0, exthost_XN_FLAG_RFC2253()) >= 0 ? 1 : 0
        }
    }

    var notBefore: Int64? { X509Certificate.secondsSinceEpoch(X509_get0_notBefore(pointer)) }
    var notAfter: Int64? { X509Certificate.secondsSinceEpoch(X509_get0_notAfter(pointer)) }

    private static func secondsSinceEpoch(_ time: UnsafePointer<ASN1_TIME>?) -> Int64? {
        var parts = tm()
        guard let time, ASN1_TIME_to_tm(time, &parts) == 1 else {
            OpenSSLErrorQueue.clear()
            return nil
        }
        return Int64(timegm(&parts))
    }

    /// The subject public key; nil when OpenSSL cannot decode its algorithm.
    var publicKey: EVPKey? {
        guard let key = X509_get_pubkey(pointer) else {
            OpenSSLErrorQueue.clear()
            return nil
        }
        return EVPKey(taking: key)
    }

    /// Whether OpenSSL found the extensions malformed or repeated.
    var hasInvalidExtensions: Bool { X509_get_extension_flags(pointer) & UInt32(EXFLAG_INVALID) != 0 }

    /// basicConstraints CA:TRUE.
    var isCA: Bool { X509_get_extension_flags(pointer) & UInt32(EXFLAG_CA) != 0 }

    /// Why this certificate may not sign code, or nil when it may: a keyUsage extension must
    /// allow digitalSignature, an extendedKeyUsage extension codeSigning or anyExtendedKeyUsage.
    var codeSigningUsageProblem: String? {
        let keyUsage = X509_get_key_usage(pointer)
        if keyUsage != UInt32.max && keyUsage & UInt32(KU_DIGITAL_SIGNATURE) == 0 {
            return "its keyUsage does not include digitalSignature"
        }
        let extendedKeyUsage = X509_get_extended_key_usage(pointer)
        if extendedKeyUsage != UInt32.max && extendedKeyUsage & UInt32(XKU_CODE_SIGN | XKU_ANYEKU) == 0 {
            return "its extendedKeyUsage includes neither codeSigning nor anyExtendedKeyUsage"
        }
        return nil
    }
}
