"""Issue 13, lists that scale: every list shows its total, pages with "第 x 页，共 y 页" and
first/previous/next/last, shows its active filters by name (``?supplier=20`` reads as the
supplier) with a × that removes just that filter, and bad page numbers are a clear 400 or the
nearest page, never a 500."""
from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from html import unescape

import pytest
import sqlalchemy as sa

from lims.accounts.access import Actor
from lims.batches.services import BatchInput, create_round, register_batch
from lims.database import utcnow
from lims.models import Station, Supplier
from lims.reference.services import get_item


@pytest.fixture
def district(app, db, make_site, make_stall, make_user, ctx):
    site = make_site(code="LA", name="列表市场")
    other = make_site(code="LB", name="另一市场")
    stall = make_stall(site=site, code="A-01")
    stall_b = make_stall(site=other, code="B-01")
    tech = make_user("technician", display_name="王丽")
    tech2 = make_user("technician", display_name="李强")
    station = Station(code="LA-KJS", name="列表快检室", kind="room", organisation="中心", site=site)
    db.session.add(station)
    db.session.flush()
    now = utcnow()
    actor, actor2 = Actor(tech, "t"), Actor(tech2, "t")
    for i in range(55):  # 55 batches at the stall, the last 3 from one supplier
        register_batch(actor, BatchInput(site=site, stall=stall, food="青菜", tests=[get_item("OPC")],
                                         supplier_name="萧山合作社" if i >= 52 else None,
                                         quantity_kg=Decimal(10), sampled_at=now - timedelta(hours=i + 1)))
    register_batch(actor2, BatchInput(site=other, stall=stall_b, food="菠菜", tests=[get_item("OPC")],
                                      sampled_at=now - timedelta(hours=2)))
    for d in range(1, 64):  # 63 rounds: 60 by 王丽 at the market's station, 3 by 李强
        create_round(actor if d > 3 else actor2, site, (now - timedelta(days=d)).date(),
                     station if d > 3 else None)
    db.session.commit()
    supplier = db.session.execute(sa.select(Supplier).where(Supplier.name == "萧山合作社")).scalar_one()
    return {"site": site, "other": other, "stall": stall, "tech": tech, "tech2": tech2, "station": station,
            "supplier": supplier, "admin": make_user("admin"), "regulator": make_user("regulator")}


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def _rows(html: str, table_class: str) -> int:
    body = re.search(rf'class="[^"]*{table_class}.*?<tbody>(.*?)</tbody>', html, re.S).group(1)
    return body.count("<tr")


def _chip_remove_link(html: str, key: str) -> str:
    m = re.search(rf'class="filter-chip[^"]*" data-keys="{key}">.*?<a class="chip-remove[^"]*" href="([^"]+)"', html, re.S)
    assert m, f"no chip for {key}"
    return unescape(m.group(1))


def test_batches_show_the_total_and_numbered_pages(client, district):
    client.login(district["admin"])
    first = client.get("/batches").get_data(as_text=True)
    assert "共 56 条" in _text(first) and "第 1 页，共 2 页" in _text(first)
    assert _rows(first, "batch-table") == 50
    assert 'rel="next" href="/batches?page=2"' in first and 'rel="last" href="/batches?page=2"' in first
    second = client.get("/batches?page=2").get_data(as_text=True)
    assert "第 2 页，共 2 页" in _text(second) and _rows(second, "batch-table") == 6
    # Past the end: the last page; with a filter: counted and paged within it.
    assert "第 2 页，共 2 页" in _text(client.get("/batches?page=999").get_data(as_text=True))
    only = client.get(f"/batches?site={district['other'].id}").get_data(as_text=True)
    assert "共 1 条" in _text(only) and "第 1 页" not in _text(only) and _rows(only, "batch-table") == 1


