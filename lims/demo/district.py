"""The demo district's fixed cast: markets, stalls' trades, suppliers, stations, people."""

PASSWORD = "demo-2026"

# code, name, kind, address, stalls (trade: count), planned batches per month
SITES = [
    ("CD", "城东综合市场", "market", "城东街道建设路 88 号", {"veg": 14, "meat": 6, "aqu": 5, "fruit": 4, "dry": 3, "soy": 2, "cook": 2}, 700),
    ("CB", "城北农贸市场", "market", "城北街道文三路 12 号", {"veg": 12, "meat": 5, "aqu": 4, "fruit": 3, "dry": 3, "soy": 2, "cook": 3}, 650),
    ("XS", "下沙综合市场", "market", "下沙街道 6 号大街 210 号", {"veg": 12, "meat": 5, "aqu": 5, "fruit": 3, "dry": 2, "soy": 2, "cook": 2}, 650),
    ("DZR", "大自然市场", "market", "九堡街道大自然路 3 号", {"veg": 10, "meat": 4, "aqu": 3, "fruit": 4, "dry": 2, "soy": 2, "cook": 2}, 600),
    ("XND", "新农都水产市场", "wholesale", "乔司街道新农都路 1 号", {"aqu": 18, "dry": 3}, 700),
    ("LH", "联华超市（下沙店）", "supermarket", "下沙街道学源街 500 号", {"veg": 3, "meat": 2, "aqu": 2, "fruit": 2, "grain": 2, "oil": 1, "dry": 1, "cook": 1}, 500),
    ("SXC", "下沙实验小学食堂", "canteen", "下沙街道文泽路 66 号", {"kitchen": 1}, 120),
    ("JYZX", "乔司农村家宴中心", "banquet", "乔司街道三角村", {"kitchen": 1}, None),
]

# Positive batches per batch sampled, by site: rapid-test positive rates run at about
# 0.5–2 % (published market surveillance figures); markets differ — an old wet market with
# many small vegetable growers more, a supermarket with traceable supply chains less.
SITE_POSITIVE_RATES = {"CD": 0.016, "CB": 0.008, "XS": 0.006, "DZR": 0.026, "XND": 0.004, "LH": 0.0015,
                       "SXC": 0.002}

# Trades whose usual screens find banned substances (β-agonists, malachite green,
# nitrofurans, formaldehyde sulfoxylate) and those whose screens find the rest (pesticides,
# sulphur dioxide, nitrite).
BANNED_TRADES = ("meat", "aqu", "soy")
OTHER_TRADES = ("veg", "fruit", "dry", "cook")
POSITIVE_FOODS = {"veg": ["韭菜", "青菜", "芹菜", "豇豆", "菠菜", "小白菜", "油麦菜"], "fruit": ["草莓", "葡萄", "桃子"],
                  "dry": ["银耳", "黄花菜", "笋干"], "cook": ["卤猪肉", "酱鸭", "香肠"],
                  "meat": ["猪肉", "猪肝", "牛肉"], "aqu": ["鲫鱼", "草鱼", "黑鱼", "鳊鱼"], "soy": ["豆腐", "腐竹"],
                  "kitchen": {True: ["猪肉"], False: ["青菜", "芹菜"]}}

TRADE_FOODS = {
    "veg": ["青菜", "菠菜", "生菜", "芹菜", "油麦菜", "空心菜", "小白菜", "韭菜", "大葱", "番茄", "茄子", "辣椒",
            "黄瓜", "丝瓜", "豇豆", "四季豆", "花菜", "西兰花", "莴笋", "萝卜", "胡萝卜", "土豆", "香菇", "茭白",
            "鸡毛菜", "芥蓝", "冬瓜", "苦瓜", "生姜", "黄豆芽"],
    "fruit": ["苹果", "梨", "橘子", "香蕉", "葡萄", "草莓", "桃子", "西瓜", "火龙果", "橙子"],
    "meat": ["猪肉", "排骨", "牛肉", "羊肉", "猪肝", "鸡肉", "鸭肉", "鸡爪", "猪肚"],
    "aqu": ["草鱼", "鲫鱼", "鲈鱼", "鳊鱼", "黑鱼", "基围虾", "小龙虾", "花蛤", "鱿鱼", "带鱼", "黄鳝", "大闸蟹",
            "梭子蟹", "鲳鱼", "海蜇"],
    "dry": ["银耳", "木耳", "干香菇", "黄花菜", "笋干", "辣椒粉", "花生", "红枣"],
    "soy": ["豆腐", "豆腐干", "千张", "腐竹", "油豆腐"],
    "cook": ["卤猪肉", "酱鸭", "烧鸡", "卤牛肉", "香肠", "熟肉丸"],
    "grain": ["大米", "米粉", "面条", "粽子", "年糕"],
    "oil": ["花生油", "菜籽油"],
    "kitchen": ["青菜", "番茄", "猪肉", "鸡肉", "豆腐", "草鱼", "土豆", "黄瓜", "鸡蛋", "大米", "芹菜", "基围虾"],
}

