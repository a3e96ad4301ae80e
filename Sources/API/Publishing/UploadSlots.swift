import Synchronization

/// The thread and memory budget of upload-proxy: at most `capacity` handlers stream a body at
/// once, so slow or stalled uploads can never take every worker thread from catalog, install
/// and execute calls (DESIGN §4), and each slot lends its holder one part buffer.
///
/// Invariants: `inUse` never exceeds `capacity` nor drops below 0; a slot is taken before the
/// body is read and released on every exit of `withSlot`, thrown errors included; at most
/// `capacity` part buffers ever exist, each used by one holder at a time, so the proxy's memory
/// is bounded by `capacity` parts whichever threads served the uploads (a buffer freed by each
/// request would instead stay cached in that thread's malloc arena, one per thread).
final class UploadSlots: Sendable {
    /// What a refused client is told to wait, in seconds; an upload holds its slot for as long
    /// as the client takes, so an immediate retry would only be refused again.
    static let retryAfterSeconds = 5

    let capacity: Int
    private let state = Mutex(State())

    private struct State {
        var inUse = 0
        var idleBuffers: [UploadPartBuffer] = []
    }

    init(capacity: Int) {
        precondition(capacity >= 1, "UploadSlots needs at least one slot")
        self.capacity = capacity
    }

    /// Runs `body` holding one slot and its part buffer; throws `uploadsBusy` (429 with
    /// `Retry-After`) without running it when every slot is taken.
    func withSlot<T>(_ body: (UploadPartBuffer) throws -> T) throws -> T {
        let buffer = state.withLock { state -> UploadPartBuffer? in
            guard state.inUse < capacity else { return nil }
            state.inUse += 1
            return state.idleBuffers.popLast() ?? UploadPartBuffer()
        }
        guard let buffer else { throw PublishingError.uploadsBusy(retryAfterSeconds: Self.retryAfterSeconds) }
        defer {
            buffer.bytes.removeAll(keepingCapacity: true)
            state.withLock { state in
                state.inUse -= 1
                state.idleBuffers.append(buffer)
            }
        }
        return try body(buffer)
    }
}

/// One part of an upload-proxy body on its way to the store: an array with room for
/// `UploadProxyTransfer.partSize` bytes, reused from upload to upload.
///
/// Invariant: only the holder of the slot that lent it touches it (hence the unchecked
/// `Sendable`: `UploadSlots` hands it from thread to thread under its lock, never to two at once).
final class UploadPartBuffer: @unchecked Sendable {
    var bytes: [UInt8] = []

    init() { bytes.reserveCapacity(UploadProxyTransfer.partSize) }
}
