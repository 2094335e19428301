/// Whether two records name the same enterprise, how sure, and why, in words an officer reads.
///
/// `possible` goes to a coordinator; it never blocks an office by itself.
public struct EnterpriseMatch: Sendable, Equatable {
    public enum Verdict: String, Sendable, Codable {
        case same, possible, different
    }

    public let verdict: Verdict
    /// Confidence that the two are one enterprise, in [0, 1]. The values are fixed per rule, so a
    /// score means the same thing everywhere:
    /// - 1.00 equal valid credit codes;
    /// - 0.98 identical names once region, form and writing variants are set aside;
    /// - 0.95 same brand, compatible industry and region (incl. a branch and its parent);
    /// - 0.70 same brand, only the region differs;
    /// - 0.60 same brand, different industry words;
    /// - 0.50 same brand, region and industry both differ;
    /// - 0.45 one brand contains the other, or long brands one character apart;
    /// - below 0.30 different: 0.30 × the share of brand characters in common;
    /// - 0.00 different valid credit codes.
    public let score: Double
    public let reasons: [String]

    public enum Score {
        public static let equalCodes = 1.0
        public static let identicalNames = 0.98
        public static let sameBrand = 0.95
        public static let regionDiffers = 0.70
        public static let industryDiffers = 0.60
        public static let regionAndIndustryDiffer = 0.50
        public static let similarBrand = 0.45
        public static let differentBrandCeiling = 0.30
        public static let differentCodes = 0.0
    }

    /// Compares two records by credit code first, then by name.
    public static func compare(_ a: CompanyName, _ b: CompanyName,
                               codeA: CreditCode.ParseResult? = nil,
                               codeB: CreditCode.ParseResult? = nil) -> EnterpriseMatch {
        var reasons: [String] = []
        for (label, result) in [("甲", codeA), ("乙", codeB)] {
            if case .checkCharacterMismatch(let code, _)? = result {
                reasons.append("\(label)方信用代码 \(code.value) 校验位错误，改按名称比较")
            }
        }
        if let validA = codeA?.validCode, let validB = codeB?.validCode {
            if validA == validB {
                return EnterpriseMatch(verdict: .same, score: Score.equalCodes,
                                       reasons: reasons + ["统一社会信用代码相同：\(validA.value)"])
            }
            // A branch has its own code: different codes may still be a branch and its parent.
            guard a.isBranch != b.isBranch else {
                return EnterpriseMatch(verdict: .different, score: Score.differentCodes,
                                       reasons: reasons + ["统一社会信用代码不同：\(validA.value) 与 \(validB.value)"])
            }
            reasons.append("统一社会信用代码不同，但一方是分支机构，按名称判断是否为总分关系")
        }
        return compareNames(a, b, reasons: reasons)
    }

    static func compareNames(_ a: CompanyName, _ b: CompanyName, reasons initial: [String]) -> EnterpriseMatch {
        var reasons = initial
        let regions = RegionCatalog.shared

        // Names without a brand can only match when they are the same words.
        if a.brandScalars.isEmpty || b.brandScalars.isEmpty {
            let sameWords = a.brandScalars == b.brandScalars && a.industryScalars == b.industryScalars
            if sameWords && !a.coreScalars.isEmpty && (a.coreScalars == b.coreScalars || regions.equivalent(a.regionIDs, b.regionIDs)) {
                return EnterpriseMatch(verdict: .same, score: Score.identicalNames,
                                       reasons: reasons + ["名称相同（不计组织形式和写法差异）：\(string(a.coreScalars))"])
            }
            let which = a.brandScalars.isEmpty && b.brandScalars.isEmpty ? "两个名称都" : (a.brandScalars.isEmpty ? "甲方名称" : "乙方名称")
            reasons.append("\(which)没有字号，只凭地区和行业不能认定为同一企业")
            return EnterpriseMatch(verdict: .different, score: 0.1, reasons: reasons)
        }

        let regionsCompatible = regions.compatible(a.regionIDs, b.regionIDs)
        let industryCompatible = industriesCompatible(a.industryScalars, b.industryScalars)

        if a.brandScalars != b.brandScalars {
            let similarity = brandSimilarity(a.brandScalars, b.brandScalars)
            let contained = contains(a.brandScalars, b.brandScalars) || contains(b.brandScalars, a.brandScalars)
            let oneApart = min(a.brandScalars.count, b.brandScalars.count) >= 4 && editDistanceIsOne(a.brandScalars, b.brandScalars)
            if (contained || oneApart) && industryCompatible {
                reasons.append(contained ? "字号相近：\(a.brand) 与 \(b.brand)（一方包含另一方）"
                                         : "字号相近：\(a.brand) 与 \(b.brand)（仅差一个字，可能是录入错误）")
                reasons.append(industryReason(a, b, compatible: true))
                return EnterpriseMatch(verdict: .possible, score: Score.similarBrand, reasons: reasons)
            }
            reasons.append("字号不同：\(a.brand) 与 \(b.brand)")
            if regionsCompatible && industryCompatible && !(a.regions.isEmpty && b.regions.isEmpty) {
                reasons.append("仅地区和行业相同，不足以认定为同一企业")
            }
            return EnterpriseMatch(verdict: .different, score: Score.differentBrandCeiling * similarity, reasons: reasons)
        }

        reasons.append("字号相同：\(a.brand)")
        if a.isBranch != b.isBranch {
            let (branch, parent) = a.isBranch ? (a, b) : (b, a)
            reasons.append("总分关系：\(branch.original) 是 \(parent.original) 的分支机构（\(branch.branchLabel ?? "分支机构")）")
        } else if a.isBranch && b.isBranch && a.branchLabel != b.branchLabel {
            reasons.append("两者都是同一企业的分支机构（\(a.branchLabel ?? "") 与 \(b.branchLabel ?? "")），按总公司认定")
        }
        reasons.append(industryReason(a, b, compatible: industryCompatible))
        reasons.append(regionReason(a, b, compatible: regionsCompatible))
        if a.forms != b.forms && !a.forms.isEmpty && !b.forms.isEmpty {
            reasons.append("组织形式不同（\(a.forms.joined()) 与 \(b.forms.joined())），不影响认定")
        }

        switch (industryCompatible, regionsCompatible) {
        case (true, true):
            let identical = a.coreScalars == b.coreScalars
            return EnterpriseMatch(verdict: .same, score: identical ? Score.identicalNames : Score.sameBrand, reasons: reasons)
        case (true, false):
            return EnterpriseMatch(verdict: .possible, score: Score.regionDiffers, reasons: reasons)
        case (false, true):
            return EnterpriseMatch(verdict: .possible, score: Score.industryDiffers, reasons: reasons)
        case (false, false):
            return EnterpriseMatch(verdict: .possible, score: Score.regionAndIndustryDiffer, reasons: reasons)
        }
    }

