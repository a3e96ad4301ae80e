import WasmKit
import WasmParser

/// What the exthost-wasm@1 checks and the reset plan need to know about a module, read once
/// from its binary with WasmParser (no instantiation).
///
/// Function indices count imported functions first, as in the binary; `functionTypes` is
/// indexed the same way. `mutatesUnreachableState` is true when code can change state a memory
/// copy cannot restore (tables, dropped segments).
struct ModuleShape: Sendable {
    var imports: [Import] = []
    var exports: [Export] = []
    /// Each function's signature, imports first; nil for a type index that is not a function.
    var functionTypes: [FunctionType?] = []
    var definedGlobals: [GlobalType] = []
    var importedGlobalCount = 0
    var memories: [Limits] = []
    var tableCount = 0
    var hasStartFunction = false
    var mutatesUnreachableState = false

    init(parsing wasm: [UInt8]) throws(WasmParserError) {
        var types: [FunctionType?] = []
        var parser = Parser(bytes: wasm)
        while let payload = try parser.parseNext() {
            switch payload {
            case .typeSection(let groups):
                for group in groups {
                    for subtype in group.types {
                        if case .function(let type) = subtype.body { types.append(type) } else { types.append(nil) }
                    }
                }
            case .importSection(let imports):
                self.imports = imports
                for entry in imports {
                    switch entry.descriptor {
                    case .function(let index): functionTypes.append(Self.type(at: index, in: types))
                    case .global: importedGlobalCount += 1
                    case .memory(let limits): memories.append(limits)
                    case .table: tableCount += 1
                    case .tag: break
                    }
                }
            case .functionSection(let indices):
                functionTypes += indices.map { Self.type(at: $0, in: types) }
            case .tableSection(let tables): tableCount += tables.count
            case .memorySection(let memories): self.memories += memories.map(\.type)
            case .globalSection(let globals): definedGlobals = globals.map(\.type)
            case .exportSection(let exports): self.exports = exports
            case .startSection: hasStartFunction = true
            case .codeSection(let bodies):
                var scanner = UnreachableStateScanner()
                for body in bodies {
                    var expression = ExpressionParser(code: body)
                    while let instruction = try expression.parse() {
                        instruction(visitor: &scanner)
                    }
                }
                mutatesUnreachableState = scanner.found
            default: break
            }
        }
    }

    private static func type(at index: UInt32, in types: [FunctionType?]) -> FunctionType? {
        types.indices.contains(Int(index)) ? types[Int(index)] : nil
    }

    func exportedFunctionType(_ name: String) -> FunctionType?? {
        guard let export = exports.first(where: { $0.name == name }) else { return nil }
        guard case .function(let index) = export.descriptor, functionTypes.indices.contains(Int(index)) else {
            return .some(nil)
        }
        return .some(functionTypes[Int(index)])
    }

    func exportsMemory(named name: String) -> Bool {
        exports.contains { export in
            if case .memory = export.descriptor { export.name == name } else { false }
        }
    }

    /// Indices (in the global index space) of mutable globals the module defines but does not export.
    var hiddenMutableGlobals: [UInt32] {
        let exported = Set(exports.compactMap { export -> UInt32? in
            if case .global(let index) = export.descriptor { index } else { nil }
        })
        return definedGlobals.indices.compactMap { offset in
            let index = UInt32(importedGlobalCount + offset)
            return definedGlobals[offset].mutability == .variable && !exported.contains(index) ? index : nil
        }
    }
}

/// Looks for instructions whose effect survives a memory-and-globals reset: table writes and
/// segment drops.
private struct UnreachableStateScanner: AnyInstructionVisitor {
    typealias VisitorError = Never
    var binaryOffset = 0
    var found = false

    mutating func visit(_ instruction: Instruction) {
        switch instruction {
        case .tableSet, .tableGrow, .tableFill, .tableCopy, .tableInit, .elemDrop, .dataDrop: found = true
        default: break
        }
    }
}
