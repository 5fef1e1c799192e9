"""Turning what a form, the round grid or the API sent into a ResultInput, with every
problem reported against its field ("“abc” is not a number")."""
from __future__ import annotations

import functools

from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import orm
from flask_babel import gettext

from lims.database import Signal
from lims.errors import InvalidInput
from lims.extensions import db
from lims.i18n import parse_local
from lims.inputs import DateOutOfRange, decimal_fits, too_large_message
from lims.messages import reading_message
from lims.models import Batch, Instrument, ReagentLot, TestItem
from lims.reference.services import find_lot
from lims.results.services import ResultInput
from lims.rules.judging import OUTCOMES, InvalidReading, normalise_word, parse_number

SIGNAL_FIELDS = ("control_delta", "sample_delta", "c_line", "t_line", "tc_ratio")


def _number(raw, field: str, errors: dict) -> Decimal | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        value = parse_number(raw)
    except InvalidReading as exc:
        errors.setdefault(field, []).append(reading_message(exc.code, exc.params))
        return None
    if not value.is_finite():
        errors.setdefault(field, []).append(reading_message("not_a_number", {"value": raw}))
        return None
    if not decimal_fits(value, Signal.precision, Signal.scale):
        errors.setdefault(field, []).append(too_large_message(field, Signal.precision, Signal.scale))
        return None
    return value


def find_item_for(batch: Batch, raw: str) -> TestItem | None:
    code = (raw or "").strip()
    # with the categories and overrides judging reads, in the same statement (a few rows)
    return db.session.execute(_item_statement(), {"code": code.upper(), "name": code}).unique().scalar_one_or_none()


@functools.cache
def _item_statement() -> sa.Select:
    """Made once, its values bound when run (every result typed or posted)."""
    return (sa.select(TestItem).where(sa.or_(TestItem.code == sa.bindparam("code"), TestItem.name == sa.bindparam("name")))
            .options(orm.joinedload(TestItem.categories), orm.joinedload(TestItem.overrides)))


def build_result_input(batch: Batch, raw: dict) -> ResultInput:
    """``raw`` keys: item, value, qualitative, signals{…} or the signal keys, reagent_lot,
    instrument, tested_at, method, channel, pretreated, instrument_word, confirm_warnings."""
    errors: dict[str, list] = {}
    item = find_item_for(batch, raw.get("item") or "")
    if item is None:
        errors["item"] = [gettext("Unknown test item %(code)s.", code=raw.get("item") or "")]
    signals = dict(raw.get("signals") or {})
    for key in SIGNAL_FIELDS:
        if raw.get(key) not in (None, ""):
            signals[key] = raw[key]
    # The API's c/t keys are the gold card's line signals.
    aliases = {"c": "c_line", "t": "t_line", "tc": "tc_ratio"}
    parsed = {aliases.get(k, k): _number(v, aliases.get(k, k), errors) for k, v in signals.items()
              if aliases.get(k, k) in SIGNAL_FIELDS}
    value, value_text, qualitative = None, None, raw.get("qualitative") or None
    if qualitative is not None and qualitative not in OUTCOMES:
        errors["qualitative"] = [gettext("One of negative, positive, suspect, invalid.")]
    raw_value = raw.get("value")
    if isinstance(raw_value, str) and raw_value.strip() and normalise_word(raw_value) is not None:
        value_text, qualitative = raw_value.strip(), qualitative or normalise_word(raw_value)
    else:
        value = _number(raw_value, "value", errors)
    tested_at = raw.get("tested_at")
    if isinstance(tested_at, str):
        try:
            tested_at = parse_local(tested_at) if tested_at.strip() else None
        except DateOutOfRange as exc:
            errors["tested_at"] = [str(exc)]
            tested_at = None
        except ValueError:
            errors["tested_at"] = [gettext("Use the form 2026-11-20 09:31.")]
            tested_at = None
    if tested_at is None and "tested_at" not in errors:
        errors["tested_at"] = [gettext("Required.")]
    lot = _lot(item, raw.get("reagent_lot"), errors) if item else None
    instrument = _instrument(raw.get("instrument"), errors)
    if errors:
        raise InvalidInput(gettext("The result was not saved."), errors)
    return ResultInput(
        item=item, tested_at=tested_at, value=value, value_text=value_text, qualitative=qualitative,
        reagent_lot=lot, instrument=instrument, method=raw.get("method") or None,
        channel=(str(raw["channel"]) if raw.get("channel") not in (None, "") else None),
        pretreated=raw.get("pretreated"), instrument_word=raw.get("instrument_word") or None,
        reading_mode=raw.get("reading_mode") or None,
        confirm_warnings=bool(raw.get("confirm_warnings")), **parsed)


def _lot(item: TestItem, raw, errors: dict) -> ReagentLot | None:
    if raw in (None, ""):
        return None
    lot = db.session.get(ReagentLot, int(raw)) if isinstance(raw, int) or str(raw).isdigit() else None
    if lot is None or lot.item_id != item.id:
        lot = find_lot(item, str(raw))
    if lot is None:
        errors["reagent_lot"] = [gettext("Unknown lot %(lot)s for %(item)s.", lot=raw, item=item.name)]
    return lot


def _instrument(raw, errors: dict) -> Instrument | None:
    if raw in (None, ""):
        return None
    inst = None
    if isinstance(raw, int) or str(raw).isdigit():
        inst = db.session.get(Instrument, int(raw))
    if inst is None:
        inst = db.session.execute(sa.select(Instrument).where(Instrument.serial == str(raw).strip())).scalar_one_or_none()
    if inst is None:
        errors["instrument"] = [gettext("Unknown instrument %(serial)s.", serial=raw)]
    return inst
