/// China's administrative divisions (GB/T 2260 names from pca.csv) for taking regions out of names.
///
/// Full names (江西省, 九江市, 濂溪区) of every level are recognised; short names (江西, 九江) only for
/// province- and prefecture-level divisions, where they are customary and rarely a brand, and for
/// counties only inside brackets. 中国 counts as a region (national enterprises).
struct RegionCatalog: Sendable {
    /// A division: its path from the province down, e.g. ["江西省", "九江市", "濂溪区"].
    struct Division: Sendable {
        let path: [String]
        var level: Int { path.count }
        var name: String { path.last! }
    }

    private(set) var divisions: [Division] = []
    /// Names usable anywhere a region may stand (prefix, suffix, middle): full names of every level
    /// and short names of provinces and prefectures. Payload: an index into `candidates`.
    private(set) var general = ScalarTrie()
    private(set) var generalSuffix = ScalarTrie(reversed: true)
    /// Names usable only inside brackets: the above plus county short names.
    private(set) var bracketed = ScalarTrie()
    /// For each payload, the divisions a written name may denote (吉林 is a province and a prefecture).
    private(set) var candidates: [[Int]] = []
    private var payloadByName: [String: Int32] = [:]

    static let shared = RegionCatalog(rows: NameReferenceData.regions)

    init(rows: String) {
        for line in rows.split(separator: "\n") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            let path = fields[0].split(separator: "/").map(String.init)
            let short = fields.count > 1 ? String(fields[1]) : ""
            let index = divisions.count
            divisions.append(Division(path: path))
            register(path.last!, division: index, general: true)
            if !short.isEmpty {
                register(short, division: index, general: path.count <= 2)
            }
        }
        let country = divisions.count
        divisions.append(Division(path: ["中国"]))
        register("中国", division: country, general: true)
        register("中华人民共和国", division: country, general: true)
    }

    private mutating func register(_ name: String, division: Int, general isGeneral: Bool) {
        let payload: Int32
        if let existing = payloadByName[name] {
            payload = existing
            candidates[Int(existing)].append(division)
        } else {
            payload = Int32(candidates.count)
            candidates.append([division])
            payloadByName[name] = payload
        }
        bracketed.insert(name, payload: payload)
        if isGeneral {
            general.insert(name, payload: payload)
            generalSuffix.insert(name, payload: payload)
        }
    }

    /// Whether two sets of written regions can denote the same place: either is empty, or some
    /// reading of a region of one lies on the path of a region of the other (九江 within 江西). A name
    /// may carry two regions (深圳澳妆（上海）…): agreeing on one of them is enough.
    func compatible(_ a: [Int32], _ b: [Int32]) -> Bool {
        if a.isEmpty || b.isEmpty { return true }
        for x in a {
            for y in b where compatible(x, y) { return true }
        }
        return false
    }

    /// Whether two sets of written regions name the same place (苏州 and 苏州市): both empty, or the
    /// most specific regions share a reading.
    func equivalent(_ a: [Int32], _ b: [Int32]) -> Bool {
        guard let x = a.last, let y = b.last else { return a.isEmpty && b.isEmpty }
        return !Set(candidates[Int(x)]).isDisjoint(with: candidates[Int(y)])
    }

    private func compatible(_ x: Int32, _ y: Int32) -> Bool {
        for da in candidates[Int(x)] {
            for db in candidates[Int(y)] {
                let pa = divisions[da].path, pb = divisions[db].path
                if pa == ["中国"] || pb == ["中国"] { return true }
                let shorter = min(pa.count, pb.count)
                if pa.prefix(shorter).elementsEqual(pb.prefix(shorter)) { return true }
            }
        }
        return false
    }
}
