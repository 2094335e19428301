import Foundation

/// The protocol's wire form (schemas/PROTOCOL.md): two frames, `CONCORD/1` and a JSON envelope
/// `{"type":…, "id":…, "seq":…, "re":…, "body":{…}}`.
public enum Wire {
    public static let version = 1
    public static let signature = "CONCORD/\(version)"
    static let signatureBytes = Array(signature.utf8)
}

/// A decoded message: envelope fields and a typed body.
public struct Envelope: Sendable, Equatable {
    /// Unique per message (a UUID); replies name it in `re`.
    public let id: String
    /// Per-sender sequence number; present exactly on state-changing messages.
    public let seq: Int64?
    /// For a reply: the id of the message it answers.
    public let re: String?
    public let payload: Payload

    public init(id: String = UUID().uuidString.lowercased(), seq: Int64? = nil, re: String? = nil, payload: Payload) {
        self.id = id
        self.seq = seq
        self.re = re
        self.payload = payload
    }

    /// Encodes to the two frames (without any ROUTER routing frame).
    public func frames() -> [[UInt8]] {
        [Wire.signatureBytes, payload.encodeEnvelope(id: id, seq: seq, re: re)]
    }

    /// The envelope fields every message has; the body is decoded by type afterwards.
    struct Header: Decodable {
        let type: String
        let id: String
        let seq: Int64?
        let re: String?
    }

    /// Decodes and validates two frames. A failure carries the message id when it could be read,
    /// so the error reply can name it. `revision` is the message set understood: a type added
    /// later is an unknown type (how a peer of that revision answers it).
    public static func decode(_ frames: [[UInt8]], revision: ProtocolRevision = .current) -> Result<Envelope, DecodeFailure> {
        guard let first = frames.first else {
            return .failure(DecodeFailure(id: nil, error: ProtocolError(.malformedFrames, "no frames")))
        }
        if first != Wire.signatureBytes {
            if first.starts(with: Array("CONCORD/".utf8)) {
                let got = String(decoding: first, as: UTF8.self)
                return .failure(DecodeFailure(id: nil, error: ProtocolError(.unsupportedVersion, "got \(got), speak \(Wire.signature)")))
            }
            return .failure(DecodeFailure(id: nil, error: ProtocolError(.notConcord, "first frame is not \(Wire.signature)")))
        }
        guard frames.count == 2 else {
            return .failure(DecodeFailure(id: nil, error: ProtocolError(.malformedFrames, "\(frames.count) frames, expected 2")))
        }
        let raw = frames[1]
        guard raw.count <= Limits.maxEnvelopeBytes else {
            return .failure(DecodeFailure(id: nil, error: ProtocolError(.tooLarge, "\(raw.count) bytes > \(Limits.maxEnvelopeBytes)")))
        }
        let data = Data(raw)
        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: data)
        } catch {
            return .failure(DecodeFailure(id: nil, error: ProtocolError(.malformedEnvelope, describe(error))))
        }
        guard !header.id.isEmpty, header.id.utf8.count <= Limits.maxIDLength else {
            return .failure(DecodeFailure(id: nil, error: ProtocolError(.malformedEnvelope, "id must be 1…\(Limits.maxIDLength) bytes")))
        }
        let id = header.id
        func fail(_ code: ProtocolError.Code, _ detail: String) -> Result<Envelope, DecodeFailure> {
            .failure(DecodeFailure(id: id, error: ProtocolError(code, detail)))
        }
        guard let type = MessageType(rawValue: header.type), type.introduced <= revision else {
            return fail(.unknownType, "type \(header.type)")
        }
        if let seq = header.seq, seq < 1 { return fail(.malformedEnvelope, "seq must be a positive integer") }
        if type.changesState && header.seq == nil { return fail(.missingSequence, "\(type.rawValue) needs seq") }
        if !type.changesState && header.seq != nil { return fail(.malformedEnvelope, "\(type.rawValue) takes no seq") }
        if let re = header.re, re.isEmpty || re.utf8.count > Limits.maxIDLength {
            return fail(.malformedEnvelope, "re must be a message id")
        }
        switch Payload.decode(type: type, envelope: data) {
        case .success(let payload): return .success(Envelope(id: id, seq: header.seq, re: header.re, payload: payload))
        case .failure(let error): return .failure(DecodeFailure(id: id, error: error))
        }
    }

    public struct DecodeFailure: Error, Equatable, Sendable {
        public let id: String?
        public let error: ProtocolError
    }
}

/// A short, field-naming description of a decoding error.
func describe(_ error: any Error) -> String {
    guard let error = error as? DecodingError else { return "\(error)" }
    func path(_ context: DecodingError.Context) -> String {
        context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
    }
    switch error {
    case .keyNotFound(let key, let context):
        let prefix = path(context)
        return "missing field \(prefix.isEmpty ? "" : prefix + ".")\(key.stringValue)"
    case .typeMismatch(_, let context), .valueNotFound(_, let context):
        return "wrong type at \(path(context))"
    case .dataCorrupted(let context):
        let at = path(context)
        return at.isEmpty ? "not valid JSON" : "invalid value at \(at): \(context.debugDescription)"
    @unknown default:
        return "\(error)"
    }
}
