"""The partner's billing details (what its invoices show, how its invoice mail is sent, how it bills:
`issuer_mapping`, `details_mapping`, `bills_in_advance`) and each customer's (`customer_billing_get`; the
customers without them, the worklist's), and what follows from how the partner bills: what a month's drafts are
made from (`month_basis`) and the month invoiced now (`default_month`)."""

from __future__ import annotations

from collections.abc import Iterator

from django.db import connection
from django.forms.models import model_to_dict

from billing import selectors as billing
from customers import selectors as customers
from invoicing import rules
from invoicing.models import BillingBasis, CustomerBilling, IssuerDetails, WithoutDetailsCount
from invoicing.permissions import VIEW_INVOICING
from portal.core import clock
from portal.core.access import check

RECIPIENT_FIELDS = ("billed", "bill_to_name", "bill_to_address", "invoice_email", "language")


ISSUER_FIELDS = (
    "registered_name",
    "address",
    "corporation",
    "registration_number",
    "bank_account",
    "payment_terms",
    "number_format",
)


def issuer_get(*, user) -> IssuerDetails | None:
    check(user, VIEW_INVOICING)
    return IssuerDetails.objects.filter(pk=1).first()


#: What the partner's billing details page edits (and audits): what its invoices show (`ISSUER_FIELDS`), how its
#: invoice mail is sent (sender name, reply-to), and how it bills its customers (`BillingBasis`: after LINE
#: WORKS' invoice, or in advance from the estimate).
DETAILS_FIELDS = (*ISSUER_FIELDS, "sender_name", "reply_to", "billing_basis")


def issuer_mapping() -> dict | None:
    """The partner as its invoices show it (what an issued invoice keeps)."""
    issuer = IssuerDetails.objects.filter(pk=1).first()
    return None if issuer is None else model_to_dict(issuer, fields=ISSUER_FIELDS)


def details_mapping() -> dict | None:
    """The partner's billing details as its page edits them: `issuer_mapping` and how it bills."""
    issuer = IssuerDetails.objects.filter(pk=1).first()
    return None if issuer is None else model_to_dict(issuer, fields=DETAILS_FIELDS)


def bills_in_advance() -> bool:
    """Whether the partner bills its customers in advance, from the month's estimate (`BillingBasis`)."""
    return IssuerDetails.objects.filter(pk=1, billing_basis=BillingBasis.IN_ADVANCE).exists()


def month_basis(year: int, month: int, in_advance: bool | None = None) -> str:
    """What the month's drafts are made from, today (`rules.draft_basis`); `in_advance`: `bills_in_advance`,
    when the partner's details are read already."""
    if in_advance is None:
        in_advance = bills_in_advance()
    return rules.draft_basis(in_advance=in_advance, year=year, month=month, today=clock.today())


def customer_billing_get(*, user, domain_id: int) -> CustomerBilling | None:
    check(user, VIEW_INVOICING)
    return CustomerBilling.objects.filter(domain_id=domain_id).first()


def customer_get(*, user, domain_id: int):
    """The customer whose billing details are edited (None when not in the portal)."""
    check(user, VIEW_INVOICING)
    return customers.customer_get(user=user, domain_id=domain_id)


def customers_without_details(*, upto: int | None = None):
    """Customers still in the API without billing details, in name order (the worklist's section; `upto`: how
    many rows from the start are asked for, `customers.customers_lacking`)."""
    return customers.customers_lacking(having=CustomerBilling.objects.values("domain_id"), upto=upto)


def customers_without_details_count() -> int:
    """How many customers still in the API have no billing details (the worklist section's count), in one query:
    the row the database keeps (`WithoutDetailsCount`), which costs the same however many customers there are,
    or, without that row (a database emptied by TRUNCATE), the count of them (both databases evaluate COALESCE's
    second subquery only when the first is NULL)."""
    counted, params = customers_without_details().order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COALESCE((SELECT n FROM {WithoutDetailsCount._meta.db_table} LIMIT 1), "
            f"(SELECT COUNT(*) FROM ({counted}) without_details))",
            params,
        )
        return int(cursor.fetchone()[0])


def default_month() -> tuple[int, int]:
    """The month whose invoices are made now: the one that closed last (its LINE WORKS invoice arrived on the
    1st), or, for a partner that bills in advance, the running month."""
    if bills_in_advance():
        today = clock.today()
        return today.year, today.month
    return billing.last_closed_month()


#: How many customers the download of billing details reads at a time (`billing_details_rows`).
DETAILS_BATCH = 2000


def billing_details_rows(*, user) -> Iterator[dict]:
    """Every customer still in the API with its billing details (empty when it has none), by company name: the
    download of billing details, which the import reads back. Read as it is written, a batch of customers at a
    time with their details by key: every customer at once held them all, and asked for their details by a list
    of every domainId."""
    check(user, VIEW_INVOICING)
    for batch in customers.customers_billed_batches(size=DETAILS_BATCH):
        details = {
            row["domain_id"]: row
            for row in CustomerBilling.objects.filter(domain_id__in=[c.domain_id for c in batch]).values(
                "domain_id", *RECIPIENT_FIELDS
            )
        }
        for customer in batch:
            yield {
                **details.get(customer.domain_id, {}),
                "domain_id": customer.domain_id,
                "company": customer.company_name,
                "domain": customer.domain,
            }


def billing_details_of(*, user, domain_ids: list[int], lock: bool = False) -> tuple[dict, dict]:
    """The billing details of these customers (by domainId; `lock`: rows locked in the caller's transaction),
    and which of them are customers still in the API (by domainId, their company name and domain)."""
    check(user, VIEW_INVOICING)
    qs = CustomerBilling.objects.filter(domain_id__in=domain_ids)
    if lock:
        qs = qs.select_for_update()
    details = {row["domain_id"]: row for row in qs.values("domain_id", *RECIPIENT_FIELDS)}
    return details, customers.customers_billed(domain_ids=domain_ids)
