import ConcordConfig
import ConcordDomain
import ConcordNode
import ConcordStore
import ConcordTestSupport
import ConcordWeb
import Foundation
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import Testing
import ZeroMQ

/// Every page and form of the officers' console, in process, against a real PostgreSQL. The hub is
/// not running here: the duplicate check must say so, and filing must still work.
@Suite struct NodeConsoleTests {
    static func configuration(_ db: Database, office: String) throws -> NodeConfiguration {
        let (fd, port) = loopbackSocket()  // bound and never listened on: nothing answers there
        close(fd)
        return NodeConfiguration(tenant: office, name: "濂溪区", hubEndpoint: "tcp://127.0.0.1:\(port)",
                                 hubPublicKey: try CurveKeyPair.generate().publicKey, keys: try CurveKeyPair.generate(),
                                 database: db.configuration)
    }

    static func withNode(_ body: @escaping @Sendable (Database, any TestClientProtocol) async throws -> Void) async throws {
        try await WebFixture.withDatabase { db in
            let users = UserStore(client: db.client, logger: WebFixture.logger, cost: 4)
            try await users.add(username: "zhangmin", displayName: "张敏", role: .officer, password: WebFixture.password)
            try await users.add(username: "viewer", displayName: "赵看", role: .viewer, password: WebFixture.password)
            let console = NodeConsole(configuration: try configuration(db, office: "360402"), client: db.client,
                                      logger: WebFixture.logger, passwordCost: 4)
            try await Application(router: console.router()).test(.router) { client in try await body(db, client) }
        }
    }

    static func multipart(_ fields: [(String, String)], file: (name: String, filename: String, content: String)?) -> (String, ByteBuffer) {
        let boundary = "----concordtest\(UUID().uuidString.prefix(8))"
        var text = ""
        for (name, value) in fields { text += "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n" }
        if let file {
            text += "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(file.name)\"; filename=\"\(file.filename)\"\r\n"
            text += "Content-Type: text/csv\r\n\r\n\(file.content)\r\n"
        }
        text += "--\(boundary)--\r\n"
        return ("multipart/form-data; boundary=\(boundary)", ByteBuffer(string: text))
    }

