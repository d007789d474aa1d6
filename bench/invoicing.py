"""Issuing a month's customer invoices at scale (prints figures; not a test).

``.venv/bin/python -m bench.invoicing [--invoices N]`` (also run by ``make bench``; default 2,000 invoices,
BENCH_INVOICES too). It runs on a database of its own, made afresh: var/bench-invoicing.sqlite3, then a scratch
PostgreSQL database when DATABASE_URL names a server (bench/databases.py); both figures are printed.

N billed customers with billing details, one or two charged items each in one month, the price book and the
partner's details. Measured in the same run, as ratios to the reference, reading the month's billed items once
(`billing.selectors.month_charged_items`: the items and the price book, what every draft is made of):

* the drafts of the month (`invoicing.selectors.ready_drafts`);
* issuing them all (`invoicing.services.month_issue`: drafts, numbers, PDFs, storage), and within it the time
  spent rendering PDFs and the rest (numbering and storing, under the counter's lock);
* one PDF's rendering, as a ratio to the reference and as a share of issuing one invoice;
* the PDFs' size (mean, max, all of them) and a check that the numbers are 1..N, each with its PDF;
* an estimate of issuing 2,000 invoices with N workers: numbering is one at a time (the counter's lock), the
  PDFs are rendered in chunks the workers share (`services.month_pdfs_render`), so the rest as measured plus
  the rendering divided by N (the workers' own cores; this bench is one process and renders every chunk).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import django

REPO = Path(__file__).resolve().parents[1]

if __name__ == "__main__" and not os.environ.get("BENCH_DATABASE_URL"):
    # Once per database (bench/databases.py: SQLite, and PostgreSQL when DATABASE_URL names a server).
    import subprocess

    from bench.databases import targets

    failed = 0
    for label, url in targets("invoicing"):
        print(f"\n--- bench.invoicing on {label} ---", flush=True)
        env = {**os.environ, "BENCH_DATABASE_URL": url}
        failed |= subprocess.run(
            [sys.executable, "-m", "bench.invoicing", *sys.argv[1:]], cwd=REPO, env=env
        ).returncode
    sys.exit(1 if failed else 0)

os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings"
os.environ["DATABASE_URL"] = (
    os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{REPO / 'var' / 'bench-invoicing.sqlite3'}"
)
os.environ["REDIS_URL"] = ""
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
django.setup()

from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.common import company_name, seconds  # noqa: E402

YEAR, MONTH = 2026, 10
PREFIXES = ["株式会社", "有限会社", "", "合同会社"]


def seed(count: int) -> None:
    from billing.models import InvoiceItem
    from customers.models import Customer
    from invoicing.models import CustomerBilling

    rng = random.Random(33)
    now = timezone.now()
    _partner(now)
    customers, billings, items = [], [], []
    for i in range(count):
        customer, billing, mine = _customer(i, rng, now)
        customers.append(customer)
        billings.append(billing)
        items.extend(mine)
    Customer.objects.bulk_create(customers, batch_size=2000)
    CustomerBilling.objects.bulk_create(billings, batch_size=2000)
    InvoiceItem.objects.bulk_create(items, batch_size=2000)


def _partner(now: dt.datetime) -> None:
    """The partner's details, the price book, and LINE WORKS' invoice of the month."""
    from billing.models import Invoice, PriceEntry
    from invoicing.models import IssuerDetails

    IssuerDetails.objects.create(
        pk=1,
        registered_name="ベンチパートナー株式会社",
        address="東京都千代田区丸の内1-1-1",
        corporation=True,
        registration_number="T7000012050002",
        bank_account="みずほ銀行 本店 普通 1234567",
        payment_terms="end_of_next_month",
    )
    PriceEntry.objects.create(item_id="STD", plan="", cost=450, price=600, effective_from=dt.date(2026, 1, 1))
    PriceEntry.objects.create(
        item_id="ACV2", plan="", cost=200, price=300, effective_from=dt.date(2026, 1, 1)
    )
    Invoice.objects.create(
        year=YEAR,
        month=MONTH,
        invoice_no=YEAR * 100 + MONTH,
        partner_name="Bench Partner",
        used_amount=0,
        option_plus_amount=0,
        tax_rate=10,
        used_tax_amount=0,
        option_plus_tax_amount=0,
        penalty_amount=0,
        total_amount=0,
        payment_status="UNPAID",
        synced_at=now,
    )


def _customer(i: int, rng: random.Random, now: dt.datetime) -> tuple:
    """Customer i, its billing details (one in five in English) and its charged items: the product, and the
    option for half of them."""
    from billing.models import ITEM_TYPE_ORDER, InvoiceItem
    from customers.models import Customer
    from invoicing.models import CustomerBilling

    domain_id = 40_000_000 + i
    name = company_name(rng, PREFIXES, i)
    customer = Customer(
        domain_id=domain_id,
        tenant_id=domain_id,
        domain=f"inv{i:05d}.example.jp",
        domain_type="DOMAIN",
        company_name=name,
        customer_code=f"CUST-{i:05d}",
        product_id="STD",
        plan="ANNUAL_LICENSE",
        usage_status="ACTIVE",
        member_count=rng.randint(1, 300),
        synced_at=now,
    )
    customer.refresh_derived()
    billing = CustomerBilling(
        domain_id=domain_id,
        bill_to_name=f"{name} 経理部",
        bill_to_address=f"東京都港区芝公園{i % 9 + 1}-{i % 20 + 1}",
        invoice_email=f"ap@inv{i:05d}.example.jp",
        language="en" if i % 5 == 0 else "ja",
    )
    common = {
        "year": YEAR,
        "month": MONTH,
        "domain_id": domain_id,
        "domain": customer.domain,
        "customer_name": name,
        "customer_code": customer.customer_code,
        "start_date": dt.date(YEAR, MONTH, 1),
        "end_date": dt.date(YEAR, MONTH, 31),
        "synced_at": now,
    }
    licences = rng.randint(5, 300)
    items = [
        InvoiceItem(
            **common,
            position=0,
            item_type="PRODUCT",
            type_order=ITEM_TYPE_ORDER["PRODUCT"],
            item_id="STD",
            plan="ANNUAL_LICENSE",
            license_count=licences,
            member_count=customer.member_count,
            amount=450 * licences,
        )
    ]
    if rng.random() < 0.5:
        items.append(
            InvoiceItem(
                **common,
                position=1,
                item_type="OPTION_PRODUCT",
                type_order=ITEM_TYPE_ORDER["OPTION_PRODUCT"],
                item_id="ACV2",
                sub_item_id="ACV201",
                plan="MONTHLY",
                member_count=customer.member_count,
                amount=200 * customer.member_count,
            )
        )
    return customer, billing, items


@dataclass
class _Figures:
    """What one run measured, in seconds but the PDFs' sizes (bytes) and the invoices' numbers."""

    count: int
    items: int
    reference: float
    drafts: float
    issuing: float
    rendering: list[float]
    numbers: list[int]
    sizes: list[int]
    fonts: list[tuple[str, list[tuple[float, int]]]]

    def ratio(self, seconds: float) -> str:
        return f"{seconds / self.reference:8.1f} x" if self.reference else "       - "


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.invoicing")
    parser.add_argument("--invoices", type=int, default=int(os.environ.get("BENCH_INVOICES", "2000")))
    count = parser.parse_args().invoices

    call_command("migrate", verbosity=0)
    from accounts.services import user_create_with_role
    from billing.selectors import month_charged_items
    from invoicing import selectors
    from invoicing.models import IssuedInvoice
    from portal.core import clock
    from portal.core.access import Role

    user = user_create_with_role(username="bench-finance", password="bench-pass-123", role=Role.FINANCE)
    t0 = time.perf_counter()
    seed(count)
    print(f"seeded {count:,} billed customers in {time.perf_counter() - t0:.1f} s")
    reference = statistics.median(
        seconds(lambda: month_charged_items(user=user, year=YEAR, month=MONTH)) for _ in range(5)
    )
    items = len(month_charged_items(user=user, year=YEAR, month=MONTH))
    today = clock.today()
    drafts_time = statistics.median(
        seconds(lambda: selectors.ready_drafts(user=user, year=YEAR, month=MONTH, issue_date=today))
        for _ in range(3)
    )
    issuing, rendering = _issue_timed(user, count)
    numbers = list(IssuedInvoice.objects.order_by("number").values_list("number", flat=True))
    fonts = _fonts_compared(list(IssuedInvoice.objects.order_by("number")[:10]))
    sizes = [
        invoice.pdf.size for invoice in IssuedInvoice.objects.exclude(pdf_sha256="").only("pdf").iterator()
    ]
    return _report(_Figures(count, items, reference, drafts_time, issuing, rendering, numbers, sizes, fonts))


def _issue_timed(user, count: int) -> tuple[float, list[float]]:
    """Issuing the month (`services.month_issue`), timed: its seconds, and each PDF's rendering within it."""
    from invoicing import document, services
    from invoicing.models import IssueRun
    from portal.celery import app

    rendering: list[float] = []
    render = document.invoice_pdf

    def timed_render(invoice):
        start = time.perf_counter()
        try:
            return render(invoice)
        finally:
            rendering.append(time.perf_counter() - start)

    document.invoice_pdf = timed_render
    # The chunks queued for other workers go nowhere (this process, alone, renders them all).
    app.conf.update(broker_url="memory://localhost/", result_backend="cache+memory://")
    run = IssueRun.objects.create(year=YEAR, month=MONTH, requested_by=user, total=count)
    try:
        return seconds(lambda: services.month_issue(run_id=run.pk)), rendering
    finally:
        document.invoice_pdf = render