SUPPLIERS = {
    "veg": [("萧山蔬菜专业合作社", "杭州萧山"), ("临平绿源蔬菜基地", "杭州临平"), ("嘉善丰收果蔬合作社", "嘉兴嘉善"),
            ("寿光蔬菜批发市场王记", "山东寿光"), ("勾庄农副产品批发市场李记", "杭州余杭"), ("海盐绿叶蔬菜场", "嘉兴海盐")],
    "fruit": [("果品批发市场陈记", "杭州"), ("烟台苹果直供", "山东烟台"), ("海南热带水果行", "海南三亚")],
    "meat": [("嘉兴生猪定点屠宰场", "嘉兴"), ("萧山牲畜屠宰厂", "杭州萧山"), ("内蒙古草原牛羊肉", "内蒙古锡林郭勒"),
             ("德清禽业有限公司", "湖州德清")],
    "aqu": [("千岛湖水产公司", "杭州淳安"), ("舟山海鲜批发行", "舟山沈家门"), ("湖州淡水鱼养殖场", "湖州南浔"),
            ("盱眙龙虾合作社", "江苏盱眙"), ("宁波象山海产", "宁波象山")],
    "dry": [("古田银耳合作社", "福建古田"), ("庆元香菇行", "丽水庆元"), ("调味品批发部张记", "杭州")],
    "soy": [("城东豆制品厂", "杭州"), ("祥和豆制品有限公司", "杭州余杭")],
    "cook": [("老杭州熟食加工场", "杭州"), ("酱鸭坊食品厂", "杭州萧山")],
    "grain": [("五常大米经销部", "黑龙江五常"), ("义乌粮油批发", "金华义乌")],
    "oil": [("义乌粮油批发", "金华义乌")],
    "kitchen": [("学校食材统一配送中心", "杭州"), ("乔司农产品配送站", "杭州")],
}

SURNAMES = "王李张刘陈杨黄赵周吴徐孙朱马胡郭林何高罗郑梁谢宋唐许邓冯韩曹曾彭萧蔡潘田董袁于余叶蒋杜苏魏程吕丁沈任姚卢傅钟姜崔谭廖范汪陆金石戴贾韦夏邱方侯邹熊孟秦白江阎薛尹段雷黎史龙陶贺顾毛郝龚邵万钱严覃武戴莫孔汤"
GIVEN = ["建国", "秀英", "桂英", "志强", "海燕", "国华", "小红", "丽娟", "伟", "芳", "娜", "敏", "静", "强", "磊",
         "军", "洋", "勇", "艳", "杰", "涛", "明", "超", "秀兰", "霞", "平", "刚", "桂兰", "永红", "春梅"]

STATIONS = [
    ("CD-KJS", "城东市场快检室", "room", "CD"),
    ("CB-KJS", "城北市场快检室", "room", "CB"),
    ("XS-KJS", "下沙市场快检室", "room", "XS"),
    ("XND-KJS", "新农都快检室", "room", "XND"),
    ("KJC-1", "快检车 1 号", "van", None),
    ("KJX-1", "快检箱 1 号", "kit", None),
]
ORGANISATION = "钱塘区市场监督管理局食品快检中心"

# site → station that samples it
SITE_STATION = {"CD": "CD-KJS", "CB": "CB-KJS", "XS": "XS-KJS", "DZR": "KJC-1", "XND": "XND-KJS", "LH": "KJC-1",
                "SXC": "KJX-1", "JYZX": "KJX-1"}

INSTRUMENTS = [
    ("NY-2026-0101", "RP-410 农药残留速测仪", "杭州某仪器有限公司", 12, "CD-KJS"),
    ("NY-2026-0102", "RP-410 农药残留速测仪", "杭州某仪器有限公司", 12, "CB-KJS"),
    ("NY-2026-0103", "RP-410 农药残留速测仪", "杭州某仪器有限公司", 12, "XS-KJS"),
    ("JT-2026-0201", "GR-8 胶体金读卡仪", "深圳某生物科技公司", 4, "XND-KJS"),
    ("JT-2026-0202", "GR-8 胶体金读卡仪", "深圳某生物科技公司", 4, "CD-KJS"),
    ("DY-3500-0301", "DY-3500(I) 多功能食品安全检测仪", "济南某仪器公司", 8, "KJC-1"),
]

