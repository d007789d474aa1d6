"""Every page is checked because the URL resolver says it exists, not because someone remembered to list it.

* Every portal URL declares the permission it needs (`portal.core.access.require`), or is on the short public
  list below, or is opened by a secret token instead of a session (a calendar feed) and declares the permission
  the token's owner needs (`token_perm`), or is an endpoint of the portal's API and declares, per method, the
  area and the level its token needs (`api_operations`: tests/api/test_access.py holds their matrix).
* Every portal URL stands in one of the declared role x URL matrices (whose expected roles are written out
  from the issues), so a new page cannot be added without saying who may open it.
* Every change page, and every Admin form, stands in the hostile-input lists (checked in
  tests/core/test_hostile_input.py).
* Every page of one customer an Account manager may open stands in a `PORTFOLIO` list (PORTFOLIO_ONLY on:
  theirs opens, another's answers 404).
* Derived from the resolver alone: anonymous users are sent to log in from every protected URL, and every role
  without the URL's permission gets 403 on GET and POST, before anything else happens.
"""

from __future__ import annotations

import uuid
from importlib import import_module
from pathlib import Path

import pytest
from django.urls import URLPattern, resolve, reverse

from accounts.permissions import MANAGE_USERS
from customers.permissions import ASSIGN_OWNERS
from portal.core.access import Perm, Role, holds, named_urls, permissions, required_perm
from portal.core.permissions import MANAGE_APPROVALS, MANAGE_EVENT_ENDPOINTS, MANAGE_NOTICE_ROOMS

#: URL names served by Django itself (authentication, language, admin) or open to anyone (health checks), or
#: to a machine holding a token of the settings rather than a person (the metrics: tests/core/test_metrics.py).
NOT_PORTAL_PAGES = {
    "healthz",
    "readyz",
    "metrics",
    "login",
    "logout",
    "password_change",
    "password_change_done",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "set_language",
    # The second step of signing in (signed in with the password, not yet verified): tests/core/test_signin.py.
    "accounts:two_factor",
    "accounts:two_factor_setup",
    # The log-in page (Django's, taken over to offer the identity provider) and signing in through the company's
    # identity provider, open to anyone (404 while it is off): tests/accounts/test_oidc.py.
    "accounts:login",
    "accounts:oidc_start",
    "accounts:oidc_callback",
    "accounts:oidc_refused",
}
#: Pages whose access is tested by their own module: the partner account's OAuth flow
#: (tests/partner_api/test_portal_partner.py) and "Sync now" (tests/core/test_sync_page.py).
OWN_MATRIX = {
    "partner_account:account",
    "partner_account:connect",
    "partner_account:callback",
    "partner_account:disconnect",
    "core:sync_now",
    "accounts:signin_unlock",  # POST only, Admins: tests/core/test_signin.py
    # One user's pages, opened with a real user: tests/core/test_users.py (every role, every URL).
    "accounts:user",
    "accounts:user_deactivate",
    "accounts:user_reactivate",
    "accounts:user_password",
    # Bulk changes (a batch of a real dry run, every role): tests/core/test_bulk.py.
    "core:bulk_new",
    "core:batch",
    "core:batch_send",
    "core:batch_stop",
    "core:batch_resume",
    "core:batch_retry",
    "core:batch_results",
    "core:batch_approve",
    "core:batch_reject",
    # A held change's approval (an operation held by a real change, every role):
    # tests/subscriptions/test_changes.py (four eyes on single changes).
    "core:operation_approve",
    "core:operation_reject",
    # Revoking an API token (one's own; anyone's for Admins), POST only: tests/api/test_tokens.py.
    "core:api_token_revoke",
    # A person's test notice (POST only) and one team room's pages (a real room): tests/core/test_notice_pages.py.
    "core:notice_test",
    "core:notice_room",
    "core:notice_room_remove",
    # One event endpoint's pages and its POST-only actions (a real endpoint): tests/core/test_event_pages.py.
    "core:event_endpoint",
    "core:event_endpoint_secret",
    "core:event_endpoint_test",
    "core:event_endpoint_remove",
    "core:event_replay",
}
#: The permissions that send changes, whichever app declares them.
CHANGE_PERMS = {perm for perm in permissions() if perm.sends_changes}
#: Change-permission URLs that are not forms (a page that shows what became of a change).
NOT_FORMS = {"customers:operation", "subscriptions:operation", "core:operation"}
#: The Admins' forms (users, sign-in unlock, a customer's owner, the approval rules): the hostile-input test posts them as an Admin.
ADMIN_FORM_PERMS = {
    MANAGE_USERS,
    ASSIGN_OWNERS,
    MANAGE_APPROVALS,
    MANAGE_NOTICE_ROOMS,
    MANAGE_EVENT_ENDPOINTS,
}
#: Admin URLs that are not forms of the portal: lists, and the partner account's OAuth round trip with LINE WORKS
#: (tests/partner_api/test_portal_partner.py).
NOT_ADMIN_FORMS = {
    "core:event_replay",  # a button of a delivery's row, no field: tests/core/test_events.py
    "accounts:users",
    "accounts:signins",
    "partner_account:account",
    "partner_account:connect",
    "partner_account:callback",
    "partner_account:disconnect",
}
DUMMY = {
    "year": 2026,
    "month": 1,
    "int": 1,
    "uuid": uuid.UUID(int=1),
    "str": "x",
    "string": "x",
    "slug": "x",
    "path": "x",
}


def portal_urls() -> dict[str, URLPattern]:
    return {name: p for name, p in named_urls().items() if name not in NOT_PORTAL_PAGES}