def test_a_count_is_exact_up_to_its_cap_and_capped_beyond(district, db):
    """Issue 14, scope must not cost: a list is counted only up to a cap, so that a scoped list of
    millions of rows is not read end to end to number its pages; paging still reaches the end."""
    from lims.listing import paginate
    from lims.models import Batch

    stmt = sa.select(Batch).order_by(Batch.sampled_at.desc(), Batch.id.desc())
    exact = paginate(stmt, 1, per_page=10, cap=56)  # exactly the cap: exact
    assert (exact.total, exact.exact, exact.pages) == (56, True, 6)
    over = paginate(stmt, 1, per_page=10, cap=55)
    assert (over.total, over.exact, over.has_next, over.next_num, len(over.items)) == (55, False, True, 2, 10)
    # Walking "next" from the first page reaches every row once, in order, and stops at the end.
    seen, number = [], 1
    while True:
        page = paginate(stmt, number, per_page=10, cap=25)
        seen += [b.id for b in page.items]
        if not page.has_next:
            break
        number = page.next_num
    assert number == 6 and page.exact and page.total == 56 and len(page.items) == 6
    everything = sa.select(Batch.id).order_by(Batch.sampled_at.desc(), Batch.id.desc())
    assert seen == list(db.session.execute(everything).scalars()) and len(seen) == 56
    # Past the end the last page is shown, as with an exact count.
    far = paginate(stmt, 99, per_page=10, cap=25)
    assert (far.page, far.exact, far.total, len(far.items)) == (6, True, 56, 6)


def test_a_long_list_reads_more_than_n_and_pages_without_a_last_page(client, district, monkeypatch):
    from lims import listing

    monkeypatch.setattr(listing, "COUNT_CAP", 52)
    client.login(district["admin"])
    first = client.get("/batches").get_data(as_text=True)
    assert "超过 52 条 · 第 1 页" in _text(first) and "共 56 条" not in _text(first)
    assert 'data-capped="1"' in first and _rows(first, "batch-table") == 50
    assert 'rel="next" href="/batches?page=2"' in first and 'rel="last"' not in first
    # The page asked for is counted to: the second (last) page knows the list's end.
    second = client.get("/batches?page=2").get_data(as_text=True)
    assert "共 56 条" in _text(second) and "第 2 页，共 2 页" in _text(second) and _rows(second, "batch-table") == 6
    # A short list under the cap stays exact.
    only = client.get(f"/batches?supplier={district['supplier'].id}").get_data(as_text=True)
    assert "共 3 条" in _text(only) and 'data-capped' not in only


@pytest.mark.parametrize("path", ["/batches", "/rounds", "/notifications/", "/review", "/imports/new", "/events/",
                                  "/admin/stalls/", "/positives?group=notify"])
@pytest.mark.parametrize("raw", ["0", "-1", "1" + "0" * 30, "abc", "1.5", "%00"])
def test_bad_page_numbers_are_a_clear_answer_never_a_500(client, make_user, path, raw):
    client.login(make_user("admin"))
    response = client.get(f"{path}{'&' if '?' in path else '?'}page={raw}")
    assert response.status_code in (200, 400), (path, raw, response.status_code)
    if response.status_code == 400:
        assert "page" in response.get_data(as_text=True)
    else:
        assert raw == "0"


def test_a_filter_in_the_address_is_shown_by_name_and_removable(client, district):
    client.login(district["admin"])
    supplier = district["supplier"]
    html = client.get(f"/batches?supplier={supplier.id}&status=registered").get_data(as_text=True)
    text = _text(html)
    assert "共 3 条" in text and "供货者 萧山合作社" in text and "状态 已登记" in text
    assert _rows(html, "batch-table") == 3
    removed = _chip_remove_link(html, "supplier")
    assert "supplier" not in removed and "status=registered" in removed
    after = client.get(removed).get_data(as_text=True)
    assert "共 56 条" in _text(after) and 'data-keys="supplier"' not in after and 'data-keys="status"' in after
    # A filter form submission keeps the supplier it cannot show as a field.
    assert f'<input type="hidden" name="supplier" value="{supplier.id}">' in html


