"""Finance's month of customer invoices end to end, on the sandbox's own seed and a real Celery worker (prints
figures; not a test): issue, render the PDFs, send them all by e-mail, and file the month (its sales journal).

``.venv/bin/python -m bench.invoicing_month`` (``make bench`` runs it too). The sandbox is seeded as `make run`
seeds it (BENCH_CUSTOMERS, default 200 customers, seed 1), the portal reads its customers (a full resync) and
the last closed month's invoice details (the partner-wide fetch), as it does each month. Then Finance's
one-time setup, not measured: the partner's details, the price book (each billed item at its partner price
plus 25 %), and billing details for every billed customer (an e-mail for invoices each, a fifth in English).

A real Celery worker (``celery -A portal worker -c 2``, as `make run` starts it; BENCH_WORKER_CONCURRENCY) on
Redis (BENCH_REDIS_URL, default database 11 of the local server, emptied first) does the work the pages queue:
``month_issue_request`` (the task numbers every invoice, then the PDFs are rendered in chunks both processes
share) and ``month_send_request`` (each invoice with its PDF, over Django's file backend into a scratch folder).
Measured in the same run, next to the reference, reading the month's billed items once
(`billing.selectors.month_charged_items`):

* issuing: from the request to the run finished with every PDF stored (per invoice too);
* sending: from the request to the run finished, every message written (per invoice too);
* filing: the month's sales journal for Yayoi (Shift_JIS), and finding each invoice by date, amount and
  customer in the issued-invoice search (its three keys);
* the whole month, and a check: numbers 1..N without a gap, each with its PDF, each sent once, N messages.

It runs on its own SQLite file, then a scratch PostgreSQL database when DATABASE_URL names a server
(bench/databases.py), each with its own sandbox and worker.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
CUSTOMERS = int(os.environ.get("BENCH_CUSTOMERS", "200"))
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")
CONCURRENCY = os.environ.get("BENCH_WORKER_CONCURRENCY", "2")

if __name__ == "__main__" and not os.environ.get("BENCH_DATABASE_URL"):
    from bench.databases import targets

    failed = 0
    for label, url in targets("invoicing-month"):
        print(f"\n--- bench.invoicing_month on {label} ---", flush=True)
        env = {**os.environ, "BENCH_DATABASE_URL": url}
        failed |= subprocess.run(
            [sys.executable, "-m", "bench.invoicing_month"], cwd=REPO, env=env
        ).returncode
    sys.exit(1 if failed else 0)


def _wait(what: str, done, timeout: float = 3600) -> float:
    """Seconds until `done()` is true (polled as the page polls, more often)."""
    start = time.perf_counter()
    while not done():
        if time.perf_counter() - start > timeout:
            raise SystemExit(f"{what}: not finished after {timeout:.0f} s")
        time.sleep(0.2)
    return time.perf_counter() - start


def main() -> int:
    from sandbox.testing import start_sandbox

    t0 = time.perf_counter()
    sandbox = start_sandbox(seed_customers=CUSTOMERS, seed=1, rate_limit=1200)
    print(f"sandbox seeded with {CUSTOMERS} customers (seed 1) in {time.perf_counter() - t0:.1f} s")
    mail_dir = Path(tempfile.mkdtemp(prefix="bench-invoice-mail-"))
    env = _env(sandbox, mail_dir)
    os.environ.update(env)
    worker = None
    try:
        finance, year, month, billed = _portal_ready(sandbox)
        worker = _worker_started(env, mail_dir)
        return _report(_month_timed(finance, year, month, mail_dir), billed)
    finally:
        if worker is not None:
            worker.terminate()
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
        sandbox.stop()
        shutil.rmtree(mail_dir, ignore_errors=True)


def _env(sandbox, mail_dir: Path) -> dict[str, str]:
    """The portal's settings, for this process and the worker: on the sandbox, mail written to `mail_dir`."""
    from bench.portal_env import portal_on

    return {
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DATABASE_URL": os.environ["BENCH_DATABASE_URL"],
        "REDIS_URL": REDIS,
        "LOG_LEVEL": "WARNING",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
        **portal_on(sandbox, rate_limit=1200),
    }


