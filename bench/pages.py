"""The scale guard's pages, from the URL resolver: every GET page and htmx partial each role may open.

As the role x URL matrix test walks the resolver (tests/core/test_url_coverage.py), so does `pages`: each portal
URL, for each role holding the permission it declares, with its arguments filled from bench.seed's database
(`ARGS` by argument name, `VARIANTS` where one URL has several pages, such as the worklists' full lists). Opened
once, each page says what else to measure: a page with a search box is also measured searched (a word many
customers have, a legal form, one customer), a page with a link to its page 2 on that page, and each htmx
target the page names as that partial. Nothing is listed by hand but `EXCLUDED`, each with its reason; the test
in make test (tests/bench/test_seed.py) fails when a URL is neither fillable here nor excluded.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace

#: URL names the guard does not open, with the reason. POST-only URLs are actions, not pages (their GET answers
#: 405). Downloads are opened apart (`DOWNLOADS`).
EXCLUDED = {
    "accounts:signin_unlock": "POST only: unlocks a sign-in",
    "customers:add_details": "the second step of adding a customer: opened by the first step's POST only",
    "invoicing:payment": "POST only: records a payment",
    "invoicing:send": "POST only: sends an invoice",
    "invoicing:bank_import": "POST only: imports a bank statement (the statements page shows its form)",
    "invoicing:bank_confirm_certain": "POST only: confirms a statement's certain matches",
    "invoicing:bank_rematch": "POST only: matches a statement's open lines again",
    "invoicing:bank_line_confirm": "POST only: confirms a bank line's match",
    "invoicing:bank_line_explain": "POST only: explains a bank line",
    "invoicing:bank_line_reopen": "POST only: reopens an explained bank line",
    "invoicing:debit_run_make": "POST only: makes a direct debit request (the Direct debit page shows its form)",
    "invoicing:debit_run_results": "POST only: imports a direct debit result file",
    "invoicing:debit_run_cancel": "POST only: cancels a direct debit request",
    "options:order_delete": "POST only: deletes a scheduled option change",
    "subscriptions:pre_order_delete": "POST only: deletes a pre-order",
    "subscriptions:reservation_delete": "POST only: deletes a reservation",
    "accounts:user_reactivate": "POST only: reactivates a user",
    "billing:fetch": "POST only: queues a fetch from LINE WORKS",
    "billing:close": "POST only: closes a month",
    "billing:check": "POST only: runs the month's check",
    "billing:reopen": "POST only: reopens a month",
    "billing:price_add": "POST only: adds a price",
    "billing:costs_accept": "POST only: confirms, then adds costs learned from an invoice to the price book",
    "customers:renewal": "POST only: part of the usage form",
    "customers:renewal_delete": "POST only: part of the usage form",
    "customers:domain_upgrade": "POST only: part of the domain form",
    "customers:domain_upgrade_delete": "POST only: part of the domain form",
    "customers:domain_change": "POST only: part of the domain form",
    "customers:activate": "POST only: activates a customer",
    "customers:refresh": "POST only: queues a customer's refresh",
    "core:sync_now": "POST only: queues a full resync",
    "core:batch_send": "POST only: sends a batch",
    "core:batch_stop": "POST only: stops a batch",
    "core:batch_resume": "POST only: resumes a batch",
    "core:batch_retry": "POST only: sends a batch's failed rows again",
    "core:batch_approve": "POST only: approves a bulk change waiting for approval",
    "core:batch_reject": "POST only: rejects a bulk change waiting for approval",
    "core:operation_approve": "POST only: approves a change waiting for approval",
    "core:operation_reject": "POST only: rejects a change waiting for approval",
    "partner_account:connect": "a redirect to LINE WORKS' sign-in (OAuth), not a page",
    "partner_account:callback": "LINE WORKS' OAuth redirect back, with a code only LINE WORKS gives",
    "partner_account:disconnect": "POST only: forgets the partner account's tokens",
    "schedule:feed_ics": "opened by a calendar with a secret token, not by a role; the agenda's reads",
    "saved:save": "opened by a list's save link only (a signed address the list page gives); its reads are none",
    "saved:open": "a redirect to a saved view's list, which the guard measures as that list",
    "saved:delete": "POST only: deletes a saved view",
    "saved:follow": "POST only: follows a group or stops",
    "core:api_token_revoke": "POST only: revokes an API token",
    "api:subscription_renewal": "POST only: an API write (its dry run reads the subscription api:subscription reads)",
    **{
        f"api:subscription_{name}": "POST only: an API write (its dry run reads one subscription, as api:subscription)"
        for name in (
            "reservation",
            "reservation_date",
            "reservation_delete",
            "convert",
            "upgrade",
            "add_licences",
        )
    },
    "api:subscription_cancel": "POST only: an API write (its dry run reads one subscription, as api:subscription)",
    **{
        f"api:{name}": "POST only: an API write (its dry run reads one customer and what its page's form reads)"
        for name in (
            "customer_create",
            "customer_edit",
            "customer_usage",
            "customer_usage_renewal",
            "customer_usage_renewal_delete",
            "customer_domain_upgrade",
            "customer_domain_upgrade_delete",
            "customer_domain_change",
            "customer_activate",
            "customer_delete",
            "customer_transfer",
            "subscription_create",
            "pre_order_create",
            "pre_order_date",
            "pre_order_delete",
            "option_create",
            "option_upgrade",
            "option_add_quantity",
            "option_cancel",
            "option_renewal",
            "option_order_create",
            "option_order_date",
            "option_order_delete",
        )
    },
    "api:customer_invoice_payment": "POST only: an API write (its dry run reads one issued invoice, as its page)",
    "api:customer_invoice_send": "POST only: an API write (its dry run reads one issued invoice and its address)",
    "api:customer_invoices_issue": "POST only: an API write (its dry run works out one month's ready drafts, as issuing does)",
    "api:billing_price_add": "POST only: an API write (its dry run checks one price, as the price book's form)",
    "api:billing_month_close": "POST only: an API write (its dry run reads whether one month is closed)",
    "api:billing_month_reopen": "POST only: an API write (its dry run reads whether one month is closed)",
    "api:billing_costs_accept": "POST only: an API write (its dry run reads one month's proposal, as its page)",
    "core:notice_test": "POST only: sends the person a test notice",
    "core:event_endpoint_secret": "POST only: makes an event endpoint's new secret",
    "core:event_endpoint_test": "POST only: sends an event endpoint a test event",
    "core:event_replay": "POST only: sends an event again",
}


#: Downloads: every row their filter finds, streamed, or a file made whole (a Shift_JIS file, a PDF, a ZIP), so
#: their bytes and their database work grow with the rows by design. The guard opens each once at the small size
#: and once at the large one, as the broadest role that may (`download_pages`), and judges what must not grow with
#: the rows: its queries, and the memory it holds beyond the file (bench/downloads.py `report_downloads`).
DOWNLOADS = {
    "customers:export": "every customer the list's filter finds (streamed)",
    "options:export": "every option the list's filter finds (streamed)",
    "subscriptions:export": "every subscription the list's filter finds (streamed)",
    "schedule:export": "every scheduled change of the agenda's range or calendar month",
    "schedule:ical": "every scheduled change of the agenda's range or calendar month, as iCalendar",
    "work_export": "every item of a worklist section",
    "billing:details_export": "the month's every invoice detail (streamed)",
    "billing:findings_export": "the month's every finding the filter finds",
    "billing:estimate_export": "the month's every estimated line",
    "billing:statement_export": "the month's re-billing statement, every customer",
    "billing:accounting_export": "the month's purchase journal",
    "billing:prices_export": "the whole price book (the import's file)",
    "invoicing:search_export": "every issued invoice the search finds (streamed)",
    "invoicing:sales_journal": "the month's every issued invoice as a sales journal",
    "invoicing:records_download": "a records export's ZIP, read through once to check its SHA-256",
    "invoicing:statement_pdf": "a customer's statement of account as a PDF, laid out when asked",
    "invoicing:statement_export": "a customer's statement of account, every line",
    "invoicing:billing_details_export": "every customer's billing details (the import's file)",
    "invoicing:debit_run_file": "a direct debit request's file as it was made",
}

#: A word of company names (bench.common.NAME_WORDS): about one customer in twelve has it at every size.
WORD = "サクラ"
#: A word a third of the customers' names have (the seed's legal forms), spread over the name order.
LEGAL_FORM = "株式会社"
#: The customer every page of one customer opens: customer 24, the first Account manager's (24 % 12 == 0) and
#: the first Support contact's, on a paid plan with a scheduled change; searched for by its domain.
CUSTOMER_INDEX = 24
ONE_CUSTOMER = f"h{CUSTOMER_INDEX:05d}"
#: How many htmx targets of one page are measured, at most.
MAX_TARGETS = 3
ROLES = ("account_manager", "support", "finance", "admin")


@dataclass(frozen=True)
class Page:
    label: str
    url_name: str
    variant: int = 0  # which of the URL's argument sets (`arguments`)
    params: dict = field(default_factory=dict)
    role: str = "admin"
    target: str = ""  # htmx: the element the request asks for
    reference: bool = False  # Django admin's changelist: printed beside, never judged
    api: bool = False  # an endpoint of the portal's API: called with the role's token, answered in JSON
    download: bool = False  # a download (`DOWNLOADS`): judged by its queries and the memory it holds

    def url(self) -> str:
        from django.urls import reverse

        if self.url_name.startswith("/"):
            return self.url_name
        return reverse(self.url_name, kwargs=arguments(self.url_name)[self.variant])

    def as_json(self) -> dict:
        return asdict(self)


#: Django admin's changelists of the largest tables: references printed beside, never judged.
REFERENCES = [
    Page("admin changelist: customers", "/admin/customers/customer/", reference=True),
    Page(
        "admin changelist: customers, searched",
        "/admin/customers/customer/",
        params={"q": WORD},
        reference=True,
    ),
    Page("admin changelist: invoice items", "/admin/billing/invoiceitem/", reference=True),
    Page("admin changelist: audit entries", "/admin/core/auditentry/", reference=True),
    Page("admin changelist: sync runs", "/admin/core/syncrun/", reference=True),
]


# --- The resolver ----------------------------------------------------------------------------------------------


def portal_urls() -> dict:
    """Every named URL of the portal a role opens: those that declare the permission they need (Django's own
    pages, the health checks and the metrics declare none), and the API's endpoints (each declares the area and
    level its token needs)."""
    from portal.core.access import named_urls, required_perm

    return {
        name: p
        for name, p in named_urls().items()
        if required_perm(p) is not None or api_get(p) is not None or name in EXCLUDED or name in DOWNLOADS
    }


def api_get(pattern) -> tuple | None:
    """An API endpoint's GET: the area and level its token needs (None: not an endpoint, or no GET)."""
    from portal.core.api.site import OPERATIONS_ATTRIBUTE

    return (getattr(pattern.callback, OPERATIONS_ATTRIBUTE, None) or {}).get("GET")


