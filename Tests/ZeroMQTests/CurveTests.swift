import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import ZeroMQ

@Suite("CURVE with a ZAP handler")
struct CurveTests {
    /// A server whose ZAP handler knows one key, registered to tenant "360402".
    struct Fixture {
        let context: Context
        let zap: ZAPHandler
        let server: SocketLoop
        let endpoint: String
        let serverKeys: CurveKeyPair
        let knownClient: CurveKeyPair
    }

    func makeFixture(_ context: Context) async throws -> Fixture {
        let serverKeys = try CurveKeyPair.generate()
        let known = try CurveKeyPair.generate()
        let zap = try await ZAPHandler.start(context: context, authorizer: ClosureAuthorizer { request in
            guard request.mechanism == "CURVE", request.publicKey == known.publicKey else {
                return .deny(reason: "unknown key")
            }
            return .allow(userID: "360402")
        })
        let (server, endpoint) = try await startRouter(context, name: "curve-server") { socket in
            try socket.makeCurveServer(secretKey: serverKeys.secretKey, domain: "concord")
        }
        return Fixture(context: context, zap: zap, server: server, endpoint: endpoint,
                       serverKeys: serverKeys, knownClient: known)
    }

    func curveClient(_ f: Fixture, keys: CurveKeyPair) async throws -> SocketLoop {
        try await startDealer(f.context, endpoint: f.endpoint, name: "curve-client") { socket in
            try socket.makeCurveClient(keyPair: keys, serverPublicKey: f.serverKeys.publicKey)
        }
    }

    @Test("generated keys are 40 Z85 characters and the public key derives from the secret")
    func keyGeneration() throws {
        let pair = try CurveKeyPair.generate()
        #expect(pair.publicKey.utf8.count == 40 && pair.secretKey.utf8.count == 40)
        #expect(try CurveKeyPair(secretKey: pair.secretKey) == pair)
        #expect(Z85.encode(Z85.decode(pair.publicKey)!) == pair.publicKey)
        #expect(throws: ZMQError.self) { try CurveKeyPair(secretKey: "too short") }
    }

    @Test("a registered key connects and the receiver sees its tenant as User-Id")
    func registeredKeyDelivers() async throws {
        try await withContext { context in
            let f = try await makeFixture(context)
            let client = try await curveClient(f, keys: f.knownClient)
            try await client.send(Message(strings: ["hello"]), on: client.socketIDs[0])
            let received = try #require(await next(f.server))
            #expect(received.message.userID == "360402")
            #expect(received.message.frames.last == Array("hello".utf8))
            await client.shutdown()
            await f.server.shutdown()
            await f.zap.stop()
        }
    }

    @Test("an unregistered key never delivers a message")
    func unregisteredKeyIsRefused() async throws {
        try await withContext { context in
            let f = try await makeFixture(context)
            let stranger = try await curveClient(f, keys: try CurveKeyPair.generate())
            for _ in 0..<5 { try stranger.post(Message(strings: ["let me in"]), on: stranger.socketIDs[0]) }
            #expect(await next(f.server, within: 1_500) == nil)
            await stranger.shutdown()
            await f.server.shutdown()
            await f.zap.stop()
        }
    }

    @Test("a plain (non-CURVE) client delivers nothing to a CURVE server")
    func plainClientIsRefused() async throws {
        try await withContext { context in
            let f = try await makeFixture(context)
            let plain = try await startDealer(context, endpoint: f.endpoint, name: "plain-client")
            for _ in 0..<5 { try plain.post(Message(strings: ["plain"]), on: plain.socketIDs[0]) }
            #expect(await next(f.server, within: 1_500) == nil)
            await plain.shutdown()
            await f.server.shutdown()
            await f.zap.stop()
        }
    }

    @Test("a CURVE server cannot be set up or bound while no ZAP handler runs")
    func bindingWithoutZAPHandlerFails() async throws {
        try await withContext { context in
            let keys = try CurveKeyPair.generate()
            let error = await #expect(throws: ZMQError.self) {
                _ = try await SocketLoop.start(context: context, configuration: .init(name: "no-zap")) { context in
                    let socket = try Socket(context: context, type: .router)
                    try socket.makeCurveServer(secretKey: keys.secretKey, domain: "concord")
                    try socket.bind("tcp://127.0.0.1:*")
                    return [socket]
                }
            }
            #expect(error?.kind == .noZAPHandler)

            // A socket set up while a handler ran refuses to bind once the handler has stopped.
            let zap = try await ZAPHandler.start(context: context, authorizer: ClosureAuthorizer { _ in .deny(reason: "no") })
            let setUp = EndpointBox()
            let stopper = Task {
                while setUp.value.isEmpty { try await Task.sleep(for: .milliseconds(5)) }
                await zap.stop()
            }
            let late = await #expect(throws: ZMQError.self) {
                _ = try await SocketLoop.start(context: context, configuration: .init(name: "late-bind")) { context in
                    let socket = try Socket(context: context, type: .router)
                    try socket.makeCurveServer(secretKey: keys.secretKey, domain: "concord")
                    setUp.set("ready")
                    while context.zapHandlerRunning { usleep(1_000) }
                    try socket.bind("tcp://127.0.0.1:*")
                    return [socket]
                }
            }
            #expect(late?.kind == .noZAPHandler)
            try await stopper.value
        }
    }

    @Test("only one ZAP handler may run per context")
    func secondZAPHandlerIsRefused() async throws {
        try await withContext { context in
            let zap = try await ZAPHandler.start(context: context, authorizer: ClosureAuthorizer { _ in .deny(reason: "no") })
            let error = await #expect(throws: ZMQError.self) {
                _ = try await ZAPHandler.start(context: context, authorizer: ClosureAuthorizer { _ in .deny(reason: "no") })
            }
            #expect(error?.kind == .zapHandlerAlreadyRunning)
            await zap.stop()
            #expect(!context.zapHandlerRunning)
        }
    }
}
