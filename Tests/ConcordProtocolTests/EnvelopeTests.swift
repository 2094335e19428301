import ConcordDomain
import Foundation
import Testing
@testable import ConcordProtocol

@Suite("The wire envelope")
struct EnvelopeTests {
    func frames(_ json: String, signature: String = Wire.signature) -> [[UInt8]] {
        [Array(signature.utf8), Array(json.utf8)]
    }

    func code(_ frames: [[UInt8]]) -> ProtocolError.Code? {
        if case .failure(let failure) = Envelope.decode(frames) { return failure.error.code }
        return nil
    }

    @Test("a refusal names the message whenever its id can be read, never an error's")
    func refusalsNameTheMessage() {
        func id(_ frames: [[UInt8]]) -> String?? {
            if case .failure(let failure) = Envelope.decode(frames) { return .some(failure.id) }
            return nil
        }
        let body = #"{"type":"heartbeat","id":"m-1","body":{}}"#
        #expect(id(frames(body, signature: "CONCORD/9")) == .some("m-1"), "UNSUPPORTED_VERSION")
        #expect(id(frames(body, signature: "HTTP/1.1")) == .some("m-1"), "NOT_CONCORD")
        #expect(id(frames(body) + [Array("x".utf8)]) == .some(nil), "MALFORMED_FRAMES: the last frame is not an envelope")
        #expect(id([Array(Wire.signature.utf8), Array("extra".utf8), Array(body.utf8)]) == .some("m-1"), "MALFORMED_FRAMES")
        #expect(id(frames(#"{"type":"claim.file","id":"m-2","seq":"x","body":{}}"#)) == .some("m-2"), "MALFORMED_ENVELOPE, id readable")
        #expect(code(frames(#"{"type":"claim.file","id":"m-2","seq":"x","body":{}}"#)) == .malformedEnvelope)
        #expect(code(frames(#"{"type":"heartbeat","id":"m-6"}"#)) == .badBody, "a missing body is BAD_BODY")
        #expect(id(frames(#"{"type":"error","id":"m-3"}"#)) == .some(nil), "an error is never answered")
        #expect(code(frames(#"{"type":"check","id":"m-4","body":{}}"#)) == .badBody, "a missing field is BAD_BODY")
        #expect(code(frames(#"{"type":"check","id":"m-5","body":{"name":""}}"#)) == .invalidField, "a disallowed value is INVALID_FIELD")
    }

    @Test("every message type survives encode and decode")
    func roundTrip() throws {
        let date = Date(timeIntervalSince1970: 1_795_000_000)
        let payloads: [(Payload, Int64?)] = [
            (.hello(Hello(nodeVersion: "0.1.0", receivedThrough: 7)), nil),
            (.welcome(Welcome(tenant: "360402", appliedThrough: 12, hubTime: Timestamp.format(date))), nil),
            (.heartbeat, nil),
            (.ack(Ack(through: 5)), nil),
            (.error(ErrorBody(ProtocolError(.badBody, "missing field body.lead_ref"))), nil),
            (.claimFile(ClaimFile(leadRef: "L-1", investorName: "观途（上海）网络科技有限公司", creditCode: "91110000600037341L",
                                  projectName: "数据中心", industry: "数字经济", investmentWan: 120000.5, stage: .negotiating,
                                  reportedAt: date)), 1),
            (.leadStage(LeadStageChange(leadRef: "L-1", stage: .signed, changedAt: date)), 2),
            (.claimStatus(ClaimStatus(leadRef: "L-1", status: .contested, holderOffice: "360403", holderSince: date,
                                      conflictID: 9, possibleDuplicates: [.init(office: "360404", score: 0.6, reasons: ["字号相同：观途"])])), 3),
            (.check(Check(name: "观途网络科技", creditCode: nil)), nil),
            (.checkResult(CheckResult(verdict: .pursued, since: date, reasons: ["字号相同：观途"])), nil),
            (.assignmentOffer(AssignmentOffer(assignmentID: 3, cityLead: "0b7e3c5a-1d2f-4e6a-9b8c-7d6e5f4a3b2c", investorName: "赣锋锂业集团股份有限公司",
                                              creditCode: nil, projectName: "固态电池", industry: "新能源", investmentWan: 500_000, landMu: 400,
                                              note: nil, explanation: "推荐分 98", offeredAt: date, respondBy: date, assessBy: date)), 4),
            (.assignmentReply(AssignmentReply(assignmentID: 3, accept: false, reason: "用地已规划", repliedAt: date)), 5),
            (.feedFetch(FeedFetch(after: 41, topics: ["stage.*"], max: 100, waitMs: 1000)), nil),
            (.feedBatch(FeedBatch(events: [.init(seq: 42, topic: "stage.signed", county: "360404", recordedAt: date,
                                                payload: ["investor_name": "赣锋锂业"])], through: 45, head: 45)), nil),
            (.opinionAdd(OpinionAdd(opinionID: "2f1e0d9c-8b7a-4c6d-9e5f-4a3b2c1d0e9f", claim: 3, verdict: .conditional,
                                    text: "用地符合国土空间规划", conditions: "须先完成土地征收报批")), nil),
            (.opinionResult(OpinionResult(opinionID: "2f1e0d9c-8b7a-4c6d-9e5f-4a3b2c1d0e9f", repeated: false)), nil),
            (.opinionNotice(OpinionNotice(opinionID: "2f1e0d9c-8b7a-4c6d-9e5f-4a3b2c1d0e9f", leadRef: "L-1", department: "zrzy",
                                          departmentName: "自然资源局", verdict: .approve, text: "同意", conditions: nil, givenAt: date)), 6),
            (.reviewStatus(ReviewStatusNotice(leadRef: "L-1", departments: [
                .init(department: "fgw", departmentName: "发改委", since: date, answeredAt: nil, verdict: nil),
                .init(department: "zrzy", departmentName: "自然资源局", since: date, answeredAt: date, verdict: .approve),
            ])), 7),
            (.hello(Hello(nodeVersion: "concord/0.2 protocol/1.1", receivedThrough: 7, lastMessageID: "m-7")), nil),
            (.welcome(Welcome(tenant: "360402", appliedThrough: 12, hubTime: Timestamp.format(date), lastMessageID: "m-12")), nil),
            (.resync, nil),
            (.claimRestore(ClaimRestore(claim: ClaimFile(leadRef: "L-1", investorName: "观途（上海）网络科技有限公司", creditCode: "91110000600037341L",
                                                         projectName: "数据中心", industry: "数字经济", investmentWan: 120000.5, stage: .signed,
                                                         reportedAt: date), status: "contested")), 8),
        ]
        #expect(Set(payloads.map(\.0.type.rawValue)) == Set(MessageType.allCases.map(\.rawValue)), "every type once at least")
        for (payload, seq) in payloads {
            let envelope = Envelope(seq: seq, re: payload.type == .error ? "abc" : nil, payload: payload)
            let decoded = try Envelope.decode(envelope.frames()).get()
            #expect(decoded == envelope, "\(payload.type)")
        }
    }

