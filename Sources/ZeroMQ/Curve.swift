import CZeroMQ

/// A CURVE key pair in Z85 text (40 characters each).
public struct CurveKeyPair: Sendable, Equatable {
    public let publicKey: String
    public let secretKey: String

    public init(publicKey: String, secretKey: String) throws {
        guard Z85.isKey(publicKey), Z85.isKey(secretKey) else {
            throw ZMQError(kind: .invalidKey, operation: "CurveKeyPair")
        }
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    /// The pair for a secret key (the public key is derived from it).
    public init(secretKey: String) throws {
        guard Z85.isKey(secretKey) else { throw ZMQError(kind: .invalidKey, operation: "CurveKeyPair") }
        var publicBuffer = [CChar](repeating: 0, count: 41)
        let rc = publicBuffer.withUnsafeMutableBufferPointer { pub in
            secretKey.withCString { zmq_curve_public(pub.baseAddress, $0) }
        }
        if rc != 0 { throw ZMQError.last("zmq_curve_public") }
        try self.init(publicKey: decodeNulTerminated(publicBuffer), secretKey: secretKey)
    }

    /// A fresh key pair from libzmq (libsodium's randomness). Buffers are 41 bytes: 40 Z85 + NUL.
    public static func generate() throws -> CurveKeyPair {
        var publicBuffer = [CChar](repeating: 0, count: 41)
        var secretBuffer = [CChar](repeating: 0, count: 41)
        let rc = publicBuffer.withUnsafeMutableBufferPointer { pub in
            secretBuffer.withUnsafeMutableBufferPointer { sec in
                zmq_curve_keypair(pub.baseAddress, sec.baseAddress)
            }
        }
        if rc != 0 { throw ZMQError.last("zmq_curve_keypair") }
        return try CurveKeyPair(publicKey: decodeNulTerminated(publicBuffer), secretKey: decodeNulTerminated(secretBuffer))
    }
}

/// Z85 (ZeroMQ RFC 32) text encoding of binary data whose length is a multiple of 4.
public enum Z85 {
    static let alphabet = Array("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#".utf8)

    /// True for a 40-character Z85 string, the text form of a 32-byte CURVE key.
    public static func isKey(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return bytes.count == 40 && bytes.allSatisfy { alphabet.contains($0) }
    }

    public static func encode(_ data: [UInt8]) -> String? {
        guard data.count % 4 == 0 else { return nil }
        var buffer = [CChar](repeating: 0, count: data.count * 5 / 4 + 1)
        let result = buffer.withUnsafeMutableBufferPointer { dest in
            data.withUnsafeBufferPointer { zmq_z85_encode(dest.baseAddress, $0.baseAddress, data.count) }
        }
        return result == nil ? nil : decodeNulTerminated(buffer)
    }

    public static func decode(_ text: String) -> [UInt8]? {
        let bytes = Array(text.utf8)
        guard bytes.count % 5 == 0, bytes.allSatisfy({ alphabet.contains($0) }) else { return nil }
        var buffer = [UInt8](repeating: 0, count: bytes.count * 4 / 5)
        let result = buffer.withUnsafeMutableBufferPointer { dest in
            text.withCString { zmq_z85_decode(dest.baseAddress, $0) }
        }
        return result == nil ? nil : buffer
    }
}

/// Text from a C buffer that libzmq NUL-terminated.
func decodeNulTerminated(_ buffer: [CChar]) -> String {
    let end = buffer.firstIndex(of: 0) ?? buffer.endIndex
    return String(decoding: buffer[..<end].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
