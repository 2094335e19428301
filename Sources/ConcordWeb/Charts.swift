import Foundation

/// Charts drawn on the server as inline SVG: no script, no external file, readable by a screen
/// reader (each chart has a title and every bar its number as text beside it).
public enum SVGChart {
    public struct Bar: Sendable, Equatable {
        public let label: String
        public let value: Double
        public init(_ label: String, _ value: Double) {
            self.label = label
            self.value = value
        }
    }

    static func number(_ value: Double) -> String {
        value.rounded() == value && abs(value) < 1e15 ? String(Int64(value)) : String(format: "%.1f", value)
    }

    static func coordinate(_ value: Double) -> String { String(format: "%.1f", value) }

    /// Horizontal bars, one per row, the value written at the end of each bar.
    public static func bars(_ bars: [Bar], title: String, unit: String, width: Int = 560) -> String {
        let rowHeight = 26.0, labelWidth = 130.0, valueWidth = 80.0
        let height = Double(max(1, bars.count)) * rowHeight + 10
        let maximum = max(bars.map(\.value).max() ?? 0, 1)
        let span = Double(width) - labelWidth - valueWidth
        var svg = header(title: title, width: Double(width), height: height)
        if bars.isEmpty { svg += empty(width: Double(width), y: 20) }
        for (index, bar) in bars.enumerated() {
            let y = 5 + Double(index) * rowHeight
            let length = max(0, bar.value) / maximum * span
            svg += "<text x=\"\(coordinate(labelWidth - 6))\" y=\"\(coordinate(y + 17))\" text-anchor=\"end\">\(HTMLText.escape(bar.label))</text>"
            svg += "<rect class=\"bar\" x=\"\(coordinate(labelWidth))\" y=\"\(coordinate(y + 4))\" width=\"\(coordinate(length))\" height=\"18\"><title>\(HTMLText.escape(bar.label))：\(number(bar.value)) \(HTMLText.escape(unit))</title></rect>"
            svg += "<text class=\"value\" x=\"\(coordinate(labelWidth + length + 6))\" y=\"\(coordinate(y + 17))\">\(number(bar.value))</text>"
        }
        return svg + "</svg>"
    }

    /// A funnel: centred bars, each as wide as its share of the first step, with the count and the
    /// share of the step before it.
    public static func funnel(_ steps: [Bar], title: String, width: Int = 560) -> String {
        let rowHeight = 34.0
        let height = Double(max(1, steps.count)) * rowHeight + 10
        let maximum = max(steps.map(\.value).max() ?? 0, 1)
        let labelWidth = 90.0
        let span = Double(width) - labelWidth - 150
        var svg = header(title: title, width: Double(width), height: height)
        if steps.isEmpty { svg += empty(width: Double(width), y: 20) }
        for (index, step) in steps.enumerated() {
            let y = 5 + Double(index) * rowHeight
            let length = max(2, max(0, step.value) / maximum * span)
            let x = labelWidth + (span - length) / 2
            var share = ""
            if index > 0, steps[index - 1].value > 0 {
                share = String(format: "（上一步的 %.0f%%）", step.value / steps[index - 1].value * 100)
            }
            svg += "<text x=\"\(coordinate(labelWidth - 6))\" y=\"\(coordinate(y + 21))\" text-anchor=\"end\">\(HTMLText.escape(step.label))</text>"
            svg += "<rect class=\"funnel\" x=\"\(coordinate(x))\" y=\"\(coordinate(y + 4))\" width=\"\(coordinate(length))\" height=\"26\" rx=\"3\"><title>\(HTMLText.escape(step.label))：\(number(step.value))</title></rect>"
            svg += "<text class=\"value\" x=\"\(coordinate(labelWidth + span + 8))\" y=\"\(coordinate(y + 21))\">\(number(step.value))\(share)</text>"
        }
        return svg + "</svg>"
    }

