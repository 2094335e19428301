import ConcordConfig
import ConcordDomain
import ConcordHub
import ConcordProtocol
import ConcordStore
import Foundation
import Hummingbird
import Logging
import PostgresNIO

/// The coordinators' console at the hub: conflict queue and arbitration, dispatch, projects, the
/// cockpit and tenants. Coordinators act; viewers read. Every action runs the same code as the CLI
/// (CoordinatorActions) and is written to the audit chain with the console user.
public struct HubConsole: Sendable {
    let configuration: HubConfiguration
    let client: PostgresClient
    let logger: Logger
    let shell: ConsoleShell
    static let act: Set<ConsoleRole> = [.coordinator]

    public init(configuration: HubConfiguration, client: PostgresClient, logger: Logger, passwordCost: UInt8 = UserStore.defaultCost) {
        self.configuration = configuration
        self.client = client
        self.logger = logger
        self.shell = ConsoleShell(
            title: "招商协同 · 市级协调台", officeName: "市级协同中心", cookieName: "concord_hub", roles: ConsoleRole.roles(hub: true),
            nav: [NavItem(path: "/conflicts", label: "撞单", roles: nil), NavItem(path: "/dispatch", label: "派单", roles: nil),
                  NavItem(path: "/projects", label: "项目", roles: nil), NavItem(path: "/cockpit", label: "驾驶舱", roles: nil),
                  NavItem(path: "/tenants", label: "租户与密钥", roles: nil)],
            client: client, logger: logger, passwordCost: passwordCost)
    }

    public func router() -> Router<ConsoleShell.Context> {
        let router = Router(context: ConsoleShell.Context.self)
        shell.registerCommon(router)
        router.get("/") { _, _ in ConsoleShell.redirect("/conflicts") }
        registerConflicts(router)
        registerDispatch(router)
        registerProjects(router)
        registerCockpit(router)
        registerTenants(router)
        return router
    }

    /// The console as a service for the hub's ServiceGroup.
    public func application(at address: ConsoleAddress) -> some ApplicationProtocol {
        shell.application(router(), at: address, serverName: "concord-hub-console")
    }

    /// "濂溪区 360402" for each tenant code, so coordinators read names rather than codes.
    func officeNames() async throws -> [String: String] {
        var names: [String: String] = [:]
        for tenant in try await TenantStore.list(client: client, logger: logger) { names[tenant.id] = "\(tenant.name) \(tenant.id)" }
        return names
    }

    // MARK: Conflicts

