"""No code where a person reads: no operationId, enum value, API field name or internal key of the portal is
visible text on any page, in any export's cells (outside the columns that carry the code for machines), in the
morning digest or in the calendar feed, in English or in Japanese.

What is searched for is read from the contract and from the apps, never listed by hand: every operationId of
contract/openapi.yaml, every value of every enum its schemas declare, every field name of its schemas spelt as
the wire spells it (domainId, licenseCount), the operation names the apps contribute (portal.createUser) and the
names of the resyncs they declare (billing.invoice_details). A code may stand in an attribute a machine reads or
a URL (a link's query, a data- attribute), not in what the page shows, nor in what it shows on hover or reads
out (a title, an aria-label: an operationId beside its words on hover is a code a person reads).

The world is what the browser tests meet and more: a sandbox of 40 customers read by a full resync, a one-customer
refresh and a billing month fetched (the Sync page after each), one operation page of every declared change in
every state, an Activity row of every operation, option trials and decisions due (the home page, the digest and
the feed), an invoice item of every type, customer invoices of every kind and state (tests/invoicing/every_kind.py);
the pages are every page an Admin, an Account manager, Finance and Support reach by links, every change form
posted empty and posted as offered (its confirmation page), and every page's downloads, in both languages.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import uuid
from functools import cache
from urllib.parse import urlsplit

import pytest
from django.test import Client

from portal.core.access import Role
from tests.fixtures.downloads import body, csv_of, sheet_of
from tests.fixtures.personas import make_persona
from tests.fixtures.sandbox import sandbox_of_its_own
from tests.partner_api.contract import spec as contract_spec

pytestmark = pytest.mark.django_db(transaction=True)

LANGUAGES = ("en", "ja")


# --- What a person must not read ------------------------------------------------------------------------------


def _schema_walk(node, found: dict[str, set[str]]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "enum" and isinstance(value, list):
                found["enums"].update(str(v) for v in value if isinstance(v, str))
            elif key == "properties" and isinstance(value, dict):
                found["fields"].update(name for name in value if re.search(r"[a-z][A-Z]", name))
            _schema_walk(value, found)
    elif isinstance(node, list):
        for value in node:
            _schema_walk(value, found)


@cache
def contract_codes() -> dict[str, frozenset[str]]:
    """The contract's operationIds, its schemas' enum values and its camelCase field names."""
    spec = contract_spec()
    operations = {
        operation["operationId"]
        for methods in spec["paths"].values()
        for operation in methods.values()
        if isinstance(operation, dict) and "operationId" in operation
    }
    found: dict[str, set[str]] = {"enums": set(), "fields": set()}
    _schema_walk(spec["components"]["schemas"], found)
    for methods in spec["paths"].values():
        _schema_walk(methods, found)
    # A sort order's value ("name asc") and the OAuth response types are not words of the API's data.
    enums = {v for v in found["enums"] if " " not in v and v not in {"code"}}
    return {
        "operations": frozenset(operations),
        "enums": frozenset(enums),
        "fields": frozenset(found["fields"]),
    }


def portal_keys() -> set[str]:
    """The portal's own keys: operations the apps name (portal.createUser) and resyncs they declare."""
    from portal.core.contrib import contributions
    from portal.core.operations import operation_labels

    names = {getattr(d, "name", "") for d in contributions("resyncs")}
    return {key for key in [*operation_labels(), *names] if key}


@cache
def code_pattern() -> re.Pattern[str]:
    """One pattern of every code, longest first (built once: it is matched against every page and file)."""
    codes = contract_codes()
    every = set(codes["operations"]) | set(codes["enums"]) | set(codes["fields"]) | portal_keys()
    alternatives = "|".join(re.escape(c) for c in sorted(every, key=len, reverse=True))
    return re.compile(rf"(?<![\w.])({alternatives})(?![\w-]|\.\w)")


#: The product's own name holds one of the API's values (the product group WORKS).
PRODUCT_NAME = re.compile(r"LINE[ \u00a0]WORKS")


