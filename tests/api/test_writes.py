"""The API's writes without LINE WORKS: the dry run (checked by the page's own form, nothing sent or kept), the
Idempotency-Key that a real write needs, refusals in words, and a write refused on the way (the Partner API
unreachable): its answer kept for its key, asked again the same, and another body under it refused."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.core import clock
from portal.core.access import Role
from portal.core.models import ApiCall, ApiIdempotency, AuditEntry, Operation
from tests.customers.factories import make_customer
from tests.invoicing.conftest import issuer, month  # noqa: F401  (fixtures of the invoice sent)
from tests.subscriptions.factories import make_subscription

pytestmark = pytest.mark.django_db


@pytest.fixture
def sub(db):
    return make_subscription(make_customer(), product_id="STD", plan="ANNUAL_LICENSE", license_count=20)


def _renewal(sub) -> str:
    return reverse("api:subscription_renewal", args=[sub.subscription_id])


def _nothing_written():
    return (Operation.objects.count(), AuditEntry.objects.count(), ApiIdempotency.objects.count())


def test_a_dry_run_checks_with_the_pages_form_and_sends_nothing(api_as, sub):
    api = api_as(Role.ACCOUNT_MANAGER)
    answer = api.post(
        _renewal(sub), {"type": "CHANGE", "license_count": 15, "dry_run": True, "reason": "T-1"}
    )
    assert answer.status_code == 200, answer.content
    data = answer.json()
    assert data["dry_run"] is True and data["result"] == "would_send" and data["operation"] is None
    assert data["change"] == "updateSubscriptionRenewal"
    assert data["arguments"] == {
        "domain_id": sub.customer_id,
        "subscription_id": sub.subscription_id,
        "type": "CHANGE",
        "license_count": 15,
        "licences_before": 20,
    }
    assert data["preview"] and data["needs_approval"] is False
    assert _nothing_written() == (0, 0, 0)
    assert ApiCall.objects.get().status == 200  # the call itself is recorded, with its token
    assert ApiCall.objects.get().token == api.token


def test_a_dry_run_refused_by_the_forms_rules_says_why_on_the_field(api_as, sub):
    api = api_as(Role.ACCOUNT_MANAGER)
    answer = api.post(_renewal(sub), {"type": "CHANGE", "license_count": 0, "dry_run": True})
    assert answer.status_code == 422
    assert "license_count" in answer.json()["error"]["fields"]
    assert _nothing_written() == (0, 0, 0)


def test_a_change_the_contract_rules_out_is_refused_in_words(api_as, db):
    trial = make_subscription(
        make_customer(), product_id="STD_T", plan="TRIAL", license_count=None, renewal_type=""
    )
    answer = api_as(Role.ACCOUNT_MANAGER).post(_renewal(trial), {"type": "STAY", "dry_run": True})
    assert answer.status_code == 409
    assert answer.json()["error"] == {
        "code": "refused",
        "message": "Only paid subscriptions have renewal settings.",
    }


def test_a_real_write_needs_an_idempotency_key(api_as, sub):
    answer = api_as(Role.ACCOUNT_MANAGER).post(_renewal(sub), {"type": "CANCEL"})
    assert answer.status_code == 428
    assert answer.json()["error"]["code"] == "idempotency_key_missing"
    assert _nothing_written() == (0, 0, 0)


def test_the_words_follow_accept_language_or_else_the_owners_language(api_as, sub):
    from portal.core.services import language_remember

    api = api_as(Role.ACCOUNT_MANAGER)
    english = api.post(_renewal(sub), {"type": "CANCEL"})
    japanese = api.post(_renewal(sub), {"type": "CANCEL"}, **{"Accept-Language": "ja"})
    assert japanese.json()["error"]["message"].startswith("変更には")
    assert not english.json()["error"]["message"].startswith("変更には")
    language_remember(user=api.user, language="ja")
    assert api.post(_renewal(sub), {"type": "CANCEL"}).json()["error"]["message"].startswith("変更には")


@pytest.fixture
def unreachable(settings):
    """LINE WORKS cannot be reached: a change is refused before anything is sent (nothing listens)."""
    settings.PARTNER_API_BASE_URL = "http://127.0.0.1:9/v1.0"
    from portal.core.partner import reset_clients

    reset_clients()
    yield
    reset_clients()


def test_a_write_refused_on_the_way_is_answered_again_for_its_key_and_never_sent_again(
    api_as, sub, unreachable
):
    api = api_as(Role.ACCOUNT_MANAGER)
    first = api.post(_renewal(sub), {"type": "CANCEL"}, **{"Idempotency-Key": "renewal-1"})
    assert first.status_code == 409, first.content
    attempts = AuditEntry.objects.count()
    assert attempts >= 1 and AuditEntry.objects.filter(api_token=api.token).count() == attempts
    operation = Operation.objects.get()
    assert operation.api_token == api.token and operation.status == Operation.Status.FAILED
    again = api.post(_renewal(sub), {"type": "CANCEL"}, **{"Idempotency-Key": "renewal-1"})
    assert (again.status_code, again.json()) == (first.status_code, first.json())
    other = api.post(_renewal(sub), {"type": "STAY"}, **{"Idempotency-Key": "renewal-1"})
    assert other.status_code == 422 and other.json()["error"]["code"] == "idempotency_key_reused"
    assert (AuditEntry.objects.count(), Operation.objects.count()) == (attempts, 1)  # nothing sent again
    assert ApiCall.objects.filter(token=api.token, operation=operation.pk).count() == 1


def test_two_tokens_may_use_the_same_key_for_their_own_writes(api_as, sub, unreachable):
    first, second = api_as(Role.ACCOUNT_MANAGER), api_as(Role.ADMIN)
    for api in (first, second):
        answer = api.post(_renewal(sub), {"type": "CANCEL"}, **{"Idempotency-Key": "same"})
        assert answer.status_code == 409
    assert Operation.objects.count() == 2


# --- Every change endpoint: the dry run of its page's form, and a refusal its page makes -----------------------

#: The change each write sends (the matrix's rows: one customer with something to change for each).
CHANGES = {
    "api:customer_create": "createCustomer",
    "api:customer_edit": "patchCustomer",
    "api:customer_usage": "patchUsageStatus",
    "api:customer_usage_renewal": "patchUsageStatusRenewal",  # it has one: only its date moves
    "api:customer_usage_renewal_delete": "deleteUsageStatusRenewal",
    "api:customer_domain_upgrade": "createUpgradeDomain",
    "api:customer_domain_upgrade_delete": "deleteUpgradeDomain",
    "api:customer_domain_change": "changeCustomerDomain",
    "api:customer_activate": "activateCustomer",
    "api:customer_delete": "deleteCustomer",
    "api:customer_transfer": "transferPotentialCustomer",
    "api:subscription_renewal": "updateSubscriptionRenewal",
    "api:subscription_reservation": "createSubscriptionReservation",
    "api:subscription_reservation_date": "updateSubscriptionReservation",
    "api:subscription_reservation_delete": "deleteSubscriptionReservation",
    "api:subscription_convert": "convertSubscriptionToPaid",
    "api:subscription_upgrade": "upgradeSubscription",
    "api:subscription_add_licences": "addSubscriptionLicenseCount",
    "api:subscription_cancel": "cancelSubscription",
    "api:subscription_create": "createSubscription",
    "api:pre_order_create": "createSubscriptionPreOrder",
    "api:pre_order_date": "updateSubscriptionPreOrder",
    "api:pre_order_delete": "deleteSubscriptionPreOrder",
    "api:option_create": "createOptionProduct",
    "api:option_upgrade": "upgradeOptionProduct",
    "api:option_add_quantity": "addOptionProductQuantity",
    "api:option_cancel": "cancelOptionProduct",
    "api:option_renewal": "updateOptionProductRenewal",
    "api:option_order_create": "createOptionProductOrder",
    "api:option_order_date": "updateOptionProductOrder",
    "api:option_order_delete": "deleteOptionProductOrder",
}


def _write_url(name: str, rows) -> str:
    from tests.api.test_access import MATRIX, _kwargs

    obj = next(row[1] for row in MATRIX if row[0] == name)
    return reverse(name, kwargs=_kwargs(name, obj, rows, Role.ADMIN))


def test_every_write_is_named_here():
    from tests.api.test_access import MATRIX

    local = {  # the portal's own data: tested below
        "api:customer_invoice_payment",
        "api:billing_price_add",
        "api:billing_month_close",
        "api:billing_month_reopen",
        "api:billing_costs_accept",
        "api:customer_invoice_send",
        "api:customer_invoices_issue",
    }
    assert set(CHANGES) | local == {name for name, _obj, method, _area, _level in MATRIX if method == "post"}


@pytest.mark.parametrize("name", sorted(CHANGES))
def test_every_writes_dry_run_checks_with_its_pages_form_and_sends_nothing(api_as, name):
    from tests.api.test_access import body_for, make_rows

    rows = make_rows()
    before = _nothing_written()
    answer = api_as(Role.ADMIN).post(_write_url(name, rows), body_for(name))
    assert answer.status_code == 200, answer.content
    data = answer.json()
    assert (data["dry_run"], data["result"], data["change"]) == (True, "would_send", CHANGES[name])
    assert data["change_label"] and data["arguments"] and data["operation"] is None
    assert _nothing_written() == before


def test_a_customer_edit_keeps_what_the_body_leaves_out(api_as):
    from tests.api.test_access import make_rows

    c = make_rows()["customer"]
    api = api_as(Role.ACCOUNT_MANAGER)
    url = reverse("api:customer_edit", args=[c.domain_id])
    answer = api.post(url, {"memo": "Call in May", "dry_run": True}).json()
    assert answer["arguments"] == {"domain_id": c.domain_id, "fields": {"memo": "Call in May"}}
    nothing = api.post(url, {"company_name": c.company_name, "dry_run": True})
    assert nothing.status_code == 409 and nothing.json()["error"]["message"] == "Nothing changed."
    japanese = api.post(url, {"dry_run": True}, **{"Accept-Language": "ja"})
    assert japanese.json()["error"]["message"] == "変更はありません。"


def test_the_pages_own_refusals_before_their_forms(api_as):
    from subscriptions.models import Reservation
    from tests.api.test_access import make_rows
    from tests.options.factories import make_option

    rows = make_rows()
    before = _nothing_written()
    api = api_as(Role.ADMIN)
    c = rows["customer"]
    c.renewal_apply_date = None
    c.save()
    answer = api.post(reverse("api:customer_usage_renewal_delete", args=[c.domain_id]), {"dry_run": True})
    assert (answer.status_code, answer.json()["error"]["message"]) == (
        409,
        "This customer has no scheduled max-users change.",
    )
    top = make_option(c, option_product_id="BCT", sub_option_id="BCT04")
    answer = api.post(
        reverse("api:option_upgrade", args=[c.domain_id, top.option_product_id]),
        {"sub_option_id": "BCT04", "dry_run": True},
    )
    assert answer.json()["error"]["message"] == "This option has no larger sub option to upgrade to."
    trial = make_option(c, option_product_id="ACV2", sub_option_id="ACV200", trial=True, quantity=None)
    answer = api.post(
        reverse("api:option_renewal", args=[c.domain_id, trial.option_product_id]),
        {"type": "STAY", "dry_run": True},
    )
    assert answer.json()["error"]["message"] == "A Trial option has no renewal settings."
    Reservation.objects.all().delete()
    free = make_customer()
    make_subscription(free, product_id="FR", plan="FREE", license_count=None, renewal_type="")
    answer = api.post(
        reverse("api:option_order_create", args=[free.domain_id]),
        {"type": "APPLY", "sub_option_id": "DRV01", "apply_date": "2030-01-01", "dry_run": True},
    )
    assert (answer.status_code, answer.json()["error"]["message"]) == (
        409,
        "No option change can be scheduled for this customer now.",
    )
    assert _nothing_written() == before


def test_an_endpoint_without_query_parameters_names_the_unknown_ones(api_as, sub):
    api = api_as(Role.ACCOUNT_MANAGER)
    one = api.get(reverse("api:subscription", args=[sub.subscription_id]), {"expand": "all", "fields": "x"})
    assert one.status_code == 422
    error = one.json()["error"]
    assert set(error["fields"]) == {"expand", "fields"} and "expand, fields" in error["message"]
    japanese = api.get(
        reverse("api:subscription", args=[sub.subscription_id]), {"expand": "1"}, **{"Accept-Language": "ja"}
    )
    assert (
        "expand" in japanese.json()["error"]["message"]
        and japanese.json()["error"]["message"].isascii() is False
    )
    write = api.post(f"{_renewal(sub)}?dry_run=true", {"type": "STAY"})
    assert write.status_code == 422 and set(write.json()["error"]["fields"]) == {"dry_run"}
    nobody = api_as(Role.FINANCE).get(
        reverse("api:subscription", args=[sub.subscription_id]), {"expand": "1"}
    )
    assert nobody.status_code == 403  # who may not read it learns nothing more
    assert api.get(reverse("api:subscription", args=[sub.subscription_id])).status_code == 200


# --- A payment received: the portal's own data, with a dry run and an Idempotency-Key as a change's -----------


def test_a_payment_checked_then_recorded_once_per_key_and_audited_with_the_token(api_as):
    from invoicing.models import InvoicePayment
    from tests.search.factories import make_issued

    invoice = make_issued(57, domain_id=make_customer().domain_id)  # ¥1,100 owed
    api = api_as(Role.FINANCE)
    url = reverse("api:customer_invoice_payment", args=[invoice.number])
    today = clock.today().isoformat()

    too_much = api.post(url, {"amount": 1101, "paid_on": today, "dry_run": True})
    assert too_much.status_code == 422
    assert too_much.json()["error"]["fields"]["amount"] == [
        "That is more than the invoice still owes (¥1,100)."
    ]
    future = api.post(url, {"amount": 100, "paid_on": "2999-01-01", "dry_run": True})
    assert future.json()["error"]["fields"]["paid_on"] == ["The date paid cannot be in the future."]
    checked = api.post(url, {"amount": 600, "paid_on": today, "dry_run": True})
    assert checked.status_code == 200, checked.content
    assert checked.json() | {"message": ""} == {
        "dry_run": True,
        "result": "would_record",
        "message": "",
        "number": 57,
        "amount": 600,
        "paid_on": today,
        "owed_before": 1100,
        "owed_after": 500,
        "payment_id": None,
    }
    assert not InvoicePayment.objects.exists()
    assert api.post(url, {"amount": 600, "paid_on": today}).status_code == 428

    paid = api.post(url, {"amount": 600, "paid_on": today}, **{"Idempotency-Key": "pay-1"})
    assert paid.status_code == 200, paid.content
    assert (paid.json()["result"], paid.json()["owed_after"]) == ("recorded", 500)
    payment = InvoicePayment.objects.get()
    assert paid.json()["payment_id"] == payment.pk and payment.amount == 600
    entry = AuditEntry.objects.get(operation_id="portal.recordInvoicePayment")
    assert (entry.api_token, entry.actor) == (api.token, api.user)

    again = api.post(url, {"amount": 600, "paid_on": today}, **{"Idempotency-Key": "pay-1"})
    assert (again.status_code, again.json()) == (200, paid.json())
    other = api.post(url, {"amount": 500, "paid_on": today}, **{"Idempotency-Key": "pay-1"})
    assert other.status_code == 422 and other.json()["error"]["code"] == "idempotency_key_reused"
    assert InvoicePayment.objects.count() == 1  # recorded once
    rest = api.post(url, {"amount": 500, "paid_on": today}, **{"Idempotency-Key": "pay-2"})
    assert rest.status_code == 200 and rest.json()["owed_after"] == 0
    assert api_as(Role.ACCOUNT_MANAGER).post(url, {"amount": 1, "paid_on": today}).status_code == 403


# --- Finance's writes of the billing area: a price, a month closed and reopened, costs accepted -----------------


def test_a_price_checked_then_added_once_per_key_and_audited_with_the_token(api_as):
    from billing.models import MonthClosing, PriceEntry

    api = api_as(Role.FINANCE)
    url = reverse("api:billing_price_add")
    body = {"item_id": "STD", "plan": "MONTHLY", "cost": 540, "price": 800, "effective_from": "2026-10-01"}
    MonthClosing.objects.create(year=2026, month=10, closed_at=timezone.now())
    closed = api.post(url, body | {"dry_run": True})
    assert closed.status_code == 422
    assert closed.json()["error"]["fields"]["body"] == [
        "This price would be in force in 2026-10, which Finance has closed: a closed month keeps the prices it "
        "was checked with. Choose a day after it, or ask an Admin to reopen it."
    ]
    MonthClosing.objects.update(reopened_at=timezone.now())

    checked = api.post(url, body | {"dry_run": True})
    assert checked.status_code == 200, checked.content
    assert checked.json() | {"message": ""} == {
        "dry_run": True,
        "result": "would_add",
        "message": "",
        "item_id": "STD",
        "sub_item_id": "",
        "plan": "MONTHLY",
        "domain_id": None,
        "customer": "",
        "cost": 540,
        "price": 800,
        "effective_from": "2026-10-01",
        "entry_id": None,
    }
    assert not PriceEntry.objects.exists()
    assert api.post(url, body).status_code == 428

    added = api.post(url, body, **{"Idempotency-Key": "price-1"})
    assert added.status_code == 200, added.content
    assert (added.json()["result"], added.json()["message"]) == ("added", "The price is added.")
    entry = PriceEntry.objects.get()
    assert added.json()["entry_id"] == entry.pk
    assert (entry.item_id, entry.plan, entry.cost, entry.price, entry.created_by) == (
        "STD",
        "MONTHLY",
        540,
        800,
        api.user,
    )
    audit = AuditEntry.objects.get(operation_id="portal.addPrice")
    assert (audit.api_token, audit.actor) == (api.token, api.user)
    again = api.post(url, body, **{"Idempotency-Key": "price-1"})
    assert (again.status_code, again.json()) == (200, added.json())
    assert PriceEntry.objects.count() == 1  # added once
    same_day = api.post(url, body, **{"Idempotency-Key": "price-2"})
    assert same_day.status_code == 422  # a price in force is never rewritten
    assert "a price in force is never rewritten" in same_day.json()["error"]["fields"]["body"][0]
    assert api_as(Role.ACCOUNT_MANAGER).post(url, body | {"dry_run": True}).status_code == 403


def test_a_month_closed_by_finance_then_reopened_by_an_admin_with_a_reason(api_as):
    from billing.models import MonthClosing

    today = clock.today()
    finance, admin = api_as(Role.FINANCE), api_as(Role.ADMIN)
    running = finance.post(
        reverse("api:billing_month_close", kwargs={"year": today.year, "month": today.month}),
        {"dry_run": True},
    )
    assert running.status_code == 409
    assert running.json()["error"]["message"] == "A month can be closed only once it has ended."

    close = reverse("api:billing_month_close", kwargs={"year": 2026, "month": 10})
    checked = finance.post(close, {"dry_run": True})
    assert checked.status_code == 200, checked.content
    assert checked.json() | {"message": ""} == {
        "dry_run": True,
        "result": "would_close",
        "message": "",
        "year": 2026,
        "month": 10,
        "reason": "",
    }
    assert not MonthClosing.objects.exists()
    assert finance.post(close, {}).status_code == 428
    closed = finance.post(close, {}, **{"Idempotency-Key": "close-1"})
    assert closed.status_code == 200, closed.content
    assert closed.json()["message"] == (
        "2026-10 is closed: its findings, explanations and prices are read-only now."
    )
    closing = MonthClosing.objects.get(year=2026, month=10)
    assert closing.closed_by == finance.user and closing.reopened_at is None
    audit = AuditEntry.objects.get(operation_id="portal.closeBillingMonth")
    assert (audit.api_token, audit.actor) == (finance.token, finance.user)
    again = finance.post(close, {}, **{"Idempotency-Key": "close-1"})
    assert (again.status_code, again.json()) == (200, closed.json())
    twice = finance.post(close, {}, **{"Idempotency-Key": "close-2"})
    assert twice.status_code == 409
    assert twice.json()["error"]["message"] == (
        "2026-10 is closed: its findings, explanations and prices are read-only. An Admin can reopen it."
    )

    reopen = reverse("api:billing_month_reopen", kwargs={"year": 2026, "month": 10})
    body = {"reason": "A credit note from the vendor"}
    not_admin = finance.post(reopen, body | {"dry_run": True})
    assert not_admin.status_code == 403 and not_admin.json()["error"]["code"] == "forbidden"
    assert admin.post(reopen, {"dry_run": True}).status_code == 422  # the reason is the form's, and needed
    checked = admin.post(reopen, body | {"dry_run": True})
    assert checked.status_code == 200, checked.content
    assert (checked.json()["result"], checked.json()["reason"]) == ("would_reopen", body["reason"])
    assert MonthClosing.objects.get().reopened_at is None
    reopened = admin.post(reopen, body, **{"Idempotency-Key": "reopen-1"})
    assert reopened.status_code == 200, reopened.content
    assert reopened.json()["message"] == (
        "2026-10 is reopened: its findings, explanations and prices can be changed again."
    )
    closing.refresh_from_db()
    assert (closing.reopened_by, closing.reopen_reason) == (admin.user, body["reason"])
    audit = AuditEntry.objects.get(operation_id="portal.reopenBillingMonth")
    assert (audit.api_token, audit.reason) == (admin.token, body["reason"])
    not_closed = admin.post(reopen, body | {"dry_run": True})
    assert not_closed.status_code == 409
    assert not_closed.json()["error"]["message"] == "2026-10 is not closed."


def test_costs_from_line_works_invoice_checked_then_accepted_once(api_as):
    from billing.models import InvoiceCost, MonthClosing, PriceEntry

    for item_id, cost in (("STD", 540), ("ADV", 900)):
        InvoiceCost.objects.create(
            year=2026,
            month=10,
            item_type="PRODUCT",
            item_id=item_id,
            plan="MONTHLY",
            unit_cost=cost,
            lines=1,
            learned_at=timezone.now(),
        )
    PriceEntry.objects.create(
        item_id="STD", plan="MONTHLY", cost=500, price=700, effective_from=dt.date(2026, 1, 1)
    )
    api = api_as(Role.FINANCE)
    url = reverse("api:billing_costs_accept", kwargs={"year": 2026, "month": 10})
    nothing = api.post(url, {"dry_run": True})
    assert nothing.status_code == 422
    assert nothing.json()["error"]["fields"]["body"] == ["Tick the costs to accept, or choose Accept all."]
    unknown = api.post(url, {"keys": ["DRV||MONTHLY"], "dry_run": True})
    assert unknown.status_code == 422 and "no longer proposed" in unknown.json()["error"]["fields"]["keys"][0]

    checked = api.post(url, {"keys": ["STD||MONTHLY"], "dry_run": True})
    assert checked.status_code == 200, checked.content
    assert checked.json()["result"] == "would_add" and checked.json()["effective_from"] == "2026-10-01"
    assert checked.json()["costs"] == [
        {
            "key": "STD||MONTHLY",
            "item_id": "STD",
            "sub_item_id": "",
            "plan": "MONTHLY",
            "cost": 540,
            "cost_before": 500,
            "price": 700,
            "entry_id": None,
        }
    ]
    assert PriceEntry.objects.count() == 1
    assert api.post(url, {"keys": ["STD||MONTHLY"]}).status_code == 428
    added = api.post(url, {"keys": ["STD||MONTHLY"]}, **{"Idempotency-Key": "costs-1"})
    assert added.status_code == 200, added.content
    assert added.json()["message"] == "1 cost from LINE WORKS' invoice is in the price book from 2026-10."
    entry = PriceEntry.objects.get(cost=540)
    assert added.json()["costs"][0]["entry_id"] == entry.pk
    assert (entry.price, entry.effective_from) == (700, dt.date(2026, 10, 1))
    audit = AuditEntry.objects.get(operation_id="portal.acceptInvoiceCost")
    assert (audit.api_token, audit.actor) == (api.token, api.user)
    again = api.post(url, {"keys": ["STD||MONTHLY"]}, **{"Idempotency-Key": "costs-1"})
    assert (again.status_code, again.json()) == (200, added.json())
    assert PriceEntry.objects.count() == 2  # added once
    rest = api.post(url, {"choice": "all", "dry_run": True})
    assert [c["key"] for c in rest.json()["costs"]] == [
        "ADV||MONTHLY"
    ]  # the one accepted is no longer proposed

    MonthClosing.objects.create(year=2026, month=10, closed_at=timezone.now())
    closed = api.post(url, {"choice": "all"}, **{"Idempotency-Key": "costs-2"})
    assert closed.status_code == 409
    assert closed.json()["error"]["message"] == (
        "2026-10 is closed: its findings, explanations and prices are read-only. An Admin can reopen it."
    )
    assert PriceEntry.objects.count() == 2


# --- An issued invoice sent to the customer: the portal's own mail, once --------------------------------------


def test_an_issued_invoice_checked_then_sent_once_and_audited_with_the_token(api_as, request):
    from django.core import mail

    from invoicing import services
    from invoicing.models import CustomerBilling, InvoiceSending, IssuedInvoice
    from tests.fixtures.personas import make_persona
    from tests.invoicing.conftest import M

    october = request.getfixturevalue("month")  # tests/invoicing's October: Alpha and Beta
    CustomerBilling.objects.filter(domain_id=october["alpha"].domain_id).update(
        invoice_email="ap@alpha.example"
    )
    CustomerBilling.objects.create(
        domain_id=october["beta"].domain_id, bill_to_name="Beta Clinic", bill_to_address="Kobe", language="en"
    )
    run = services.month_issue_request(user=make_persona(Role.FINANCE), **M)
    services.month_issue(run_id=run.pk)
    alpha, beta = (IssuedInvoice.objects.get(domain_id=october[c].domain_id) for c in ("alpha", "beta"))
    api = api_as(Role.FINANCE)
    url = reverse("api:customer_invoice_send", args=[alpha.number])

    no_address = api.post(reverse("api:customer_invoice_send", args=[beta.number]), {"dry_run": True})
    assert no_address.status_code == 409
    assert no_address.json()["error"]["message"] == (
        "The customer has no e-mail address for invoices: add it to its billing details."
    )
    checked = api.post(url, {"dry_run": True})
    assert checked.status_code == 200, checked.content
    assert checked.json() | {"message": ""} == {
        "dry_run": True,
        "result": "would_send",
        "message": "",
        "number": alpha.number,
        "to": "ap@alpha.example",
        "attempt_id": None,
    }
    assert not InvoiceSending.objects.exists() and not mail.outbox
    assert api.post(url, {}).status_code == 428

    sent = api.post(url, {}, **{"Idempotency-Key": "send-1"})
    assert sent.status_code == 200, sent.content
    assert sent.json()["result"] == "sent"
    assert sent.json()["message"] == f"Invoice No. {alpha.number} is sent to ap@alpha.example."
    attempt = InvoiceSending.objects.get()
    assert sent.json()["attempt_id"] == attempt.pk and attempt.attempted_by == api.user
    assert [m.to for m in mail.outbox] == [["ap@alpha.example"]]
    audit = AuditEntry.objects.get(operation_id="portal.sendCustomerInvoice")
    assert (audit.api_token, audit.actor) == (api.token, api.user)
    again = api.post(url, {}, **{"Idempotency-Key": "send-1"})
    assert (again.status_code, again.json()) == (200, sent.json())
    twice = api.post(url, {}, **{"Idempotency-Key": "send-2"})
    assert twice.status_code == 409
    assert twice.json()["error"]["message"] == "This invoice is sent or being sent already."
    assert len(mail.outbox) == 1  # sent once


def test_a_months_drafts_checked_then_issued_once_per_key(
    api_as, request, django_capture_on_commit_callbacks
):
    from invoicing import services
    from invoicing.models import IssuedInvoice, IssueRun
    from tests.invoicing.conftest import M

    october = request.getfixturevalue("month")  # Alpha's draft ready, Beta's blocked (no billing details)
    api = api_as(Role.FINANCE)
    url = reverse("api:customer_invoices_issue", kwargs=M)
    checked = api.post(url, {"dry_run": True})
    assert checked.status_code == 200, checked.content
    assert checked.json() | {"message": ""} == {
        "dry_run": True,
        "result": "would_issue",
        "message": "",
        "year": 2026,
        "month": 10,
        "ready": 1,
        "total": 7621,
        "run_id": None,
    }
    assert not IssueRun.objects.exists()
    assert api.post(url, {}).status_code == 428

    with django_capture_on_commit_callbacks() as queued:
        issuing = api.post(url, {}, **{"Idempotency-Key": "issue-1"})
    assert issuing.status_code == 200, issuing.content
    run = IssueRun.objects.get()
    assert (issuing.json()["result"], issuing.json()["run_id"], run.requested_by) == (
        "issuing",
        run.pk,
        api.user,
    )
    assert len(queued) == 1  # the worker's task, once committed
    services.month_issue(run_id=run.pk)  # the worker
    issued = IssuedInvoice.objects.get()
    assert (issued.domain_id, issued.total) == (october["alpha"].domain_id, 7621)
    audit = AuditEntry.objects.get(operation_id="portal.issueCustomerInvoice")
    assert audit.actor == api.user
    again = api.post(url, {}, **{"Idempotency-Key": "issue-1"})
    assert (again.status_code, again.json()) == (200, issuing.json())
    nothing = api.post(url, {}, **{"Idempotency-Key": "issue-2"})
    assert nothing.status_code == 409
    assert nothing.json()["error"]["message"] == "No draft of this month is ready to issue."
    assert IssueRun.objects.count() == 1 and IssuedInvoice.objects.count() == 1
