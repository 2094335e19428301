import Testing
@testable import ConcordDomain

@Suite("Matching enterprises, with reasons")
struct EnterpriseMatchTests {
    func match(_ a: String, _ b: String, _ codeA: String? = nil, _ codeB: String? = nil) -> EnterpriseMatch {
        EnterpriseMatch.compare(CompanyName(a), CompanyName(b),
                                codeA: codeA.map(CreditCode.parse), codeB: codeB.map(CreditCode.parse))
    }

    @Test("a shared region and industry alone never make a match")
    func sharedRegionAndIndustry() {
        let result = match("北京华夏科技有限公司", "北京华为科技有限公司")
        #expect(result.verdict == .different)
        #expect(result.reasons.contains("字号不同：华夏 与 华为"))
        #expect(result.reasons.contains("仅地区和行业相同，不足以认定为同一企业"))
        #expect(match("江西省九江市建设工程有限公司", "江西省九江市路桥工程有限公司").verdict == .different)
        #expect(match("上海新能源科技有限公司", "上海新材料科技有限公司").verdict == .different)
    }

    @Test("the same brand with another form, bracket style or region position is the same enterprise")
    func sameBrandVariants() {
        for (a, b) in [
            ("宁德时代新能源科技股份有限公司", "宁德时代新能源科技有限公司"),
            ("观途（上海）网络科技有限公司", "观途网络科技上海有限公司"),
            ("观途(上海)网络科技有限公司", "上海观途网络科技集团有限公司"),
            ("腾讯科技（深圳）有限公司", "深圳腾讯科技有限公司"),
            ("华为技术有限公司", "華為技術有限公司"),
        ] {
            let result = match(a, b)
            #expect(result.verdict == .same, "\(a) vs \(b): \(result.reasons)")
            #expect(result.score >= 0.95)
        }
        #expect(match("观途（上海）网络科技有限公司", "观途网络科技上海有限公司").reasons.contains("字号相同：观途"))
    }

    @Test("a branch and its parent are the same enterprise")
    func branchAndParent() {
        let result = match("中国平安财产保险股份有限公司九江中心支公司", "中国平安财产保险股份有限公司")
        #expect(result.verdict == .same)
        #expect(result.reasons.contains { $0.hasPrefix("总分关系") })
        #expect(match("华为九江分公司", "华为技术有限公司").verdict == .same)
    }

    @Test("the same brand with different industry words is at most possible")
    func differentIndustry() {
        let result = match("宁德时代电池有限公司", "宁德时代贸易有限公司")
        #expect(result.verdict == .possible)
        #expect(result.reasons.contains("行业词不同：电池 与 贸易"))
    }

    @Test("the same brand in unrelated regions is possible, with the region named")
    func differentRegion() {
        let result = match("北京恒通物流有限公司", "九江恒通物流有限公司")
        #expect(result.verdict == .possible)
        #expect(result.reasons.contains("仅地区不同：北京 与 九江"))
        // A prefecture within its province is no difference.
        #expect(match("江西恒通物流有限公司", "九江恒通物流有限公司").verdict == .same)
    }

    @Test("equal valid credit codes decide same whatever the names")
    func equalCodes() {
        let result = match("甲公司", "完全不同的名称有限公司", "91110000600037341L", "91110000600037341l")
        #expect(result.verdict == .same && result.score == 1.0)
    }

    @Test("different valid credit codes decide different, unless one is a branch of the other")
    func differentCodes() {
        let codes = ("91110000600037341L", "121200004013590816")
        #expect(match("九江恒通物流有限公司", "九江恒通物流有限公司", codes.0, codes.1).verdict == .different)
        #expect(match("九江恒通物流有限公司南昌分公司", "九江恒通物流有限公司", codes.0, codes.1).verdict == .same)
    }

    @Test("a code failing its check is reported and the names decide")
    func badCheckFallsBackToNames() {
        let result = match("九江恒通物流有限公司", "九江恒通物流股份有限公司", "91110000600037341X", "121200004013590816")
        #expect(result.verdict == .same)
        #expect(result.reasons.first?.contains("校验位错误") == true)
    }

    @Test("long brands one character apart are possible; short ones are different")
    func oneCharacterApart() {
        #expect(match("江西晶科光伏材料有限公司", "江西晶能光伏材料有限公司").verdict == .different)
        #expect(match("九江恒通达远物流有限公司", "九江恒通达运物流有限公司").verdict == .possible)
    }

    @Test("scores stay in [0, 1] and follow the verdicts")
    func scoreRanges() {
        for (a, b) in [("北京华夏科技有限公司", "北京华为科技有限公司"), ("宁德时代电池有限公司", "宁德时代贸易有限公司"),
                       ("华为技术有限公司", "華為技術有限公司")] {
            let result = match(a, b)
            #expect(result.score >= 0 && result.score <= 1)
            switch result.verdict {
            case .same: #expect(result.score >= 0.9)
            case .possible: #expect(result.score >= 0.4 && result.score < 0.9)
            case .different: #expect(result.score < 0.4)
            }
        }
    }
}

@Suite("Registry keys of an enterprise")
struct EnterpriseKeyTests {
    @Test("spellings of one name share a name key; a valid code adds a code key")
    func keys() {
        let a = EnterpriseKey(name: CompanyName("观途（上海）网络科技有限公司"), code: nil)
        let b = EnterpriseKey(name: CompanyName("上海观途网络科技集团有限公司"), code: CreditCode.parse("91110000600037341L"))
        #expect(a.nameKey == "name:观途|网络科技")
        #expect(a.nameKey == b.nameKey)
        #expect(a.codeKey == nil && b.codeKey == "uscc:91110000600037341L")
        #expect(b.all == ["uscc:91110000600037341L", "name:观途|网络科技"])
    }

    @Test("a branch has its parent's name key; a code failing its check adds no code key")
    func branchAndBadCode() {
        let branch = EnterpriseKey(name: CompanyName("华为技术有限公司九江分公司"), code: CreditCode.parse("91110000600037341X"))
        #expect(branch.nameKey == EnterpriseKey(name: CompanyName("华为技术有限公司"), code: nil).nameKey)
        #expect(branch.codeKey == nil)
    }

    @Test("names without a brand keep their region in the key")
    func brandless() {
        let hubei = EnterpriseKey(name: CompanyName("湖北塑胶跑道工程公司"), code: nil)
        let guangdong = EnterpriseKey(name: CompanyName("广东塑胶跑道工程公司"), code: nil)
        #expect(hubei.nameKey != guangdong.nameKey)
    }
}

@Test("reasons without the other side keep the kinds of agreement and drop the other record's words")
func reasonsWithoutOtherSide() {
    let match = EnterpriseMatch.compare(CompanyName("恒通物流（南昌）有限公司"), CompanyName("九江恒通达物流科技股份有限公司"))
    let redacted = EnterpriseMatch.withoutOtherSide(match.reasons)
    #expect(!redacted.isEmpty)
    #expect(!redacted.joined().contains("恒通达") && !redacted.joined().contains("九江") && !redacted.joined().contains("股份"))
    #expect(EnterpriseMatch.withoutOtherSide(["乙方信用代码 91… 校验位错误，改按名称比较", "字号相同：恒通", "地区相容：江西 与 九江（行政区划包含关系）"])
            == ["字号相同", "地区相容"])
}