    func registerConflicts(_ router: Router<ConsoleShell.Context>) {
        shell.page(router, "/conflicts") { request, _, session in
            let views = try await ConflictDesk(logger: logger).list(openOnly: false, county: nil, client: client)
            let names = try await officeNames()
            let now = Date()
            let open = views.filter { $0.status == "open" }.sorted { $0.openedAt < $1.openedAt }
            let decided = views.filter { $0.status != "open" }.sorted { ($0.decisions.last?.decidedAt ?? $0.openedAt) > ($1.decisions.last?.decidedAt ?? $1.openedAt) }
            func row(_ view: ConflictView) -> [String: Any] {
                let holder = view.parties.first { $0.isHolder } ?? view.parties.first
                return [
                    "id": view.id, "investor": holder?.investorName ?? "", "offices": view.parties.map { names[$0.office] ?? $0.office }.joined(separator: "、"),
                    "opened": Format.time(view.openedAt), "age": Format.age(now.timeIntervalSince(view.openedAt)),
                    "old": now.timeIntervalSince(view.openedAt) > 7 * 86_400, "status": ConflictText.status(view.status),
                    "decisions": view.decisions.reversed().map { d in
                        ["id": d.id, "summary": d.summary, "reason": d.reason, "coordinator": d.coordinator, "at": Format.time(d.decidedAt),
                         "current": d.id == view.currentDecision] as [String: Any]
                    },
                ]
            }
            return await shell.render("conflicts", title: "撞单", session: session, active: "/conflicts", data: [
                "open": open.map(row), "decided": decided.map(row), "openCount": open.count, "decidedCount": decided.count,
                "hasOpen": !open.isEmpty, "hasDecided": !decided.isEmpty,
            ], notice: Flash.message(request))
        }

        shell.page(router, "/conflicts/:id") { request, context, session in
            let id = try context.parameters.require("id", as: Int64.self)
            guard let view = try await client.withConnection({ try await ConflictDesk(logger: logger).show(id, on: $0) }) else {
                throw ConsoleError.notFound
            }
            return await shell.render("conflict", title: "撞单 \(id)", session: session, active: "/conflicts",
                                      data: conflictData(view, session: session, names: try await officeNames()),
                                      notice: Flash.message(request))
        }

        shell.action(router, "/conflicts/:id/decide", roles: Self.act) { _, context, session, form in
            let id = try context.parameters.require("id", as: Int64.self)
            guard let reason = form["reason"] else { throw ConsoleError(.badRequest, "REASON_REQUIRED", "裁决必须写明理由") }
            let kind = form["kind"] ?? ""
            var targets: [String] = []
            switch kind {
            case "award": targets = [form["office"] ?? ""]
            case "transfer": targets = [form["from"] ?? "", form["to"] ?? ""]
            case "joint": targets = [form.all("offices").joined(separator: ",")]
            case "reject": targets = [form["claim"] ?? ""]
            default: break
            }
            let decision: ArbitrationDecision
            switch ArbitrationDecision.parse(kind: kind, targets: targets, split: form["split"], years: Int(form["years"] ?? "5") ?? 5) {
            case .success(let parsed): decision = parsed
            case .failure(let error): throw ConsoleError(.badRequest, "DECISION_INVALID", error.message)
            }
            let supersedes = form["supersedes"].flatMap { Int64($0) }
            _ = try await CoordinatorActions.arbitrate(
                conflictID: id, decision: decision, reason: reason, coordinator: session.user.username, supersedes: supersedes,
                policy: configuration.policy, via: .init(user: session.user.username), client: client, logger: logger)
            return ConsoleShell.redirect("/conflicts/\(id)?done=decided")
        }
    }

