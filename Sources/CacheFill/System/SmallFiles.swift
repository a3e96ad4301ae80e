import Glibc

/// Reads and writes the daemon's small files: the trust bundle it loads at start and the status
/// file it replaces in one step (write a sibling, then rename), so a reader sees the old line or
/// the new one, never half of one.
enum SmallFiles {
    /// The whole file as text when it exists and is at most `maxBytes` long, else nil.
    static func read(_ path: String, maxBytes: Int = 4 << 20) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { return nil }
            if count == 0 { return String(decoding: bytes, as: UTF8.self) }
            bytes += chunk[..<count]
            if bytes.count > maxBytes { return nil }
        }
    }

    /// Writes `text` to `path` with mode 0644; returns the failure text, nil on success.
    static func replace(_ path: String, with text: String) -> String? {
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return "open \(temporary): \(String(cString: strerror(errno)))" }
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else {
                let reason = String(cString: strerror(errno))
                close(fd)
                unlink(temporary)
                return "write \(temporary): \(reason)"
            }
            offset += written
        }
        close(fd)
        guard rename(temporary, path) == 0 else { return "rename \(path): \(String(cString: strerror(errno)))" }
        return nil
    }

    /// Creates the directories above the absolute `path` (mode 0755) when missing.
    static func makeParentDirectories(of path: String) {
        var prefix = ""
        for component in path.split(separator: "/").dropLast() {
            prefix += "/" + component
            mkdir(prefix, 0o755)
        }
    }
}
