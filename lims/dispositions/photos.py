"""Disposal photos: JPEG or PNG only, size-limited, re-encoded so that nothing but pixels
survives (no scripts, no EXIF location), stored under LIMS_DATA_DIR with a thumbnail."""
from __future__ import annotations

import hashlib
import io
import math
import warnings
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import gettext
from PIL import Image, ImageOps, UnidentifiedImageError

from lims.audit.services import record
from lims.errors import InvalidInput
from lims.extensions import db
from lims.models import DisposalAction, Photo

MAX_BYTES = 12 * 1024 * 1024
# Pixels a photo may have, read from its header before anything is decoded. A JPEG is
# decoded already scaled down (libjpeg's DCT scaling, ``draft``), so a 48-megapixel phone
# photo costs a few tens of MB; a PNG has no such shortcut and decodes at full size.
MAX_PIXELS = {"JPEG": 64_000_000, "PNG": 16_000_000}
MAX_SIDE = 2048
THUMB_SIDE = 320
FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png")}
#: The types photos are served with (they are re-encoded pixels), with their extension.
SERVED_TYPES = dict(FORMATS.values())


def _refuse(message):
    return InvalidInput(message, {"photos": [message]})


def photo_dir() -> Path:
    return Path(current_app.config["DATA_DIR"]) / "photos"


@dataclass(frozen=True)
class Reencoded:
    data: bytes
    thumb: bytes  # JPEG
    format: str
    width: int
    height: int


def reencode(data: bytes) -> Reencoded:
    """A JPEG or PNG photo re-encoded from its pixels alone (no scripts, no EXIF location),
    at most MAX_SIDE on its long side, with a JPEG thumbnail. Memory stays bounded: too many
    pixels are refused from the header, and a large JPEG is decoded at a reduced scale."""
    if len(data) > MAX_BYTES:
        raise _refuse(gettext("The photo is larger than %(mb)d MB.", mb=MAX_BYTES // 1024 // 1024))
    try:
        with warnings.catch_warnings():
            # Pillow only warns below twice its own limit; a bomb is refused either way.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                fmt = probe.format
                if fmt not in FORMATS:
                    raise _refuse(gettext("Only JPEG and PNG photos are accepted."))
                _check_pixels(fmt, probe.width, probe.height)
                probe.verify()
            with Image.open(io.BytesIO(data)) as img:
                size = _fitted(img.size, MAX_SIDE)
                if fmt == "JPEG":
                    img.draft(None, size)  # decode at 1/2, 1/4 or 1/8 scale when that still covers `size`
                mode = "RGBA" if fmt == "PNG" and "A" in img.getbands() else "RGB"
                if img.mode != mode:
                    img = img.convert(mode)
                img.thumbnail((MAX_SIDE, MAX_SIDE))
                img = ImageOps.exif_transpose(img)
                out = io.BytesIO()
                img.save(out, format=fmt, **({"quality": 85, "optimize": True} if fmt == "JPEG" else {"optimize": True}))
                thumb = img.copy()
                thumb.thumbnail((THUMB_SIDE, THUMB_SIDE))
                tout = io.BytesIO()
                thumb.convert("RGB").save(tout, format="JPEG", quality=80)
                width, height = img.size
    except InvalidInput:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels() from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise _refuse(gettext("This file is not a readable JPEG or PNG photo.")) from None
    return Reencoded(out.getvalue(), tout.getvalue(), fmt, width, height)


def _check_pixels(fmt: str, width: int, height: int) -> None:
    if width * height > MAX_PIXELS[fmt]:
        raise _too_many_pixels(width, height, MAX_PIXELS[fmt])


def _too_many_pixels(width=None, height=None, limit=None):
    limit = limit or max(MAX_PIXELS.values())
    if width is None:
        return _refuse(gettext("The photo has too many pixels (at most %(max)d megapixels).", max=limit // 10**6))
    return _refuse(gettext("The photo has too many pixels: %(w)d × %(h)d, at most %(max)d megapixels.",
                           w=width, h=height, max=limit // 10**6))


def _fitted(size: tuple[int, int], side: int) -> tuple[int, int]:
    """``size`` scaled down (never up) to fit a ``side`` × ``side`` square, aspect kept."""
    ratio = min(side / size[0], side / size[1], 1)
    return max(1, math.ceil(size[0] * ratio)), max(1, math.ceil(size[1] * ratio))


def add_photo(actor, action: DisposalAction, data: bytes, filename: str = "") -> Photo:
    """Check, re-encode and store one photo of a disposal action."""
    image = reencode(data)
    fmt, width, height, clean, tout = image.format, image.width, image.height, image.data, image.thumb
    content_type, ext = FORMATS[fmt]
    digest = hashlib.sha256(clean).hexdigest()
    rel = Path(digest[:2]) / f"{digest}.{ext}"
    target = photo_dir() / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(clean)
        tmp.replace(target)
    thumb_path = photo_dir() / Path(digest[:2]) / f"{digest}.thumb.jpg"
    if not thumb_path.exists():
        thumb_path.write_bytes(tout)
    photo = Photo(action_id=action.id, path=str(rel), content_type=content_type, size_bytes=len(clean),
                  width=width, height=height, sha256=digest, uploaded_by_id=actor.user_id)
    db.session.add(photo)
    db.session.flush()
    record(actor, "photo.add", "photo", photo.id, batch_id=action.disposition.batch_id,
           after={"action": action.id, "sha256": digest, "size": len(clean), "name": filename[:100]})
    return photo


def photo_file(photo: Photo, thumb: bool = False) -> Path:
    path = photo_dir() / photo.path
    if thumb:
        path = path.with_name(f"{photo.sha256}.thumb.jpg")
    return path
