"""The options' bulk actions: adding an option to many customers from the customer list, and units to many
options from the Options list. The dry run row by row (before -> after, the side effects, why a row is refused,
by the contract's rules of options/rules.py), the pages, and rows sent to the sandbox, each applied once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from options.models import Option
from portal.core import clock
from portal.core.access import Role
from portal.core.changes import bulk
from portal.core.changes.engine import change_run
from portal.core.models import Batch, Operation
from subscriptions.models import Subscription
from tests.customers.factories import make_customer
from tests.options.factories import make_option, make_order
from tests.subscriptions.factories import make_subscription

AM = Role.ACCOUNT_MANAGER


def _dry_run(user, key, values, keys):
    action = bulk.bulk_action(key)
    assert action is not None
    return bulk.batch_check(user=user, action=action, values=values, keys=[str(k) for k in keys])


def _found(batch) -> dict[int, dict]:
    # The check in the words of the language in force (each language's are kept too, under "words").
    return {r.domain_id: {k: v for k, v in r.found.items() if k != "words"} for r in batch.rows.all()}


@pytest.mark.django_db
def test_adding_an_option_is_checked_against_each_customers_subscription_and_options(account_manager):
    ready = make_subscription(product_id="STD").customer
    with_order = make_subscription(product_id="ADV").customer
    make_order(with_order, option_product_id="SSTG2", type="APPLY", apply_date=dt.date(2026, 12, 1))
    trial = make_subscription(product_id="STD_T", plan="TRIAL", license_count=None).customer
    has_it = make_subscription(product_id="STD").customer
    make_option(has_it, option_product_id="SSTG2", sub_option_id="SSTG201", quantity=2)
    no_subscription = make_customer()
    cancelled = make_subscription(product_id="STD").customer
    back_on = clock.today() + dt.timedelta(days=20)
    Operation.objects.create(
        idempotency_key="cancelled-here",
        kind="cancelOptionProduct",
        domain_id=cancelled.domain_id,
        status=Operation.Status.SUCCEEDED,
        params={"args": {"option_product_id": "SSTG2", "readd_from": back_on.isoformat()}},
    )
    customers = [ready, with_order, trial, has_it, no_subscription, cancelled]
    batch = _dry_run(
        account_manager,
        "options.add",
        {"sub_option_id": "SSTG202", "quantity": 3},
        [c.domain_id for c in customers],
    )
    found = _found(batch)
    assert found[ready.domain_id] == {
        "changes": [["Option", "None", "Shared Storage 5 TB × 3"]],
        "side_effects": ["The option starts today and is billed from today."],
        "refusal": "",
    }
    assert found[with_order.domain_id]["side_effects"][-1].startswith(
        "The scheduled change of this option on 2026-12-01 is deleted"
    )
    assert "cannot have this sub option" in found[trial.domain_id]["refusal"]
    assert found[has_it.domain_id]["refusal"].startswith("The customer has this option already")
    assert (
        found[no_subscription.domain_id]["refusal"]
        == "The customer has no subscription: an option needs one."
    )
    assert back_on.isoformat() in found[cancelled.domain_id]["refusal"]
    assert Operation.objects.filter(kind="createOptionProduct").count() == 0

    bulk.batch_send(user=account_manager, batch=batch, ticked=[r.key for r in batch.rows.all()])
    sent = {o.domain_id: o.params["args"] for o in Operation.objects.filter(kind="createOptionProduct")}
    assert set(sent) == {ready.domain_id, with_order.domain_id}
    assert sent[ready.domain_id] == {
        "domain_id": ready.domain_id,
        "option_product_id": "SSTG2",
        "sub_option_id": "SSTG202",
        "quantity": 3,
    }


@pytest.mark.django_db
def test_adding_units_is_checked_against_each_options_quantity(account_manager):
    grows = make_option(quantity=2)
    full = make_option(quantity=998)
    drive = make_option(option_product_id="DRV", sub_option_id="DRV01", quantity=None)
    keys = [f"{o.customer_id}.{o.option_product_id}" for o in (grows, full, drive)]
    batch = _dry_run(account_manager, "options.units", {"quantity": 5}, keys)
    found = _found(batch)
    assert found[grows.customer_id]["changes"] == [["Quantity", "2", "7"]]
    assert found[grows.customer_id]["side_effects"] == [
        "The added units are billed from today; fewer units are possible only at renewal."
    ]
    assert found[full.customer_id]["refusal"] == "An option holds at most 1,000 units; this one has 998."
    assert found[drive.customer_id]["refusal"] == "Only Shared Storage and Extend contacts carry a quantity."


@pytest.mark.django_db
def test_the_options_list_offers_units_and_the_customer_list_an_option(client_as):
    option = make_option(quantity=1)
    make_subscription(option.customer, product_id="STD")
    client = client_as(AM)
    listed = client.get(reverse("options:list"), {"owner": "all"}).content.decode()
    assert 'data-testid="bulk-bar"' in listed and 'value="options.units"' in listed
    assert f'value="{option.customer_id}.SSTG2"' in listed
    customers = client.get(reverse("customers:list"), {"owner": "all"}).content.decode()
    assert 'value="options.add"' in customers
    assert b"bulk-bar" not in client_as(Role.SUPPORT).get(reverse("options:list"), {"owner": "all"}).content

    new = reverse("core:bulk_new")
    chosen = client.get(new, {"action": "options.units", "all": "1", "owner": "all"})
    assert "1 row is chosen" in chosen.content.decode()
    refused = client.post(
        new,
        {"action": "options.add", "keys": [option.customer_id], "sub_option_id": "DRV01", "quantity": "2"},
    )
    assert "Leave the quantity empty" in refused.content.decode()
    made = client.post(
        new, {"action": "options.units", "keys": [f"{option.customer_id}.SSTG2"], "quantity": "4"}
    )
    assert made.status_code == 302
    page = client.get(made["Location"]).content.decode()
    assert "Shared Storage 10 TB × 1" in page and "5" in page


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_an_option_and_units_added_in_bulk_reach_the_sandbox_once(today, portal_on_sandbox, account_manager):
    api = portal_on_sandbox.client("partner", validate=False)
    taken = set(Option.objects.filter(option_product_id="ACV2").values_list("customer_id", flat=True))
    subs = [
        s
        for s in Subscription.objects.filter(
            customer__removed_at=None, product_id__in=("STD", "ADV"), plan="ANNUAL_LICENSE"
        ).order_by("subscription_id")
        if s.customer_id not in taken
    ]
    customers = list(dict.fromkeys(s.customer_id for s in subs))[:3]
    assert len(customers) == 3, "the seed has too few paid customers without Audit & Compliance"
    grown = Option.objects.filter(option_product_id__in=("SSTG2", "BCT"), quantity__lt=900).first()
    assert grown is not None, "the seed has no option with a quantity"
    portal_on_sandbox.clear_requests()

    added = _dry_run(account_manager, "options.add", {"sub_option_id": "ACV201", "quantity": None}, customers)
    units = _dry_run(
        account_manager, "options.units", {"quantity": 2}, [f"{grown.customer_id}.{grown.option_product_id}"]
    )
    for batch in (added, units):
        assert not [r.found["refusal"] for r in batch.rows.all() if r.found["refusal"]]
        bulk.batch_send(user=account_manager, batch=batch, ticked=[r.key for r in batch.rows.all()])
    for _ in range(2):  # a task delivered twice sends nothing more
        for operation in Operation.objects.filter(idempotency_key__contains=":batch:"):
            change_run(operation_pk=str(operation.pk))
    assert Operation.objects.exclude(status=Operation.Status.SUCCEEDED).count() == 0
    assert len(portal_on_sandbox.requests("createOptionProduct")) == 3
    assert len(portal_on_sandbox.requests("addOptionProductQuantity")) == 1
    for domain_id in customers:
        options = api.get(f"/partners/customers/{domain_id}/option-products").json()["optionProducts"]
        assert "ACV201" in {o["subOptionId"] for o in options}, domain_id
    remote = api.get(f"/partners/customers/{grown.customer_id}/option-products").json()["optionProducts"]
    quantities = {o["optionProductId"]: o.get("quantity") for o in remote}
    assert quantities[grown.option_product_id] == (grown.quantity or 0) + 2
    for batch in (added, units):
        batch.refresh_from_db()
        assert bulk.batch_settle(batch).state == Batch.State.FINISHED
    assert Option.objects.filter(customer_id__in=customers, sub_option_id="ACV201").count() == 3
