import Testing
@testable import ConcordConfig

@Suite("Configuration files")
struct ConfigFileTests {
    @Test("keys, strings with escapes, integers, booleans and comments")
    func parses() throws {
        let file = try ConfigFile.parse("""
            # 濂溪区 node
            role = "node"   # trailing comment
            name = "濂溪区 \\"东\\" # not a comment"
            heartbeat_seconds = 5
            verbose = true

            big = 1_000
            """)
        #expect(try file.string("role") == "node")
        #expect(try file.string("name") == "濂溪区 \"东\" # not a comment")
        #expect(try file.integer("heartbeat_seconds", default: 1, range: 1...60) == 5)
        #expect(file.values["verbose"] == .bool(true))
        #expect(file.values["big"] == .integer(1000))
    }

    @Test("errors name the line and the key")
    func errors() {
        #expect(throws: ConfigFile.Error(line: 2, key: "role", message: "重复的配置项")) {
            try ConfigFile.parse("role = \"a\"\nrole = \"b\"")
        }
        #expect(throws: ConfigFile.Error.self) { try ConfigFile.parse("[hub]\nrole = \"hub\"") }
        #expect(throws: ConfigFile.Error.self) { try ConfigFile.parse("role = hub") }
        #expect(throws: ConfigFile.Error.self) { try ConfigFile.parse("role = \"unterminated") }
        let file = try? ConfigFile.parse("port = 70000")
        #expect(throws: ConfigFile.Error.self) { try file?.integer("port", default: 1, range: 1...65535) }
        #expect(throws: ConfigFile.Error(line: nil, key: "tenant", message: "缺少必填项")) { try file?.string("tenant") }
    }

    @Test("CONCORD_ variables override keys, and unknown keys are refused")
    func environment() throws {
        let file = try ConfigFile.parse("database_url = \"postgres://a@b/c\"\n",
                                        environment: ["CONCORD_DATABASE_URL": "postgres://x@y/z", "HOME": "/root"])
        #expect(try file.string("database_url") == "postgres://x@y/z")
        #expect(file.origins["database_url"] == "CONCORD_DATABASE_URL")
        #expect(throws: ConfigFile.Error.self) { try ConfigFile.parse("databse_url = \"x\"").checkKnown(["database_url"]) }
    }

    @Test("what render writes, parse reads back")
    func roundTrip() throws {
        let pairs: [(String, ConfigFile.Value)] = [("name", .string("濂溪区 \"x\" \\ y")), ("n", .integer(3)), ("on", .bool(false))]
        let parsed = try ConfigFile.parse(ConfigFile.render(pairs, header: ["generated"]))
        #expect(parsed.values == Dictionary(uniqueKeysWithValues: pairs))
    }
}
