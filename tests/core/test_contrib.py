"""Apps contribute navigation, figures, customer-page sections and schedule sources through one registry;
core and the schedule room read it and name no app. A contribution of a test-only app shows where an app's
would."""

from __future__ import annotations

import pytest
from django.urls import reverse

from home.dashboard import Figure
from home.sections import DetailSection
from portal.core.access import Role
from portal.core.contrib import KINDS, contribute, contributions
from portal.core.navigation import NavItem
from portal.core.permissions import VIEW_ACTIVITY
from tests.customers.factories import make_customer


@pytest.fixture
def contributed():
    yield
    contribute("tests", **{kind: [] for kind in KINDS})


def test_every_app_contributes_through_the_registry():
    nav = {item.key for item in contributions("nav")}
    assert {"customers", "subscriptions", "scheduled", "billing", "activity", "sync"} <= nav
    assert {s.key for s in contributions("schedule_sources")} >= {"pre_order", "reservation", "renewal"}
    assert {s.key for s in contributions("sections")} >= {"usage-schedule", "subscriptions"}
    assert {f.key for f in contributions("figures")} >= {"customers", "audit_today"}


def test_an_unknown_kind_is_refused():
    with pytest.raises(TypeError):
        contribute("tests", widgets=[])


def test_a_contributed_nav_item_and_figure_appear_for_the_roles_with_their_permission(client_as, contributed):
    contribute(
        "tests",
        nav=[NavItem("testnav", "Test pages", "core:activity", VIEW_ACTIVITY, order=95)],
        figures=[Figure("testfig", "Test figure", VIEW_ACTIVITY, lambda: 4242, order=1)],
    )
    support = client_as(Role.SUPPORT).get(reverse("home")).content.decode()
    assert 'data-nav="testnav"' in support and "Test figure" in support and "4242" in support
    finance = client_as(Role.FINANCE).get(reverse("home")).content.decode()
    assert 'data-nav="testnav"' not in finance and "Test figure" not in finance


def test_a_contributed_section_is_on_the_customer_page(client_as, contributed, tmp_path, settings):
    (tmp_path / "_test_section.html").write_text("<p>Section says {{ section.words }}</p>")
    engine = settings.TEMPLATES[0]
    settings.TEMPLATES = [{**engine, "DIRS": [*engine["DIRS"], tmp_path]}]  # a new list resets the engines
    contribute(
        "tests",
        sections=[
            DetailSection(
                key="test-section",
                title="Test section",
                template="_test_section.html",
                context=lambda *, customer, user: {"words": f"hello {customer.domain_id}"},
                perm=VIEW_ACTIVITY,
                order=5,
            )
        ],
    )
    customer = make_customer()
    url = reverse("customers:detail", args=[customer.domain_id])
    assert f"Section says hello {customer.domain_id}" in client_as(Role.SUPPORT).get(url).content.decode()
    assert "Section says" not in client_as(Role.FINANCE).get(url).content.decode()


def test_the_old_address_of_the_scheduled_changes_page_leads_to_the_new_one(client_as):
    client = client_as(Role.SUPPORT)
    response = client.get("/subscriptions/scheduled/?q=sakura&view=calendar")
    assert response.status_code in (301, 302)
    assert response["Location"] == reverse("schedule:agenda") + "?q=sakura&view=calendar"
    response = client.get("/subscriptions/scheduled/export.csv?q=x")
    assert response["Location"] == reverse("schedule:export") + "?q=x"
