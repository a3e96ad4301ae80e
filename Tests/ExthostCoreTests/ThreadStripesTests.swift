import ExthostCore
import Foundation
import Testing

@Suite struct ThreadStripesTests {
    @Test func theCountIsRoundedUpToAPowerOfTwo() {
        #expect(ThreadStripes<Int>(count: 5) { 0 }.stripeCount == 8)
        #expect(ThreadStripes<Int>(count: 0) { 0 }.stripeCount == 1)
        #expect(ThreadStripes<Int>(count: 64) { 0 }.stripeCount == 64)
    }

    @Test func aThreadAlwaysFindsWhatItStoredAndForEachSeesEveryStripe() async {
        let stripes = ThreadStripes<[Int]>(count: 8) { [] }
        // Eight threads each append their own numbers; each re-reads them from its stripe.
        let threads = (0..<8).map { worker in
            Thread {
                for value in 0..<1000 { stripes.withLock { $0.append(worker * 1000 + value) } }
            }
        }
        for thread in threads { thread.start() }
        while threads.contains(where: { !$0.isFinished }) { try? await Task.sleep(for: .milliseconds(5)) }
        var all: [Int] = []
        stripes.forEach { all += $0 }
        #expect(all.sorted() == Array(0..<8000))
        stripes.withLock { $0.append(-1) }
        #expect(stripes.withLock { $0.last } == -1)
    }
}
