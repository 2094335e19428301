import ConcordConfig
import ConcordDomain
import ConcordNode
import ConcordProtocol
import ConcordStore
import Foundation
import Hummingbird
import Logging
import PostgresNIO

/// The officers' console at a county node: the office's own leads (its database holds no other
/// office's), filing with an instant credit-code check and a duplicate check against the hub,
/// stage changes, CSV import with a per-row report, and the city's assignments. Officers act;
/// viewers read.
public struct NodeConsole: Sendable {
    let configuration: NodeConfiguration
    let client: PostgresClient
    let logger: Logger
    let book: LeadBook
    let shell: ConsoleShell
    static let act: Set<ConsoleRole> = [.officer]

    public init(configuration: NodeConfiguration, client: PostgresClient, logger: Logger, passwordCost: UInt8 = UserStore.defaultCost) {
        self.configuration = configuration
        self.client = client
        self.logger = logger
        let book = LeadBook(client: client, logger: logger)
        self.book = book
        self.shell = ConsoleShell(
            title: "招商协同 · 区县工作台", officeName: "\(configuration.name)（\(configuration.tenant)）", cookieName: "concord_\(configuration.tenant)", roles: ConsoleRole.roles(hub: false),
            nav: [NavItem(path: "/leads", label: "我的线索", roles: nil), NavItem(path: "/leads/new", label: "报备线索", roles: [.officer]),
                  NavItem(path: "/import", label: "批量导入", roles: [.officer]), NavItem(path: "/assignments", label: "市级派单", roles: nil)],
            client: client, logger: logger, passwordCost: passwordCost,
            banner: {
                // The daemon records the link state; a console without a running link counts as offline.
                let link = try? await book.link()
                guard link?.up != true else { return nil }
                let waiting = (try? await book.waiting().count) ?? 0
                return "离线：已保存，恢复连接后自动上报" + (waiting > 0 ? "（待上报 \(waiting) 条）" : "")
            })
    }

    public func router() -> Router<ConsoleShell.Context> {
        let router = Router(context: ConsoleShell.Context.self)
        shell.registerCommon(router)
        router.get("/") { _, _ in ConsoleShell.redirect("/leads") }
        registerLeads(router)
        registerImport(router)
        registerAssignments(router)
        registerAPI(router)
        return router
    }

    public func application(at address: ConsoleAddress) -> some ApplicationProtocol {
        shell.application(router(), at: address, serverName: "concord-node-console")
    }

    // MARK: Claim states as the officer reads them

    static func badge(_ lead: LeadRecord) -> (class: String, label: String) {
        let detail = LeadText.parsedDetail(lead)
        if detail?.decision != nil { return ("decided", "已裁决") }
        switch lead.claimStatus {
        case nil: return ("pending", "待确认")
        case "contested": return ("contested", "撞单待裁决")
        case "held" where !(detail?.contested_by ?? []).isEmpty: return ("contested", "撞单待裁决")
        default: break
        }
        if !(detail?.possible_duplicates ?? []).isEmpty { return ("duplicate", "疑似重复") }
        switch lead.claimStatus {
        case "held", "held_by_own_office", "settled": return ("held", "已占有")
        case "joint", "taskforce", "distinct": return ("decided", "已裁决")
        default: return ("pending", LeadText.claim(lead))
        }
    }

    // MARK: Leads

