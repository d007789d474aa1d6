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
from pathlib import Path

import pytest
import time_machine
from django.urls import resolve, reverse

from portal.core.access import Role
from portal.core.changes.sealing import seal
from portal.core.models import AuditEntry, EventEndpoint, NoticeRoom
from tests.customers.factories import make_customer
from tests.fixtures.personas import make_persona
from tests.options.factories import make_option, make_order
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
        make_option(customer)
        make_order(customer)
        member = make_persona(Role.SUPPORT, username="hostile-member")
        room = NoticeRoom.objects.create(
            name="Hostile room", sealed_url=seal("https://webhook.worksmobile.com/message/x1"), url_end="e/x1"
        )
        endpoint = EventEndpoint.objects.create(
            url="https://93.184.215.14/hooks", sealed_secret=seal("whsec_x")
        )
        yield {
            "endpoint": endpoint,
            "customer": customer,
            "group": group,
            "sub": sub,
            "free": free,
            "pre": pre,
            "member": member,
            "room": room,
        }


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
        reverse("options:add", args=[c.domain_id]),
        reverse("options:upgrade", args=[c.domain_id, "SSTG2"]),
        reverse("options:add_quantity", args=[c.domain_id, "SSTG2"]),
        reverse("options:cancel", args=[c.domain_id, "SSTG2"]),
        reverse("options:renewal", args=[c.domain_id, "SSTG2"]),
        reverse("options:order_add", args=[c.domain_id]),
        reverse("options:order", args=[c.domain_id, "SSTG2"]),
        reverse("options:order_delete", args=[c.domain_id, "SSTG2"]),
    ]


def admin_pages(world) -> list[str]:
    """The Admins' forms: the Users page's (about a Support user of the world), the sign-in unlock, a customer's
    owner, the approval rules, the team rooms (and an Admin's own notices)."""
    member = world["member"].pk
    return [
        reverse("customers:owner", args=[world["customer"].domain_id]),
        reverse("accounts:user_add"),
        reverse("accounts:user", args=[member]),
        reverse("accounts:user_password", args=[member]),
        reverse("accounts:user_deactivate", args=[member]),
        reverse("accounts:user_reactivate", args=[member]),
        reverse("accounts:signin_unlock"),
        reverse("core:approvals"),
        reverse("core:notices"),
        reverse("core:notice_rooms"),
        reverse("core:notice_room", args=[world["room"].pk]),
        reverse("core:notice_room_remove", args=[world["room"].pk]),
        reverse("core:event_endpoints"),
        reverse("core:event_endpoint", args=[world["endpoint"].pk]),
        reverse("core:event_endpoint_test", args=[world["endpoint"].pk]),
        reverse("core:event_endpoint_secret", args=[world["endpoint"].pk]),
        reverse("core:event_endpoint_remove", args=[world["endpoint"].pk]),
    ]


def test_every_change_form_of_the_resolver_is_in_the_list(world):
    """A change page added to the URLs without being added above fails here (the resolver is the source)."""
    from portal.core.access import required_perm
    from tests.core.test_url_coverage import CHANGE_PERMS, NOT_FORMS, PROTECTED

    forms = {name for name, p in PROTECTED if required_perm(p) in CHANGE_PERMS and name not in NOT_FORMS}
    assert forms
    listed = {resolve(url).view_name for url in change_pages(world)}
    assert sorted(forms - listed) == [], "add these change pages to change_pages() above"


def test_every_admin_form_of_the_resolver_is_in_the_list(world):
    from portal.core.access import required_perm
    from tests.core.test_url_coverage import ADMIN_FORM_PERMS, NOT_ADMIN_FORMS, PROTECTED

    forms = {
        name for name, p in PROTECTED if required_perm(p) in ADMIN_FORM_PERMS and name not in NOT_ADMIN_FORMS
    }
    assert "accounts:user_add" in forms
    listed = {resolve(url).view_name for url in admin_pages(world)}
    assert sorted(forms - listed) == [], "add these Admin forms to admin_pages() above"


def test_every_change_page_is_covered(world, client_as):
    """The list above is every change page there is: each answers an Account manager's GET without error."""
    manager = client_as(Role.ACCOUNT_MANAGER)
    for url in change_pages(world):
        assert manager.get(url).status_code in (200, 302, 405), url


#: (role, view) -> the names of the fields its form shows, read once per test process: what a form shows does not
#: depend on the hostile value posted to it, and every test here builds the same world.
_SHOWN_FIELDS: dict[tuple[Role, str], frozenset[str]] = {}


