"""The copies the worker keeps (portal/core/kept.py: billing's estimate, invoicing's drafts) are history too: a month
whose copy nobody has had worked out again for RETENTION_KEPT_COPY_DAYS leaves with its customers' rows at the
nightly housekeeping; a month worked out since stays whole."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from billing.models import EstimateCopy, EstimateMonth
from invoicing.models import DraftCopy, DraftMonth, DraftState
from portal.core.retention import housekeep

pytestmark = pytest.mark.django_db

NIGHT = dt.datetime(2026, 11, 25, 18, 30, tzinfo=dt.UTC)  # 03:30 in Tokyo, the housekeeping's hour


def _kept(year: int, month: int, days_ago: int) -> None:
    worked_at = NIGHT - dt.timedelta(days=days_ago)
    EstimateMonth.objects.create(year=year, month=month, worked_at=worked_at)
    DraftMonth.objects.create(year=year, month=month, worked_at=worked_at)
    for domain_id in (1, 2):
        EstimateCopy.objects.create(year=year, month=month, domain_id=domain_id, periods=1)
        DraftCopy.objects.create(year=year, month=month, domain_id=domain_id, state=DraftState.READY)


def test_a_month_nobody_had_worked_out_again_for_long_leaves_with_its_customers_rows(settings):
    settings.RETENTION_KEPT_COPY_DAYS = 90
    _kept(2026, 4, days_ago=120)  # opened once in the spring, never since
    _kept(2026, 10, days_ago=2)
    with time_machine.travel(NIGHT, tick=False):
        housekeep()
    for month_model, copy_model in ((EstimateMonth, EstimateCopy), (DraftMonth, DraftCopy)):
        assert list(month_model.objects.values_list("month", flat=True)) == [10]
        assert sorted(copy_model.objects.values_list("month", "domain_id")) == [(10, 1), (10, 2)]