    /// Vertical columns (a distribution or a time series), labels under each column.
    public static func columns(_ bars: [Bar], title: String, unit: String, width: Int = 560, height: Int = 220) -> String {
        let top = 20.0, bottom = 40.0, left = 10.0
        let plot = Double(height) - top - bottom
        let maximum = max(bars.map(\.value).max() ?? 0, 1)
        let slot = (Double(width) - 2 * left) / Double(max(1, bars.count))
        var svg = header(title: title, width: Double(width), height: Double(height))
        if bars.isEmpty { svg += empty(width: Double(width), y: Double(height) / 2) }
        svg += "<line class=\"axis\" x1=\"\(coordinate(left))\" y1=\"\(coordinate(top + plot))\" x2=\"\(coordinate(Double(width) - left))\" y2=\"\(coordinate(top + plot))\"/>"
        for (index, bar) in bars.enumerated() {
            let h = max(0, bar.value) / maximum * plot
            let x = left + Double(index) * slot
            let w = max(2, slot * 0.7)
            svg += "<rect class=\"bar\" x=\"\(coordinate(x + (slot - w) / 2))\" y=\"\(coordinate(top + plot - h))\" width=\"\(coordinate(w))\" height=\"\(coordinate(h))\"><title>\(HTMLText.escape(bar.label))：\(number(bar.value)) \(HTMLText.escape(unit))</title></rect>"
            svg += "<text class=\"value\" x=\"\(coordinate(x + slot / 2))\" y=\"\(coordinate(top + plot - h - 4))\" text-anchor=\"middle\">\(number(bar.value))</text>"
            svg += "<text class=\"tick\" x=\"\(coordinate(x + slot / 2))\" y=\"\(coordinate(top + plot + 16))\" text-anchor=\"middle\">\(HTMLText.escape(bar.label))</text>"
        }
        return svg + "</svg>"
    }

    static func header(title: String, width: Double, height: Double) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" role=\"img\" aria-label=\"\(HTMLText.escape(title))\" viewBox=\"0 0 \(coordinate(width)) \(coordinate(height))\" width=\"\(coordinate(width))\" height=\"\(coordinate(height))\"><title>\(HTMLText.escape(title))</title>"
    }

    static func empty(width: Double, y: Double) -> String {
        "<text x=\"\(coordinate(width / 2))\" y=\"\(coordinate(y))\" text-anchor=\"middle\" class=\"tick\">暂无数据</text>"
    }
}

/// Counting values into labelled buckets for the distribution and time charts.
public enum Buckets {
    /// Counts `values` into the ranges [edges[i], edges[i+1]); the last bucket is open-ended.
    public static func histogram(_ values: [Double], edges: [Double], unit: String) -> [SVGChart.Bar] {
        guard !edges.isEmpty else { return [] }
        var counts = Array(repeating: 0.0, count: edges.count)
        for value in values {
            var slot = 0
            for (index, edge) in edges.enumerated() where value >= edge { slot = index }
            counts[slot] += 1
        }
        return edges.enumerated().map { index, edge in
            let label = index + 1 < edges.count
                ? "\(SVGChart.number(edge))–\(SVGChart.number(edges[index + 1]))\(unit)"
                : "≥\(SVGChart.number(edge))\(unit)"
            return SVGChart.Bar(label, counts[index])
        }
    }

    /// Counts dates per calendar month (Beijing time) from the first month with a date to `now`'s
    /// month, at most `months` of them, empty months included.
    public static func monthly(_ dates: [Date], now: Date, months: Int = 12) -> [SVGChart.Bar] {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Asia/Shanghai")!
        func key(_ date: Date) -> (Int, Int) {
            let parts = calendar.dateComponents([.year, .month], from: date)
            return (parts.year ?? 0, parts.month ?? 0)
        }
        let end = key(now)
        var start = dates.map(key).min { $0 < $1 } ?? end
        // At most `months` months, ending with the current one.
        let endIndex = end.0 * 12 + end.1 - 1
        if endIndex - (start.0 * 12 + start.1 - 1) >= months {
            let first = endIndex - months + 1
            start = (first / 12, first % 12 + 1)
        }
        var counts: [Int: Double] = [:]
        for date in dates {
            let (y, m) = key(date)
            counts[y * 12 + m - 1, default: 0] += 1
        }
        let startIndex = start.0 * 12 + start.1 - 1
        guard startIndex <= endIndex else { return [] }
        return (startIndex...endIndex).map { index in
            SVGChart.Bar("\(index / 12)-\(String(format: "%02d", index % 12 + 1))", counts[index] ?? 0)
        }
    }
}
