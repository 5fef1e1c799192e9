"""Loading the organisation tree from one workbook (reports/excel/tree_template.py): the
organisations, sites, stalls and stations of a district or a city at once.

Everything is checked first — every problem named by sheet, row and column — and only a
file without problems is written, all of it in one transaction. Records are matched by code
(a stall by its site and number), so loading the same file again changes nothing."""
from __future__ import annotations

import io
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext

from lims.i18n import speaking
from lims.accounts.access import Actor
from lims.errors import InvalidInput, LimsError
from lims.extensions import db
from lims.models import Organisation, Site, Stall, Station
from lims.models.orgs import ORG_KINDS
from lims.models.sites import SITE_KINDS, STATION_KINDS
from lims.rules.orgs import SITE_NODE_KINDS, may_hang_under
from reports.excel.tree_template import ORGS_SHEET, SHEETS, SITES_SHEET, STALLS_SHEET, STATIONS_SHEET

CODE = re.compile(r"^[A-Z0-9-]{1,32}$")
LIMITS = {"code": 32, "name": 100, "issuer_name": 100, "seal_text": 100, "compiled_by": 32, "reviewed_by": 32,
          "signed_by": 32, "address": 200, "operator": 32, "licence": 32}
SITE_NAME_MAX, STATION_NAME_MAX, STALL_CODE_MAX = 64, 64, 16
PHONE_MAX = {SITES_SHEET: 32, STALLS_SHEET: 20}
MAX_ROWS = 20000


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the file: where (sheet, row number as shown in Excel, column
    header) and what."""

    sheet: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        parts = [self.sheet, gettext("row %(n)d", n=self.row) if self.row else None, self.column]
        return " ".join(p for p in parts if p) + f": {self.message}"


@dataclass
class LoadResult:
    """What a load did (or would do): per sheet, records added, changed and left as they were."""

    added: Counter = field(default_factory=Counter)
    changed: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)

    def summary(self) -> str:
        return "；".join(gettext("%(sheet)s: %(added)d added, %(changed)d changed, %(same)d unchanged", sheet=s,
                                 added=self.added[s], changed=self.changed[s], same=self.unchanged[s])
                         for s in SHEETS)


class TreeFileInvalid(InvalidInput):
    """The file has problems; nothing was written."""

    def __init__(self, problems: list[Problem]):
        super().__init__(gettext("The file has %(n)d problem(s); nothing was loaded.", n=len(problems)),
                         {"file": [str(p) for p in problems[:200]]})
        self.problems = problems


# --- reading ------------------------------------------------------------------------------


def _text(value) -> str:
    """A cell as the text it shows: numbers typed into code or phone cells lose no digits."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _code_text(text) -> str:
    """A code as the system keeps it: half-width, trimmed, upper-case."""
    return unicodedata.normalize("NFKC", text or "").strip().upper()


def _norm_header(text) -> str:
    return unicodedata.normalize("NFKC", _text(text)).rstrip("*").strip()


def read_workbook(data: bytes) -> tuple[dict[str, list[tuple[int, dict]]], list[Problem]]:
    """The rows of each known sheet as {field: text}, with their Excel row numbers."""
    from openpyxl import load_workbook
    from zipfile import BadZipFile

    problems: list[Problem] = []
    rows: dict[str, list[tuple[int, dict]]] = {s: [] for s in SHEETS}
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (BadZipFile, KeyError, ValueError, OSError, TypeError):
        return rows, [Problem(gettext("file"), None, None, gettext("Not an Excel workbook (.xlsx)."))]
    try:
        found = [s for s in SHEETS if s in wb.sheetnames]
        if not found:
            problems.append(Problem(gettext("file"), None, None, gettext(
                "None of the sheets %(sheets)s is in the workbook.", sheets="、".join(SHEETS))))
        for sheet in found:
            ws = wb[sheet]
            columns = SHEETS[sheet]
            it = ws.iter_rows(values_only=True)
            header = next(it, None) or ()
            names = [_norm_header(h) for h in header]
            index = {}
            for fld, title, required in columns:
                if title in names:
                    index[fld] = names.index(title)
                elif required:
                    problems.append(Problem(sheet, 1, title, gettext("This column is missing.")))
            for number, values in enumerate(it, start=2):
                record = {fld: _text(values[i]) if i < len(values) else "" for fld, i in index.items()}
                if not any(record.values()):
                    continue
                if len(rows[sheet]) >= MAX_ROWS:
                    problems.append(Problem(sheet, number, None, gettext("More than %(n)d rows.", n=MAX_ROWS)))
                    break
                rows[sheet].append((number, record))
    finally:
        wb.close()
    return rows, problems