def may_open(pattern, role: str) -> bool:
    """Whether `role` opens the URL: holds its permission, or for an API endpoint, may have a token that reads
    its area (the operations: may follow changes)."""
    from portal.core.access import Role, holds, permissions
    from portal.core.api.areas import Level, area_named

    found = api_get(pattern)
    if found is None:
        return holds(Role(role), pattern.callback.required_perm)
    area_key, level = found
    if area_key is None:
        return any(holds(Role(role), p) for p in permissions() if p.sends_changes)
    area = area_named(area_key)
    return area is not None and area.cap(Role(role)).rank >= Level(level).rank


def url_arguments(pattern) -> list[str]:
    return list(getattr(pattern.pattern, "converters", {}))


def fillable(name: str, pattern) -> bool:
    return name in VARIANTS or all(a in ARGS for a in url_arguments(pattern))


def covered() -> set[str]:
    """The URL names the guard opens as pages: every portal URL neither excluded nor a download whose arguments
    it can fill."""
    return {
        name
        for name, p in portal_urls().items()
        if name not in EXCLUDED and name not in DOWNLOADS and fillable(name, p)
    }


# --- Filling the arguments from the seed --------------------------------------------------------------------------


def _customer() -> int:
    from bench.seed import FIRST_DOMAIN

    return FIRST_DOMAIN + CUSTOMER_INDEX


