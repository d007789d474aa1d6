"""The option usage partitioned by month on PostgreSQL (portal/core/partitions.py): the migration converts a table
that has rows (each row kept, ids going on), the nightly housekeeping makes the coming months so a new row never
lands in DEFAULT, and a month wholly past its retention leaves by dropping its partition (the month straddling
the cutoff by DELETE). On SQLite the table stays plain and the rows leave by DELETE
(tests/core/test_retention.py covers both databases with the eight-years clock)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction
from django.db.models import Q

from billing.models import UsageSnapshot
from options.models import OptionUsage, OptionUsageMonth
from portal.core import partitions
from portal.core.models import SyncRun
from portal.core.retention import HOUSEKEEPING, housekeep, rules
from tests.customers.factories import make_customer
from tests.fixtures.migrations import migrate, migrate_to_latest

TOKYO = ZoneInfo("Asia/Tokyo")
postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="partitions are PostgreSQL's")

BEFORE = [("options", "0004_usage_by_day_and_monthly_summary")]
AFTER = [("options", "0005_option_usage_by_month")]


def _where(name: str) -> str | None:
    """The partition a row of `options_optionusage` is in."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tableoid::regclass::text FROM options_optionusage WHERE option_product_id = %s", [name]
        )
        return cursor.fetchone()[0]


def _exists(table: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [table])
        return cursor.fetchone()[0]


def _usage(customer, option: str, day: dt.date, **kwargs) -> OptionUsage:
    return OptionUsage.objects.create(
        customer=customer,
        option_product_id=option,
        sub_option_id="S1",
        used_date=day,
        synced_at=dt.datetime.combine(day, dt.time(3), tzinfo=TOKYO),
        **kwargs,
    )


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_every_row_of_a_table_that_has_some_and_the_ids_go_on():
    old = migrate(BEFORE)
    try:
        Customer, Usage = old.get_model("customers", "Customer"), old.get_model("options", "OptionUsage")
        customer = make_customer(company_name="Kita K.K.")
        synced = dt.datetime(2026, 11, 20, 3, tzinfo=TOKYO)
        days = [dt.date(2024, 2, 29), dt.date(2026, 8, 31), dt.date(2026, 9, 1), dt.date(2026, 10, 15)]
        for n, day in enumerate(days * 3):
            Usage.objects.create(
                customer=Customer.objects.get(pk=customer.pk),
                option_product_id=f"OPT{n}",
                sub_option_id="S1",
                used_date=day,
                plan="MONTHLY",
                usage_count=n * 1_000_003,
                synced_at=synced,
            )
        columns = [f.attname for f in Usage._meta.concrete_fields]
        before = sorted(Usage.objects.values_list(*columns))
        with time_machine.travel(dt.datetime(2026, 11, 26, 9, tzinfo=TOKYO), tick=False):
            new = migrate(AFTER)
        after = new.get_model("options", "OptionUsage")
        assert OptionUsage.objects.count() == after.objects.count() == 12
        assert sorted(after.objects.values_list(*columns)) == before
        if connection.vendor == "postgresql":
            # The months its rows have, this month and the next two, and DEFAULT for anything else.
            assert partitions.is_partitioned(OptionUsage)
            assert partitions.months(OptionUsage) == [
                dt.date(2024, 2, 1),
                dt.date(2026, 8, 1),
                dt.date(2026, 9, 1),
                dt.date(2026, 10, 1),
                dt.date(2026, 11, 1),
                dt.date(2026, 12, 1),
                dt.date(2027, 1, 1),
            ]
            assert _exists("options_optionusage_default")
            assert _where("OPT1") == "options_optionusage_p202608"
        else:
            assert not partitions.is_partitioned(OptionUsage)
        # A new row takes the next id, and the one row a day of an option still holds.
        latest = _usage(customer, "NEW", dt.date(2026, 11, 26))
        assert latest.pk > max(row[0] for row in before)
        with pytest.raises(IntegrityError), transaction.atomic():
            _usage(customer, "NEW", dt.date(2026, 11, 26))

        # Backwards: a plain table again, with every row.
        old = migrate(BEFORE)
        assert not partitions.is_partitioned(OptionUsage)
        assert old.get_model("options", "OptionUsage").objects.count() == 13
    finally:
        migrate_to_latest()


