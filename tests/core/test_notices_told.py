"""Each kind of notice is told by the work it reports (portal/core/notices/: kinds contributed per room): a change
the worker settled as failed or unknown, a bulk change that finished (settled by the worker's last row, told
once), a request waiting for approval (to those who may approve, never its requester), an invoice that fell
overdue, customers entering a followed group, and the connected account's refresh token about to end. Each step
once, however often the work runs."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from invoicing.notices import overdue_tell
from partner_account.notices import ends_on, expiring_tell
from portal.core import partner
from portal.core.access import Role
from portal.core.changes import bulk
from portal.core.changes.notices import change_settled
from portal.core.models import ApprovalRule, Batch, Notice, NoticeChoice, Operation, PartnerAccountToken
from portal.core.services import operation_update
from tests.fixtures.personas import make_persona
from tests.search.factories import make_issued
from tests.subscriptions.factories import make_subscription

pytestmark = pytest.mark.django_db
RENEWAL = "subscriptions.renewal"


def _told(kind: str) -> list[tuple[str, str]]:
    return sorted(
        Notice.objects.filter(kind=kind).values_list("user__username", "title"), key=lambda pair: pair[0]
    )


@pytest.fixture
def subs(db):
    return [make_subscription(renewal_type="STAY") for _ in range(3)]


def _batch(user, subs, *, over: int) -> Batch:
    ApprovalRule.objects.create(action=RENEWAL, over_rows=over)
    batch = bulk.batch_check(
        user=user, action=bulk.bulk_action(RENEWAL), values={"type": "CANCEL"}, keys=[str(s.pk) for s in subs]
    )
    return bulk.batch_send(user=user, batch=batch, ticked=[r.key for r in batch.rows.all()])


def test_a_request_for_approval_is_told_to_those_who_may_approve_it_not_to_its_requester(
    account_manager, subs
):
    second = make_persona(Role.ACCOUNT_MANAGER, username="second")
    admin = make_persona(Role.ADMIN, username="boss")
    make_persona(Role.SUPPORT, username="helpdesk")  # may not renew: not told
    batch = _batch(account_manager, subs, over=2)
    assert batch.approval == Batch.Approval.WAITING
    told = _told("approval.waiting")
    assert [who for who, _title in told] == ["boss", "second"]
    assert told[0][1] == "Waiting for your approval: Renewal at the end of the term"
    assert Notice.objects.get(user=second, kind="approval.waiting").url.endswith(f"/bulk/{batch.pk}/")
    assert admin.pk and not Notice.objects.filter(user=account_manager).exists()


def test_a_bulk_change_is_told_once_when_its_last_row_settles(account_manager, subs):
    NoticeChoice.objects.create(user=account_manager, kind="batch.finished", way="line_works")
    batch = _batch(account_manager, subs, over=10)
    ops = [row.operation for row in batch.rows.select_related("operation").order_by("pk")]
    operation_update(ops[0], status=Operation.Status.SUCCEEDED)
    change_settled(ops[0])
    assert Batch.objects.get(pk=batch.pk).state == Batch.State.RUNNING and not Notice.objects.exists()
    operation_update(ops[1], status=Operation.Status.FAILED, error="refused")
    operation_update(ops[2], status=Operation.Status.SUCCEEDED)
    change_settled(ops[1])
    change_settled(ops[2])  # settled twice over: told once
    assert Batch.objects.get(pk=batch.pk).state == Batch.State.FINISHED
    notices = {(n.kind, n.way): n for n in Notice.objects.filter(user=account_manager)}
    assert set(notices) == {("change.failed", "email"), ("batch.finished", "line_works")}
    failed = notices[("change.failed", "email")]
    assert failed.title == "Renewal at the end of the term: 1 row not applied"
    assert failed.text == "2 applied, 1 failed, 0 outcome unknown, 0 stopped."
    bulk.batch_settle(Batch.objects.get(pk=batch.pk))  # its page read afterwards: nothing more
    assert Notice.objects.count() == 2


def test_a_change_of_its_own_the_worker_settled_as_failed_or_unknown_is_told_to_its_requester(
    account_manager,
):
    def op(status, key):
        return Operation.objects.create(
            idempotency_key=key,
            kind="updateSubscriptionRenewal",
            domain_id=None,
            requested_by=account_manager,
            status=status,
            error="The licence count is below the users.",
        )

    for status, key in (("FAILED", "a"), ("UNKNOWN", "b"), ("SUCCEEDED", "c")):
        change_settled(op(getattr(Operation.Status, status), key))
    titles = sorted(title for _who, title in _told("change.failed"))
    assert titles == [
        "Not applied: Change the renewal settings",
        "Outcome unknown: Change the renewal settings",
    ]
    failed = Notice.objects.get(title__startswith="Not applied")
    assert "The licence count is below the users." in failed.text and "/operations/" in failed.url


def test_an_invoice_that_fell_overdue_is_told_to_finance_once():
    finance = make_persona(Role.FINANCE, username="fin")
    NoticeChoice.objects.create(user=finance, kind="invoice.overdue", way="email")
    make_issued(5001, domain_id=1)  # due 2026-11-30
    assert overdue_tell(today=dt.date(2026, 11, 30)) == 0  # not yet overdue
    assert overdue_tell(today=dt.date(2026, 12, 1)) == 1
    assert overdue_tell(today=dt.date(2026, 12, 2)) == 0  # told once
    (notice,) = Notice.objects.filter(kind="invoice.overdue")
    assert notice.title == "Invoice No. 5001 to さくら商事株式会社 is overdue"
    assert notice.text == "¥1,100 of ¥1,100 was due on 2026-11-30 and has not come in."
    assert notice.url.endswith("/invoicing/issued/5001/")


def test_the_admins_are_told_the_connected_account_ends_at_14_7_and_1_days(settings):
    admin = make_persona(Role.ADMIN, username="boss")
    issued = timezone.now() - dt.timedelta(days=partner.REFRESH_TOKEN_DAYS - 20)
    row = PartnerAccountToken.objects.create(
        encrypted_tokens=b"x", refresh_issued_at=issued, refresh_digest="d" * 64
    )
    today = ends_on(row) - dt.timedelta(days=20)  # business days: the last day is counted in Japan time
    assert expiring_tell(today=today) == 0  # 20 days left
    assert expiring_tell(today=today + dt.timedelta(days=6)) == 1  # 14
    assert expiring_tell(today=today + dt.timedelta(days=7)) == 0  # 13: told at 14 already
    assert expiring_tell(today=today + dt.timedelta(days=19)) == 1  # 1 (a missed 7 is not told late)
    titles = [title for _who, title in _told("credential.expiring")]
    assert titles == [
        "The connected partner account ends in 14 days",
        "The connected partner account ends in 1 day",
    ]
    assert {n.user for n in Notice.objects.all()} == {admin}


def test_customers_entering_a_followed_group_are_told_to_its_follower_who_chose_so():
    from saved.models import Follow, SavedView
    from saved.services import follow_record
    from tests.customers.factories import make_customer

    manager = make_persona(Role.ACCOUNT_MANAGER, username="am")
    NoticeChoice.objects.create(user=manager, kind="group.entered", way="line_works")
    view = SavedView.objects.create(
        owner=manager, name="Big ones", path="/customers/", list_title="Customers", query="q=big"
    )
    follow = Follow.objects.create(user=manager, view=view)
    first, second = make_customer(company_name="First KK"), make_customer(company_name="Second KK")
    now = timezone.now()
    follow_record(follow=follow, members=[first.domain_id], now=now)  # the first check: who is in it
    follow.refresh_from_db()
    assert not Notice.objects.exists()
    follow_record(follow=follow, members=[first.domain_id, second.domain_id], now=now + dt.timedelta(days=1))
    (notice,) = Notice.objects.filter(kind="group.entered")
    assert notice.title == "1 customer entered “Big ones”" and notice.text == "Second KK"
    assert notice.url.endswith("/customers/?q=big")


def test_telling_a_team_reads_its_people_s_roles_and_languages_once_for_all_of_them():
    """Told to one person or to five, a notice reads the same: each person's role and language are read for all
    of them at once, and each is told in their own language."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from portal.core.changes.notices import CHANGE_FAILED
    from portal.core.models import UserLanguage
    from portal.core.notices.choices import tell
    from portal.core.notices.content import Message

    def fresh(people):  # as a task reads them: no role read yet
        from django.contrib.auth import get_user_model

        return list(get_user_model().objects.filter(pk__in=[p.pk for p in people]).order_by("pk"))

    team = [make_persona(Role.ACCOUNT_MANAGER, username=f"am{n}") for n in range(5)]
    UserLanguage.objects.create(user=team[1], language="ja")

    def message() -> Message:
        from django.utils.translation import gettext

        return Message(title=gettext("Back"), text="x")

    with CaptureQueriesContext(connection) as one:
        tell(CHANGE_FAILED, users=fresh(team[:1]), message=message, key="one", rooms=False)
    with CaptureQueriesContext(connection) as five:
        tell(CHANGE_FAILED, users=fresh(team), message=message, key="five", rooms=False)
    reads = lambda queries: [q for q in queries if q["sql"].lstrip().upper().startswith("SELECT")]  # noqa: E731
    assert len(reads(five)) == len(reads(one))
    titles = dict(Notice.objects.filter(key="five").values_list("user__username", "title"))
    assert titles == {"am0": "Back", "am1": "戻る", "am2": "Back", "am3": "Back", "am4": "Back"}
