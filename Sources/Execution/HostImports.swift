import JSON
import WasmKit

/// Builds the functions a module imports (`exthost.log`, `exthost.call` and its WASI preview1
/// imports), each bound to one instance's `GuestContext`.
///
/// Every guest pointer is checked before use; a bad one stops the guest with a trap rather
/// than touching memory.
enum HostImports {
    static func imports(for shape: ModuleShape, store: Store, context: GuestContext, memoryCap: MemoryCap) -> Imports {
        var imports = Imports()
        var functionIndex = 0
        for entry in shape.imports {
            guard case .function = entry.descriptor else { continue }
            defer { functionIndex += 1 }
            guard shape.functionTypes.indices.contains(functionIndex), let type = shape.functionTypes[functionIndex] else { continue }
            let function: Function
            switch (entry.module, entry.name) {
            case (ABIContract.hostModule, "log"): function = log(store: store, context: context)
            case (ABIContract.hostModule, "call"): function = call(store: store, context: context, memoryCap: memoryCap)
            case (ABIContract.wasiModule, let name): function = WASIPreview1.function(named: name, type: type, store: store, context: context)
            default: continue
            }
            imports.define(module: entry.module, name: entry.name, function)
        }
        return imports
    }

    private static func log(store: Store, context: GuestContext) -> Function {
        Function(store: store, type: ABIContract.logType) { [unowned context] _, arguments in
            let memory = try context.guestMemory()
            let pointer = arguments[1].i32 ?? 0
            let length = min(arguments[2].i32 ?? 0, UInt32(GuestContext.logBytesPerRequest))
            guard let bytes = memory.bytes(at: pointer, count: length) else {
                throw context.stop(.trap("exthost.log: \(length) bytes at \(pointer) are outside memory"))
            }
            context.log(level: Int32(bitPattern: arguments[0].i32 ?? 0), bytes)
            return []
        }
    }

    private static func call(store: Store, context: GuestContext, memoryCap: MemoryCap) -> Function {
        Function(store: store, type: ABIContract.callType) { [unowned context] _, arguments in
            try context.checkDeadline()
            guard let host = context.host else { throw context.stop(.trap("exthost.call outside a request")) }
            let memory = try context.guestMemory()
            let pointer = arguments[0].i32 ?? 0
            let length = arguments[1].i32 ?? 0
            guard length <= context.limits.maxRequestBytes else {
                return [.i64(try answer(hostError("too_large", "the host call is too large"), context: context, memoryCap: memoryCap))]
            }
            let parsed = memory.withBytes(at: pointer, count: length) { bytes in
                Result { () throws(JSONParseError) -> JSONValue in try JSONValue.parse(bytes) }
            }
            guard let parsed else { throw context.stop(.trap("exthost.call: \(length) bytes at \(pointer) are outside memory")) }
            let reply: JSONValue
            switch parsed {
            case .success(let request): reply = host.call(request, deadline: context.deadline)
            case .failure(let error): reply = hostError("invalid_request", "the host call is not valid JSON: \(error.message)")
            }
            // The host call's own timeout is the time left, but a late answer must not run the guest on.
            try context.checkDeadline()
            return [.i64(try answer(reply, context: context, memoryCap: memoryCap))]
        }
    }

    private static func answer(_ reply: JSONValue, context: GuestContext, memoryCap: MemoryCap) throws(GuestAbort) -> UInt64 {
        var bytes = reply.serializedBytes()
        if bytes.count > context.limits.maxResponseBytes {
            bytes = hostError("too_large", "the answer is over the response size limit").serializedBytes()
        }
        let pointer = try context.place(bytes) { memoryCap.refused }
        return UInt64(pointer) << 32 | UInt64(bytes.count)
    }

    private static func hostError(_ code: String, _ message: String) -> JSONValue {
        ["error": ["code": .string(code), "message": .string(message)]]
    }
}
