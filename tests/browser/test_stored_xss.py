"""Issue 10.1 replayed in Chromium: a technician imports an instrument file that is also
JavaScript (named ``x.js``), then registers a batch whose supplier closes the round grid's
JSON block and loads that file as a script. Whoever opens the round afterwards — an
administrator — must run nothing, and see the supplier's name as plain text."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

pytestmark = [pytest.mark.live, pytest.mark.browser]

# A valid pesticide CSV (title lines above the header are allowed) and valid JavaScript:
# the first line runs, the rest is a comment closed on the last line.
PAYLOAD = "window.__pwned = 1; document.title = 'PWNED'; /*"
HEADER = "通道号,样品编号,样品名称,被检单位,检测项目,检测结果,单位,检测依据,标准值,结论,检测员,检测时间"


def _polyglot(code: str) -> bytes:
    return "\r\n".join([
        PAYLOAD,
        HEADER,
        f"1,{code},青菜,城东综合市场 A-01,农药残留,12.4,%,GB/T 5009.199-2003,50,合格,王丽,2026-11-20 09:11:05",
        "*/",
    ]).encode("utf-8") + b"\r\n"


def _batch_for_the_file(live) -> str:
    from lims.accounts.access import Actor
    from lims.batches.services import BatchInput, register_batch
    from lims.extensions import db
    from lims.models import Site, Stall, User
    from lims.reference.services import get_item

    code = "S-20261120-901"
    with live.app.app_context():
        tech = db.session.execute(sa.select(User).where(User.username == "wangli")).scalar_one()
        site = db.session.execute(sa.select(Site).where(Site.code == "CD")).scalar_one()
        stall = db.session.execute(sa.select(Stall).where(Stall.site_id == site.id)).scalars().first()
        sampled = datetime(2026, 11, 20, 0, 30, tzinfo=timezone.utc)
        register_batch(Actor(tech, "t"), BatchInput(site=site, stall=stall, food="青菜", tests=[get_item("OPC")],
                                                     sampled_at=sampled, code=code, quantity_kg=Decimal(10)),
                       now=sampled + timedelta(hours=1))
        db.session.commit()
        db.session.remove()
    return code


def test_a_supplier_name_cannot_run_an_imported_file_as_a_script(page_for, live):
    tech = page_for("wangli")
    # 1. The technician imports the file that is also a script.
    tech.goto(f"{live.url}/imports/new")
    tech.set_input_files("#file", files=[{"name": "x.js", "mimeType": "text/javascript",
                                          "buffer": _polyglot(_batch_for_the_file(live))}])
    tech.get_by_role("button", name="预览").click()
    tech.wait_for_url("**/imports/preview/*")
    tech.get_by_role("button", name="确认导入").click()
    tech.wait_for_url(re.compile(r"/imports/\d+"))
    import_id = int(re.search(r"/imports/(\d+)", tech.url).group(1))
    hostile = f"</script><script src=/imports/{import_id}/file></script>"

    # 2. …and registers a batch in a round with that supplier name, from the keyboard.
    tech.goto(f"{live.url}/rounds")
    tech.select_option("#site", "CD")
    tech.select_option("#station", "CD-KJS")
    tech.get_by_role("button", name="开始").press("Enter")
    tech.wait_for_url("**/rounds/*")
    round_url = tech.url
    tech.keyboard.press("Enter")        # the system makes the code
    tech.keyboard.type("A-05")
    tech.keyboard.press("Enter")
    tech.keyboard.type("qc")
    tech.wait_for_selector(".food-menu")
    tech.keyboard.press("Enter")        # 青菜; the supplier cell is next, selected
    tech.keyboard.type(hostile)
    tech.keyboard.press("Enter")
    tech.keyboard.type("杭州")
    tech.keyboard.press("Enter")
    tech.keyboard.type("5")
    tech.keyboard.press("Enter")
    tech.keyboard.press("Enter")        # tests pre-filled → save
    expect(tech.locator("#round-grid tr.saved")).to_have_count(1)

    # 3. An administrator opens the round: the grid works, the name is text, nothing ran.
    admin = page_for("admin")
    errors = []
    admin.on("pageerror", lambda exc: errors.append(str(exc)))
    admin.goto(round_url, wait_until="load")  # every script the page loads has run
    assert admin.evaluate("window.__pwned") is None
    assert admin.title() != "PWNED"
    expect(admin.locator("#round-grid tr.saved")).to_have_count(1)
    assert hostile in admin.locator("#round-grid tr.saved").inner_text()
    assert admin.locator("script[src^='/imports/']").count() == 0
    assert errors == []

    # 4. Even injected by other means, the stored file is no script the browser runs.
    outcome = admin.evaluate("""src => new Promise(done => {
        const s = document.createElement('script');
        s.src = src;
        s.onload = () => done('loaded');
        s.onerror = () => done('refused');
        document.head.appendChild(s);
    })""", f"/imports/{import_id}/file")
    assert outcome == "refused"
    assert admin.evaluate("window.__pwned") is None