def shown_fields(client, role: Role, url: str) -> set[str]:
    """The fields of the form at `url` as a browser gets it (or, for a POST-only action, `POSTED_FIELDS`)."""
    key = (role, resolve(url).view_name)
    if key not in _SHOWN_FIELDS:
        shown = client.get(url)
        fields = set(FIELD.findall(shown.content.decode())) if shown.status_code == 200 else POSTED_FIELDS
        _SHOWN_FIELDS[key] = frozenset(fields - {"csrfmiddlewaretoken"})
    return set(_SHOWN_FIELDS[key])


@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_values_in_every_field_get_an_answer_not_an_error(world, client_as, value):
    manager = client_as(Role.ACCOUNT_MANAGER)
    for url in change_pages(world):
        fields = shown_fields(manager, Role.ACCOUNT_MANAGER, url)
        for confirmed in ("", "1"):
            payload = {name: value for name in fields} | ({"confirmed": confirmed} if confirmed else {})
            response = manager.post(url, payload)
            assert response.status_code < 500, (url, payload.keys())
    sent = set(AuditEntry.objects.values_list("operation_id", flat=True))
    # A blank maximum and a blank cancellation date mean "no limit, none scheduled": a real request.
    allowed = {"patchUsageStatus"} if value == "" else set()
    assert sent <= allowed, f"reached the Partner API: {sent - allowed}"


#: What a hostile value may do on an Admin form: it is a real request when the form's only input is the
#: decision (deactivate, reactivate) or a password that is empty (one is made up) or passes the validators.
ADMIN_WRITES = {
    "portal.resetUserPassword",
    "portal.deactivateUser",
    "portal.reactivateUser",
    "portal.removeNoticeRoom",
    "portal.removeEventEndpoint",
    "portal.newEventEndpointSecret",
}


@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_values_in_every_admin_form_get_an_answer_not_an_error(world, client_as, value):
    from django.contrib.auth import get_user_model

    admin = client_as(Role.ADMIN)
    users_before = set(get_user_model().objects.values_list("username", flat=True))
    for url in admin_pages(world):
        fields = shown_fields(admin, Role.ADMIN, url)
        for confirmed in ("", "1"):
            payload = {name: value for name in fields} | ({"confirmed": confirmed} if confirmed else {})
            response = admin.post(url, payload)
            assert response.status_code < 500, (url, payload.keys())
    sent = set(AuditEntry.objects.values_list("operation_id", flat=True))
    assert sent <= ADMIN_WRITES, f"a hostile value changed more than it may: {sent - ADMIN_WRITES}"
    # No one was added and no role changed; the Admin is still one.
    assert set(get_user_model().objects.values_list("username", flat=True)) == users_before
    assert list(world["member"].groups.values_list("name", flat=True)) == ["Support"]
    assert admin.get(reverse("accounts:users")).status_code == 200


