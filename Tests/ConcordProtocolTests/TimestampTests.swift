import Foundation
import Testing
@testable import ConcordProtocol

@Suite("RFC 3339 times on the wire")
struct TimestampTests {
    @Test("valid times read to the right instant, with fractions and offsets")
    func valid() {
        #expect(Timestamp.parse("1970-01-01T00:00:00Z") == Date(timeIntervalSince1970: 0))
        #expect(Timestamp.parse("2026-11-30T08:00:00Z") == Date(timeIntervalSince1970: 1_796_025_600))
        #expect(Timestamp.parse("2026-11-30T16:00:00+08:00") == Date(timeIntervalSince1970: 1_796_025_600))
        #expect(Timestamp.parse("2026-11-30T02:30:00-05:30") == Date(timeIntervalSince1970: 1_796_025_600))
        #expect(Timestamp.parse("2024-02-29T12:00:00.5Z") == Date(timeIntervalSince1970: 1_709_208_000.5))
        #expect(abs(Timestamp.parse("1969-12-31T23:59:59.123456789Z")!.timeIntervalSince1970 + 0.876543211) < 1e-6)
        let now = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 * 1000).rounded() / 1000)
        #expect(Timestamp.parse(Timestamp.format(now)) == now)
    }

    @Test("times are written as ISO8601DateFormatter writes them, and read back")
    func written() {
        let reference = ISO8601DateFormatter()
        reference.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        #expect(Timestamp.format(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
        #expect(Timestamp.format(Date(timeIntervalSince1970: 1_709_208_000.5)) == "2024-02-29T12:00:00.500Z")
        #expect(Timestamp.format(Date(timeIntervalSince1970: -0.001)) == "1969-12-31T23:59:59.999Z")
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            // Whole milliseconds from 1900 to 2200, where the two must agree exactly.
            let ms = Int64.random(in: -2_208_988_800_000...7_258_118_400_000, using: &generator)
            let date = Date(timeIntervalSince1970: Double(ms) / 1000)
            #expect(Timestamp.format(date) == reference.string(from: date), "\(ms)")
            #expect(Timestamp.parse(Timestamp.format(date)).map { ($0.timeIntervalSince1970 * 1000).rounded() } == Double(ms))
        }
    }

    @Test("anything else is refused, including what crashed ICU's parser")
    func invalid() {
        for text in ["", "2026-11-30", "2026-11-30T08:00:00", "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z", "2026-11-31T00:00:00Z",
                     "2026-11-30T24:00:00Z", "2026-11-30T08:60:00Z", "2026-11-30T08:00:61Z", "2026-11-30T08:00:00.Z",
                     "2026-11-30T08:00:00.0000000001Z", "2026-11-30T08:00:00+0800", "2026-11-30T08:00:00+24:00",
                     "２０２６-11-30T08:00:00Z", "2026-11-30 08:00:00Z", "2026-11-30T08:00:00Zjunk",
                     "2026-11-30T08:00:00.00" + String(repeating: "9", count: 160) + "Z"] {
            #expect(Timestamp.parse(text) == nil, "\(text.prefix(40))")
        }
    }
}
