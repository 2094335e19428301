import Testing
@testable import ConcordDomain

@Suite("Evaluation on the labelled name pairs")
struct EvaluationTests {
    @Test("precision of `same` is at least 0.98 and recall at least 0.95")
    func precisionAndRecall() throws {
        var truePositives = 0, falsePositives = 0, falseNegatives = 0, total = 0
        var mistakes: [String] = []
        for line in try Fixtures.lines("name-pairs.tsv") {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard f.count >= 6 else { continue }
            total += 1
            let codeA = f[3].isEmpty ? nil : CreditCode.parse(f[3])
            let codeB = f[4].isEmpty ? nil : CreditCode.parse(f[4])
            let result = EnterpriseMatch.compare(CompanyName(f[1]), CompanyName(f[2]), codeA: codeA, codeB: codeB)
            let predictedSame = result.verdict == .same
            let labelledSame = f[0] == "same"
            switch (predictedSame, labelledSame) {
            case (true, true): truePositives += 1
            case (true, false): falsePositives += 1; mistakes.append("FP \(f[5]): \(f[1]) | \(f[2]) \(result.reasons)")
            case (false, true): falseNegatives += 1; mistakes.append("FN \(f[5]): \(f[1]) | \(f[2]) \(result.verdict) \(result.reasons)")
            case (false, false): break
            }
        }
        let precision = Double(truePositives) / Double(max(1, truePositives + falsePositives))
        let recall = Double(truePositives) / Double(max(1, truePositives + falseNegatives))
        print("name-pair evaluation: \(total) pairs, precision \(precision), recall \(recall) (tp \(truePositives), fp \(falsePositives), fn \(falseNegatives))")
        for mistake in mistakes { print(mistake) }
        #expect(total >= 300)
        #expect(precision >= 0.98)
        #expect(recall >= 0.95)
    }
}