def codes_in(text: str) -> list[str]:
    """Each bare code in `text`, with a little of the text around it."""
    text = PRODUCT_NAME.sub("LINE_PRODUCT", text)
    return [
        " ".join(text[max(0, m.start() - 30) : m.end() + 30].split()) + f"  [{m.group(1)}]"
        for m in code_pattern().finditer(text)
    ]


HIDDEN = re.compile(r"<(script|style|template)\b.*?</\1>|<!--.*?-->", re.IGNORECASE | re.DOTALL)
#: Attributes whose words people read: what an empty field shows, what shows on hover, what is read out.
READ_ATTRIBUTES = re.compile(r"""\b(?:placeholder|title|aria-label)="([^"]*)\"""")


def visible_text(document: str) -> str:
    """What the page shows: its text (the title included), what placeholders show in empty fields, what shows on
    hover (title) and what is read out (aria-label); not its other attributes or URLs."""
    shown = HIDDEN.sub(" ", document)
    attributes = " \n ".join(READ_ATTRIBUTES.findall(shown))
    shown = re.sub(r"<[^>]*>", "\n", shown)
    return html.unescape(shown + "\n" + attributes)


def test_the_finder_reads_codes_from_the_contract_and_finds_them_only_where_people_read():
    codes = contract_codes()
    assert {"createCustomer", "transferPotentialCustomer", "listSubscriptions"} <= codes["operations"]
    assert {
        "ADV",
        "ACV2",
        "ACV201",
        "DRV_PS",
        "PRODUCT",
        "OPTION_PRODUCT",
        "ANNUAL_LICENSE",
        "MONTHLY",
    } <= codes["enums"]
    assert {"domainId", "tenantId"} <= codes["fields"]
    page = (
        '<title>Add a customer</title><p data-operation="createCustomer">Add a customer</p>'
        '<a href="/options/?sub_option_id=DRV_PS">Drive Plus</a><p>LINE WORKS</p>'
    )
    assert codes_in(visible_text(page)) == []
    for shown in (
        "<p>createCustomer 待機中</p>",
        "<td>ACV2 ACV201</td>",
        "<dt>domainId</dt>",
        "<p>(for STD)</p>",
    ):
        assert codes_in(visible_text(shown)), shown
    assert codes_in(visible_text('<input placeholder="Company or domainId">'))
    assert codes_in(visible_text('<span title="createCustomer">Add a customer</span>'))
    assert codes_in(visible_text('<nav aria-label="listSubscriptions">'))
    assert codes_in("顧客1件 billing.invoice_details:month=10,year=2026")


# --- The world ------------------------------------------------------------------------------------------------


# 40 seeded customers: options of every kind, Trial and paid subscriptions, orders, an invoice month.
own_sandbox = sandbox_of_its_own(seed_customers=40, seed=21)


def _stated(change, customer_id: int) -> list[str]:
    try:
        return [str(s) for s in change.side_effects({"domain_id": customer_id})]
    except (KeyError, TypeError):
        return []


def _every_operation_state(customer_id: int, user) -> list[str]:
    """An operation of every declared change in every state (and an unknown, a refused and a superseded one with
    the words the pipeline gives them), and an audit entry of every operation the contract and the apps name;
    the ids of the operations."""
    from partner_api.errors import ServerError
    from portal.core import services
    from portal.core.changes.engine import refusal_from
    from portal.core.contrib import contributions
    from portal.core.models import AuditEntry, Operation

    ids = []
    for change in contributions("changes"):
        for status in Operation.Status.values:
            error = ""
            if status in (Operation.Status.FAILED, Operation.Status.UNKNOWN):
                error = refusal_from(ServerError(operation_id=change.operation_id, status=503)).text
            operation = Operation.objects.create(
                idempotency_key=str(uuid.uuid4()),
                kind=change.operation_id,
                domain_id=None if change.operation_id == "createCustomer" else customer_id,
                requested_by=user,
                status=status,
                error=error,
                params={"side_effects": _stated(change, customer_id)},
            )
            ids.append(str(operation.pk))
    for operation_id in sorted(contract_codes()["operations"] | portal_keys()):
        if "." in operation_id and not operation_id.startswith("portal."):
            continue  # a resync's name
        services.audit_record(
            actor=user,
            operation_id=operation_id,
            outcome=AuditEntry.Outcome.SUCCEEDED,
            domain_id=customer_id,
            reason="Ticket 42",
        )
    return ids


