import Glibc
import WasmKit

/// The slice of WASI preview1 an extension gets: no files, no arguments, no environment;
/// stdout and stderr become log lines; clocks and randomness work; `proc_exit` ends the request.
///
/// Any other preview1 function the module imports answers `ENOSYS`, so wasi-libc links and
/// runs as long as the guest does not really need it.
enum WASIPreview1 {
    private static let success: UInt32 = 0
    private static let badFileDescriptor: UInt32 = 8
    private static let fault: UInt32 = 21
    private static let invalid: UInt32 = 28
    private static let notSupported: UInt32 = 52

    static let signatures: [String: FunctionType] = [
        "args_get": FunctionType(parameters: [.i32, .i32], results: [.i32]),
        "args_sizes_get": FunctionType(parameters: [.i32, .i32], results: [.i32]),
        "environ_get": FunctionType(parameters: [.i32, .i32], results: [.i32]),
        "environ_sizes_get": FunctionType(parameters: [.i32, .i32], results: [.i32]),
        "clock_time_get": FunctionType(parameters: [.i32, .i64, .i32], results: [.i32]),
        "fd_write": FunctionType(parameters: [.i32, .i32, .i32, .i32], results: [.i32]),
        "proc_exit": FunctionType(parameters: [.i32], results: []),
        "random_get": FunctionType(parameters: [.i32, .i32], results: [.i32]),
        "sched_yield": FunctionType(parameters: [], results: [.i32]),
    ]

    typealias Body = @Sendable (GuestContext, Memory, [Value]) throws(GuestAbort) -> UInt32

    /// The host function for `name` with the module's declared `type` (already validated).
    static func function(named name: String, type: FunctionType, store: Store, context: GuestContext) -> Function {
        if name == "proc_exit" {
            return Function(store: store, type: type) { [unowned context] _, arguments in
                throw context.stop(.exit(Int32(bitPattern: arguments.first?.i32 ?? 0)))
            }
        }
        let body = implementations[name]
        return Function(store: store, type: type) { [unowned context] _, arguments in
            guard let body else { return type.results == [.i32] ? [.i32(notSupported)] : [] }
            return [.i32(try body(context, try context.guestMemory(), arguments))]
        }
    }

    private static let implementations: [String: Body] = [
        "args_sizes_get": { _, memory, arguments throws(GuestAbort) in try zeroCounts(memory, arguments) },
        "environ_sizes_get": { _, memory, arguments throws(GuestAbort) in try zeroCounts(memory, arguments) },
        "args_get": { _, _, _ in success },
        "environ_get": { _, _, _ in success },
        "sched_yield": { _, _, _ in success },
        "clock_time_get": { _, memory, arguments in clockTime(memory, arguments) },
        "random_get": { _, memory, arguments in random(memory, arguments) },
        "fd_write": { context, memory, arguments in fdWrite(context, memory, arguments) },
    ]

    private static func zeroCounts(_ memory: Memory, _ arguments: [Value]) throws(GuestAbort) -> UInt32 {
        let stored = memory.storeLittleEndian(UInt32(0), at: arguments[0].i32 ?? 0)
            && memory.storeLittleEndian(UInt32(0), at: arguments[1].i32 ?? 0)
        return stored ? success : fault
    }

    private static func clockTime(_ memory: Memory, _ arguments: [Value]) -> UInt32 {
        let clock: clockid_t
        switch arguments[0].i32 {
        case 0: clock = CLOCK_REALTIME
        case 1: clock = CLOCK_MONOTONIC
        default: return invalid
        }
        var now = timespec()
        clock_gettime(clock, &now)
        let nanoseconds = UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
        return memory.storeLittleEndian(nanoseconds, at: arguments[2].i32 ?? 0) ? success : fault
    }

    private static func random(_ memory: Memory, _ arguments: [Value]) -> UInt32 {
        let count = arguments[1].i32 ?? 0
        guard let offset = arguments[0].i32, memory.contains(offset: offset, count: count) else { return fault }
        var generator = SystemRandomNumberGenerator()
        // In chunks, so a guest asking for its whole memory costs no more host memory than a page.
        var written: UInt32 = 0
        while written < count {
            let chunk = (0..<min(count - written, 4096)).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
            memory.write(chunk, at: offset + written)
            written += UInt32(chunk.count)
        }
        return success
    }

    private static func fdWrite(_ context: GuestContext, _ memory: Memory, _ arguments: [Value]) -> UInt32 {
        guard let fd = arguments[0].i32, fd == 1 || fd == 2 else { return badFileDescriptor }
        let vectors = arguments[1].i32 ?? 0
        let vectorCount = arguments[2].i32 ?? 0
        guard vectorCount <= 1024 else { return invalid }
        var total: UInt32 = 0
        for index in 0..<vectorCount {
            let entry = vectors &+ index &* 8
            guard let base = memory.loadUInt32(at: entry), let length = memory.loadUInt32(at: entry &+ 4),
                let bytes = memory.withBytes(at: base, count: min(length, UInt32(GuestContext.logBytesPerRequest)), { Array($0) })
            else { return fault }
            context.output(fd: Int32(fd), bytes)
            // Report the whole vector as written: a guest retrying a capped write would spin.
            total &+= length
        }
        return memory.storeLittleEndian(total, at: arguments[3].i32 ?? 0) ? success : fault
    }
}

extension Value {
    var i32: UInt32? {
        if case .i32(let value) = self { value } else { nil }
    }

    var i64: UInt64? {
        if case .i64(let value) = self { value } else { nil }
    }
}