# --- words for kinds ------------------------------------------------------------------------


def _kind_words(labels: dict, extra: dict) -> dict[str, str]:
    words = {code: code for code in labels}
    for locale in ("zh_CN", "en"):
        with speaking(locale):
            words.update({str(label).strip().lower(): code for code, label in labels.items()})
    words.update(extra)
    return words


def _org_kinds():
    from lims.labels import ORG_KIND_LABELS

    return _kind_words(ORG_KIND_LABELS, {"省": "province", "市": "city", "区县": "district", "区": "district",
                                         "县": "district", "辖区": "district", "监管所": "office",
                                         "市场监管所": "office", "检测机构": "testing", "快检机构": "testing"})


def _site_kinds():
    from lims.labels import SITE_KIND_LABELS

    return _kind_words(SITE_KIND_LABELS, {"市场": "market", "农贸市场": "market"})


def _station_kinds():
    from lims.labels import STATION_KIND_LABELS

    return _kind_words(STATION_KIND_LABELS, {"快检室": "room", "快检车": "van", "快检箱": "kit"})


# --- checking ---------------------------------------------------------------------------------


class _Check:
    def __init__(self, actor: Actor, rows):
        self.actor, self.rows, self.problems = actor, rows, []
        self.titles = {s: {f: t for f, t, _r in cols} for s, cols in SHEETS.items()}

    def bad(self, sheet, row, fld, message):
        self.problems.append(Problem(sheet, row, self.titles[sheet].get(fld, fld) if fld else None, message))

    def code(self, sheet, row, rec, fld, required=True):
        value = _code_text(rec.get(fld))
        rec[fld] = value
        if not value:
            if required:
                self.bad(sheet, row, fld, gettext("Required."))
            return None
        if not CODE.match(value):
            self.bad(sheet, row, fld, gettext("Letters, digits and dashes only, at most %(n)d.", n=32))
            return None
        return value

    def length(self, sheet, row, rec, fld, limit, required=False):
        value = rec.get(fld, "")
        if required and not value:
            self.bad(sheet, row, fld, gettext("Required."))
        elif len(value) > limit:
            self.bad(sheet, row, fld, gettext("At most %(n)d characters.", n=limit))
        return value

    def kind(self, sheet, row, rec, words, allowed):
        value = rec.get("kind", "")
        code = words.get(value) or words.get(value.lower())
        if not value:
            self.bad(sheet, row, "kind", gettext("Required."))
        elif code not in allowed:
            self.bad(sheet, row, "kind", gettext("Unknown kind: %(value)s", value=value))
            return None
        return code

    def unique(self, sheet, keyed):
        seen = {}
        for row, key in keyed:
            if key is None:
                continue
            if key in seen:
                self.bad(sheet, row, "code", gettext("Also on row %(row)d.", row=seen[key]))
            else:
                seen[key] = row


def _existing(model, codes):
    codes = [c for c in codes if c]
    if not codes:
        return {}
    return {o.code: o for o in db.session.execute(sa.select(model).where(model.code.in_(codes))).scalars()}