# username, display name, role, sites
USERS = [
    ("admin", "系统管理员", "admin", ()),
    ("zhaomin", "赵敏", "reviewer", ()),
    ("qianjun", "钱军", "reviewer", ()),
    ("wangli", "王丽", "technician", ()),
    ("liqiang", "李强", "technician", ()),
    ("chenmin", "陈敏", "technician", ()),
    ("zhouhua", "周华", "technician", ()),
    ("liujianguo", "刘建国", "market_manager", ("CD",)),
    ("huangxiuying", "黄秀英", "market_manager", ("XS", "LH")),
    ("xuhaiyan", "徐海燕", "market_manager", ("XND",)),
    ("sunwei", "孙伟", "regulator", ()),
]

# site → technician who samples it
SITE_TECHNICIAN = {"CD": "wangli", "CB": "liqiang", "XS": "chenmin", "DZR": "zhouhua", "XND": "liqiang",
                   "LH": "zhouhua", "SXC": "chenmin", "JYZX": "wangli"}

LABS = [("浙江省食品药品检验研究院", "GB 23200.113-2018"), ("杭州市食品药品检验研究院", "GB/T 20769-2008"),
        ("钱塘区检验检测中心", "GB/T 22286-2008")]

# --- the province slice (domain.md §8) --------------------------------------------------
# The deployment serves 浙江省 → 杭州市 → three districts: 钱塘区 (everything above, its figures
# unchanged) and two lighter neighbours, 萧山区 and 富阳区, each with markets of its own, its
# own testing organisation with a market room and a van on a rota. Everything of the
# neighbours is drawn from random streams of their own, so 钱塘区 comes out exactly as before.

HOME_DISTRICT = "QT"

# code, name, kind, parent, issuing unit, seal text
ORGANISATIONS = [
    ("ZJ", "浙江省", "province", None, "浙江省市场监督管理局", None),
    ("HZ", "杭州市", "city", "ZJ", "杭州市市场监督管理局", "杭州市市场监督管理局食品安全检测专用章"),
    ("QT", "钱塘区", "district", "HZ", "杭州市钱塘区市场监督管理局", "杭州市钱塘区市场监督管理局食品安全检测专用章"),
    ("XSQ", "萧山区", "district", "HZ", "杭州市萧山区市场监督管理局", "杭州市萧山区市场监督管理局食品安全检测专用章"),
    ("FYQ", "富阳区", "district", "HZ", "杭州市富阳区市场监督管理局", "杭州市富阳区市场监督管理局食品安全检测专用章"),
    ("QT-KJZX", ORGANISATION, "testing", "QT", ORGANISATION, None),
    ("XSQ-KJ", "杭州萧然检测技术有限公司", "testing", "XSQ", "杭州萧然检测技术有限公司", None),
    ("FYQ-KJ", "富阳区市场监督管理局食品快检站", "testing", "FYQ", "富阳区市场监督管理局食品快检站", None),
]

# The neighbours' markets: code, name, kind, address, stalls, planned batches a month, district.
OTHER_SITES = [
    ("XSCX", "萧山城厢农贸市场", "market", "城厢街道人民路 52 号", {"veg": 8, "meat": 3, "aqu": 3, "fruit": 2, "soy": 1}, 320, "XSQ"),
    ("XSBG", "萧山北干综合市场", "market", "北干街道金城路 320 号", {"veg": 6, "meat": 3, "aqu": 2, "fruit": 2, "dry": 1}, 260, "XSQ"),
    ("XSYP", "义蓬农贸市场", "market", "义蓬街道义隆路 15 号", {"veg": 5, "meat": 2, "aqu": 2, "soy": 1}, 220, "XSQ"),
    ("FYFC", "富阳富春农贸市场", "market", "富春街道桂花西路 18 号", {"veg": 7, "meat": 3, "aqu": 2, "fruit": 2, "dry": 1}, 280, "FYQ"),
    ("FYYH", "银湖综合市场", "market", "银湖街道富闲路 9 号", {"veg": 5, "meat": 2, "aqu": 2, "fruit": 1, "soy": 1}, 200, "FYQ"),
]
# Fewer stalls, fewer batches: a neighbour's market round samples 8–16 batches a day.
DAILY_BATCHES = {code: (8, 16) for code, *_rest in OTHER_SITES}
SITE_POSITIVE_RATES.update({"XSCX": 0.012, "XSBG": 0.007, "XSYP": 0.018, "FYFC": 0.01, "FYYH": 0.005})

