/// Enterprise names are unique within a registration authority (企业名称登记管理规定): the same
/// registered name under two different valid credit codes means one of the codes, or one of the
/// names, is wrong. Only the city can find out which, so it is a conflict of its own kind, never
/// two free enterprises. (A name that only shares brand and industry words — 九江恒通物流 and
/// 南昌恒通物流 — with another valid code is another enterprise: the region tells them apart.)
public enum NameCodeRule {
    /// The conflict's kind, as the audit chain, the event and the consoles name it.
    public static let kind = "same_name_other_code"

    /// The whole name as written, folded (full-width, brackets, case, spaces): what must not be
    /// shared by two enterprises.
    public static func registeredForm(_ name: String) -> String {
        var view = String.UnicodeScalarView()
        for value in TextFolding.fold(name) {
            if let scalar = Unicode.Scalar(value) { view.append(scalar) }
        }
        return String(view)
    }

    /// The same registered name under two different valid codes.
    public static func conflicts(_ nameA: String, codeA: String?, _ nameB: String, codeB: String?) -> Bool {
        guard let a = codeA.flatMap({ CreditCode.parse($0).validCode }), let b = codeB.flatMap({ CreditCode.parse($0).validCode }),
              a.value != b.value else { return false }
        let formA = registeredForm(nameA)
        return !formA.isEmpty && formA == registeredForm(nameB)
    }

    /// What a coordinator reads about such a conflict.
    public static func explanation(name: String, codes: [String]) -> String {
        "同名不同码：「\(name)」对应 \(codes.count) 个信用代码（\(codes.joined(separator: "、"))）。企业名称在同一登记机关内唯一，"
            + "必有一个代码或名称有误：请核实营业执照后裁决"
    }
}
