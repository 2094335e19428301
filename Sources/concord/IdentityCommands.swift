import ArgumentParser
import ConcordDomain
import ConcordWeb
import Foundation

struct USCCCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "uscc",
        abstract: "校验统一社会信用代码 (validate unified social credit codes, GB 32100-2015).",
        discussion: """
            每个代码输出一行：CODE<TAB>valid，或 CODE<TAB>invalid<TAB>原因代码<TAB>中文说明。
            可接受小写、空格和连字符。没有参数时从标准输入每行读一个代码。全部有效时退出码 0，否则 1。
            原因代码：USCC_LENGTH 长度、USCC_CHARACTER 非法字符、USCC_AUTHORITY 登记管理部门、
            USCC_CATEGORY 机构类别、USCC_REGION 行政区划码、USCC_CHECK 校验码（此类记录仍被接受，按名称匹配）。

            例: concord uscc 91110000600037341L 9111000060003734XX
                cat codes.txt | concord uscc
            """
    )

    @Argument(help: "代码 (codes); none: read standard input, one per line.")
    var codes: [String] = []

    func run() throws {
        var inputs = codes
        if inputs.isEmpty {
            while let line = readLine() {
                let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
                if !trimmed.isEmpty { inputs.append(trimmed) }
            }
        }
        var allValid = true
        for input in inputs {
            let result = CreditCode.parse(input)
            let shown = result.code?.value ?? input.trimmingCharacters(in: .whitespaces)
            if let problem = result.problem {
                allValid = false
                print("\(shown)\tinvalid\t\(problem.code)\t\(problem.explanation)")
            } else {
                print("\(shown)\tvalid")
            }
        }
        if !allValid { throw ExitCode(1) }
    }
}

struct NormalizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "normalize",
        abstract: "拆解企业名称：地区、字号、行业、组织形式 (take a company name apart).",
        discussion: """
            输出一个 JSON 对象。例:
              concord normalize '观途（上海）网络科技有限公司'
              {"name":"观途（上海）网络科技有限公司","brand":"观途","industry":"网络科技","industry_words":["网络","科技"],"region":"上海","regions":["上海"],"form":"有限公司","branch":false}
            """
    )

    @Argument(help: "企业名称 (company name).")
    var name: String

    func run() throws {
        print(JSONText.render(.object(describe(CompanyName(name)))))
    }
}

struct MatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "match",
        abstract: "判断两个企业名称（及信用代码）是否为同一企业，并说明理由 (compare two enterprises).",
        discussion: """
            输出一个 JSON 对象：verdict 为 same（同一企业）、possible（可能相同，交市级协调）或 different；
            score 为 0 到 1 的置信度；reasons 为中文理由。两个有效且相同的信用代码直接认定为同一企业；
            两个有效但不同的代码认定为不同企业，除非一方是另一方的分公司。

            例: concord match '宁德时代新能源科技股份有限公司' '宁德时代新能源科技有限公司'
                concord match '北京华夏科技有限公司' '北京华为科技有限公司'
                concord match 华为技术有限公司 华为 --code-a 914403001922038216
            """
    )

    @Argument(help: "甲方名称 (first name).")
    var nameA: String

    @Argument(help: "乙方名称 (second name).")
    var nameB: String

    @Option(help: "甲方统一社会信用代码 (credit code of the first).")
    var codeA: String?

    @Option(help: "乙方统一社会信用代码 (credit code of the second).")
    var codeB: String?

    func run() throws {
        let a = CompanyName(nameA), b = CompanyName(nameB)
        let parsedA = codeA.map(CreditCode.parse), parsedB = codeB.map(CreditCode.parse)
        var reasons: [String] = []
        for (label, input, parsed) in [("甲", codeA, parsedA), ("乙", codeB, parsedB)] {
            if let input, case .invalid(let problem)? = parsed {
                reasons.append("\(label)方信用代码 \(input) 无效（\(problem.code)：\(problem.explanation)），改按名称比较")
            }
        }
        let match = EnterpriseMatch.compare(a, b, codeA: parsedA, codeB: parsedB)
        print(JSONText.render(.object([
            ("verdict", .string(match.verdict.rawValue)),
            ("score", .number((match.score * 100).rounded() / 100)),
            ("reasons", .array((reasons + match.reasons).map(JSONText.Value.string))),
            ("a", .object(describe(a))),
            ("b", .object(describe(b))),
        ])))
    }
}

func describe(_ name: CompanyName) -> [(String, JSONText.Value)] {
    var fields: [(String, JSONText.Value)] = [
        ("name", .string(name.original)),
        ("brand", .string(name.brand)),
        ("industry", .string(name.industryText)),
        ("industry_words", .array(name.industry.map(JSONText.Value.string))),
        ("region", .string(name.regions.joined())),
        ("regions", .array(name.regions.map(JSONText.Value.string))),
        ("form", .string(name.forms.joined())),
        ("branch", .bool(name.isBranch)),
    ]
    if let label = name.branchLabel { fields.append(("branch_label", .string(label))) }
    return fields
}
