"""bench.seed (a partner's database after M months at N customers) and the scale guard's pages (bench.pages):
the guard opens every URL the resolver has or says why not; a small seed holds what people see, and every page
of the guard opens on it for every role that may open it. No timing: `make bench-scale` measures."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count

from bench import pages
from bench.seed import FIRST_DOMAIN, PEOPLE, cadence, seed
from tests.core.test_url_coverage import portal_urls as resolver_urls


def uncovered() -> list[str]:
    urls = pages.portal_urls()
    downloads = {name for name in pages.DOWNLOADS if pages.fillable(name, urls[name])}
    return sorted(set(urls) - pages.covered() - downloads - set(pages.EXCLUDED) - set(pages.QUERIES))


def test_the_guard_opens_every_url_the_resolver_has_or_names_it_with_a_reason():
    assert set(pages.portal_urls()) == set(resolver_urls()), (
        "the guard walks the resolver as the matrix test does"
    )
    assert uncovered() == [], (
        "fill these URLs' arguments in bench/pages.py (ARGS or VARIANTS), or exclude them there with a reason"
    )
    stale = sorted((set(pages.EXCLUDED) | set(pages.DOWNLOADS)) - set(resolver_urls()))
    assert stale == [], "these exclusions or downloads name no URL any more"
    assert all(len(reason) > 10 for reason in [*pages.EXCLUDED.values(), *pages.DOWNLOADS.values()])
    assert not set(pages.EXCLUDED) & set(pages.DOWNLOADS)


def test_a_url_whose_arguments_the_guard_cannot_fill_is_found(monkeypatch):
    monkeypatch.delitem(pages.ARGS, "subscription_id")
    assert {"subscriptions:detail", "subscriptions:renewal"} <= set(uncovered())
    monkeypatch.delitem(pages.EXCLUDED, "core:sync_now")
    assert "core:sync_now" in pages.covered()  # a URL no longer excluded is opened, and must answer 200


def test_a_download_is_judged_by_its_queries_and_the_memory_it_holds_not_by_its_size():
    """A download's file grows with the rows by design; one that reads a query a row, or holds its rows whole
    (the sales journal held every document of the month), grows."""
    from bench.downloads import HELD_FLOOR, report_downloads

    mb = 2**20
    # (queries, memory held beyond the file, the file's bytes, its lines)
    small = {
        "batched": (4, mb, mb, 1000),
        "whole rows": (3, 2 * mb, mb, 1000),
        "a query a row": (3, mb, mb, 1000),
    }
    large = {
        # A batch of 2,000 rows at a time, a query each: bounded, though more than 3x the small's.
        "batched": (28, HELD_FLOOR - mb, 50 * mb, 50_000),
        "whole rows": (3, 100 * mb, 50 * mb, 50_000),
        "a query a row": (50_003, mb, 50 * mb, 50_000),
    }
    measured = [pages.Page(label, "customers:export", download=True) for label in small]
    judged, growing = report_downloads("small", "large", measured, {"small": small, "large": large}, 3.0)
    assert judged == list(small) and growing == ["whole rows", "a query a row"]


def test_a_small_seed_holds_what_people_see_and_every_page_of_the_guard_opens_on_it(db, client_as):
    """One seed for both (it takes a while): the rows a person would see, then every page of the guard opened
    by every role that may open it."""
    seed(customers=60, months=3)
    _holds_what_people_see(client_as)
    _every_page_of_the_guard_opens()


def _holds_what_people_see(client_as):
    from billing.models import DetailMonth, Invoice, UsageSnapshot
    from customers.models import Customer, CustomerOwner
    from invoicing.models import CustomerBilling, DocumentKind, InvoicePayment, IssuedInvoice
    from invoicing.selectors import overdue_invoices
    from options.models import OptionUsage
    from portal.core import clock
    from portal.core.models import AuditEntry, Batch, SyncRun

    today = clock.today()
    assert Customer.objects.count() == 60
    owned = CustomerOwner.objects.filter(account_manager__username=PEOPLE["account_manager"][0])
    assert owned.count() == 5  # one customer in twelve
    assert CustomerOwner.objects.exclude(support_contact=None).count() == 20  # one in three
    assert CustomerBilling.objects.count() == 54  # nine in ten
    # Three closed months of LINE WORKS' invoices and details, and of issued invoices with their PDFs.
    assert Invoice.objects.count() == 3 and DetailMonth.objects.count() == 3
    by_month = IssuedInvoice.objects.filter(kind=DocumentKind.INVOICE).values("month").annotate(n=Count("pk"))
    assert len(by_month) == 3 and all(row["n"] > 30 for row in by_month)
    assert not IssuedInvoice.objects.filter(pdf_sha256="").exists()
    assert InvoicePayment.objects.count() > 30
    assert list(overdue_invoices(today=today)), "some invoices are overdue"
    # A bank statement of each closed month's payments, its lines matched to them, and today's still to match.
    from invoicing.models import BankLine, BankStatement

    closed = InvoicePayment.objects.filter(paid_on__lt=today.replace(day=1))
    assert BankStatement.objects.count() == len(closed.dates("paid_on", "month")) + 1 >= 2
    matched = BankLine.objects.filter(state="matched")
    assert matched.count() == closed.count() and not matched.filter(payment=None).exists()
    # The guard opens the statement of the first key at every size: today's, with lines to match.
    assert BankStatement.objects.order_by("pk").first().lines.filter(state="open").count() > 30
    # The running portal's history: every kind of sync run, audit entries over the months, daily usage.
    # (No customer page opens a refresh: at 60 customers every copy is younger than REFRESH_ON_OPEN_MINUTES.)
    kinds = set(SyncRun.objects.values_list("kind", flat=True))
    assert kinds == {"full", "refresh", "partner"}
    oldest = AuditEntry.objects.order_by("created_at").first().created_at.date()
    assert oldest < today - dt.timedelta(days=75)
    days = UsageSnapshot.objects.filter(domain_id=FIRST_DOMAIN + 24).values("used_date").distinct().count()
    assert days > 75
    assert OptionUsage.objects.filter(customer_id=FIRST_DOMAIN + 24).count() > 75
    # Made by the database from one pattern, the snapshots are marked as the store marks them.
    from billing.usage import usage_marks_all

    assert usage_marks_all() == 0
    # People's sign-ins over the months, a few after a mistyped password: the Sign-ins page's year.
    from axes.models import AccessFailureLog, AccessLog

    first = AccessLog.objects.order_by("attempt_time").first()
    assert first is not None and first.attempt_time.date() < today - dt.timedelta(days=75)
    assert AccessLog.objects.filter(username=PEOPLE["finance"][0]).count() > 75
    assert 0 < AccessFailureLog.objects.count() < AccessLog.objects.count() / 10
    assert Batch.objects.filter(state="checked").count() == 1  # the dry run the batch pages open
    assert Batch.objects.filter(state="finished").count() >= 12  # a bulk change a week
    from django.test import Client

    from bench.common import sign_in
    from bench.seed import user_of

    old = Client()
    sign_in(old, user_of("admin"))
    finished = Batch.objects.filter(state="finished").order_by("requested_at").first()
    assert old.get(f"/bulk/{finished.pk}/").status_code == 200
    # What people see: the Finance home lists overdue invoices, the Sync page the runs.
    from portal.core.access import Role

    assert "invoices-overdue" in client_as(Role.FINANCE).get("/").content.decode()


def _every_page_of_the_guard_opens():
    from bench import scale

    found, problems = pages.discover(scale.clients(), scale.request)
    assert problems == []
    names = {page.url_name for page in found if not page.download}
    assert names == pages.covered() | set(pages.QUERIES)
    # Every download, each worklist section's as a role that sees it, opened apart (bench/downloads.py).
    downloads = {page.label for page in found if page.download}
    assert {page.url_name for page in found if page.download} == set(pages.DOWNLOADS)
    assert {"customers:export as Admin", "work_export findings as Admin"} <= downloads
    labels = {page.label for page in found}
    assert "customers:list as Account manager, searched" in labels
    assert "core:activity as Admin, page 2" in labels
    assert "schedule:agenda as Support, htmx #agenda" in labels
    assert "work_list findings as Finance" in labels and "work_list findings as Support" not in labels
    # The top bar's search box is measured on the search page, through its own box, not on every page.
    assert {"search:results as Support, searched", "search:results as Finance, htmx #results"} <= labels
    assert not [
        label for label in labels if "#find-panel" in label or label.startswith("home as Support, searched")
    ]


def test_the_cadence_follows_the_beat_schedule(settings):
    settings.PARTNER_API_RATE_LIMIT = 240
    settings.RESYNC_INTERVAL_MINUTES = 60
    settings.RESYNC_REFRESH = True
    small, large = cadence(3000), cadence(50_000)
    assert small.full_runs == 24  # a pass of 12.5 minutes at every hourly tick
    # A pass of 387 minutes (7,200 customers in its first 30 minutes at 240 a minute, then 120 a minute, as LINE
    # WORKS asks of long runs): the ticks meanwhile are refused.
    assert large.full_every_minutes == 420
    # The refresh runs in turn between full resyncs and by need beside them, a batch a minute either way.
    assert large.refresh_runs == small.refresh_runs == 1440
    settings.RESYNC_REFRESH = False
    assert cadence(3000).refresh_runs == 0


def test_the_sync_runs_end_as_the_running_portal_leaves_them(settings):
    """A long full resync has the refresh's batches beside it, a batch a minute; the last one is still running
    at the seed's end, part way, and the latest runs the Sync page lists are those batches up to the end."""
    from bench.seed.cadence import Cadence
    from bench.seed.history import _resync_runs

    settings.RESYNC_REFRESH_BATCH_SECONDS = 60
    pace = Cadence(
        customers=9_000,
        full_minutes=90,
        full_every_minutes=120,
        full_runs=12,
        refresh_runs=1440,
        customer_runs=0,
        partner_runs=0,
        audits=0,
        operations=0,
    )
    now = dt.datetime(2026, 11, 29, 12, tzinfo=dt.UTC)
    runs = list(_resync_runs(pace, now=now, span=dt.timedelta(minutes=150)))
    full = [run for run in runs if run[0] == "full"]
    assert [(run[2], run[3], run[4]) for run in full] == [
        ("succeeded", now - dt.timedelta(minutes=150), now - dt.timedelta(minutes=60)),
        ("running", now - dt.timedelta(minutes=30), None),
    ]
    assert full[1][6] == 3_000 and full[1][5] == 9_000  # a third of the way, by its 30 minutes of 90
    batches = [run for run in runs if run[0] == "refresh"]
    assert all(run[4] <= now for run in batches)
    # A batch a minute beside each full resync, by need; in turn in the half hour between them.
    assert len(batches) == 90 + 30 + 30
    latest = sorted(batches, key=lambda run: run[3])[-30:]
    assert all(run[1].startswith("due=") and now - run[3] <= dt.timedelta(minutes=30) for run in latest)


