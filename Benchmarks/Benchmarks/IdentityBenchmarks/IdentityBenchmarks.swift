import Benchmark
import ConcordDomain

/// Names in the shapes officers type: plain, bracketed region, branch, traditional, full-width.
let names: [String] = {
    let brands = ["恒通", "观途", "宁德时代", "华夏", "晶科", "赣锋", "鑫源", "天盛", "博美特", "云荣", "千信", "亿赞"]
    let industries = ["物流", "网络科技", "新能源科技", "科技", "光伏材料", "锂业", "投资", "贸易", "电气国际贸易", "教育咨询"]
    let regions = ["九江", "江西省九江市", "上海", "深圳市", "南昌", ""]
    let forms = ["有限公司", "股份有限公司", "集团有限公司", "有限责任公司", "商行"]
    var result: [String] = []
    for (i, brand) in brands.enumerated() {
        for (j, industry) in industries.enumerated() {
            let region = regions[(i + j) % regions.count]
            let form = forms[(i * 3 + j) % forms.count]
            switch (i + j) % 5 {
            case 0: result.append("\(region)\(brand)\(industry)\(form)")
            case 1: result.append("\(brand)（\(region.isEmpty ? "上海" : region)）\(industry)\(form)")
            case 2: result.append("\(region)\(brand)\(industry)有限公司九江分公司")
            case 3: result.append("\(brand)\(industry)\(region)\(form)")
            default: result.append("ＴＣＬ\(brand)\(industry)\(form)")
            }
        }
    }
    return result
}()

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.throughput, .wallClock, .mallocCountTotal],
                                           maxDuration: .seconds(3), maxIterations: 1_000_000)

    // One iteration normalises every name once (names.count names).
    Benchmark("normalise \(names.count) names", configuration: .init(scalingFactor: .one)) { benchmark in
        for _ in benchmark.scaledIterations {
            for name in names { blackHole(CompanyName(name)) }
        }
    }

    let parsed = names.map(CompanyName.init)
    let pairs = parsed.indices.map { (parsed[$0], parsed[($0 * 7 + 3) % parsed.count]) }
    // One iteration compares every pair once (pairs.count pairs).
    Benchmark("compare \(pairs.count) pairs") { benchmark in
        for _ in benchmark.scaledIterations {
            for (a, b) in pairs { blackHole(EnterpriseMatch.compare(a, b)) }
        }
    }

    let codes = ["91110000600037341L", "121200004013590816", "9111000060003734XX", "91360400MA35L1234Q"]
    Benchmark("parse \(codes.count) credit codes") { benchmark in
        for _ in benchmark.scaledIterations {
            for code in codes { blackHole(CreditCode.parse(code)) }
        }
    }
}
