import ConcordConfig
import ConcordDomain
@testable import ConcordNode
@testable import ConcordStore
@testable import ConcordWeb
import Foundation
import Mustache
import Testing

/// The consoles' pure parts: no database, no server.
@Suite struct ConsolePureTests {
    @Test func everyTemplateParses() throws {
        for (name, text) in Templates.sources {
            #expect(throws: Never.self, "template \(name)") { _ = try MustacheTemplate(string: text) }
        }
        #expect(Templates.library.getTemplate(named: "layout") != nil)
    }

    @Test func templatesEscapeWhatUsersTyped() {
        let html = Templates.library.render(["message": "<script>alert(1)</script>", "code": "X", "status": 400], withTemplate: "error") ?? ""
        #expect(html.contains("&lt;script&gt;"))
        #expect(!html.contains("<script>alert"))
    }

    @Test func urlEncodedForms() {
        let form = FormData.urlEncoded("investor_name=%E8%A7%82%E9%80%94+%E6%96%B0%E8%83%BD%E6%BA%90&offices=a&offices=b&empty=&bad=%ZZ&=x")
        #expect(form["investor_name"] == "观途 新能源")
        #expect(form.all("offices") == ["a", "b"])
        #expect(form["empty"] == nil)
        #expect(form["bad"] == "%ZZ", "a malformed escape is kept, not dropped")
        #expect(form.fields.count == 4)
    }

    @Test func multipartForms() throws {
        let body = Array("--XyZ\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\nabc\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"名单.csv\"\r\nContent-Type: text/csv\r\n\r\ninvestor_name\r\n某公司\r\n\r\n--XyZ--\r\n".utf8)
        #expect(FormData.boundary(ofContentType: "multipart/form-data; boundary=XyZ") == "XyZ")
        #expect(FormData.boundary(ofContentType: "multipart/form-data; boundary=\"XyZ\"") == "XyZ")
        #expect(FormData.boundary(ofContentType: "application/x-www-form-urlencoded") == nil)
        let form = try #require(FormData.multipart(body, boundary: "XyZ"))
        #expect(form["_csrf"] == "abc")
        #expect(form.files["file"]?.filename == "名单.csv")
        #expect(String(decoding: form.files["file"]?.bytes ?? [], as: UTF8.self) == "investor_name\r\n某公司\r\n")
        #expect(FormData.multipart(Array("no boundary here".utf8), boundary: "XyZ") == nil)
        let unclosed = Array("--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--XyZ\r\nContent-Disposition: form-data; name=\"b\"\r\n\r\n2".utf8)
        #expect(FormData.multipart(unclosed, boundary: "XyZ") == nil, "a body without its closing delimiter is refused, not cut")
        let quoted = Array("--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a;b \\\"c\\\".csv\"\r\n\r\nx\r\n--XyZ--\r\n".utf8)
        #expect(FormData.multipart(quoted, boundary: "XyZ")?.files["file"]?.filename == "a;b \"c\".csv")
        let midLine = Array("--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx--XyZ--\r\n".utf8)
        #expect(FormData.multipart(midLine, boundary: "XyZ") == nil, "a delimiter counts only at the start of a line")
        #expect(FormData.multipart(Array("--XyZ\r\nbroken".utf8), boundary: "XyZ") == nil)
    }

    @Test func chartsCarryTheirNumbersAndEscapeLabels() {
        let svg = SVGChart.bars([.init("<濂溪区>", 12), .init("柴桑区", 3.5)], title: "各区县报备数", unit: "条")
        #expect(svg.hasPrefix("<svg"))
        #expect(svg.contains("&lt;濂溪区&gt;"))
        #expect(svg.contains(">12<"))
        #expect(svg.contains(">3.5<"))
        #expect(svg.contains("<title>各区县报备数</title>"))
        let funnel = SVGChart.funnel([.init("线索", 10), .init("洽谈", 4)], title: "漏斗")
        #expect(funnel.contains("上一步的 40%"))
        #expect(SVGChart.columns([], title: "空", unit: "个").contains("暂无数据"))
    }

