import ArgumentParser
import ConcordNode
import ConcordProtocol
import Foundation
import ZeroMQ

struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "立即询问协同中心：是否已有区县在跟进这家企业 (ask the hub now).",
        discussion: """
            结果只说明是否有区县在跟进、自何时起，不透露是哪个区县。每次查询都记入协同中心的审计链。
            协同中心无法连接时直接说明，退出码 2。

            例: concord check --config 360402.toml --name '观途新能源科技有限公司' --code 91110000600037341L
            """
    )
    @OptionGroup var node: NodeConfigOption
    @Option(help: "企业名称 (enterprise name).") var name: String
    @Option(help: "统一社会信用代码 (credit code).") var code: String?
    @Option(help: "等待秒数 (seconds to wait).") var timeout: Int = 5

    func run() async throws {
        try await reportingErrors {
            let configuration = try node.load()
            let context = try Context()
            defer { context.terminate() }
            let loop = try await SocketLoop.start(context: context, configuration: .init(name: "concord-check")) { context in
                let socket = try Socket(context: context, type: .dealer)
                try socket.makeCurveClient(keyPair: configuration.keys, serverPublicKey: configuration.hubPublicKey)
                try socket.connect(configuration.hubEndpoint)
                return [socket]
            }
            let request = Envelope(payload: .check(Check(name: name, creditCode: code)))
            try await loop.send(Message(frames: request.frames()), on: loop.socketIDs[0])
            let deadline = ContinuousClock.now + .seconds(max(1, timeout))
            var answer: Envelope?
            while answer == nil, ContinuousClock.now < deadline {
                guard let received = await firstMessage(of: loop, within: deadline - ContinuousClock.now) else { break }
                if case .success(let envelope) = Envelope.decode(received.message.frames), envelope.re == request.id {
                    answer = envelope
                }
            }
            await loop.shutdown()
            guard let answer else {
                say("无法连接协同中心 \(configuration.hubEndpoint)（\(timeout) 秒内无应答）：查询未完成，请稍后再试 [HUB_UNREACHABLE]")
                throw ExitCode(2)
            }
            switch answer.payload {
            case .checkResult(let result):
                let since = result.since.flatMap(Timestamp.parse).map { LeadText.dateFormat.string(from: $0) } ?? "?"
                switch result.verdict {
                case .free: say("暂无区县在跟进这家企业")
                case .pursued where result.ownOffice: say("本区县已在跟进（自 \(since) 起）")
                case .pursued: say("已有区县在跟进（自 \(since) 起）；如需跟进请与市级协调")
                case .possiblyPursued: say("可能已有区县在跟进类似企业（自 \(since) 起），需市级协调确认")
                }
                for reason in result.reasons { say("  · \(reason)") }
            case .error(let body):
                throw CLIError(body.code, body.message + "（\(body.detail)）")
            default:
                throw CLIError("UNEXPECTED_REPLY", "协同中心的回复类型不对：\(answer.payload.type.rawValue)")
            }
        }
    }
}
