"""The business clock issues the invoice of each month that closes, from usage (private sandbox)."""

import datetime as dt

import pytest

from sandbox.testing import start_sandbox
from tests.sandbox.commerce import paid_customer, subs_path


def first_of_next(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


@pytest.fixture(scope="module")
def closed_month():
    """A month in which one customer added licences mid-month and another cancelled an annual contract."""
    with start_sandbox() as box:
        api = box.client()
        today = box.today()
        if (first_of_next(today) - today).days < 3:
            box.set_clock(first_of_next(today).isoformat())
            today = box.today()
        grower, sub = paid_customer(api, licenses=10)
        quitter, quit_sub = paid_customer(api, licenses=4)
        assert api.delete(subs_path(quitter, quit_sub["subscriptionId"])).status_code == 204
        box.advance_clock("1d")
        api.post(subs_path(grower, sub["subscriptionId"], "/add-license-count"), json={"licenseCount": 5})
        before = api.get("/partners/invoices", params={"year": today.year}).json()["invoices"]
        box.set_clock(first_of_next(today).isoformat())
        invoices = api.get("/partners/invoices", params={"year": today.year}).json()["invoices"]
        details = api.get(
            "/partners/invoice-details", params={"year": today.year, "month": today.month}
        ).json()
        yield {
            "today": today,
            "before": before,
            "invoices": invoices,
            "details": {d["domainId"]: d for d in details["invoiceDetails"]},
            "grower": grower,
            "quitter": quitter,
        }


@pytest.mark.rule("invoice.issued_monthly_on_first")
def test_invoice_issued_when_the_month_closes(closed_month):
    today = closed_month["today"]
    assert [i for i in closed_month["before"] if i["invoiceMonth"] == today.month] == []
    [invoice] = [i for i in closed_month["invoices"] if i["invoiceMonth"] == today.month]
    issued = dt.datetime.fromisoformat(invoice["issuedTime"].replace("Z", "+00:00")) + dt.timedelta(hours=9)
    assert issued.date() == first_of_next(today)
    assert invoice["paymentStatus"] == "UNPAID" and invoice["paidTime"] is None


@pytest.mark.rule("invoice_detail.prorated_per_period")
def test_licence_change_gives_two_prorated_items(closed_month):
    today = closed_month["today"]
    items = closed_month["details"][closed_month["grower"]]["settlementItems"]
    products = [i for i in items if i["itemType"] == "PRODUCT"]
    assert [(p["startDate"], p["endDate"], p["licenseCount"]) for p in products] == [
        (today.isoformat(), today.isoformat(), 10),
        (
            (today + dt.timedelta(days=1)).isoformat(),
            (first_of_next(today) - dt.timedelta(days=1)).isoformat(),
            15,
        ),
    ]
    days_in_month = (first_of_next(today) - today.replace(day=1)).days
    assert products[0]["amount"] == round(450 * 10 / days_in_month)
    assert products[1]["amount"] == round(450 * 15 * (days_in_month - today.day) / days_in_month)


@pytest.mark.rule("invoice_detail.summary_conflict_flagged")
def test_penalty_listed_apart_from_summary(closed_month):
    items = closed_month["details"][closed_month["quitter"]]["settlementItems"]
    penalty = [i for i in items if i["itemType"] == "PENALTY"]
    [summary] = [i for i in items if i["itemType"] == "SUMMARY"]
    assert penalty and penalty[0]["amount"] == 450 * 4 * 12
    assert summary["amount"] == 0
    [invoice] = [i for i in closed_month["invoices"] if i["invoiceMonth"] == closed_month["today"].month]
    assert invoice["penaltyAmount"] == penalty[0]["amount"]
