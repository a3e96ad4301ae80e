import ExthostCore

/// An error the CLI prints as one line: `CODE: message` for the product's typed errors.
struct CLIError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) { self.description = description }

    /// Renders any error for a terminal: typed errors keep their stable code.
    init(_ error: any Error) {
        if let typed = error as? any HTTPError {
            description = "\(typed.code): \(typed.message)"
        } else {
            description = "\(error)"
        }
    }
}

/// Runs `body`, turning any failure into a `CLIError` with the given context.
func cliAttempt<T>(_ context: String, _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch {
        throw CLIError("\(context): \(CLIError(error).description)")
    }
}