    func registerLeads(_ router: Router<ConsoleShell.Context>) {
        shell.page(router, "/leads") { request, _, session in
            let leads = try await book.list()
            let (count, oldest) = try await book.waiting()
            return await shell.render("leads", title: "我的线索", session: session, active: "/leads", data: [
                "leads": leads.reversed().map { lead in
                    let badge = Self.badge(lead)
                    return ["id": lead.id.uuidString.lowercased(), "short": String(lead.id.uuidString.lowercased().prefix(8)),
                            "investor": lead.investorName, "project": lead.projectName ?? "-", "stage": lead.stage.chineseName,
                            "badge": badge.class, "badgeLabel": badge.label, "status": LeadText.claim(lead),
                            "filed": Format.time(lead.filedAt)] as [String: Any]
                },
                "count": leads.count, "waiting": count, "oldest": Int(oldest), "hasWaiting": count > 0,
                "canAct": Self.act.contains(session.user.role),
            ], notice: Flash.message(request))
        }

        shell.page(router, "/leads/new", roles: Self.act) { _, _, session in
            await shell.render("lead_new", title: "报备线索", session: session, active: "/leads/new",
                               data: ["stages": Self.stageOptions(selected: .lead)])
        }

        shell.action(router, "/leads", roles: Self.act) { _, _, session, form in
            var lead = NewLead(investorName: form["investor_name"] ?? "", stage: form["stage"].flatMap(LeadStage.init(rawValue:)) ?? .lead)
            (lead.creditCode, lead.projectName, lead.industry, lead.industryChain) =
                (form["credit_code"], form["project_name"], form["industry"], form["industry_chain"])
            var problems: [String] = []
            func number(_ name: String, _ label: String) -> Double? {
                guard let text = form[name] else { return nil }
                guard let value = Double(text.replacingOccurrences(of: ",", with: "")) else {
                    problems.append("\(label)不是数字：\(text)")
                    return nil
                }
                return value
            }
            (lead.investmentWan, lead.landMu, lead.energyTce) = (number("investment_wan", "总投资"), number("land_mu", "用地"), number("energy_tce", "能耗"))
            (lead.referrer, lead.officer, lead.firstContact, lead.notes) = (form["referrer"], form["officer"] ?? session.user.displayName,
                                                                             form["first_contact"], form["notes"])
            problems += lead.problems()
            var data: [String: Any] = ["stages": Self.stageOptions(selected: lead.stage), "form": Self.echo(form)]
            if let code = lead.creditCode { data["codeNote"] = Self.creditCodeNote(code).message }
            if form["action"] == "check" {
                data["check"] = try await duplicateCheck(name: lead.investorName, code: lead.creditCode)
                return await shell.render("lead_new", title: "报备线索", session: session, active: "/leads/new", data: data)
            }
            guard problems.isEmpty else {
                data["problems"] = problems
                data["hasProblems"] = true
                return await shell.render("lead_new", title: "报备线索", session: session, active: "/leads/new", data: data,
                                          status: .badRequest)
            }
            let ids = try await book.add([lead], actor: "web:\(session.user.username)")
            return ConsoleShell.redirect("/leads/\(ids[0].uuidString.lowercased())?done=filed")
        }

        shell.page(router, "/leads/:id") { request, context, session in
            let lead = try await book.find(try context.parameters.require("id"))
            let opinions = try await book.opinions(lead.id)
            let reviews = try await book.reviews(lead.id)
            let detail = LeadText.parsedDetail(lead)
            let now = Date()
            let badge = Self.badge(lead)
            let next = lead.allowedStages
            // Why no button, when the lifecycle rule leaves none or only 终止.
            var locked: String?
            if lead.stage.isFinal {
                locked = "线索已处于「\(lead.stage.chineseName)」，不能再变更阶段"
            } else if let state = lead.claimState, state.stageChanges != .any,
                      case .failure(let why) = LeadLifecycle.check(from: lead.stage, to: lead.stage.next ?? .dropped, claim: state) {
                locked = why.explanation
            }
            return await shell.render("lead", title: lead.investorName, session: session, active: "/leads", data: [
                "id": lead.id.uuidString.lowercased(), "investor": lead.investorName, "code": lead.creditCode ?? "未填",
                "codeIssue": lead.creditCodeIssue as Any, "project": lead.projectName ?? "-", "industry": lead.industry ?? "-",
                "investment": lead.investmentWan.map { String(format: "%.2f 万元", $0) } ?? "-", "officer": lead.officer ?? "-",
                "filed": Format.time(lead.filedAt), "stage": lead.stage.chineseName, "badge": badge.class, "badgeLabel": badge.label,
                "status": LeadText.claim(lead),
                "history": lead.history.map { ["stage": $0.stage.chineseName, "at": Format.time($0.at)] },
                "decision": detail?.decision.map { ["id": $0.id, "summary": $0.summary, "reason": $0.reason] } as Any,
                "holder": detail?.holder_office.map { ["office": $0, "since": LeadText.since(detail?.holder_since)] } as Any,
                "duplicates": (detail?.possible_duplicates ?? []).map {
                    ["office": $0.office, "score": String(format: "%.2f", $0.score), "reasons": $0.reasons] as [String: Any]
                },
                "reviews": reviews.map { ["line": ReviewStatus.describe($0, now: now), "pending": $0.isPending] },
                "opinions": opinions.map { o in
                    ["at": Format.time(o.at), "department": o.department, "verdict": OpinionVerdict(rawValue: o.verdict)?.chineseName ?? o.verdict,
                     "text": o.text, "conditions": o.conditions.flatMap { $0.isEmpty ? nil : $0 } as Any] as [String: Any]
                },
                "next": next.map { ["value": $0.rawValue, "label": $0.chineseName] }, "canMove": !next.isEmpty && Self.act.contains(session.user.role),
                "locked": locked as Any,
                "refusal": lead.hubRefusal.map { ["text": $0.text, "code": $0.code, "at": Format.time($0.at)] } as Any,
            ], notice: Flash.message(request))
        }

        shell.action(router, "/leads/:id/stage", roles: Self.act) { _, context, session, form in
            let id = try context.parameters.require("id")
            guard let stage = form["stage"].flatMap(LeadStage.init(rawValue:)) else {
                throw ConsoleError(.badRequest, "STAGE_INVALID", "请选择新阶段")
            }
            let (lead, _) = try await book.changeStage(id, to: stage, actor: "web:\(session.user.username)")
            return ConsoleShell.redirect("/leads/\(lead.id.uuidString.lowercased())?done=stage")
        }
    }