    func conflictData(_ view: ConflictView, session: ConsoleSession, names: [String: String]) -> [String: Any] {
        let now = Date()
        let policy = configuration.policy
        let holder = view.parties.first { $0.isHolder } ?? view.parties.first
        var comparisons: [[String: Any]] = []
        if let holder {
            for other in view.parties where other.claimID != holder.claimID {
                let a = CompanyName(holder.investorName), b = CompanyName(other.investorName)
                let match = EnterpriseMatch.compare(a, b, codeA: holder.creditCode.map(CreditCode.parse),
                                                    codeB: other.creditCode.map(CreditCode.parse))
                comparisons.append([
                    "a": holder.claimID, "b": other.claimID, "verdict": Format.verdict(match.verdict), "score": String(format: "%.2f", match.score),
                    "reasons": match.reasons, "nameA": Highlight.mark(holder.investorName, a.brand),
                    "nameB": Highlight.mark(other.investorName, b.brand),
                    "sameCode": holder.creditCode != nil && holder.creditCode == other.creditCode,
                ])
            }
        }
        let parties: [[String: Any]] = view.parties.map { party in
            let until = policy.protectedUntil(receivedAt: party.receivedAt, lastProgressAt: party.lastProgressAt)
            return [
                "claim": party.claimID, "office": names[party.office] ?? party.office, "holder": party.isHolder, "investor": party.investorName,
                "name": Highlight.mark(party.investorName, CompanyName(party.investorName).brand),
                "code": party.creditCode ?? "未填", "project": party.projectName ?? "-", "industry": party.industry ?? "-",
                "investment": party.investmentWan.map { String(format: "%.0f 万元", $0) } ?? "-", "stage": party.stage.chineseName,
                "reported": Format.time(party.receivedAt), "countyReported": Format.time(party.countyReportedAt), "until": Format.time(until),
                "lapsed": policy.isLapsed(receivedAt: party.receivedAt, lastProgressAt: party.lastProgressAt, now: now),
                "status": party.status,
                "history": party.stageDates.map { ["stage": $0.stage.chineseName, "at": Format.time($0.at)] },
            ]
        }
        let recommendation = ArbitrationRules.recommend(view.parties.map(\.rules), policy: policy, now: now)
        let offices = Array(Set(view.parties.map(\.office))).sorted()
        let kinds: [(String, String)] = [("award", "判归首报 / 判归某区县"), ("transfer", "流转（分成）"), ("joint", "联合招引"),
                                         ("distinct", "不同项目，各自推进"), ("taskforce", "市级专班接手"), ("reject", "驳回某一报备")]
        return [
            "id": view.id, "status": ConflictText.status(view.status), "isOpen": view.status == "open",
            "opened": Format.time(view.openedAt), "age": Format.age(now.timeIntervalSince(view.openedAt)),
            "parties": parties, "comparisons": comparisons, "nameCodeMismatch": view.nameCodeMismatch as Any,
            "recommendation": ["name": recommendation.decision.chineseName, "summary": recommendation.decision.summary,
                               "reasons": recommendation.reasons, "kind": recommendation.decision.kind],
            "decisions": view.decisions.map { d in
                ["id": d.id, "summary": d.summary, "reason": d.reason, "coordinator": d.coordinator, "at": Format.time(d.decidedAt),
                 "current": d.id == view.currentDecision, "supersedes": d.supersedes.map { "#\($0)" } as Any] as [String: Any]
            },
            "current": view.currentDecision as Any,
            "canAct": Self.act.contains(session.user.role),
            "kinds": kinds.map { ["value": $0.0, "label": $0.1, "selected": $0.0 == recommendation.decision.kind] },
            "offices": offices.map { ["office": $0, "label": names[$0] ?? $0, "first": $0 == holder?.office] },
            "claims": view.parties.map { ["claim": $0.claimID, "office": names[$0.office] ?? $0.office] },
        ]
    }

    // MARK: Dispatch

