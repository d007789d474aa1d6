"""The notices' pages (portal/core/notices/views.py): a person's Notices page (their choice per kind of notice
their role may get, their LINE WORKS ID, a test of each way, what became of their latest notices) and the Admins'
Team rooms (a room added by its Incoming Webhook URL, which is never shown again; changed, paused, removed after a
confirmation; every change audited without the URL)."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from portal.core.access import Role
from portal.core.changes.sealing import unseal
from portal.core.models import AuditEntry, Notice, NoticeChoice, NoticeRoom
from portal.core.notices.choices import ways_of
from portal.core.notices.delivery import deliver_due
from sandbox.directory import USERS, WEBHOOKS
from tests.fixtures.personas import make_persona

pytestmark = pytest.mark.django_db

ALL = (Role.ACCOUNT_MANAGER, Role.SUPPORT, Role.FINANCE, Role.ADMIN)


def _client(role: Role, email: str = "") -> tuple[Client, object]:
    person = make_persona(role)
    person.email = email or f"{role.value}@example.com"
    person.save(update_fields=["email"])
    client = Client()
    client.force_login(person)
    return client, person


@pytest.mark.parametrize("role", ALL, ids=[r.value for r in ALL])
def test_each_role_chooses_how_it_is_told_of_the_kinds_its_work_has(role):
    client, person = _client(role)
    page = client.get(reverse("core:notices")).content.decode()
    kinds = set(re.findall(r'data-kind="([a-z.]+)"', page))
    assert "change.failed" in kinds
    assert ("invoice.overdue" in kinds) == (role in (Role.FINANCE, Role.ADMIN))
    assert ("digest" in kinds) == (role is Role.ACCOUNT_MANAGER)
    assert ("credential.expiring" in kinds) == (role is Role.ADMIN)
    assert "change.failed" not in re.sub(r"<[^>]+>", " ", page)  # no code where a person reads
    wanted = {f"way__{kind}": "none" for kind in kinds} | {"way__change.failed": "line_works"}
    response = client.post(reverse("core:notices"), wanted | {"line_works_id": ""})
    assert response.status_code == 302
    assert ways_of(person) == {kind: wanted[f"way__{kind}"] for kind in kinds}
    assert "Saved." in client.get(reverse("core:notices")).content.decode()


def test_a_wrong_way_or_id_is_refused_in_words_and_nothing_is_kept():
    client, person = _client(Role.SUPPORT)
    response = client.post(
        reverse("core:notices"),
        {"way__change.failed": "pigeon", "way__approval.waiting": "email", "line_works_id": "sato hanako"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Select a valid choice" in page and "letters, digits" in page
    assert not NoticeChoice.objects.filter(user=person).exists()


def test_a_person_sends_themselves_a_test_and_reads_what_became_of_it(portal_api, sandbox_server):
    line_works = portal_api(sandbox_server)
    line_works.clear_messages()
    client, person = _client(Role.ACCOUNT_MANAGER, email="nobody@example.com")
    client.post(reverse("core:notice_test"), {"way": "line_works"})
    deliver_due()
    page = client.get(reverse("core:notices")).content.decode()
    assert (
        "Not delivered" in page and "Check the ID on your Notices page" in page
    )  # LINE WORKS knows no such person
    ways = {f"way__{kind}": way for kind, way in ways_of(person).items()}
    assert client.post(reverse("core:notices"), ways | {"line_works_id": USERS[1][1]}).status_code == 302
    client.post(reverse("core:notice_test"), {"way": "line_works"})
    deliver_due()
    (posted,) = line_works.messages(kind="user")
    assert posted["addressedAs"] == USERS[1][1]
    assert posted["content"]["altText"].startswith("A test notice from the Partner Portal")
    assert client.post(reverse("core:notice_test"), {"way": "fax"}).status_code == 400


def test_an_admin_adds_a_room_whose_url_is_never_shown_again(client_as, settings):
    admin = client_as(Role.ADMIN)
    token = WEBHOOKS[0][0]
    url = f"{settings.LINE_WORKS_WEBHOOK_URL_PREFIX}{token}"
    refused = admin.post(
        reverse("core:notice_rooms"), {"name": "Sales", "url": "https://evil.example/x", "language": "ja"}
    )
    assert refused.status_code == 400 and "not an Incoming Webhook URL" in refused.content.decode()
    assert not NoticeRoom.objects.exists()
    added = admin.post(
        reverse("core:notice_rooms"),
        {"name": "Sales", "url": url, "language": "ja", "kinds": ["change.failed", "invoice.overdue"]},
    )
    assert added.status_code == 302
    room = NoticeRoom.objects.get()
    assert unseal(room.sealed_url) == url and token not in room.sealed_url
    for page in (reverse("core:notice_rooms"), reverse("core:notice_room", args=[room.pk])):
        shown = admin.get(page).content.decode()
        assert token not in shown and f"…{token[-4:]}" in shown
    again = admin.post(reverse("core:notice_rooms"), {"name": "Sales", "url": url, "language": "en"})
    assert again.status_code == 400 and "already" in again.content.decode()
    (entry,) = AuditEntry.objects.filter(operation_id="portal.addNoticeRoom")
    assert token not in str(entry.request_summary) and entry.request_summary["room"] == "Sales"


def test_an_admin_changes_pauses_and_removes_a_room_after_a_confirmation(client_as, settings):
    admin = client_as(Role.ADMIN)
    room = NoticeRoom.objects.create(
        name="Billing", sealed_url="x", url_end="abcd", kinds=["invoice.overdue"]
    )
    page = reverse("core:notice_room", args=[room.pk])
    refused = admin.post(
        page, {"kinds": ["change.failed", "digest"], "language": "en"}
    )  # digest is no room's
    assert refused.status_code == 400 and "Select a valid choice" in refused.content.decode()
    admin.post(page, {"kinds": ["change.failed"], "language": "en"})
    room.refresh_from_db()
    assert room.kinds == ["change.failed"] and room.language == "en" and not room.enabled
    remove = reverse("core:notice_room_remove", args=[room.pk])
    assert "Remove the room" in admin.get(remove).content.decode() and NoticeRoom.objects.exists()
    assert admin.post(remove).status_code == 302
    assert not NoticeRoom.objects.exists()
    assert list(
        AuditEntry.objects.filter(operation_id__endswith="NoticeRoom")
        .order_by("pk")
        .values_list("operation_id", flat=True)
    ) == ["portal.changeNoticeRoom", "portal.removeNoticeRoom"]


@pytest.mark.parametrize("role", ALL, ids=[r.value for r in ALL])
def test_only_admins_open_a_room_and_everyone_may_send_themselves_a_test(role):
    client, _person = _client(role)
    room = NoticeRoom.objects.create(name="R", sealed_url="x", url_end="abcd")
    for name in ("core:notice_room", "core:notice_room_remove"):
        assert client.get(reverse(name, args=[room.pk])).status_code == (200 if role is Role.ADMIN else 403)
    assert client.post(reverse("core:notice_test"), {"way": "email"}).status_code == 302
    assert Notice.objects.filter(kind="test", way="email").count() == 1
    anonymous = Client().post(reverse("core:notice_test"), {"way": "email"})
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]


def test_the_team_rooms_page_shows_each_room_s_last_notice_in_as_many_reads_for_any_number_of_rooms(
    client_as,
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    admin = client_as(Role.ADMIN)

    def room(n: int, *states: str) -> NoticeRoom:
        made = NoticeRoom.objects.create(name=f"Room {n}", sealed_url=f"x{n}", url_end=f"{n:04d}")
        for state in states:
            Notice.objects.create(
                room=made,
                kind="change.failed",
                way="room",
                title="t",
                text="t",
                state=state,
                due_at=timezone.now(),
            )
        return made

    room(1, "sent", "failed")
    with CaptureQueriesContext(connection) as one:
        shown = admin.get(reverse("core:notice_rooms")).content.decode()
    assert "Not delivered" in shown and "None yet" not in shown
    room(2, "failed", "sent")
    room(3)
    with CaptureQueriesContext(connection) as three:
        shown = admin.get(reverse("core:notice_rooms")).content.decode()
    assert shown.count("Not delivered") == 1 and "None yet" in shown
    assert len(three) == len(one)