def _fonts_compared(sample: list) -> list[tuple[str, list[tuple[float, int]]]]:
    """The same invoices rendered as before the per-document fonts (the system's whole collections, which
    WeasyPrint embeds with every glyph id up to the highest used), in this run: the fonts' share. (seconds,
    bytes) of each, with the system's fonts and with its own."""
    from invoicing import document, pdf_fonts

    subset = pdf_fonts.subset
    pdf_fonts.subset = lambda weight, characters: None
    try:
        system_fonts = [
            (seconds(lambda i=i: document.invoice_pdf(i)), len(document.invoice_pdf(i))) for i in sample
        ]
    finally:
        pdf_fonts.subset = subset
    own_fonts = [(seconds(lambda i=i: document.invoice_pdf(i)), len(document.invoice_pdf(i))) for i in sample]
    return [("with the system's fonts (before)", system_fonts), ("with its own fonts", own_fonts)]


def _report(f: _Figures) -> int:
    """The figures as ratios to the reference; 0 when the numbers run 1..N without a gap, each with its PDF."""
    ratio, issuing, count = f.ratio, f.issuing, f.count
    pdf_total = sum(f.rendering)
    rest = issuing - pdf_total
    per_pdf = statistics.mean(f.rendering) if f.rendering else 0.0
    print(
        f"reference: reading the month's {f.items:,} billed items once (priced) = 1.0 x "
        f"({f.reference * 1000:.1f} ms; issuing took {issuing:.1f} s)"
    )
    print(f"{'the month drafts (' + str(count) + ' customers)':48} {ratio(f.drafts)}")
    print(f"{'issuing all (drafts, numbers, PDFs, storage)':48} {ratio(issuing)}")
    print(f"{'  of which rendering the PDFs':48} {ratio(pdf_total)}  ({pdf_total / issuing:.0%} of issuing)")
    print(f"{'  of which the rest (drafts, numbering, storing)':48} {ratio(rest)}")
    print(
        f"{'one PDF rendered':48} {ratio(per_pdf)}  "
        f"({per_pdf / (issuing / max(len(f.numbers), 1)):.0%} of issuing one invoice)"
    )
    for label, rows in f.fonts if f.fonts[0][1] else ():
        mean_time = statistics.mean(t for t, _size in rows)
        mean_size = statistics.mean(size for _t, size in rows)
        print(f"{'  one PDF ' + label:48} {ratio(mean_time)}  ({mean_size / 1024:.0f} kB)")
    if f.sizes:
        print(
            f"PDF size: mean {statistics.mean(f.sizes) / 1024:.0f} kB, max {max(f.sizes) / 1024:.0f} kB, "
            f"all {sum(f.sizes) / 1024 / 1024:.1f} MB for {len(f.sizes):,} invoices"
        )
    per_invoice_rest = rest / max(len(f.numbers), 1)
    for workers in (1, 2, 4, 8):
        estimate = 2000 * (per_invoice_rest + per_pdf / workers)
        print(
            f"{'2,000 invoices with ' + str(workers) + ' worker' + ('s' if workers > 1 else '') + ' (estimate)':48}"
            f" {ratio(estimate)}  ({estimate / 60:.1f} min)"
        )
    ok = f.numbers == list(range(1, count + 1)) and len(f.sizes) == count
    print(f"numbers 1..{count:,} without a gap, each with its PDF: {'yes' if ok else 'NO'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
