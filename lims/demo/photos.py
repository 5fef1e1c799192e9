"""Small generated JPEGs standing in for the photos an officer takes of a disposal step."""
from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw

# Background and crate colours per action: a stall counter, a disposal pit, a treatment vat…
_SCENES = {
    "stop_sale": ((196, 180, 150), (90, 140, 70)),
    "destroy": ((120, 110, 95), (70, 60, 50)),
    "harmless": ((150, 160, 170), (60, 90, 120)),
}


def disposal_photo(rng: random.Random, caption: str, action: str, size: tuple[int, int] = (320, 240)) -> bytes:
    """A small JPEG of a crate of food with a label carrying ``caption`` (the batch code)."""
    ground, crate = _SCENES.get(action, ((170, 170, 170), (100, 100, 100)))
    w, h = size
    img = Image.new("RGB", size, ground)
    draw = ImageDraw.Draw(img)
    x0, y0 = rng.randint(20, 70), rng.randint(40, 80)
    draw.rectangle((x0, y0, w - rng.randint(20, 70), h - rng.randint(20, 50)), fill=crate, outline=(30, 30, 30), width=3)
    for _ in range(12):  # the food in the crate
        cx, cy = rng.randint(x0 + 10, w - 90), rng.randint(y0 + 10, h - 70)
        shade = tuple(max(0, min(255, c + rng.randint(-40, 60))) for c in crate)
        draw.ellipse((cx, cy, cx + rng.randint(15, 35), cy + rng.randint(10, 25)), fill=shade)
    draw.rectangle((8, 8, 8 + 7 * len(caption) + 8, 26), fill=(250, 250, 240), outline=(0, 0, 0))
    draw.text((12, 11), caption, fill=(0, 0, 0))
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=70)
    return out.getvalue()
