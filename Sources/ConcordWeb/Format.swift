import ConcordDomain
import ConcordStore
import Foundation

/// How the consoles write times, ages and states. Pure.
enum Format {
    static func time(_ date: Date) -> String { LeadText.dateFormat.string(from: date) }

    /// "3 天 4 小时", "5 小时 12 分", "8 分钟".
    static func age(_ seconds: TimeInterval) -> String {
        let total = max(0, Int(seconds))
        let (days, hours, minutes) = (total / 86_400, total % 86_400 / 3600, total % 3600 / 60)
        if days > 0 { return "\(days) 天 \(hours) 小时" }
        if hours > 0 { return "\(hours) 小时 \(minutes) 分" }
        return "\(minutes) 分钟"
    }

    static func verdict(_ verdict: EnterpriseMatch.Verdict) -> String {
        switch verdict {
        case .same: return "同一企业"
        case .possible: return "可能是同一企业"
        case .different: return "不同企业"
        }
    }

    static func cityLeadStatus(_ status: String) -> String {
        ["pool": "待派", "offered": "已派待答复", "accepted": "区县已接受"][status] ?? status
    }

    static func claimStatus(_ status: String) -> String {
        ["held": "占有", "contested": "撞单待裁决", "settled": "已投产", "released": "已释放", "joint": "联合招引",
         "taskforce": "市级专班", "distinct": "不同项目"][status] ?? status
    }

    static func tenantKind(_ kind: Tenant.Kind) -> String {
        switch kind {
        case .hub: return "协同中心"
        case .county: return "区县节点"
        case .department: return "审批部门"
        case .coordinator: return "市级协调人员"
        }
    }
}

/// Marks the part of a company name that identifies it (its brand) so a coordinator sees at a
/// glance why two names were judged the same. Returns escaped HTML.
enum Highlight {
    static func mark(_ name: String, _ brand: String) -> String {
        guard !brand.isEmpty, let range = name.range(of: brand) else { return HTMLText.escape(name) }
        return HTMLText.escape(String(name[..<range.lowerBound])) + "<mark>" + HTMLText.escape(String(name[range]))
            + "</mark>" + HTMLText.escape(String(name[range.upperBound...]))
    }
}
