/// Stops the process with `message` when `condition` fails. Unlike `precondition`, whose message
/// optimized builds drop, the message reaches the fuzzer's log and the replayer's output, which
/// is what makes a finding readable.
public func fuzzCheck(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) {
    if !condition() { fatalError(message(), file: file, line: line) }
}
