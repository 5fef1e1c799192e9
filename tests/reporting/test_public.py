"""The market board (公示栏) and the public pages: the stall QR page (一摊一码) and the report
verification page. Only reviewed current results, operators by surname, wording that does
not mislead (a pass is "本次快检未发现问题", never "安全"; invalid/suspect is "复测中").

The clock is frozen at 2026-11-20 18:00 local; the board shows Nov 20."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest

from tests.reporting.world import Builder, loc
from tests.wording import ZH_PUBLIC

D = Decimal
NOW_P = loc(2026, 11, 20, 18, 0)
DAY = date(2026, 11, 20)


@dataclass
class Market:
    site: object
    p1: object
    p2: object
    p3: object
    batches: dict


@pytest.fixture
def market(app, db, make_user, clock):
    clock(NOW_P)
    tech = make_user("technician", display_name="检测员甲")
    reviewer = make_user("reviewer", display_name="审核员乙")
    b = Builder(db, tech, reviewer)
    site = b.site("PB", "公示市场", 20, phone="0571-88886666")
    other = b.site("PX", "别的市场", 20)
    p1 = b.stall(site, "P1", "王丽华", public_code="stallp1code")
    p2 = b.stall(site, "P2", "欧阳春花", public_code="stallp2code")
    p3 = b.stall(site, "P3", "鲜丰果业有限公司", public_code="stallp3code")
    x1 = b.stall(other, "X1", "赵大", public_code="stallx1code")
    bt = {}

    def one(key, stall, food, item, outcome, at, reviewed=True, site_=site, **kw):
        bt[key] = b.batch(site_, food, at - timedelta(hours=1), stall=stall, code=f"PB-{key.upper()}",
                          status={"negative": "passed", "positive": "stopped"}.get(outcome, "retest"),
                          verdict=outcome if outcome != "invalid" else "suspect", quantity=D("5"))
        return b.result(bt[key], item, outcome, at, reviewed=reviewed, **kw)

    one("neg", p1, "今日青菜", "OPC", "negative", loc(2026, 11, 20, 9), computed=D("10"))
    one("inv", p1, "今日白菜", "OPC", "invalid", loc(2026, 11, 20, 9, 10), computed=None, control_delta=D("0.1"))
    one("sus", p2, "今日韭菜", "PCM", "suspect", loc(2026, 11, 20, 9, 20), tc=D("0.6"))
    r = one("pos", p2, "今日猪肉", "CLB", "positive", loc(2026, 11, 20, 9, 30), tc=D("0.2"))
    d = b.disposition(bt["pos"], r, "disposed", loc(2026, 11, 20, 9, 35), closed_at=loc(2026, 11, 20, 14, 5))
    b.action(d, "stop_sale", 5, loc(2026, 11, 20, 9, 40))
    b.action(d, "destroy", 5, loc(2026, 11, 20, 14))
    bt["pos"].status = "disposed"
    r = one("pos2", p1, "今日牛肉", "CLB", "positive", loc(2026, 11, 20, 15), tc=D("0.25"))
    b.disposition(bt["pos2"], r, "stopped", loc(2026, 11, 20, 16))  # window open until 20:00
    one("unrev", p1, "未审核菜", "OPC", "negative", loc(2026, 11, 20, 10), reviewed=False, computed=D("5"))
    one("yday", p1, "昨日青菜", "OPC", "negative", loc(2026, 11, 19, 10), computed=D("5"))
    # Nov 20 00:00 local (= Nov 19 16:00 UTC) belongs to Nov 20
    one("midnight", p3, "午夜苹果", "OMT", "negative", loc(2026, 11, 20, 0, 0, 0), tc=D("1.2"))
    # a repeat after an invalid test: the later result is shown
    one("rep", p2, "复测菠菜", "OPC", "invalid", loc(2026, 11, 20, 8), computed=None, control_delta=D("0.1"))
    b.result(bt["rep"], "OPC", "negative", loc(2026, 11, 20, 11), computed=D("8"))
    # a corrected result: version 1 (positive) superseded by version 2 (negative)
    v1 = one("cor", p2, "更正芹菜", "OPC", "positive", loc(2026, 11, 20, 8, 30), computed=D("60"), current=False)
    b.result(bt["cor"], "OPC", "negative", loc(2026, 11, 20, 8, 30), computed=D("12"), version=2, supersedes=v1,
             correction_reason="对照值录入错误")
    # the stall page's window: 29 days back is shown, 31 days back is not
    one("d29", p1, "近期青菜", "OPC", "negative", NOW_P - timedelta(days=29), computed=D("5"))
    one("d31", p1, "过期青菜", "OPC", "negative", NOW_P - timedelta(days=31), computed=D("5"))
    one("other", x1, "别家菜", "OPC", "negative", loc(2026, 11, 20, 9), site_=other, computed=D("5"))
    db.session.commit()  # release the savepoint: requests may roll the session back to here
    return Market(site, p1, p2, p3, bt)


# domain.md §5: a pass is "本次快检未发现问题" (never "安全"), invalid/suspect "复测中"
PASS, RETEST = "本次快检未发现问题", "复测中"
DISPOSED, HANDLING = ZH_PUBLIC["disposed"], ZH_PUBLIC["stopped"]


def test_board_entries(market, ctx):
    from lims.reporting.board import board_entries

    entries = board_entries(market.site, DAY, NOW_P)
    got = sorted((e.stall, e.food, e.outcome, e.operator, e.disposition_status) for e in entries)
    assert got == sorted([
        ("P1", "今日青菜", "negative", "王丽华", None),
        ("P1", "今日白菜", "invalid", "王丽华", None),
        ("P2", "今日韭菜", "suspect", "欧阳春花", None),
        ("P2", "今日猪肉", "positive", "欧阳春花", "disposed"),
        ("P1", "今日牛肉", "positive", "王丽华", "stopped"),
        ("P3", "午夜苹果", "negative", "鲜丰果业有限公司", None),
        ("P2", "复测菠菜", "negative", "欧阳春花", None),  # the repeat, not the invalid first test
        ("P2", "更正芹菜", "negative", "欧阳春花", None),  # version 2 only
    ])
    assert [e.outcome for e in entries[:2]] == ["positive", "positive"]  # positives first
    handled = {e.food: e.handling for e in entries}
    assert "5" in handled["今日猪肉"]  # destroyed 5 kg; the stop-sale step is not added to it
    assert "10" not in handled["今日猪肉"]
    # one phrase per state: a stopped sale says so in its wording, with nothing beside it
    assert handled["今日牛肉"] is None and handled["今日青菜"] is None
    # the local day: Nov 20 00:00 local (Nov 19 16:00 UTC) is on Nov 20's board, not Nov 19's
    assert [(e.food, e.outcome) for e in board_entries(market.site, date(2026, 11, 19), NOW_P)] == \
        [("昨日青菜", "negative")]


def test_public_board_page(market, client):
    page = client.get("/public/sites/pb/board")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    rows = re.findall(r'<div class="board-row outcome-(\w+)"><span class="stall">([^<]*)</span>'
                      r'<span class="food">([^<]*)</span><span class="word">([^<]*)</span>', html)
    # positives carry how they were handled in brackets after the wording
    got = sorted((o, s, f.split(" · ")[0], w.split("（")[0]) for o, s, f, w in rows)
    assert got == sorted([
        ("negative", "P1 王某", "今日青菜", "本次快检未发现问题"),
        ("invalid", "P1 王某", "今日白菜", "复测中"),
        ("suspect", "P2 欧阳某", "今日韭菜", "复测中"),
        ("negative", "P3 鲜*", "午夜苹果", "本次快检未发现问题"),
        ("negative", "P2 欧阳某", "复测菠菜", "本次快检未发现问题"),
        ("negative", "P2 欧阳某", "更正芹菜", "本次快检未发现问题"),
        ("positive", "P2 欧阳某", "今日猪肉", DISPOSED),
        ("positive", "P1 王某", "今日牛肉", HANDLING),
    ])
    handling = {f.split(" · ")[0]: w for o, s, f, w in rows if o == "positive"}
    assert re.search(r"（[^）]*\b5 kg）$", handling["今日猪肉"]), handling  # destroyed 5 kg (not + stop-sale 5)
    assert handling["今日牛肉"] == HANDLING == "阳性，已停售"  # one phrase, not "阳性，处置中（已停售，处置中）"
    assert re.search(r"<h2>[^<]*[（(]8[)）]</h2>", html)  # today's results: 8
    for hidden in ("王丽华", "欧阳春花", "鲜丰果业有限公司", "未审核菜", "昨日青菜", "别家菜", "近期青菜"):
        assert hidden not in html, hidden
    assert "安全" not in html
    assert "0571-88886666" in html
    assert client.get("/public/sites/NOPE/board").status_code == 404


def test_public_board_of_an_inactive_site_is_gone(market, client, db):
    market.site.active = False
    db.session.commit()
    assert client.get("/public/sites/PB/board").status_code == 404


def test_board_pdf(market, client, pdftext):
    response = client.get("/public/sites/PB/board.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    f = re.sub(r"\s+", "", pdftext(response.data))
    assert "公示市场" in f and "王某" in f and "欧阳某" in f and "复测中" in f and "本次快检未发现问题" in f
    assert "今日猪肉" in f and "午夜苹果" in f
    for hidden in ("王丽华", "欧阳春花", "未审核菜", "昨日青菜", "别家菜", "安全"):
        assert hidden not in f, hidden


def test_stall_page(market, client):
    page = client.get("/public/stalls/stallp1code")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    items = re.findall(r'<li class="pub-result outcome-(\w+)">\s*<div class="pub-date">([^<]*)</div>\s*'
                       r'<div class="pub-what"><strong>([^<]*)</strong>.*?<div class="pub-word">([^<]*)</div>', html, re.S)
    assert [(o, d, f, w) for o, d, f, w in items] == [  # newest first
        ("positive", "11-20", "今日牛肉", HANDLING),
        ("invalid", "11-20", "今日白菜", "复测中"),
        ("negative", "11-20", "今日青菜", "本次快检未发现问题"),
        ("negative", "11-19", "昨日青菜", "本次快检未发现问题"),
        ("negative", "10-22", "近期青菜", "本次快检未发现问题"),  # 29 days back
    ]
    assert "王某" in html
    for hidden in ("王丽华", "过期青菜", "未审核菜", "今日猪肉", "别家菜", "安全", "10-21", "10-20"):
        assert hidden not in html, hidden
    assert "0571-88886666" in html


def test_stall_page_names(market, client, db):
    html = client.get("/public/stalls/stallp2code").get_data(as_text=True)
    assert "欧阳某" in html and "欧阳春花" not in html
    assert DISPOSED in html and "复测中" in html and "安全" not in html
    assert "更正芹菜" in html and html.count("更正芹菜") == 1
    html = client.get("/public/stalls/stallp3code").get_data(as_text=True)
    assert "鲜*" in html and "鲜丰果业" not in html
    assert client.get("/public/stalls/nosuchcode").status_code == 404
    market.p1.active = False
    db.session.commit()
    assert client.get("/public/stalls/stallp1code").status_code == 404


def test_verify_page_needs_the_right_token(market, client, app):
    from lims.reporting.common import verify_token

    with app.test_request_context("/"):
        token = verify_token("PB-POS")
        other = verify_token("PB-NEG")
        unknown = verify_token("PB-NOPE")
        unreviewed = verify_token("PB-UNREV")
    ok = client.get(f"/public/verify/PB-POS/{token}")
    assert ok.status_code == 200
    html = ok.get_data(as_text=True)
    assert "PB-POS" in html and "今日猪肉" in html and "克伦特罗" in html and DISPOSED in html
    assert "欧阳某" in html and "欧阳春花" not in html and "安全" not in html
    assert client.get(f"/public/verify/pb-pos/{token}").status_code == 200  # the code is case-insensitive
    assert client.get(f"/public/verify/PB-POS/{other}").status_code == 404  # another batch's token
    bad = token[:-1] + ("0" if token[-1] != "0" else "1")
    assert client.get(f"/public/verify/PB-POS/{bad}").status_code == 404
    assert client.get("/public/verify/PB-POS/0000000000000000").status_code == 404
    assert client.get(f"/public/verify/PB-NOPE/{unknown}").status_code == 404  # valid token, no batch
    page = client.get(f"/public/verify/PB-UNREV/{unreviewed}").get_data(as_text=True)
    assert "未审核菜" in page and "本次快检未发现问题" not in page  # nothing reviewed to show
    html = client.get(f"/public/verify/PB-COR/{verify_token_in(app, 'PB-COR')}").get_data(as_text=True)
    assert "本次快检未发现问题" in html and "阳性" not in html  # version 2 only


def verify_token_in(app, code):
    from lims.reporting.common import verify_token

    with app.app_context():
        return verify_token(code)


def test_verify_token_is_signed_with_the_stored_key_not_the_secret_key(market, client, app, db):
    """A restore under a new SECRET_KEY keeps every printed QR code valid: the signing key is
    in the database (and so in the backup). Codes printed before still verify with SECRET_KEY."""
    import hashlib
    import hmac

    from lims.models import ReportSigningKey
    from lims.reporting.common import verify_token

    with app.test_request_context("/"):
        a = verify_token("PB-POS")
        old = app.config["SECRET_KEY"]
        app.config["SECRET_KEY"] = "another-secret"
        try:
            assert verify_token("PB-POS") == a
            assert client.get(f"/public/verify/PB-POS/{a}").status_code == 200
        finally:
            app.config["SECRET_KEY"] = old
        stored = db.session.get(ReportSigningKey, 1)
        assert len(stored.key) == 64
        assert a == hmac.new(stored.key.encode(), b"verify:PB-POS", hashlib.sha256).hexdigest()[:16]
        legacy = hmac.new(old.encode(), b"verify:PB-POS", hashlib.sha256).hexdigest()[:16]
        assert legacy != a
    assert client.get(f"/public/verify/PB-POS/{legacy}").status_code == 200
    stored.key = "0" * 64  # another system's key: this system's codes do not verify there
    db.session.commit()
    assert client.get(f"/public/verify/PB-POS/{a}").status_code == 404


def test_public_pages_are_kept_until_the_data_or_the_minute_change(market, client, db, clock, monkeypatch,
                                                                   make_user, page_cache_on):
    """The render cache (on in production, off in the other tests): a page is rendered once,
    served again as it was, and rendered afresh as soon as anything is written (the audit
    sequence moves), in another language, or a minute later."""
    from lims.accounts.access import Actor
    from lims.audit.services import record
    from lims.public import services

    renders = []
    real = services.stall_by_public_code
    monkeypatch.setattr(services, "stall_by_public_code", lambda code: renders.append(code) or real(code))
    first = client.get("/public/stalls/stallp1code")
    again = client.get("/public/stalls/stallp1code")
    assert first.status_code == again.status_code == 200 and len(renders) == 1
    assert again.data == first.data and again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Cache-Control"] == "public, max-age=60"
    assert client.get("/public/stalls/stallp1code",
                      headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    english = client.get("/public/stalls/stallp1code", headers={"Accept-Language": "en"})
    assert len(renders) == 2 and english.data != first.data

    market.p1.operator = "张三"  # as a service does it: the change and its audit entry together
    record(Actor(make_user("admin")), "stall.update", "stall", market.p1.id, after={"operator": "张三"})
    db.session.commit()
    changed = client.get("/public/stalls/stallp1code").get_data(as_text=True)
    assert len(renders) == 3 and "张某" in changed and "王某" not in changed

    client.get("/public/stalls/stallp1code")
    assert len(renders) == 3
    clock(NOW_P + timedelta(minutes=1))
    client.get("/public/stalls/stallp1code")
    assert len(renders) == 4

    assert client.get("/public/stalls/nosuchcode").status_code == 404
    assert client.get("/public/stalls/nosuchcode").status_code == 404  # refusals are never kept
    assert renders[-2:] == ["nosuchcode", "nosuchcode"]


def _stall_words(client, code):
    html = client.get(f"/public/stalls/{code}").get_data(as_text=True)
    return dict(re.findall(r'<strong>([^<]*)</strong>.*?<div class="pub-word">([^<]*)</div>', html, re.S)), html


def test_a_positive_is_public_only_once_the_seller_was_told(market, client, db, clock, ctx):
    from lims.reporting.board import board_entries

    d = market.batches["pos2"].disposition  # 今日牛肉 positive at 15:00, seller told at 16:00
    d.notified_at = None
    d.objection_deadline = None
    db.session.commit()
    assert "今日牛肉" not in [e.food for e in board_entries(market.site, DAY, NOW_P)]
    words, html = _stall_words(client, "stallp1code")
    assert "今日牛肉" not in html and words["今日青菜"] == PASS
    board = client.get("/public/sites/PB/board").get_data(as_text=True)
    assert "今日牛肉" not in board and "今日猪肉" in board  # the told one (disposed) stays
    assert client.get("/public/sites/PB/board.pdf").status_code == 200

    d.notified_at = loc(2026, 11, 20, 17, 30)  # told: from then on it is public
    d.objection_deadline = loc(2026, 11, 20, 21, 30)
    db.session.commit()
    assert "今日牛肉" in [e.food for e in board_entries(market.site, DAY, NOW_P)]
    assert _stall_words(client, "stallp1code")[0]["今日牛肉"] == ZH_PUBLIC["stopped"]


def test_a_positive_nobody_told_the_seller_about_is_public_after_the_delay(market, app, db, clock, ctx):
    from lims.reporting.board import board_entries

    d = market.batches["pos2"].disposition
    d.notified_at = None
    d.objection_deadline = None
    db.session.flush()
    found = loc(2026, 11, 20, 15)
    app.config["PUBLIC_POSITIVE_DELAY_HOURS"] = 2
    assert "今日牛肉" not in [e.food for e in board_entries(market.site, DAY, found + timedelta(hours=1, minutes=59))]
    assert "今日牛肉" in [e.food for e in board_entries(market.site, DAY, found + timedelta(hours=2))]
    app.config["PUBLIC_POSITIVE_DELAY_HOURS"] = 24
    assert "今日牛肉" not in [e.food for e in board_entries(market.site, DAY, found + timedelta(hours=23))]


def test_a_lab_retest_in_progress_reads_retest_in_progress(market, client, db):
    from tests.reporting.world import Builder

    b = market.batches["pos2"]
    b.status = "disputed"
    b.disposition.status = "disputed"
    Builder(db, None, None).objection(b.disposition, loc(2026, 11, 20, 17))
    db.session.commit()
    words, html = _stall_words(client, "stallp1code")
    assert words["今日牛肉"] == "复检中"
    board = client.get("/public/sites/PB/board").get_data(as_text=True)
    assert re.search(r'<span class="food">今日牛肉[^<]*</span><span class="word">复检中</span>', board)
    for doubled in ("处置中", "（已停售", "实验室复检中"):
        assert doubled not in html and doubled not in board, doubled


def test_a_past_day_board_names_its_day(market, client, pdftext):
    """?date= shows a past day's board; it says which day, never "今日" (today)."""
    today = client.get("/public/sites/PB/board").get_data(as_text=True)
    assert "今日检测结果" in today
    page = client.get("/public/sites/PB/board?date=2026-11-19")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "昨日青菜" in html and "今日青菜" not in html
    assert re.search(r"<h2>2026-11-19 检测结果（1）</h2>", html), html
    assert "今日" not in html.replace("今日青菜", "")
    assert "/public/sites/PB/board.pdf?date=2026-11-19" in html  # the print version of that day
    empty = client.get("/public/sites/PB/board?date=2026-11-10").get_data(as_text=True)
    assert "2026-11-10 暂无已审核的检测结果" in empty and "今日" not in empty
    english = client.get("/public/sites/PB/board?date=2026-11-19", headers={"Accept-Language": "en"})
    assert "Results of 2026-11-19 (1)" in english.get_data(as_text=True)
    assert "Today" not in english.get_data(as_text=True)
    f = re.sub(r"\s+", "", pdftext(client.get("/public/sites/PB/board.pdf?date=2026-11-19").data))
    assert "昨日青菜" in f and "2026-11-19公示1项次" in f and "今日" not in f.replace("今日青菜", "")


@pytest.mark.parametrize(("raw", "status"), [("2026-11-21", 422), ("2026-10-01", 422), ("yesterday", 400),
                                             ("2026-02-30", 400)])
def test_a_board_day_out_of_reach_is_refused(market, client, raw, status):
    for path in ("/public/sites/PB/board", "/public/sites/PB/board.pdf"):
        response = client.get(f"{path}?date={raw}")
        assert response.status_code == status, (path, response.status_code)
