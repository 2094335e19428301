import Testing
@testable import ConcordStore

@Suite("Splitting SQL scripts into statements")
struct SQLScriptTests {
    @Test("statements split on semicolons; blank and comment-only pieces vanish")
    func basicSplit() {
        let script = """
            -- a header comment
            CREATE TABLE a (x int);

            INSERT INTO a VALUES (1);  -- trailing comment
            ;
            /* only a comment */
            """
        #expect(SQLScript.statements(in: script) == [
            "-- a header comment\nCREATE TABLE a (x int)",
            "INSERT INTO a VALUES (1)",
        ])
    }

    @Test("semicolons inside strings, identifiers, comments and dollar quotes do not split")
    func quotedSemicolons() {
        let script = """
            INSERT INTO t VALUES ('a;b', 'it''s; fine', E'back\\'slash;');
            CREATE TABLE "odd;name" (x int);
            SELECT 1 /* not; here /* nested; */ still */ + 1;
            CREATE FUNCTION f() RETURNS int AS $body$ BEGIN RETURN 1; END; $body$ LANGUAGE plpgsql;
            DO $$ BEGIN PERFORM 1; END $$;
            SELECT 'x' -- comment; with semicolon
              ;
            """
        let statements = SQLScript.statements(in: script)
        #expect(statements.count == 6)
        #expect(statements[0] == "INSERT INTO t VALUES ('a;b', 'it''s; fine', E'back\\'slash;')")
        #expect(statements[1] == "CREATE TABLE \"odd;name\" (x int)")
        #expect(statements[3].hasSuffix("$body$ LANGUAGE plpgsql"))
        #expect(statements[4] == "DO $$ BEGIN PERFORM 1; END $$")
    }

    @Test("a positional parameter like $1 is not a dollar quote")
    func positionalParameters() {
        #expect(SQLScript.statements(in: "SELECT $1; SELECT $2") == ["SELECT $1", "SELECT $2"])
    }
}