    @Test("a peer of an earlier revision refuses a later revision's types as unknown")
    func revisions() {
        let resync = Envelope(payload: .resync).frames()
        #expect(throws: Never.self) { try Envelope.decode(resync).get() }
        if case .failure(let failure) = Envelope.decode(resync, revision: .r0) {
            #expect(failure.error.code == .unknownType)
        } else {
            Issue.record("a 1.0 decoder accepted claims.resync")
        }
    }

    @Test("the first frame names the protocol and its version")
    func signature() {
        #expect(code(frames("{}", signature: "CONCORD/2")) == .unsupportedVersion)
        #expect(code(frames("{}", signature: "HELLO")) == .notConcord)
        #expect(code([Array(Wire.signature.utf8)]) == .malformedFrames)
        #expect(code([Array(Wire.signature.utf8), [], []]) == .malformedFrames)
    }

    @Test("oversized, malformed and unknown messages are refused with their code and id")
    func refusals() {
        let big = String(repeating: "x", count: Limits.maxEnvelopeBytes)
        #expect(code(frames(#"{"type":"check","id":"a","body":{"name":"\#(big)"}}"#)) == .tooLarge)
        #expect(code(frames("not json")) == .malformedEnvelope)
        #expect(code(frames(#"{"type":"check","body":{}}"#)) == .malformedEnvelope)
        #expect(code(frames(#"{"type":"teleport","id":"a","body":{}}"#)) == .unknownType)
        #expect(code(frames(#"{"type":"claim.file","id":"a","body":{}}"#)) == .missingSequence)
        #expect(code(frames(#"{"type":"check","id":"a","seq":3,"body":{"name":"x"}}"#)) == .malformedEnvelope)
        #expect(code(frames(#"{"type":"lead.stage","id":"a","seq":1.5,"body":{}}"#)) == .malformedEnvelope)
        #expect(code(frames(#"{"type":"lead.stage","id":"a","seq":0,"body":{}}"#)) == .malformedEnvelope)
        if case .failure(let failure) = Envelope.decode(frames(#"{"type":"teleport","id":"m-7","body":{}}"#)) {
            #expect(failure.id == "m-7")
        }
    }

    @Test("bodies are checked field by field")
    func bodies() {
        #expect(code(frames(#"{"type":"check","id":"a","body":{}}"#)) == .badBody)
        #expect(code(frames(#"{"type":"check","id":"a","body":{"name":""}}"#)) == .invalidField)
        #expect(code(frames(#"{"type":"lead.stage","id":"a","seq":1,"body":{"lead_ref":"L","stage":"won","changed_at":"2026-11-30T08:00:00Z"}}"#)) == .invalidField)
        #expect(code(frames(#"{"type":"lead.stage","id":"a","seq":1,"body":{"lead_ref":"L","stage":"signed","changed_at":"yesterday"}}"#)) == .invalidField)
        #expect(code(frames(#"{"type":"claim.file","id":"a","seq":1,"body":{"lead_ref":"L","investor_name":"X","stage":"lead","reported_at":"2026-11-30T08:00:00Z","investment_wan":-1}}"#)) == .invalidField)
        #expect(code(frames(#"{"type":"assignment.reply","id":"a","seq":1,"body":{"assignment_id":1,"accept":false,"replied_at":"2026-11-30T08:00:00Z"}}"#)) == .invalidField)
        if case .failure(let failure) = Envelope.decode(frames(#"{"type":"claim.file","id":"a","seq":1,"body":{"investor_name":"X"}}"#)) {
            #expect(failure.error.detail.contains("lead_ref"))
        }
    }

    @Test("every error code has a Chinese explanation")
    func explanations() {
        for code in ProtocolError.Code.allCases {
            #expect(ProtocolError(code, "").chineseMessage.unicodeScalars.contains { $0.value >= 0x4E00 })
        }
    }
}