def check(actor: Actor, rows) -> tuple[list[Problem], dict]:
    """Every problem of the file's rows (none: it may be written), and the plan to write."""
    from lims.accounts.scope import orgs_in_scope

    c = _Check(actor, rows)
    org_words, site_words, station_words = _org_kinds(), _site_kinds(), _station_kinds()
    bound = actor.user is not None and bool(getattr(actor.user, "orgs", None))

    # organisations
    orgs = {}
    for row, rec in rows[ORGS_SHEET]:
        code = c.code(ORGS_SHEET, row, rec, "code")
        c.length(ORGS_SHEET, row, rec, "name", LIMITS["name"], required=True)
        kind = c.kind(ORGS_SHEET, row, rec, org_words, ORG_KINDS)
        c.code(ORGS_SHEET, row, rec, "parent", required=False)
        for fld in ("issuer_name", "seal_text", "compiled_by", "reviewed_by", "signed_by"):
            c.length(ORGS_SHEET, row, rec, fld, LIMITS[fld])
        rec["kind"] = kind
        if code and code not in orgs:
            orgs[code] = (row, rec)
    c.unique(ORGS_SHEET, [(row, rec.get("code") or None) for row, rec in rows[ORGS_SHEET]])
    visible_ids = set(db.session.execute(sa.select(Organisation.id).where(orgs_in_scope(actor.user))).scalars())
    named = set(orgs) | {rec["parent"] for _r, rec in rows[ORGS_SHEET] if rec.get("parent")} | \
        {_code_text(rec.get("org")) for s in (SITES_SHEET, STATIONS_SHEET) for _r, rec in rows[s] if rec.get("org")}
    in_db = _existing(Organisation, named)

    def org_kind(code):
        if code in orgs:
            return orgs[code][1]["kind"]
        return in_db[code].kind if code in in_db else None

    for code, (row, rec) in orgs.items():
        if code in in_db and in_db[code].id not in visible_ids:
            c.bad(ORGS_SHEET, row, "code", gettext("This organisation exists outside your part of the tree."))
            continue
        parent = rec.get("parent") or None
        if parent is None:
            # empty: a root — or, for one's own node, whose parent one does not see, "as it is"
            own_node = code in in_db and (in_db[code].parent_id is None or in_db[code].parent_id not in visible_ids)
            if bound and not own_node:
                c.bad(ORGS_SHEET, row, "parent", gettext("You may only add organisations inside your own."))
            continue
        if parent == code:
            c.bad(ORGS_SHEET, row, "parent", gettext("An organisation cannot belong to itself or to one below it."))
            continue
        if parent not in orgs and (parent not in in_db or in_db[parent].id not in visible_ids):
            c.bad(ORGS_SHEET, row, "parent", gettext("No such organisation."))
            continue
        if rec["kind"] and not may_hang_under(rec["kind"], org_kind(parent)):
            c.bad(ORGS_SHEET, row, "parent", gettext("A %(kind)s cannot belong to a %(parent)s.",
                                                     kind=_label(rec["kind"]), parent=_label(org_kind(parent))))
    # cycles through the file's own parents
    for code, (row, rec) in orgs.items():
        seen, at = {code}, rec.get("parent")
        while at in orgs:
            if at in seen:
                c.bad(ORGS_SHEET, row, "parent", gettext("An organisation cannot belong to itself or to one below it."))
                break
            seen.add(at)
            at = orgs[at][1].get("parent")

    # sites
    sites = {}
    site_codes_in_db = {_code_text(rec.get("site")) for _r, rec in rows[STALLS_SHEET]} | {
        _code_text(s) for _r, rec in rows[STATIONS_SHEET] for s in re.split(r"[、,，;；\s]+", rec.get("sites", ""))}
    for row, rec in rows[SITES_SHEET]:
        code = c.code(SITES_SHEET, row, rec, "code")
        c.length(SITES_SHEET, row, rec, "name", SITE_NAME_MAX, required=True)
        rec["kind"] = c.kind(SITES_SHEET, row, rec, site_words, SITE_KINDS)
        org = c.code(SITES_SHEET, row, rec, "org")
        c.length(SITES_SHEET, row, rec, "address", LIMITS["address"])
        c.length(SITES_SHEET, row, rec, "phone", PHONE_MAX[SITES_SHEET])
        if org and (org_kind(org) is None or org not in orgs and in_db[org].id not in visible_ids):
            c.bad(SITES_SHEET, row, "org", gettext("No such organisation."))
        elif org and org_kind(org) not in SITE_NODE_KINDS:
            c.bad(SITES_SHEET, row, "org", gettext("A site belongs to a district or a supervision office."))
        if code and code not in sites:
            sites[code] = (row, rec)
    c.unique(SITES_SHEET, [(row, rec.get("code") or None) for row, rec in rows[SITES_SHEET]])
    db_sites = _existing(Site, set(sites) | site_codes_in_db)
    names = Counter(rec.get("name") for _r, rec in rows[SITES_SHEET])
    taken = dict(db.session.execute(sa.select(Site.name, Site.code).where(
        Site.name.in_([n for n in names if n] or [""]))).all())
    for code, (row, rec) in sites.items():
        if code in db_sites and not actor.may_see_site(db_sites[code].id):
            c.bad(SITES_SHEET, row, "code", gettext("This site exists outside your part of the tree."))
        if names[rec.get("name")] > 1:
            c.bad(SITES_SHEET, row, "name", gettext("Another row has the same name."))
        elif rec.get("name") in taken and taken[rec["name"]] != code:
            c.bad(SITES_SHEET, row, "name", gettext("%(value)s is already in use.", value=rec["name"]))

    def site_known(code):
        return code in sites or (code in db_sites and actor.may_see_site(db_sites[code].id))

    # stalls
    keys = []
    for row, rec in rows[STALLS_SHEET]:
        site = c.code(STALLS_SHEET, row, rec, "site")
        number = _code_text(rec.get("code"))
        rec["code"] = number
        if not number:
            c.bad(STALLS_SHEET, row, "code", gettext("Required."))
        elif len(number) > STALL_CODE_MAX:
            c.bad(STALLS_SHEET, row, "code", gettext("At most %(n)d characters.", n=STALL_CODE_MAX))
        for fld in ("operator", "licence"):
            c.length(STALLS_SHEET, row, rec, fld, LIMITS[fld])
        c.length(STALLS_SHEET, row, rec, "phone", PHONE_MAX[STALLS_SHEET])
        if site and not site_known(site):
            c.bad(STALLS_SHEET, row, "site", gettext("No such site."))
        keys.append((row, (site, number) if site and number else None))
    c.unique(STALLS_SHEET, keys)

    # stations
    stations = {}
    for row, rec in rows[STATIONS_SHEET]:
        code = c.code(STATIONS_SHEET, row, rec, "code")
        c.length(STATIONS_SHEET, row, rec, "name", STATION_NAME_MAX, required=True)
        rec["kind"] = c.kind(STATIONS_SHEET, row, rec, station_words, STATION_KINDS)
        org = c.code(STATIONS_SHEET, row, rec, "org")
        if org and (org_kind(org) is None or org not in orgs and in_db[org].id not in visible_ids):
            c.bad(STATIONS_SHEET, row, "org", gettext("No such organisation."))
        elif org and org_kind(org) != "testing":
            c.bad(STATIONS_SHEET, row, "org", gettext("A station belongs to a testing organisation."))
        served = [_code_text(s) for s in re.split(r"[、,，;；\s]+", rec.get("sites", "")) if s.strip()]
        unknown = [s for s in served if not site_known(s)]
        if unknown:
            c.bad(STATIONS_SHEET, row, "sites", gettext("Unknown site: %(codes)s", codes="、".join(unknown)))
        rec["served"] = list(dict.fromkeys(served))
        if code and code not in stations:
            stations[code] = (row, rec)
    c.unique(STATIONS_SHEET, [(row, rec.get("code") or None) for row, rec in rows[STATIONS_SHEET]])
    db_stations = _existing(Station, set(stations))
    station_names = Counter(rec.get("name") for _r, rec in rows[STATIONS_SHEET])
    taken = dict(db.session.execute(sa.select(Station.name, Station.code).where(
        Station.name.in_([n for n in station_names if n] or [""]))).all())
    from lims.orgs.services import stations_visible

    visible_station_ids = set(db.session.execute(sa.select(Station.id).where(stations_visible(actor))).scalars())
    for code, (row, rec) in stations.items():
        if code in db_stations and db_stations[code].id not in visible_station_ids:
            c.bad(STATIONS_SHEET, row, "code", gettext("This station exists outside your part of the tree."))
        if station_names[rec.get("name")] > 1:
            c.bad(STATIONS_SHEET, row, "name", gettext("Another row has the same name."))
        elif rec.get("name") in taken and taken[rec["name"]] != code:
            c.bad(STATIONS_SHEET, row, "name", gettext("%(value)s is already in use.", value=rec["name"]))
    return c.problems, {"orgs": orgs, "sites": sites, "stations": stations}


