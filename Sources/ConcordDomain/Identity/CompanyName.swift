/// A company name taken apart: 行政区划 + 字号 + 行业 + 组织形式 (企业名称登记管理规定, 2021), with
/// branches mapped to their parent.
///
/// `CompanyName("观途（上海）网络科技有限公司")` has region 上海, brand 观途, industry 网络科技, form
/// 有限公司. Everything is folded first (full-width → half-width, brackets, traditional → simplified),
/// so the parts of two spellings of one name are equal.
public struct CompanyName: Sendable, Hashable {
    /// The name as given.
    public let original: String
    /// 字号: the distinctive part. Empty when the name has none (e.g. 湖北塑胶跑道工程公司).
    public let brand: String
    /// 行业 words in order, e.g. ["网络", "科技"].
    public let industry: [String]
    /// Regions as written, outermost first, e.g. ["广州市", "天河区"].
    public let regions: [String]
    /// 组织形式 parts, e.g. ["集团", "有限公司"].
    public let forms: [String]
    /// True for a branch (分公司, 办事处 …); brand, industry and regions are then its parent's.
    public let isBranch: Bool
    /// For a branch: what names it, e.g. "九江分公司".
    public let branchLabel: String?

    let brandScalars: [UInt32]
    let industryScalars: [[UInt32]]
    let regionIDs: [Int32]
    /// Region, brand and industry folded together: the whole name without its form.
    let coreScalars: [UInt32]

    public init(_ name: String) {
        self = CompanyNameParser.parse(name)
    }

    init(original: String, brand: [UInt32], industry: [[UInt32]], regions: [[UInt32]], regionIDs: [Int32],
         forms: [[UInt32]], isBranch: Bool, branchLabel: [UInt32]?, core: [UInt32]) {
        self.original = original
        self.brandScalars = brand
        self.industryScalars = industry
        self.regionIDs = regionIDs
        self.coreScalars = core
        self.brand = string(brand)
        self.industry = industry.map(string)
        self.regions = regions.map(string)
        self.forms = forms.map(string)
        self.isBranch = isBranch
        self.branchLabel = branchLabel.map(string)
    }

    /// The industry words joined, e.g. "网络科技".
    public var industryText: String { industry.joined() }

    /// Brand and industry (for a name without a brand, its whole core): what trigram search indexes.
    public var searchText: String {
        brandScalars.isEmpty ? string(coreScalars) : brand + industryText
    }

    public static func == (a: CompanyName, b: CompanyName) -> Bool { a.original == b.original }
    public func hash(into hasher: inout Hasher) { hasher.combine(original) }
}

func string(_ scalars: [UInt32]) -> String {
    var result = String.UnicodeScalarView()
    for value in scalars { if let scalar = Unicode.Scalar(value) { result.append(scalar) } }
    return String(result)
}

enum CompanyNameParser {
    static let regions = RegionCatalog.shared
    static let ordinalScalars: Set<UInt32> = Set("一二三四五六七八九十百0123456789".unicodeScalars.map(\.value))
    static let di: UInt32 = "第".unicodeScalars.first!.value

    /// County short names (昆山, 张家港) are taken as a leading region only when a brand remains,
    /// and only when the industry words survive whole: in 兴和辉物流（宜春）集团 the county 兴和 would
    /// leave 辉 before 物流, too short a brand, so 辉物流 became the brand and the industry was lost
    /// (鹤峰锦汽车零部件: brand 锦汽车, industry 零部件); the reading without the county, whose industry
    /// words are longer (兴和辉 + 物流, 鹤峰锦 + 汽车零部件), is kept instead.
    static func parse(_ name: String) -> CompanyName {
        let withCounty = parse(name, countyPrefix: true)
        guard withCounty.regions.contains(where: { !$0.isEmpty }) else { return withCounty }
        let without = parse(name, countyPrefix: false)
        if withCounty.brandScalars.count >= 2 {
            let longerIndustry = without.industryScalars.joined().count > withCounty.industryScalars.joined().count
            return longerIndustry && without.brandScalars.count >= 2 ? without : withCounty
        }
        return without.brandScalars.count > withCounty.brandScalars.count ? without : withCounty
    }

