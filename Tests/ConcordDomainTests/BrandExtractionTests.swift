import Testing
@testable import ConcordDomain

@Suite("Brand extraction on companynameparser's labelled names")
struct BrandExtractionTests {
    @Test("brands of the labelled real names are extracted")
    func groundTruth() throws {
        var total = 0
        var correct = 0
        var misses: [String] = []
        for line in try Fixtures.lines("groundtruth.txt") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            guard let name = fields.first else { continue }
            let expected = fields.count > 1 ? fields[1] : ""
            let parsed = CompanyName(name)
            total += 1
            if parsed.brand == expected {
                correct += 1
            } else {
                misses.append("\(name)\texpected=\(expected)\tgot=\(parsed.brand)\tindustry=\(parsed.industry)\tregions=\(parsed.regions)")
            }
        }
        let accuracy = Double(correct) / Double(total)
        print("brand extraction: \(correct)/\(total) = \(accuracy)")
        for miss in misses { print("MISS \(miss)") }
        #expect(accuracy >= 0.93)
    }
}
