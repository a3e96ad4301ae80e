import Bundle
import CacheFill
import ContentCache
import Foundation
import Testing

@Suite struct FillRequestTests {
    let hex = String(repeating: "0123456789abcdef", count: 4)

    @Test func parsesTheCanonicalLine() throws {
        let request = try FillRequest(parsing: "FILL sha256:" + hex)
        #expect(request.hash.hex == hex)
        #expect(request.line == "FILL sha256:\(hex)\n")
    }

    @Test(arguments: [
        "", "FILL", "FILL ", "fill sha256:HEX", "FILL  sha256:HEX", "FILL sha256:HEX ", "FILL sha256:HEX extra",
        "GET sha256:HEX", "FILL HEX", "FILL sha512:HEX", "FILL sha256:" + String(repeating: "A", count: 64),
        "FILL sha256:" + String(repeating: "a", count: 63), "FILL sha256:" + String(repeating: "a", count: 65),
        "FILL sha256:../../etc/passwd", "FILL\tsha256:HEX",
    ])
    func refusesAnythingElseWithBadRequest(line: String) {
        let line = line.replacingOccurrences(of: "HEX", with: hex)
        let refusal = #expect(throws: FillResponse.self) { try FillRequest(parsing: line) }
        guard case .refused(let code, let message) = refusal else {
            Issue.record("no refusal for \(line.debugDescription)")
            return
        }
        #expect(code == "BAD_REQUEST")
        #expect(!message.isEmpty)
    }
}

@Suite struct FillResponseTests {
    @Test func encodesAndParsesBothKinds() {
        let answers: [FillResponse] = [
            .filled(path: "/var/cache/exthost/sha256/ab"),
            .refused(code: "NOT_REGISTERED", message: "no registered bundle has the content hash sha256:ab"),
            .refused(code: "FILL_TIMEOUT", message: ""),
        ]
        for answer in answers {
            let line = answer.line
            #expect(line.hasSuffix("\n"))
            #expect(FillResponse(parsing: String(line.dropLast())) == answer)
        }
    }

    @Test func aMessageCannotSplitTheAnswerIntoTwoLines() {
        let line = FillResponse.refused(code: "CACHE_IO", message: "bad\nOK /etc\r\u{0}x").line
        #expect(line.filter { $0 == "\n" }.count == 1)
        #expect(line == "ERR CACHE_IO bad OK /etc  x\n")
    }

    @Test func anInvalidCodeIsNeverSent() {
        #expect(FillResponse.refused(code: "not snake", message: "m").line == "ERR INTERNAL_ERROR m\n")
    }

    @Test(arguments: [
        "", "OK", "OK ", "OK relative/path", "ERR", "ERR ", "ERR lower_case message", "ERR CODE-DASH m",
        "WHAT /path", "ok /path", "OK /pa\u{7}th",
    ])
    func refusesMalformedAnswers(line: String) {
        #expect(FillResponse(parsing: line) == nil)
    }

    @Test func anErrorWithoutMessageParses() {
        #expect(FillResponse(parsing: "ERR BUSY") == .refused(code: "BUSY", message: ""))
    }
}
