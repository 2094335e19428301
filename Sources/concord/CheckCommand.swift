import ArgumentParser
import ConcordNode
import ConcordProtocol
import ConcordWeb
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
            let answer = try await HubCheck.ask(configuration, name: name, creditCode: code, timeout: .seconds(max(1, timeout)))
            switch answer {
            case .unreachable:
                say("无法连接协同中心 \(configuration.hubEndpoint)（\(timeout) 秒内无应答）：查询未完成，请稍后再试 [HUB_UNREACHABLE]")
                throw ExitCode(2)
            case .refused(let code, let message):
                throw CLIError(code, message)
            case .result(let result):
                let since = result.since.flatMap(Timestamp.parse).map { LeadText.dateFormat.string(from: $0) } ?? "?"
                switch result.verdict {
                case .free: say("暂无区县在跟进这家企业")
                case .pursued where result.ownOffice: say("本区县已在跟进（自 \(since) 起）")
                case .pursued: say("已有区县在跟进（自 \(since) 起）；如需跟进请与市级协调")
                case .possiblyPursued: say("可能已有区县在跟进类似企业（自 \(since) 起），需市级协调确认")
                }
                for reason in result.reasons { say("  · \(reason)") }
            }
        }
    }
}
