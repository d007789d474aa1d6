"""Billing: the partner's details, the customers' billing details and the price book (`billing_setup`), and
LINE WORKS' invoice and details of each closed month through billing's own stores (`line_works_months`)."""

from __future__ import annotations

import datetime as dt
import random
from types import SimpleNamespace

from bench.seed.cadence import months_before
from bench.seed.customers import FIRST_DOMAIN, FIRST_SUBSCRIPTION
from bench.seed.people import user_of
from bench.seed.tables import objects_write


def _live() -> list[tuple]:
    """(domainId, company name, domain, code, members, licences, plan) of every customer not removed."""
    from customers.models import Customer

    return list(
        Customer.objects.filter(removed_at=None)
        .order_by("domain_id")
        .values_list(
            "domain_id", "company_name", "domain", "customer_code", "member_count", "license_count", "plan"
        )
    )


def billing_setup(rng: random.Random, today: dt.date, months: int) -> None:
    """The partner's details, billing details for nine customers in ten (one in five in English, one in fifty
    not billed), and the price book: the product and every option from the history's start, the product's
    price raised six months ago, and a customer in a hundred with a price of their own."""
    from billing.models import PriceEntry
    from customers.models import Customer
    from invoicing.models import CustomerBilling, IssuerDetails
    from options import rules as option_rules

    IssuerDetails.objects.update_or_create(
        pk=1,
        defaults={
            "registered_name": "シードパートナー株式会社",
            "address": "東京都千代田区丸の内1-1-1",
            "corporation": True,
            "registration_number": "T7000012050002",
            "bank_account": "みずほ銀行 本店 普通 1234567",
            "payment_terms": "end_of_next_month",
        },
    )
    start = dt.date(*months_before(today, max(1, months))[0], 1)
    finance = user_of("finance")
    entries = [
        PriceEntry(item_id="STD", cost=450, price=600, effective_from=start, created_by=finance),
        PriceEntry(item_id="ADV", cost=800, price=1000, effective_from=start, created_by=finance),
        PriceEntry(
            item_id="STD",
            cost=450,
            price=650,
            effective_from=dt.date(*months_before(today, 6)[0], 1),
            created_by=finance,
        ),
    ]
    entries += [
        PriceEntry(item_id=option_id, cost=200, price=300, effective_from=start, created_by=finance)
        for option_id in option_rules.OPTIONS
    ]
    billings = []
    ids = Customer.objects.order_by("domain_id")
    for domain_id, name, domain in ids.values_list("domain_id", "company_name", "domain"):
        i = domain_id - FIRST_DOMAIN
        if i % 100 == 11:
            entries.append(
                PriceEntry(
                    item_id="STD",
                    domain_id=domain_id,
                    cost=450,
                    price=560,
                    effective_from=start,
                    created_by=finance,
                )
            )
        if i % 10 == 7:
            continue
        billings.append(
            CustomerBilling(
                domain_id=domain_id,
                billed=i % 50 != 3,
                bill_to_name=f"{name} 経理部",
                bill_to_address=f"東京都港区芝公園{i % 9 + 1}-{i % 20 + 1}",
                invoice_email=f"ap@{domain}",
                language="en" if i % 5 == 0 else "ja",
            )
        )
    PriceEntry.objects.bulk_create(entries)
    objects_write(CustomerBilling, billings)


def line_works_months(rng: random.Random, today: dt.date, months: int) -> None:
    """LINE WORKS' invoice of each closed month and its details, through billing's stores (as the partner-wide
    walks store them: the details' month runs its check, which finds what it finds); every month but the last
    closed by Finance after."""
    from django.utils import timezone

    from billing import services
    from billing.models import MonthClosing
    from portal.core import clock

    live, options = _live(), _options_billed()
    chosen = months_before(today, months)
    invoices = []
    for year, month in chosen:
        first = dt.date(year, month, 1)
        last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        details = [
            _details_of(customer, options, first, last) for customer in live if customer[-1] != "TRIAL"
        ]
        used = sum(item.amount for detail in details for item in detail.settlement_items)
        issued = clock.midnight(last + dt.timedelta(days=1))
        services.invoice_month_store(year=year, month=month, remote=details, synced_at=issued)
        invoices.append(_invoice(year, month, used, issued, paid=(year, month) != chosen[-1]))
    for year in sorted({y for y, _m in chosen}):
        services.invoice_year_store(
            year=year, remote=[i for i in invoices if i.invoice_year == year], synced_at=timezone.now()
        )
    finance = user_of("finance")
    MonthClosing.objects.bulk_create(
        MonthClosing(
            year=year,
            month=month,
            closed_at=clock.midnight(dt.date(year, month, 1) + dt.timedelta(days=45)),
            closed_by=finance,
        )
        for year, month in chosen[:-1]
    )


def _options_billed() -> dict[int, list[tuple[str, str, int | None]]]:
    """(option, sub-option, quantity) of each customer's options billed (not on a trial), by domainId."""
    from options.models import Option

    options: dict[int, list[tuple[str, str, int | None]]] = {}
    for domain_id, option_id, sub_id, quantity, trial in Option.objects.values_list(
        "customer_id", "option_product_id", "sub_option_id", "quantity", "trial"
    ):
        if not trial:
            options.setdefault(domain_id, []).append((option_id, sub_id, quantity))
    return options


def _details_of(customer: tuple, options: dict, first: dt.date, last: dt.date) -> SimpleNamespace:
    """One customer's details of a month, as listInvoiceDetails gives them: the product and its options."""
    domain_id, name, domain, code, members, licences, plan = customer
    units = licences or members or 1
    items = [
        SimpleNamespace(
            item_type="PRODUCT",
            item_id="STD",
            sub_item_id="",
            plan=plan,
            start_date=first,
            end_date=last,
            license_count=licences,
            member_count=members,
            quantity=None,
            status="ACTIVE",
            # The month's check finds a cost that differs from the price book for one in 33 customers.
            amount=450 * units + (100 if (domain_id - FIRST_DOMAIN) % 33 == 5 else 0),
            subscription_id=domain_id - FIRST_DOMAIN + FIRST_SUBSCRIPTION,
        )
    ]
    for option_id, sub_id, quantity in options.get(domain_id, []):
        items.append(
            SimpleNamespace(
                item_type="OPTION_PRODUCT",
                item_id=option_id,
                sub_item_id=sub_id,
                plan="ANNUAL_LICENSE",
                start_date=first,
                end_date=last,
                license_count=None,
                member_count=members,
                quantity=quantity,
                status="ACTIVE",
                amount=200 * (quantity or members or 1),
                subscription_id=None,
            )
        )
    return SimpleNamespace(
        domain_id=domain_id, domain=domain, customer_name=name, customer_code=code, settlement_items=items
    )


def _invoice(year: int, month: int, used: int, issued: dt.datetime, *, paid: bool) -> SimpleNamespace:
    """LINE WORKS' invoice of a month, as listInvoices gives it: paid 25 days after it was issued, or not yet."""
    return SimpleNamespace(
        invoice_year=year,
        invoice_month=month,
        invoice_no=year * 100 + month,
        partner_name="シードパートナー株式会社",
        used_amount=used,
        option_plus_amount=0,
        tax_rate=10,
        used_tax_amount=used // 10,
        option_plus_tax_amount=0,
        penalty_amount=0,
        total_amount=used + used // 10,
        payment_status="PAID" if paid else "UNPAID",
        paid_time=issued + dt.timedelta(days=25) if paid else None,
        issued_time=issued,
    )
