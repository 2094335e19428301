/// CSV text as officers' spreadsheets write it (RFC 4180), parsed and written back. Parsing works
/// on Unicode scalars, not characters: a quote followed by a combining mark is still a quote, and a
/// CR LF pair is a line break wherever it stands.
public enum CSVText {
    /// Fields separated by commas, rows by LF or CR LF (a lone CR outside quotes is dropped);
    /// "quoted" fields may hold commas, doubled quotes and line breaks; text after a closing quote
    /// joins the field.
    public static func rows(_ text: String) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = String.UnicodeScalarView()
        var quoted = false
        var scalars = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        while let c = pending ?? scalars.next() {
            pending = nil
            if quoted {
                if c == "\"" {
                    if let next = scalars.next() {
                        if next == "\"" { field.append("\"") } else { quoted = false; pending = next }
                    } else {
                        quoted = false
                    }
                } else {
                    field.append(c)
                }
                continue
            }
            switch c {
            case "\"" where field.isEmpty: quoted = true
            case ",": row.append(String(field)); field = String.UnicodeScalarView()
            case "\n":
                row.append(String(field)); rows.append(row); row = []; field = String.UnicodeScalarView()
            case "\r": break
            default: field.append(c)
            }
        }
        if !field.isEmpty || !row.isEmpty { row.append(String(field)); rows.append(row) }
        return rows
    }

    /// Rows (each with at least one field) as RFC 4180 text that `rows` reads back to the same
    /// rows: a field with a comma, a quote, a line break or a carriage return is quoted, with quotes
    /// doubled; every row ends in "\n".
    ///
    /// With `neutralizingFormulas`, a field a spreadsheet would run as a formula (starting with
    /// = + - @, a tab or a carriage return) gets a leading apostrophe: for files people download and
    /// open, whose fields others typed.
    public static func render(_ rows: [[String]], neutralizingFormulas: Bool = false) -> String {
        var text = ""
        for row in rows {
            text += row.map { original in
                var field = original
                if neutralizingFormulas, let first = field.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first),
                   Double(field) == nil {
                    field = "'" + field
                }
                let needsQuotes = field.unicodeScalars.contains { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }
                guard needsQuotes else { return field }
                var quoted = String.UnicodeScalarView()
                quoted.append("\"")
                for scalar in field.unicodeScalars {
                    quoted.append(scalar)
                    if scalar == "\"" { quoted.append("\"") }
                }
                quoted.append("\"")
                return String(quoted)
            }.joined(separator: ",")
            text += "\n"
        }
        return text
    }
}
