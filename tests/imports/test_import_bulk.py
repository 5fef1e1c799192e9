"""The importer's driver-level shortcuts give exactly what SQLAlchemy's own conversions give."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.dialects import sqlite

from lims.database import UTCDateTime
from lims.results.bulk import sqlite_utc_text, utc_from_driver

DIALECT = sqlite.dialect()
ZONES = st.sampled_from([timezone.utc, timezone(timedelta(hours=8)), timezone(timedelta(hours=-5, minutes=-30))])
MOMENTS = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2200, 1, 1), timezones=ZONES)


def _bind(value):
    return UTCDateTime().dialect_impl(DIALECT).bind_processor(DIALECT)(value)


def _result(value):
    return UTCDateTime().dialect_impl(DIALECT).result_processor(DIALECT, None)(value)


@settings(max_examples=300, deadline=None)
@given(MOMENTS)
def test_sqlite_text_of_a_moment_is_what_the_column_stores(moment):
    assert sqlite_utc_text(moment) == _bind(moment)


@settings(max_examples=300, deadline=None)
@given(MOMENTS)
def test_a_stored_moment_reads_back_as_the_column_reads_it(moment):
    stored = _bind(moment)
    assert utc_from_driver(stored) == _result(stored) == moment
    assert utc_from_driver(stored).tzinfo == timezone.utc


def test_driver_values_of_other_shapes_become_aware_utc():
    naive = datetime(2026, 11, 20, 1, 2, 3)
    assert utc_from_driver(naive) == naive.replace(tzinfo=timezone.utc)
    shanghai = datetime(2026, 11, 20, 9, 2, 3, tzinfo=timezone(timedelta(hours=8)))
    assert utc_from_driver(shanghai) == naive.replace(tzinfo=timezone.utc)
    assert utc_from_driver(None) is None


def test_a_naive_moment_is_refused_as_the_column_refuses_it():
    with pytest.raises(ValueError):
        sqlite_utc_text(datetime(2026, 11, 20, 9, 0))