def _rows_of_every_kind(today: dt.date, year: int, month: int) -> None:
    """What the seed may lack, from the vocabulary: an option of every sub option (a Trial one ending within the
    digest's week), a customer of every tenant language, a subscription of every product, plan, status and
    renewal, an invoice item of every type of every product and sub option, and the month's findings."""
    from billing.models import Invoice
    from billing.services import finding_month_check
    from options.rules import SUB_OPTIONS
    from portal.core import vocabulary as v
    from tests.billing.factories import make_invoice, make_item
    from tests.customers.factories import make_customer
    from tests.options.factories import make_option
    from tests.subscriptions.factories import make_subscription

    for n, sub in enumerate(SUB_OPTIONS.values()):
        customer = make_customer(
            company_name=f"Words {sub.sub_option_id.title()} K.K.",
            product_id=sub.products[0],
            locale=v.Locale.values[n % len(v.Locale.values)],
        )
        make_subscription(
            customer,
            product_id=sub.products[0],
            plan=v.Plan.TRIAL if sub.trial else v.PAID_PLANS[n % len(v.PAID_PLANS)],
            status=v.SubscriptionStatus.values[n % 2],
            renewal_type="" if sub.trial else v.RenewalType.values[n % 3],
            renewal_product_id="ADV" if n % 3 == 1 else "",
            renewal_plan="MONTHLY" if n % 3 == 1 else "",
        )
        make_option(
            customer,
            option_product_id=sub.option_product_id,
            sub_option_id=sub.sub_option_id,
            trial=sub.trial,
            plan=v.Plan.TRIAL if sub.trial else v.Plan.MONTHLY,
            plan_start_date=today - dt.timedelta(days=20),
            plan_end_date=today + dt.timedelta(days=3 if sub.trial else 200),
            quantity=1 if sub.quantity else None,
            renewal_type="" if sub.trial else v.OptionRenewalType.CHANGE,
            renewal_sub_option_id="" if sub.trial else sub.sub_option_id,
        )
    billed = make_customer(company_name="Words Billing K.K.", product_id="ADV", plan="ANNUAL_LICENSE")
    if not Invoice.objects.filter(year=year, month=month).exists():
        make_invoice(year=year, month=month)
    items = [
        *((p, "") for p in v.Product.values),
        *((s.option_product_id, s.sub_option_id) for s in SUB_OPTIONS.values()),
    ]
    for n, item_type in enumerate(v.ItemType.values):
        for m, (item_id, sub_item) in enumerate(items):
            make_item(
                billed,
                year=year,
                month=month,
                item_type=item_type,
                item_id=item_id,
                sub_item_id=sub_item,
                plan=v.Plan.values[(n + m) % len(v.Plan.values)],
                status=v.UsageState.values[m % len(v.UsageState.values)],
            )
    _price_book_and_a_closed_month(billed, year, month)
    finding_month_check(year=year, month=month)


