"""Matching what an instrument file says to our records: test items by their many names,
batches by sample code, sites and stalls from the tested party's free text."""
from __future__ import annotations

import re
import unicodedata

import sqlalchemy as sa

from lims.extensions import db
from lims.models import Batch, Instrument, ReagentLot, Site, Stall, TestItem
from lims.rules.judging import cutoff_for_method

PARTY = re.compile(r"^(?P<site>.+?)[\s·，,]*(?P<stall>[A-Za-z]{1,3}-?\d{1,4}[A-Za-z]?|\d{1,4})\s*(?:号|档|摊位?|档口)?$")


def key(text: str | None) -> str:
    return " ".join(unicodedata.normalize("NFKC", text or "").split()).casefold()


class ItemIndex:
    """Test items by code, name and alias; enzyme-inhibition items told apart by method."""

    def __init__(self):
        self.items = list(db.session.execute(sa.select(TestItem)).scalars())
        self.by_name: dict[str, TestItem] = {}
        self._found: dict[tuple, TestItem | None] = {}
        for item in sorted(self.items, key=lambda i: i.sort_order):
            for name in [item.code, item.name, *(item.aliases or [])]:
                self.by_name.setdefault(key(name), item)

    def find(self, name: str | None, method: str | None = None, cutoff=None) -> TestItem | None:
        """The item a file names; for enzyme inhibition the method (or, without one, the
        stated cut-off: 50 or 70) tells GB/T 5009.199 and NY/T 448 apart."""
        k = (name, method, cutoff)
        if k not in self._found:
            self._found[k] = self._find(name, method, cutoff)
        return self._found[k]

    def _find(self, name, method, cutoff) -> TestItem | None:
        item = self.by_name.get(key(name))
        if item is None or item.rule != "inhibition" or not (method or cutoff is not None):
            return item
        wanted = cutoff_for_method(method) if method else cutoff
        if wanted is None or wanted == cutoff_for_method(item.method):
            return item
        for other in self.items:
            if other.rule == "inhibition" and other.analyte == item.analyte and other.active \
                    and cutoff_for_method(other.method) == wanted:
                return other
        return item


class LotIndex:
    def __init__(self):
        self.lots = {(l.item_id, key(l.lot)): l for l in db.session.execute(sa.select(ReagentLot)).scalars()}

    def find(self, item: TestItem, lot: str | None) -> ReagentLot | None:
        if not lot:
            return None
        return self.lots.get((item.id, key(lot)))


class InstrumentIndex:
    """Registered instruments by what a file calls them: the serial number (as the result form
    and the API take it), or the model when exactly one registered instrument is of that model
    (instrument PCs write their model, e.g. ``DY-3500(I)``, not their serial)."""

    def __init__(self, own_stations=None):
        """``own_stations``: the importer's stations (None: not bound to stations) — a model
        names the one instrument of that model among them."""
        self.by_serial: dict[str, Instrument] = {}
        models: dict[str, list[Instrument]] = {}
        for inst in db.session.execute(sa.select(Instrument).order_by(Instrument.id)).scalars():
            self.by_serial[key(inst.serial)] = inst
            if own_stations is None or inst.station_id in own_stations:
                models.setdefault(key(inst.model), []).append(inst)
        self.by_model = {k: v[0] for k, v in models.items() if len(v) == 1}

    def find(self, name: str | None) -> Instrument | None:
        k = key(name)
        return self.by_serial.get(k) or self.by_model.get(k) if k else None


def batches_by_code(codes) -> dict[str, Batch]:
    codes = {c.strip().upper() for c in codes if c}
    if not codes:
        return {}
    out = {}
    codes = list(codes)
    for i in range(0, len(codes), 900):
        chunk = codes[i:i + 900]
        for b in db.session.execute(sa.select(Batch).where(Batch.code.in_(chunk))).scalars():
            out[b.code] = b
    return out


def split_party(text: str | None) -> tuple[str | None, str | None]:
    """``城东综合市场 A-12`` / ``城东综合市场A-12`` / ``城东综合市场 12号`` → (site, stall);
    a party without a stall → (party, None)."""
    text = unicodedata.normalize("NFKC", text or "").strip()
    if not text:
        return None, None
    m = PARTY.match(text)
    if m and m.group("site").strip():
        return m.group("site").strip(), m.group("stall").upper()
    return text, None


class PlaceIndex:
    """Sites by name or code, stalls by (site, code)."""

    def __init__(self):
        self.sites = {}
        for site in db.session.execute(sa.select(Site)).scalars():
            self.sites[key(site.name)] = site
            self.sites[key(site.code)] = site
        self._stalls: dict[tuple[int, str], Stall] = {}

    def site(self, name: str | None) -> Site | None:
        return self.sites.get(key(name))

    def stall(self, site: Site, code: str | None) -> Stall | None:
        if not code:
            return None
        k = (site.id, code.strip().upper())
        if k not in self._stalls:
            self._stalls[k] = db.session.execute(sa.select(Stall).where(
                Stall.site_id == site.id, Stall.code == k[1])).scalar_one_or_none()
        return self._stalls[k]
