import Glibc
import Synchronization

/// State split into independently locked stripes, one chosen by the calling thread, so the
/// worker threads of a process do not queue on one lock for per-request bookkeeping.
///
/// Why: Swift's `Mutex` on Linux parks contended waiters on a priority-inheritance futex (a
/// system call each time); a lock every request thread takes a few times per request was the
/// largest cost of executing a trivial handler. With the stripe picked from the thread's id, a
/// long-lived worker thread (FastCGI accept threads live as long as the process) nearly always
/// finds its stripe free.
///
/// Invariants: `stripeCount` is a power of two; a thread always maps to the same stripe; state
/// in one stripe is never seen through another, so a value that must be found by every thread
/// is either kept in every stripe or looked up elsewhere on a miss.
public final class ThreadStripes<State: Sendable>: Sendable {
    private final class Stripe: Sendable {
        let state: Mutex<State>
        init(_ state: sending State) { self.state = Mutex(state) }
    }

    public let stripeCount: Int
    private let stripes: [Stripe]

    /// `count` is rounded up to a power of two (at least 1); `make` builds each stripe's state.
    public init(count: Int = 64, make: () -> State) {
        var rounded = 1
        while rounded < count { rounded <<= 1 }
        stripeCount = rounded
        stripes = (0..<rounded).map { _ in Stripe(make()) }
    }

    /// Runs `body` on the calling thread's stripe, under its lock.
    public func withLock<Result>(_ body: (inout State) throws -> Result) rethrows -> Result {
        try stripes[Self.index(of: pthread_self(), count: stripeCount)].state.withLock { try body(&$0) }
    }

    /// Runs `body` on every stripe in turn (invalidation, totals); rare, so it may take each lock.
    public func forEach(_ body: (inout State) -> Void) {
        for stripe in stripes { stripe.state.withLock { body(&$0) } }
    }

    /// Thread ids are addresses aligned to pages: mix the bits before taking the top ones.
    static func index(of thread: pthread_t, count: Int) -> Int {
        let mixed = UInt64(UInt(thread)) &* 0x9E37_79B9_7F4A_7C15
        return Int(truncatingIfNeeded: mixed >> 32) & (count - 1)
    }
}
