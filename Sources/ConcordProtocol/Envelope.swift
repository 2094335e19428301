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
        // Where the envelope could still be read, the refusal names it (`re`): the last frame of a
        // wrongly framed or versioned message, or a malformed envelope that has a usable id.
        let readableID = frames.count >= 2 ? Self.readableID(frames[frames.count - 1]) : nil
        if first != Wire.signatureBytes {
            if first.starts(with: Array("CONCORD/".utf8)) {
                let got = String(decoding: first, as: UTF8.self)
                return .failure(DecodeFailure(id: readableID, error: ProtocolError(.unsupportedVersion, "got \(got), speak \(Wire.signature)")))
            }
            return .failure(DecodeFailure(id: readableID, error: ProtocolError(.notConcord, "first frame is not \(Wire.signature)")))
        }
        guard frames.count == 2 else {
            return .failure(DecodeFailure(id: readableID, error: ProtocolError(.malformedFrames, "\(frames.count) frames, expected 2")))
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
            return .failure(DecodeFailure(id: readableID, error: ProtocolError(.malformedEnvelope, describe(error))))
        }
        guard !header.id.isEmpty, header.id.utf8.count <= Limits.maxIDLength else {
            return .failure(DecodeFailure(id: nil, error: ProtocolError(.malformedEnvelope, "id must be 1…\(Limits.maxIDLength) bytes")))
        }
        // An `error` is never answered with an error: a malformed one is refused without naming it.
        let id = header.type == MessageType.error.rawValue ? nil : header.id
        // The seq of a state-changing message refused for its body: the receiver uses it up.
        let seq = MessageType(rawValue: header.type)?.changesState == true ? header.seq.flatMap { $0 >= 1 ? $0 : nil } : nil
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
        case .success(let payload): return .success(Envelope(id: header.id, seq: header.seq, re: header.re, payload: payload))
        case .failure(let error): return .failure(DecodeFailure(id: id, error: error, seq: seq))
        }
    }

    /// The `id` of a frame that is a JSON object with a string `id` of 1…64 bytes, else nil (and
    /// nil for an `error`, which is never answered). Frames over the size limit are not parsed.
    static func readableID(_ frame: [UInt8]) -> String? {
        guard frame.count <= Limits.maxEnvelopeBytes, frame.first == UInt8(ascii: "{"),
              let object = try? JSONSerialization.jsonObject(with: Data(frame)) as? [String: Any],
              let id = object["id"] as? String, !id.isEmpty, id.utf8.count <= Limits.maxIDLength,
              object["type"] as? String != "error" else { return nil }
        return id
    }

    public struct DecodeFailure: Error, Equatable, Sendable {
        public let id: String?
        public let error: ProtocolError
        /// For a state-changing message of a known type whose envelope was sound but whose body was
        /// refused (BAD_BODY, INVALID_FIELD): its `seq`. Such a message can never be applied, so
        /// the receiver uses its number up (schemas/PROTOCOL.md, section 4) instead of letting the
        /// sender resend it forever.
        public var seq: Int64? = nil

        public init(id: String?, error: ProtocolError, seq: Int64? = nil) {
            self.id = id
            self.error = error
            self.seq = seq
        }
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