def test_rounds_are_counted_paged_and_filtered_by_date_site_station_and_technician(client, district):
    client.login(district["admin"])
    html = client.get("/rounds").get_data(as_text=True)
    assert "共 63 条" in _text(html) and "第 1 页，共 2 页" in _text(html)
    assert "共 13 条" not in html and len(re.findall(r'href="/rounds/\d+"', html)) == 50
    assert len(re.findall(r'href="/rounds/\d+"', client.get("/rounds?page=2").get_data(as_text=True))) == 13
    by_tech = client.get(f"/rounds?technician={district['tech2'].id}").get_data(as_text=True)
    assert "共 3 条" in _text(by_tech) and "检测员 李强" in _text(by_tech)
    by_station = client.get(f"/rounds?station={district['station'].id}").get_data(as_text=True)
    assert "共 60 条" in _text(by_station) and "快检室 列表快检室" in _text(by_station) or \
        "列表快检室" in _text(by_station)
    day = (utcnow() - timedelta(days=5)).date()
    ranged = client.get(f"/rounds?from={day - timedelta(days=1)}&to={day}&site={district['site'].id}").get_data(
        as_text=True)
    assert "共 2 条" in _text(ranged) and "列表市场" in _text(ranged)
    removed = _chip_remove_link(ranged, "from")
    assert "from=" not in removed and "to=" in removed and "site=" in removed
    assert client.get("/rounds?from=2026-13-01").status_code == 400
    assert client.get("/rounds?to=1900-01-01").status_code in (400, 422)


def test_the_notifications_run_in_pages(client, district, db):
    from lims.notifications.services import notify

    regulator = district["regulator"]
    for i in range(70):
        notify([regulator], "supplier_alert", f"list-{i}", {"supplier": f"供货商{i}", "site": "列表市场"})
    db.session.commit()
    client.login(regulator)
    html = client.get("/notifications/").get_data(as_text=True)
    assert "共 70 条" in _text(html) and "第 1 页，共 3 页" in _text(html)
    assert html.count('class="list-group-item ') == 30
    last = client.get("/notifications/?page=3").get_data(as_text=True)
    assert last.count('class="list-group-item ') == 10 and "供货商0" in last
    client.post_form("/notifications/read", {"id": ""}, csrf_from="/notifications/")
    unread = client.get("/notifications/?unread=1").get_data(as_text=True)
    assert "共 0 条" in _text(unread) and 'data-keys="unread"' in unread


def test_the_stall_history_is_paged(client, district):
    client.login(district["admin"])
    stall = district["stall"]
    html = client.get(f"/stalls/{stall.id}").get_data(as_text=True)
    assert "共 55 条" in _text(html) and "第 1 页，共 2 页" in _text(html)
    assert f'href="/stalls/{stall.id}?page=2"' in html
    second = client.get(f"/stalls/{stall.id}?page=2").get_data(as_text=True)
    assert "第 2 页，共 2 页" in _text(second) and len(re.findall(r"href=\"/batches/[^\"]+\"", second)) == 25


def test_the_review_worklist_is_paged_and_its_filters_are_chips(client, district, db):
    from lims.models import Batch
    from lims.results.services import ResultInput, record_result

    tech = Actor(district["tech"], "t")
    now = utcnow()
    batches = db.session.execute(sa.select(Batch).where(Batch.site_id == district["site"].id)).scalars().all()
    for b in batches:
        record_result(tech, b, ResultInput(item=get_item("OPC"), value=Decimal("12.0"),
                                           tested_at=now - timedelta(minutes=5)))
    db.session.commit()
    client.login(district["admin"])
    html = client.get("/review").get_data(as_text=True)
    assert "共 55 条" in _text(html) and "第 1 页，共 2 页" in _text(html)
    assert html.count('name="review-result_ids"') == 50
    assert client.get("/review?page=2").get_data(as_text=True).count('name="review-result_ids"') == 5
    filtered = client.get(f"/review?site={district['site'].id}&outcome=negative").get_data(as_text=True)
    assert "市场 列表市场" in _text(filtered) and "结论 阴性" in _text(filtered)
    removed = _chip_remove_link(filtered, "outcome")
    assert "outcome" not in removed and "site=" in removed


def test_admin_lists_show_their_search_and_filters_as_chips(client, district):
    client.login(district["admin"])
    html = client.get(f"/admin/stalls/?q=A-01&site={district['site'].id}").get_data(as_text=True)
    text = _text(html)
    assert "共 1 条" in text and "搜索 A-01" in text and "列表市场" in text
    removed = _chip_remove_link(html, "q")
    assert removed.startswith("/admin/stalls/") and "q=" not in removed and "site=" in removed
    assert "第 1 页，共 1 页" not in _text(client.get("/admin/stalls/?page=999").get_data(as_text=True))


