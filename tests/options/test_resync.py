"""The resync fills the options cache from the sandbox over real HTTP: calls made = calls needed."""

from __future__ import annotations

import pytest

from options.models import Option, OptionOrder, OptionUsage
from portal.core import sync
from portal.core.models import SyncRun
from sandbox.testing import iter_pages

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]


def _remote(sandbox, month) -> dict:
    client = sandbox.client("partner.read", validate=False)
    options, renewals, orders, usages, customers = {}, {}, {}, 0, []
    for c in iter_pages(client, "/partners/customers", "customers", count=30):
        domain_id = c["domainId"]
        customers.append(domain_id)
        base = f"/partners/customers/{domain_id}"
        for o in client.get(f"{base}/option-products").json().get("optionProducts", []):
            options[(domain_id, o["optionProductId"])] = (
                o["subOptionId"],
                o.get("quantity"),
                o["planEndDate"],
            )
            if o["plan"] != "TRIAL":
                r = client.get(f"{base}/option-products/{o['optionProductId']}/renewal").json()
                renewals[(domain_id, o["optionProductId"])] = r.get("type")
        for t in client.get(f"{base}/option-product-orders").json().get("optionProductOrders", []):
            orders[(domain_id, t["optionProductId"])] = (t["type"], t["applyDate"])
        answer = client.get(
            f"{base}/option-product-usages", params={"year": month.year, "month": month.month}
        )
        if answer.status_code == 200:
            usages += len(answer.json().get("optionProductUsages", []))
    return {
        "customers": customers,
        "options": options,
        "renewals": renewals,
        "orders": orders,
        "usages": usages,
    }


def test_full_resync_fills_options_renewals_orders_and_usage_with_the_calls_needed(
    business_day, portal_on_sandbox
):
    remote = _remote(portal_on_sandbox, business_day)
    assert remote["options"] and remote["orders"] and remote["usages"], "the seed has every kind"

    portal_on_sandbox.clear_requests()
    run = sync.resync_full()

    assert run.status == SyncRun.Status.SUCCEEDED, run.errors
    received = portal_on_sandbox.requests(limit=5000)
    cached = {
        (o.customer_id, o.option_product_id): (o.sub_option_id, o.quantity, o.plan_end_date.isoformat())
        for o in Option.objects.all()
    }
    assert cached == remote["options"]
    assert {
        (o.customer_id, o.option_product_id): o.renewal_type for o in Option.objects.exclude(plan="TRIAL")
    } == remote["renewals"]
    assert {
        (t.customer_id, t.option_product_id): (t.type, t.apply_date.isoformat())
        for t in OptionOrder.objects.all()
    } == remote["orders"]
    assert OptionUsage.objects.count() == remote["usages"]
    customers = len(remote["customers"])
    needed = {
        "listOptionProducts": customers,
        "listOptionProductOrders": customers,
        "listOptionProductUsages": customers,
        # One renewal read per paid option; a Trial option has none, so it is not asked for.
        "getOptionProductRenewal": len(remote["renewals"]),
    }
    for operation_id, count in needed.items():
        sent = [r for r in received if r["operationId"] == operation_id]
        # Each asked for once; a request sent again (a 429 or a slow answer on a busy machine) is a retry of
        # the same path, and the run counts every request it sent, as the sandbox does.
        assert len({(r["path"], r["query"]) for r in sent}) == count, operation_id
        assert run.calls[operation_id] == len(sent), operation_id

    again = sync.resync_full()
    assert again.status == SyncRun.Status.SUCCEEDED
    assert Option.objects.count() == len(cached) and OptionUsage.objects.count() == remote["usages"]