    /// Sub-county places that precede a brand: 千灯镇, 奎聚街道, 开发区 …
    static let localitySuffixes: ScalarTrie = {
        var trie = ScalarTrie(reversed: true)
        for (index, suffix) in ["镇", "乡", "街道", "街", "开发区", "保税区", "高新区", "新区", "工业园区", "工业园", "园区", "经济区"].enumerated() {
            trie.insert(suffix, payload: Int32(index))
        }
        return trie
    }()

    static func parse(_ name: String, countyPrefix: Bool) -> CompanyName {
        var text = TextFolding.fold(name)
        var regionParts: [[UInt32]] = []
        var regionIDs: [Int32] = []
        var forms: [[UInt32]] = []

        // 1. Brackets: a region or a form inside them comes out; other content stays, unbracketed.
        text = resolveBrackets(text, regionParts: &regionParts, regionIDs: &regionIDs, forms: &forms)

        // 2. A branch marker at the end: keep the parent, remember the label.
        var isBranch = false
        var label: [UInt32] = []
        if let marker = OrganizationForms.branchTrie.longestMatch(in: text, at: text.count),
           text.count - marker.length >= 2 {
            isBranch = true
            label = Array(text[(text.count - marker.length)...])
            text.removeLast(marker.length)
            // "第一分公司": the ordinal belongs to the label.
            var end = text.count
            while end > 0 && ordinalScalars.contains(text[end - 1]) { end -= 1 }
            if end < text.count && end > 0 && text[end - 1] == di && end - 1 >= 2 {
                label = Array(text[(end - 1)...]) + label
                text.removeLast(text.count - (end - 1))
            }
            // "…有限公司九江": the parent ends at its last form; what follows names the branch.
            var position = text.count
            while position >= 2 {
                if let terminator = OrganizationForms.parentTrie.longestMatch(in: text, at: position),
                   position - terminator.length >= 2 {
                    if position < text.count {
                        label = Array(text[position...]) + label
                        text.removeLast(text.count - position)
                    }
                    break
                }
                position -= 1
            }
        }

        // 3. Organisation forms from the end (集团有限公司, 有限公司, 集团 …).
        for _ in 0..<4 {
            guard let form = OrganizationForms.formTrie.longestMatch(in: text, at: text.count) else { break }
            let remainder = text.count - form.length
            let minimum = form.length == 1 ? OrganizationForms.minimumRemainder : 1
            guard remainder >= minimum else { break }
            // 书店, 花店: a one-character form that ends an industry word stays with the industry.
            if form.length == 1, let word = IndustryLexicon.trie.longestMatch(in: text, at: text.count),
               word.length >= 2, text.count - word.length >= 2 { break }
            forms.insert(Array(text[remainder...]), at: 0)
            text.removeLast(form.length)
        }

        // 4. Regions at the front: 江西省九江市…, 广州市天河区…, 深圳福田…
        var start = 0
        var prefixParts: [[UInt32]] = []
        var prefixIDs: [Int32] = []
        for _ in 0..<4 {
            var match = regions.general.longestMatch(in: text, at: start)
            if countyPrefix, let county = regions.bracketed.longestMatch(in: text, at: start),
               county.length > (match?.length ?? 0),
               prefixIDs.last.map({ isBelow(county.payload, $0) }) ?? true {
                match = county
            }
            guard let found = match, text.count - start - found.length >= 2 else { break }
            prefixParts.append(Array(text[start..<(start + found.length)]))
            prefixIDs.append(found.payload)
            start += found.length
        }
        // A town, street or zone right after the leading regions: 昆山千灯镇…, 大庆开发区…
        if !prefixIDs.isEmpty {
            let limit = min(text.count - 2, start + 6)
            var position = start + 1
            while position <= limit {
                if let locality = localitySuffixes.longestMatch(in: text, at: position),
                   position - locality.length >= start {
                    // 街 then 街道: take the longer place name.
                    var end = position
                    if end + 1 <= limit, let longer = localitySuffixes.longestMatch(in: text, at: end + 1), longer.length >= 2 {
                        end += 1
                    }
                    prefixParts.append(Array(text[start..<end]))
                    start = end
                    break
                }
                position += 1
            }
        }
        regionParts.insert(contentsOf: prefixParts, at: 0)
        regionIDs.insert(contentsOf: prefixIDs, at: 0)

        // 5. A region just before the form: 新月能源石家庄公司, 华为九江(分公司).
        var end = text.count
        if let suffix = regions.generalSuffix.longestMatch(in: text, at: end), end - suffix.length - start >= 2 {
            let part = Array(text[(end - suffix.length)..<end])
            if isBranch {
                label = part + label
            } else {
                regionParts.append(part)
                regionIDs.append(suffix.payload)
            }
            end -= suffix.length
        }

        // 6. Industry words from the end; the rest is the brand.
        var industry: [[UInt32]] = []
        while true {
            let candidates = IndustryLexicon.trie.allMatches(in: text, at: end, limit: end - start)
            guard let word = candidates.first(where: { end - $0.length - start >= 2 }) else { break }
            industry.insert(Array(text[(end - word.length)..<end]), at: 0)
            end -= word.length
        }
        var brand = Array(text[start..<end])

        // 7. A region between brand and industry without brackets: 观途上海科技.
        if let middle = regions.generalSuffix.longestMatch(in: brand, at: brand.count), brand.count - middle.length >= 2 {
            regionParts.append(Array(brand[(brand.count - middle.length)...]))
            regionIDs.append(middle.payload)
            brand.removeLast(middle.length)
        }
        // A "brand" that is itself an industry word means the name has no brand.
        if IndustryLexicon.trie.contains(brand[...]) {
            industry.insert(brand, at: 0)
            brand = []
        }

        let core = regionParts.flatMap { $0 } + brand + industry.flatMap { $0 }
        return CompanyName(original: name, brand: brand, industry: industry, regions: regionParts, regionIDs: regionIDs,
                           forms: forms, isBranch: isBranch, branchLabel: isBranch ? label : nil, core: core)
    }

