#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How often and how patiently `S3Client` repeats a request that may be repeated safely.
///
/// Invariant: at most `maxAttempts` tries; before try n+1 the client sleeps a uniformly random
/// time in `0...min(maxDelay, baseDelay · 2ⁿ⁻¹)` ("full jitter"), so many nodes retrying at once
/// spread out instead of hitting a throttled store in step.
public struct S3RetryPolicy: Sendable {
    public var maxAttempts: Int
    public var baseDelay: Duration
    public var maxDelay: Duration
    /// Waits between attempts; tests replace it to run without sleeping.
    public var sleep: @Sendable (Duration) -> Void

    public init(
        maxAttempts: Int = 3,
        baseDelay: Duration = .milliseconds(100),
        maxDelay: Duration = .seconds(2),
        sleep: @escaping @Sendable (Duration) -> Void = S3RetryPolicy.threadSleep
    ) {
        precondition(maxAttempts >= 1, "S3RetryPolicy: at least one attempt")
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.sleep = sleep
    }

    /// One attempt, no waiting.
    public static let never = S3RetryPolicy(maxAttempts: 1)

    /// The random pause before attempt `attempt + 1` (the first retry follows attempt 1).
    public func delay(after attempt: Int) -> Duration {
        let ceiling = min(maxDelay, baseDelay * (1 << min(attempt - 1, 20)))
        let nanoseconds = Self.nanoseconds(ceiling)
        guard nanoseconds > 0 else { return .zero }
        return .nanoseconds(Int64.random(in: 0...nanoseconds))
    }

    /// Blocks the calling thread: requests run on the caller's thread (see `HTTPClient`).
    public static let threadSleep: @Sendable (Duration) -> Void = { duration in
        let total = nanoseconds(duration)
        var request = timespec(tv_sec: Int(total / 1_000_000_000), tv_nsec: Int(total % 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return max(0, seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
