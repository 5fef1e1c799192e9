"""Issue 13, imports: after a commit, positives are announced as when typed (a banner on the
summary naming each batch, the next step, the managers told); "import 0 results" cannot be
pressed; a file refused as a whole leads back to the upload form with the reason."""
from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest
import sqlalchemy as sa

from tests.imports.conftest import PESTICIDE_HEADER, make_csv, pesticide_row
from tests.imports.test_import_web import hidden, mixed_file, upload


@pytest.fixture
def web(world, batches, client, db):
    db.session.commit()
    client.login(world.tech)
    return client


def test_the_summary_announces_the_imported_positive_and_its_next_step(web, db, world):
    from lims.models import Notification

    html = upload(web, mixed_file(), "mixed.csv").get_data(as_text=True)
    assert re.search(r"1 条为阳性", html)  # said before the commit
    r = web.post_form("/imports/commit", {"sha256": hidden(html, "sha256"), "action": "commit"},
                      csrf_from="/imports/new")
    assert r.status_code == 302
    page = web.get(urlparse(r.headers["Location"]).path).get_data(as_text=True)
    banner = re.search(r'<div class="alert alert-danger import-positives".*?</div>', page, re.S)
    assert banner, page[:3000]
    text = banner.group(0)
    assert "1 条阳性" in text and "S-20261120-003" in text and "62.3" in text and "通知" in text
    assert 'href="/batches/S-20261120-003#disposition"' in text
    told = db.session.execute(sa.select(Notification).where(Notification.kind == "positive")).scalars().all()
    assert told, "the market's people are told of an imported positive"


def test_a_preview_with_nothing_ready_cannot_be_committed(web):
    data = make_csv([pesticide_row(1, "X-NOPE-0001"), pesticide_row(2, "X-NOPE-0002", when="2026-11-20 09:12:05")],
                    PESTICIDE_HEADER)
    r = upload(web, data, "unmatched.csv")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert 'name="action" value="commit"' not in html
    assert re.search(r'<button[^>]*disabled[^>]*>确认导入 0 条结果</button>', html)


def test_a_refused_file_leads_back_to_the_upload_with_the_reason(web):
    r = upload(web, bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 2048, "old.xls")
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in html and 'name="file"' in html  # the upload form again
    assert "old.xls" in html and "xlsx" in html and "alert-danger" in html


def test_the_preview_counts_positives_among_rows_not_yet_matched(web):
    data = make_csv([pesticide_row(1, "X-NOPE-0001", value="62.3", word="不合格"),
                     pesticide_row(2, "S-20261120-001", when="2026-11-20 09:12:05")], PESTICIDE_HEADER)
    html = upload(web, data, "unmatched-positive.csv").get_data(as_text=True)
    counts = re.search(r'class="row g-2 mb-3 import-counts".*?</form>|class="row g-2 mb-3 import-counts".*',
                       html, re.S).group(0)
    positives = re.search(r'stat-value[^>]*>(\d+)</div><div class="stat-label">阳性</div>', counts)
    assert positives and positives.group(1) == "1"
    assert "尚未匹配批次的行中有 1 条阳性" in html
    assert re.search(r'<tr class="row-unmatched[^"]*">\s*<td>2</td>(?:(?!</tr>).)*outcome-positive', html, re.S)


def test_a_file_of_tests_days_old_warns(web, world):
    from datetime import timedelta

    from lims.database import utcnow
    from lims.i18n import to_local

    when = to_local(utcnow() - timedelta(days=3)).strftime("%Y-%m-%d %H:%M:%S")
    data = make_csv([pesticide_row(1, "S-20261120-001", when=when)], PESTICIDE_HEADER)
    html = upload(web, data, "old-export.csv").get_data(as_text=True)
    assert re.search(r'class="alert alert-warning import-stale"[^>]*>[^<]*3 天前', html)
    fresh = make_csv([pesticide_row(1, "S-20261120-001", when=to_local(utcnow() - timedelta(hours=1))
                                    .strftime("%Y-%m-%d %H:%M:%S"))], PESTICIDE_HEADER)
    assert "import-stale" not in upload(web, fresh, "today.csv").get_data(as_text=True)
