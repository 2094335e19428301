import ArgumentParser
import ConcordDomain
import ConcordProtocol
import ConcordStore
import ConcordWeb
import Foundation
import ZeroMQ

/// `concord bench checks`: "is anyone pursuing X?" against a registry of a million enterprises.
struct BenchChecksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checks",
        abstract: "压测查询：在大规模登记库上测精确代码查询与模糊名称查询的延迟 (check latency at a large registry).",
        discussion: """
            先经存储层批量登记 --enterprises 家不同企业（已有的不重复登记），再以一个区县的身份经真实协议逐条
            发送查询（一次一条，等答复再发下一条）：--checks 条按统一社会信用代码查已登记企业（精确），
            同样多条按名称查（一半是已登记企业换了行业用语的写法，一半是未登记的名称），输出两类的延迟分位数
            并核对每条的结论。协同中心配置的 checks_per_minute 须足够大（scripts/bench 设为 100000）。

            例: concord bench checks --config hub.toml --enterprises 1000000 --checks 2000
            """
    )
    @OptionGroup var hub: TenantCommand.HubConfigOption
    @Option(help: "协同中心地址（默认取配置的 bind）(hub endpoint).") var endpoint: String?
    @Option(help: "登记库的企业数 (enterprises registered).") var enterprises = 1_000_000
    @Option(help: "每类查询的条数 (checks of each kind).") var checks = 2_000
    @Flag(help: "最后一行输出 JSON 摘要 (print a JSON summary line).") var json = false

    static let office = "bench-registry"

    func run() async throws {
        try await reportingErrors {
            guard (1...5_000_000).contains(enterprises), (1...100_000).contains(checks), checks <= enterprises else {
                throw CLIError("BAD_ARGUMENT", "--enterprises 1…5000000，--checks 1…100000 且不超过 --enterprises")
            }
            let configuration = try hub.load()
            let target = endpoint ?? configuration.bind.replacingOccurrences(of: "0.0.0.0", with: "127.0.0.1")
            let logger = CLILogging.logger("concord.bench")
            let asker = "bench-asker-" + String(UUID().uuidString.lowercased().prefix(6))
            let keys = try CurveKeyPair.generate()
            let clock = ContinuousClock()
            let (loaded, loadSeconds) = try await Database.withDatabase(configuration.database, logger: logger) { db -> (Int, Double) in
                try await TenantStore.add(id: asker, kind: .county, name: "压测查询区县", publicKey: keys.publicKey,
                                          client: db.client, logger: logger)
                var present = 0
                let rows = try await db.client.query("SELECT count(*)::int FROM tenants WHERE id = \(Self.office)", logger: logger)
                for try await count in rows.decode(Int.self) { present = count }
                if present == 0 {
                    let registryKey = try CurveKeyPair.generate()
                    try await TenantStore.add(id: Self.office, kind: .county, name: "压测登记库", publicKey: registryKey.publicKey,
                                              client: db.client, logger: logger)
                }
                var existing = 0
                let counted = try await db.client.query("SELECT count(*)::int FROM claims WHERE office = \(Self.office)", logger: logger)
                for try await count in counted.decode(Int.self) { existing = count }
                guard existing < enterprises else { return (0, 0) }
                FileHandle.standardError.write(Data("批量登记 \(enterprises - existing) 家企业（已有 \(existing)）…\n".utf8))
                let start = clock.now
                let registry = ClaimRegistry(logger: logger)
                var loaded = 0
                var index = existing
                while index < enterprises {
                    let end = min(enterprises, index + 5_000)
                    let chunk = (index..<end).map { RegistryPlan.enterprise($0) }
                    loaded += try await db.client.withTransaction(logger: logger) { connection in
                        try await registry.bulkLoad(chunk.map {
                            ClaimRegistry.Registered(office: Self.office, leadRef: String(format: "r%07d", $0.index),
                                                     investorName: $0.name, creditCode: $0.code, industry: $0.industry)
                        }, on: connection)
                    }
                    index = end
                }
                try await db.client.query("ANALYZE claims", logger: logger)
                try await db.client.query("ANALYZE enterprise_holders", logger: logger)
                return (loaded, seconds(start.duration(to: clock.now)))
            }
            if loaded > 0 {
                print(String(format: "批量登记 (bulk load)：%d 家，%.1f 秒，%.0f 家/秒", loaded, loadSeconds, Double(loaded) / loadSeconds))
            }
            try await Task.sleep(for: .seconds(2.5))   // the hub reloads keys every 2 s

            let context = try Context()
            defer { context.terminate() }
            let loop = try await SocketLoop.start(context: context, configuration: .init(name: "bench-checks", inboundCapacity: 64)) { context in
                let socket = try Socket(context: context, type: .dealer)
                try socket.set(.maxMessageSize, Limits.maxSocketMessageBytes)
                try socket.makeCurveClient(keyPair: keys, serverPublicKey: configuration.keys.publicKey)
                try socket.connect(target)
                return [socket]
            }
            var inbound = loop.inbound.makeAsyncIterator()
            /// Sends one check and waits for its answer; returns the answer and the round trip in seconds.
            func ask(_ check: Check) async throws -> (CheckResult, Double) {
                let envelope = Envelope(payload: .check(check))
                let sent = clock.now
                try await loop.send(Message(frames: envelope.frames()), on: loop.socketIDs[0])
                while let received = await inbound.next() {
                    guard case .success(let answer) = Envelope.decode(received.message.frames), answer.re == envelope.id else { continue }
                    switch answer.payload {
                    case .checkResult(let result): return (result, seconds(sent.duration(to: clock.now)))
                    case .error(let body): throw CLIError("BENCH_REFUSED", "协同中心拒绝查询：\(body.code) \(body.detail)")
                    default: continue
                    }
                }
                throw CLIError("BENCH_NO_ANSWER", "连接已关闭")
            }
            // Warm the connection (CURVE handshake) and the hub's plans.
            for i in 0..<20 { _ = try await ask(Check(name: RegistryPlan.enterprise(i).name)) }

            var generator = SplitMix(seed: UInt64(enterprises))
            var exact: [Double] = [], fuzzy: [Double] = []
            var wrong = 0
            var misses: [String] = []
            func miss(_ name: String, _ got: CheckResult.Verdict, expected: String) {
                wrong += 1
                if misses.count < 5 { misses.append("\(name)：得到 \(got.rawValue)，应为 \(expected)") }
            }
            for _ in 0..<checks {
                let enterprise = RegistryPlan.enterprise(Int(generator.next() % UInt64(enterprises)))
                let (result, time) = try await ask(Check(name: enterprise.name, creditCode: enterprise.code))
                if result.verdict != .pursued { miss(enterprise.name, result.verdict, expected: "pursued") }
                exact.append(time)
            }
            for i in 0..<checks {
                let enterprise = RegistryPlan.enterprise(Int(generator.next() % UInt64(enterprises)))
                if i % 2 == 0 {
                    // The same enterprise with other industry words and no code: no key joins it.
                    let (result, time) = try await ask(Check(name: enterprise.variant))
                    if result.verdict == .free { miss(enterprise.variant, result.verdict, expected: "pursued 或 possibly_pursued") }
                    fuzzy.append(time)
                } else {
                    let (result, time) = try await ask(Check(name: RegistryPlan.unregistered(i)))
                    if result.verdict == .pursued { miss(RegistryPlan.unregistered(i), result.verdict, expected: "free 或 possibly_pursued") }
                    fuzzy.append(time)
                }
            }
            await loop.shutdown()
            exact.sort()
            fuzzy.sort()
            func percentile(_ values: [Double], _ p: Double) -> Double { concord.percentile(values, p) * 1000 }
            print(String(format: "精确代码查询 (exact-code check, ms)：p50 %.2f  p90 %.2f  p99 %.2f  max %.2f（目标 p99 ≤ 2）",
                         percentile(exact, 0.5), percentile(exact, 0.9), percentile(exact, 0.99), exact.last! * 1000))
            print(String(format: "模糊名称查询 (fuzzy name check, ms)：p50 %.2f  p90 %.2f  p99 %.2f  max %.2f（目标 p99 ≤ 20）",
                         percentile(fuzzy, 0.5), percentile(fuzzy, 0.9), percentile(fuzzy, 0.99), fuzzy.last! * 1000))
            for line in misses { print("    不符 (mismatch)：\(line)") }
            print(wrong == 0 ? "核对通过 (verified)：每条查询的结论都符合预期"
                             : "核对失败 (NOT verified)：\(wrong) 条查询的结论不符合预期 [BENCH_MISMATCH]")
            if json {
                print(JSONText.render(.object([
                    ("enterprises", .number(Double(enterprises))), ("checks", .number(Double(checks))),
                    ("loaded", .number(Double(loaded))), ("load_seconds", .number(loadSeconds)),
                    ("exact_p50_ms", .number(percentile(exact, 0.5))), ("exact_p99_ms", .number(percentile(exact, 0.99))),
                    ("fuzzy_p50_ms", .number(percentile(fuzzy, 0.5))), ("fuzzy_p99_ms", .number(percentile(fuzzy, 0.99))),
                    ("wrong", .number(Double(wrong))), ("verified", .bool(wrong == 0)),
                ])))
            }
            if wrong > 0 { throw ExitCode(1) }
        }
    }
}


