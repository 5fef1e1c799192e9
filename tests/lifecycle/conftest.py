"""Fixtures for the batch-lifecycle tests: a small world (two markets, their stalls, one
user of every role with an API token), an API caller and service-level shortcuts.

The test client runs inside the test's application context, so requests share the test's
session: a failed request rolls the session back to its last savepoint. ``Api.call``
therefore commits (= releases a savepoint inside the test's outer transaction) before each
request and expires the identity map around it, so that every request sees the database
as a fresh session would."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local_iso(dt: datetime) -> str:
    """An aware time as the naive local ISO string an instrument agent would send."""
    return dt.astimezone(SHANGHAI).replace(tzinfo=None).isoformat()


def offset_iso(dt: datetime) -> str:
    """An aware time as ISO 8601 with the +08:00 offset."""
    return dt.astimezone(SHANGHAI).isoformat()


def parse_api_time(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    assert value.tzinfo is not None, f"API times carry an offset: {text}"
    return value.astimezone(timezone.utc)


def local_midnight(days_ago: int, now: datetime) -> datetime:
    """UTC instant of local midnight ``days_ago`` local days before ``now``."""
    day = now.astimezone(SHANGHAI).date() - timedelta(days=days_ago)
    return datetime(day.year, day.month, day.day, tzinfo=SHANGHAI).astimezone(timezone.utc)


@dataclass
class World:
    site_a: object
    site_b: object
    stall_a1: object
    stall_a2: object
    stall_b1: object
    tech: object
    tech2: object
    reviewer: object
    reviewer2: object
    manager_a: object
    regulator: object
    admin: object


@pytest.fixture
def commit(db):
    def do():
        db.session.commit()

    return do


@pytest.fixture
def world(make_site, make_stall, make_user, db) -> World:
    site_a = make_site(name="城东农贸市场")
    site_b = make_site(name="城西农贸市场")
    w = World(
        site_a=site_a, site_b=site_b,
        stall_a1=make_stall(site=site_a, operator="张三"), stall_a2=make_stall(site=site_a, operator="李四"),
        stall_b1=make_stall(site=site_b, operator="王五"),
        tech=make_user("technician", display_name="检测员甲"), tech2=make_user("technician", display_name="检测员乙"),
        reviewer=make_user("reviewer", display_name="审核员甲"), reviewer2=make_user("reviewer", display_name="审核员乙"),
        manager_a=make_user("market_manager", sites=[site_a]), regulator=make_user("regulator"),
        admin=make_user("admin"),
    )
    db.session.commit()
    return w


class Api:
    def __init__(self, client, db, api_token):
        self.client, self.db, self._make_token = client, db, api_token
        self._tokens: dict = {}

    def headers(self, user) -> dict:
        if user is None:
            return {}
        if user.id not in self._tokens:
            self._tokens[user.id] = self._make_token(user)
        return self._tokens[user.id]

    def call(self, method: str, path: str, user=None, json=None, headers=None, query=None):
        h = dict(self.headers(user))
        h.update(headers or {})
        self.db.session.commit()
        self.db.session.expire_all()
        response = self.client.open(path, method=method, headers=h, json=json, query_string=query)
        self.db.session.expire_all()
        return response

    def get(self, path, user=None, **kw):
        return self.call("GET", path, user, **kw)

    def post(self, path, user=None, json=None, **kw):
        return self.call("POST", path, user, json=json if json is not None else {}, **kw)

    # shortcuts ---------------------------------------------------------------------------

    def register(self, user, **body):
        return self.post("/api/v1/batches", user, body)

    def result(self, user, code, **body):
        return self.post(f"/api/v1/batches/{code}/results", user, body)

    def batch(self, user, code):
        r = self.get(f"/api/v1/batches/{code}", user)
        assert r.status_code == 200, r.get_json()
        return r.get_json()


@pytest.fixture
def api(client, db, api_token) -> Api:
    return Api(client, db, api_token)


def assert_error(response, status: int, field: str | None = None):
    """The error shape of interfaces.md; ``field`` must be named in ``errors``."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:800])
    body = response.get_json()
    assert body is not None, "errors are JSON"
    assert set(body) >= {"code", "status", "message", "errors"}, body
    assert body["code"] == status
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["errors"], dict)
    if field is not None:
        assert field in body["errors"], body
        assert body["errors"][field], body
    return body


# --- service-level shortcuts -------------------------------------------------------------


@pytest.fixture
def actor_of():
    from lims.accounts.access import Actor

    def make(user, ip="10.0.0.9"):
        return Actor(user=user, ip=ip)

    return make


@pytest.fixture
def svc(app, db, actor_of):
    """Register batches and record results through the services (fast set-up)."""

    class Svc:
        def batch(self, user, site, stall=None, food="猪肉", tests=("CLB",), sampled_at=None, now=None,
                  quantity_kg=None, code=None, supplier=None):
            from lims.batches import services as batches
            from lims.reference.services import get_item

            now = now or datetime.now(timezone.utc)
            data = batches.BatchInput(site=site, stall=stall, food=food, sampled_at=sampled_at or now - timedelta(hours=2),
                                      tests=[get_item(c) for c in tests], code=code,
                                      quantity_kg=Decimal(str(quantity_kg)) if quantity_kg is not None else None,
                                      supplier_name=supplier)
            return batches.register_batch(actor_of(user), data, now=now)

        def result(self, user, batch, item="CLB", tested_at=None, now=None, **fields):
            from lims.reference.services import get_item
            from lims.results.services import ResultInput, record_result

            now = now or datetime.now(timezone.utc)
            fields = {k: (Decimal(str(v)) if isinstance(v, (int, float)) and not isinstance(v, bool) else v)
                      for k, v in fields.items()}
            data = ResultInput(item=get_item(item), tested_at=tested_at or now - timedelta(hours=1), **fields)
            return record_result(actor_of(user), batch, data, now=now)

        def positive(self, user, site, stall, quantity_kg=10, now=None, item="CLB"):
            """A batch with a positive clenbuterol card (T/C 0.2 ≤ A 0.5): disposition ``stopped``.

            Sampled 4 days and tested 3 days ago, so that tests may date a notification back."""
            now = now or datetime.now(timezone.utc)
            b = self.batch(user, site, stall, tests=(item,), quantity_kg=quantity_kg, now=now,
                           sampled_at=now - timedelta(days=4))
            self.result(user, b, item=item, tc_ratio=Decimal("0.2"), now=now, tested_at=now - timedelta(days=3))
            assert b.status == "stopped"
            return b

    return Svc()


def audit_entries(db, batch_id=None, action=None):
    from lims.models import AuditEntry

    stmt = sa.select(AuditEntry).order_by(AuditEntry.seq)
    if batch_id is not None:
        stmt = stmt.where(AuditEntry.batch_id == batch_id)
    if action is not None:
        stmt = stmt.where(AuditEntry.action == action)
    return list(db.session.execute(stmt).scalars())


def batch_by_code(db, code):
    from lims.models import Batch

    db.session.expire_all()
    return db.session.execute(sa.select(Batch).where(Batch.code == code)).scalar_one()
