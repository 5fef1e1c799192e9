"""The status words as users read them (Chinese), written out by hand: tests compare every
door against these, so a wording changed in one place only fails."""

ZH_STATUS = {
    "registered": "已登记",
    "testing": "检测中",
    "passed": "快检未发现问题",
    "retest": "待复测",
    "stopped": "已停售",
    "disputed": "实验室复检中",
    "released": "复检阴性，已放行",
    "confirmed": "确认阳性，待处置",
    "disposed": "已处置完毕",
}

# What the public sees for a positive result, by the batch's status now.
ZH_PUBLIC = {
    "passed": "本次快检未发现问题",
    "retest": "复测中",
    "stopped": "阳性，已停售",
    "disputed": "复检中",
    "confirmed": "阳性，已停售待处置",
    "released": "快检阳性，实验室复检未发现问题",
    "disposed": "阳性，已按规定处置",
}
