import re

import pytest
from django.urls import reverse

from portal.core.access import Role

EXPECTED_NAV = {
    Role.ACCOUNT_MANAGER: [
        "customers",
        "subscriptions",
        "options",
        "scheduled",
        "billing",
        "activity",
        "sync",
    ],
    Role.SUPPORT: ["customers", "subscriptions", "options", "scheduled", "activity"],
    Role.FINANCE: ["customers", "options", "billing", "invoicing"],
    Role.ADMIN: [
        "customers",
        "subscriptions",
        "options",
        "scheduled",
        "billing",
        "invoicing",
        "activity",
        "sync",
        "users",
    ],
}


def nav_keys(html: str) -> list[str]:
    return re.findall(r'data-nav="([a-z]+)"', html)


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
def test_each_role_sees_its_navigation(client_as, role):
    html = client_as(role).get(reverse("home")).content.decode()
    assert nav_keys(html) == EXPECTED_NAV[role]
    assert f'data-role="{role.value}"' in html


def test_navigation_and_role_are_translated_to_japanese(client_as):
    client = client_as(Role.SUPPORT)
    client.post(reverse("set_language"), {"language": "ja", "next": "/"})
    html = client.get(reverse("home")).content.decode()
    assert '<html lang="ja">' in html
    for label in ("顧客", "契約", "予定されている変更", "アクティビティ", "サポート"):
        assert label in html


def test_home_shows_figures_from_the_cache(client_as):
    html = client_as(Role.ADMIN).get(reverse("home")).content.decode()
    assert 'data-figure="audit_today"' in html
    assert 'data-figure="operations_running"' in html