def _positives_everywhere(district, db, n=55):
    """A positive on each of ``n`` batches at 列表市场 (none told to the seller yet), and one at 另一市场."""
    from lims.models import Batch
    from lims.results.services import ResultInput, record_result

    tech = Actor(district["tech"], "t")
    now = utcnow()
    batches = db.session.execute(sa.select(Batch).order_by(Batch.id)).scalars().all()
    mine = [b for b in batches if b.site_id == district["site"].id][:n]
    theirs = [b for b in batches if b.site_id == district["other"].id]
    for b in mine + theirs:
        record_result(tech, b, ResultInput(item=get_item("OPC"), value=Decimal("62.3"),
                                           tested_at=now - timedelta(minutes=5)))
    db.session.commit()


def _entries(html: str, group: str) -> int:
    section = re.search(rf'id="positives-{group}".*?</section>', html, re.S).group(0)
    return len(re.findall(r'href="/batches/[^"#]+#disposition"', section))


def test_the_open_positives_are_counted_paged_and_filtered(client, district, db):
    _positives_everywhere(district, db)
    client.login(district["admin"])
    html = client.get("/positives").get_data(as_text=True)
    # side by side each group shows its most urgent ten, its total and a way to all of them
    assert "共 56 条" in _text(html) and _entries(html, "notify") == 10
    assert re.search(r'id="positives-notify".*?<span class="badge[^"]*">56</span>', html, re.S)
    more = unescape(re.search(r'<a class="positives-more[^"]*" href="([^"]+)"', html).group(1))
    assert more == "/positives?group=notify"
    whole = client.get(more).get_data(as_text=True)
    assert "共 56 条" in _text(whole) and "第 1 页，共 2 页" in _text(whole) and _entries(whole, "notify") == 50
    assert 'id="positives-window"' not in whole and "需办理 通知经营户" in _text(whole)
    last = client.get("/positives?group=notify&page=2").get_data(as_text=True)
    assert "第 2 页，共 2 页" in _text(last) and _entries(last, "notify") == 6
    # one market: the chip names it, and its × keeps the group
    one = client.get(f"/positives?group=notify&site={district['other'].id}").get_data(as_text=True)
    assert "共 1 条" in _text(one) and "市场 另一市场" in _text(one) and _entries(one, "notify") == 1
    removed = _chip_remove_link(one, "site")
    assert "site=" not in removed and "group=notify" in removed
    assert "group=" not in _chip_remove_link(one, "group")
    assert client.get("/positives?group=everything").status_code == 400
    assert client.get("/positives?site=abc").status_code == 400


def test_the_home_page_shows_the_most_urgent_positives_and_links_to_all(client, district, db):
    _positives_everywhere(district, db, n=12)
    client.login(district["tech"])
    html = client.get("/").get_data(as_text=True)
    assert _entries(html, "notify") == 10 and "/positives?group=notify" in html


def test_a_markets_stalls_are_counted_paged_and_searched(client, district, make_stall):
    site = district["site"]
    for i in range(2, 72):  # 71 stalls in all with A-01
        make_stall(site=site, code=f"A-{i:02d}", operator="钱七" if i == 70 else "孙八")
    client.login(district["admin"])
    html = client.get(f"/sites/{site.code}").get_data(as_text=True)
    assert "共 71 条" in _text(html) and "第 1 页，共 2 页" in _text(html) and _rows(html, "site-stalls") == 50
    assert f'rel="next" href="/sites/{site.code}?page=2"' in html
    second = client.get(f"/sites/{site.code}?page=2").get_data(as_text=True)
    assert "第 2 页，共 2 页" in _text(second) and _rows(second, "site-stalls") == 21 and "A-71" in second
    found = client.get(f"/sites/{site.code}?q=钱七&page=1").get_data(as_text=True)
    assert "共 1 条" in _text(found) and "A-70" in found and "搜索 钱七" in _text(found)
    assert _chip_remove_link(found, "q") == f"/sites/{site.code}"
    assert "共 0 条" in _text(client.get(f"/sites/{site.code}?q=100%25").get_data(as_text=True))
    assert client.get(f"/sites/{site.code}?standing=green").status_code == 422
    black = client.get(f"/sites/{site.code}?standing=black").get_data(as_text=True)
    assert "红黑榜 黑榜" in _text(black) and "共 0 条" in _text(black)  # nobody tested, nobody listed