def _last_closed() -> tuple[int, int]:
    from billing.rules import last_closed_month
    from portal.core import clock

    return last_closed_month(clock.today())


def _issued_number() -> int:
    from invoicing.models import DocumentKind, IssuedInvoice

    year, month = _last_closed()
    mine = IssuedInvoice.objects.filter(year=year, month=month, kind=DocumentKind.INVOICE)
    return mine.filter(domain_id=_customer()).values_list("number", flat=True).first() or (
        mine.order_by("number").values_list("number", flat=True).first()
    )


def _managed(model, *, column: str = "customer_id"):
    """`model`'s rows of the first Account manager's customers."""
    from bench.seed import PEOPLE
    from customers.models import CustomerOwner

    theirs = CustomerOwner.objects.filter(account_manager__username=PEOPLE["account_manager"][0]).values(
        "customer_id"
    )
    return model.objects.filter(**{f"{column}__in": theirs})


def _option() -> str:
    from options.models import Option

    paid = Option.objects.filter(customer_id=_customer(), trial=False).order_by("option_product_id")
    return paid.values_list("option_product_id", flat=True).first()


def _finding() -> int:
    from billing.models import Finding

    return Finding.objects.order_by("-year", "-month", "pk").values_list("pk", flat=True).first()


def _batch():
    from portal.core.models import Batch

    return Batch.objects.order_by("-requested_at").values_list("pk", flat=True).first()  # the seed's dry run


