"""What every report needs: the issuing body, the language, the font, local time."""
from __future__ import annotations

import hashlib
import hmac
from decimal import Decimal

from flask import current_app, request
from flask_babel import get_locale

from reports.data import Issuer
from reports.fonts import FontInfo, register_cjk_font
from reports.text import Text
from lims.reporting.text import text_for
from lims.i18n import to_local


def report_lang() -> str:
    """The renderers' language: the user's (Chinese unless they chose English)."""
    try:
        return "en" if str(get_locale()).startswith("en") else "zh_CN"
    except (RuntimeError, AttributeError):
        return "zh_CN"


def report_text() -> Text:
    """The renderers' words in the user's language, with the status words of the one wording table."""
    from lims.labels import status_words

    lang = report_lang()
    return text_for(lang, status_words(lang))


def font() -> FontInfo:
    """The CJK font from LIMS_PDF_FONT, else one found on the machine (registered once)."""
    return register_cjk_font(current_app.config.get("PDF_FONT") or None)


def issuer(station=None, site=None) -> Issuer:
    """The issuing body of a batch's test report: the testing organisation that ran the test
    when it names its own issuing unit (domain.md §8), else configured, else the station's."""
    org = getattr(station, "org", None) if station is not None else None
    name = (org.issuer_name if org is not None and org.issuer_name else None) \
        or current_app.config.get("ISSUER_NAME") or (station.organisation if station and station.organisation else None) \
        or "食品快速检测"
    unit = station.name if station is not None else None
    return Issuer(name=name, unit=unit, address=site.address if site is not None else None,
                  phone=(site.phone if site is not None and site.phone else current_app.config.get("COMPLAINT_PHONE")))


def local(value):
    return to_local(value)


def public_base() -> str:
    base = current_app.config.get("PUBLIC_BASE_URL")
    if base:
        return base.rstrip("/")
    try:
        return request.host_url.rstrip("/")
    except RuntimeError:
        return "http://127.0.0.1:5000"


def report_signing_key() -> bytes:
    """The stored key that signs report QR codes (created by the migration; made here if a
    database lost it). It is in the database, so a restored backup verifies old prints."""
    import secrets

    import sqlalchemy as sa

    from lims.extensions import db
    from lims.models import ReportSigningKey

    row = db.session.get(ReportSigningKey, 1)
    if row is None:
        # in a transaction of its own: asked by pages that only read (lims.database.reads_only)
        try:
            with db.engine.begin() as conn:
                conn.execute(sa.insert(ReportSigningKey).values(id=1, key=secrets.token_hex(32)))
        except sa.exc.IntegrityError:  # another request made it first
            pass
        row = db.session.get(ReportSigningKey, 1)
    return row.key.encode()


def verify_token(batch_code: str) -> str:
    """A short signature so that report verification links cannot be guessed from codes."""
    return hmac.new(report_signing_key(), f"verify:{batch_code}".encode(), hashlib.sha256).hexdigest()[:16]


def accepts_verify_token(batch_code: str, token: str) -> bool:
    """Is ``token`` this report's signature? Codes printed before reports had their own key were
    signed with SECRET_KEY: those still verify on a system that keeps its SECRET_KEY."""
    if hmac.compare_digest(token, verify_token(batch_code)):
        return True
    legacy = hmac.new(current_app.config["SECRET_KEY"].encode(), f"verify:{batch_code}".encode(),
                      hashlib.sha256).hexdigest()[:16]
    return hmac.compare_digest(token, legacy)


def verify_url(batch_code: str) -> str:
    return f"{public_base()}/public/verify/{batch_code}/{verify_token(batch_code)}"


def trimmed(value):
    """A stored Decimal without the column's padding: 0.2100 → 0.21, 55.0000 → 55."""
    if value is None:
        return None
    value = value.normalize()
    return value.quantize(Decimal(1)) if value == value.to_integral() else value


def reading_of(rule: str, value, computed_value, tc_ratio, unit, value_text=None):
    """What a result read, for printing: (value, value text, unit).

    Enzyme inhibition prints the recomputed inhibition %, a gold card its T/C (or the value
    the reader printed), everything else the value in its unit."""
    if rule == "inhibition" and computed_value is not None:
        return trimmed(computed_value), value_text, "%"
    if rule == "gold":
        signal = tc_ratio if tc_ratio is not None else (computed_value if value is None else value)
        if signal is not None:
            return trimmed(signal), value_text, "T/C"
    return trimmed(value), value_text, unit
