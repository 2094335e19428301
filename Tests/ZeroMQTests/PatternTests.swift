import Testing
@testable import ZeroMQ

/// The other socket patterns, used directly on the test's thread (no loop).
@Suite("Socket patterns")
struct PatternTests {
    @Test("REQ/REP answers a request")
    func requestReply() throws {
        let context = try Context()
        defer { context.terminate() }
        let rep = try Socket(context: context, type: .rep)
        try rep.bind("tcp://127.0.0.1:*")
        let req = try Socket(context: context, type: .req)
        try req.connect(try rep.lastEndpoint)
        try req.send(Message(strings: ["ping"]))
        let request = try #require(try rep.receive(timeoutMilliseconds: 5_000))
        #expect(request.frames == [Array("ping".utf8)])
        try rep.send(Message(strings: ["pong"]))
        let reply = try #require(try req.receive(timeoutMilliseconds: 5_000))
        #expect(reply.frames == [Array("pong".utf8)])
        req.close()
        rep.close()
    }

    @Test("SUB receives only its prefix from an XPUB, which sees the subscription")
    func publishSubscribe() throws {
        let context = try Context()
        defer { context.terminate() }
        let xpub = try Socket(context: context, type: .xpub)
        try xpub.set(.xpubVerbose, true)
        try xpub.bind("tcp://127.0.0.1:*")
        let sub = try Socket(context: context, type: .sub)
        try sub.set(.subscribe, Array("stage.".utf8))
        try sub.connect(try xpub.lastEndpoint)
        // XPUB delivers the subscription upstream as a message: 0x01 + prefix.
        let subscription = try #require(try xpub.receive(timeoutMilliseconds: 5_000))
        #expect(subscription.frames == [[1] + Array("stage.".utf8)])
        try xpub.send(Message(strings: ["conflict.opened", "x"]))
        try xpub.send(Message(strings: ["stage.signed", "y"]))
        let got = try #require(try sub.receive(timeoutMilliseconds: 5_000))
        #expect(got.frames == [Array("stage.signed".utf8), Array("y".utf8)])
        #expect(try sub.receive(timeoutMilliseconds: 200) == nil)
        sub.close()
        xpub.close()
    }

    @Test("PUB/SUB with plain PUB")
    func plainPublisher() throws {
        let context = try Context()
        defer { context.terminate() }
        let pub = try Socket(context: context, type: .pub)
        try pub.bind("tcp://127.0.0.1:*")
        let sub = try Socket(context: context, type: .sub)
        try sub.set(.subscribe, [])
        try sub.connect(try pub.lastEndpoint)
        // PUB drops messages until the subscription arrives: keep publishing until one lands.
        var got: Message?
        for _ in 0..<100 where got == nil {
            try pub.send(Message(strings: ["tick"]))
            got = try sub.receive(timeoutMilliseconds: 50)
        }
        #expect(got?.frames == [Array("tick".utf8)])
        sub.close()
        pub.close()
    }

    @Test("typed options read back what was set")
    func optionsRoundTrip() throws {
        let context = try Context()
        defer { context.terminate() }
        let socket = try Socket(context: context, type: .dealer)
        #expect(try socket.get(.linger) == 0)
        try socket.set(.sendHighWaterMark, 123)
        #expect(try socket.get(.sendHighWaterMark) == 123)
        try socket.set(.heartbeatInterval, 1_000)
        try socket.set(.heartbeatTimeout, 3_000)
        try socket.set(.heartbeatTTL, 6_000)
        #expect(try socket.get(.heartbeatInterval) == 1_000)
        try socket.set(.maxMessageSize, 1 << 20)
        #expect(try socket.get(.maxMessageSize) == 1 << 20)
        try socket.set(.immediate, true)
        #expect(try socket.get(.immediate))
        try socket.set(.routingID, Array("node-1".utf8))
        #expect(try socket.get(.routingID) == Array("node-1".utf8))
        socket.close()
    }
}