def _price_book_and_a_closed_month(billed, year: int, month: int) -> tuple[int, int]:
    """Prices of a product, an option and one customer's override (the price book, costs that differ: findings
    about a product or option), a finding of every kind in the month before, which Finance closed, and a close
    and reopen of the world's month (its page lists them)."""
    from django.utils import timezone

    from billing.models import Finding, Invoice, MonthClosing, PriceEntry
    from billing.rules import months_back
    from tests.billing.factories import make_invoice

    earlier_year, earlier_month = months_back(year, month, 2)[0]
    since = dt.date(earlier_year, earlier_month, 1)
    PriceEntry.objects.create(item_id="STD", plan="ANNUAL_LICENSE", cost=1, price=2, effective_from=since)
    PriceEntry.objects.create(item_id="ACV2", plan="", cost=1, price=2, effective_from=since)
    PriceEntry.objects.create(
        item_id="ADV", plan="MONTHLY", domain_id=billed.domain_id, cost=1, price=2, effective_from=since
    )
    if not Invoice.objects.filter(year=earlier_year, month=earlier_month).exists():
        make_invoice(year=earlier_year, month=earlier_month)
    subjects = {
        Finding.Kind.COST: f"ACV2:{since.isoformat()}",
        Finding.Kind.QUANTITY: "DRV",
        Finding.Kind.ACTIVE_NOT_BILLED: "ADV",
        Finding.Kind.LICENCES: "1",
        Finding.Kind.PERIOD: f"1:{since.isoformat()}",
        Finding.Kind.BILLED_NOT_ACTIVE: "customer",
        Finding.Kind.ARITHMETIC: "total",
    }
    expected = {Finding.Kind.ACTIVE_NOT_BILLED: "ADV ANNUAL_LICENSE", Finding.Kind.PERIOD: since.isoformat()}
    for kind, subject in subjects.items():
        Finding.objects.create(
            year=earlier_year,
            month=earlier_month,
            domain_id=0 if kind == Finding.Kind.ARITHMETIC else billed.domain_id,
            customer_name=billed.company_name,
            kind=kind,
            subject=subject,
            expected=expected.get(kind, "2"),
            billed="3",
            explained=kind == Finding.Kind.COST,
            note="Credit note 42",
            checked_at=timezone.now(),
        )
    now = timezone.now()
    MonthClosing.objects.create(year=earlier_year, month=earlier_month, closed_at=now)
    MonthClosing.objects.create(
        year=year, month=month, closed_at=now, reopened_at=now, reopen_reason="Credit note 42"
    )
    return earlier_year, earlier_month


@pytest.fixture
def world(own_sandbox, portal_api, monkeypatch):
    """The sandbox's customers resynced, a month of invoices fetched, one customer refreshed (each a Sync page
    row), a failed walk, and rows of every kind the seed may lack (see the module's docstring)."""
    from billing.rules import INVOICE_DETAILS, INVOICES, last_closed_month
    from customers.models import Customer
    from portal.core import sync
    from portal.core.models import SyncRun
    from tests.fixtures.portal_api import pin_business_today, quick_retries

    quick_retries(monkeypatch)
    portal_api(own_sandbox)
    today = own_sandbox.today()
    pin_business_today(monkeypatch, today)
    assert sync.resync_full().status == "succeeded"
    first = Customer.objects.order_by("domain_id").first()
    assert sync.resync_customer(domain_id=first.domain_id).status == "succeeded"
    year, month = last_closed_month(today)
    sync.resync_partner_wide(name=INVOICES, params={"year": year})
    sync.resync_partner_wide(name=INVOICE_DETAILS, params={"year": year, "month": month})
    own_sandbox.set_fault("listInvoices", errorRate=1, errorStatus=503, remaining=20)
    failed = sync.resync_partner_wide(name=INVOICES, params={"year": year - 1})
    own_sandbox.clear_faults()
    assert failed.status == SyncRun.Status.FAILED

    manager = make_persona(Role.ACCOUNT_MANAGER, username="words-manager")
    manager.first_name, manager.last_name, manager.email = "太郎", "新人", "taro@example.com"
    manager.save()
    admin = make_persona(Role.ADMIN, username="words-admin")
    finance = make_persona(Role.FINANCE, username="words-finance")
    support = make_persona(Role.SUPPORT, username="words-support")
    _rows_of_every_kind(today, year, month)
    operations = _every_operation_state(first.domain_id, manager)
    from tests.invoicing.every_kind import invoices_of_every_kind

    invoice_pages = invoices_of_every_kind(user=finance, today=today, year=year, month=month)["pages"]
    # Every customer is the Account manager's: their home page, digest and feed hold every kind of work.
    from customers.models import CustomerOwner

    CustomerOwner.objects.bulk_create(
        [
            CustomerOwner(customer_id=pk, account_manager=manager)
            for pk in Customer.objects.values_list("pk", flat=True)
        ],
        ignore_conflicts=True,
    )
    return {
        "today": today,
        "year": year,
        "month": month,
        "manager": manager,
        "admin": admin,
        "finance": finance,
        "support": support,
        "operations": operations,
        "customer": first,
        "invoice_pages": invoice_pages,
    }