def test_a_history_is_given_to_the_customers_a_database_holds(db):
    """The soak's portal reads its customers from the sandbox, then gets a history: the running month's usage
    the resync stored stays as it is, the months before it are added."""
    import random

    from django.utils import timezone

    from bench.seed import customers_seed, history
    from billing.models import UsageSnapshot
    from portal.core import clock
    from portal.core.models import AuditEntry, SyncRun

    customers_seed(0, 24, random.Random(1))
    today = clock.today()
    read = UsageSnapshot.objects.create(
        domain_id=FIRST_DOMAIN, used_date=today, product_id="STD", member_count=7, synced_at=timezone.now()
    )
    history(months=2)
    assert (
        UsageSnapshot.objects.get(domain_id=FIRST_DOMAIN, used_date=today).member_count
        == 7
        == read.member_count
    )
    before = UsageSnapshot.objects.filter(domain_id=FIRST_DOMAIN, used_date__lt=today.replace(day=1))
    assert before.count() > 50
    assert SyncRun.objects.filter(kind="full").count() > 24 * 50
    began = list(SyncRun.objects.order_by("pk").values_list("requested_at", flat=True))
    assert began == sorted(began)  # written in the order they began, as the running portal writes them
    assert AuditEntry.objects.filter(created_at__date__lt=today.replace(day=1)).exists()


def test_what_the_seed_drops_while_rows_go_in_is_made_again_as_it_was(db):
    """`made_after`: on PostgreSQL the indexes no constraint holds and the foreign keys are gone meanwhile (a
    partitioned table's too), then made again as they were; on SQLite nothing changes."""
    from django.db import connection

    from bench.seed import made_after
    from options.models import OptionUsage
    from portal.core.models import AuditEntry

    def schema() -> dict[str, dict]:
        with connection.cursor() as cursor:
            return {
                model._meta.db_table: connection.introspection.get_constraints(cursor, model._meta.db_table)
                for model in (OptionUsage, AuditEntry)
            }

    before = schema()
    with made_after(OptionUsage, AuditEntry):
        during = schema()
    assert schema() == before
    if connection.vendor == "postgresql":
        left = [c for table in during.values() for c in table.values()]
        assert left and all(c["primary_key"] or c["unique"] or c["check"] for c in left)
        assert any(c["foreign_key"] for table in before.values() for c in table.values())
    else:
        assert during == before