def _operation():
    from portal.core.models import Operation

    theirs = _managed(Operation, column="domain_id").order_by("requested_at").values_list("pk", flat=True)
    return theirs.first() or Operation.objects.order_by("requested_at").values_list("pk", flat=True).first()


def _room() -> int:
    from portal.core.models import NoticeRoom

    return NoticeRoom.objects.order_by("pk").values_list("pk", flat=True).first()  # the seed's sales room


def _event_endpoint() -> int:
    from portal.core.models import EventEndpoint

    return (
        EventEndpoint.objects.order_by("pk").values_list("pk", flat=True).first()
    )  # the seed's ticketing tool


def _records_export() -> int:
    from invoicing.models import RecordsExport

    return RecordsExport.objects.order_by("pk").values_list("pk", flat=True).first()  # the seed's


def _bank_statement() -> int:
    from invoicing.models import BankStatement

    # The seed's statement of today's transfers, to match (written first: the same key at every size).
    return BankStatement.objects.order_by("pk").values_list("pk", flat=True).first()


def _bank_mapping() -> int:
    from invoicing.models import BankCsvMapping

    return BankCsvMapping.objects.order_by("pk").values_list("pk", flat=True).first()  # the seed's


def _debit_run() -> int:
    from invoicing.models import DebitRun

    return DebitRun.objects.order_by("pk").values_list("pk", flat=True).first()  # the seed's


def _user() -> int:
    from django.contrib.auth import get_user_model

    from bench.seed import PEOPLE

    return get_user_model().objects.get(username=PEOPLE["account_manager"][1]).pk


