"""In headless Chromium: deactivating an Account manager who looks after customers asks who takes them over, in
English and in Japanese, and hands them over with the deactivation."""

import pytest

from customers import services
from customers.models import CustomerOwner
from portal.core.access import Role
from tests.customers.factories import make_customer
from tests.fixtures.browser import in_japanese, login, screenshot
from tests.fixtures.personas import make_persona

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_deactivating_an_account_manager_asks_who_takes_over_their_customers(page):
    admin = make_persona(Role.ADMIN, username="handover-admin")
    aiko = make_persona(Role.ACCOUNT_MANAGER, username="aiko")
    ben = make_persona(Role.ACCOUNT_MANAGER, username="ben")
    for i in range(2):
        customer = make_customer(company_name=f"Held {i}")
        services.customer_owner_set(
            actor=admin, domain_id=customer.domain_id, account_manager_id=aiko.pk, support_contact_id=None
        )
    page.set_viewport_size({"width": 1366, "height": 860})
    login(page, admin, f"/users/{aiko.pk}/deactivate/")
    field = page.get_by_label("Their 2 customers as Account manager go to")
    assert field.is_visible()
    screenshot(page, "users-deactivate-handover")

    assert field.get_attribute("required") is not None  # no choice, no deactivation (the server refuses too)
    assert field.input_value() == ""

    with page.expect_navigation():
        in_japanese(page)
    field = page.get_by_label("アカウントマネージャーとして担当している顧客2件の引き継ぎ先")
    assert "割り当てないままにする" in field.inner_text()
    screenshot(page, "users-deactivate-handover-ja")
    field.select_option(str(ben.pk))
    page.get_by_test_id("confirm-deactivate").click()
    page.wait_for_url(f"**/users/{aiko.pk}/")
    assert page.get_by_test_id("status").inner_text() == "無効"
    assert set(CustomerOwner.objects.values_list("account_manager_id", flat=True)) == {ben.pk}