# --- Reading what people read ---------------------------------------------------------------------------------

FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.IGNORECASE | re.DOTALL)
ATTR = re.compile(r'([\w-]+)(?:="([^"]*)")?')
INPUT = re.compile(r"<input\b([^>]*)>", re.IGNORECASE)
SELECT = re.compile(r"<select\b([^>]*)>(.*?)</select>", re.IGNORECASE | re.DOTALL)
TEXTAREA = re.compile(r"<textarea\b([^>]*)>(.*?)</textarea>", re.IGNORECASE | re.DOTALL)
OPTION = re.compile(r"<option\b([^>]*)>", re.IGNORECASE)


def _attrs(text: str) -> dict[str, str]:
    return {k: html.unescape(v) for k, v in ATTR.findall(text)}


def as_offered(form: str, today: dt.date) -> dict[str, str]:
    """A change form's fields as the page offers them: each field's value, the selected or first choice of a
    list or a group of radios, the earliest date a required date allows (or a week ahead), the least number a
    required number allows, words in a required text."""
    data: dict[str, str] = {}
    for attributes in INPUT.findall(form):
        a = _attrs(attributes)
        name, kind = a.get("name"), a.get("type", "text").lower()
        if not name or name == "confirmed" or kind in ("submit", "button"):
            continue
        if kind == "radio":
            if name not in data or "checked" in a:
                data[name] = a.get("value", "")
        elif kind == "checkbox":
            if "checked" in a:
                data[name] = a.get("value") or "on"
        elif a.get("value"):
            data[name] = a["value"]
        elif "required" not in a:
            continue
        elif kind == "date":
            data[name] = a.get("min") or (today + dt.timedelta(days=7)).isoformat()
        elif kind == "number":
            data[name] = a.get("min") or "1"
        elif kind == "password":
            data[name] = "Words-test-Passw0rd!"
        else:
            data[name] = "Words test"
    for attributes, inner in SELECT.findall(form):
        options = [_attrs(o) for o in OPTION.findall(inner)]
        chosen = [o for o in options if "selected" in o] or [o for o in options if o.get("value")]
        if chosen and _attrs(attributes).get("name"):
            data[_attrs(attributes)["name"]] = chosen[0].get("value", "")
    for attributes, inner in TEXTAREA.findall(form):
        a = _attrs(attributes)
        if a.get("name"):
            data[a["name"]] = html.unescape(inner).strip() or "Checked by the words test"
    return data


def sends_at_once(form: str) -> bool:
    """A form with nothing to fill in (a confirmed delete: its one button sends the change)."""
    return (
        not any(
            _attrs(a).get("type", "text").lower() not in ("hidden", "submit", "button")
            for a in INPUT.findall(form)
        )
        and not SELECT.search(form)
        and not TEXTAREA.search(form)
    )


def _client(user, language: str) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


