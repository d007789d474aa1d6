"""Role x URL matrix: anonymous users are sent to log in, a role without access gets 403, the others 200.

The expected roles are written out from the issue's role definitions, not derived from the code under test.
Every page joins this table (or its app's own matrix) when it is added.
"""

import pytest
from django.urls import reverse

from portal.core.access import Role

AM, SUP, FIN, ADM = Role.ACCOUNT_MANAGER, Role.SUPPORT, Role.FINANCE, Role.ADMIN
ALL = {AM, SUP, FIN, ADM}

MATRIX = [
    ("home", {}, ALL),
    ("digest", {}, {AM, ADM}),
    # A worklist section's full list: the roles that see the section (home/worklist.py, issue 31).
    ("work_list", {"key": "renewal-decisions"}, {AM, SUP, ADM}),
    ("work_list", {"key": "findings"}, {FIN, ADM}),
    ("work_list", {"key": "unassigned"}, {ADM}),
    ("work_export", {"key": "max-users"}, {AM, SUP, ADM}),
    ("work_export", {"key": "findings"}, {FIN, ADM}),
    ("customers:list", {}, ALL),
    ("subscriptions:list", {}, {AM, SUP, ADM}),
    ("schedule:agenda", {}, {AM, SUP, ADM}),
    ("subscriptions:export", {}, {AM, SUP, ADM}),
    ("schedule:export", {}, {AM, SUP, ADM}),
    ("schedule:ical", {}, {AM, SUP, ADM}),
    ("schedule:feed", {}, {AM, SUP, ADM}),
    ("core:activity", {}, {AM, SUP, ADM}),
    ("core:sync", {}, {AM, ADM}),
    ("core:retention", {}, {ADM}),
    ("core:approvals", {}, {ADM}),
    ("core:notices", {}, ALL),
    ("core:notice_rooms", {}, {ADM}),
    ("core:event_endpoints", {}, {ADM}),
    ("accounts:signins", {}, {ADM}),
    ("accounts:users", {}, {ADM}),
    ("accounts:user_add", {}, {ADM}),
    ("password_change", {}, ALL),
    # The API's pages (issue 56): one's own tokens, everyone's (Admins), the docs and the OpenAPI document.
    ("core:api_tokens", {}, ALL),
    ("core:api_tokens_all", {}, {ADM}),
    ("api:docs", {}, ALL),
    ("api:schema", {}, ALL),
]


@pytest.mark.parametrize(("name", "kwargs", "allowed"), MATRIX, ids=[m[0] for m in MATRIX])
def test_anonymous_is_sent_to_login(client, db, name, kwargs, allowed):
    url = reverse(name, kwargs=kwargs)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
@pytest.mark.parametrize(("name", "kwargs", "allowed"), MATRIX, ids=[m[0] for m in MATRIX])
def test_role_access(client_as, name, kwargs, allowed, role):
    response = client_as(role).get(reverse(name, kwargs=kwargs))
    assert response.status_code == (200 if role in allowed else 403)


def test_forbidden_page_is_friendly(client_as):
    response = client_as(Role.FINANCE).get(reverse("core:sync"))
    assert response.status_code == 403
    assert "You cannot open this page" in response.content.decode()


def test_only_admin_reaches_user_management(client_as):
    assert client_as(Role.ADMIN).get(reverse("admin:auth_user_changelist")).status_code == 200
    for role in (AM, SUP, FIN):
        response = client_as(role).get(reverse("admin:auth_user_changelist"))
        assert response.status_code == 302  # Django admin sends non-staff users to its login
