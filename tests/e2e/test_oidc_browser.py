"""In headless Chromium: a person clicks "Sign in with ..." on the log-in page, picks themselves on the sandbox's
identity provider page (real HTTP, the OpenID Connect code flow) and lands on the home page with the role their
group maps to; a person whose groups map to no role lands on the page that says so."""

import re

import pytest

from tests.fixtures.browser import in_japanese, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def provider(settings, sandbox_server):
    for name, value in sandbox_server.oidc_settings().items():
        setattr(settings, name, value)
    return sandbox_server


def _through_the_provider(page, provider, person_name: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Sign in with Sandbox IdP").click()
    page.wait_for_url(re.compile(re.escape(provider.oidc_issuer) + "/authorize"))
    page.get_by_label(re.compile(person_name)).check()
    page.get_by_role("button", name="Sign in", exact=True).click()


def test_a_person_signs_in_through_the_provider_and_lands_with_the_role_their_group_maps_to(
    page, provider, live_server
):
    page.set_viewport_size({"width": 1366, "height": 860})
    provider.oidc_person(
        "e2e-fin", name="Mori Aya", email="mori@partner-demo.example", groups=["portal-finance"]
    )
    page.goto("/accounts/login/")
    assert page.locator("[data-testid=signin-provider]").is_visible()
    screenshot(page, "oidc-signin-page")
    _through_the_provider(page, provider, "Mori Aya")
    page.wait_for_url(live_server.url + "/")
    assert page.locator(".badge-role").inner_text() == "Finance"
    assert page.locator("nav.mainnav a").count() > 0  # no second step: the provider did its own


def test_a_person_without_a_mapped_role_is_refused_with_a_clear_page(page, provider, live_server):
    page.set_viewport_size({"width": 1366, "height": 860})
    provider.oidc_person("e2e-none", name="Kato Ken", email="kato@partner-demo.example", groups=["sales"])
    _through_the_provider(page, provider, "Kato Ken")
    page.wait_for_url(re.compile(r"/accounts/oidc/refused/"))
    assert page.locator("h1").inner_text() == "No portal role"
    assert (
        "your company account has no portal role" in page.locator("[data-testid=signin-refused]").inner_text()
    )
    screenshot(page, "oidc-refused")
    with page.expect_navigation():
        in_japanese(page)
    assert page.locator("h1").inner_text() == "ポータルのロールがありません"
    screenshot(page, "oidc-refused-ja")
