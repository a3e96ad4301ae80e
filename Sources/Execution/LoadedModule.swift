import WasmKit

/// A parsed module as the engine keeps it: the WasmKit `Module` (shared by every instance on
/// every thread), what the ABI checks learned about it, and how its instances can be reset.
///
/// `reusable` is true only when a memory copy plus `resettableGlobals` restores everything a
/// request can change: the module has no table writes or segment drops, and every mutable global
/// is exported (hidden ones are exported by `GlobalExportRewriter` before parsing).
final class LoadedModule: Sendable {
    let key: String
    let module: Module
    let shape: ModuleShape
    let byteCount: Int
    let reusable: Bool
    /// Export names of every mutable global, restored after each request on the reuse path.
    let resettableGlobals: [String]

    init(key: String, wasm: [UInt8]) throws(ExecutionError) {
        let shape: ModuleShape
        do {
            shape = try ModuleShape(parsing: wasm)
        } catch {
            throw .moduleInvalid(["the module does not parse: \(error)"])
        }
        let hidden = shape.hiddenMutableGlobals
        let rewritten = GlobalExportRewriter.exporting(globals: hidden, in: wasm)
        do {
            module = try parseWasm(bytes: rewritten ?? wasm)
        } catch {
            throw .moduleInvalid(["the module does not parse: \(error)"])
        }
        self.key = key
        self.shape = shape
        byteCount = wasm.count
        reusable = rewritten != nil && !shape.mutatesUnreachableState
        resettableGlobals = Self.mutableGlobalExports(in: shape) + hidden.map(GlobalExportRewriter.exportName(ofGlobal:))
    }

    private static func mutableGlobalExports(in shape: ModuleShape) -> [String] {
        shape.exports.compactMap { export in
            guard case .global(let index) = export.descriptor else { return nil }
            let defined = Int(index) - shape.importedGlobalCount
            guard shape.definedGlobals.indices.contains(defined), shape.definedGlobals[defined].mutability == .variable else { return nil }
            return export.name
        }
    }
}
