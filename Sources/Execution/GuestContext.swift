import WasmKit

/// Why the host stopped a guest from inside a host function.
enum GuestAbort: Error, Equatable {
    case deadlineExceeded
    case outOfMemory
    case trap(String)
    case exit(Int32)

    /// WasmKit reports fuel exhaustion only as a trap whose text says so.
    static func isOutOfFuel(_ error: any Error) -> Bool {
        "\(error)".contains("out of fuel")
    }
}

/// The per-instance state the host functions reach: which request is running (host, deadline,
/// limits), the guest's memory and allocator, and the per-request log budget.
///
/// Confined to the thread running the instance. `host` is nil between requests; a host call
/// then (only possible from a start function) is refused. `abort` keeps the first reason a host
/// function stopped the guest, since WasmKit may rewrap the thrown error.
final class GuestContext {
    static let logBytesPerRequest = 64 << 10

    var host: (any HostInterface)?
    var deadline = ContinuousClock.now
    var limits = ExecutionLimits()
    var logBudget = 0
    var abort: GuestAbort?
    var memory: Memory?
    var alloc: Function?
    private var allocStack: ExecutionStack
    private var allocating = false
    private var pendingOutput: [Int32: [UInt8]] = [:]

    init(engine: Engine) {
        allocStack = ExecutionStack(engine: engine)
    }

    func begin(host: any HostInterface, deadline: ContinuousClock.Instant, limits: ExecutionLimits) {
        self.host = host
        self.deadline = deadline
        self.limits = limits
        logBudget = Self.logBytesPerRequest
        abort = nil
    }

    func end() {
        for fd in pendingOutput.keys.sorted() { flushOutput(fd: fd) }
        host = nil
    }

    /// Throws (and remembers) why the guest must stop.
    func stop(_ reason: GuestAbort) -> GuestAbort {
        if abort == nil { abort = reason }
        return reason
    }

    func checkDeadline() throws(GuestAbort) {
        if ContinuousClock.now >= deadline { throw stop(.deadlineExceeded) }
    }

    func guestMemory() throws(GuestAbort) -> Memory {
        guard let memory else { throw stop(.trap("host function called before the module's memory was bound")) }
        return memory
    }

    /// Copies `bytes` into memory the guest allocates with `exthost_alloc`; returns the pointer.
    func place(_ bytes: [UInt8], outOfMemory: () -> Bool) throws(GuestAbort) -> UInt32 {
        guard let alloc, !allocating else { throw stop(.trap("exthost_alloc re-entered the host")) }
        allocating = true
        defer { allocating = false }
        let result: [Value]
        do {
            result = try alloc.invoke([.i32(UInt32(bytes.count))], on: &allocStack)
        } catch let reason as GuestAbort {
            throw stop(reason)
        } catch {
            // The budget can run out inside the allocator as well as in the handler.
            throw stop(GuestAbort.isOutOfFuel(error) ? .deadlineExceeded : .trap("exthost_alloc failed: \(error)"))
        }
        let memory = try guestMemory()
        guard case .i32(let pointer)? = result.first, pointer != 0 || bytes.isEmpty, memory.write(bytes, at: pointer) else {
            if outOfMemory() { throw stop(.outOfMemory) }
            throw stop(.trap("exthost_alloc(\(bytes.count)) returned a pointer outside memory"))
        }
        return pointer
    }

    /// Logs through the host, charging the per-request budget; silently drops what is over it.
    func log(level: Int32, _ bytes: some Collection<UInt8>) {
        guard let host, logBudget > 0 else { return }
        let kept = bytes.prefix(logBudget)
        logBudget -= kept.count
        host.log(level: min(max(level, 0), 3), message: String(decoding: kept, as: UTF8.self))
    }

    /// Buffers WASI stdout/stderr and logs it a line at a time.
    func output(fd: Int32, _ bytes: [UInt8]) {
        var buffer = pendingOutput[fd, default: []] + bytes
        while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
            log(level: fd == 2 ? 2 : 1, buffer[..<newline])
            buffer.removeSubrange(...newline)
        }
        // A guest that never writes a newline must not grow the buffer without bound.
        if buffer.count > Self.logBytesPerRequest {
            log(level: fd == 2 ? 2 : 1, buffer)
            buffer.removeAll()
        }
        pendingOutput[fd] = buffer
    }

    private func flushOutput(fd: Int32) {
        if let rest = pendingOutput.removeValue(forKey: fd), !rest.isEmpty { log(level: fd == 2 ? 2 : 1, rest) }
    }
}
