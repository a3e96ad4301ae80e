import WasmKit
import WasmParser

/// The exthost-wasm@1 contract a module must meet: which imports it may ask for and which
/// exports, with which signatures, it must provide.
///
/// `problems(in:handlers:)` reports every violation, each as one sentence naming the import
/// or export, so a publisher can fix them all at once.
enum ABIContract {
    static let hostModule = "exthost"
    static let wasiModule = "wasi_snapshot_preview1"
    static let memoryExport = "memory"
    static let allocExport = "exthost_alloc"
    static let initializeExport = "_initialize"

    static let logType = FunctionType(parameters: [.i32, .i32, .i32], results: [])
    static let callType = FunctionType(parameters: [.i32, .i32], results: [.i64])
    static let hostFunctions = ["log": logType, "call": callType]
    static let allocType = FunctionType(parameters: [.i32], results: [.i32])
    static let handlerType = FunctionType(parameters: [.i32, .i32], results: [.i64])
    static let initializeType = FunctionType(parameters: [], results: [])

    static func problems(in shape: ModuleShape, handlers: [String]) -> [String] {
        var problems: [String] = []
        for (index, entry) in shape.imports.enumerated() {
            problems += importProblems(entry, type: functionType(ofImport: index, in: shape))
        }
        problems += memoryProblems(in: shape)
        problems += exportProblems(in: shape, name: allocExport, expected: allocType)
        for handler in Set(handlers).sorted() {
            problems += exportProblems(in: shape, name: handler, expected: handlerType)
        }
        if shape.exportedFunctionType(initializeExport) != nil {
            problems += exportProblems(in: shape, name: initializeExport, expected: initializeType)
        }
        return problems
    }

    private static func functionType(ofImport index: Int, in shape: ModuleShape) -> FunctionType? {
        let functionIndex = shape.imports[..<index].filter { if case .function = $0.descriptor { true } else { false } }.count
        return shape.functionTypes.indices.contains(functionIndex) ? shape.functionTypes[functionIndex] : nil
    }

    private static func importProblems(_ entry: Import, type: FunctionType?) -> [String] {
        let name = "import \(entry.module).\(entry.name)"
        guard case .function = entry.descriptor else { return ["\(name): only functions may be imported"] }
        switch entry.module {
        case hostModule:
            guard let expected = hostFunctions[entry.name] else { return ["\(name): exthost has no such function"] }
            return type == expected ? [] : ["\(name): must have type \(describe(expected))"]
        case wasiModule:
            if let expected = WASIPreview1.signatures[entry.name], type != expected {
                return ["\(name): must have type \(describe(expected))"]
            }
            return []
        default:
            return ["\(name): imports may come only from \(hostModule) and \(wasiModule)"]
        }
    }

    private static func memoryProblems(in shape: ModuleShape) -> [String] {
        guard shape.exportsMemory(named: memoryExport) else { return ["export memory: missing (the module must export its memory as \"memory\")"] }
        guard shape.memories.count == 1, let memory = shape.memories.first else { return ["export memory: the module must have exactly one memory"] }
        if memory.isMemory64 || memory.shared { return ["export memory: must be a 32-bit, unshared memory"] }
        return []
    }

    static func exportProblems(in shape: ModuleShape, name: String, expected: FunctionType) -> [String] {
        switch shape.exportedFunctionType(name) {
        case .none: ["export \(name): missing (must be a function of type \(describe(expected)))"]
        case .some(.none): ["export \(name): must be a function of type \(describe(expected))"]
        case .some(.some(let type)): type == expected ? [] : ["export \(name): has type \(describe(type)), must be \(describe(expected))"]
        }
    }

    static func describe(_ type: FunctionType) -> String {
        let parameters = type.parameters.map { "\($0)" }.joined(separator: ",")
        let results = type.results.map { "\($0)" }.joined(separator: ",")
        return "(\(parameters))->(\(results))"
    }
}
