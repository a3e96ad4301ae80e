import Synchronization

/// A total that only grows (requests served, bytes received).
///
/// Invariant: never decreases; increments are lock-free.
public final class Counter: Sendable {
    private let total = Atomic<Int>(0)

    init() {}

    public func increment(by amount: Int = 1) {
        guard amount > 0 else { return }
        total.add(amount, ordering: .relaxed)
    }

    public var value: Int { total.load(ordering: .relaxed) }
}
