from datetime import datetime, timedelta, timezone

from lims.rules.publication import positive_is_public

FOUND = datetime(2026, 11, 20, 7, 0, tzinfo=timezone.utc)


def test_public_once_told():
    told = FOUND + timedelta(minutes=30)
    assert not positive_is_public(told, FOUND, told - timedelta(seconds=1), 24)
    assert positive_is_public(told, FOUND, told, 24)


def test_public_after_the_delay_when_nobody_told_the_seller():
    assert not positive_is_public(None, FOUND, FOUND + timedelta(hours=4) - timedelta(seconds=1), 4)
    assert positive_is_public(None, FOUND, FOUND + timedelta(hours=4), 4)


def test_whichever_comes_first():
    late_notice = FOUND + timedelta(hours=30)
    assert positive_is_public(late_notice, FOUND, FOUND + timedelta(hours=24), 24)
