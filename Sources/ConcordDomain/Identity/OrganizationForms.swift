/// Every organisation form (组织形式) and branch marker the name rules know, in one place.
///
/// Forms are stripped from the end of a name (and from brackets): two names that differ only in
/// their form name one enterprise. Branch markers turn "…分公司" into its parent.
enum OrganizationForms {
    /// Legal and customary forms, including 集团 and its combinations (adding or dropping 集团 does
    /// not make another enterprise).
    static let forms: [String] = [
        "集团股份有限公司", "集团有限责任公司", "集团有限公司", "集团控股有限公司", "集团股份公司", "集团公司", "集团",
        "股份有限公司", "股份有限责任公司", "有限责任公司", "有限公司", "有限责任", "股份公司", "股份合作公司", "总公司",
        "公司", "有限合伙企业", "普通合伙企业", "有限合伙", "特殊普通合伙", "普通合伙", "合伙企业", "个人独资企业",
        "个人独资", "独资企业", "股份合作社", "农民专业合作社", "专业合作社", "合作社", "联合社", "股份",
        "商行", "商店", "商号", "经营部", "门市部", "经销部", "经销处", "服务部", "工作室", "事务所",
        "厂", "店", "行", "馆", "坊", "社", "场", "部",
    ]

    /// Single-character forms are stripped only when at least this many characters remain.
    static let minimumRemainder = 2

    /// A branch (分支机构) marker at the end of a name; what precedes it is the parent (and a label).
    static let branchMarkers: [String] = [
        "中心支公司", "分公司", "支公司", "分厂", "分店", "分行", "支行", "分部", "分所", "分院", "分社",
        "办事处", "代表处", "营业部", "分中心", "分场",
    ]

    /// Forms that may end the parent part inside a branch name ("…有限公司九江分公司").
    static let parentTerminators: [String] = [
        "股份有限公司", "有限责任公司", "有限公司", "集团公司", "股份公司", "总公司", "集团", "公司",
    ]

    static let formTrie: ScalarTrie = {
        var trie = ScalarTrie(reversed: true)
        for (index, form) in forms.enumerated() { trie.insert(form, payload: Int32(index)) }
        return trie
    }()

    static let branchTrie: ScalarTrie = {
        var trie = ScalarTrie(reversed: true)
        for (index, marker) in branchMarkers.enumerated() { trie.insert(marker, payload: Int32(index)) }
        return trie
    }()

    static let parentTrie: ScalarTrie = {
        var trie = ScalarTrie(reversed: true)
        for (index, form) in parentTerminators.enumerated() { trie.insert(form, payload: Int32(index)) }
        return trie
    }()

    /// Forms recognised whole inside brackets: (集团), (有限合伙), (普通合伙), (个人独资).
    static let bracketForms: ScalarTrie = {
        var trie = ScalarTrie()
        for (index, form) in forms.enumerated() where form.unicodeScalars.count >= 2 {
            trie.insert(form, payload: Int32(index))
        }
        return trie
    }()
}
