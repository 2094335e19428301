import ConcordDomain
import Foundation

/// Leads from a UTF-8 CSV file (RFC 4180 quoting; the first row names the columns), with a report
/// per row. Any refused row means nothing is imported. Shared by `lead add --csv` and the console.
public enum LeadCSV {
    public static let columns: Set<String> = [
        "investor_name", "credit_code", "project_name", "industry", "industry_chain", "investment_wan", "fixed_asset_wan",
        "land_mu", "energy_tce", "environment_note", "expected_output_wan", "expected_tax_wan", "referrer", "officer",
        "first_contact", "stage", "notes",
    ]

    public struct Row: Sendable {
        /// The line in the file (the header is line 1).
        public let line: Int
        public let investorName: String
        /// Empty when the row may be imported.
        public let problems: [String]
        /// A warning that does not refuse the row (an invalid credit code is kept and matched by name).
        public let warning: String?
    }

    public struct Report: Sendable {
        public let rows: [Row]
        public let leads: [NewLead]
        public var refused: Int { rows.filter { !$0.problems.isEmpty }.count }
        public var importable: Bool { refused == 0 && !leads.isEmpty }
    }

    public struct FileError: Error, Sendable {
        public let code: String
        public let message: String
    }

    public static func parse(_ data: [UInt8]) throws -> Report {
        guard var text = String(validating: data, as: UTF8.self) else {
            throw FileError(code: "CSV_ENCODING", message: "文件不是 UTF-8 编码；请在表格软件中另存为「CSV UTF-8」")
        }
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        return try parse(text)
    }

    public static func parse(_ text: String) throws -> Report {
        let rows = CSVText.rows(text)
        guard let header = rows.first?.map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }),
              !(header.count == 1 && header[0].isEmpty) else {
            throw FileError(code: "CSV_EMPTY", message: "文件是空的")
        }
        if let unknown = header.first(where: { !columns.contains($0) }) {
            throw FileError(code: "CSV_COLUMN", message: "未知的列名「\(unknown)」；可用：\(columns.sorted().joined(separator: " "))")
        }
        guard header.contains("investor_name") else { throw FileError(code: "CSV_COLUMN", message: "缺少必需的列 investor_name") }
        var report: [Row] = []
        var leads: [NewLead] = []
        for (index, row) in rows.dropFirst().enumerated() where !(row.count == 1 && row[0].isEmpty) {
            var fields: [String: String] = [:]
            for (column, value) in zip(header, row) {
                let trimmed = value.trimmingCharacters(in: .whitespaces)
                if !trimmed.isEmpty { fields[column] = trimmed }
            }
            var problems: [String] = []
            if row.count != header.count { problems.append("有 \(row.count) 列，表头有 \(header.count) 列") }
            func number(_ column: String) -> Double? {
                guard let text = fields[column] else { return nil }
                guard let value = Double(text.replacingOccurrences(of: ",", with: "")) else {
                    problems.append("\(column) 不是数字：\(text)")
                    return nil
                }
                return value
            }
            let stageText = fields["stage"] ?? "lead"
            let stage = LeadStage(text: stageText)
            if stage == nil { problems.append("未知的阶段：\(stageText)") }
            var lead = NewLead(investorName: fields["investor_name"] ?? "", stage: stage ?? .lead)
            (lead.creditCode, lead.projectName, lead.industry) = (fields["credit_code"], fields["project_name"], fields["industry"])
            (lead.industryChain, lead.environmentNote, lead.referrer) = (fields["industry_chain"], fields["environment_note"], fields["referrer"])
            (lead.officer, lead.firstContact, lead.notes) = (fields["officer"], fields["first_contact"], fields["notes"])
            (lead.investmentWan, lead.fixedAssetWan, lead.landMu) = (number("investment_wan"), number("fixed_asset_wan"), number("land_mu"))
            (lead.energyTce, lead.expectedOutputWan, lead.expectedTaxWan) = (number("energy_tce"), number("expected_output_wan"), number("expected_tax_wan"))
            problems += lead.problems()
            let warning = lead.creditCode.flatMap { CreditCode.parse($0).problem }.map { "信用代码 \($0.code)：\($0.explanation)，将按名称匹配" }
            report.append(Row(line: index + 2, investorName: lead.investorName, problems: problems, warning: warning))
            if problems.isEmpty { leads.append(lead) }
        }
        return Report(rows: report, leads: leads)
    }
}
