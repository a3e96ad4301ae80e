extension Duration {
    /// Whole milliseconds (rounded down), for poll(2) timeouts and log fields.
    var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}

extension ContinuousClock.Instant {
    var millisecondsAgo: Int64 { (ContinuousClock.now - self).wholeMilliseconds }
}