def _label(kind):
    from lims.orgs.services import kind_label

    return kind_label(kind) if kind else "—"


# --- writing ----------------------------------------------------------------------------------


def _sees(actor: Actor, org: Organisation) -> bool:
    from lims.accounts.scope import orgs_in_scope

    return db.session.execute(sa.select(Organisation.id).where(Organisation.id == org.id, orgs_in_scope(actor.user))
                              ).first() is not None


def _blank(value):
    return value or None


def _org_order(orgs: dict) -> list[str]:
    """Parents before children (within the file)."""
    done, out = set(), []

    def visit(code):
        if code in done:
            return
        done.add(code)
        parent = orgs[code][1].get("parent")
        if parent in orgs:
            visit(parent)
        out.append(code)

    for code in orgs:
        visit(code)
    return out


def load_tree(actor: Actor, data: bytes) -> LoadResult:
    """Check the whole workbook, then write all of it (organisations, sites, stalls,
    stations) or — with any problem — nothing (:class:`TreeFileInvalid` lists them)."""
    from lims.orgs import services as orgs_services
    from lims.sites import services as sites_services

    if actor.user is not None:
        actor.require("reference.manage")
    rows, problems = read_workbook(data)
    if not problems:
        problems, plan = check(actor, rows)
    if problems:
        raise TreeFileInvalid(problems)
    result = LoadResult()
    try:
        with db.session.begin_nested():
            _write(actor, rows, plan, result, orgs_services, sites_services)
    except LimsError as exc:  # a rule the check did not foresee: still nothing written
        details = "; ".join(f"{k}: {', '.join(map(str, v))}" for k, v in (exc.errors or {}).items())
        raise TreeFileInvalid([Problem(gettext("file"), None, None, f"{exc.message} {details}".strip())]) from None
    return result