    static func stageOptions(selected: LeadStage) -> [[String: Any]] {
        LeadStage.allCases.filter { !$0.isFinal }.map { ["value": $0.rawValue, "label": $0.chineseName, "selected": $0 == selected] }
    }

    /// The submitted values, to refill the form.
    static func echo(_ form: FormData) -> [String: String] {
        var values: [String: String] = [:]
        for (key, list) in form.fields where key != "_csrf" { values[key] = list.first ?? "" }
        return values
    }

    static func creditCodeNote(_ code: String) -> (valid: Bool, message: String) {
        switch CreditCode.parse(code) {
        case let result where result.problem == nil: return (true, "信用代码校验通过")
        case let result: return (false, "信用代码 \(result.problem!.code)：\(result.problem!.explanation)（仍可报备，将按名称匹配）")
        }
    }

    /// Asks the hub now; the answer never names the other office.
    func duplicateCheck(name: String, code: String?) async throws -> [String: Any] {
        guard !name.trimmingCharacters(in: .whitespaces).isEmpty else {
            return ["verdict": "pursued", "message": "请先填写投资方名称"]
        }
        switch try await HubCheck.ask(configuration, name: name, creditCode: code, timeout: .seconds(5)) {
        case .unreachable:
            return ["verdict": "pursued", "message": "无法连接协同中心，查重未完成；仍可报备，恢复连接后自动上报 [HUB_UNREACHABLE]"]
        case .refused(let code, let message):
            return ["verdict": "pursued", "message": "协同中心拒绝了查询：\(message) [\(code)]"]
        case .result(let result):
            let since = result.since.flatMap(Timestamp.parse).map(Format.time) ?? "?"
            let message: String
            switch result.verdict {
            case .free: message = "暂无区县在跟进这家企业"
            case .pursued where result.ownOffice: message = "本区县已在跟进（自 \(since) 起）"
            case .pursued: message = "已有区县在跟进（自 \(since) 起）；如需跟进请与市级协调"
            case .possiblyPursued: message = "可能已有区县在跟进类似企业（自 \(since) 起），需市级协调确认"
            }
            return ["verdict": result.verdict == .free ? "free" : "pursued", "message": message, "reasons": result.reasons,
                    "hasReasons": !result.reasons.isEmpty]
        }
    }

    // MARK: Import

