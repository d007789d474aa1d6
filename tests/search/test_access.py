"""Role x URL matrix of the search room: every signed-in role may search; what each finds is its own kinds'
(tests/search/test_finders.py). The results page opens with and without a search, and as the box's panel."""

import pytest
from django.urls import reverse

from portal.core.access import Role

AM, SUP, FIN, ADM = Role.ACCOUNT_MANAGER, Role.SUPPORT, Role.FINANCE, Role.ADMIN
ALL = {AM, SUP, FIN, ADM}

# (url name, kwargs, method, roles allowed)
MATRIX = [
    ("search:results", {}, "get", ALL),
]
IDS = [f"{m[2]}-{m[0]}" for m in MATRIX]
CASES = [(n, k, m, role, role in allowed) for n, k, m, allowed in MATRIX for role in Role]


@pytest.mark.parametrize(("name", "kwargs", "method", "allowed"), MATRIX, ids=IDS)
def test_anonymous_is_sent_to_login(client, db, name, kwargs, method, allowed):
    response = getattr(client, method)(reverse(name, kwargs=kwargs) + "?q=x")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    ("name", "kwargs", "method", "role", "ok"), CASES, ids=[f"{c[2]}-{c[0]}-{c[3].value}" for c in CASES]
)
def test_role_access(client_as, name, kwargs, method, role, ok):
    client = client_as(role)
    url = reverse(name, kwargs=kwargs)
    for query, headers in (
        ("", {}),
        ("?q=sakura", {}),
        ("?q=sakura", {"HX-Request": "true", "HX-Target": "find-panel"}),
    ):
        response = getattr(client, method)(url + query, headers=headers)
        assert response.status_code == (200 if ok else 403), (query, headers)


def test_posting_is_refused(client_as):
    assert client_as(Role.ADMIN).post(reverse("search:results"), {"q": "x"}).status_code == 405
