import ConcordDomain
import ConcordNode
import Foundation

/// `lead add --csv`: reads the file with LeadCSV and prints its report per row. Any refused row
/// means nothing is imported.
enum CSVImport {
    static func read(_ path: String) throws -> [NewLead] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CLIError("CSV_NOT_FOUND", "找不到文件：\(path)")
        }
        let report: LeadCSV.Report
        do {
            report = try LeadCSV.parse(Array(data))
        } catch let error as LeadCSV.FileError {
            throw CLIError(error.code, "\(path)：\(error.message)")
        }
        for row in report.rows {
            if row.problems.isEmpty {
                print("第 \(row.line) 行：可导入  \(row.investorName)")
            } else {
                print("第 \(row.line) 行：拒绝  \(row.problems.joined(separator: "；"))")
            }
        }
        if report.refused > 0 {
            throw CLIError("CSV_REFUSED", "\(report.refused) 行有误，全部未导入；请改正后重新导入")
        }
        guard !report.leads.isEmpty else { throw CLIError("CSV_EMPTY", "\(path) 没有数据行") }
        return report.leads
    }
}