def _count(result, sheet, before, after_changed):
    if before is None:
        result.added[sheet] += 1
    elif after_changed:
        result.changed[sheet] += 1
    else:
        result.unchanged[sheet] += 1


def _write(actor, rows, plan, result, orgs_services, sites_services):
    issuer_fields = ("issuer_name", "seal_text", "compiled_by", "reviewed_by", "signed_by")
    for code in _org_order(plan["orgs"]):
        _row, rec = plan["orgs"][code]
        existing = db.session.execute(sa.select(Organisation).where(Organisation.code == code)).scalar_one_or_none()
        values = {"name": rec["name"], "kind": rec["kind"], **{f: _blank(rec.get(f)) for f in issuer_fields}}
        parent = rec.get("parent") or None
        if existing is None:
            orgs_services.create_org(actor, code=code, parent=parent, **values)
            _count(result, ORGS_SHEET, None, True)
            continue
        current_parent = existing.parent.code if existing.parent is not None else None
        if parent is None and existing.parent is not None and not _sees(actor, existing.parent):
            parent = current_parent  # one's own node: its parent stays
        kwargs = {"parent": parent} if parent != current_parent else {}
        changed_values = {k: v for k, v in values.items() if getattr(existing, k) != v}
        if changed_values or kwargs:
            orgs_services.update_org(actor, existing, **kwargs, **changed_values)
        _count(result, ORGS_SHEET, existing, bool(changed_values or kwargs))
    db.session.flush()

    site_fields = ("name", "kind", "address", "phone")
    for code, (_row, rec) in plan["sites"].items():
        existing = db.session.execute(sa.select(Site).where(Site.code == code)).scalar_one_or_none()
        values = {f: _blank(rec.get(f)) for f in site_fields}
        if existing is None:
            sites_services.create_site(actor, code=code, org=rec["org"], **values)
            _count(result, SITES_SHEET, None, True)
            continue
        changed = {k: v for k, v in values.items() if getattr(existing, k) != v}
        org_now = existing.org.code if existing.org is not None else None
        if changed or org_now != rec["org"]:
            sites_services.update_site(actor, existing, **({"org": rec["org"]} if org_now != rec["org"] else {}),
                                       **changed)
        _count(result, SITES_SHEET, existing, bool(changed or org_now != rec["org"]))
    db.session.flush()

    site_ids = dict(db.session.execute(sa.select(Site.code, Site.id)).all())
    stalls = {(s.site_id, s.code): s for s in db.session.execute(sa.select(Stall).where(
        Stall.site_id.in_({site_ids[rec["site"]] for _r, rec in rows[STALLS_SHEET]} or {-1}))).scalars()}
    for _row, rec in rows[STALLS_SHEET]:
        site = db.session.get(Site, site_ids[rec["site"]])
        values = {f: _blank(rec.get(f)) for f in ("operator", "phone", "licence")}
        existing = stalls.get((site.id, rec["code"]))
        if existing is None:
            sites_services.create_stall(actor, site, code=rec["code"], **values)
            _count(result, STALLS_SHEET, None, True)
            continue
        changed = {k: v for k, v in values.items() if getattr(existing, k) != v}
        if changed:
            sites_services.update_stall(actor, existing, **changed)
        _count(result, STALLS_SHEET, existing, bool(changed))

    for code, (_row, rec) in plan["stations"].items():
        existing = db.session.execute(sa.select(Station).where(Station.code == code)).scalar_one_or_none()
        values = {"name": rec["name"], "kind": rec["kind"]}
        if existing is None:
            sites_services.create_station(actor, code=code, org=rec["org"], sites=rec["served"], **values)
            _count(result, STATIONS_SHEET, None, True)
            continue
        changed = {k: v for k, v in values.items() if getattr(existing, k) != v}
        org_now = existing.org.code if existing.org is not None else None
        served_now = sorted(s.code for s in existing.sites if actor.may_see_site(s.id))
        kwargs = {}
        if org_now != rec["org"]:
            kwargs["org"] = rec["org"]
        if served_now != sorted(rec["served"]):
            kwargs["sites"] = rec["served"]
        if changed or kwargs:
            sites_services.update_station(actor, existing, **kwargs, **changed)
        _count(result, STATIONS_SHEET, existing, bool(changed or kwargs))
    db.session.flush()