@pytest.mark.django_db(transaction=True)
def test_the_usage_snapshots_keep_their_rows_and_partial_indexes_through_the_migration():
    targets = [("billing", "0011_subtotal_under_what_it_sums")]
    old = migrate(targets)
    try:
        Snapshot = old.get_model("billing", "UsageSnapshot")
        synced = dt.datetime(2026, 11, 20, 3, tzinfo=TOKYO)
        for n, day in enumerate([dt.date(2025, 3, 1), dt.date(2025, 3, 31), dt.date(2026, 10, 9)]):
            Snapshot.objects.create(
                domain_id=100 + n,
                used_date=day,
                plan="MONTHLY",
                member_count=n,
                synced_at=synced,
                changed=n == 2,
            )
        columns = [f.attname for f in Snapshot._meta.concrete_fields]
        before = sorted(Snapshot.objects.values_list(*columns))
        with time_machine.travel(synced, tick=False):
            new = migrate([("billing", "0012_usage_snapshot_by_month")])
        assert sorted(new.get_model("billing", "UsageSnapshot").objects.values_list(*columns)) == before
        if connection.vendor == "postgresql":
            assert partitions.is_partitioned(UsageSnapshot)
            assert partitions.months(UsageSnapshot)[:2] == [dt.date(2025, 3, 1), dt.date(2026, 10, 1)]
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'billing_usagesnapshot'"
                )
                indexes = dict(cursor.fetchall())
            assert indexes["billing_usage_changes"].endswith("WHERE changed")
            assert {"billing_usage_terms", "billing_one_snapshot_a_day", "billing_usagesnapshot_pkey"} <= set(
                indexes
            )
    finally:
        migrate_to_latest()


@postgres_only
@pytest.mark.django_db
def test_the_nightly_housekeeping_makes_the_coming_months_so_a_new_row_never_lands_in_default():
    customer = make_customer(company_name="Kita K.K.")
    with time_machine.travel(dt.datetime(2027, 3, 10, 3, tzinfo=TOKYO), tick=False):
        housekeep()
    assert {dt.date(2027, 3, 1), dt.date(2027, 4, 1), dt.date(2027, 5, 1)} <= set(
        partitions.months(OptionUsage)
    )
    _usage(customer, "APRIL", dt.date(2027, 4, 30))
    assert _where("APRIL") == "options_optionusage_p202704"
    # A row outside the months made lands in DEFAULT; the next night makes its month, which takes it out.
    _usage(customer, "EARLIER", dt.date(2026, 6, 2))
    assert _where("EARLIER") == "options_optionusage_default"
    with time_machine.travel(dt.datetime(2027, 3, 11, 3, tzinfo=TOKYO), tick=False):
        housekeep()
    assert _where("EARLIER") == "options_optionusage_p202606"


