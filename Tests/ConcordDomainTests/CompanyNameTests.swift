import Testing
@testable import ConcordDomain

@Suite("Taking company names apart")
struct CompanyNameTests {
    @Test("region, brand, industry and form of a plain name")
    func plainName() {
        let name = CompanyName("九江恒通物流有限公司")
        #expect(name.regions == ["九江"])
        #expect(name.brand == "恒通")
        #expect(name.industry == ["物流"])
        #expect(name.forms == ["有限公司"])
        #expect(!name.isBranch)
    }

    @Test("a region in brackets, in the middle or before the form comes out wherever it stands")
    func regionPositions() {
        for written in ["观途（上海）网络科技有限公司", "观途(上海)网络科技有限公司", "上海观途网络科技有限公司",
                        "观途网络科技上海有限公司", "观途上海网络科技有限公司", "上海市观途网络科技有限公司"] {
            let name = CompanyName(written)
            #expect(name.brand == "观途", "\(written)")
            #expect(name.industryText == "网络科技", "\(written)")
            #expect(name.regions.joined().hasPrefix("上海"), "\(written)")
        }
    }

    @Test("nested administrative levels are all taken out: province, prefecture, county")
    func nestedRegions() {
        let name = CompanyName("江西省九江市濂溪区恒通物流有限公司")
        #expect(name.regions == ["江西省", "九江市", "濂溪区"])
        #expect(name.brand == "恒通")
    }

    @Test("full-width letters and brackets, spaces and traditional characters fold to one form")
    func folding() {
        #expect(CompanyName("ＴＣＬ科技集团股份有限公司").brand == "tcl")
        #expect(CompanyName("TCL 科技集团股份有限公司").brand == "tcl")
        #expect(CompanyName("華為技術有限公司").brand == "华为")
        #expect(CompanyName("格力电器【九江】有限公司").regions == ["九江"])
    }

    @Test("group and form variants are forms, not brand")
    func forms() {
        #expect(CompanyName("江西赣锋锂业集团股份有限公司").forms == ["集团股份有限公司"])
        #expect(CompanyName("共青城鑫源投资合伙企业（有限合伙）").forms.contains("有限合伙"))
        #expect(CompanyName("朝阳县大山苗圃").brand == "大山")
    }

    @Test("a branch names its parent and keeps its own label")
    func branches() {
        let branch = CompanyName("中国平安财产保险股份有限公司九江中心支公司")
        #expect(branch.isBranch)
        #expect(branch.brand == "平安")
        #expect(branch.branchLabel == "九江中心支公司")
        let short = CompanyName("华为九江分公司")
        #expect(short.isBranch && short.brand == "华为" && short.branchLabel == "九江分公司")
        let numbered = CompanyName("九江恒通物流有限公司第一分公司")
        #expect(numbered.isBranch && numbered.brand == "恒通" && numbered.branchLabel == "第一分公司")
    }

    @Test("a name without a brand has an empty brand")
    func noBrand() {
        #expect(CompanyName("湖北塑胶跑道工程公司").brand == "")
        #expect(CompanyName("广州国际货运公司").brand == "")
    }

    @Test("county short names lead a name only when a brand remains")
    func countyPrefix() {
        #expect(CompanyName("昆山欣日兴精密电子公司").brand == "欣日兴")
        #expect(CompanyName("长安汽车有限公司").brand == "长安")
    }

    // Found by `concord bench`: the county reading ate the industry words, so the group spelling
    // and the plain spelling of one enterprise had different brands and were judged different.
    @Test("a county short name is not taken when it leaves the industry inside the brand")
    func countyPrefixKeepsIndustry() {
        let group = CompanyName("兴和辉物流（宜春）集团有限公司")
        #expect(group.brand == "兴和辉")
        #expect(group.industry == ["物流"])
        #expect(CompanyName("安仁楠机械制造（赣州）集团有限公司").brand == "安仁楠")
        #expect(EnterpriseMatch.compare(group, CompanyName("宜春兴和辉物流有限公司")).verdict == .same)
        #expect(CompanyName("昆山欣日兴精密电子（苏州）有限公司").brand == "欣日兴")
        #expect(CompanyName("鹤峰锦汽车零部件（江西）集团有限公司").brand == "鹤峰锦")
        #expect(EnterpriseMatch.compare(CompanyName("喜德芳新材料（上饶）集团有限公司"), CompanyName("上饶喜德芳新材料有限公司")).verdict == .same)
    }
}
