"""Saved views (issue 55, deliverable 2): a list saved from its own save link with its filters and sort, one's
own or shared with the team by those who may share; each view's count is its list's own; refusals (a name taken,
an invisible character, a changed link, sharing without the right) say why and keep nothing; deleting is its
owner's, or for a shared view an Account manager's or Admin's."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from portal.core.access import Role
from saved.models import SavedView
from tests.customers.factories import make_customer
from tests.fixtures.personas import make_persona

pytestmark = pytest.mark.django_db

SAVE = reverse("saved:save")
VIEWS = reverse("saved:list")


def _login(client, role: Role, username: str = ""):
    user = make_persona(role, username=username) if username else make_persona(role)
    client.force_login(user)
    return user


def _save_link(client, list_url: str) -> str:
    """The "Save this view" link the list's results head shows (the signed address of the list as shown)."""
    page = client.get(list_url).content.decode()
    start = page.index('data-testid="save-view"')
    href = page.rfind('href="', 0, start)
    return page[href + 6 : page.index('"', href + 6)].replace("&amp;", "&")


def _token(link: str) -> str:
    return parse_qs(urlsplit(link).query)["view"][0]


def test_a_list_saved_from_its_link_opens_with_its_filters_and_sort(client):
    user = _login(client, Role.ACCOUNT_MANAGER)
    link = _save_link(client, reverse("customers:list") + "?q=sakura&sort=-name&page=2")
    form = client.get(link)
    assert form.status_code == 200
    assert "Customers" in form.content.decode()
    answer = client.post(SAVE, {"name": "Sakura, Z to A", "view": _token(link)})
    view = SavedView.objects.get(owner=user)
    assert answer.status_code == 302 and answer["Location"] == view.url
    assert view.path == reverse("customers:list") and view.list_title == "Customers" and not view.shared
    query = parse_qs(view.query)
    assert query["q"] == ["sakura"] and query["sort"] == ["-name"] and "page" not in query
    assert client.get(reverse("saved:open", args=[view.pk]))["Location"] == view.url


def test_each_view_counts_what_its_list_shows(client):
    for name in ("Sakura Trading", "Sakura Foods", "Momiji Works"):
        make_customer(company_name=name)
    _login(client, Role.SUPPORT)
    client.post(
        SAVE, {"name": "Sakura", "view": _token(_save_link(client, reverse("customers:list") + "?q=sakura"))}
    )
    view = SavedView.objects.get()
    count = client.get(view.url, headers={"HX-Request": "true", "HX-Target": f"count-{view.pk}"})
    assert count.content.decode().strip() == "2"
    page = client.get(VIEWS).content.decode()
    assert f'data-hx-get="{view.url.replace("&", "&amp;")}"' in page and "Sakura" in page


def test_counting_a_view_leaves_the_list_s_remembered_owner_filter_as_it_was(client):
    _login(client, Role.ADMIN)
    client.get(reverse("customers:list") + "?owner=mine")
    client.get(reverse("customers:list") + "?owner=", headers={"HX-Request": "true", "HX-Target": "count-1"})
    page = client.get(reverse("customers:list")).content.decode()
    assert 'value="mine" selected' in page


def test_sharing_is_for_account_managers_and_admins(client):
    _login(client, Role.SUPPORT)
    token = _token(_save_link(client, reverse("customers:list")))
    assert 'name="shared"' not in client.get(SAVE + "?view=" + token).content.decode()
    client.post(SAVE, {"name": "Everyone", "view": token, "shared": "on"})
    assert SavedView.objects.get().shared is False

    other = make_persona(Role.SUPPORT, username="support-two")
    client.force_login(other)
    assert "Everyone" not in client.get(VIEWS).content.decode()

    _login(client, Role.ACCOUNT_MANAGER)
    token = _token(_save_link(client, reverse("customers:list") + "?q=momiji"))
    client.post(SAVE, {"name": "Momiji for the team", "view": token, "shared": "on"})
    client.force_login(other)
    assert "Momiji for the team" in client.get(VIEWS).content.decode()


def test_a_shared_view_of_a_page_the_reader_cannot_open_is_not_shown_to_them(client):
    _login(client, Role.ADMIN)
    token = _token(_save_link(client, reverse("invoicing:search")))
    client.post(SAVE, {"name": "All issued", "view": token, "shared": "on"})
    view = SavedView.objects.get()
    _login(client, Role.SUPPORT, "support-reader")
    assert "All issued" not in client.get(VIEWS).content.decode()
    assert client.get(reverse("saved:open", args=[view.pk])).status_code == 404


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("", "This field is required."),
        ("Renewals\u202eslaed", "invisible character U+202E"),
        ("x" * 81, "at most 80 characters"),
    ],
)
def test_a_bad_name_is_refused_and_keeps_what_was_typed(client, name, says):
    _login(client, Role.ACCOUNT_MANAGER)
    token = _token(_save_link(client, reverse("customers:list")))
    answer = client.post(SAVE, {"name": name, "view": token})
    assert answer.status_code == 400 and says in answer.content.decode()
    assert token in answer.content.decode()
    assert not SavedView.objects.exists()


def test_a_taken_name_or_a_changed_link_is_refused(client):
    user = _login(client, Role.ACCOUNT_MANAGER)
    token = _token(_save_link(client, reverse("customers:list")))
    client.post(SAVE, {"name": "Mine", "view": token})
    again = client.post(SAVE, {"name": "Mine", "view": token})
    assert again.status_code == 400 and "You already have a view named" in again.content.decode()
    changed = client.post(SAVE, {"name": "Other", "view": token[:-3] + "abc"})
    assert changed.status_code == 400 and "can no longer be saved" in changed.content.decode()
    assert client.get(SAVE + "?view=nonsense").status_code == 400
    assert list(SavedView.objects.filter(owner=user).values_list("name", flat=True)) == ["Mine"]


