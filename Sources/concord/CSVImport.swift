import ConcordDomain
import ConcordNode
import Foundation

/// Reads leads from a UTF-8 CSV file (RFC 4180 quoting; the first row names the columns) and
/// prints a report per row. Any refused row means nothing is imported.
enum CSVImport {
    static let columns: Set<String> = [
        "investor_name", "credit_code", "project_name", "industry", "industry_chain", "investment_wan", "fixed_asset_wan",
        "land_mu", "energy_tce", "environment_note", "expected_output_wan", "expected_tax_wan", "referrer", "officer",
        "first_contact", "stage", "notes",
    ]

    static func read(_ path: String) throws -> [NewLead] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CLIError("CSV_NOT_FOUND", "找不到文件：\(path)")
        }
        guard var text = String(data: data, encoding: .utf8) else {
            throw CLIError("CSV_ENCODING", "\(path) 不是 UTF-8 编码；请另存为 UTF-8 CSV")
        }
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        let rows = CSVText.rows(text)
        guard let header = rows.first?.map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) else {
            throw CLIError("CSV_EMPTY", "\(path) 是空文件")
        }
        if let unknown = header.first(where: { !columns.contains($0) }) {
            throw CLIError("CSV_COLUMN", "未知的列名「\(unknown)」；可用：\(columns.sorted().joined(separator: " "))")
        }
        guard header.contains("investor_name") else { throw CLIError("CSV_COLUMN", "缺少必需的列 investor_name") }
        var leads: [NewLead] = []
        var refused = 0
        for (index, row) in rows.dropFirst().enumerated() where !(row.count == 1 && row[0].isEmpty) {
            let line = index + 2
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
            if problems.isEmpty {
                print("第 \(line) 行：可导入  \(lead.investorName)")
                leads.append(lead)
            } else {
                refused += 1
                print("第 \(line) 行：拒绝  \(problems.joined(separator: "；"))")
            }
        }
        if refused > 0 {
            throw CLIError("CSV_REFUSED", "\(refused) 行有误，全部未导入；请改正后重新导入")
        }
        guard !leads.isEmpty else { throw CLIError("CSV_EMPTY", "\(path) 没有数据行") }
        return leads
    }
}
