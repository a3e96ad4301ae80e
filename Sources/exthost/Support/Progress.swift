import Glibc

/// Tells a person what a long command is doing, on stderr so that stdout stays free for
/// `--json`: on a terminal one line redrawn in place (bytes sent, percentage, speed, ETA),
/// anywhere else one plain line per stage, which reads well in logs and CI.
///
/// Invariants: at most one transfer is measured at a time; the in-place line is redrawn at
/// most `redrawsPerSecond` times a second and is erased before any other line is written, so
/// lines never interleave with it.
final class ProgressReporter {
    enum Style {
        /// stderr is a terminal: redraw one line with `\r`.
        case terminal
        /// stderr is a file or a pipe: stage lines only.
        case lines
    }

    static let redrawsPerSecond = 10

    let style: Style
    private let clock = ContinuousClock()
    private var transfer: Transfer?
    private var lineIsDrawn = false

    private struct Transfer {
        let label: String
        let total: Int64
        let start: ContinuousClock.Instant
        var sent: Int64 = 0
        var lastDraw: ContinuousClock.Instant?
    }

    init(style: Style) {
        self.style = style
    }

    /// The style that suits the process's stderr.
    static func forStandardError() -> ProgressReporter {
        ProgressReporter(style: isatty(STDERR_FILENO) == 1 ? .terminal : .lines)
    }

    /// One line about a finished step (`packed …`, `finalized …`).
    func stage(_ text: String) {
        eraseLine()
        StandardError.write(text + "\n")
    }

    /// What is under way (`packing …`, `finalizing …`): shown in place on a terminal until the
    /// next line replaces it; nothing on a plain stream, whose stage lines say it when done.
    func status(_ text: String) {
        guard style == .terminal, transfer == nil else { return }
        StandardError.write("\r\u{1B}[2K" + text)
        lineIsDrawn = true
    }

    /// Starts measuring `total` bytes; announced as `label N bytes…` on a plain stream.
    func beginTransfer(_ label: String, total: Int64) {
        transfer = Transfer(label: label, total: total, start: clock.now)
        if style == .lines { stage("\(label) \(total) bytes (\(ProgressFormat.bytes(total)))") }
        redraw(force: true)
    }

    /// Counts bytes that left; a negative count takes back bytes of a part that is sent again.
    func advance(_ bytes: Int) {
        guard transfer != nil else { return }
        transfer?.sent += Int64(bytes)
        redraw(force: false)
    }

    /// Bytes counted so far in the current transfer (0 when none runs).
    var sentBytes: Int64 { transfer?.sent ?? 0 }

    /// Forgets a transfer that failed, erasing its line.
    func cancelTransfer() {
        transfer = nil
        eraseLine()
    }

    /// Ends the transfer and writes `verb N bytes in S s (R/s)`.
    func endTransfer(_ verb: String) {
        guard let finished = transfer else { return }
        transfer = nil
        let seconds = (clock.now - finished.start).inSeconds
        let rate = seconds > 0 ? ProgressFormat.rate(bytesPerSecond: Double(finished.sent) / seconds) : "-"
        stage("\(verb) \(finished.sent) bytes (\(ProgressFormat.bytes(finished.sent))) in \(ProgressFormat.seconds(seconds)) s (\(rate))")
    }

    private func redraw(force: Bool) {
        guard style == .terminal, var current = transfer else { return }
        let now = clock.now
        if !force, let last = current.lastDraw, now - last < .milliseconds(1000 / Self.redrawsPerSecond), current.sent < current.total {
            return
        }
        current.lastDraw = now
        transfer = current
        StandardError.write("\r\u{1B}[2K" + Self.line(current, elapsed: (now - current.start).inSeconds))
        lineIsDrawn = true
    }

    /// `uploading  12.0 MiB / 40.0 MiB  30%  8.1 MiB/s  ETA 0:03`
    private static func line(_ transfer: Transfer, elapsed: Double) -> String {
        let sent = max(0, transfer.sent)
        let percent = transfer.total > 0 ? Int(sent * 100 / transfer.total) : 100
        // The first few milliseconds give absurd rates; the end always has a true one.
        let rate = elapsed > 0.05 || (sent >= transfer.total && elapsed > 0) ? Double(sent) / elapsed : nil
        let eta = rate.flatMap { $0 > 0 ? Double(transfer.total - sent) / $0 : nil }
        let speed = rate.map { ProgressFormat.rate(bytesPerSecond: $0) } ?? "-"
        return "\(transfer.label)  \(ProgressFormat.bytes(sent)) / \(ProgressFormat.bytes(transfer.total))  \(percent)%  \(speed)  ETA \(ProgressFormat.duration(seconds: eta))"
    }

    private func eraseLine() {
        guard lineIsDrawn else { return }
        StandardError.write("\r\u{1B}[2K")
        lineIsDrawn = false
    }
}