    /// Whether some reading of region `child` lies inside some reading of region `parent`.
    static func isBelow(_ child: Int32, _ parent: Int32) -> Bool {
        for c in regions.candidates[Int(child)] {
            let childPath = regions.divisions[c].path
            for p in regions.candidates[Int(parent)] {
                let parentPath = regions.divisions[p].path
                if childPath.count > parentPath.count && Array(childPath.prefix(parentPath.count)) == parentPath {
                    return true
                }
            }
        }
        return false
    }

    static func resolveBrackets(_ text: [UInt32], regionParts: inout [[UInt32]], regionIDs: inout [Int32],
                                forms: inout [[UInt32]]) -> [UInt32] {
        guard text.contains(TextFolding.openBracket) || text.contains(TextFolding.closeBracket) else { return text }
        var out: [UInt32] = []
        out.reserveCapacity(text.count)
        var index = 0
        while index < text.count {
            let c = text[index]
            if c == TextFolding.openBracket, let close = text[(index + 1)...].firstIndex(of: TextFolding.closeBracket) {
                let content = Array(text[(index + 1)..<close])
                if let region = regions.bracketed.longestMatch(in: content, at: 0), region.length == content.count {
                    regionParts.append(content)
                    regionIDs.append(region.payload)
                } else if let form = OrganizationForms.bracketForms.longestMatch(in: content, at: 0),
                          form.length == content.count {
                    forms.append(content)
                } else {
                    out.append(contentsOf: content)
                }
                index = close + 1
                continue
            }
            if c != TextFolding.openBracket && c != TextFolding.closeBracket { out.append(c) }
            index += 1
        }
        return out
    }
}