def _portal_ready(sandbox) -> tuple:
    """The portal migrated, its customers and the last closed month's details read from the sandbox, and
    Finance's setup made: (Finance's user, the month's year and month, how many customers are billed)."""
    import django

    django.setup()
    import redis
    from django.core.cache import cache
    from django.core.management import call_command

    from accounts.services import user_create_with_role
    from billing import rules
    from portal.core import sync
    from portal.core.access import Role

    redis.Redis.from_url(REDIS).flushdb()
    call_command("migrate", verbosity=0)
    cache.clear()
    t0 = time.perf_counter()
    full = sync.resync_full()
    today = dt.date.fromisoformat(sandbox.clock()["today"])
    year, month = rules.last_closed_month(today)
    sync.resync_partner_wide_fresh()  # the last closed month's invoices and their details, as beat does
    print(
        f"portal read {full.done} customers and the invoice details of {year}-{month:02d} "
        f"in {time.perf_counter() - t0:.1f} s"
    )
    finance = user_create_with_role(username="bench-finance", password="bench-pass-123", role=Role.FINANCE)
    return finance, year, month, _finance_setup(year=year, month=month)


def _worker_started(env: dict[str, str], mail_dir: Path) -> subprocess.Popen:
    """A Celery worker as `make run` starts it, answering a ping."""
    from portal.celery import app

    worker_log = mail_dir.parent / f"{mail_dir.name}-worker.log"
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "portal", "worker", "-c", CONCURRENCY, "--without-gossip",
         "--without-mingle"],
        cwd=REPO,
        env={**os.environ, **env},
        stdout=worker_log.open("w"),
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    _wait("the worker", lambda: worker.poll() is not None or bool(app.control.ping(timeout=1)), 180)
    if worker.poll() is not None:
        raise SystemExit(f"the worker did not start:\n{worker_log.read_text()[-2000:]}")
    return worker


@dataclass
class _Month:
    """What the month measured (seconds) and what it left."""

    year: int
    month: int
    finance: Any
    reference: float
    items: int
    issuing: float
    sending: float
    filing: float
    search: float
    count: int
    numbers: list[int]
    with_pdf: int
    sent: int
    messages: int
    failed: int


def _month_timed(finance, year: int, month: int, mail_dir: Path) -> _Month:
    """The month issued, sent and filed through the worker, each step timed, beside the reference."""
    from bench.common import seconds
    from billing.selectors import month_charged_items
    from invoicing import exports, services
    from invoicing.models import InvoiceSending, IssuedInvoice, IssueRun, SendRun
    from portal.core.csv_export import encoded_csv
    from portal.core.downloads import SHIFT_JIS

    reference = min(
        seconds(lambda: month_charged_items(user=finance, year=year, month=month)) for _ in range(5)
    )
    items = len(month_charged_items(user=finance, year=year, month=month))
    started = time.perf_counter()
    run = services.month_issue_request(user=finance, year=year, month=month)
    _wait("issuing", lambda: IssueRun.objects.filter(pk=run.pk).exclude(finished_at=None).exists())
    issuing = time.perf_counter() - started
    count = IssuedInvoice.objects.filter(year=year, month=month).count()
    started = time.perf_counter()
    send_run = services.month_send_request(user=finance, year=year, month=month)
    _wait("sending", lambda: SendRun.objects.filter(pk=send_run.pk).exclude(finished_at=None).exists())
    sending = time.perf_counter() - started

    def file_month():
        table = exports.sales_journal_table(user=finance, year=year, month=month)
        assert table is not None
        encoded_csv([str(h) for h in table.header], table.rows, encoding=SHIFT_JIS, header_row=False)

    filing = seconds(file_month)
    search = seconds(lambda: _find_each(finance, year, month))
    send_run.refresh_from_db()
    return _Month(
        year=year,
        month=month,
        finance=finance,
        reference=reference,
        items=items,
        issuing=issuing,
        sending=sending,
        filing=filing,
        search=search,
        count=count,
        numbers=sorted(IssuedInvoice.objects.values_list("number", flat=True)),
        with_pdf=IssuedInvoice.objects.exclude(pdf_sha256="").count(),
        sent=InvoiceSending.objects.filter(outcome="sent").values("invoice_id").distinct().count(),
        # The file backend writes each connection's messages to one file: count the messages, not the files.
        messages=sum(f.read_text(errors="replace").count("\nMessage-ID: ") for f in mail_dir.glob("*.log")),
        failed=send_run.failed,
    )