def _dummy_url(name: str, pattern: URLPattern) -> str:
    converters = getattr(pattern.pattern, "converters", {})
    kwargs = {
        arg: DUMMY[type(conv).__name__.removesuffix("Converter").lower()] for arg, conv in converters.items()
    }
    return reverse(name, kwargs=kwargs)


def _token_perm(pattern: URLPattern) -> Perm | None:
    return getattr(pattern.callback, "token_perm", None)


def api_operations(pattern: URLPattern) -> dict | None:
    """An API endpoint's methods, each with the area and level its token needs (`portal.core.api.site`)."""
    from portal.core.api.site import OPERATIONS_ATTRIBUTE

    return getattr(pattern.callback, OPERATIONS_ATTRIBUTE, None)


PROTECTED = sorted((name, p) for name, p in portal_urls().items() if required_perm(p) is not None)
TOKEN_PAGES = sorted((name, p) for name, p in portal_urls().items() if _token_perm(p) is not None)
#: How a valid token of a user is made, per token page (the page's own service).
TOKEN_MAKERS = {"schedule:feed_ics": "schedule.feed.feed_make"}


def test_the_resolver_lists_the_portal_pages():
    names = set(portal_urls())
    assert {"home", "customers:list", "subscriptions:list", "core:activity"} <= names
    assert len(PROTECTED) >= 40


def test_every_portal_url_declares_its_permission():
    missing = sorted(
        name
        for name, p in portal_urls().items()
        if required_perm(p) is None and _token_perm(p) is None and api_operations(p) is None
    )
    assert missing == []
    assert {name for name, _p in TOKEN_PAGES} == set(TOKEN_MAKERS), (
        "say how a token of each token page is made"
    )


def access_matrices() -> list:
    """Every app's role x URL matrix: its tests' `test_access.py` (core's: `test_access_matrix.py`)."""
    tests = Path(__file__).resolve().parents[1]
    modules = ["tests.core.test_access_matrix"]
    modules += [f"tests.{path.parent.name}.test_access" for path in sorted(tests.glob("*/test_access.py"))]
    return [import_module(name).MATRIX for name in modules]


def test_every_portal_url_is_in_a_declared_access_matrix():
    declared = {row[0] for matrix in access_matrices() for row in matrix}
    undeclared = sorted(set(portal_urls()) - declared - OWN_MATRIX - set(TOKEN_MAKERS))
    assert undeclared == [], "add these pages, with the roles that may open them, to an access matrix"


#: URL arguments that name one customer or one of its rows: with PORTFOLIO_ONLY on, such a page of another's
#: customer answers an Account manager 404.
CUSTOMER_ARGS = {"domain_id", "subscription_id"}


def test_every_page_of_one_customer_is_in_a_portfolio_matrix():
    """Every page of one customer (or its rows) an Account manager may open stands in an app's `PORTFOLIO` list
    (tests/customers/portfolio.py: their own customer opens, another's answers 404 with PORTFOLIO_ONLY on), in
    every method its access matrix declares."""
    tests = Path(__file__).resolve().parents[1]
    names = [f"tests.{path.parent.name}.test_access" for path in sorted(tests.glob("*/test_access.py"))]
    listed = {(row[0], row[-1]) for name in names for row in getattr(import_module(name), "PORTFOLIO", [])}
    declared = {(row[0], row[2]) for matrix in access_matrices() for row in matrix if isinstance(row[2], str)}
    expected = {
        (name, method)
        for name, method in declared
        if (pattern := portal_urls().get(name)) is not None
        and CUSTOMER_ARGS & set(getattr(pattern.pattern, "converters", {}))
        and required_perm(pattern) is not None  # the API's: tests/api/test_access.py (its portfolio test)
        and holds(Role.ACCOUNT_MANAGER, required_perm(pattern))
    }
    assert expected, "the customers' pages take these arguments"
    assert sorted(expected - listed) == [], (
        "add these pages to the app's PORTFOLIO (tests/customers/portfolio.py)"
    )


@pytest.mark.parametrize(("name", "pattern"), PROTECTED, ids=[n for n, _p in PROTECTED])
def test_anonymous_users_are_sent_to_log_in(client, db, name, pattern):
    url = _dummy_url(name, pattern)
    for method in (client.get, client.post):
        response = method(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(("name", "pattern"), PROTECTED, ids=[n for n, _p in PROTECTED])
def test_roles_without_the_permission_get_403(client_as, name, pattern):
    url = _dummy_url(name, pattern)
    assert resolve(url).url_name == name.rsplit(":", 1)[-1]
    denied = [role for role in Role if not holds(role, required_perm(pattern))]
    for role in denied:
        client = client_as(role)
        assert client.get(url).status_code == 403, (role, url)
        assert client.post(url, {"confirmed": "1"}).status_code == 403, (role, url)


@pytest.mark.parametrize(("name", "pattern"), TOKEN_PAGES, ids=[n for n, _p in TOKEN_PAGES])
def test_token_pages_open_only_with_a_valid_token_of_a_role_holding_their_permission(
    client, db, name, pattern
):
    """The role x URL matrix of a page opened by a secret: no session is needed, a wrong token gets 404, and a
    valid token opens it only for a user whose role holds the page's permission (404 for the others)."""
    from django.utils.module_loading import import_string

    from tests.fixtures.personas import make_persona

    make_token = import_string(TOKEN_MAKERS[name])
    assert client.get(reverse(name, args=["not-a-token"])).status_code == 404
    for role in Role:
        token = make_token(user=make_persona(role))
        expected = 200 if holds(role, _token_perm(pattern)) else 404
        assert client.get(reverse(name, args=[token])).status_code == expected, role
