/// Industry words (行业): trade.txt from companynameparser plus the industry parts of its business
/// types, and the common words below. Matched from the end of what is left of a name once region and
/// form are out; what precedes them is the brand (字号).
enum IndustryLexicon {
    /// Frequent industry words that must always be recognised, whatever the reference list holds.
    static let common = [
        "科技", "技术", "新能源", "能源", "电子商务", "商务", "贸易", "商贸", "实业", "投资", "发展", "控股", "信息",
        "网络", "软件", "咨询", "管理", "教育", "文化", "传媒", "建设", "工程", "建筑", "房地产", "地产", "开发", "置业",
        "物流", "运输", "机电", "设备", "制造", "电子", "电器", "汽车", "服务", "生物", "医药", "食品", "环境", "环保",
        "材料", "化工", "纺织", "服装", "农业", "机械", "电池", "光电", "光伏", "半导体", "智能", "数字", "数据",
        "信息技术", "网络科技", "供应链", "国际", "进出口", "资产", "金融", "保险", "证券", "基金", "财产",
        "人寿", "银行", "电力", "电气", "通信", "通讯", "航空", "旅游", "酒店", "餐饮", "健康", "医疗", "器械",
        "装饰", "设计", "广告", "印刷", "包装", "塑胶", "塑料", "五金", "钢铁", "有色", "矿业", "石油", "天然气",
        "化学", "制药", "药业", "生物科技", "农产品", "畜牧", "养殖", "种植", "新材料", "精密", "模具", "物业",
        "人力资源", "企业管理", "商业", "零售", "百货", "超市", "家居", "家具", "建材", "陶瓷", "玻璃", "水泥",
        "电动", "动力", "储能", "锂电", "汽车零部件", "零部件", "工业", "产业", "集成", "系统", "自动化", "仪器",
        "仪表", "进出口贸易", "国际贸易", "书店", "苗圃", "超市", "网店", "淘宝店", "专柜", "珠宝专柜", "水果摊", "调味品",
        "汽车配件", "汽车用品", "家纺", "光学", "照明", "显示", "微电子", "芯片", "集成电路", "新能源科技", "环境科技", "能源科技",
    ]

    static let trie: ScalarTrie = {
        var trie = ScalarTrie(reversed: true)
        var index: Int32 = 0
        for word in common {
            trie.insert(word, payload: index)
            index += 1
        }
        for line in NameReferenceData.industryWords.split(separator: "\n") {
            trie.insert(String(line), payload: index)
            index += 1
        }
        return trie
    }()
}
