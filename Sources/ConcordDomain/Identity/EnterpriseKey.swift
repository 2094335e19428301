/// The keys under which the hub registers a claim on an enterprise.
///
/// A valid credit code identifies the enterprise by itself (`uscc:…`). The name key (`name:…`) is
/// the brand and industry words, so the same name written with another region position, form,
/// bracket style or script has the same key, and a branch has its parent's key. A name without a
/// brand keeps its region in the key (湖北塑胶跑道工程 is not 广东塑胶跑道工程). A claim holds both keys
/// when it has both; two active claims sharing either key are the same enterprise.
public struct EnterpriseKey: Hashable, Sendable {
    public let codeKey: String?
    public let nameKey: String?

    public init(name: CompanyName, code: CreditCode.ParseResult?) {
        codeKey = code?.validCode.map { "uscc:" + $0.value }
        if !name.brandScalars.isEmpty {
            nameKey = "name:" + name.brand + "|" + name.industryText
        } else if !name.coreScalars.isEmpty {
            nameKey = "name:|" + string(name.coreScalars)
        } else {
            nameKey = nil
        }
    }

    /// Both keys, code first, for locking in a fixed order.
    public var all: [String] { [codeKey, nameKey].compactMap { $0 } }
}