def _report(m: _Month, billed: int) -> int:
    """The steps beside the reference; 0 when numbers run 1..N, each with its PDF, sent once, N messages."""
    from invoicing import selectors

    def ratio(seconds: float) -> str:
        return f"{seconds / m.reference:9.0f} x" if m.reference else "        - "

    total = m.issuing + m.sending + m.filing
    print(
        f"reference: reading the month's {m.items:,} billed items once (priced) = 1 x ({m.reference * 1000:.1f} ms)"
    )
    print(f"{billed} billed customers with billing details, {m.count} invoices issued")
    blocked = Counter(
        reason
        for draft in selectors.month_drafts(user=m.finance, year=m.year, month=m.month).drafts
        if draft.issued_number is None
        for reason in draft.blocked
    )
    for reason, n in blocked.most_common():
        print(f"  not issued ({n}): {reason}")
    rows = [
        ("issuing (numbers, PDFs, storage; worker)", m.issuing),
        ("sending all by e-mail with PDFs (worker)", m.sending),
        ("filing: the sales journal (Shift_JIS)", m.filing),
        ("finding each invoice by date, amount, customer", m.search),
        ("the month: issue, send, file", total),
    ]
    print(f"{'step':50} {'vs reference':>12} {'elapsed':>10} {'per invoice':>12}")
    for label, seconds in rows:
        per = seconds / max(m.count, 1)
        print(f"{label:50} {ratio(seconds)} {seconds:9.1f}s {per * 1000:10.0f}ms")
    print(f"the month took {total / 60:.1f} min for {m.count} invoices")
    count = m.count
    ok = (
        m.numbers == list(range(1, count + 1))
        and m.with_pdf == count
        and m.sent == count
        and m.messages == count
        and m.failed == 0
    )
    print(
        f"numbers 1..{count} without a gap, each with its PDF, each sent once, {m.messages} messages written: "
        f"{'yes' if ok else 'NO'}"
    )
    return 0 if ok else 1


def _finance_setup(*, year: int, month: int) -> int:
    """What Finance enters once: the partner's details, the price book, each billed customer's billing details.
    Returns how many customers are billed."""
    from billing.models import InvoiceItem, PriceEntry
    from invoicing.models import CustomerBilling, IssuerDetails

    IssuerDetails.objects.update_or_create(
        pk=1,
        defaults={
            "registered_name": "ベンチパートナー株式会社",
            "address": "東京都千代田区丸の内1-1-1",
            "corporation": True,
            "registration_number": "T7000012050002",
            "bank_account": "みずほ銀行 本店 普通 1234567",
            "payment_terms": "end_of_next_month",
        },
    )
    items = InvoiceItem.objects.filter(year=year, month=month)
    priced = set()
    for item_id, amount, count in items.values_list("item_id", "amount", "license_count").order_by("item_id"):
        key = item_id
        if not key or key in priced:
            continue
        priced.add(key)
        unit = max(int((amount or 0) / (count or 1)), 100)
        PriceEntry.objects.create(
            item_id=key, plan="", cost=unit, price=unit * 5 // 4, effective_from=dt.date(2020, 1, 1)
        )
    billed = list(items.values_list("domain_id", "customer_name").order_by("domain_id").distinct())
    CustomerBilling.objects.bulk_create(
        [
            CustomerBilling(
                domain_id=domain_id,
                bill_to_name=f"{name or domain_id} 経理部",
                bill_to_address="東京都港区芝公園1-1",
                invoice_email=f"ap-{domain_id}@example.jp",
                language="en" if i % 5 == 0 else "ja",
            )
            for i, (domain_id, name) in enumerate(billed)
        ],
        ignore_conflicts=True,
    )
    return len({d for d, _n in billed})


def _find_each(user, year: int, month: int) -> None:
    """Each issued invoice found by the search's three keys: its issue date, its total as the range, its
    customer (as Finance types it: the domain)."""
    from invoicing import selectors
    from invoicing.models import IssuedInvoice

    for invoice in IssuedInvoice.objects.filter(year=year, month=month):
        found = selectors.issued_list(
            user=user,
            filters=selectors.IssuedFilters(
                issued_from=invoice.issue_date,
                issued_to=invoice.issue_date,
                total_min=invoice.total,
                total_max=invoice.total,
                q=str(invoice.domain_id),
            ),
        )
        assert invoice.number in found.values_list("number", flat=True), invoice.number


if __name__ == "__main__":
    sys.exit(main())
