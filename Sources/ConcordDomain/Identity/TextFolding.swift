import Foundation

/// Folds the ways officers write the same name into one form:
/// full-width letters, digits and punctuation to half-width (the NFKC mapping), every bracket style
/// to ( ), spaces, dots and quotes dropped, Latin letters lower-cased, and traditional characters
/// to simplified (for the characters company names use).
enum TextFolding {
    static let openBracket: UInt32 = 0x28   // (
    static let closeBracket: UInt32 = 0x29  // )

    static func fold(_ text: String) -> [UInt32] {
        var out: [UInt32] = []
        out.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            append(scalar.value, to: &out)
        }
        return out
    }

    @inline(__always)
    private static func append(_ value: UInt32, to out: inout [UInt32]) {
        var v = value
        if v >= 0xFF01 && v <= 0xFF5E { v -= 0xFEE0 }          // full-width ASCII
        switch v {
        case 0x41...0x5A: out.append(v + 0x20); return         // A-Z → a-z
        case 0x61...0x7A, 0x30...0x39: out.append(v); return
        case 0x28, 0x5B, 0x7B, 0x3010, 0x3014, 0x3016, 0x3008, 0x300A, 0xFF5F, 0x2985:
            out.append(openBracket); return                     // ( [ { 【 〔 〖 〈 《
        case 0x29, 0x5D, 0x7D, 0x3011, 0x3015, 0x3017, 0x3009, 0x300B, 0xFF60, 0x2986:
            out.append(closeBracket); return
        case 0x26: out.append(0x26); return                     // & is part of brands (P&G)
        case 0x2B: out.append(0x2B); return                     // +
        default: break
        }
        if v < 0x80 { return }                                  // other ASCII punctuation, spaces
        if v >= 0x4E00 && v <= 0x9FFF {                         // CJK unified ideographs
            out.append(traditionalToSimplified[v] ?? v)
            return
        }
        switch v {
        case 0x3000, 0x00A0, 0x2002...0x200B, 0x3001, 0x3002, 0x00B7, 0x30FB, 0x2022, 0x2018, 0x2019,
             0x201C, 0x201D, 0x300C, 0x300D, 0x300E, 0x300F, 0xFEFF, 0x2014, 0x2013, 0x2026:
            return                                              // spaces, 、。·•‘’“”「」『』 dashes …
        default:
            break
        }
        // Anything else: its compatibility decomposition (NFKC), folded again.
        let decomposed = String(Character(Unicode.Scalar(v)!)).precomposedStringWithCompatibilityMapping
        let scalars = decomposed.unicodeScalars
        if scalars.count == 1 && scalars.first!.value == v {
            out.append(v)
        } else {
            for scalar in scalars { append(scalar.value, to: &out) }
        }
    }

    /// Traditional → simplified for the characters that occur in enterprise names. Pairs of
    /// (traditional, simplified) characters.
    static let traditionalToSimplified: [UInt32: UInt32] = {
        let pairs = """
            國国華华電电業业發发東东際际貿贸實实資资產产術术開开網网絡络訊讯動动車车機机醫医藥药億亿萬万\
            廣广龍龙鳳凤騰腾飛飞達达興兴順顺豐丰匯汇灣湾臺台門门島岛陽阳樂乐會会長长紅红綠绿藍蓝銀银\
            鐵铁鋼钢錦锦寶宝權权體体學学團团務务馬马鳥鸟魚鱼雲云風风聯联購购貝贝賽赛運运輸输連连進进\
            遠远邊边選选環环現现裝装製制設设備备計计記记訂订語语說说誠诚謝谢農农漢汉溫温滬沪濟济瀋沈\
            為为無无煙烟熱热燈灯營营爾尔獎奖瑪玛畫画當当盤盘礦矿碼码種种穩稳築筑簡简節节範范紀纪約约\
            紙纸級级細细終终組组結结給给統统經经綜综維维緣缘總总績绩織织繫系羅罗義义習习聖圣聲声職职\
            腦脑舊旧藝艺蘇苏蘭兰號号衛卫補补觀观規规視视親亲評评證证識识護护讀读變变讓让豬猪貨货質质\
            費费賀贺賓宾贏赢趙赵躍跃軟软輕轻輪轮轉转邁迈郵邮鄉乡鄭郑醬酱釀酿針针鈞钧鋒锋錢钱鎮镇鏈链\
            鑄铸閃闪閱阅闊阔陸陆隊队階阶難难雙双雞鸡靈灵韓韩頂顶項项領领頭头題题顏颜類类顧顾飲饮飯饭\
            館馆驗验騎骑驅驱髮发鬥斗魯鲁鮮鲜鹽盐麗丽麥麦黃黄齊齐齒齿龜龟愛爱慶庆應应戰战擁拥據据擇择\
            數数斷断時时晉晋書书條条來来楊杨榮荣構构標标樣样橋桥檢检歐欧歲岁歷历氣气漁渔潔洁澤泽濤涛\
            爐炉點点畢毕異异療疗盧卢眾众礎础禮礼禎祯穀谷積积窯窑競竞筆笔糧粮紡纺線线練练縣县縱纵繡绣\
            續续肅肃膠胶與与艦舰莊庄萊莱葉叶蒼苍蓮莲蔣蒋薈荟處处虛虚蟲虫衝冲裏里複复覽览訓训詩诗誌志\
            調调談谈諮咨詢询譜谱議议貴贵買买賣卖賢贤賴赖贊赞軍军較较迴回適适遷迁鄧邓釣钓鈺钰鉅钜鉑铂\
            銅铜鋁铝鋪铺鍋锅鏡镜鐘钟閣阁關关陳陈陰阴險险雜杂霧雾靜静韻韵響响頁页頓顿頻频飄飘餘余饒饶\
            駿骏驛驿鬱郁鳴鸣鴻鸿鵬鹏鷹鹰黨党齡龄億亿廈厦區区縣县鎮镇塊块壇坛壓压壯壮奧奥婦妇媽妈孫孙\
            寧宁屬属嶺岭峽峡幣币廳厅彈弹徑径態态憲宪懷怀擴扩攝摄敵敌歸归殼壳滙汇滿满漲涨澗涧瀾澜灑洒\
            煉炼燒烧犧牺狀状獲获瑤瑶璽玺畝亩瘋疯發发盃杯盜盗碩硕礙碍祿禄綱纲緊紧編编緯纬縮缩繁繁羣群\
            聰聪聽听臨临艙舱蘋苹衆众裡里訪访詳详誼谊諾诺謀谋講讲豎竖貫贯賬账賺赚趨趋輝辉轄辖辦办遼辽\
            鄰邻醫医鈴铃銷销鋒锋錄录鍵键鐳镭閘闸闆板陣阵隨随雖虽雋隽頌颂頤颐顯显颯飒餅饼餐餐驊骅驕骄\
            鬧闹魷鱿鯨鲸鱷鳄鶴鹤麵面黴霉鼎鼎
            """
        var table: [UInt32: UInt32] = [:]
        let scalars = Array(pairs.unicodeScalars.filter { !$0.properties.isWhitespace })
        var index = 0
        while index + 1 < scalars.count {
            if scalars[index] != scalars[index + 1] {
                table[scalars[index].value] = scalars[index + 1].value
            }
            index += 2
        }
        return table
    }()
}