    @Test func bucketsCountEveryValueOnce() {
        let bars = Buckets.histogram([0, 1.9, 2, 30, 100], edges: [0, 2, 24], unit: "h")
        #expect(bars.map(\.label) == ["0–2h", "2–24h", "≥24h"])
        #expect(bars.map(\.value) == [2, 1, 2])
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Asia/Shanghai")!
        let day = { (y: Int, m: Int, d: Int) in calendar.date(from: DateComponents(year: y, month: m, day: d))! }
        let months = Buckets.monthly([day(2026, 10, 3), day(2026, 10, 30), day(2026, 12, 1)], now: day(2026, 12, 2))
        #expect(months.map(\.label) == ["2026-10", "2026-11", "2026-12"])
        #expect(months.map(\.value) == [2, 0, 1])
        let capped = Buckets.monthly([day(2020, 1, 1)], now: day(2026, 12, 2), months: 12)
        #expect(capped.count == 12)
        #expect(capped.first?.label == "2026-01")
    }

    @Test func throttleLocksAfterFiveFailuresWithinTheWindow() {
        var book = ThrottleBook(maxFailures: 5, window: 900)
        let start = Date(timeIntervalSince1970: 1_000_000)
        for i in 0..<4 { book.fail("li", now: start.addingTimeInterval(Double(i))) }
        #expect(book.retryAfter("li", now: start.addingTimeInterval(5)) == nil)
        book.fail("li", now: start.addingTimeInterval(5))
        let wait = book.retryAfter("li", now: start.addingTimeInterval(6))
        #expect(wait != nil && wait! > 890)
        #expect(book.retryAfter("zhang", now: start.addingTimeInterval(6)) == nil, "other names are not locked")
        #expect(book.retryAfter("li", now: start.addingTimeInterval(906)) == nil, "the lock ends with the window")
        book.fail("wang", now: start)
        book.succeed("wang")
        #expect(book.failures["wang"] == nil)
    }

    @Test func consoleAddresses() throws {
        #expect(try ConsoleAddress.parse("127.0.0.1:8700") == ConsoleAddress(host: "127.0.0.1", port: 8700))
        #expect(try ConsoleAddress.parse("[::1]:8701")?.description == "[::1]:8701")
        #expect(try ConsoleAddress.parse("off") == nil)
        #expect(try ConsoleAddress.parse(nil) == nil)
        #expect(throws: ConsoleAddressError.self) { try ConsoleAddress.parse("8700") }
        #expect(throws: ConsoleAddressError.self) { try ConsoleAddress.parse("host:99999") }
        let file = try ConfigFile.parse("console_bind = \"localhost\"\n")
        #expect(throws: ConfigFile.Error.self) { try file.consoleAddress() }
    }

    @Test func nextAddressesStayOnThisSite() {
        #expect(ConsoleShell.safeNext("/conflicts/3?done=decided") == "/conflicts/3?done=decided")
        for bad in ["//evil.example/", "/\t/evil.example", "/\n/evil.example", "https://evil.example/", "/\\evil", "/a b", nil] {
            #expect(ConsoleShell.safeNext(bad) == "/", "\(String(describing: bad))")
        }
    }

    @Test func downloadedCSVCannotRunFormulas() {
        let text = CSVText.render([["投资方", "数"], ["=HYPERLINK(\"x\")", "-3"], ["@SUM(A1)", "+1"]], neutralizingFormulas: true)
        #expect(text.contains("\"'=HYPERLINK(\"\"x\"\")\""))
        #expect(text.contains("'@SUM(A1)"))
        #expect(text.contains(",-3\n"), "numbers stay numbers")
        #expect(CSVText.render([["=1+1"]]) == "=1+1\n", "the CLI's CSV is unchanged")
    }

    @Test func usernames() {
        #expect(UserStore.isValidUsername("city-zhang"))
        #expect(UserStore.isValidUsername("360402.li_q"))
        #expect(!UserStore.isValidUsername(""))
        #expect(!UserStore.isValidUsername("-x"))
        #expect(!UserStore.isValidUsername("张敏"))
        #expect(!UserStore.isValidUsername(String(repeating: "a", count: 64)))
    }

    @Test func highlightMarksTheBrandAndEscapes() {
        #expect(Highlight.mark("观途（上海）新能源科技有限公司", "观途") == "<mark>观途</mark>（上海）新能源科技有限公司")
        #expect(Highlight.mark("<b>某</b>公司", "") == "&lt;b&gt;某&lt;/b&gt;公司")
    }

