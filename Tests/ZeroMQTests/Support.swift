import Testing
@testable import ZeroMQ

/// Runs `body` with a fresh context and terminates it afterwards.
func withContext<T>(_ body: (Context) async throws -> T) async throws -> T {
    let context = try Context()
    do {
        let result = try await body(context)
        context.terminate()
        return result
    } catch {
        context.terminate()
        throw error
    }
}

/// Takes the next inbound message, or nil after `milliseconds`.
func next(_ loop: SocketLoop, within milliseconds: Int = 5_000) async -> SocketLoop.Received? {
    await withTaskGroup(of: SocketLoop.Received?.self) { group in
        group.addTask {
            var iterator = loop.inbound.makeAsyncIterator()
            return await iterator.next()
        }
        group.addTask {
            try? await Task.sleep(for: .milliseconds(milliseconds))
            return nil
        }
        let first = await group.next() ?? nil
        group.cancelAll()
        return first
    }
}

/// A ROUTER bound to an ephemeral loopback port; returns the loop and the endpoint it bound.
func startRouter(_ context: Context, name: String = "router",
                 configure: @escaping @Sendable (Socket) throws -> Void = { _ in }) async throws -> (SocketLoop, String) {
    let endpoint = EndpointBox()
    let loop = try await SocketLoop.start(context: context, configuration: .init(name: name)) { context in
        let socket = try Socket(context: context, type: .router)
        try configure(socket)
        try socket.bind("tcp://127.0.0.1:*")
        endpoint.set(try socket.lastEndpoint)
        return [socket]
    }
    return (loop, endpoint.value)
}

func startDealer(_ context: Context, endpoint: String, name: String = "dealer",
                 configure: @escaping @Sendable (Socket) throws -> Void = { _ in }) async throws -> SocketLoop {
    try await SocketLoop.start(context: context, configuration: .init(name: name)) { context in
        let socket = try Socket(context: context, type: .dealer)
        try configure(socket)
        try socket.connect(endpoint)
        return [socket]
    }
}

import Synchronization

final class EndpointBox: Sendable {
    private let stored = Mutex("")
    func set(_ value: String) { stored.withLock { $0 = value } }
    var value: String { stored.withLock { $0 } }
}