#: The value of each URL argument, by its name, read from the seeded database.
ARGS: dict[str, Callable[[], object]] = {
    "domain_id": _customer,
    "subscription_id": lambda: _customer() - 40_000_000 + 91_000_000,
    "year": lambda: _last_closed()[0],
    "month": lambda: _last_closed()[1],
    "number": _issued_number,
    "option_product_id": _option,
    "pk": _finding,
    "batch_id": _batch,
    "operation_id": _operation,
    "user_id": _user,
    "room_id": _room,
    "endpoint_id": _event_endpoint,
    "export_id": _records_export,
    "statement_id": _bank_statement,
    "mapping_id": _bank_mapping,
    "run_id": _debit_run,
}


def _pre_order() -> list[dict]:
    from subscriptions.models import PreOrder

    order = _managed(PreOrder).order_by("pk").first()
    return [{"domain_id": order.customer_id, "pre_order_id": order.pk}]


def _option_order() -> list[dict]:
    from options.models import OptionOrder

    order = _managed(OptionOrder).order_by("customer_id").first()
    return [{"domain_id": order.customer_id, "option_product_id": order.option_product_id}]


def _reservation() -> list[dict]:
    from subscriptions.models import Reservation

    held = _managed(Reservation).order_by("subscription_id").first()
    return [{"subscription_id": held.subscription_id}]


def _trial() -> list[dict]:
    from subscriptions.models import Subscription

    trials = Subscription.objects.filter(plan="TRIAL", customer__removed_at=None).order_by("pk")
    trial = _managed(Subscription).filter(pk__in=trials.values("pk")).first() or trials.first()
    return [{"subscription_id": trial.pk}]


def _paid_option() -> list[dict]:
    """A paid option (a trial has no renewal, quantity or upgrade to change) of the customer, or of another of
    the first Account manager's customers."""
    from options.models import Option

    paid = Option.objects.filter(trial=False, customer__removed_at=None)
    found = (
        paid.filter(customer_id=_customer()).order_by("option_product_id").first()
        or _managed(paid.model)
        .filter(pk__in=paid.values("pk"))
        .order_by("customer_id", "option_product_id")
        .first()
    )
    return [{"domain_id": found.customer_id, "option_product_id": found.option_product_id}]


def _upgradable_option() -> list[dict]:
    """A paid option with a larger sub option to upgrade to (the upgrade page sends any other back to the
    customer's options), of the first Account manager's customers if one has it."""
    from options.models import Option

    paid = Option.objects.filter(trial=False, customer__removed_at=None)
    for query in (_managed(paid.model).filter(pk__in=paid.values("pk")), paid):
        for option in query.order_by("customer_id", "option_product_id").iterator(chunk_size=200):
            if option.upgradable:
                return [{"domain_id": option.customer_id, "option_product_id": option.option_product_id}]
    return _paid_option()


def _work_keys() -> list[dict]:
    from portal.core.contrib import contributions

    return [{"key": section.key} for section in sorted(contributions("worklist"), key=lambda s: s.key)]


#: URLs whose arguments are not the defaults: each gives its argument sets (one page each).
VARIANTS: dict[str, Callable[[], list[dict]]] = {
    "subscriptions:pre_order": _pre_order,
    "subscriptions:pre_order_delete": _pre_order,
    "options:order": _option_order,
    "options:order_delete": _option_order,
    "subscriptions:reservation_delete": _reservation,
    "subscriptions:convert": _trial,
    "work_list": _work_keys,
    "work_export": _work_keys,
    "api:worklist": _work_keys,
    "options:add_quantity": _paid_option,
    "options:cancel": _paid_option,
    "options:renewal": _paid_option,
    "options:upgrade": _upgradable_option,
}


def _calendar_months() -> list[dict]:
    """The agenda, and the month calendar of this month and of the next (the first whole month of upcoming
    changes: this month's calendar starts today)."""
    from portal.core import clock

    this = clock.today().replace(day=1)
    following = (this + dt.timedelta(days=32)).replace(day=1)
    return [{}, *({"view": "calendar", "month": f"{month:%Y-%m}"} for month in (this, following))]