def test_deleting_is_the_owner_s_or_for_a_shared_view_a_sharer_s(client):
    owner = _login(client, Role.ACCOUNT_MANAGER)
    client.post(SAVE, {"name": "Own", "view": _token(_save_link(client, reverse("customers:list")))})
    client.post(
        SAVE, {"name": "Team", "view": _token(_save_link(client, reverse("options:list"))), "shared": "on"}
    )
    own, team = SavedView.objects.get(name="Own"), SavedView.objects.get(name="Team")
    _login(client, Role.SUPPORT, "support-deleter")
    assert client.post(reverse("saved:delete", args=[own.pk])).status_code == 404
    assert client.post(reverse("saved:delete", args=[team.pk])).status_code == 403
    _login(client, Role.ADMIN, "admin-deleter")
    assert client.post(reverse("saved:delete", args=[team.pk])).status_code == 302
    assert list(SavedView.objects.values_list("name", flat=True)) == ["Own"]
    client.force_login(owner)
    assert client.post(reverse("saved:delete", args=[own.pk])).status_code == 302
    assert not SavedView.objects.exists()


def test_home_shows_the_saved_views_panel(client):
    _login(client, Role.ACCOUNT_MANAGER)
    home = client.get(reverse("home")).content.decode()
    assert 'id="panel-saved"' in home
    client.post(
        SAVE, {"name": "Renewing soon", "view": _token(_save_link(client, reverse("customers:list")))}
    )
    panel = client.get(VIEWS, headers={"HX-Request": "true", "HX-Target": "panel-saved"}).content.decode()
    assert "Renewing soon" in panel and "<html" not in panel


def test_filters_too_long_to_keep_are_refused_with_a_reason(client):
    _login(client, Role.ACCOUNT_MANAGER)
    many = "&".join(f"tag{i}={'x' * 90}" for i in range(30))
    token = _token(_save_link(client, reverse("customers:list") + "?" + many))
    answer = client.post(SAVE, {"name": "Too much", "view": token})
    assert answer.status_code == 400 and "too long to keep" in answer.content.decode()
    assert not SavedView.objects.exists()


def test_a_view_whose_owner_left_says_its_filter_no_longer_applies(client):
    """A saved view of one Account manager's customers, after that person is deactivated: the list says the
    Owner filter no longer applies instead of silently showing other rows."""
    manager = make_persona(Role.ACCOUNT_MANAGER, username="leaving-manager")
    _login(client, Role.ADMIN)
    token = _token(_save_link(client, reverse("customers:list") + f"?owner={manager.pk}"))
    client.post(SAVE, {"name": "Her customers", "view": token})
    view = SavedView.objects.get()
    assert 'data-testid="refused-filters"' not in client.get(view.url).content.decode()
    manager.is_active = False
    manager.save()
    shown = client.get(view.url).content.decode()
    assert 'data-testid="refused-filters"' in shown
    assert "These filters no longer apply, and the list is shown without them: Owner." in shown


def test_the_scheduled_changes_page_is_saved_and_counted_as_it_shows(client):
    """The agenda, searched: saved from its own link with its filters, counted as the page counts its items."""
    from tests.subscriptions.factories import make_subscription

    make_subscription(make_customer(company_name="Sakura Trading"))
    _login(client, Role.ADMIN)
    url = reverse("schedule:agenda") + "?q=sakura"
    client.post(SAVE, {"name": "Sakura's changes", "view": _token(_save_link(client, url))})
    view = SavedView.objects.get()
    assert view.path == reverse("schedule:agenda") and parse_qs(view.query)["q"] == ["sakura"]
    page = client.get(view.url).content.decode()
    shown = page[page.index('data-testid="result-count"') :].split(">", 1)[1].split("<", 1)[0]
    count = client.get(view.url, headers={"HX-Request": "true", "HX-Target": f"count-{view.pk}"})
    counted = count.content.decode().strip()
    assert counted.isdigit() and (counted in shown or (counted == "0" and "Nothing" in page))


def test_a_saved_view_downloads_its_own_rows(client):
    """A group is an export: the Views page links each view's files (the list's own export with the view's
    filters), and the CSV holds the view's customers and no others. A list without an export offers none."""
    for name in ("Sakura Trading", "Sakura Foods", "Momiji Works"):
        make_customer(company_name=name)
    _login(client, Role.ACCOUNT_MANAGER)
    link = _save_link(client, reverse("customers:list") + "?q=sakura&owner=")
    client.post(SAVE, {"name": "Sakura", "view": _token(link)})
    view = SavedView.objects.get()
    assert view.export_path == reverse("customers:export")
    page = client.get(VIEWS).content.decode()
    start = page.index('data-testid="view-export-csv"')
    href = page.rfind('href="', 0, start)
    csv_url = page[href + 6 : page.index('"', href + 6)].replace("&amp;", "&")
    answer = client.get(csv_url)
    assert answer.status_code == 200
    text = b"".join(answer.streaming_content if answer.streaming else [answer.content]).decode("utf-8-sig")
    assert "Sakura Trading" in text and "Sakura Foods" in text and "Momiji Works" not in text
    assert 'data-testid="view-export-xlsx"' in page and 'data-testid="view-export-csv-sjis"' in page
