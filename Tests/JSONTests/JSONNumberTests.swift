import JSON
import Testing

@Suite struct JSONNumberTests {
    func number(_ text: String) throws -> JSONNumber {
        try #require(try JSONValue.parse(text).numberValue)
    }

    @Test func keepsTheTextExactly() throws {
        for text in ["123456789012345678901234567890", "1.000", "-0", "1E+02", "0.1", "6.02214076e23"] {
            #expect(try number(text).text == text)
            #expect(try JSONValue.parse(text).serialized() == text)
        }
    }

    @Test func integersRoundTripExactlyUpTo2Pow53AndBeyond() throws {
        let limit = 1 << 53
        for value in [0, 1, -1, limit - 1, limit, limit + 1, -limit, Int.max, Int.min] {
            #expect(try number(String(value)).intValue == value)
            #expect(JSONValue.number(value).serialized() == String(value))
        }
        #expect(try number("9223372036854775808").intValue == nil)
        #expect(try number("-9223372036854775809").intValue == nil)
        #expect(try number("123456789012345678901234567890").intValue == nil)
    }

    @Test func intValueRejectsNonIntegers() throws {
        for text in ["1.5", "0.1", "1e-1", "-2.000001", "1e100"] {
            #expect(try number(text).intValue == nil, "\(text)")
        }
        #expect(try number("1.0").intValue == 1)
        #expect(try number("1e3").intValue == 1000)
        #expect(try number("12.50e1").intValue == 125)
        #expect(try number("-0.0").intValue == 0)
        #expect(try number("0e99999999999999999999").intValue == 0)
        #expect(try number("1e-99999999999999999999").intValue == nil)
        #expect(try number("-9.223372036854775808e18").intValue == Int.min)
    }

    @Test func doubleValue() throws {
        #expect(try number("0.1").doubleValue == 0.1)
        #expect(try number("-2.5e-3").doubleValue == -0.0025)
        #expect(try number("1e400").doubleValue == nil)
        #expect(try number("123456789012345678901234567890").doubleValue == 1.2345678901234568e29)
    }

    @Test func makesNumbersFromDoubles() throws {
        #expect(JSONNumber(Double.nan) == nil)
        #expect(JSONNumber(Double.infinity) == nil)
        for value in [0.1, -2.5, 1e-5, 5e20, 1.0, 123.456] {
            let text = try #require(JSONNumber(value)).text
            #expect(try JSONValue.parse(text).doubleValue == value, "\(text)")
        }
    }

    @Test func makesNumbersFromText() {
        #expect(JSONNumber(text: "1.50")?.text == "1.50")
        #expect(JSONNumber(text: "-0e-0")?.intValue == 0)
        for text in ["", " 1", "1 ", "+1", "01", "1.", "NaN", "\"1\"", "[1]"] {
            #expect(JSONNumber(text: text) == nil, "\(text)")
        }
    }

    @Test func equalityIsNumeric() throws {
        #expect(try number("1") == number("1.0"))
        #expect(try number("100") == number("1e2"))
        #expect(try number("0.5") == number("5e-1"))
        #expect(try number("1") != number("1.5"))
        #expect(try number("9007199254740993") != number("9007199254740992"))
        #expect(try number("-0") == number("0"))
    }
}
