/// Stops the process with `message` when `condition` fails. Unlike `precondition`, whose message
/// optimized builds drop, the message reaches the fuzzer's log, which is what makes a finding
/// readable.
func require(
    _ condition: @autoclosure () -> Bool,
    _ message: @autoclosure () -> String,
    file: StaticString = #fileID,
    line: UInt = #line
) {
    if !condition() { fatalError(message(), file: file, line: line) }
}
