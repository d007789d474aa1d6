"""The subscriptions list's bulk renewal with changes (product, plan, licences at renewal): the dry run of each
row by the rules of the one-subscription form (subscriptions.rules.renewal_change_error), and what each row
sends. Sending through the pipeline is tested with the sandbox in test_bulk_resume.py and test_bulk_worker.py."""

from __future__ import annotations

import pytest
from django.urls import reverse

from portal.core.access import Role
from portal.core.changes import bulk
from portal.core.models import Operation
from tests.customers.factories import make_customer
from tests.subscriptions.factories import make_subscription

RENEWAL = "subscriptions.renewal"
CHANGE_TO_ADVANCED = {"type": "CHANGE", "product_id": "ADV", "plan": "", "license_count": None}


def _dry_run(user, subs, values):
    action = bulk.bulk_action(RENEWAL)
    assert action is not None
    return bulk.batch_check(user=user, action=action, values=values, keys=[str(s.pk) for s in subs])


def _found(batch) -> dict[int, dict]:
    return {int(r.key.split(":")[1]): r.found for r in batch.rows.all()}


@pytest.mark.django_db
def test_a_renewal_with_changes_is_checked_row_by_row(account_manager):
    standard = make_subscription(product_id="STD", plan="ANNUAL_LICENSE", license_count=20)
    group = make_subscription(make_customer(domain_type="GROUP"), product_id="STD")
    advanced = make_subscription(product_id="ADV")
    already = make_subscription(product_id="STD", renewal_type="CHANGE", renewal_product_id="ADV")
    free = make_subscription(product_id="FR", plan="FREE", license_count=None, renewal_type="")
    subs = [standard, group, advanced, already, free]
    found = _found(_dry_run(account_manager, subs, CHANGE_TO_ADVANCED))
    assert found[standard.pk] == {
        "changes": [
            ["Renewal", "Renew unchanged", "Renew with changes"],
            ["Product", "Standard", "Advanced"],
            ["Plan", "Annual (licence)", "Annual (licence)"],
            ["Licences", "20", "20"],
        ],
        "side_effects": ["An immediate upgrade later would clear this upgrade at renewal."],
        "refusal": "",
    }
    assert found[group.pk]["refusal"].startswith("Advanced is available only with a domain.")
    assert found[advanced.pk]["refusal"].startswith("Choose what changes at renewal")  # Advanced already
    assert found[already.pk]["refusal"] == "Already set to Renew with changes: nothing to send."
    assert found[free.pk]["refusal"] == "Only paid subscriptions have renewal settings."
    assert not Operation.objects.exists()


@pytest.mark.django_db
def test_licences_go_only_with_licence_plans_and_each_row_sends_its_own_terms(account_manager):
    annual = make_subscription(product_id="STD", plan="ANNUAL_LICENSE", license_count=20)
    monthly = make_subscription(product_id="STD", plan="MONTHLY", license_count=None)
    values = {"type": "CHANGE", "product_id": "", "plan": "", "license_count": 12}
    batch = _dry_run(account_manager, [annual, monthly], values)
    found = _found(batch)
    assert found[annual.pk]["changes"][-1] == ["Licences", "20", "12"]
    assert (
        found[monthly.pk]["refusal"] == "Leave the licences empty: only annual licence plans count licences."
    )
    bulk.batch_send(user=account_manager, batch=batch, ticked=[r.key for r in batch.rows.all()])
    assert Operation.objects.get().params["args"] == {
        "domain_id": annual.customer_id,
        "subscription_id": annual.pk,
        "type": "CHANGE",
        "license_count": 12,
    }
    # A monthly subscription moved to an annual licence plan keeps its licences unknown: the count is needed.
    to_annual = {"type": "CHANGE", "product_id": "", "plan": "ANNUAL_LICENSE", "license_count": None}
    assert _found(_dry_run(account_manager, [monthly], to_annual))[monthly.pk]["refusal"] == (
        "Enter the number of licences: this plan is licence-based."
    )


@pytest.mark.django_db
def test_the_values_form_asks_what_changes(client_as):
    sub = make_subscription()
    client = client_as(Role.ACCOUNT_MANAGER)
    new = reverse("core:bulk_new")
    form = client.get(new, {"action": RENEWAL, "keys": sub.pk}).content.decode()
    assert 'name="product_id"' in form and 'name="plan"' in form and 'name="license_count"' in form
    nothing = client.post(new, {"action": RENEWAL, "keys": sub.pk, "type": "CHANGE"})
    assert "Choose what changes at renewal" in nothing.content.decode()
    monthly = client.post(
        new, {"action": RENEWAL, "keys": sub.pk, "type": "CHANGE", "plan": "MONTHLY", "license_count": "5"}
    )
    assert "Leave the licences empty" in monthly.content.decode()
    made = client.post(new, {"action": RENEWAL, "keys": sub.pk, "type": "CHANGE", "license_count": "30"})
    assert made.status_code == 302
    assert "Renew with changes" in client.get(made["Location"]).content.decode()