    func registerDispatch(_ router: Router<ConsoleShell.Context>) {
        shell.page(router, "/dispatch") { request, _, session in
            let desk = DispatchDesk(logger: logger)
            let leads = try await desk.cityLeads(client: client)
            let assignments = try await desk.assignments(county: nil, client: client)
            let names = try await officeNames()
            let now = Date()
            return await shell.render("dispatch", title: "市级派单", session: session, active: "/dispatch", data: [
                "leads": leads.reversed().map { lead in
                    ["id": lead.id.uuidString.lowercased(), "short": String(lead.id.uuidString.lowercased().prefix(8)),
                     "investor": lead.investorName, "industry": lead.industry ?? "-", "chain": lead.chain ?? "-",
                     "land": lead.landMu.map(DispatchScoring.format) ?? "-", "filed": Format.time(lead.filedAt),
                     "status": Format.cityLeadStatus(lead.status), "pool": lead.status == "pool"] as [String: Any]
                },
                "assignments": assignments.reversed().map { a in
                    ["id": a.id, "county": names[a.county] ?? a.county, "investor": a.investorName, "assigned": Format.time(a.assignedAt),
                     "respondBy": Format.time(a.respondBy), "assessBy": Format.time(a.assessBy), "status": AssignmentText.status(a.status),
                     "overdue": a.isOverdue(now: now), "reason": a.reason.flatMap { $0.isEmpty ? nil : $0 } as Any,
                     "responded": a.respondedAt.map(Format.time) ?? ""] as [String: Any]
                },
                "overdueCount": assignments.filter { $0.isOverdue(now: now) }.count,
                "canAct": Self.act.contains(session.user.role),
            ], notice: Flash.message(request))
        }

        shell.page(router, "/dispatch/:lead") { request, context, session in
            let id = try context.parameters.require("lead")
            let desk = DispatchDesk(logger: logger)
            let lead = try await desk.cityLead(id, client: client)
            let advice = try await desk.advise(lead, client: client)
            let ranked = advice.ranked
            let names = try await officeNames()
            return await shell.render("dispatch_lead", title: "派单：\(lead.investorName)", session: session, active: "/dispatch", data: [
                "id": lead.id.uuidString.lowercased(), "investor": lead.investorName, "project": lead.projectName ?? "-",
                "industry": lead.industry ?? "-", "chain": lead.chain ?? "-", "code": lead.creditCode ?? "未填",
                "investment": lead.investmentWan.map(DispatchScoring.format) ?? "-", "land": lead.landMu.map(DispatchScoring.format) ?? "-",
                "energy": lead.energyTce.map(DispatchScoring.format) ?? "-", "status": Format.cityLeadStatus(lead.status),
                "pool": lead.status == "pool", "canAct": Self.act.contains(session.user.role),
                "pursuits": advice.pursuits.map { p in
                    ["office": names[p.office] ?? p.office, "state": p.state.label, "since": Format.time(p.receivedAt),
                     "holder": p.isHolder, "same": p.sameEnterprise, "reasons": p.reasons] as [String: Any]
                },
                "holder": advice.holder.map { names[$0.office] ?? $0.office } as Any, "hasPursuits": !advice.pursuits.isEmpty,
                "noneFits": advice.preferred == nil && !ranked.isEmpty,
                "minimum": DispatchScoring.format(DispatchScoring.minimumScore),
                "ranked": ranked.enumerated().map { index, county in
                    ["rank": index + 1, "county": county.county, "label": names[county.county] ?? county.county, "score": DispatchScoring.format(county.score),
                     "top": county.county == advice.preferred, "pursuit": county.pursuit as Any,
                     "needsOverride": advice.holder.map { $0.office != county.county } ?? false,
                     "factors": county.factors.map { f in
                         ["points": (f.points >= 0 ? "+" : "") + DispatchScoring.format(f.points), "explanation": f.explanation,
                          "negative": f.points < 0] as [String: Any]
                     }] as [String: Any]
                },
            ], notice: Flash.message(request))
        }

        shell.action(router, "/dispatch/:lead/assign", roles: Self.act) { _, context, session, form in
            let id = try context.parameters.require("lead")
            guard let county = form["county"] else { throw ConsoleError(.badRequest, "COUNTY_REQUIRED", "请选择区县") }
            _ = try await CoordinatorActions.assign(lead: id, to: county, note: form["note"], coordinator: session.user.username,
                                                    override: form["override"], policy: configuration.policy,
                                                    deadlines: configuration.deadlines, via: .init(user: session.user.username),
                                                    client: client, logger: logger)
            return ConsoleShell.redirect("/dispatch?done=assigned")
        }

        shell.action(router, "/dispatch/leads", roles: Self.act) { _, _, session, form in
            guard let investor = form["investor_name"] else { throw ConsoleError(.badRequest, "INVESTOR_REQUIRED", "投资方名称不能为空") }
            func number(_ name: String, _ label: String) throws -> Double? {
                guard let text = form[name] else { return nil }
                guard let value = Double(text), value.isFinite, value >= 0 else {
                    throw ConsoleError(.badRequest, "NUMBER_INVALID", "\(label)应为非负数：\(text)")
                }
                return value
            }
            let id = try await DispatchDesk(logger: logger).addCityLead(
                investorName: investor, creditCode: form["credit_code"], projectName: form["project_name"], industry: form["industry"],
                chain: form["chain"], investmentWan: try number("investment_wan", "总投资"), landMu: try number("land_mu", "用地"),
                energyTce: try number("energy_tce", "能耗"), environment: try number("environment", "环境容量"),
                filedBy: session.user.username, now: Date(), client: client)
            await shell.audit(actor: session.user.username, action: "console.city_lead", subject: "city_lead:\(id.uuidString.lowercased())",
                              ["investor_name": investor])
            return ConsoleShell.redirect("/dispatch/\(id.uuidString.lowercased())?done=city-lead")
        }
    }

