"""The Activity page when it has nothing to show: it says why in words that fit (no filter set, or filters set)."""

import pytest
from django.urls import reverse

from portal.core.access import Role

pytestmark = pytest.mark.django_db


def test_an_empty_activity_page_says_nothing_was_made_not_that_filters_match_nothing(client_as):
    client = client_as(Role.SUPPORT)
    page = client.get(reverse("core:activity")).content.decode()
    assert "No change has been made through the portal yet." in page
    assert "No activity matches these filters." not in page
    # Sorting is not filtering; a filter is.
    page = client.get(reverse("core:activity"), {"sort": "time"}).content.decode()
    assert "No change has been made through the portal yet." in page
    page = client.get(reverse("core:activity"), {"q": "nobody"}).content.decode()
    assert "No activity matches these filters." in page


def test_an_empty_list_with_only_blank_filters_is_not_filtered(client_as):
    page = client_as(Role.SUPPORT).get(reverse("core:activity"), {"q": "  "}).content.decode()
    assert "No change has been made through the portal yet." in page
