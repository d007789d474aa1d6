"""The customer list's bulk change of the maximum users: the dry run row by row (before -> after, the scheduled
change it deletes, why a row is refused), and a row sent to the sandbox carrying that field alone (the customer's
scheduled cancellation stays as it is)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.core import clock, sync
from portal.core.access import Role
from portal.core.changes import bulk
from portal.core.changes.engine import change_run
from portal.core.models import AuditEntry, Operation
from tests.customers.factories import make_customer
from tests.customers.test_lifecycle import cached_customer  # noqa: F401 - a fixture

MAX_USERS = "customers.max_users"


def _action():
    action = bulk.bulk_action(MAX_USERS)
    assert action is not None
    return action


def _found(batch) -> dict[int, dict]:
    # The check in the words of the language in force (each language's are kept too, under "words").
    return {r.domain_id: {k: v for k, v in r.found.items() if k != "words"} for r in batch.rows.all()}


@pytest.mark.django_db
def test_the_dry_run_checks_each_customer_and_sends_nothing(account_manager):
    read = timezone.now()
    plain = make_customer(member_count=10, max_member_count=50, usage_synced_at=read)
    scheduled = make_customer(
        member_count=5, max_member_count=20, usage_synced_at=read, renewal_apply_date=dt.date(2027, 1, 1)
    )
    crowded = make_customer(member_count=120, max_member_count=200, usage_synced_at=read)
    already = make_customer(member_count=3, max_member_count=100, usage_synced_at=read)
    unread = make_customer(usage_synced_at=None)
    removed = make_customer(usage_synced_at=read, removed_at=read)
    keys = [str(c.domain_id) for c in (plain, scheduled, crowded, already, unread, removed)]
    batch = bulk.batch_check(
        user=account_manager, action=_action(), values={"max_member_count": 100}, keys=keys
    )
    found = _found(batch)
    assert removed.domain_id not in found  # gone from LINE WORKS: not a row
    assert found[plain.domain_id] == {
        "changes": [["Maximum users", "50", "100"]],
        "side_effects": [],
        "refusal": "",
    }
    assert found[scheduled.domain_id]["side_effects"] == [
        "A scheduled change of the maximum users is deleted (setting the maximum replaces it)."
    ]
    assert found[crowded.domain_id]["refusal"] == (
        "The customer has 120 members; the maximum users cannot be lower than that."
    )
    assert found[already.domain_id]["refusal"] == "Already set to 100: nothing to send."
    assert "has not been read yet" in found[unread.domain_id]["refusal"]
    assert not Operation.objects.exists()

    no_limit = bulk.batch_check(
        user=account_manager, action=_action(), values={"max_member_count": None}, keys=[keys[0]]
    )
    assert _found(no_limit)[plain.domain_id]["changes"] == [["Maximum users", "50", "No limit"]]


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.ACCOUNT_MANAGER, Role.ADMIN])
def test_the_customer_list_offers_it_and_the_form_keeps_to_the_contracts_limits(client_as, role):
    customer = make_customer(usage_synced_at=timezone.now())
    client = client_as(role)
    listed = client.get(reverse("customers:list"), {"owner": "all"}).content.decode()
    assert f'value="{MAX_USERS}"' in listed
    refused = client.post(
        reverse("core:bulk_new"),
        {"action": MAX_USERS, "keys": [str(customer.domain_id)], "max_member_count": "1000001"},
    )
    assert refused.status_code == 200 and "1000000" in refused.content.decode().replace(",", "")
    made = client.post(
        reverse("core:bulk_new"),
        {"action": MAX_USERS, "keys": [str(customer.domain_id)], "max_member_count": "80"},
    )
    assert made.status_code == 302
    page = client.get(made["Location"]).content.decode()
    assert "Maximum users" in page and "80" in page


@pytest.mark.django_db
@pytest.mark.integration
def test_a_row_sends_the_maximum_alone_and_the_scheduled_cancellation_stays(
    cached_customer,  # noqa: F811 - the fixture
    portal_sandbox,
    account_manager,
):
    api = portal_sandbox.client("partner", validate=False)
    leaving = (clock.today() + dt.timedelta(days=40)).isoformat()
    url = f"/partners/customers/{cached_customer.domain_id}/usage-status"
    assert api.patch(url, json={"withdrawalDate": leaving}).status_code == 200
    sync.resync_customer(domain_id=cached_customer.domain_id)
    batch = bulk.batch_check(
        user=account_manager,
        action=_action(),
        values={"max_member_count": 321},
        keys=[str(cached_customer.domain_id)],
    )
    bulk.batch_send(user=account_manager, batch=batch, ticked=[r.key for r in batch.rows.all()])
    operation = Operation.objects.get(kind="patchUsageStatus")
    change_run(operation_pk=str(operation.pk))
    operation.refresh_from_db()
    assert operation.status == Operation.Status.SUCCEEDED, operation.error
    entry = AuditEntry.objects.get(domain_id=cached_customer.domain_id, operation_id="patchUsageStatus")
    assert entry.request_summary == {"maxMemberCount": 321}
    usage = api.get(url).json()
    assert usage["maxMemberCount"] == 321 and usage["withdrawalDate"] == leaving