    // MARK: Projects

    func registerProjects(_ router: Router<ConsoleShell.Context>) {
        shell.page(router, "/projects") { request, _, session in
            let query = ConsoleShell.query(request)
            let stage = query["stage"].flatMap(LeadStage.init(rawValue:))
            let desk = ProjectDesk(logger: logger)
            let found = try await desk.search(text: query["q"], county: query["county"], stage: stage, client: client)
            let counts = try await desk.counts(client: client)
            let reviews = try await ReviewDesk(logger: logger).projects(client: client, now: Date())
            let byClaim = Dictionary(reviews.map { ($0.claim, $0.entries) }, uniquingKeysWith: { a, _ in a })
            let now = Date()
            let counties = counts.keys.sorted()
            let names = try await officeNames()
            return await shell.render("projects", title: "项目", session: session, active: "/projects", data: [
                "q": query["q"] ?? "",
                "counties": counties.map { ["county": $0, "label": names[$0] ?? $0, "selected": $0 == query["county"], "total": counts[$0]?.values.reduce(0, +) ?? 0] },
                "stages": LeadStage.allCases.map { ["value": $0.rawValue, "label": $0.chineseName, "selected": $0 == stage] },
                "byCounty": counties.map { county in
                    ["county": names[county] ?? county, "cells": LeadStage.allCases.map { ["count": counts[county]?[$0] ?? 0] }] as [String: Any]
                },
                "stageHeads": LeadStage.allCases.map { ["label": $0.chineseName] },
                "projects": found.map { p in
                    let entries = byClaim[p.claim] ?? []
                    return [
                        "claim": p.claim, "office": names[p.office] ?? p.office, "investor": p.investorName, "code": p.creditCode ?? "-",
                        "project": p.projectName ?? "-", "stage": p.stage.chineseName, "status": Format.claimStatus(p.status),
                        "reported": Format.time(p.receivedAt),
                        "pending": entries.filter(\.isPending).map { ["name": $0.departmentName, "waited": Format.age($0.waited(now: now))] },
                        "answered": entries.filter { !$0.isPending }.map { ["name": $0.departmentName, "verdict": ReviewStatus.verdictNames[$0.verdict ?? ""] ?? ($0.verdict ?? "")] },
                        "opinions": p.opinions.map { o in
                            ["department": o.departmentName, "verdict": OpinionVerdict(rawValue: o.verdict)?.chineseName ?? o.verdict,
                             "text": o.text, "conditions": o.conditions.flatMap { $0.isEmpty ? nil : $0 } as Any, "at": Format.time(o.givenAt)] as [String: Any]
                        },
                    ] as [String: Any]
                },
                "count": found.count, "limited": found.count >= 200,
            ])
        }
    }

    // MARK: Cockpit

    struct CockpitTables {
        var rows: [CockpitRow]
        var funnel: [SVGChart.Bar]
        var perCounty: [SVGChart.Bar]
        var response: [SVGChart.Bar]
        var conflicts: [SVGChart.Bar]
        var reviews: [ReviewDesk.Project]
        var names: [String: String]
        var from: Date
        var to: Date
    }