def _debit_dates() -> list[dict]:
    """The Direct debit page as it opens, and with the seed's debit date chosen (the invoices it can collect)."""
    from bench.seed.invoices import debit_day
    from portal.core import clock

    return [{}, {"debit_date": debit_day(clock.today()).isoformat()}]


#: The query a page needs to be itself (an htmx partial's), by URL name; and URLs opened with several queries,
#: one page each (the bulk page from every row of a list's filter, and from a worklist section's full list; the
#: Scheduled changes page as its agenda and as two months of its calendar), or a callable giving them.
PARAMS: dict[str, dict] = {"customers:fresh": {"since": "1"}}
QUERIES: dict[str, list[dict] | Callable[[], list[dict]]] = {
    "core:bulk_new": [
        {"action": "subscriptions.renewal", "all": "1"},
        {"action": "subscriptions.renewal", "all": "1", "source": "work:renewal-decisions"},
    ],
    "schedule:agenda": _calendar_months,
    "invoicing:debit": _debit_dates,
}


def arguments(name: str) -> list[dict]:
    """The argument sets of URL `name` in this database."""
    if name in VARIANTS:
        return VARIANTS[name]()
    return [{a: ARGS[a]() for a in url_arguments(portal_urls()[name])}]


# --- Finding the pages --------------------------------------------------------------------------------------------

_SEARCH_BOX = re.compile(r"<input[^>]*\bname=\"q\"")
_PAGE_TWO = re.compile(r"href=\"[^\"]*[?&](?:amp;)?page=2\b")
_HX_TARGET = re.compile(r"hx-target=\"#([A-Za-z][\w-]*)\"")


def discover(clients: dict, request: Callable) -> tuple[list[Page], list[str]]:
    """Every page each role opens (module docstring), opened once each; and what went wrong: a URL whose page
    does not answer 200 to a role holding its permission (fill it differently, or exclude it with a reason)."""
    from portal.core.access import Role

    pages: list[Page] = []
    problems: list[str] = []
    for name, pattern in sorted(portal_urls().items()):
        if name in EXCLUDED or name in DOWNLOADS:
            continue
        if name not in covered():
            problems.append(
                f"{name}: no value for its arguments {url_arguments(pattern)} (bench/pages.py ARGS)"
            )
            continue
        api = api_get(pattern) is not None
        try:
            variants = arguments(name)
        except Exception as exc:  # the seed lacks the row: say which URL
            problems.append(f"{name}: its arguments are not in the seed ({exc!r})")
            continue
        queries = QUERIES.get(name, [PARAMS.get(name, {})])
        queries = queries() if callable(queries) else queries
        for (variant, kwargs), query in itertools.product(enumerate(variants), queries):
            suffix = f" {'/'.join(str(v) for v in kwargs.values())}" if len(variants) > 1 else ""
            suffix += (
                f" {'&'.join(f'{k}={v}' for k, v in query.items())}" if len(queries) > 1 and query else ""
            )
            for role in ROLES:
                if not may_open(pattern, role):
                    continue
                page = Page(f"{name}{suffix} as {Role(role).label}", name, variant, query, role=role, api=api)
                try:
                    response = request(clients[role], page, check=False)
                except Exception as exc:  # the seed lacks the row its arguments name, or the page fails
                    problems.append(f"{page.label}: {exc!r}")
                    continue
                if response.status_code == 403:
                    # The row's own check refuses this role (a worklist section it does not see, an operation
                    # of a kind it does not send): not one of its pages.
                    continue
                if response.status_code != 200:
                    problems.append(f"{page.label}: {page.url()} answered {response.status_code}")
                    continue
                pages.append(page)
                if response.get("Content-Type", "").startswith("text/html"):
                    pages += _more_of(page, body(response).decode("utf-8", "replace"))
                elif api:
                    pages += _more_of_api(page, response, clients[role], request)
    found, failed = download_pages(clients, request)
    return pages + found, problems + failed


