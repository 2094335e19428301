import ArgumentParser
import ConcordConfig
import ConcordProtocol
import Foundation
import ZeroMQ

struct OpinionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "opinion",
        abstract: "审批部门出具审查意见（联审联办） (a department's review opinion).",
        subcommands: [Add.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "对订阅到的项目出具意见，送达项目所属区县并进入事件流 (give an opinion on a project).",
            discussion: """
                --project 为事件中的 claim 编号。意见送达区县节点（concord lead show 可见），进入其他获授权部门的事件流，
                并记入审计链。重复发送同一意见不会重复记录。

                例: concord opinion add --config zrzy.toml --project 3 --verdict 有条件同意 --text '用地符合国土空间规划' \\
                      --conditions '须先完成土地征收报批'
                """
        )
        @Option(help: "部门配置文件 (department config).") var config: String
        @Option(help: "项目编号（事件中的 claim） (project).") var project: Int64
        @Option(help: "同意 | 有条件同意 | 不同意") var verdict: String
        @Option(help: "意见正文 (text).") var text: String
        @Option(help: "条件（有条件同意时必填） (conditions).") var conditions: String?

        func run() async throws {
            try await reportingErrors {
                guard let verdict = OpinionVerdict(text: verdict) else { throw CLIError("BAD_ARGUMENT", "--verdict 应为 同意、有条件同意 或 不同意") }
                let file = try ConfigLoading.load(config)
                let (endpoint, hubKey) = try ConfigLoading.checked { (try file.string("hub_endpoint"), try file.string("hub_public_key")) }
                guard let keys = try? CurveKeyPair(secretKey: try ConfigLoading.checked { try file.string("secret_key") }) else {
                    throw CLIError("CONFIG_INVALID", "secret_key 应为 40 位 Z85 私钥")
                }
                let context = try Context()
                defer { context.terminate() }
                let body = OpinionAdd(opinionID: UUID().uuidString.lowercased(), claim: project, verdict: verdict, text: text, conditions: conditions)
                // Repeat until answered: the hub records an opinion id once.
                for attempt in 1...3 {
                    let loop = try await SubscribeCommand.connect(context, keys: keys, hubKey: hubKey, endpoint: endpoint)
                    let request = Envelope(payload: .opinionAdd(body))
                    try? loop.post(Message(frames: request.frames()), on: loop.socketIDs[0])
                    var answer: Envelope?
                    let deadline = ContinuousClock.now + .seconds(5)
                    while answer == nil, ContinuousClock.now < deadline {
                        guard let received = await firstMessage(of: loop, within: deadline - ContinuousClock.now) else { break }
                        if case .success(let envelope) = Envelope.decode(received.message.frames), envelope.re == request.id { answer = envelope }
                    }
                    await loop.shutdown()
                    switch answer?.payload {
                    case .opinionResult(let result)?:
                        print("已出具意见（\(verdict.chineseName)）：项目 \(project)\(result.repeated ? "（此前已记录）" : "")；将送达所属区县")
                        return
                    case .error(let error)?:
                        throw CLIError(error.code, error.message + "（\(error.detail)）")
                    default:
                        if attempt < 3 { try await Task.sleep(for: .seconds(1)) }
                    }
                }
                throw CLIError("HUB_UNREACHABLE", "无法连接协同中心 \(endpoint)：意见未送出，请稍后重试")
            }
        }
    }
}