READ_PAGES = [
    "customers:list",
    "customers:export",
    "subscriptions:list",
    "subscriptions:export",
    "schedule:agenda",
    "schedule:export",
    "schedule:ical",
    "core:activity",
    "accounts:users",
    "customers:add_details",
    "customers:transfer",
]
QUERY_KEYS = [
    "q", "page", "per_page", "sort", "product", "plan", "status", "trial_within", "renewal_type", "end_from",
    "end_to", "kind", "date_from", "date_to", "view", "month", "user", "domain_id", "operation_id", "outcome",
    "domain", "type", "partner_code", "usage_status", "role", "owner",
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


#: Characters `str.isdigit()` accepts that `int()` refuses (superscript two, circled one), and one it reads as
#: a number of another script (Arabic-Indic three): none is a row of any list.
DIGIT_LOOKALIKES = ["\u00b2", "\u2460", "\u0663"]


def _bulk_values(action_key: str, manager) -> dict:
    """Values each bulk action's form accepts, so that the dry run reads the posted rows."""
    from options.rules import SUB_OPTIONS

    day = "2026-12-15"
    return {
        "customers.owner": {"account_manager": ""},
        "customers.share": {"account_managers": [manager.pk]},
        "customers.max_users": {"max_member_count": 100},
        "subscriptions.renewal": {"type": "CANCEL"},
        "subscriptions.cancellation": {"apply_date": day},
        "subscriptions.licences": {"license_count": 1, "apply_date": day},
        "subscriptions.reservation_date": {"apply_date": day},
        "options.add": {"sub_option_id": next(iter(SUB_OPTIONS))},
        "options.units": {"quantity": 1},
    }[action_key]


@pytest.mark.parametrize("value", DIGIT_LOOKALIKES, ids=["superscript", "circled", "arabic-indic"])
def test_a_bulk_row_key_of_digit_lookalikes_is_refused_with_a_clear_error(world, client_as, value):
    from portal.core.contrib import contributions
    from portal.core.models import Batch

    manager = make_persona(Role.ACCOUNT_MANAGER, username="lookalike-manager")
    admin = client_as(Role.ADMIN)
    keys = [value, f"{value}.OPTION", f"{world['customer'].domain_id}.{value}"]
    for action in contributions("bulk_actions"):  # an Admin may start every one
        answer = admin.post(
            reverse("core:bulk_new"),
            {"action": action.key, "keys": keys, **_bulk_values(action.key, manager)},
        )
        assert answer.status_code == 400, action.key
        assert "None of the chosen rows is in the portal" in answer.content.decode(), action.key
    assert not Batch.objects.exists()


def test_a_page_does_not_carry_an_over_long_query_value_into_its_links(world, client_as):
    """A value no filter could take (100,000 characters) is not repeated in every sort, page and download link:
    those pages grew to megabytes each."""
    admin = client_as(Role.ADMIN)
    huge = HOSTILE["huge"]
    for name in READ_PAGES:
        response = admin.get(reverse(name), {key: huge for key in QUERY_KEYS})
        if "text/html" not in response["Content-Type"]:
            continue  # a download
        links = re.findall(r'(?:href|data-hx-get)="([^"]*)"', response.content.decode())
        assert links, name
        assert not [link for link in links if huge[:2000] in link], name


# --- Bounds, methods and content types (issue 13) ----------------------------------------------------------

REPO = Path(__file__).resolve().parents[2]
#: Every module of forms: each app's and room's `forms*.py` (found, not named, so a new app's forms are in) and
#: the change pipeline's.
FORM_MODULES = sorted(
    {
        ".".join(path.relative_to(REPO).with_suffix("").parts)
        for pattern in ("*/forms*.py", "portal/core/forms.py", "portal/core/changes/forms.py")
        for path in REPO.glob(pattern)
        if not path.parts[-2].startswith(("sandbox", "tests"))
    }
)
#: Text fields whose cleaning bounds them without max_length: a fixed-size anchored pattern, a parsed month.
BOUNDED_BY_CLEANING = {"idempotency_key", "month"}


def _form_fields():
    import importlib
    import inspect

    from django import forms

    for module_name in FORM_MODULES:
        module = importlib.import_module(module_name)
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == module_name:
                for field_name, field in cls.base_fields.items():
                    yield f"{module_name}.{name}.{field_name}", field


def test_every_text_and_number_field_is_bounded():
    """A value longer or larger than its column (or the contract) can hold is a form error, never a 500."""
    from django import forms

    fields = list(_form_fields())
    assert len(fields) > 50, "the forms were not found"
    unbounded = [
        name
        for name, field in fields
        if name.rsplit(".", 1)[1] not in BOUNDED_BY_CLEANING
        and (
            (isinstance(field, forms.CharField) and not field.max_length)
            or (isinstance(field, forms.IntegerField) and field.max_value is None)
        )
    ]
    assert unbounded == []


def test_a_domain_id_too_large_for_the_column_is_a_form_error(world, client_as):
    response = client_as(Role.ADMIN).get(reverse("core:activity"), {"domain_id": str(2**63)})
    assert response.status_code == 200


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_a_wrong_method_gets_the_portals_405_page(world, client_as, method):
    manager = client_as(Role.ACCOUNT_MANAGER)
    urls = [*change_pages(world), reverse("core:sync_now")]
    answered = 0
    for url in urls:
        response = getattr(manager, method)(url)
        assert response.status_code < 500, url
        if response.status_code == 405:
            answered += 1
            assert response["Allow"], url
            assert "This page cannot be used this way" in response.content.decode(), url
    assert answered > 0, "no page refused the method"
    assert not AuditEntry.objects.exists()


def test_a_get_to_a_post_only_action_is_translated(world, client_as):
    manager = client_as(Role.ACCOUNT_MANAGER)
    manager.cookies["django_language"] = "ja"
    response = manager.get(reverse("core:sync_now"))
    assert response.status_code == 405
    assert "このページはこの方法では利用できません" in response.content.decode()


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", b'{"company_name": "x", "confirmed": "1"}'),
        ("text/plain", b"company_name=x&confirmed=1"),
        ("application/xml", b"<a>x</a>"),
        ("multipart/form-data; boundary=nothing-here", b"--broken\r\n"),
        ("multipart/form-data", b"no boundary"),
    ],
)
def test_a_body_of_the_wrong_content_type_changes_nothing(world, client_as, content_type, body):
    manager = client_as(Role.ACCOUNT_MANAGER)
    for url in change_pages(world):
        response = manager.generic("POST", url, data=body, content_type=content_type)
        assert response.status_code < 500, (url, content_type)
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize("language", ["en", "ja"])
def test_a_form_without_its_csrf_token_gets_the_portals_translated_403(db, language):
    from django.test import Client

    anonymous = Client(enforce_csrf_checks=True)
    anonymous.cookies["django_language"] = language
    response = anonymous.post(reverse("login"), {"username": "a", "password": "b"})
    assert response.status_code == 403
    expected = {"en": "The form has expired", "ja": "フォームの有効期限が切れています"}[language]
    assert expected in response.content.decode()
    assert f'<html lang="{language}">' in response.content.decode()