    @Test func decisionsFromFormFields() throws {
        #expect(try ArbitrationDecision.parse(kind: "transfer", targets: ["a", "b"], split: "60:40", years: 5).get()
                == .transfer(from: "a", to: "b", fromShare: 60, toShare: 40, years: 5))
        #expect(try ArbitrationDecision.parse(kind: "joint", targets: ["a,b"], split: nil, years: 5).get() == .joint(offices: ["a", "b"], shares: [50, 50]))
        #expect(try ArbitrationDecision.parse(kind: "reject", targets: ["3"], split: nil, years: 5).get() == .reject(claimID: 3))
        #expect(try ArbitrationDecision.parse(kind: "joint", targets: ["a,b,c"], split: nil, years: 5).get() == .joint(offices: ["a", "b", "c"], shares: [34, 33, 33]),
                "default shares add up to 100")
        #expect(throws: ArbitrationInputError.self) { try ArbitrationDecision.parse(kind: "transfer", targets: ["a", "b"], split: "50:50", years: 21).get() }
        #expect(throws: ArbitrationInputError.self) { try ArbitrationDecision.parse(kind: "award", targets: [], split: nil, years: 5).get() }
        #expect(throws: ArbitrationInputError.self) { try ArbitrationDecision.parse(kind: "transfer", targets: ["a", "b"], split: "x", years: 5).get() }
        #expect(throws: ArbitrationInputError.self) { try ArbitrationDecision.parse(kind: "merge", targets: [], split: nil, years: 5).get() }
    }

    @Test func presentDropsNilsAndUnwraps() throws {
        let missing: String? = nil
        let value = ConsoleShell.present(["a": missing as Any, "b": Optional("x") as Any, "c": [Optional<Int>.none as Any, 1]]) as? [String: Any]
        #expect(value?["a"] == nil)
        #expect(value?["b"] as? String == "x")
        #expect((value?["c"] as? [Any])?.count == 1)
    }

    @Test func leadCSVReportsRowsAndRefusesEncodings() throws {
        let report = try LeadCSV.parse("investor_name,stage\n某某物流有限公司,洽谈\n,lead\n")
        #expect(report.rows.count == 2)
        #expect(report.refused == 1)
        #expect(!report.importable)
        #expect(report.rows[1].line == 3)
        #expect(throws: LeadCSV.FileError.self) { try LeadCSV.parse([0xFF, 0xFE, 0x41]) }
        #expect(throws: LeadCSV.FileError.self) { try LeadCSV.parse("") }
    }

    @Test("a lead shows what the hub refused, with its code, before its claim state; decisions and states in one vocabulary")
    func leadTextShowsRefusals() {
        var lead = LeadRecord(id: UUID(), investorName: "江西鼎盛新材料科技有限公司", creditCode: nil, creditCodeIssue: nil, projectName: nil,
                              industry: nil, investmentWan: nil, officer: nil, stage: .lead, filedAt: Date(), claimStatus: "joint",
                              claimDetail: nil, history: [])
        #expect(LeadText.claim(lead) == "联合招引")
        lead.hubRefusal = (code: "CLAIM_CLOSED", text: "本区县对该企业的报备已是「已释放」，线索不能再变更阶段", at: Date())
        #expect(LeadText.claim(lead) == "协同中心未接受：本区县对该企业的报备已是「已释放」，线索不能再变更阶段（CLAIM_CLOSED）；联合招引")
        #expect(LeadRecord(id: UUID(), investorName: "x", creditCode: nil, creditCodeIssue: nil, projectName: nil, industry: nil,
                           investmentWan: nil, officer: nil, stage: .negotiating, filedAt: Date(), claimStatus: "contested",
                           claimDetail: nil, history: []).allowedStages == [.dropped])
    }

    @Test("the report's CSVs, printed by the CLI as downloaded from the console, never carry a live formula")
    func reportCSVNeutralisesFormulas() {
        let hostile = "=HYPERLINK(\"http://evil.example/\",\"点我\")"
        let project = ReviewDesk.Project(claim: 7, office: "360402", leadRef: "x", investorName: hostile, projectName: nil, stage: "signed",
                                         entries: [ReviewEntry(department: "zrzy", departmentName: "@SUM(1+1)", since: Date(), answeredAt: nil, verdict: nil)])
        let rows = CSVText.rows(ReviewText.csv([project], now: Date()))
        #expect(rows[1][2] == "'" + hostile)
        #expect(rows[1][5] == "'@SUM(1+1)")
        #expect(!ReportText.definitionsCSV().contains("\n="))
    }
}
