"""A saved view of the customer list is a group (issue 55, deliverable 2): the source of a bulk change on its
customers or on their subscriptions and options, its rows worked out from the view's filters for the reader when
the change is chosen, then checked by the dry run and again at send as every bulk change is."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from portal.core.access import Role
from portal.core.models import Batch
from saved.models import SavedView
from tests.customers.factories import make_customer
from tests.fixtures.personas import make_persona
from tests.subscriptions.factories import make_subscription

pytestmark = pytest.mark.django_db

NEW = reverse("core:bulk_new")


@pytest.fixture
def world(db):
    sakura = [make_customer(company_name=name) for name in ("Sakura Trading", "Sakura Foods")]
    other = make_customer(company_name="Momiji Works")
    subs = [make_subscription(c, renewal_type="STAY") for c in (*sakura, other)]
    return {"sakura": sakura, "other": other, "subs": subs}


def _group(
    owner, query: str = "q=sakura&owner=", *, path: str | None = None, shared: bool = False
) -> SavedView:
    return SavedView.objects.create(
        owner=owner,
        name=f"Group {query}",
        path=path or reverse("customers:list"),
        list_title="Customers",
        query=query,
        shared=shared,
    )


def test_the_views_page_offers_a_group_s_bulk_changes_on_customer_views_only(client, account_manager, world):
    group = _group(account_manager)
    _group(account_manager, "q=sakura", path=reverse("subscriptions:list"))
    client.force_login(account_manager)
    page = client.get(reverse("saved:list")).content.decode()
    assert page.count('data-testid="group-bulk"') == 1
    assert f'value="group:{group.pk}"' in page
    offered = set(re.findall(r'<option value="([a-z_.]+)"', page))
    assert {"subscriptions.renewal", "options.units", "customers.max_users"} <= offered
    assert "customers.owner" not in offered  # an Admin's action
    client.force_login(make_persona(Role.SUPPORT))
    group.shared = True
    group.save()
    assert 'data-testid="group-bulk"' not in client.get(reverse("saved:list")).content.decode()


def test_a_group_s_renewal_takes_its_customers_subscriptions_only(client, account_manager, world):
    group = _group(account_manager)
    client.force_login(account_manager)
    query = {"source": f"group:{group.pk}", "all": "1", "action": "subscriptions.renewal"}
    chosen = client.get(NEW, query)
    assert chosen.status_code == 200
    assert 'href="/views/"' in chosen.content.decode()  # the way back is the Views page
    made = client.post(NEW, {**query, "type": "CANCEL"})
    assert made.status_code == 302
    batch = Batch.objects.get()
    assert {r.key for r in batch.rows.all()} == {f"subscriptions:{s.pk}" for s in world["subs"][:2]}


def test_a_group_s_own_customer_action_takes_its_customers(client, account_manager, world):
    group = _group(account_manager)
    client.force_login(account_manager)
    query = {"source": f"group:{group.pk}", "all": "1", "action": "customers.max_users"}
    client.post(NEW, {**query, "max_member_count": "50"})
    batch = Batch.objects.get()
    assert {r.domain_id for r in batch.rows.all()} == {c.domain_id for c in world["sakura"]}


def test_a_group_the_reader_does_not_see_gives_no_rows(client, account_manager, world):
    mine = _group(make_persona(Role.ADMIN, username="someone-else"))  # personal: not shared
    client.force_login(account_manager)
    chosen = client.get(NEW, {"source": f"group:{mine.pk}", "all": "1", "action": "subscriptions.renewal"})
    assert "Choose at least one row" in chosen.content.decode()
    assert not Batch.objects.exists()


def test_a_group_counts_its_rows_up_to_what_a_bulk_change_takes(client, account_manager, world, settings):
    settings.BULK_MAX_ROWS = 1
    group = _group(account_manager)
    client.force_login(account_manager)
    chosen = client.get(NEW, {"source": f"group:{group.pk}", "all": "1", "action": "subscriptions.renewal"})
    assert "a bulk change takes at most 1" in chosen.content.decode()
    first = parse_qs(
        urlsplit(
            re.search(r'href="([^"]*first=1[^"]*)"', chosen.content.decode()).group(1).replace("&amp;", "&")
        ).query
    )
    assert first["source"] == [f"group:{group.pk}"]