#: The roles a download is opened as, broadest first: the first that may open it and is answered (a worklist
#: section a role does not see answers 403) is the one measured.
BROADEST_FIRST = ("admin", "finance", "support", "account_manager")


def download_pages(clients: dict, request: Callable) -> tuple[list[Page], list[str]]:
    """Each download (`DOWNLOADS`) with each of its argument sets, as the broadest role that opens it (opened
    once here, at the small size); and what went wrong, as `discover` says it."""
    from portal.core.access import Role

    found: list[Page] = []
    problems: list[str] = []
    urls = portal_urls()
    for name in sorted(DOWNLOADS):
        if not fillable(name, urls[name]):
            problems.append(
                f"{name}: no value for its arguments {url_arguments(urls[name])} (bench/pages.py ARGS)"
            )
            continue
        variants = arguments(name)
        for variant, kwargs in enumerate(variants):
            suffix = f" {'/'.join(str(v) for v in kwargs.values())}" if len(variants) > 1 else ""
            for role in BROADEST_FIRST:
                if not may_open(urls[name], role):
                    continue
                page = Page(
                    f"{name}{suffix} as {Role(role).label}",
                    name,
                    variant,
                    PARAMS.get(name, {}),
                    role,
                    download=True,
                )
                status = request(clients[role], page, check=False).status_code
                if status == 403:
                    continue  # not this role's (a section it does not see): the next one
                if status != 200:
                    problems.append(f"{page.label}: {page.url()} answered {status}")
                else:
                    found.append(page)
                break
            else:
                problems.append(f"{name}{suffix}: no role opens it")
    return found, problems


def body(response) -> bytes:
    """A response's bytes, streamed or not."""
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def _more_of_api(page: Page, response, client, request: Callable) -> list[Page]:
    """What an API list endpoint is measured as too, as its page is: searched (when it takes a search), and its
    page 2 (when it has one)."""
    import json

    more = []
    try:
        data = json.loads(body(response))
    except ValueError:
        return more
    if not isinstance(data, dict) or "results" not in data:
        return more
    for what, q in (
        ("searched", WORD),
        ("searched by a legal form", LEGAL_FORM),
        ("one customer", ONE_CUSTOMER),
    ):
        searched = replace(page, label=f"{page.label}, {what}", params={**page.params, "q": q})
        if request(client, searched, check=False).status_code == 200:
            more.append(searched)
    if data.get("pages", 1) > 1:
        more.append(replace(page, label=f"{page.label}, page 2", params={**page.params, "page": 2}))
    return more


def _more_of(page: Page, html: str) -> list[Page]:
    """What a page's own HTML says to measure too: searched, page 2, each htmx target it names, each with the
    page's own query (a month of the calendar searched is that month searched: its form carries the month).
    The page's own is what follows the top bar: the bar's search box, on every page, is the search page's
    (measured there, searched and as its htmx targets, through that page's own box)."""
    html = html.split("</header>", 1)[-1]
    more = []
    if _SEARCH_BOX.search(html):
        for what, q in (
            ("searched", WORD),
            ("searched by a legal form", LEGAL_FORM),
            ("one customer", ONE_CUSTOMER),
        ):
            more.append(
                Page(f"{page.label}, {what}", page.url_name, page.variant, {**page.params, "q": q}, page.role)
            )
    if _PAGE_TWO.search(html):
        more.append(
            Page(f"{page.label}, page 2", page.url_name, page.variant, {**page.params, "page": 2}, page.role)
        )
    for target in sorted(set(_HX_TARGET.findall(html)))[:MAX_TARGETS]:
        params = {**page.params, **({"q": WORD} if _SEARCH_BOX.search(html) else {})}
        more.append(
            Page(f"{page.label}, htmx #{target}", page.url_name, page.variant, params, page.role, target)
        )
    return more
