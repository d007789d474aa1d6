"""Page states the sweep of every page (test_every_page_browser.py) cannot reach by links pass axe-core (WCAG 2.1
A/AA) in English and in Japanese: the Users page's forms in error, a password shown once, refusals. And the guard
itself: the `page` fixture, which fails every browser test on any violation but a minor one (content outside the
landmarks included), does report one. And what a test of its own checks at 200 % zoom and by sight: every link of
the navigation at 683 px, the customer page without sideways scrolling, links in text underlined, the idle
"Loading" bar out of the way of assistive technology."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from portal.core.access import Role
from tests.fixtures.browser import LAYOUT_RULES, login, screenshot
from tests.fixtures.personas import make_persona, totp_device_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("language", ["en", "ja"])
def test_the_users_pages_states_pass_axe(page, axe_violations, language):
    """The Users page's states a crawl does not reach by links: a filter answered in place (htmx), a form in
    error, a made-up password shown once, a reset form offering the two-step reset, refusals."""
    admin = make_persona(Role.ADMIN)
    manager = make_persona(Role.ACCOUNT_MANAGER)
    totp_device_for(manager)
    login(page, admin)
    page.context.add_cookies([{"name": "django_language", "value": language, "url": page.url}])

    def checked():
        assert page.locator("html").get_attribute("lang") == language
        page.evaluate("() => window.__portalAxe.check()")

    page.goto("/users/")
    page.fill("#main input[name=q]", "persona")
    page.wait_for_url("**/users/?*q=persona*")
    page.select_option("select[name=status]", "inactive")
    page.wait_for_url("**/users/?*status=inactive*")
    page.locator("#results .empty-state").wait_for()
    checked()
    page.goto("/users/add/")
    page.locator("[data-testid=save]").click()
    page.locator(".error-summary").wait_for()
    checked()
    page.fill("input[name=username]", "new.user")
    page.fill("input[name=last_name]", "Sato")
    page.fill("input[name=first_name]", "Hana")
    page.locator("input[name=role][value=finance]").check()
    page.locator("[data-testid=save]").click()
    page.locator("[data-testid=password]").wait_for()
    checked()
    for url in (
        f"/users/{manager.pk}/password/",  # with the two-step reset offered
        f"/users/{admin.pk}/password/",  # refused: their own
        f"/users/{admin.pk}/deactivate/",  # refused: themselves
        f"/users/{manager.pk}/deactivate/",
    ):
        page.goto(url)
        checked()
    page.goto(f"/users/{admin.pk}/")
    page.locator("input[name=role][value=support]").check()
    page.locator("[data-testid=role-form] button[type=submit]").click()
    page.locator(".error-summary").wait_for()  # the last active Admin stays one
    checked()
    assert axe_violations == [], "\n".join(dict.fromkeys(axe_violations))


def test_the_guard_reports_a_violation_planted_in_a_page(page, axe_violations):
    """The check that every browser test runs would pass a broken page if it never looked: plant an image
    without a text alternative and a button without a name, and it reports both."""
    page.goto("/accounts/login/")
    page.evaluate(
        """() => document.querySelector("main").insertAdjacentHTML(
             "beforeend", '<img src="/static/missing.png"><button type="button"></button>')"""
    )
    page.evaluate("() => window.__portalAxe.check()")
    page.wait_for_timeout(300)  # the reports arrive as console messages, asynchronously
    page.evaluate(
        "() => document.querySelectorAll('main img, main button[type=button]').forEach(e => e.remove())"
    )
    reported = list(axe_violations)
    axe_violations.clear()  # expected here; any other test fails on them
    assert any(v.startswith("image-alt (critical)") for v in reported), reported
    assert any(v.startswith("button-name (critical)") for v in reported), reported


def test_the_guard_checks_each_page_state_once_and_a_changed_one_again(page, axe_violations):
    """A check of a state already checked is not run again (the load's own check, then a test's), but any change
    to the page, a resize or a move of the focus is checked anew: a violation planted after a check is found."""
    page.goto("/accounts/login/")
    page.evaluate("() => window.__portalAxe.idle()")  # the load's own check is done, not pending
    page.evaluate("() => window.__portalAxe.check()")
    runs = page.evaluate("() => window.__portalAxe.runs()")
    page.evaluate("() => window.__portalAxe.check()")
    assert page.evaluate("() => window.__portalAxe.runs()") == runs
    page.set_viewport_size({"width": 683, "height": 768})
    page.evaluate("() => window.__portalAxe.check()")
    assert page.evaluate("() => window.__portalAxe.runs()") == runs + 1
    page.focus("input[name=password]")  # the name field has the focus as the page opens
    page.evaluate("() => window.__portalAxe.check()")
    assert page.evaluate("() => window.__portalAxe.runs()") == runs + 2
    page.evaluate(
        """() => document.querySelector("main").insertAdjacentHTML("beforeend", '<img src="/x.png">')"""
    )
    page.evaluate("() => window.__portalAxe.check()")
    assert page.evaluate("() => window.__portalAxe.runs()") == runs + 3
    page.wait_for_timeout(300)  # the reports arrive as console messages, asynchronously
    page.evaluate("() => document.querySelector('main img').remove()")
    reported = list(axe_violations)
    axe_violations.clear()  # expected here; any other test fails on them
    assert any(v.startswith("image-alt (critical)") for v in reported), reported


def test_the_guard_counts_moderate_violations_and_content_outside_the_landmarks(page, axe_violations):
    """A moderate violation fails a browser test too, and so does content outside every landmark (axe's
    `region`), which a screen reader user moving by landmarks never reaches."""
    page.goto("/accounts/login/")
    page.evaluate(
        """() => document.body.insertAdjacentHTML("afterbegin", '<div id="planted">Outside every landmark</div>')"""
    )
    page.evaluate("() => window.__portalAxe.check()")
    page.wait_for_timeout(300)  # the reports arrive as console messages, asynchronously
    page.evaluate("() => document.getElementById('planted').remove()")
    reported = list(axe_violations)
    axe_violations.clear()  # expected here; any other test fails on them
    assert any(v.startswith("region (moderate)") for v in reported), reported


def test_the_idle_loading_bar_is_in_a_landmark_and_hidden_until_a_request(page):
    login(page, make_persona(Role.SUPPORT), "/customers/")
    bar = page.locator("#request-indicator")
    assert bar.evaluate("el => el.closest('header, nav, main, footer, aside, [role=region]') !== null")
    assert bar.get_attribute("aria-hidden") == "true"
    page.evaluate("() => window.__portalAxe.check()")


def test_links_in_running_text_are_told_apart_by_more_than_colour(page):
    """The home page's "See all" and the links of the Scheduled changes agenda sit in sentences, lists and table
    cells: each is underlined, not only coloured (2.49:1 against the text around them before)."""
    import datetime as dt

    from tests.customers.factories import hand_every_customer_to, make_customer
    from tests.subscriptions.factories import make_reservation, make_subscription

    for n in range(7):
        sub = make_subscription(make_customer(company_name=f"Running Text {n} KK"))
        make_reservation(sub, apply_date=dt.date(2026, 12, 1 + n))
    manager = make_persona(Role.ACCOUNT_MANAGER)
    hand_every_customer_to(manager)  # their home page and agenda hold their own customers' changes
    login(page, manager)
    plain = """() => [...document.querySelectorAll("main p a, main li a, main dd a, main td a")]
        .filter(a => !a.matches(".btn, .badge"))
        .filter(a => !getComputedStyle(a).textDecorationLine.includes("underline"))
        .map(a => a.textContent.trim())"""
    for url in ("/", "/scheduled/?date_from=2026-12-01&date_to=2026-12-31"):
        page.goto(url)
        assert page.locator("main p a, main li a, main td a").count() > 0, url
        assert page.evaluate(plain) == [], url


@pytest.mark.parametrize("language", ["en", "ja"])
def test_at_1366_px_an_admin_s_navigation_is_one_line(page, language):
    """An Admin has the most links (Users, Sync): at 1366 px, beside the name and the language button, they are
    all on one line, none wrapped to a second under the others."""
    page.set_viewport_size({"width": 1366, "height": 768})
    login(page, make_persona(Role.ADMIN))
    page.context.add_cookies([{"name": "django_language", "value": language, "url": page.url}])
    page.goto("/")
    rows = page.evaluate(
        """() => [...document.querySelectorAll("nav.mainnav a")].map(a => [a.textContent.trim(),
             Math.round(a.getBoundingClientRect().top)])"""
    )
    assert len(rows) >= 9  # Users and Sync among them
    assert len({top for _, top in rows}) == 1, rows
    screenshot(page, f"nav-admin-1366-{language}")


def test_at_200_percent_zoom_the_navigation_shows_every_link_and_the_customer_page_fits(page):
    """683 CSS px is a 1366 px laptop at 200 % zoom: every link of the main navigation is on screen, and the
    customer page (with its 90-day usage table) does not scroll sideways."""
    import datetime as dt

    from django.utils import timezone

    from billing.models import UsageSnapshot
    from tests.customers.factories import make_customer

    customer = make_customer(
        company_name="Zoomed In Logistics Holdings K.K.", domain="zoomed-in.example.co.jp"
    )
    start = dt.date(2026, 8, 23)
    UsageSnapshot.objects.bulk_create(
        UsageSnapshot(
            domain_id=customer.domain_id,
            used_date=start + dt.timedelta(days=n),
            license_count=1_000 + n,
            member_count=900 + n,
            max_member_count=1_200,
            synced_at=timezone.now(),
        )
        for n in range(90)
    )
    login(page, make_persona(Role.ACCOUNT_MANAGER))
    page.set_viewport_size({"width": 683, "height": 768})
    page.goto(f"/customers/{customer.domain_id}/")
    assert page.locator("[data-testid=usage-table]").count() == 1
    hidden = page.evaluate(
        """() => [...document.querySelectorAll("nav.mainnav a")].filter(a => {
             const box = a.getBoundingClientRect();
             return box.width === 0 || box.right > window.innerWidth || box.left < 0;
           }).map(a => a.textContent.trim())"""
    )
    assert page.locator("nav.mainnav a").count() >= 6 and hidden == []
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], width
    page.evaluate("() => window.__portalAxe.check()")
    screenshot(page, "customer-page-683-en")


def test_a_table_that_scrolls_at_640_px_is_no_second_landmark_named_like_its_section(page, axe_violations):
    """At 640 px (a 1280 px screen at 200 % zoom) the option catalogue's tables scroll inside their frames: each
    frame takes the focus and is named by its section's heading, as a group within that section, not a second
    landmark of the same name (axe's landmark-unique, which every check runs)."""
    login(page, make_persona(Role.SUPPORT), "/options/catalogue/")
    page.set_viewport_size({"width": 640, "height": 768})
    page.wait_for_function("() => document.querySelector('main .table-wrap[tabindex]') !== null")
    frames = page.evaluate(
        """() => [...document.querySelectorAll("main .table-wrap[tabindex]")].map(box => [
             box.getAttribute("role"), box.getAttribute("aria-label"),
             box.closest("section").querySelector("h2").textContent.trim()])"""
    )
    assert len(frames) >= 3
    assert all(role == "group" and name == heading for role, name, heading in frames), frames
    page.evaluate("() => window.__portalAxe.check()")
    page.wait_for_timeout(300)  # the reports arrive as console messages, asynchronously
    assert axe_violations == []


@pytest.mark.parametrize("language", ["en", "ja"])
def test_adding_a_customer_checks_before_sending_at_both_widths(
    page, portal_sandbox, axe_violations, language
):
    """The new customer's "Check before sending" (step 3 of 3) in both languages, at 1366 px and at 200 % zoom:
    what it will be, what else happens, the password nowhere on the page; axe passes and nothing scrolls
    sideways."""
    import uuid

    login(page, make_persona(Role.ACCOUNT_MANAGER))
    page.context.add_cookies([{"name": "django_language", "value": language, "url": page.url}])
    page.goto("/customers/add/")
    page.fill("input[name=domain]", f"chk{uuid.uuid4().hex[:8]}.example.jp")
    page.click("[data-testid=verify-domain]")
    page.wait_for_url("**/customers/add/details/**")
    for name, value in {
        "company_name": "確認画面株式会社",
        "phone_number": "03-1111-2222",
        "admin_last_name": "新人",
        "admin_first_name": "太郎",
        "admin_id": "admin",
        "admin_password": "Check1234x",
        "admin_email": "taro@example.net",
    }.items():
        page.fill(f"input[name={name}]", value)
    page.click("[data-testid=review]")
    page.locator("[data-testid=confirm]").wait_for()
    page.wait_for_function("() => document.activeElement.id === 'check-before-sending'")
    assert "Check1234x" not in page.content()
    # The tenant and administrator; who owns it (the Account manager adding it); DNS.
    assert page.locator("[data-testid=consequences] li").count() == 3
    for width in (1366, 683):
        page.set_viewport_size({"width": width, "height": 800})
        page.evaluate("() => window.__portalAxe.check()")
        shown = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert shown[0] <= shown[1], (width, shown)
        screenshot(page, f"customers-add-check-{language}-{width}")


def test_a_state_checked_by_the_layouts_rules_only_is_checked_by_all_when_asked(page, axe_violations):
    """A check by some rules only (`LAYOUT_RULES`) finds what those rules find and nothing else, it does not stand
    for a full check of the state, and a full check does stand for it."""
    page.goto("/accounts/login/")
    page.evaluate("() => window.__portalAxe.idle()")  # the load's own check is done, not pending
    page.evaluate("() => window.__portalAxe.check()")
    page.set_viewport_size({"width": 683, "height": 768})
    page.evaluate(
        """() => document.querySelector("main").insertAdjacentHTML("beforeend", '<img src="/x.png">')"""
    )
    runs = page.evaluate("() => window.__portalAxe.runs()")
    page.evaluate("only => window.__portalAxe.check(only)", LAYOUT_RULES)
    assert page.evaluate("() => window.__portalAxe.runs()") == runs + 1
    page.wait_for_timeout(300)  # the reports arrive as console messages, asynchronously
    assert axe_violations == []  # a missing text alternative is not the layout's to find
    page.evaluate("() => window.__portalAxe.check()")
    assert page.evaluate("() => window.__portalAxe.runs()") == runs + 2
    page.evaluate("only => window.__portalAxe.check(only)", LAYOUT_RULES)
    assert page.evaluate("() => window.__portalAxe.runs()") == runs + 2
    page.wait_for_timeout(300)
    page.evaluate("() => document.querySelector('main img').remove()")
    reported = list(axe_violations)
    axe_violations.clear()  # expected here; any other test fails on them
    assert any(v.startswith("image-alt (critical)") for v in reported), reported


def test_a_text_whose_contrast_passed_is_not_measured_again_but_a_new_one_is(page, axe_violations):
    """Colour contrast is measured once per text style in a test process (`contrast_known`): a page shown again,
    or at another width, gives axe nothing to measure, while a text of a new style on it is measured, and one
    that fails is reported however often it appears."""
    from tests.fixtures.browser import contrast_known

    page.goto("/accounts/login/")
    page.evaluate("() => window.__portalAxe.check()")
    known = contrast_known()
    assert known, "the sign-in page's texts passed and are remembered"
    page.goto("/accounts/login/")
    page.evaluate("() => window.__portalAxe.check()")
    assert contrast_known() == known  # nothing new to measure on the same page
    page.set_viewport_size({"width": 683, "height": 768})
    page.evaluate("() => window.__portalAxe.check()")
    assert contrast_known() == known  # nor at another width

    planted = """() => {
      const p = document.createElement("p");
      p.id = "planted";
      p.textContent = "Pale words";
      p.style.color = "#d8d8d8";  // on white: about 1.4 to 1, where 4.5 to 1 is needed
      document.querySelector("main").append(p);
    }"""
    for _ in range(2):
        page.evaluate(planted)
        page.evaluate("() => window.__portalAxe.check()")
        page.wait_for_timeout(300)  # the reports arrive as console messages, asynchronously
        page.evaluate("() => document.getElementById('planted').remove()")
        reported = list(axe_violations)
        axe_violations.clear()  # expected here; any other test fails on them
        assert any(v.startswith("color-contrast (serious)") and "p#planted" in v for v in reported), reported
    assert contrast_known() == known  # the failing style is never remembered


def test_a_table_frame_that_narrows_without_the_window_takes_the_focus_and_gives_it_back(page):
    """A frame's width changes without the window's (a page scrollbar appearing, a panel beside it growing): the
    frame is judged again then, not only on a resize of the window, so a frame that now scrolls can be reached by
    keyboard and one that fits again leaves the tab order."""
    login(page, make_persona(Role.SUPPORT), "/options/catalogue/")
    page.set_viewport_size({"width": 1366, "height": 768})
    # The load's own check is done before the frame is narrowed: a check under way would read the new layout in
    # the instant before the observer is told of it (within one frame, which no person sees).
    page.evaluate("() => window.__portalAxe.idle()")
    frame = page.locator("main .table-wrap").first
    expect(frame).not_to_have_attribute("tabindex", "0")
    frame.evaluate("box => { box.style.maxWidth = '240px'; }")
    expect(frame).to_have_attribute("tabindex", "0")
    expect(frame).to_have_attribute("role", "group")
    frame.evaluate("box => { box.style.maxWidth = ''; }")
    expect(frame).not_to_have_attribute("tabindex", "0")
    expect(frame).not_to_have_attribute("role", "group")