    func cockpit(_ request: Request) async throws -> CockpitTables {
        let query = ConsoleShell.query(request)
        let now = Date()
        let from = try query["from"].map { text -> Date in
            guard let day = ReportText.day(text) else { throw ConsoleError(.badRequest, "DATE_INVALID", "日期应为 YYYY-MM-DD：\(text)") }
            return day
        } ?? now.addingTimeInterval(-365 * 86_400)
        let to = try query["to"].map { text -> Date in
            guard let day = ReportText.day(text) else { throw ConsoleError(.badRequest, "DATE_INVALID", "日期应为 YYYY-MM-DD：\(text)") }
            return day
        } ?? now.addingTimeInterval(86_400)
        let input = try await CockpitSource.load(client: client, logger: logger)
        let rows = Cockpit.compute(input, from: from, to: to, now: now)
        // Enterprises, each counted once under the office holding it: the total row's funnel.
        let total = rows.first { $0.scope == Cockpit.total }
        let funnel = Cockpit.path.map { SVGChart.Bar($0.chineseName, Double(total?.reached[$0] ?? 0)) }
        let names = try await officeNames()
        let perCounty = rows.filter { $0.scope != Cockpit.total }.map { SVGChart.Bar(names[$0.scope] ?? $0.scope, Double($0.enterprises)) }
        let hours = input.assignments.filter { $0.assignedAt >= from && $0.assignedAt < to }
            .compactMap { a in a.respondedAt.map { $0.timeIntervalSince(a.assignedAt) / 3600 } }
        let response = Buckets.histogram(hours, edges: [0, 2, 4, 8, 12, 24, 48, 72], unit: "h")
        let conflicts = Buckets.monthly(input.conflicts.map(\.openedAt).filter { $0 >= from && $0 < to }, now: min(now, to.addingTimeInterval(-1)), months: 12)
        let reviews = try await ReviewDesk(logger: logger).projects(client: client, now: now)
        return CockpitTables(rows: rows, funnel: funnel, perCounty: perCounty, response: response, conflicts: conflicts,
                             reviews: reviews, names: names, from: from, to: to)
    }

    static func barTable(_ bars: [SVGChart.Bar], _ label: String, _ value: String) -> String {
        CSVText.render([[label, value]] + bars.map { [$0.label, SVGChart.number($0.value)] }, neutralizingFormulas: true)
    }

    func registerCockpit(_ router: Router<ConsoleShell.Context>) {
        shell.page(router, "/cockpit") { request, _, session in
            let t = try await cockpit(request)
            let now = Date()
            let range = "from=\(ReportText.dayString(t.from))&to=\(ReportText.dayString(t.to))"
            let columns = ReportText.columns
            func bars(_ bars: [SVGChart.Bar]) -> [[String: Any]] { bars.map { ["label": $0.label, "value": SVGChart.number($0.value)] } }
            return await shell.render("cockpit", title: "招商驾驶舱", session: session, active: "/cockpit", data: [
                "from": ReportText.dayString(t.from), "to": ReportText.dayString(t.to), "range": range,
                "funnelChart": SVGChart.funnel(t.funnel, title: "阶段漏斗（到达各阶段的企业数，每家企业只计一次）"), "funnel": bars(t.funnel),
                "countyChart": SVGChart.bars(t.perCounty, title: "各区县企业数（计入持有的区县）", unit: "家"), "county": bars(t.perCounty),
                "responseChart": SVGChart.columns(t.response, title: "派单答复时长分布", unit: "个"), "response": bars(t.response),
                "conflictChart": SVGChart.columns(t.conflicts, title: "每月新增撞单", unit: "个"), "conflicts": bars(t.conflicts),
                "heads": columns.map { ["name": $0.0] },
                "definitions": ReportText.definitions.map { ["term": $0.term, "text": $0.text] },
                "rows": t.rows.map { row in
                    ["total": row.scope == Cockpit.total,
                     "cells": columns.enumerated().map { index, column in
                         ["value": index == 0 ? (t.names[row.scope] ?? row.scope) : column.1(row)]
                     }] as [String: Any]
                },
                "reviews": t.reviews.map { p in
                    let (answered, pending) = ReviewStatus.counts(p.entries)
                    return ["claim": p.claim, "office": t.names[p.office] ?? p.office, "investor": p.investorName, "answered": answered, "pending": pending, "hasPending": pending > 0,
                            "longest": Format.age(p.entries.filter(\.isPending).map { $0.waited(now: now) }.max() ?? 0)] as [String: Any]
                },
            ])
        }
        shell.page(router, "/cockpit/:table") { request, context, _ in
            let name = try context.parameters.require("table")
            let t = try await cockpit(request)
            switch name {
            case "metrics.csv": return ConsoleShell.csv(ReportText.csv(t.rows), filename: "cockpit-metrics.csv")
            case "funnel.csv": return ConsoleShell.csv(Self.barTable(t.funnel, "阶段", "企业数"), filename: "cockpit-funnel.csv")
            case "counties.csv": return ConsoleShell.csv(Self.barTable(t.perCounty, "区县", "企业数"), filename: "cockpit-counties.csv")
            case "definitions.csv": return ConsoleShell.csv(ReportText.definitionsCSV(), filename: "cockpit-definitions.csv")
            case "response.csv": return ConsoleShell.csv(Self.barTable(t.response, "答复时长", "派单数"), filename: "cockpit-response.csv")
            case "conflicts.csv": return ConsoleShell.csv(Self.barTable(t.conflicts, "月份", "新增撞单"), filename: "cockpit-conflicts.csv")
            case "reviews.csv": return ConsoleShell.csv(ReviewText.csv(t.reviews, now: Date()), filename: "cockpit-reviews.csv")
            default: throw ConsoleError.notFound
            }
        }
    }

