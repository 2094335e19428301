import ConcordProtocol
import Foundation
import ZeroMQ

/// Asks the hub, now, whether an office pursues an enterprise (`concord check` and the console's
/// duplicate check). Opens its own CURVE connection with the office's key, so the hub knows the
/// asker from the key, audits the question, and answers without naming the other office.
public enum HubCheck {
    public enum Answer: Sendable {
        case result(CheckResult)
        /// No answer within the time given.
        case unreachable
        /// The hub refused the question.
        case refused(code: String, message: String)
    }

    /// With several hub endpoints (standbys) each is asked in turn, sharing the time given.
    public static func ask(_ configuration: NodeConfiguration, name: String, creditCode: String?,
                           timeout: Duration = .seconds(5)) async throws -> Answer {
        let endpoints = configuration.hubEndpoints
        let share = max(timeout / max(1, endpoints.count), .seconds(1))
        for endpoint in endpoints {
            let answer = try await ask(endpoint, configuration, name: name, creditCode: creditCode, timeout: share)
            if case .unreachable = answer { continue }
            return answer
        }
        return .unreachable
    }

    static func ask(_ endpoint: String, _ configuration: NodeConfiguration, name: String, creditCode: String?,
                    timeout: Duration) async throws -> Answer {
        let context = try Context()
        defer { context.terminate() }
        let loop = try await SocketLoop.start(context: context, configuration: .init(name: "concord-check")) { context in
            let socket = try Socket(context: context, type: .dealer)
            try socket.makeCurveClient(keyPair: configuration.keys, serverPublicKey: configuration.hubPublicKey)
            try socket.connect(endpoint)
            return [socket]
        }
        let request = Envelope(payload: .check(Check(name: name, creditCode: creditCode)))
        try await loop.send(Message(frames: request.frames()), on: loop.socketIDs[0])
        let deadline = ContinuousClock.now + timeout
        var answer: Envelope?
        while answer == nil, ContinuousClock.now < deadline {
            guard let received = await loop.nextMessage(within: deadline - ContinuousClock.now) else { break }
            if case .success(let envelope) = Envelope.decode(received.message.frames), envelope.re == request.id {
                answer = envelope
            }
        }
        await loop.shutdown()
        guard let answer else { return .unreachable }
        switch answer.payload {
        case .checkResult(let result): return .result(result)
        case .error(let body): return .refused(code: body.code, message: body.message + "（\(body.detail)）")
        default: return .refused(code: "UNEXPECTED_REPLY", message: "协同中心的回复类型不对：\(answer.payload.type.rawValue)")
        }
    }
}