def test_an_unexpected_error_gets_the_portals_own_500_page(db, monkeypatch):
    from django.test import Client

    from portal.core import health

    def broken():
        raise RuntimeError("boom")

    monkeypatch.setattr(health, "run_checks", broken)
    response = Client(raise_request_exception=False).get(reverse("readyz"))
    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong on our side" in body and "サーバーでエラーが発生しました" in body
    assert "boom" not in body and "Traceback" not in body


# --- Characters that hide or reorder text (issue 30) --------------------------------------------------------


def _form_classes():
    import importlib
    import inspect

    from django import forms

    for module_name in FORM_MODULES:
        module = importlib.import_module(module_name)
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == module_name:
                yield f"{module_name}.{name}", cls


def test_every_form_cleans_free_text_the_one_way():
    """Every form of the portal derives from portal.core.formbase.PortalForm, so each free-text field it has
    (or a new one gets) refuses control and direction-changing characters."""
    from portal.core.formbase import PortalForm

    classes = list(_form_classes())
    assert len(classes) > 30, "the forms were not found"
    assert [name for name, cls in classes if not issubclass(cls, PortalForm)] == []


BIDI_OVERRIDE = "\u202e"
REFUSED = "Remove the invisible character U+202E RIGHT-TO-LEFT OVERRIDE (at position 4)"


@pytest.mark.parametrize(
    ("page", "field", "data"),
    [
        ("customers:edit", "memo", {}),
        ("customers:edit", "company_name", {}),
        ("customers:edit", "reason", {}),
        ("subscriptions:cancel", "reason", {}),
        ("accounts:user_add", "last_name", {"username": "newcomer", "first_name": "Taro", "role": "support"}),
    ],
)
def test_free_text_with_a_hidden_character_is_refused_with_a_clear_message(
    world, client_as, page, field, data
):
    from portal.core.changes.forms import new_key

    c, s = world["customer"], world["sub"]
    args = {"customers:edit": [c.domain_id], "subscriptions:cancel": [s.subscription_id]}.get(page, [])
    client = client_as(Role.ADMIN if page.startswith("accounts:") else Role.ACCOUNT_MANAGER)
    url = reverse(page, args=args)
    form = client.get(url).context["form"]
    posted = {name: form[name].value() or "" for name in form.fields if form[name].value() is not None}
    posted |= {"idempotency_key": new_key(), **data, field: f"abc{BIDI_OVERRIDE}ok"}
    response = client.post(url, posted)
    assert response.status_code == 200
    assert field in response.context["form"].errors, response.context["form"].errors
    assert REFUSED in response.context["form"].errors[field][0]
    assert 'data-testid="confirm"' not in response.content.decode()  # no confirmation: nothing to send
    ja = client.post(url, posted, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "見えない文字" in ja
    assert not AuditEntry.objects.exists()


def test_a_memo_keeps_its_line_breaks_but_a_name_has_none(world, client_as):
    from customers.forms_changes import CustomerEditForm

    c = world["customer"]
    initial = CustomerEditForm.initial_for(c)
    base = {**initial, "idempotency_key": "a" * 32, "locale": initial["locale"] or "ja_JP"}
    memo = CustomerEditForm({**base, "memo": "line one\r\nline two\tend"}, initial=initial)
    memo.is_valid()
    assert "memo" not in memo.errors and memo.cleaned_data["memo"] == "line one\r\nline two\tend"
    name = CustomerEditForm({**base, "company_name": "Two\nLines K.K."}, initial=initial)
    assert not name.is_valid() and "company_name" in name.errors
