"""Role x URL matrix of the saved views room: every signed-in role keeps views of the lists it may open; a
view is there only for those whose role opens its page (tests/saved/test_views.py has who sees which)."""

import pytest
from django.urls import reverse

from portal.core.access import Role
from saved.models import SavedView
from tests.fixtures.personas import make_persona

AM, SUP, FIN, ADM = Role.ACCOUNT_MANAGER, Role.SUPPORT, Role.FINANCE, Role.ADMIN
ALL = {AM, SUP, FIN, ADM}

# (url name, method, roles allowed)
MATRIX = [
    ("saved:list", "get", ALL),
    ("saved:save", "get", ALL),
    ("saved:open", "get", ALL),
    ("saved:delete", "post", ALL),
    ("saved:follow", "post", {AM, ADM}),
]
CASES = [(n, m, role, role in allowed) for n, m, allowed in MATRIX for role in Role]


def _shared_view(db) -> SavedView:
    admin = make_persona(Role.ADMIN, username="view-keeper")
    return SavedView.objects.create(
        owner=admin, name="Team", path=reverse("core:sync"), query="status=failed", shared=True
    )


def _url(name: str, view: SavedView) -> str:
    return (
        reverse(name, args=[view.pk])
        if name in ("saved:open", "saved:delete", "saved:follow")
        else reverse(name)
    )


@pytest.mark.parametrize(("name", "method", "allowed"), MATRIX, ids=[f"{m[1]}-{m[0]}" for m in MATRIX])
def test_anonymous_is_sent_to_login(client, db, name, method, allowed):
    response = getattr(client, method)(_url(name, _shared_view(db)))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    ("name", "method", "role", "ok"), CASES, ids=[f"{c[1]}-{c[0]}-{c[2].value}" for c in CASES]
)
def test_role_access(client_as, db, name, method, role, ok):
    view = _shared_view(db)
    response = getattr(client_as(role), method)(_url(name, view))
    if not ok:
        assert response.status_code == 403
    elif name == "saved:save":
        assert response.status_code == 400  # no list named: the page says to open the list again
    elif name == "saved:follow":
        # The team's view is of the Sync page: no group to follow (tests/saved/test_follows.py follows one).
        assert response.status_code == 400
    elif name in ("saved:open", "saved:delete"):
        # A team's view of the Sync page: seen by those whose role opens that page (Account managers, Admins),
        # who may also delete it, as they share views; to the others it is not there.
        assert response.status_code == (302 if role in (AM, ADM) else 404)
    else:
        assert response.status_code == 200