@postgres_only
@pytest.mark.django_db
def test_the_rows_leave_by_whole_months_each_month_by_dropping_its_partition(settings):
    settings.RETENTION_OPTION_USAGE_DAYS = 396
    customer = make_customer(company_name="Kita K.K.")
    partitions.make_months(OptionUsage, "used_date", dt.date(2025, 1, 1), dt.date(2025, 2, 1))
    for n, day in enumerate(
        [dt.date(2025, 1, 3), dt.date(2025, 1, 31), dt.date(2025, 2, 14), dt.date(2025, 2, 15)]
    ):
        _usage(customer, f"OPT{n}", day, usage_count=n)
    _usage(customer, "OLDER", dt.date(2024, 6, 1), usage_count=7)
    assert _where("OPT0") == "options_optionusage_p202501"
    assert _where("OLDER") == "options_optionusage_default"

    # 396 days before 2026-03-18 is 2025-02-15: January 2025 is wholly older and goes whole; February straddles
    # the cutoff and stays whole until it is wholly older too. June 2024's row left DEFAULT for a month of its own
    # as the run began, and went with it.
    with time_machine.travel(dt.datetime(2026, 3, 18, 3, tzinfo=TOKYO), tick=False):
        removed = housekeep(batch_size=1)
    assert not _exists("options_optionusage_p202501") and not _exists("options_optionusage_p202406")
    assert set(OptionUsage.objects.values_list("option_product_id", flat=True)) == {"OPT2", "OPT3"}
    assert removed["options.OptionUsage"] == 3
    assert SyncRun.objects.get(kind=HOUSEKEEPING).counts["options.OptionUsage"] == 3

    # 396 days before 2026-04-02 is 2025-03-02: February goes whole. The Data kept page says so of its rows.
    rule = next(r for r in rules() if r.model == "options.OptionUsage")
    assert rule.removal_date(dt.date(2025, 2, 14)) == dt.date(2026, 4, 1)
    with time_machine.travel(dt.datetime(2026, 4, 2, 3, tzinfo=TOKYO), tick=False):
        removed = housekeep(batch_size=1)
    assert not _exists("options_optionusage_p202502")
    assert not OptionUsage.objects.exists()
    assert removed["options.OptionUsage"] == 2
    # Summed before they left, month by month.
    summed = OptionUsageMonth.objects.order_by("month", "option_product_id")
    assert list(summed.values_list("month", "option_product_id", "days", "usage_total")) == [
        (dt.date(2024, 6, 1), "OLDER", 1, 7),
        (dt.date(2025, 1, 1), "OPT0", 1, 0),
        (dt.date(2025, 1, 1), "OPT1", 1, 1),
        (dt.date(2025, 2, 1), "OPT2", 1, 2),
        (dt.date(2025, 2, 1), "OPT3", 1, 3),
    ]


@postgres_only
@pytest.mark.django_db
def test_a_month_holding_a_row_another_rule_keeps_is_not_dropped():
    customer = make_customer(company_name="Kita K.K.")
    partitions.make_months(OptionUsage, "used_date", dt.date(2025, 1, 1), dt.date(2025, 2, 1))
    _usage(customer, "GOES", dt.date(2025, 1, 3))
    _usage(customer, "STAYS", dt.date(2025, 2, 3), plan="KEPT")
    dropped = partitions.drop_months(OptionUsage, "used_date", dt.date(2025, 6, 1), Q(plan="KEPT"))
    assert dropped == {dt.date(2025, 1, 1): 1}
    assert _exists("options_optionusage_p202502") and not _exists("options_optionusage_p202501")


@postgres_only
@pytest.mark.django_db
def test_the_data_kept_page_reads_a_partitioned_table_s_oldest_month_from_its_partitions():
    """The oldest row of a partitioned table is read as its month (the first day of the oldest month whose
    partition holds a row, a probe per month), or DEFAULT's oldest row when older: its removal date is the same
    as its own date's, as the month leaves whole."""
    customer = make_customer(company_name="Kita K.K.")
    rule = next(r for r in rules() if r.model == "options.OptionUsage")
    assert rule.oldest() is None
    partitions.make_months(OptionUsage, "used_date", dt.date(2025, 1, 1), dt.date(2025, 3, 1))
    _usage(customer, "FEB", dt.date(2025, 2, 17))
    _usage(customer, "MAR", dt.date(2025, 3, 3))
    assert rule.oldest() == dt.date(2025, 2, 1)
    assert rule.removal_date(rule.oldest()) == rule.removal_date(dt.date(2025, 2, 17))
    _usage(customer, "OLDER", dt.date(2024, 6, 9))
    assert _where("OLDER") == "options_optionusage_default"
    assert rule.oldest() == dt.date(2024, 6, 9)
