"""Disposal photos: JPEG or PNG only, size-limited, re-encoded so that nothing but pixels
survives (no scripts, no EXIF location), stored under LIMS_DATA_DIR with a thumbnail."""
from __future__ import annotations

import hashlib
import io
from pathlib import Path

from flask import current_app
from flask_babel import gettext
from PIL import Image, ImageOps, UnidentifiedImageError

from lims.audit.services import record
from lims.errors import InvalidInput
from lims.extensions import db
from lims.models import DisposalAction, Photo

MAX_BYTES = 12 * 1024 * 1024
MAX_PIXELS = 40_000_000  # refuse decompression bombs before decoding
MAX_SIDE = 2048
THUMB_SIDE = 320
FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png")}


def _refuse(message):
    return InvalidInput(message, {"photos": [message]})


def photo_dir() -> Path:
    return Path(current_app.config["DATA_DIR"]) / "photos"


def add_photo(actor, action: DisposalAction, data: bytes, filename: str = "") -> Photo:
    """Check, re-encode and store one photo of a disposal action."""
    if len(data) > MAX_BYTES:
        raise _refuse(gettext("The photo is larger than %(mb)d MB.", mb=MAX_BYTES // 1024 // 1024))
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format
            if fmt not in FORMATS:
                raise _refuse(gettext("Only JPEG and PNG photos are accepted."))
            if probe.width * probe.height > MAX_PIXELS:
                raise _refuse(gettext("The photo has too many pixels."))
            probe.verify()
        with Image.open(io.BytesIO(data)) as img:
            img = ImageOps.exif_transpose(img)
            img = img.convert("RGB") if fmt == "JPEG" else img.convert("RGBA" if "A" in img.getbands() else "RGB")
            img.thumbnail((MAX_SIDE, MAX_SIDE))
            out = io.BytesIO()
            img.save(out, format=fmt, **({"quality": 85, "optimize": True} if fmt == "JPEG" else {"optimize": True}))
            thumb = img.copy()
            thumb.thumbnail((THUMB_SIDE, THUMB_SIDE))
            tout = io.BytesIO()
            thumb.convert("RGB").save(tout, format="JPEG", quality=80)
            width, height = img.size
    except InvalidInput:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError, SyntaxError):
        raise _refuse(gettext("This file is not a readable JPEG or PNG photo.")) from None
    content_type, ext = FORMATS[fmt]
    clean = out.getvalue()
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
        thumb_path.write_bytes(tout.getvalue())
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
