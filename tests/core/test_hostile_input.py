"""No input makes a 500: every change form, posted hostile values in each of its fields, answers with a page.

The fields are read from each form as the browser gets it (so a new field is covered without editing this
file) and every one is filled with the same hostile value: empty, a NUL character, 100,000 characters,
impossible dates and numbers, wrong types, script. The Partner API points at a closed local port, so a
payload that were accepted could not change anything; none should get that far (nothing reaches the audit
trail), except the one form whose all-blank answer is a real request.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.urls import resolve, reverse

from portal.core.access import Role
from portal.core.models import AuditEntry
from tests.customers.factories import make_customer
from tests.subscriptions.factories import make_pre_order, make_reservation, make_subscription

pytestmark = pytest.mark.django_db

HOSTILE = {
    "empty": "",
    "nul": "a\x00b",
    "huge": "9" * 100_000,
    "impossible date": "2026-02-30",
    "far date": "99999-12-31",
    "negative": "-1",
    "overflow": "1" + "0" * 30,
    "float": "1e309",
    "script": "<script>alert(1)</script>",
    "unicode": "\u202e𝔘𝔫𝔦\ufffd",
}
#: For the POST-only actions (their form is on another page): the field names any of them reads.
POSTED_FIELDS = {"domain", "idempotency_key", "reason", "apply_date", "max_member_count", "license_count"}
FIELD = re.compile(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"')


@pytest.fixture
def world(settings):
    settings.PARTNER_API_BASE_URL = "http://127.0.0.1:9/v1.0"  # nothing listens: nothing could be changed
    with time_machine.travel(dt.datetime(2026, 11, 20, 16, 0, tzinfo=dt.UTC), tick=False):
        customer = make_customer(company_name="Hostile Input K.K.")
        group = make_customer(domain_type="GROUP", domain="hostile.by-works.com")
        sub = make_subscription(customer)
        make_reservation(sub, type="ADD_LICENSE", apply_date=dt.date(2026, 12, 1), license_count=5)
        free = make_subscription(group, plan="FREE", product_id="STD", license_count=None, renewal_type="")
        pre = make_pre_order(customer, apply_date=dt.date(2026, 12, 5))
        yield {"customer": customer, "group": group, "sub": sub, "free": free, "pre": pre}


def change_pages(world) -> list[str]:
    c, g, s, free, pre = world["customer"], world["group"], world["sub"], world["free"], world["pre"]
    return [
        reverse("customers:add"),
        reverse("customers:add_details"),
        reverse("customers:transfer"),
        reverse("customers:edit", args=[c.domain_id]),
        reverse("customers:usage", args=[c.domain_id]),
        reverse("customers:renewal", args=[c.domain_id]),
        reverse("customers:renewal_delete", args=[c.domain_id]),
        reverse("customers:delete", args=[c.domain_id]),
        reverse("customers:domain", args=[g.domain_id]),
        reverse("customers:domain_upgrade", args=[g.domain_id]),
        reverse("customers:domain_upgrade_delete", args=[g.domain_id]),
        reverse("customers:domain_change", args=[g.domain_id]),
        reverse("customers:activate", args=[c.domain_id]),
        reverse("subscriptions:reservation", args=[s.subscription_id]),
        reverse("subscriptions:reservation_delete", args=[s.subscription_id]),
        reverse("subscriptions:renewal", args=[s.subscription_id]),
        reverse("subscriptions:convert", args=[free.subscription_id]),
        reverse("subscriptions:upgrade", args=[s.subscription_id]),
        reverse("subscriptions:add_licences", args=[s.subscription_id]),
        reverse("subscriptions:cancel", args=[s.subscription_id]),
        reverse("subscriptions:add", args=[g.domain_id]),
        reverse("subscriptions:pre_order_add", args=[c.domain_id]),
        reverse("subscriptions:pre_order", args=[c.domain_id, pre.pre_order_id]),
        reverse("subscriptions:pre_order_delete", args=[c.domain_id, pre.pre_order_id]),
    ]


def test_every_change_form_of_the_resolver_is_in_the_list(world):
    """A change page added to the URLs without being added above fails here (the resolver is the source)."""
    from tests.core.test_url_coverage import CHANGE_PERMS, NOT_FORMS, PROTECTED, _required

    forms = {name for name, p in PROTECTED if _required(p) in CHANGE_PERMS and name not in NOT_FORMS}
    assert forms
    listed = {resolve(url).view_name for url in change_pages(world)}
    assert sorted(forms - listed) == [], "add these change pages to change_pages() above"


def test_every_change_page_is_covered(world, client_as):
    """The list above is every change page there is: each answers an Account manager's GET without error."""
    manager = client_as(Role.ACCOUNT_MANAGER)
    for url in change_pages(world):
        assert manager.get(url).status_code in (200, 302, 405), url


@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_values_in_every_field_get_an_answer_not_an_error(world, client_as, value):
    manager = client_as(Role.ACCOUNT_MANAGER)
    for url in change_pages(world):
        shown = manager.get(url)
        fields = set(FIELD.findall(shown.content.decode())) if shown.status_code == 200 else POSTED_FIELDS
        fields.discard("csrfmiddlewaretoken")
        for confirmed in ("", "1"):
            payload = {name: value for name in fields} | ({"confirmed": confirmed} if confirmed else {})
            response = manager.post(url, payload)
            assert response.status_code < 500, (url, payload.keys())
    sent = set(AuditEntry.objects.values_list("operation_id", flat=True))
    # A blank maximum and a blank cancellation date mean "no limit, none scheduled": a real request.
    allowed = {"patchUsageStatus"} if value == "" else set()
    assert sent <= allowed, f"reached the Partner API: {sent - allowed}"


READ_PAGES = [
    "customers:list",
    "customers:export",
    "subscriptions:list",
    "subscriptions:export",
    "schedule:agenda",
    "schedule:export",
    "schedule:ical",
    "core:activity",
    "customers:add_details",
    "customers:transfer",
]
QUERY_KEYS = [
    "q", "page", "per_page", "sort", "product", "plan", "status", "trial_within", "renewal_type", "end_from",
    "end_to", "kind", "date_from", "date_to", "view", "month", "user", "domain_id", "operation_id", "outcome",
    "domain", "type", "partner_code", "usage_status",
]  # fmt: skip


@pytest.mark.parametrize(
    "value", [*HOSTILE.values(), "0", "99999999", "-"], ids=[*HOSTILE.keys(), "0", "9s", "dash"]
)
def test_hostile_filters_and_pages_get_an_answer_not_an_error(world, client_as, value):
    admin = client_as(Role.ADMIN)
    for name in READ_PAGES:
        response = admin.get(reverse(name), {key: value for key in QUERY_KEYS})
        assert response.status_code < 500, name
        response = admin.get(reverse(name), {key: [value, "x"] for key in QUERY_KEYS})  # repeated keys
        assert response.status_code < 500, name
