import Glibc

/// Writes the daemon's small files, such as the status file it replaces in one step (write a
/// sibling, then rename), so a reader sees the old line or the new one, never half of one.
enum SmallFiles {
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
