import ConcordConfig
import ConcordDomain
import ConcordHub
import ConcordStore
import ConcordTestSupport
import ConcordWeb
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import Testing
import ZeroMQ

/// Every page and form of the coordinators' console, in process, against a real PostgreSQL.
@Suite struct HubConsoleTests {
    static func withHub(_ body: @escaping @Sendable (Database, HubConfiguration, any TestClientProtocol) async throws -> Void) async throws {
        try await WebFixture.withDatabase { db in
            let configuration = HubConfiguration(bind: "tcp://0.0.0.0:7700", keys: try CurveKeyPair.generate(), database: db.configuration)
            let logger = WebFixture.logger
            let users = UserStore(client: db.client, logger: logger, cost: 4)
            for (id, kind) in [("360402", Tenant.Kind.county), ("360404", .county), ("zrzy", .department)] {
                try await TenantStore.add(id: id, kind: kind, name: id == "zrzy" ? "自然资源局" : "区县\(id)",
                                          publicKey: try CurveKeyPair.generate().publicKey, client: db.client, logger: logger)
            }
            try await db.client.query("INSERT INTO tenants (id, kind, name) VALUES ('city-zhang', 'coordinator', '张协调')", logger: logger)
            try await users.add(username: "city-zhang", displayName: "张协调", role: .coordinator, password: WebFixture.password)
            try await users.add(username: "city-view", displayName: "王查看", role: .viewer, password: WebFixture.password)
            // Two offices file the same enterprise: the registry opens a conflict.
            try await db.client.withTransaction(logger: logger) { connection in
                let registry = ClaimRegistry(logger: logger)
                _ = try await registry.file(ClaimFiling(office: "360402", leadRef: "lead-a", investorName: "观途（上海）新能源科技有限公司",
                                                        creditCode: "91110000600037341L", industry: "新能源", investmentWan: 300_000,
                                                        reportedAt: Date().addingTimeInterval(-86_400)), on: connection)
                _ = try await registry.file(ClaimFiling(office: "360404", leadRef: "lead-b", investorName: "上海观途新能源科技集团有限公司",
                                                        industry: "新能源", reportedAt: Date()), on: connection)
            }
            let console = HubConsole(configuration: configuration, client: db.client, logger: logger, passwordCost: 4)
            let app = Application(router: console.router())
            try await app.test(.router) { client in try await body(db, configuration, client) }
        }
    }

