"""Disposal photos (issue 10.1 and 10.9): served as the image type they were re-encoded to,
as attachments, sandboxed; decompression bombs refused from the header with a clear
message; a large JPEG downscaled without being decoded at full size (peak memory measured
in a fresh process)."""
from __future__ import annotations

import io
import struct
import subprocess
import sys
import textwrap
import zlib
from pathlib import Path

import pytest
from PIL import Image

from tests.web.world import build_world, jpeg_bytes

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def world(app, make_site, make_stall, make_user, ctx, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "DATA_DIR", str(tmp_path))
    return build_world(make_site, make_stall, make_user)


@pytest.mark.parametrize("thumb", [False, True])
def test_a_photo_is_served_as_its_image_type_as_a_sandboxed_attachment(world, client, db, thumb):
    db.session.commit()
    client.login(world.users["technician"])
    r = client.get(f"/photos/{world.photo.id}" + ("?thumb=1" if thumb else ""))
    try:
        assert r.status_code == 200
        assert r.mimetype == "image/jpeg"
        assert r.headers["Content-Disposition"].startswith("attachment")
        assert "sandbox" in r.headers["Content-Security-Policy"]
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert Image.open(io.BytesIO(r.get_data())).format == "JPEG"
    finally:
        r.close()


def test_a_photo_row_of_an_unexpected_type_is_served_as_bytes(world, client, db):
    world.photo.content_type = "text/html"
    db.session.commit()
    client.login(world.users["technician"])
    r = client.get(f"/photos/{world.photo.id}")
    try:
        assert r.mimetype == "application/octet-stream"
        assert r.headers["Content-Disposition"].startswith("attachment")
    finally:
        r.close()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` × ``height`` pixels in a few bytes (a decompression bomb's header)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
            + chunk(b"IEND", b""))


def jpeg_claiming(width: int, height: int) -> bytes:
    """A small JPEG whose frame header claims ``width`` × ``height``."""
    data = bytearray(jpeg_bytes((16, 16)))
    sof = data.index(b"\xff\xc0")
    data[sof + 5:sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


@pytest.mark.parametrize("data", [
    pytest.param(png_header_only(20_000, 20_000), id="png-400MP-pillow-error"),
    pytest.param(png_header_only(10_000, 10_000), id="png-100MP-pillow-warning"),
    pytest.param(png_header_only(5_000, 4_000), id="png-20MP"),
    pytest.param(jpeg_claiming(9_000, 8_000), id="jpeg-72MP"),
])
def test_too_many_pixels_are_refused_with_a_clear_message_before_decoding(ctx, data):
    from lims.dispositions.photos import reencode
    from lims.errors import InvalidInput

    with pytest.raises(InvalidInput) as caught:
        reencode(data)
    message = caught.value.errors["photos"][0]
    assert "像素" in message or "pixels" in message
    assert "不是" not in message and "not a readable" not in message


def test_a_large_jpeg_is_downscaled_with_its_orientation_kept(ctx):
    from lims.dispositions.photos import MAX_SIDE, reencode

    img = Image.new("RGB", (4800, 3200), (20, 120, 40))
    exif = Image.Exif()
    exif[0x0112] = 6  # shot with the phone upright: rotate 90° to show
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=70, exif=exif)
    out = reencode(buf.getvalue())
    assert (out.width, out.height) == (1365, MAX_SIDE)
    clean = Image.open(io.BytesIO(out.data))
    assert clean.size == (1365, MAX_SIDE) and not clean.getexif()
    assert Image.open(io.BytesIO(out.thumb)).size[1] == 320


MEASURE = textwrap.dedent("""
    import resource, sys
    from lims.dispositions.photos import reencode
    data = open(sys.argv[1], "rb").read()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out = reencode(data)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print((after - before) // 1024, out.width, out.height)
""")
MAKE = textwrap.dedent("""
    import sys
    from PIL import Image
    g = Image.radial_gradient("L").resize((7360, 4912))
    Image.merge("RGB", (g, g.transpose(0), g.transpose(1))).save(sys.argv[1], format="JPEG", quality=90)
""")


def test_a_36_megapixel_jpeg_is_reencoded_in_bounded_memory(tmp_path):
    """Decoded at full size it took 415 MB at the peak; decoded at half scale, about 65 MB."""
    photo = tmp_path / "36mp.jpg"
    subprocess.run([sys.executable, "-c", MAKE, str(photo)], check=True, timeout=120)
    done = subprocess.run([sys.executable, "-c", MEASURE, str(photo)], check=True, timeout=120, cwd=ROOT,
                          capture_output=True, text=True)
    peak_mb, width, height = map(int, done.stdout.split())
    assert (width, height) == (2048, 1367)
    assert peak_mb < 120, f"re-encoding a 36-megapixel JPEG raised the peak by {peak_mb} MB"