    // MARK: Tenants

    func tenantsPage(_ session: ConsoleSession, notice: String?, error: String? = nil, form: FormData = FormData(),
                     status: HTTPResponse.Status = .ok) async throws -> Response {
        let tenants = try await TenantStore.list(client: client, logger: logger)
        var rows: [[String: Any]] = []
        for tenant in tenants where tenant.kind != .hub {
            var row: [String: Any] = [
                "id": tenant.id, "kind": Format.tenantKind(tenant.kind), "name": tenant.name, "key": tenant.publicKey ?? "（无密钥）",
                "active": tenant.isActive, "created": Format.time(tenant.createdAt), "revoked": tenant.revokedAt.map(Format.time) ?? "",
                "department": tenant.kind == .department,
            ]
            if tenant.kind == .department {
                row["grants"] = try await GrantStore.patterns(for: tenant.id, kind: .department, client: client, logger: logger)
                    .map(\.text).joined(separator: " ")
            }
            rows.append(row)
        }
        return await shell.render("tenants", title: "租户与密钥", session: session, active: "/tenants", data: [
            "tenants": rows, "canAct": Self.act.contains(session.user.role), "error": error as Any,
            "endpoint": form["hub_endpoint"] ?? defaultEndpoint, "code": form["code"] ?? "", "name": form["name"] ?? "",
            "databaseURL": form["database_url"] ?? "",
            "kinds": [("county", "区县节点"), ("department", "审批部门"), ("coordinator", "市级协调人员")].map {
                ["value": $0.0, "label": $0.1, "selected": $0.0 == (form["kind"] ?? "county")]
            },
        ], status: status, notice: notice)
    }

    /// The address nodes reach the hub at, guessed from its bind address (0.0.0.0 cannot be reached).
    var defaultEndpoint: String {
        configuration.bind.replacingOccurrences(of: "0.0.0.0", with: "127.0.0.1").replacingOccurrences(of: "tcp://*:", with: "tcp://127.0.0.1:")
    }

