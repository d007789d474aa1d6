"""Lists answer htmx with a fragment, and everything else (Back, a reload, a history restore) with the page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from portal.core.access import Role

LISTS = [
    ("customers:list", "results"),
    ("subscriptions:list", "results"),
    ("schedule:agenda", "agenda"),
    ("core:activity", "results"),
]
PAGE = "<html"


@pytest.mark.parametrize(("name", "target"), LISTS)
def test_a_list_swap_gets_its_fragment_only(client_as, name, target):
    response = client_as(Role.ADMIN).get(reverse(name), headers={"HX-Request": "true", "HX-Target": target})
    assert response.status_code == 200
    assert PAGE not in response.content.decode() and f'id="{target}"' in response.content.decode()


@pytest.mark.parametrize(("name", "target"), LISTS)
def test_a_history_restore_gets_the_whole_page(client_as, name, target):
    """htmx asks again for a URL it pushed when its snapshot is gone; it must get a page, not a fragment."""
    response = client_as(Role.ADMIN).get(
        reverse(name),
        headers={"HX-Request": "true", "HX-Target": target, "HX-History-Restore-Request": "true"},
    )
    assert PAGE in response.content.decode()


@pytest.mark.parametrize(("name", "target"), LISTS)
def test_fragment_and_page_of_one_url_are_cached_apart(client_as, name, target):
    """`Vary: HX-Request`: without it the browser may serve the cached fragment for Back to that URL."""
    client = client_as(Role.ADMIN)
    for headers in ({}, {"HX-Request": "true", "HX-Target": target}):
        vary = client.get(reverse(name), headers=headers)["Vary"]
        assert "HX-Request" in [v.strip() for v in vary.split(",")]
