import FuzzSupport

/// The fuzz body of `fuzz-fastcgi`. The first byte picks what the rest is: a query string, a C
/// parameter block (`NAME=value` strings separated by NUL bytes) turned into a `Request`, or
/// name-value pairs sent to libfcgi as FastCGI records and read back.
enum FastCGIFuzzing {
    static func run(_ data: UnsafeRawBufferPointer) {
        var input = FuzzedInput(data)
        switch input.byte() % 3 {
        case 0: QueryChecks.check(input.rest())
        case 1: ParameterBlockChecks.check(input.rest())
        default: RecordChecks.check(&input)
        }
    }
}