    static func industryReason(_ a: CompanyName, _ b: CompanyName, compatible: Bool) -> String {
        let x = a.industryText, y = b.industryText
        if x == y { return x.isEmpty ? "均未写行业词" : "行业词相同：\(x)" }
        if x.isEmpty || y.isEmpty { return "一方未写行业词（\(x.isEmpty ? y : x)），不影响认定" }
        return compatible ? "行业词相容：\(x) 与 \(y)" : "行业词不同：\(x) 与 \(y)"
    }

    static func regionReason(_ a: CompanyName, _ b: CompanyName, compatible: Bool) -> String {
        let x = a.regions.joined(), y = b.regions.joined()
        if x == y { return x.isEmpty ? "均未写地区" : "地区相同：\(x)" }
        if x.isEmpty || y.isEmpty { return "一方未写地区（\(x.isEmpty ? y : x)），不影响认定" }
        return compatible ? "地区相容：\(x) 与 \(y)（行政区划包含关系）" : "仅地区不同：\(x) 与 \(y)"
    }

    /// Industry words agree when either side has none or one side's words contain the other's
    /// (科技 within 新能源科技; 控股 added to a group name).
    static func industriesCompatible(_ a: [[UInt32]], _ b: [[UInt32]]) -> Bool {
        if a.isEmpty || b.isEmpty { return true }
        let x = a.flatMap { $0 }, y = b.flatMap { $0 }
        if x == y { return true }
        let setA = Set(a), setB = Set(b)
        return setA.isSubset(of: setB) || setB.isSubset(of: setA) || contains(x, y) || contains(y, x)
    }

    static func contains(_ haystack: [UInt32], _ needle: [UInt32]) -> Bool {
        guard needle.count >= 2, needle.count < haystack.count else { return false }
        outer: for start in 0...(haystack.count - needle.count) {
            for offset in 0..<needle.count where haystack[start + offset] != needle[offset] { continue outer }
            return true
        }
        return false
    }

    /// Dice coefficient over characters: 2·|common| / (|a| + |b|).
    static func brandSimilarity(_ a: [UInt32], _ b: [UInt32]) -> Double {
        guard !a.isEmpty || !b.isEmpty else { return 0 }
        var remaining = b
        var common = 0
        for scalar in a {
            if let index = remaining.firstIndex(of: scalar) {
                remaining.remove(at: index)
                common += 1
            }
        }
        return 2 * Double(common) / Double(a.count + b.count)
    }

    /// True when one substitution, insertion or deletion turns `a` into `b`.
    static func editDistanceIsOne(_ a: [UInt32], _ b: [UInt32]) -> Bool {
        if a.count == b.count {
            var differences = 0
            for index in a.indices where a[index] != b[index] {
                differences += 1
                if differences > 1 { return false }
            }
            return differences == 1
        }
        let (short, long) = a.count < b.count ? (a, b) : (b, a)
        guard long.count - short.count == 1 else { return false }
        var i = 0, j = 0, skipped = false
        while i < short.count && j < long.count {
            if short[i] == long[j] {
                i += 1
                j += 1
            } else {
                if skipped { return false }
                skipped = true
                j += 1
            }
        }
        return true
    }
}

extension EnterpriseMatch {
    /// The reasons as an office may read them when the other record is another office's claim
    /// (a `check` answer): what kind of agreement was found, never the other record's brand,
    /// industry words, region, form or code. The asker wrote its own side and learns nothing else.
    public static func withoutOtherSide(_ reasons: [String]) -> [String] {
        var out: [String] = []
        for reason in reasons {
            // The asker is 甲 (`compare(asked, held)`): its own code's problem may be told, the
            // other side's not.
            if reason.hasPrefix("乙方") { continue }
            if reason.hasPrefix("甲方信用代码") {
                out.append("所填信用代码校验位错误，改按名称比较")
                continue
            }
            if reason.hasPrefix("组织形式不同") || reason.hasPrefix("乙方名称") { continue }
            if reason.hasPrefix("总分关系") || reason.hasPrefix("两者都是同一企业的分支机构") {
                out.append("可能是总公司与分支机构的关系")
                continue
            }
            // "字号相近：A 与 B（…）" → "字号相近"; "行业词相容：x 与 y" → "行业词相容".
            let cut = reason.firstIndex { $0 == "：" || $0 == "（" } ?? reason.endIndex
            let kind = String(reason[..<cut])
            if !kind.isEmpty, !out.contains(kind) { out.append(kind) }
        }
        return out
    }
}
