"""Event endpoints in headless Chromium at 1366 px (issue 56): an Admin adds their system's address, reads its
secret once, sends a test event that a real receiver checks with the Standard Webhooks library, and reads the
delivery in the endpoint's log; an address on a private network is refused in words."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from portal.core.access import Role
from portal.core.events.delivery import deliver_due
from tests.core.test_events import Receiver
from tests.fixtures.browser import login, screenshot
from tests.fixtures.personas import make_persona

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("language", ["en", "ja"])
def test_an_admin_adds_an_endpoint_and_a_test_event_reaches_it_signed(page, settings, language):
    receiver = Receiver()
    page.set_viewport_size({"width": 1366, "height": 860})
    login(page, make_persona(Role.ADMIN))
    origin = page.evaluate("location.origin") + "/"
    page.context.add_cookies([{"name": "django_language", "value": language, "url": origin}])
    page.goto("/events/")
    form = page.get_by_test_id("endpoint-add")
    settings.EVENTS_ALLOW_PRIVATE_ADDRESSES = False
    form.locator("input[name=url]").fill(receiver.url)
    form.locator("input[name=types][value='invoice.paid']").check()
    form.locator("button[type=submit]").click()
    expect(page.locator(".error-summary, .field .error").first).to_contain_text(
        "プライベートネットワーク" if language == "ja" else "private network"
    )
    settings.EVENTS_ALLOW_PRIVATE_ADDRESSES = True  # an in-house receiver, allowed by the setting
    form = page.get_by_test_id("endpoint-add")
    form.locator("input[name=url]").fill(receiver.url)
    form.locator("input[name=types][value='invoice.paid']").check()
    form.locator("button[type=submit]").click()
    secret = page.get_by_test_id("endpoint-secret-value").input_value()
    assert secret.startswith("whsec_")
    screenshot(page, f"event-endpoint-secret-{language}")
    page.locator(".actions a.btn-primary").click()
    assert secret not in page.content()
    page.get_by_test_id("endpoint-test").click()
    # the send's page back, with the event waiting, before the worker's minute and the reload
    expect(page.locator("[data-testid=endpoint-log] tr[data-event]")).to_have_count(1)
    deliver_due()  # the worker's minute
    page.reload()
    expect(page.locator("[data-testid=endpoint-log] tr[data-state=delivered]")).to_have_count(1)
    (body,) = receiver.verified(secret)
    assert body["type"] == "portal.test"
    screenshot(page, f"event-endpoint-{language}")
    receiver.server.shutdown()