    @Test func filingALeadAndItsPage() async throws {
        try await Self.withNode { db, client in
            let agent = Agent(client)
            #expect(try await agent.get("/leads").status == .seeOther)
            try await agent.login("zhangmin", WebFixture.password, then: "/leads")
            #expect(agent.lastBody.contains("离线：已保存，恢复连接后自动上报"), "no daemon has reported a link: the banner says offline")
            let form = try await agent.get("/leads/new")
            #expect(form.body.contains("credit_code_note"))

            // The instant credit-code check (the page script calls it as the officer types).
            let good = try await agent.get("/api/credit-code?code=91110000600037341L")
            #expect(good.headers[.contentType]?.hasPrefix("application/json") == true)
            #expect(good.body.contains("\"valid\":true"))
            #expect(try await agent.get("/api/credit-code?code=91110000600037341X").body.contains("USCC"))

            // The duplicate check reaches no hub here and says so, without filing anything.
            let check = try await agent.post("/leads", [("investor_name", "观途（上海）新能源科技有限公司"), ("action", "check")])
            #expect(check.status == .ok)
            #expect(check.body.contains("HUB_UNREACHABLE"))
            #expect(try await WebFixture.scalar(db, "SELECT count(*)::int FROM leads") == 0)

            let refused = try await agent.post("/leads", [("investor_name", " "), ("investment_wan", "很多"), ("action", "file")])
            #expect(refused.status == .badRequest)
            #expect(refused.body.contains("投资方名称不能为空"))
            #expect(refused.body.contains("总投资不是数字"))

            let filed = try await agent.post("/leads", [("investor_name", "观途（上海）新能源科技有限公司"), ("credit_code", "91110000600037341L"),
                                                        ("project_name", "储能电池生产基地"), ("industry", "新能源"), ("investment_wan", "300000"),
                                                        ("stage", "lead"), ("action", "file")])
            #expect(filed.status == .seeOther)
            let path = try #require(filed.location?.split(separator: "?").first.map(String.init))
            #expect(try await WebFixture.scalar(db, "SELECT count(*)::int FROM leads") == 1)
            #expect(try await WebFixture.scalar(db, "SELECT count(*)::int FROM outbox WHERE peer = 'hub' AND type = 'claim.file'") == 1,
                    "the filing waits in the outbox for the hub")
            #expect(try await WebFixture.scalar(db, "SELECT count(*)::int FROM audit_chain WHERE actor = 'web:zhangmin' AND action = 'lead.filed'") == 1)
            let lead = try await agent.get(path + "?done=filed")
            #expect(lead.status == .ok)
            #expect(lead.body.contains("已报备"))
            #expect(lead.body.contains("待确认"))
            #expect(lead.body.contains("stage-form"))

            let moved = try await agent.post(path + "/stage", [("stage", "negotiating")])
            #expect(moved.location?.hasSuffix("?done=stage") == true)
            #expect(try await WebFixture.scalar(db, "SELECT count(*)::int FROM lead_stage_history") == 2)
            let backwards = try await agent.post(path + "/stage", [("stage", "lead")])
            #expect(backwards.status == .badRequest, "the lifecycle refuses going back")
            let list = try await agent.get("/leads")
            #expect(list.body.contains("洽谈"))

            // The hub's notice arrives (as the daemon writes it): the page shows the conflict.
            try await db.client.query("""
                UPDATE leads SET claim_status = 'contested',
                    claim_detail = '{"holder_office":"360404","holder_since":"2026-01-05T08:00:00.000Z","conflict_id":7}'::jsonb
                """, logger: WebFixture.logger)
            let contested = try await agent.get(path)
            #expect(contested.body.contains("撞单待裁决"))
            #expect(contested.body.contains("占有方：360404"))

            // Another office's lead is not in this office's database: not found, nothing shown.
            #expect(try await agent.get("/leads/\(UUID().uuidString.lowercased())").status == .notFound)
            #expect(try await agent.get("/leads/zz").status == .badRequest)
        }
    }

    @Test func viewersAndForgedFormsAreRefused() async throws {
        try await Self.withNode { db, client in
            let viewer = Agent(client)
            try await viewer.login("viewer", WebFixture.password, then: "/leads")
            #expect(viewer.lastBody.contains("我的线索"))
            #expect(!viewer.lastBody.contains("/leads/new\""), "no filing link for a viewer")
            #expect(try await viewer.get("/leads/new").status == .forbidden)
            let refused = try await viewer.post("/leads", [("investor_name", "九江恒通物流有限公司"), ("action", "file")])
            #expect(refused.status == .forbidden)
            let officer = Agent(client)
            try await officer.login("zhangmin", WebFixture.password, then: "/leads")
            let forged = try await officer.post("/leads", [("investor_name", "九江恒通物流有限公司"), ("action", "file")], csrf: false)
            #expect(forged.status == .forbidden)
            #expect(forged.body.contains("CSRF_TOKEN_INVALID"))
            #expect(try await WebFixture.scalar(db, "SELECT count(*)::int FROM leads") == 0)
            #expect(try await WebFixture.scalar(db, "SELECT count(*)::int FROM audit_chain WHERE action = 'console.refused'") == 2)
            // A hub role cannot log in at a node.
            try await UserStore(client: db.client, logger: WebFixture.logger, cost: 4)
                .add(username: "city", displayName: "市里", role: .coordinator, password: WebFixture.password)
            let wrongConsole = try await Agent(client).tryLogin("city", WebFixture.password)
            #expect(wrongConsole.status == .unauthorized)
        }
    }

    @Test func csvImportReportsEveryRow() async throws {
        try await Self.withNode { db, client in
            let agent = Agent(client)
            try await agent.login("zhangmin", WebFixture.password, then: "/import")
            let bad = "investor_name,credit_code,investment_wan\n九江恒通物流有限公司,,1200\n,,5\n江西晶科光伏材料有限公司,91110000600037341X,abc\n"
            let (type1, body1) = Self.multipart([("_csrf", agent.csrf ?? "")], file: ("file", "leads.csv", bad))
            let refused = try await agent.send("/import", body: body1, contentType: type1)
            #expect(refused.status == .badRequest)
            #expect(refused.body.contains("2 行有误，全部未导入"))
            #expect(refused.body.contains("投资方名称不能为空"))
            #expect(refused.body.contains("investment_wan 不是数字"))
            #expect(try await WebFixture.scalar(db, "SELECT count(*)::int FROM leads") == 0)

            let good = "\u{FEFF}investor_name,credit_code,industry\n九江恒通物流有限公司,,物流\n江西晶科光伏材料有限公司,91110000600037341X,光伏\n"
            let (type2, body2) = Self.multipart([("_csrf", agent.csrf ?? "")], file: ("file", "leads.csv", good))
            let imported = try await agent.send("/import", body: body2, contentType: type2)
            #expect(imported.status == .ok)
            #expect(imported.body.contains("已导入 2 条"))
            #expect(imported.body.contains("将按名称匹配"), "an invalid credit code is a warning, not a refusal")
            #expect(try await WebFixture.scalar(db, "SELECT count(*)::int FROM leads") == 2)

            // Pasted text works without a file; a wrong column is named.
            let pasted = try await agent.post("/import", [("csv", "name,industry\n某公司,物流\n")])
            #expect(pasted.status == .badRequest)
            #expect(pasted.body.contains("未知的列名「name」"))
            let (type3, body3) = Self.multipart([], file: ("file", "x.csv", "investor_name\n某公司\n"))
            #expect(try await agent.send("/import", body: body3, contentType: type3).status == .forbidden, "no CSRF token in the upload")
        }
    }

    @Test func assignmentsAreAcceptedOrDeclinedWithAReason() async throws {
        try await Self.withNode { db, client in
            for id in [1, 2] {
                try await db.client.query("""
                    INSERT INTO node_assignments (id, city_lead, investor_name, industry, offered_at, respond_by, assess_by, explanation)
                    VALUES (\(id), \(UUID()), \(id == 1 ? "赣锋锂业集团股份有限公司" : "九江石化设备有限公司"), '新能源', now(),
                            now() + interval '1 day', now() + interval '3 days', '+30 主导产业相符')
                    """, logger: WebFixture.logger)
            }
            let agent = Agent(client)
            try await agent.login("zhangmin", WebFixture.password, then: "/assignments")
            #expect(agent.lastBody.contains("赣锋锂业集团股份有限公司"))
            #expect(agent.lastBody.contains("主导产业相符"))
            let accepted = try await agent.post("/assignments/1/accept", [])
            #expect(accepted.location == "/assignments?done=accepted")
            #expect(try await WebFixture.scalar(db, "SELECT count(*)::int FROM leads WHERE notes = '市级派单 #1'") == 1)
            #expect(try await WebFixture.scalar(db, "SELECT count(*)::int FROM outbox WHERE type = 'assignment.reply'") == 1)
            let twice = try await agent.post("/assignments/1/accept", [])
            #expect(twice.status == .badRequest)
            let noReason = try await agent.post("/assignments/2/decline", [("reason", "")])
            #expect(noReason.status == .badRequest)
            #expect(noReason.body.contains("REASON_REQUIRED"))
            let declined = try await agent.post("/assignments/2/decline", [("reason", "园区用地已规划给其他项目")])
            #expect(declined.location == "/assignments?done=declined")
            #expect(try await WebFixture.scalar(db, "SELECT count(*)::int FROM node_assignments WHERE status = 'declined'") == 1)
            #expect(try await agent.post("/assignments/9/accept", []).status == .notFound)
            let page = try await agent.get("/assignments")
            #expect(page.body.contains("已接受"))
            #expect(page.body.contains("查看由此建立的线索"))
        }
    }
}
