"""The home page's worklist, per role: what needs doing today, each item linking to what resolves it; Support
reads the same items without the forms' links; Finance sees its own work. Business date: 2026-11-21 (Tokyo)."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from home.worklist import WorkItem, WorkList, WorkSection, decisions_for
from portal.core.access import Role
from portal.core.contrib import contribute
from portal.core.models import AuditEntry, Operation, SyncRun
from tests.customers.factories import make_customer, make_owner
from tests.fixtures.personas import make_persona
from tests.subscriptions.factories import make_pre_order, make_reservation, make_subscription

D = dt.date


@pytest.fixture
def work(db, frozen):
    """One customer per kind of work, and its near miss that must stay off the list."""
    c = {}
    c["renewal"] = make_customer(company_name="Renewal Soon KK")
    make_subscription(c["renewal"], plan="MONTHLY", plan_end_date=D(2026, 11, 30), renewal_type="STAY")
    c["renewal_passed"] = make_customer(company_name="Renewal Passed KK")
    make_subscription(c["renewal_passed"], plan="MONTHLY", plan_end_date=D(2026, 11, 20), renewal_type="STAY")
    c["renewal_later"] = make_customer(company_name="Renewal Later KK")
    make_subscription(c["renewal_later"], plan="MONTHLY", plan_end_date=D(2026, 12, 20), renewal_type="STAY")
    c["trial"] = make_customer(company_name="Trial Ending KK", plan="TRIAL")
    c["trial_sub"] = make_subscription(
        c["trial"],
        product_id="STD_T",
        plan="TRIAL",
        plan_end_date=D(2026, 11, 25),
        license_count=None,
        renewal_type="",
    )
    c["trial_decided"] = make_customer(company_name="Trial Decided KK", plan="TRIAL")
    decided = make_subscription(
        c["trial_decided"],
        product_id="STD_T",
        plan="TRIAL",
        plan_end_date=D(2026, 11, 26),
        license_count=None,
        renewal_type="",
    )
    make_reservation(decided, type="START_PAID_SERVICE", apply_date=D(2026, 11, 27), license_count=None)
    c["grace"] = make_customer(company_name="Trial Grace KK", plan="TRIAL")
    make_subscription(
        c["grace"],
        product_id="STD_T",
        plan="TRIAL",
        plan_end_date=D(2026, 10, 28),
        license_count=None,
        renewal_type="",
    )
    c["grace_over"] = make_customer(company_name="Trial Long Gone KK", plan="TRIAL")
    make_subscription(
        c["grace_over"],
        product_id="STD_T",
        plan="TRIAL",
        plan_end_date=D(2026, 10, 1),
        license_count=None,
        renewal_type="",
    )
    c["unused_most"] = make_customer(company_name="Unused Most KK", member_count=10, max_member_count=None)
    make_subscription(c["unused_most"], plan="ANNUAL_LICENSE", license_count=100)
    c["unused_some"] = make_customer(company_name="Unused Some KK", member_count=10, max_member_count=None)
    make_subscription(c["unused_some"], plan="ANNUAL_LICENSE", license_count=30)
    c["unused_few"] = make_customer(company_name="Unused Few KK", member_count=10, max_member_count=None)
    make_subscription(c["unused_few"], plan="ANNUAL_LICENSE", license_count=15)
    c["full"] = make_customer(company_name="Nearly Full KK", member_count=48, max_member_count=50)
    c["pre_order"] = make_customer(company_name="Pre-order Soon KK")
    make_pre_order(c["pre_order"], apply_date=D(2026, 11, 24))
    c["stale"] = make_customer(company_name="Stale Data KK", synced_at=timezone.now() - dt.timedelta(days=2))
    Operation.objects.create(
        idempotency_key="k-unknown", kind="patchUsageStatus", domain_id=c["full"].domain_id, status="unknown"
    )
    c["failed_sync"] = make_customer(company_name="Sync Failed KK")
    SyncRun.objects.create(
        kind="full",
        status="partial",
        finished_at=timezone.now(),
        errors=[{"operation": "getUsageStatus", "error": "500", "domain_id": c["failed_sync"].domain_id}],
    )
    AuditEntry.objects.create(
        operation_id="patchUsageStatus",
        domain_id=c["full"].domain_id,
        outcome="succeeded",
        actor_name="manager",
    )
    _own(*(v for v in c.values() if hasattr(v, "domain_id")))
    return c


def _own(*customers, user=None):
    """The customers are the Account manager persona's (or `user`'s): their home page shows their work."""
    manager = user or make_persona(Role.ACCOUNT_MANAGER)
    for customer in customers:
        make_owner(customer, manager)


def _section(html: str, key: str) -> str:
    found = re.search(rf'<section[^>]*data-work="{key}".*?</section>', html, re.S)
    return found.group(0) if found else ""


def _count(html: str, key: str) -> int:
    return int(re.search(r"data-work-count>(\d+)<", _section(html, key)).group(1))


def test_account_managers_see_each_kind_of_work_with_the_form_that_resolves_it(client_as, work):
    html = client_as(Role.ACCOUNT_MANAGER).get(reverse("home")).content.decode()
    renewal = _section(html, "renewal-decisions")
    assert "Renewal Soon KK" in renewal and "2026-11-30" in renewal
    assert "Renewal Passed KK" not in renewal and "Renewal Later KK" not in renewal
    assert _count(html, "renewal-decisions") == 1
    assert "/renewal/" in renewal
    trials = _section(html, "trials-ending")
    assert "Trial Ending KK" in trials and "Trial Decided KK" not in trials
    assert reverse("subscriptions:convert", args=[work["trial_sub"].subscription_id]) in trials
    grace = _section(html, "trials-grace")
    assert "Trial Grace KK" in grace and "2026-11-27" in grace and "Trial Long Gone KK" not in grace
    unused = _section(html, "unused-licences")
    assert unused.index("Unused Most KK") < unused.index("Unused Some KK")
    assert "Unused Few KK" not in unused and "90 unused" in unused
    full = _section(html, "max-users")
    assert "Nearly Full KK" in full and "96%" in full
    assert reverse("customers:usage", args=[work["full"].domain_id]) in full
    assert "Pre-order Soon KK" in _section(html, "scheduled")
    assert "Nearly Full KK" in _section(html, "operations")
    stale = _section(html, "stale")
    assert stale.index("Sync Failed KK") < stale.index("Stale Data KK")
    assert "Renewal Soon KK" not in stale
    assert 'data-work="activity"' not in html
    assert "(Japan time)" in html


def test_support_sees_the_same_work_read_only_plus_recent_activity(client_as, work):
    html = client_as(Role.SUPPORT).get(reverse("home")).content.decode()
    for key in (
        "renewal-decisions",
        "trials-ending",
        "trials-grace",
        "scheduled",
        "max-users",
        "unused-licences",
    ):
        section = _section(html, key)
        assert section and "btn" not in section, key
    assert "Renewal Soon KK" in _section(html, "renewal-decisions")
    assert "/renewal/" not in html and "/paid/" not in html and "/usage/" not in html
    activity = _section(html, "activity")
    assert "Nearly Full KK" in activity and "manager" in activity


def test_finance_sees_none_of_the_contract_work(client_as, work):
    html = client_as(Role.FINANCE).get(reverse("home")).content.decode()
    # Finance's own sections may name these customers (those without billing details: invoicing); the contract's
    # sections are not theirs.
    for key in ("renewal-decisions", "max-users", "trials-ending", "unused-licences", "scheduled"):
        assert f'data-work="{key}"' not in html, key
    assert 'data-work="billing-details"' in html


def test_stale_customers_are_listed_oldest_first_when_no_sync_failed(client_as, db, frozen):
    # The newer customer (the lower id) synced later: "oldest first" must not fall back to id order, as it did on
    # PostgreSQL while the failed-first term was the constant 1 ("order by the first column").
    now = timezone.now()
    _own(
        make_customer(company_name="Synced Two Days Ago KK", synced_at=now - dt.timedelta(days=2)),
        make_customer(company_name="Synced Five Days Ago KK", synced_at=now - dt.timedelta(days=5)),
    )
    html = client_as(Role.ACCOUNT_MANAGER).get(reverse("home")).content.decode()
    stale = _section(html, "stale")
    assert stale.index("Synced Five Days Ago KK") < stale.index("Synced Two Days Ago KK")


def test_a_section_shows_its_count_and_only_its_first_items(client_as, work, db):
    for i in range(8):
        _own(make_customer(company_name=f"Many {i}", member_count=50, max_member_count=50))
    html = client_as(Role.ACCOUNT_MANAGER).get(reverse("home")).content.decode()
    section = _section(html, "max-users")
    assert _count(html, "max-users") == 9
    assert section.count("data-work-item=") == 5
    assert "9 in all" in section


def test_a_section_counts_up_to_the_lists_cap_and_says_more_past_it(client_as, work, db, settings):
    """A section counts as its full list does, up to the lists' cap: past it the home page says "more than"
    (a count of every overdue invoice or of a week's entries would grow with the partner's history)."""
    for i in range(8):
        _own(make_customer(company_name=f"Many {i}", member_count=50, max_member_count=50))
    settings.LIST_COUNT_CAP = 6
    html = client_as(Role.ACCOUNT_MANAGER).get(reverse("home")).content.decode()
    section = _section(html, "max-users")
    assert "data-work-count>More than 6<" in section
    assert "More than 6 in all" in section and section.count("data-work-item=") == 5
    settings.LIST_COUNT_CAP = 9
    html = client_as(Role.ACCOUNT_MANAGER).get(reverse("home")).content.decode()
    assert _count(html, "max-users") == 9  # at the cap exactly: the count itself
    settings.LIST_COUNT_CAP = 2
    html = client_as(Role.ACCOUNT_MANAGER).get(reverse("home"), HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "2件超" in _section(html, "max-users") and "全部で2件超" in _section(html, "max-users")


def test_the_home_page_reads_each_section_once_and_runs_no_query_twice(client_as, work):
    calls = []

    def read(ctx):
        calls.append(ctx)
        return WorkList(1, [WorkItem(customer="Counted KK", text="once")])

    contribute("tests", worklist=[WorkSection(key="counted", title="Counted", read=read)])
    try:
        client = client_as(Role.ACCOUNT_MANAGER)
        client.get(reverse("home"))  # the session's first request loads what every later request reuses
        calls.clear()
        with CaptureQueriesContext(connection) as queries:
            html = client.get(reverse("home")).content.decode()
    finally:
        contribute("tests", worklist=[])
    assert len(calls) == 1 and "Counted KK" in html
    repeated = [sql for sql, n in Counter(q["sql"] for q in queries.captured_queries).items() if n > 1]
    assert repeated == []


def test_decisions_are_only_those_still_possible(account_manager, work):
    days = {item.customer: item.day for _section, item in decisions_for(account_manager)}
    assert days["Renewal Soon KK"] == D(2026, 11, 30)
    assert days["Trial Ending KK"] == D(2026, 11, 25)
    assert days["Trial Grace KK"] == D(2026, 11, 27)
    assert "Renewal Passed KK" not in days and "Trial Long Gone KK" not in days


def test_the_home_page_in_japanese(client_as, work):
    client = client_as(Role.ACCOUNT_MANAGER)
    html = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "更新の判断" in html and "日本時間" in html
    # A kind and what it is read with a full-width colon, as Japanese is written ("事前注文: 新規契約" before).
    scheduled = _section(html, "scheduled")
    assert "事前注文：新規契約" in scheduled and "事前注文: " not in scheduled


def test_finance_sees_the_last_invoice_arrived_or_not_and_findings_to_explain(client_as, db, frozen):
    from billing.models import Finding
    from tests.billing.factories import make_invoice

    client = client_as(Role.FINANCE)
    html = client.get(reverse("home")).content.decode()
    invoice = _section(html, "last-invoice")
    assert "2026-10" in invoice and "Not arrived" in invoice and _count(html, "last-invoice") == 1
    # Not "issued on the 1st of the next month" three weeks after that 1st: the day it was issued, and what to do.
    assert "LINE WORKS issues it on 2026-11-01" in invoice and "Fetch it now" in invoice
    make_invoice(2026, 10, payment_status="UNPAID", total_amount=79_640)
    finding = Finding.objects.create(
        year=2026,
        month=10,
        domain_id=1,
        customer_name="Billed Twice KK",
        kind="licences",
        checked_at=timezone.now(),
    )
    html = client.get(reverse("home")).content.decode()
    invoice = _section(html, "last-invoice")
    assert "Unpaid" in invoice and "79,640" in invoice
    assert reverse("billing:details", args=[2026, 10]) in invoice
    findings = _section(html, "findings")
    assert "Billed Twice KK" in findings and reverse("billing:explain", args=[finding.pk]) in findings
    assert 'data-work="renewal-decisions"' not in html


def test_option_trials_ending_are_decisions(client_as, account_manager, db, frozen):
    from tests.options.factories import make_option

    customer = make_customer(company_name="Option Trial KK")
    make_option(customer, option_product_id="SSTG2", trial=True, plan_end_date=D(2026, 11, 28))
    later = make_customer(company_name="Option Later KK")
    make_option(later, trial=True, plan_end_date=D(2027, 1, 28))
    _own(customer, later, user=account_manager)
    html = client_as(Role.ACCOUNT_MANAGER).get(reverse("home")).content.decode()
    section = _section(html, "option-trials")
    assert "Option Trial KK" in section and "Option Later KK" not in section
    assert reverse("options:renewal", args=[customer.domain_id, "SSTG2"]) in section
    assert ("Option Trial KK", D(2026, 11, 28)) in [
        (i.customer, i.day) for _s, i in decisions_for(account_manager)
    ]


def _more_work(n: int, manager) -> None:
    """`n` more items of each dated section, all on the same first days (a busy day costs what a quiet one does)."""
    from tests.options.factories import make_option, make_order

    for i in range(n):
        renewal = make_customer(company_name=f"More Renewal {i:02}")
        make_subscription(renewal, plan="MONTHLY", plan_end_date=D(2026, 11, 22), renewal_type="CHANGE")
        trial = make_customer(company_name=f"More Trial {i:02}", plan="TRIAL")
        make_subscription(
            trial,
            product_id="STD_T",
            plan="TRIAL",
            plan_end_date=D(2026, 11, 23),
            license_count=None,
            renewal_type="",
        )
        make_option(trial, trial=True, plan_end_date=D(2026, 11, 23))
        make_pre_order(renewal, apply_date=D(2026, 11, 22))
        make_order(trial, apply_date=D(2026, 11, 22))
        _own(renewal, trial, user=manager)


@pytest.mark.parametrize("role", [Role.ACCOUNT_MANAGER, Role.SUPPORT, Role.ADMIN])
def test_each_section_reads_its_first_items_and_count_in_queries_that_do_not_grow(client_as, work, role):
    """Each section reads its first items and its count, however many items it has: the page's queries stay
    the same in number as every dated section gains items on one day, the counts count them all and each
    section still shows its first five, the soonest first."""
    manager = make_persona(Role.ACCOUNT_MANAGER)  # whose customers they are (before anyone signs in)
    client = client_as(role)
    client.get(reverse("home"))

    def read() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as queries:
            html = client.get(reverse("home")).content.decode()
        return len(queries.captured_queries), html

    few, before = read()
    _more_work(12, manager)
    many, html = read()
    # A section with fewer items than it shows is counted by the items read; one with more, by a count up to the
    # lists' cap: one query more for each of the four sections that filled, never one per item.
    assert few <= many <= few + 4
    for key, added in (
        ("renewal-decisions", 12),
        ("trials-ending", 12),
        ("option-trials", 12),
        ("scheduled", 36),  # pre-orders and option orders on the 22nd, changed renewals on the 23rd
    ):
        assert _count(html, key) == _count(before, key) + added, key
        assert _section(html, key).count("data-work-item=") == 5, key
    renewals = _section(html, "renewal-decisions")
    # The term ending first (the 22nd) comes before "Renewal Soon KK" (the 30th), whatever the names.
    assert "More Renewal" in renewals and "Renewal Soon KK" not in renewals
