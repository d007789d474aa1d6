"""The month's usage read from the marks (`changed`, `edge`) says exactly what the grouped read of every
snapshot says, for random histories: snapshots stored by the resync (marked), written without marks, stored
again over earlier days, thinned, with gaps and customers that start or stop within the month."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing import services
from billing.models import UsageSnapshot
from billing.usage import ALL_TERMS, _grouped_turns, usage_marks_all, usage_turns

pytestmark = pytest.mark.django_db

START = dt.date(2026, 9, 20)
DAYS = 50  # 20 September to 8 November
OCT_FIRST, OCT_LAST = dt.date(2026, 10, 1), dt.date(2026, 10, 31)

terms = st.tuples(
    st.sampled_from(["STD", "ADV"]),
    st.sampled_from(["ANNUAL_LICENSE", "MONTHLY"]),
    st.none() | st.integers(1, 3),
    st.integers(1, 2),
)
history = st.fixed_dictionaries(
    {
        # Runs of unchanged terms: (terms, days); a None terms is days without a snapshot.
        "runs": st.lists(st.tuples(st.none() | terms, st.integers(1, 20)), min_size=1, max_size=5),
        # How the rows were written: by the resync's store (in windows of this many days), or without marks.
        "window": st.none() | st.integers(5, 40),
        "stored_again_from": st.none() | st.integers(0, DAYS - 1),
    }
)


def _usages(days: list[tuple[dt.date, tuple]]) -> SimpleNamespace:
    return SimpleNamespace(
        usages=[
            SimpleNamespace(
                used_date=day,
                product_group_id="WORKS",
                product_id=t[0],
                plan=t[1],
                license_count=t[2],
                member_count=t[3],
                max_member_count=None,
                status="ACTIVE",
            )
            for day, t in days
        ]
    )


def _write(domain_id: int, h: dict) -> None:
    days: list[tuple[dt.date, tuple]] = []
    offset = 0
    for t, length in h["runs"]:
        for day in range(offset, min(offset + length, DAYS)):
            if t is not None:
                days.append((START + dt.timedelta(days=day), t))
        offset += length
    if not days:
        return
    if h["window"] is None:
        UsageSnapshot.objects.bulk_create(
            UsageSnapshot(
                domain_id=domain_id,
                used_date=day,
                product_id=t[0],
                plan=t[1],
                license_count=t[2],
                member_count=t[3],
                synced_at=timezone.now(),
            )
            for day, t in days
        )
        return
    size = h["window"]
    for index in range(0, len(days), size):
        services.usage_store(
            domain_id=domain_id, remote=_usages(days[index : index + size]), synced_at=timezone.now()
        )
    if h["stored_again_from"] is not None:
        again = [d for d in days if d[0] >= START + dt.timedelta(days=h["stored_again_from"])]
        if again:
            services.usage_store(domain_id=domain_id, remote=_usages(again), synced_at=timezone.now())


def _both(terms_read=ALL_TERMS, domain_ids=None) -> tuple[list, list]:
    first = OCT_FIRST - dt.timedelta(days=1)
    marked = sorted(usage_turns(first, OCT_LAST, terms_read, domain_ids=domain_ids))
    grouped = sorted(
        _grouped_turns(first, OCT_LAST, terms_read, None if domain_ids is None else sorted(domain_ids))
    )
    return marked, grouped


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(histories=st.lists(history, min_size=1, max_size=4), thin=st.booleans())
def test_the_month_read_from_the_marks_is_the_grouped_read(histories, thin):
    UsageSnapshot.objects.all().delete()
    ids = [50_000 + n for n in range(len(histories))]
    for domain_id, h in zip(ids, histories, strict=True):
        _write(domain_id, h)
        if thin:
            services.usage_thin(domain_id=domain_id, before=dt.date(2026, 11, 8))
    for terms_read in (ALL_TERMS, ALL_TERMS[:3]):
        marked, grouped = _both(terms_read)
        assert marked == grouped
    marked, grouped = _both(ALL_TERMS[:3], domain_ids=ids[:1])
    assert marked == grouped


def test_a_steady_month_is_read_from_two_marked_rows_a_customer():
    days = [(OCT_FIRST + dt.timedelta(days=d - 1), ("STD", "ANNUAL_LICENSE", 5, 3)) for d in range(0, 32)]
    services.usage_store(domain_id=1, remote=_usages(days), synced_at=timezone.now())
    changed_day = OCT_FIRST + dt.timedelta(days=9)
    services.usage_store(
        domain_id=2,
        remote=_usages(
            [(day, ("STD", "ANNUAL_LICENSE", 6 if day >= changed_day else 5, 3)) for day, _ in days]
        ),
        synced_at=timezone.now(),
    )
    assert UsageSnapshot.objects.filter(changed=True).count() == 3  # each first row, and the change
    assert UsageSnapshot.objects.filter(edge=True).count() == 6  # 30 September, 1 and 31 October each
    rows = sorted(usage_turns(OCT_FIRST - dt.timedelta(days=1), OCT_LAST))
    assert [r for r in rows if r[0] == 1] == [
        (1, OCT_FIRST - dt.timedelta(days=1), "STD", "ANNUAL_LICENSE", 5, 3),
        (1, OCT_LAST, "STD", "ANNUAL_LICENSE", 5, 3),
    ]
    assert len([r for r in rows if r[0] == 2]) == 32  # every day of the customer whose licences changed


def test_marks_worked_out_afterwards_are_those_the_store_sets():
    days = [(OCT_FIRST + dt.timedelta(days=d), ("STD", "MONTHLY", None, 1 + d // 10)) for d in range(31)]
    services.usage_store(domain_id=3, remote=_usages(days), synced_at=timezone.now())
    stored = list(UsageSnapshot.objects.order_by("used_date").values_list("changed", "edge"))
    UsageSnapshot.objects.update(changed=True, edge=True)
    usage_marks_all()
    assert list(UsageSnapshot.objects.order_by("used_date").values_list("changed", "edge")) == stored


def test_days_read_again_are_stamped_read_again_with_their_marks_and_a_changed_day_is_written():
    today = timezone.localdate()
    days = [today - dt.timedelta(days=n) for n in (3, 2, 1)]
    read = timezone.now() - dt.timedelta(hours=3)
    same = _usages([(day, ("STD", "MONTHLY", None, 1)) for day in days])
    services.usage_store(domain_id=7, remote=same, synced_at=read)
    marks = list(UsageSnapshot.objects.order_by("used_date").values_list("used_date", "changed", "edge"))

    again = read + dt.timedelta(hours=1)
    services.usage_store(domain_id=7, remote=same, synced_at=again)
    rows = UsageSnapshot.objects.filter(domain_id=7).order_by("used_date")
    assert list(rows.values_list("used_date", "changed", "edge")) == marks
    assert {r.synced_at for r in rows} == {again}

    more = _usages([(day, ("STD", "MONTHLY", None, 2 if day == days[-1] else 1)) for day in days])
    services.usage_store(domain_id=7, remote=more, synced_at=again + dt.timedelta(hours=1))
    assert [(r.member_count, r.changed) for r in rows.all()] == [(1, marks[0][1]), (1, False), (2, True)]