def pages_people_read(world, language: str) -> dict[str, str]:
    """Every page state of the world in `language` (see the module's docstring): label -> HTML."""
    from collections import Counter

    from tests.core.test_valid_html import crawl

    # The Admin's crawl, then what the Account manager's, Finance's and Support's own home pages lead to that it
    # did not reach (their "mine" lists, their worklists' full lists): a page the Admin read is not read again,
    # but Activity is, as each role that reads it reads it.
    crawled: dict[str, str] = {}
    shapes: Counter = Counter()
    pages: dict[str, str] = {}
    for user in (world["admin"], world["manager"], world["finance"], world["support"]):
        activity = _client(user, language).get("/activity/")
        if activity.status_code == 200:
            pages[f"GET /activity/#as-{user.username}"] = activity.content.decode()
        found = crawl(_client(user, language), known=crawled, shapes=shapes)
        for url, page in found.items():
            # A second person's home page is read as theirs (labelled so, the URL's fragment).
            pages[f"GET {url}" if url not in crawled else f"GET {url}#as-{user.username}"] = page
        crawled = found | crawled
    admin = _client(world["admin"], language)
    for pk in world["operations"]:
        pages[f"GET /operations/{pk}/"] = admin.get(f"/operations/{pk}/").content.decode()
    # The billing month Finance closed (a finding of every kind, read-only) and its reopening's confirmation, which
    # the crawl may not reach (one or two pages of each shape), and the price form's pick list of customers.
    from billing.rules import months_back

    earlier = "/billing/{}/{}/".format(*months_back(world["year"], world["month"], 2)[0])
    finance = _client(world["finance"], language)
    # The customer invoices' pages of the kinds and states the crawl may not reach (a credit note's, a
    # corrected invoice's, a changed draft's), as Finance reads them.
    for url in world["invoice_pages"]:
        if f"GET {url}" not in pages:
            response = finance.get(url)
            assert response.status_code == 200, url
            pages[f"GET {url}"] = response.content.decode()
    for url, client in (
        (f"{earlier}findings/", admin),
        (f"{earlier}findings/", finance),
        (f"{earlier}reopen/", admin),
        ("/billing/prices/", finance),
        ("/billing/prices/customers/?customer=Words", finance),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        pages.setdefault(f"GET {url} ({client is admin and 'Admin' or 'Finance'})", response.content.decode())
    # Every change form of the crawled pages, posted empty and posted as offered.
    for label, page in list(pages.items()):
        url = label.split(" ", 1)[1]
        for attributes, form in FORM.findall(page):
            if 'name="idempotency_key"' not in form or 'name="confirmed"' in form or sends_at_once(form):
                continue
            action = _attrs(attributes).get("action") or urlsplit(url).path
            for how, data in (("empty", {}), ("as offered", as_offered(form, world["today"]))):
                response = admin.post(action, data)
                if response.status_code == 200 and "text/html" in response.get("Content-Type", ""):
                    pages[f"POST {action} ({how})"] = response.content.decode()
    return pages


def codes_on_pages(pages: dict[str, str]) -> list[str]:
    """Each code a person reads on the pages, as 'label: code'."""
    assert len(pages) > 100
    posted = [label for label in pages if label.startswith("POST") and "as offered" in label]
    assert len(posted) > 15, posted
    return sorted(
        {f"{label}: {hit}" for label, page in pages.items() for hit in codes_in(visible_text(page))}
    )


# --- Files, mail and the feed -----------------------------------------------------------------------------------

#: A link to a file people download: an export of a list or of the billing month (each as the workbook and the
#: UTF-8 CSV; the Shift_JIS CSV holds the same cells), the purchase and sales journals, the calendar files.
DOWNLOAD = re.compile(r'href="([^"]*(?:/export|/statement/|journal/|\.csv|\.ics)[^"]*)"')
URL = re.compile(r"https?://\S+")


#: Query keys that order or page a download without changing its columns or its kind of cells.
ORDER_KEYS = {"sort", "page"}


def _download_shape(href: str) -> tuple:
    """A download's path with its numbers and UUIDs as placeholders, its query's keys, and the values of the keys
    that choose the file's format (a workbook and a CSV are both read); its order left out."""
    from tests.core.test_valid_html import UUID

    parts = urlsplit(href)
    query = sorted(
        (key, value if key in ("format", "encoding") else "")
        for key, _, value in (pair.partition("=") for pair in parts.query.split("&") if pair)
        if key not in ORDER_KEYS
    )
    return re.sub(r"\d+", "N", UUID.sub("U", parts.path)), tuple(query)


def downloads_of(pages: dict[str, str]) -> set[str]:
    """The files the pages offer, one of each shape (the same export in another order is the same columns)."""
    found: dict[tuple, str] = {}
    for page in pages.values():
        for href in DOWNLOAD.findall(page):
            href = html.unescape(href)
            if "encoding=cp932" not in href and href.startswith("/"):
                found.setdefault(_download_shape(href), href)
    return set(found.values())


def code_header_suffix() -> str:
    """How the reader's language marks the column of an export that carries the API's codes for machines."""
    from portal.core.vocabulary import code_column

    return str(code_column("\x00")).split("\x00", 1)[1]


def table_of(response) -> list[list[str]]:
    """The rows of a downloaded file as text (the workbook's cells or the CSV's fields)."""
    if "spreadsheetml" in response["Content-Type"]:
        return [
            ["" if v is None else str(v) for v in row]
            for row in sheet_of(response).iter_rows(values_only=True)
        ]
    encoding = "utf-8" if "utf-8" in response["Content-Type"].lower() else "cp932"
    return csv_of(response, encoding)


def calendar_text(body: bytes) -> str:
    """What a calendar app shows of an iCalendar file: its name and each event's summary, description,
    categories and location (not its UIDs or URLs)."""
    unfolded = re.sub(r"\r?\n[ \t]", "", body.decode("utf-8"))
    shown = [
        line.split(":", 1)[1]
        for line in unfolded.splitlines()
        if re.match(r"(SUMMARY|DESCRIPTION|CATEGORIES|LOCATION|X-WR-CALNAME)[;:]", line)
    ]
    return URL.sub(" ", "\n".join(shown).replace("\\n", "\n").replace("\\,", ",").replace("\\;", ";"))


def codes_in_exports(world, language: str, pages: dict[str, str]) -> list[str]:
    """Each code a person reads in the files the pages offer, outside the columns that carry codes for machines."""
    from django.utils import translation

    links = downloads_of(pages)
    assert any("format=xlsx" in link for link in links) and any("/statement/" in link for link in links), (
        links
    )
    client = _client(world["admin"], language)
    with translation.override(language):
        suffix = code_header_suffix()
    found, code_columns = [], 0
    for link in sorted(links):
        response = client.get(link)
        assert response.status_code == 200, link
        if link.endswith(".ics") or "text/calendar" in response["Content-Type"]:
            found += [f"{link}: {hit}" for hit in codes_in(calendar_text(body(response)))]
            continue
        rows = table_of(response)
        header = rows[0] if rows and "journal/" not in link else []
        found += [f"{link} header: {hit}" for cell in header for hit in codes_in(cell)]
        coded = {i for i, name in enumerate(header) if name.endswith(suffix)}
        code_columns += len(coded)
        for row in rows[1 if header else 0 :]:
            for i, cell in enumerate(row):
                if i not in coded:
                    found += [
                        f"{link} {header[i] if header else i}: {hit}" for hit in codes_in(URL.sub(" ", cell))
                    ]
    assert code_columns > 10, "the exports carry the codes for machines in columns of their own"
    return sorted(set(found))


def codes_in_digest_and_feed(world, language: str) -> list[str]:
    """Each code a person reads in the Account manager's morning digest and in their calendar feed (in
    `language`)."""
    from django.utils import translation

    from home.digest import digest_message
    from schedule.feed import feed_calendar, feed_make
    from schedule.models import CalendarFeed

    message = digest_message(world["manager"], today=world["today"])
    assert message is not None, "the world has decisions due this week"
    parts = [message.subject, message.body, *(content for content, _type in message.alternatives)]
    found = [f"digest: {hit}" for part in parts for hit in codes_in(URL.sub(" ", visible_text(str(part))))]
    feed_make(user=world["manager"])
    with translation.override(language):
        calendar = feed_calendar(
            feed=CalendarFeed.objects.get(user=world["manager"]), origin="https://portal.test"
        )
    text = calendar_text(calendar.body)
    assert "SUMMARY" not in text and text.strip(), "the feed has events"
    return sorted(set(found + [f"feed [{language}]: {hit}" for hit in codes_in(text)]))


@pytest.mark.long
def test_no_page_export_digest_or_feed_shows_a_code(world):
    # Both languages in one test, on one world (building it costs a third of reading it in one language): the
    # files are found on the pages, and reading every page state (three people's crawls, every change form
    # posted twice) is most of the work.
    found = []
    for language in LANGUAGES:
        pages = pages_people_read(world, language)
        on_pages = codes_on_pages(pages)
        in_files = codes_in_exports(world, language, pages)
        in_mail_and_feed = codes_in_digest_and_feed(world, language)
        found += [f"[{language}] {len(on_pages)} codes people read on pages:", *on_pages] if on_pages else []
        found += [f"[{language}] {len(in_files)} codes people read in files:", *in_files] if in_files else []
        found += [f"[{language}] {line}" for line in in_mail_and_feed]
    assert found == [], "\n".join(found)