/// The benchmark's registry: enterprise `i` always has the same distinct name and a valid credit
/// code, so a run can be repeated against a loaded database. Brands are three characters drawn
/// from a few hundred that real brands use, spread by a multiplicative permutation.
enum RegistryPlan {
    /// Characters real brands use, none of them a region or an industry word on its own.
    static let brandCharacters: [Character] = {
        var seen = Set<Character>()
        return "华兴盛达信通宏伟德安泰恒昌隆鑫瑞祥和丰富贵荣佳嘉美联创光明星月鹏飞腾跃远博宇宙万方百千亿众诚惠友爱仁义礼智勇毅志强元晶松柏竹梅兰菊桃李杏橘柳杨枫樟榕楠檀碧翠彩虹霞晨曦旭辉煌耀灿烂锦绣秀丽雅致卓越超群首奋图展康健福寿喜乐吉顺亨畅途尚品汇聚鼎峰岳崇嵩泓澜沁涵润泽霖露骏驰骐麟凰鸿雁鹤燕莺蓉芙蓓蕾菁萃馨芳茗若宁静怡悦欣然睿哲思敏捷锐锋铭钧铠璟瑾瑜琳琪璐珂珑琅瑶".filter { seen.insert($0).inserted }
    }()
    static let industries = ["新能源科技", "电子科技", "智能装备", "生物医药", "新材料", "汽车零部件", "物流", "食品",
                             "纺织服装", "化工", "建材", "信息技术", "环保科技", "机械制造", "光电科技", "农业发展"]
    static let otherIndustries = ["贸易", "实业", "投资", "商贸", "发展"]
    static let regions = ["九江", "江西", "南昌", "赣州", "上饶", "宜春", "萍乡", "景德镇"]
    static let codeAlphabet = Array("0123456789ABCDEFGHJKLMNPQRTUWXY")