    func registerImport(_ router: Router<ConsoleShell.Context>) {
        shell.page(router, "/import", roles: Self.act) { _, _, session in
            await shell.render("import", title: "批量导入", session: session, active: "/import",
                               data: ["columns": LeadCSV.columns.sorted().joined(separator: " ")])
        }
        shell.action(router, "/import", roles: Self.act) { _, _, session, form in
            var data: [String: Any] = ["columns": LeadCSV.columns.sorted().joined(separator: " ")]
            let bytes: [UInt8]
            if let file = form.files["file"], !file.bytes.isEmpty {
                bytes = file.bytes
                data["filename"] = file.filename
            } else if let text = form.fields["csv"]?.first, !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                bytes = Array(text.utf8)
            } else {
                data["error"] = "请选择 CSV 文件，或把内容粘贴到文本框中 [CSV_EMPTY]"
                return await shell.render("import", title: "批量导入", session: session, active: "/import", data: data, status: .badRequest)
            }
            let report: LeadCSV.Report
            do {
                report = try LeadCSV.parse(bytes)
            } catch let error as LeadCSV.FileError {
                data["error"] = "\(error.message) [\(error.code)]"
                return await shell.render("import", title: "批量导入", session: session, active: "/import", data: data, status: .badRequest)
            }
            var ids: [UUID] = []
            if report.importable {
                ids = try await book.add(report.leads, actor: "web:\(session.user.username)")
            }
            var imported = ids.makeIterator()
            data["report"] = report.rows.map { row -> [String: Any] in
                var entry: [String: Any] = ["line": row.line, "name": row.investorName, "ok": row.problems.isEmpty,
                                            "problems": row.problems.joined(separator: "；"), "warning": row.warning as Any]
                if row.problems.isEmpty, let id = imported.next() {
                    entry["id"] = id.uuidString.lowercased()
                    entry["short"] = String(id.uuidString.lowercased().prefix(8))
                }
                return entry
            }
            data["hasReport"] = !report.rows.isEmpty
            data["imported"] = ids.count
            data["done"] = report.importable
            data["refused"] = report.refused
            data["empty"] = report.rows.isEmpty
            return await shell.render("import", title: "批量导入", session: session, active: "/import", data: data,
                                      status: report.importable ? .ok : .badRequest)
        }
    }

    // MARK: Assignments

    func registerAssignments(_ router: Router<ConsoleShell.Context>) {
        shell.page(router, "/assignments") { request, _, session in
            let offers = try await AssignmentBook(client: client, logger: logger).list()
            let now = Date()
            return await shell.render("assignments", title: "市级派单", session: session, active: "/assignments", data: [
                "offers": offers.reversed().map { o in
                    ["id": o.id, "investor": o.investorName, "project": o.projectName ?? "-", "industry": o.industry ?? "-",
                     "land": o.landMu.map(DispatchScoring.format) ?? "-", "note": o.note.flatMap { $0.isEmpty ? nil : $0 } as Any,
                     "explanation": o.explanation.flatMap { $0.isEmpty ? nil : $0 } as Any,
                     "offered": Format.time(o.offeredAt), "respondBy": Format.time(o.respondBy), "assessBy": Format.time(o.assessBy),
                     "status": AssignmentText.status(o.status), "open": o.status == "offered", "overdue": o.isOverdue(now: now),
                     "lead": o.leadID.map { $0.uuidString.lowercased() } as Any] as [String: Any]
                },
                "canAct": Self.act.contains(session.user.role),
            ], notice: Flash.message(request))
        }
        shell.action(router, "/assignments/:id/accept", roles: Self.act) { _, context, session, _ in
            let id = try context.parameters.require("id", as: Int64.self)
            _ = try await AssignmentBook(client: client, logger: logger).answer(
                id, accept: true, reason: nil, officer: session.user.displayName, actor: "web:\(session.user.username)")
            return ConsoleShell.redirect("/assignments?done=accepted")
        }
        shell.action(router, "/assignments/:id/decline", roles: Self.act) { _, context, session, form in
            let id = try context.parameters.require("id", as: Int64.self)
            guard let reason = form["reason"] else { throw ConsoleError(.badRequest, "REASON_REQUIRED", "拒绝派单必须写明理由") }
            _ = try await AssignmentBook(client: client, logger: logger).answer(
                id, accept: false, reason: reason, officer: nil, actor: "web:\(session.user.username)")
            return ConsoleShell.redirect("/assignments?done=declined")
        }
    }

    // MARK: JSON for the page script

    struct CodeAnswer: Encodable { let valid: Bool; let message: String }
    struct CheckAnswer: Encodable { let verdict: String; let message: String; let reasons: [String] }

    static func json(_ value: some Encodable) -> Response {
        let data = (try? JSONEncoder().encode(value)) ?? Data("{}".utf8)
        return ConsoleShell.text(String(decoding: data, as: UTF8.self), contentType: "application/json; charset=utf-8")
    }

    func registerAPI(_ router: Router<ConsoleShell.Context>) {
        shell.page(router, "/api/credit-code") { request, _, _ in
            guard let code = ConsoleShell.query(request)["code"] else { return Self.json(CodeAnswer(valid: false, message: "")) }
            let note = Self.creditCodeNote(code)
            return Self.json(CodeAnswer(valid: note.valid, message: note.message))
        }
        shell.action(router, "/api/check", roles: Self.act) { _, _, _, form in
            let answer = try await duplicateCheck(name: form["investor_name"] ?? "", code: form["credit_code"])
            return Self.json(CheckAnswer(verdict: answer["verdict"] as? String ?? "pursued", message: answer["message"] as? String ?? "",
                                         reasons: answer["reasons"] as? [String] ?? []))
        }
    }
}
