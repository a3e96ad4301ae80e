/// Runs a byte producer (a bundle store download) on its own thread and hands its bytes, in
/// blocks, to the caller's consumer (hashing, decompression, extraction), so fetching and
/// extracting overlap on two cores instead of taking turns on one.
///
/// Invariants: the producer's small chunks are gathered into blocks of `blockBytes` before they
/// cross threads (one lock round per block, not per network read); at most `maxBlocks` blocks
/// wait, so memory does not grow with the size of the download; a consumer error stops the
/// producer at its next chunk, and the producer thread has always ended when `stream` returns;
/// the consumer's error is rethrown unchanged (the content cache tells its own errors from the
/// source's by identity).
enum ReadAhead {
    private struct Queue {
        var blocks: [[UInt8]] = []
        var produced: Result<Void, any Error>?
        var consumerFailed = false
    }

    /// Thrown into the producer when the consumer has given up.
    private struct ConsumerStopped: Error {}

    static func stream(
        blockBytes: Int = 256 << 10,
        maxBlocks: Int = 16,
        produce: @escaping @Sendable (_ sink: (UnsafeRawBufferPointer) throws -> Void) throws -> Void,
        consume: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        let queue = Monitor(Queue())
        let producer = WorkerThread {
            var block: [UInt8] = []
            block.reserveCapacity(blockBytes)
            let outcome = Result {
                try produce { chunk in
                    var rest = chunk[...]
                    while !rest.isEmpty {
                        let taken = rest.prefix(blockBytes - block.count)
                        block.append(contentsOf: taken)
                        rest = rest.dropFirst(taken.count)
                        if block.count == blockBytes { try hand(&block, to: queue, maxBlocks: maxBlocks, reserving: blockBytes) }
                    }
                }
                if !block.isEmpty { try hand(&block, to: queue, maxBlocks: maxBlocks, reserving: 0) }
            }
            queue.update { $0.produced = outcome }
        }
        defer { producer.join() }
        while let block = try nextBlock(from: queue) {
            do {
                try block.withUnsafeBytes { try consume($0) }
            } catch {
                queue.update { $0.consumerFailed = true }
                throw error
            }
        }
    }

    /// Queues a full block once there is room, and gives the producer a fresh one.
    private static func hand(_ block: inout [UInt8], to queue: Monitor<Queue>, maxBlocks: Int, reserving capacity: Int) throws {
        let full = block
        let admitted = queue.wait(until: nil) { state -> Bool? in
            if state.consumerFailed { return false }
            guard state.blocks.count < maxBlocks else { return nil }
            state.blocks.append(full)
            return true
        }
        guard admitted == true else { throw ConsumerStopped() }
        block = []
        block.reserveCapacity(capacity)
    }

    /// The next block in order; nil after the last one; the producer's error once it is drained.
    private static func nextBlock(from queue: Monitor<Queue>) throws -> [UInt8]? {
        let next = queue.wait(until: nil) { state -> Result<[UInt8]?, any Error>? in
            if !state.blocks.isEmpty { return .success(state.blocks.removeFirst()) }
            switch state.produced {
            case .none: return nil
            case .some(.success): return .success(nil)
            case .some(.failure(let error)): return .failure(error)
            }
        }
        return try next!.get()
    }
}