    struct Enterprise {
        let index: Int
        let name: String
        let variant: String
        let code: String
        let industry: String
        let brand: String
        let region: String

        /// Another spelling of the same enterprise, `same` by the matcher: the region in brackets and
        /// a group form, or (`fuzzy`) without 科技 at the end of the industry words, so that no key
        /// joins the two and only the fuzzy candidates find it.
        func spelling(fuzzy: Bool) -> String {
            if fuzzy, industry.hasSuffix("科技"), industry.count > 2 {
                return "\(region)\(brand)\(industry.dropLast(2))有限公司"
            }
            return "\(brand)\(industry)（\(region)）集团有限公司"
        }
    }

    static func enterprise(_ index: Int) -> Enterprise {
        let n = brandCharacters.count
        // A permutation of 0..<n³: the multiplier is a prime larger than n, so coprime with n³.
        let space = n * n * n
        let mixed = Int((UInt64(index) &* 2_654_435_761) % UInt64(space))
        let brand = String([brandCharacters[mixed % n], brandCharacters[(mixed / n) % n], brandCharacters[(mixed / (n * n)) % n]])
        let industry = industries[index % industries.count]
        let region = regions[(index / industries.count) % regions.count]
        let other = otherIndustries[index % otherIndustries.count]
        return Enterprise(index: index, name: "\(region)\(brand)\(industry)有限公司",
                          variant: "\(brand)\(other)（\(region)）有限公司", code: creditCode(index), industry: industry,
                          brand: brand, region: region)
    }

    /// A name no registered enterprise has (its brand uses a character outside the pool).
    static func unregistered(_ index: Int) -> String {
        let n = brandCharacters.count
        return "九江\(brandCharacters[index % n])\(brandCharacters[(index / n) % n])翯科技有限公司"
    }

    /// A valid 统一社会信用代码 for enterprise `index`: 9 1 + 360400 + a 9-character organisation code.
    static func creditCode(_ index: Int) -> String {
        var body = "91360400"
        var value = index
        var organisation: [Character] = []
        for _ in 0..<9 {
            organisation.append(codeAlphabet[value % codeAlphabet.count])
            value /= codeAlphabet.count
        }
        body += String(organisation.reversed())
        if case .checkCharacterMismatch(_, let expected) = CreditCode.parse(body + "0") { return body + String(expected) }
        return body + "0"
    }
}
