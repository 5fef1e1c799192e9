"""一摊一码 sticker sheet (issue 13): the pure renderer, and the route for admins and the
market's own managers. Every stall number and the market name are in the PDF's text, and
the QR codes, read back from the rendered page, are the stalls' public addresses."""
from __future__ import annotations

import io
import subprocess

import pytest

from reports.pdf.stall_stickers import StallSticker, StickerGrid, render_stall_stickers
from tests.reports.report_tools import page_count, pdf_text, require_tool, require_wqy_font, squeeze
from tests.web.world import build_world


def _qr_payloads(pdf: bytes, tmp_path, page: int = 1) -> list[str]:
    """The QR codes on a page of the PDF, decoded with ZXing from a 200 dpi rendering."""
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image

    require_tool("pdftoppm")
    src = tmp_path / "sheet.pdf"
    src.write_bytes(pdf)
    png = subprocess.run(["pdftoppm", "-png", "-r", "200", "-f", str(page), "-l", str(page), str(src)],
                         check=True, capture_output=True).stdout
    image = Image.open(io.BytesIO(png))
    return sorted(b.text for b in zxingcpp.read_barcodes(image) if b.format == zxingcpp.BarcodeFormat.QRCode)


def _stickers(n: int) -> list[StallSticker]:
    return [StallSticker(f"A-{i:02d}", f"https://lims.example.cn/public/stalls/P{i:05d}", "王建国") for i in range(1, n + 1)]


def test_every_stall_number_and_the_market_name_are_on_the_sheet(tmp_path):
    require_wqy_font()
    stickers = _stickers(14)
    pdf = render_stall_stickers("城东农贸市场", stickers, caption="扫码查看本摊位快检结果")
    assert page_count(pdf, tmp_path) == 2  # 12 per A4 sheet
    text = squeeze(pdf_text(pdf, tmp_path))
    for s in stickers:
        assert s.stall_code in text
    assert text.count("城东农贸市场") == 14 and "扫码查看本摊位快检结果" in text


def test_the_qr_codes_are_the_stalls_public_addresses(tmp_path):
    stickers = _stickers(12)
    pdf = render_stall_stickers("城东农贸市场", stickers)
    assert _qr_payloads(pdf, tmp_path) == sorted(s.url for s in stickers)


def test_a_grid_that_does_not_fit_a4_is_refused():
    with pytest.raises(ValueError):
        render_stall_stickers("市场", _stickers(1), grid=StickerGrid(columns=4))


@pytest.fixture
def world(app, make_site, make_stall, make_user, ctx):
    return build_world(make_site, make_stall, make_user)


def test_the_market_manager_prints_the_sheet_from_the_site_page(client, world, make_stall, tmp_path, app):
    require_wqy_font()
    make_stall(site=world.site_a, code="A-02", operator="赵六")
    client.login(world.users["market_manager"])
    page = client.get(f"/sites/{world.site_a.code}").get_data(as_text=True)
    assert f'href="/sites/{world.site_a.code}/stall-codes.pdf"' in page
    r = client.get(f"/sites/{world.site_a.code}/stall-codes.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    text = squeeze(pdf_text(r.data, tmp_path))
    assert "A-01" in text and "A-02" in text and "甲市场" in text and "B-01" not in text
    from lims.models import Stall
    import sqlalchemy as sa
    from lims.extensions import db

    codes = db.session.execute(sa.select(Stall.public_code).where(Stall.site_id == world.site_a.id)).scalars()
    assert _qr_payloads(r.data, tmp_path) == sorted(f"http://localhost/public/stalls/{c}" for c in codes)


@pytest.mark.parametrize("who,status", [("other_manager", 404), ("technician", 403), ("reviewer", 403),
                                        ("regulator", 403), ("admin", 200)])
def test_only_admins_and_the_markets_managers_get_the_sheet(client, world, who, status):
    user = world.other_manager if who == "other_manager" else world.users[who]
    client.login(user)
    assert client.get(f"/sites/{world.site_a.code}/stall-codes.pdf").status_code == status
