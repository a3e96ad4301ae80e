import COpenSSL

/// The calling thread's OpenSSL error queue, read at the edge where a C call failed.
///
/// Invariant: every failure path drains or clears the queue, so a stale entry is never blamed
/// for a later, unrelated failure on the same thread.
enum OpenSSLErrorQueue {
    /// The queued error texts (oldest first, joined by "; "), leaving the queue empty.
    static func drain() -> String {
        var texts: [String] = []
        while case let code = ERR_get_error(), code != 0 {
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            texts.append(String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return texts.isEmpty ? "no detail from OpenSSL" : texts.joined(separator: "; ")
    }

    static func clear() {
        ERR_clear_error()
    }
}

/// An in-memory OpenSSL BIO, for handing PEM text to OpenSSL and reading its output back.
///
/// Invariant: owns one `BIO` of type `BIO_s_mem`, freed in `deinit`; the pointer is lent only
/// inside `withPointer`, so the BIO outlives every C call that uses it.
final class MemoryBIO {
    private let pointer: OpaquePointer

    init() {
        guard let bio = BIO_new(BIO_s_mem()) else { fatalError("BIO_new: out of memory") }
        pointer = bio
    }

    /// A BIO whose readable contents are a copy of `text`'s UTF-8 bytes.
    convenience init(text: String) {
        self.init()
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { return }
        precondition(bytes.count <= Int(Int32.max), "PEM text over 2 GiB")
        guard BIO_write(pointer, bytes, Int32(bytes.count)) == Int32(bytes.count) else {
            fatalError("BIO_write to memory: out of memory")
        }
    }

    deinit { BIO_free(pointer) }

    func withPointer<Result>(_ body: (OpaquePointer) -> Result) -> Result {
        body(pointer)
    }

    /// The text that `write` puts into a fresh BIO; `write` returns OpenSSL's 1-on-success.
    /// Writing to memory fails only when memory is exhausted, which is fatal.
    static func collectText(_ operation: String, _ write: (OpaquePointer) -> Int32) -> String {
        let bio = MemoryBIO()
        guard write(bio.pointer) == 1 else { fatalError("\(operation): \(OpenSSLErrorQueue.drain())") }
        return bio.text
    }

    /// Everything written to the BIO and not yet read, as UTF-8 text (OpenSSL writes ASCII PEM).
    var text: String {
        var data: UnsafeMutablePointer<CChar>?
        let length = exthost_BIO_get_mem_data(pointer, &data)
        guard let data, length > 0 else { return "" }
        return data.withMemoryRebound(to: UInt8.self, capacity: length) {
            String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
        }
    }
}

/// DER output of OpenSSL's `i2d_*` functions, which are called twice: for the length, then to write.
enum DEREncoding {
    /// `i2d` is an `i2d_*` call bound to its object; encoding an object already in memory fails
    /// only when memory is exhausted, which is fatal.
    static func encode(_ operation: String, _ i2d: (UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?) -> Int32) -> [UInt8] {
        let length = i2d(nil)
        guard length > 0 else { fatalError("\(operation): \(OpenSSLErrorQueue.drain())") }
        var der = [UInt8](repeating: 0, count: Int(length))
        let written = der.withUnsafeMutableBufferPointer { buffer in
            var cursor = buffer.baseAddress
            return i2d(&cursor)
        }
        precondition(written == length, "\(operation) wrote \(written) bytes after announcing \(length)")
        return der
    }
}