    @Test func loginIsRequiredThrottledAndSetsAStrictCookie() async throws {
        try await Self.withHub { db, configuration, client in
            let agent = Agent(client)
            let anonymous = try await agent.get("/conflicts")
            #expect(anonymous.status == .seeOther)
            #expect(anonymous.location?.hasPrefix("/login?next=") == true)
            #expect(try await agent.get("/login").body.contains("用户名"))
            // A login form posted without the token its page set (from another site, say) is refused.
            let forged = try await Agent(client).post("/login", [("username", "city-zhang"), ("password", WebFixture.password)], csrf: false)
            #expect(forged.status == .forbidden)
            #expect(forged.body.contains("CSRF_TOKEN_INVALID"))

            let wrong = try await agent.tryLogin("city-zhang", "wrong-password")
            #expect(wrong.status == .unauthorized)
            #expect(wrong.body.contains("LOGIN_FAILED"))

            let ok = try await agent.tryLogin("city-zhang", WebFixture.password, next: "/cockpit")
            #expect(ok.status == .seeOther)
            #expect(ok.location == "/cockpit")
            let cookie = ok.headers[.setCookie] ?? ""
            #expect(cookie.contains("HttpOnly"))
            #expect(cookie.contains("SameSite=Strict"))
            #expect(ok.headers[HTTPField.Name("Content-Security-Policy")!]?.contains("default-src 'self'") == true)
            // A path no route has answers 404 with the same headers.
            let nowhere = try await Agent(client).get("/no/such/page")
            #expect(nowhere.status == .notFound)
            #expect(nowhere.headers[HTTPField.Name("Content-Security-Policy")!]?.contains("frame-ancestors 'none'") == true)
            #expect(nowhere.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")

            // An off-site "next" is not followed.
            let offsite = try await Agent(client).tryLogin("city-view", WebFixture.password, next: "//evil.example/")
            #expect(offsite.location == "/")

            // Five failures lock the name; even the right password is refused then.
            let victim = Agent(client)
            for _ in 0..<5 { try await victim.tryLogin("city-view", "nope-nope-nope") }
            let locked = try await victim.tryLogin("city-view", WebFixture.password)
            #expect(locked.status == .tooManyRequests)
            #expect(locked.body.contains("LOGIN_THROTTLED"))
            #expect(try await WebFixture.scalar(db, "SELECT count(*)::int FROM audit_chain WHERE action = 'console.login.locked'") == 1,
                    "the lock is audited once; the refusals after it are not")
            // A restart does not lift the lock: a new console process reads the failures back from the audit chain.
            let restarted = Application(router: HubConsole(configuration: configuration, client: db.client, logger: WebFixture.logger,
                                                            passwordCost: 4).router())
            try await restarted.test(.router) { fresh in
                let again = try await Agent(fresh).tryLogin("city-view", WebFixture.password)
                #expect(again.status == .tooManyRequests, "locked after a restart too")
                let other = try await Agent(fresh).tryLogin("city-zhang", WebFixture.password)
                #expect(other.status == .seeOther, "another name is not locked")
            }
            // A name that cannot exist is refused like a wrong password, without growing the throttle.
            let junk = try await Agent(client).tryLogin(String(repeating: "x", count: 5000), WebFixture.password)
            #expect(junk.status == .unauthorized)
        }
    }

    @Test func conflictQueueAndArbitration() async throws {
        try await Self.withHub { db, _, client in
            let viewer = Agent(client)
            try await viewer.login("city-view", WebFixture.password, then: "/conflicts")
            #expect(viewer.lastBody.contains("open-conflicts"))
            #expect(viewer.lastBody.contains("观途（上海）新能源科技有限公司"))
            let page = try await viewer.get("/conflicts/1")
            #expect(page.status == .ok)
            #expect(page.body.contains("<mark>观途</mark>"), "the brand is highlighted")
            #expect(page.body.contains("规则建议"))
            #expect(page.body.contains("字号相同"), "the match's reasons are shown")
            #expect(page.body.contains("首报（协同中心收到）") && page.body.contains("区县填报日期"), "the hub's receipt and the county's own date, told apart")
            #expect(!page.body.contains("decide-form"), "a viewer gets no arbitration form")
            #expect(try await viewer.get("/conflicts/999").status == .notFound)
            #expect(try await viewer.get("/conflicts/abc").status == .badRequest, "a malformed id is the request's fault, not a 500")

            // A viewer's decision is refused on the server even with a valid token.
            let refused = try await viewer.post("/conflicts/1/decide", [("kind", "award"), ("office", "360402"), ("reason", "试图裁决")])
            #expect(refused.status == .forbidden)
            #expect(refused.body.contains("ROLE_REFUSED"))

            let coordinator = Agent(client)
            try await coordinator.login("city-zhang", WebFixture.password, then: "/conflicts/1")
            #expect(coordinator.lastBody.contains("decide-form"))
            // No token: refused, nothing decided.
            let forged = try await coordinator.post("/conflicts/1/decide", [("kind", "award"), ("office", "360402"), ("reason", "伪造")], csrf: false)
            #expect(forged.status == .forbidden)
            #expect(forged.body.contains("CSRF_TOKEN_INVALID"))
            let wrongToken = try await coordinator.post("/conflicts/1/decide", [("kind", "award"), ("office", "360402"), ("reason", "伪造"),
                                                                                 ("_csrf", String(repeating: "0", count: 64))], csrf: false)
            #expect(wrongToken.status == .forbidden)
            // No reason: refused.
            let noReason = try await coordinator.post("/conflicts/1/decide", [("kind", "award"), ("office", "360402"), ("reason", " ")])
            #expect(noReason.status == .badRequest)
            #expect(noReason.body.contains("REASON_REQUIRED"))
            // A rule the domain refuses (transfer to the office it comes from).
            let invalid = try await coordinator.post("/conflicts/1/decide", [("kind", "transfer"), ("from", "360402"), ("to", "360402"),
                                                                              ("split", "50:50"), ("years", "5"), ("reason", "自转")])
            #expect(invalid.status == .badRequest)
            #expect(try await WebFixture.scalar(db, "SELECT count(*)::int FROM decisions") == 0)

            let decided = try await coordinator.post("/conflicts/1/decide", [("kind", "transfer"), ("from", "360402"), ("to", "360404"),
                                                                              ("split", "60:40"), ("years", "5"), ("reason", "柴桑区产业链更完整")])
            #expect(decided.status == .seeOther)
            #expect(decided.location == "/conflicts/1?done=decided")
            #expect(try await WebFixture.scalar(db, "SELECT count(*)::int FROM conflicts WHERE status = 'decided'") == 1)
            #expect(try await WebFixture.scalar(db, "SELECT count(*)::int FROM audit_chain WHERE actor = 'web:city-zhang' AND action = 'console.decision'") == 1)
            #expect(try await WebFixture.scalar(db, "SELECT count(*)::int FROM audit_chain WHERE actor = 'city-zhang' AND action = 'decision'") == 1)
            #expect(try await WebFixture.scalar(db, "SELECT count(*)::int FROM outbox WHERE peer IN ('360402', '360404')") >= 2,
                    "both offices are told")
            let after = try await coordinator.get("/conflicts/1?done=decided")
            #expect(after.body.contains("已裁决，并已通知"))
            #expect(after.body.contains("现行"))
            #expect(after.body.contains("name=\"supersedes\""), "a decided conflict offers only a superseding decision")
            let queue = try await coordinator.get("/conflicts")
            #expect(queue.body.contains("decided-conflicts"))
            #expect(queue.body.contains("柴桑区产业链更完整"))
        }
    }

    @Test func dispatchProjectsCockpitAndTenants() async throws {
        try await Self.withHub { db, _, client in
            try await DispatchDesk(logger: WebFixture.logger).setProfile(
                CountyProfile(county: "360404", industries: ["新能源"], chains: ["锂电池"], landByPark: ["城西工业园": 600],
                              energyTce: 50_000, environment: 400), client: db.client)
            let agent = Agent(client)
            try await agent.login("city-zhang", WebFixture.password, then: "/dispatch")
            let filed = try await agent.post("/dispatch/leads", [("investor_name", "赣锋锂业集团股份有限公司"), ("industry", "新能源"),
                                                                 ("chain", "锂电池"), ("land_mu", "400")])
            #expect(filed.status == .seeOther)
            let leadPath = try #require(filed.location?.split(separator: "?").first.map(String.init))
            let ranking = try await agent.get(leadPath)
            #expect(ranking.status == .ok)
            #expect(ranking.body.contains("ranking"))
            #expect(ranking.body.contains("派给 区县360404 360404"))
            let badNumber = try await agent.post("/dispatch/leads", [("investor_name", "某公司"), ("land_mu", "很多")])
            #expect(badNumber.status == .badRequest)
            let assigned = try await agent.post(leadPath + "/assign", [("county", "360404"), ("note", "请 3 日内评估")])
            #expect(assigned.location == "/dispatch?done=assigned")
            #expect(try await WebFixture.scalar(db, "SELECT count(*)::int FROM assignments WHERE county = '360404'") == 1)
            #expect(try await WebFixture.scalar(db, "SELECT count(*)::int FROM outbox WHERE peer = '360404' AND type = 'assignment.offer'") == 1)
            let again = try await agent.post(leadPath + "/assign", [("county", "360402")])
            #expect(again.status == .badRequest, "an offered lead cannot be offered twice")
            let dispatch = try await agent.get("/dispatch")
            #expect(dispatch.body.contains("assignments"))
            #expect(dispatch.body.contains("待答复"))

            let projects = try await agent.get("/projects?q=" + Agent.encode("观途"))
            #expect(projects.status == .ok)
            #expect(projects.body.contains("上海观途新能源科技集团有限公司"))
            let byCode = try await agent.get("/projects?q=91110000600037341L&county=360402")
            #expect(byCode.body.contains("观途（上海）"))
            #expect(!byCode.body.contains("上海观途新能源科技集团"))
            #expect(try await agent.get("/projects?stage=signed").body.contains("找到 0 个"))

            let cockpit = try await agent.get("/cockpit")
            #expect(cockpit.status == .ok)
            #expect(cockpit.body.contains("<svg"))
            #expect(cockpit.body.contains("阶段漏斗"))
            #expect(cockpit.body.contains("口径说明"), "the report says how each figure is defined")
            #expect(!cockpit.body.contains("<script>"), "no inline script")
            for table in ["metrics", "funnel", "counties", "response", "conflicts", "reviews", "definitions"] {
                let csv = try await agent.get("/cockpit/\(table).csv")
                #expect(csv.status == .ok, "\(table).csv")
                #expect(csv.headers[.contentType]?.hasPrefix("text/csv") == true)
                #expect(csv.headers[.contentDisposition]?.contains("attachment") == true)
            }
            #expect(try await agent.get("/cockpit/metrics.csv").body.contains("合计"))
            #expect(try await agent.get("/cockpit?from=2026-13-01").status == .badRequest)
            #expect(try await agent.get("/cockpit/nothing.csv").status == .notFound)

            let tenants = try await agent.get("/tenants")
            #expect(tenants.body.contains("自然资源局"))
            let added = try await agent.post("/tenants", [("kind", "county"), ("code", "360423"), ("name", "武宁县"),
                                                          ("hub_endpoint", "tcp://10.0.0.5:7700"),
                                                          ("database_url", "postgres://concord@127.0.0.1:5432/concord_node")])
            #expect(added.status == .ok)
            #expect(added.body.contains("secret_key"), "the new tenant's config is shown once")
            #expect(added.body.contains("只显示这一次"))
            #expect(added.headers[.cacheControl] == "no-store")
            #expect(try await WebFixture.scalar(db, "SELECT count(*)::int FROM tenants WHERE id = '360423'") == 1)
            let duplicate = try await agent.post("/tenants", [("kind", "county"), ("code", "360423"), ("name", "武宁县"),
                                                              ("hub_endpoint", "tcp://10.0.0.5:7700")])
            #expect(duplicate.status == .badRequest)
            let granted = try await agent.post("/tenants/zrzy/grants", [("patterns", "stage.signed dispatch.*"), ("mode", "grant")])
            #expect(granted.location == "/tenants?done=granted")
            #expect(try await WebFixture.scalar(db, "SELECT count(*)::int FROM grants WHERE tenant = 'zrzy'") == 2)
            let badPattern = try await agent.post("/tenants/zrzy/grants", [("patterns", "stage..x"), ("mode", "grant")])
            #expect(badPattern.status == .badRequest)
            let notDepartment = try await agent.post("/tenants/360402/grants", [("patterns", "stage.signed")])
            #expect(notDepartment.status == .badRequest)
            let revoked = try await agent.post("/tenants/360423/revoke", [])
            #expect(revoked.location == "/tenants?done=revoked")
            #expect(try await agent.post("/tenants/360423/revoke", []).status == .notFound)
            #expect(try await WebFixture.scalar(db, "SELECT count(*)::int FROM audit_chain WHERE action LIKE 'console.%'") >= 5)

            // A viewer can read every page but change nothing.
            let viewer = Agent(client)
            try await viewer.login("city-view", WebFixture.password, then: "/tenants")
            #expect(!viewer.lastBody.contains("登记新租户"))
            #expect(try await viewer.post("/tenants/360402/revoke", []).status == .forbidden)
            #expect(try await viewer.post("/dispatch/leads", [("investor_name", "某公司")]).status == .forbidden)

            let logout = try await agent.post("/logout", [])
            #expect(logout.location == "/login")
            #expect(try await agent.get("/tenants").status == .seeOther, "the session ends at logout")
        }
    }
}
