"""The demo district tells the truth: reviewers are never the testers, disposals carry photos."""
from __future__ import annotations

import sqlalchemy as sa

from lims.demo.builder import build_demo
from lims.dispositions.photos import photo_file
from lims.models import AuditEntry, Batch, DisposalAction, Photo, Result


def test_the_demo_keeps_the_four_eyes_rule_and_photographs_disposals(app, db):
    build_demo(months=1, seed=11)
    # Results: the reviewer is someone else than the tester.
    reviewed = db.session.execute(sa.select(sa.func.count(Result.id)).where(Result.reviewed_by_id.is_not(None))).scalar_one()
    assert reviewed > 500
    same = db.session.execute(sa.select(sa.func.count(Result.id)).where(
        Result.reviewed_by_id == Result.tested_by_id)).scalar_one()
    assert same == 0
    # The audit trail: each review entry is signed by the result's reviewer, not its tester.
    rows = db.session.execute(
        sa.select(AuditEntry.user_id, Result.reviewed_by_id, Result.tested_by_id)
        .join(Result, sa.cast(Result.id, sa.String) == AuditEntry.subject_id)
        .where(AuditEntry.action == "result.review", AuditEntry.subject_type == "result")).all()
    assert len(rows) >= reviewed
    assert [r for r in rows if r.user_id != r.reviewed_by_id or r.user_id == r.tested_by_id] == []
    # Every disposal step has a photo, stored through the photo service (file and thumbnail on disk).
    actions = db.session.execute(sa.select(sa.func.count(DisposalAction.id))).scalar_one()
    assert actions > 0
    bare = db.session.execute(sa.select(DisposalAction.id).where(~DisposalAction.photos.any())).scalars().all()
    assert bare == []
    photos = db.session.execute(sa.select(Photo)).scalars().all()
    assert all(p.content_type == "image/jpeg" and p.size_bytes < 60_000 for p in photos)
    assert all(photo_file(p).is_file() and photo_file(p, thumb=True).is_file() for p in photos[:5])
    photo_entries = db.session.execute(sa.select(sa.func.count(AuditEntry.id)).where(AuditEntry.action == "photo.add")).scalar_one()
    assert photo_entries == len(photos)
    # Positive codes are unique and well formed.
    codes = db.session.execute(sa.select(Batch.code).where(Batch.code.like("%-P%"))).scalars().all()
    assert codes and len(codes) == len(set(codes))


def test_the_demo_rates_markets_apart_and_black_lists_few(app, db):
    """Built for real (one month, as the test above): the five-colour ratings of the month
    built are not all one colour, every one has its reason, and the black list (positives
    that stood, weighed by volume) is a small minority of the stalls."""
    from datetime import timedelta

    from lims.database import utcnow
    from lims.i18n import local_day_bounds, local_today
    from lims.models import Stall
    from lims.reporting import figures
    from lims.reporting.monthly import rating_reason

    build_demo(months=1, seed=2026)
    now = utcnow()
    today = local_today(now)
    start, end = local_day_bounds(today - timedelta(days=30))[0], local_day_bounds(today)[1]
    scope = figures.Scope(None, "钱塘区", "district")
    red, black = figures.stall_lists(scope, today)
    rated = figures.site_ratings(scope, start, end, now, black)
    colours = {f.site.code: f.rating.colour for f in rated}
    markets = [colours[c] for c in ("CD", "CB", "XS", "DZR", "XND", "LH")]
    assert len(set(colours.values())) >= 3 and markets.count("red") <= 3, colours
    assert all(rating_reason(f.rating) for f in rated)
    stalls = db.session.execute(sa.select(sa.func.count(Stall.id))).scalar_one()
    assert len(black) <= 0.1 * stalls, (len(black), stalls)
    assert red, "the honour list is not empty either"
    _check_the_province_slice(db)


def _check_the_province_slice(db):
    """The demo's tree: 钱塘区's regulator sees 钱塘区's sites only, the city's all three
    districts, a 萧山区 technician only the markets 萧山区's stations serve; every district has
    batches of its own; the administrator is unbound."""
    from lims.accounts.scope import sites_in_scope
    from lims.demo import district as D
    from lims.models import Site, User

    users = {u.username: u for u in db.session.execute(sa.select(User)).scalars()}
    sites = {s.code: s for s in db.session.execute(sa.select(Site)).scalars()}
    by_district = {}
    for code, site in sites.items():
        by_district.setdefault(site.district, set()).add(site.id)
    assert set(by_district) == {"钱塘区", "萧山区", "富阳区"}
    assert sites_in_scope(users["sunwei"]) == by_district["钱塘区"]
    assert sites_in_scope(users["hejun"]) == by_district["萧山区"]
    assert sites_in_scope(users["wugang"]) == frozenset(sites[c].id for c in sites)
    assert sites_in_scope(users["maxiao"]) == by_district["萧山区"]
    assert sites_in_scope(users["wangli"]) <= by_district["钱塘区"]
    assert sites_in_scope(users["admin"]) is None
    for district, ids in by_district.items():
        n = db.session.execute(sa.select(sa.func.count(Batch.id)).where(Batch.site_id.in_(ids))).scalar_one()
        assert n > 100, (district, n)
    # Every result was read with an instrument of the station that tested it (if any).
    from lims.models import Instrument

    foreign = db.session.execute(sa.select(sa.func.count(Result.id)).join(Instrument, Instrument.id == Result.instrument_id)
                                 .where(Instrument.station_id != Result.station_id)).scalar_one()
    assert foreign == 0
    assert {r[0] for r in D.OTHER_USERS} <= set(users)