    func registerTenants(_ router: Router<ConsoleShell.Context>) {
        shell.page(router, "/tenants") { request, _, session in
            try await tenantsPage(session, notice: Flash.message(request))
        }
        shell.action(router, "/tenants", roles: Self.act) { _, _, session, form in
            guard let kind = form["kind"].flatMap(Tenant.Kind.init(rawValue:)), kind != .hub else {
                return try await tenantsPage(session, notice: nil, error: "请选择类别 [KIND_INVALID]", form: form, status: .badRequest)
            }
            guard let code = form["code"], let name = form["name"], let endpoint = form["hub_endpoint"] else {
                return try await tenantsPage(session, notice: nil, error: "代码、名称和协同中心地址都必须填写 [FIELDS_REQUIRED]",
                                             form: form, status: .badRequest)
            }
            let databaseURL = form["database_url"]
            if let databaseURL {
                do { _ = try DatabaseConfiguration.parse(url: databaseURL) } catch let error as StoreError {
                    return try await tenantsPage(session, notice: nil, error: "\(error.message) [DATABASE_URL_INVALID]", form: form, status: .badRequest)
                }
            }
            let issued = try CoordinatorActions.tenantConfig(kind: kind, code: code, name: name, hubEndpoint: endpoint,
                                                             hubPublicKey: configuration.keys.publicKey, databaseURL: databaseURL,
                                                             consoleBind: "127.0.0.1:8701")
            do {
                try await TenantStore.add(id: code, kind: kind, name: name, publicKey: issued.publicKey, client: client, logger: logger)
            } catch let error as StoreError {
                return try await tenantsPage(session, notice: nil, error: "\(error.message) [\(error.code.rawValue)]", form: form, status: .badRequest)
            }
            await shell.audit(actor: session.user.username, action: "console.tenant.add", subject: "tenant:\(code)",
                              ["kind": kind.rawValue, "name": name, "public_key": issued.publicKey])
            let download = "data:text/plain;charset=utf-8," + (issued.configText.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
            return await shell.render("tenant_issued", title: "已登记 \(name)", session: session, active: "/tenants", data: [
                "code": code, "name": name, "kind": Format.tenantKind(kind), "config": issued.configText, "publicKey": issued.publicKey,
                "download": download, "filename": "\(code).toml", "node": kind == .county,
            ])
        }
        shell.action(router, "/tenants/:id/revoke", roles: Self.act) { _, context, session, _ in
            let id = try context.parameters.require("id")
            guard try await TenantStore.revoke(id: id, client: client, logger: logger) else {
                throw ConsoleError(.notFound, "NOT_FOUND", "没有有效的租户 \(id)（不存在或已吊销）")
            }
            try await CoordinatorActions.refreshReviews(client: client, logger: logger)
            await shell.audit(actor: session.user.username, action: "console.tenant.revoke", subject: "tenant:\(id)", [:])
            return ConsoleShell.redirect("/tenants?done=revoked")
        }
        shell.action(router, "/tenants/:id/grants", roles: Self.act) { _, context, session, form in
            let id = try context.parameters.require("id")
            var patterns: [TopicPattern] = []
            for text in (form["patterns"] ?? "").split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\n" }).map(String.init) {
                guard let pattern = TopicPattern(text) else { throw ConsoleError(.badRequest, "PATTERN_INVALID", "主题模式不合法：\(text)") }
                patterns.append(pattern)
            }
            guard !patterns.isEmpty else { throw ConsoleError(.badRequest, "PATTERN_REQUIRED", "请填写主题模式，如 stage.signed") }
            guard try await client.withConnection({ try await TenantStore.activeKind(id, on: $0, logger: logger) }) == .department else {
                throw ConsoleError(.badRequest, "NOT_DEPARTMENT", "\(id) 不是有效的审批部门")
            }
            let revoke = form["mode"] == "revoke"
            if revoke {
                try await GrantStore.revoke(id, patterns, client: client, logger: logger)
            } else {
                try await GrantStore.grant(id, patterns, client: client, logger: logger)
            }
            try await CoordinatorActions.refreshReviews(client: client, logger: logger)
            await shell.audit(actor: session.user.username, action: revoke ? "console.grant.revoke" : "console.grant", subject: "tenant:\(id)",
                              ["patterns": patterns.map(\.text).joined(separator: " ")])
            return ConsoleShell.redirect("/tenants?done=granted")
        }
    }
}
