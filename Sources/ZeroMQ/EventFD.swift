#if canImport(Glibc)
import Glibc
#endif
import CZeroMQ

/// A Linux eventfd: any thread writes to wake a loop thread blocked in `zmq_poll`.
final class EventFD: Sendable {
    let fd: Int32

    init() throws {
        let fd = eventfd(0, Int32(EFD_NONBLOCK) | Int32(EFD_CLOEXEC))
        guard fd >= 0 else { throw ZMQError(kind: .other(errno), operation: "eventfd", errno: errno) }
        self.fd = fd
    }

    /// Wakes the reader. Never blocks: the counter saturates long before a non-blocking write fails.
    func signal() {
        var one: UInt64 = 1
        while true {
            let rc = write(fd, &one, MemoryLayout<UInt64>.size)
            if rc == -1 && errno == EINTR { continue }
            return
        }
    }

    /// Resets the counter after a wake-up.
    func drain() {
        var value: UInt64 = 0
        while true {
            let rc = read(fd, &value, MemoryLayout<UInt64>.size)
            if rc == -1 && errno == EINTR { continue }
            return
        }
    }

    deinit {
        close(fd)
    }
}
