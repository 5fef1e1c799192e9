"""Schemathesis against the API, in-process (WSGI), signed in with an admin's token: every
operation with generated input (valid and invalid), then chains of calls following the
links schemathesis finds. Zero server errors and zero responses that break their own
schema. Examples are bounded so that one database run costs well under two minutes."""
from __future__ import annotations

from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import FlakyStrategyDefinition
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)

CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]
EXAMPLES = 20
STATEFUL_EXAMPLES = 1
STATEFUL_REQUESTS = 20  # chains end early when Hypothesis meets a database that moved on
SETTINGS = dict(deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))


@pytest.fixture
def api_schema(app, db, bad_world):
    """The document the app serves; server errors are answered (a failure), not raised."""
    app.config["PROPAGATE_EXCEPTIONS"] = False
    db.session.commit()
    yield schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    app.config["PROPAGATE_EXCEPTIONS"] = None


def _fresh(db):
    db.session.commit()  # release the savepoint: the next request sees what the last one did
    db.session.expire_all()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_operation(api_schema, bad_world, db, mode):
    operations = [r.ok() for r in api_schema.get_all_operations()]
    assert len(operations) >= 20, [o.label for o in operations]
    counts = {"requests": 0}
    statuses: Counter = Counter()
    failures = []

    for operation in operations:
        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=EXAMPLES, **SETTINGS)
        def run(case):
            _fresh(db)
            counts["requests"] += 1
            response = case.call(headers=bad_world.headers)
            statuses[response.status_code] += 1
            try:
                case.validate_response(response, checks=CHECKS, headers=bad_world.headers)
            except Exception as exc:  # one line per failing operation, all operations run
                raise AssertionError(f"{operation.label}: {type(exc).__name__} {str(exc)[:600]}") from None

        try:
            run()
        except Exception as exc:  # noqa: BLE001 — every operation is run, each failure reported
            failures.append(str(exc))
    print(f"\n{mode.value}: {len(operations)} operations, {counts['requests']} requests, "
          f"{len(failures)} failing operations; statuses {dict(sorted(statuses.items()))}")
    assert mode == GenerationMode.NEGATIVE or statuses[401] == 0, "the token is sent"
    assert not failures, "\n\n".join(failures)


def test_stateful_links(api_schema, bad_world, db):
    base = api_schema.as_state_machine()
    counts = {"requests": 0}

    class Machine(base):
        def get_call_kwargs(self, case):
            _fresh(db)
            return {"headers": bad_world.headers}

        def validate_response(self, response, case, additional_checks=(), **kwargs):
            # Failures are collected, not raised: a replay of a chain against a database that
            # moved on is not the same chain, so Hypothesis' shrinking would only report its
            # own confusion (FlakyStrategyDefinition) instead of the failure.
            counts["requests"] += 1
            try:
                case.validate_response(response, checks=CHECKS, headers=bad_world.headers)
            except Exception as exc:  # noqa: BLE001
                failures.append(f"{case.operation.label}: {type(exc).__name__} {str(exc)[:600]}")

    failures: list = []
    for _ in range(6):  # a run that ends early (see above) is followed by another, until enough was tried
        try:
            Machine.run(settings=settings(max_examples=STATEFUL_EXAMPLES, stateful_step_count=5,
                                          **{**SETTINGS, "derandomize": False}))
        except FlakyStrategyDefinition:
            pass
        if counts["requests"] >= STATEFUL_REQUESTS:
            break
    print(f"\nstateful: {counts['requests']} requests, {len(failures)} failures")
    assert not failures, "\n\n".join(failures)
    assert counts["requests"] >= STATEFUL_REQUESTS