# code, name, kind, site it stands in, testing organisation
OTHER_STATIONS = [
    ("XSCX-KJS", "城厢市场快检室", "room", "XSCX", "XSQ-KJ"),
    ("XS-KJC", "萧山快检车", "van", None, "XSQ-KJ"),
    ("FYFC-KJS", "富春市场快检室", "room", "FYFC", "FYQ-KJ"),
    ("FY-KJC", "富阳快检车", "van", None, "FYQ-KJ"),
]
SITE_STATION.update({"XSCX": "XSCX-KJS", "XSBG": "XS-KJC", "XSYP": "XS-KJC", "FYFC": "FYFC-KJS", "FYYH": "FY-KJC"})
# What a van serves beyond the markets it samples every day (its rota also calls at the room's market).
STATION_EXTRA_SITES = {"XS-KJC": ("XSCX",), "FY-KJC": ("FYFC",)}
# The event site 钱塘区体育中心 is sampled by the van (lims.demo.builder.plain_day's default).
DEFAULT_STATION = "KJC-1"

OTHER_INSTRUMENTS = [
    ("NY-2026-0401", "RP-410 农药残留速测仪", "杭州某仪器有限公司", 12, "XSCX-KJS"),
    ("JT-2026-0402", "GR-8 胶体金读卡仪", "深圳某生物科技公司", 4, "XS-KJC"),
    ("NY-2026-0501", "RP-410 农药残留速测仪", "杭州某仪器有限公司", 12, "FYFC-KJS"),
    ("JT-2026-0502", "GR-8 胶体金读卡仪", "深圳某生物科技公司", 4, "FY-KJC"),
]

# username, display name, role, sites — people of the city and the neighbours
OTHER_USERS = [
    ("wugang", "吴刚", "regulator", ()),
    ("hejun", "何军", "regulator", ()),
    ("maxiao", "马晓", "technician", ()),
    ("tangning", "唐宁", "reviewer", ()),
    ("yexiaomei", "叶晓梅", "market_manager", ("XSCX",)),
    ("songtao", "宋涛", "regulator", ()),
    ("luyang", "陆洋", "technician", ()),
    ("fangyuan", "方圆", "reviewer", ()),
]
SITE_TECHNICIAN.update({"XSCX": "maxiao", "XSBG": "maxiao", "XSYP": "maxiao", "FYFC": "luyang", "FYYH": "luyang"})
DEFAULT_TECHNICIAN = "zhouhua"

# Who reviews in each district (never the tester: the four-eyes rule).
REVIEWERS = {"QT": ["zhaomin", "qianjun"], "XSQ": ["tangning"], "FYQ": ["fangyuan"]}

# Regulators (and administrators) bound to a node: they see its subtree. ``admin`` stays
# unbound: the deployment's administrator.
ORG_BINDINGS = {"sunwei": ("QT",), "wugang": ("HZ",), "hejun": ("XSQ",), "songtao": ("FYQ",)}


def site_district(code: str) -> str:
    for row in OTHER_SITES:
        if row[0] == code:
            return row[6]
    return HOME_DISTRICT


def station_sites() -> dict[str, list[str]]:
    """Which sites each station serves: those it samples every day, a room's own market, and
    a van's rota."""
    served: dict[str, set[str]] = {}
    for site, station in SITE_STATION.items():
        served.setdefault(station, set()).add(site)
    served.setdefault(DEFAULT_STATION, set()).add("TYZX")
    for code, _name, _kind, site, *_rest in STATIONS + OTHER_STATIONS:
        if site:
            served.setdefault(code, set()).add(site)
    for station, extra in STATION_EXTRA_SITES.items():
        served.setdefault(station, set()).update(extra)
    return {k: sorted(v) for k, v in served.items()}


def station_bindings() -> dict[str, list[str]]:
    """Technicians: the stations they sample with; reviewers: every station of their district."""
    out: dict[str, set[str]] = {}
    for site, tech in SITE_TECHNICIAN.items():
        out.setdefault(tech, set()).add(SITE_STATION[site])
    out.setdefault(DEFAULT_TECHNICIAN, set()).add(DEFAULT_STATION)
    by_district: dict[str, set[str]] = {}
    for site, station in SITE_STATION.items():
        by_district.setdefault(site_district(site), set()).add(station)
    for district, reviewers in REVIEWERS.items():
        for r in reviewers:
            out.setdefault(r, set()).update(by_district.get(district, ()))
    return {k: sorted(v) for k, v in out.items()}
