"""Billing: customer usages, invoices and invoice details on the seeded session sandbox (one test per rule)."""

import datetime as dt

import pytest

from tests.sandbox.commerce import BASE, paid_customer, refused, trial_customer


def usages(api, domain_id, **params):
    return api.get(f"{BASE}/{domain_id}/usages", params=params)


# --- listCustomerUsages -------------------------------------------------------------------------------------------


@pytest.mark.rule("customer_usage.year_month_required")
def test_usages_year_and_month_required(sandbox_client, today):
    domain_id, _ = trial_customer(sandbox_client)
    response = usages(sandbox_client, domain_id, month=today.month)
    refused(response, "customer_usage.year_month_required")
    assert response.json()["code"] == "MISSING_PARAMETER"
    assert usages(sandbox_client, domain_id, year=today.year).json()["code"] == "MISSING_PARAMETER"


@pytest.mark.rule("customer_usage.month_range")
def test_usages_month_range(sandbox_client, today):
    domain_id, _ = trial_customer(sandbox_client)
    refused(usages(sandbox_client, domain_id, year=today.year, month=13), "customer_usage.month_range")
    refused(usages(sandbox_client, domain_id, year=today.year, month="may"), "customer_usage.month_range")


@pytest.mark.rule("customer_usage.product_group_works")
def test_usages_product_group(sandbox_client, today):
    domain_id, _ = trial_customer(sandbox_client)
    refused(
        usages(sandbox_client, domain_id, year=today.year, month=today.month, productGroupId="NOTE_AI"),
        "customer_usage.product_group_works",
    )
    assert (
        usages(
            sandbox_client, domain_id, year=today.year, month=today.month, productGroupId="WORKS"
        ).status_code
        == 200
    )


@pytest.mark.rule("customer_usage.daily_snapshots_in_month")
def test_usages_days_of_month_only(sandbox_client, today):
    domain_id, _ = trial_customer(sandbox_client)
    rows = usages(sandbox_client, domain_id, year=today.year, month=today.month).json()["usages"]
    assert [r["usedDate"] for r in rows] == [today.isoformat()]
    before = today.replace(day=1) - dt.timedelta(days=1)
    assert usages(sandbox_client, domain_id, year=before.year, month=before.month).json()["usages"] == []
    assert usages(sandbox_client, domain_id, year=today.year + 1, month=today.month).json()["usages"] == []


@pytest.mark.rule("customer_usage.own_customer_only")
def test_usages_unknown_customer(sandbox_client, today):
    response = usages(sandbox_client, 99_999_998, year=today.year, month=today.month)
    assert response.status_code == 404


@pytest.mark.rule("customer_usage.either_scope")
def test_usages_read_scope(sandbox_client, sandbox_read_client, today):
    domain_id, _ = trial_customer(sandbox_client)
    assert usages(sandbox_read_client, domain_id, year=today.year, month=today.month).status_code == 200


@pytest.mark.rule("customer_usage.license_count_meaning")
def test_usages_license_count_for_licence_plans(sandbox_client, today):
    annual_id, _ = paid_customer(sandbox_client, licenses=14)
    monthly_id, _ = paid_customer(sandbox_client, plan="MONTHLY")
    [annual] = usages(sandbox_client, annual_id, year=today.year, month=today.month).json()["usages"]
    [monthly] = usages(sandbox_client, monthly_id, year=today.year, month=today.month).json()["usages"]
    assert (annual["licenseCount"], monthly["licenseCount"]) == (14, None)
    assert annual["plan"] == "ANNUAL_LICENSE" and annual["status"] == "ACTIVE"


@pytest.mark.rule("customer_usage.not_paginated")
def test_usages_not_paginated(sandbox_client, today):
    domain_id = 10_000_001  # a seeded customer with history
    body = usages(sandbox_client, domain_id, year=today.year, month=today.month, count=1).json()
    assert set(body) == {"usages"}
    assert len(body["usages"]) <= today.day  # the whole month so far in one answer


# --- listInvoices -------------------------------------------------------------------------------------------------


def invoices(api, year):
    return api.get("/partners/invoices", params={"year": year}).json()["invoices"]


def last_year_and_this(api, today):
    return invoices(api, today.year - 1) + invoices(api, today.year)


@pytest.mark.rule("invoice.year_required")
def test_invoices_year_required(sandbox_client):
    refused(sandbox_client.get("/partners/invoices"), "invoice.year_required")
    refused(sandbox_client.get("/partners/invoices", params={"year": "last"}), "invoice.year_required")


@pytest.mark.rule("invoice.issued_monthly_on_first")
def test_invoices_one_a_month_issued_on_the_first(sandbox_client, today):
    rows = last_year_and_this(sandbox_client, today)
    months = [(i["invoiceYear"], i["invoiceMonth"]) for i in rows]
    assert len(months) == len(set(months)) >= 10
    for invoice in rows:
        issued = dt.datetime.fromisoformat(invoice["issuedTime"].replace("Z", "+00:00")) + dt.timedelta(
            hours=9
        )
        assert issued.day == 1 and issued.hour == 0


@pytest.mark.rule("invoice.year_month_is_usage_month")
def test_invoices_name_the_usage_month(sandbox_client, today):
    for invoice in last_year_and_this(sandbox_client, today):
        issued = (
            dt.datetime.fromisoformat(invoice["issuedTime"].replace("Z", "+00:00")) + dt.timedelta(hours=9)
        ).date()
        usage_month = issued - dt.timedelta(days=1)
        assert (invoice["invoiceYear"], invoice["invoiceMonth"]) == (usage_month.year, usage_month.month)


@pytest.mark.rule("invoice.filtered_by_usage_year")
def test_invoices_filtered_by_year(sandbox_client, today):
    assert {i["invoiceYear"] for i in invoices(sandbox_client, today.year - 1)} == {today.year - 1}
    assert invoices(sandbox_client, 1999) == []


@pytest.mark.rule("invoice.total_formula")
def test_invoices_total(sandbox_client, today):
    rows = last_year_and_this(sandbox_client, today)
    assert any(i["totalAmount"] > 0 for i in rows)
    for i in rows:
        parts = (
            i["usedAmount"]
            + i["usedTaxAmount"]
            + i["optionPlusAmount"]
            + i["optionPlusTaxAmount"]
            + i["penaltyAmount"]
        )
        assert i["totalAmount"] == parts


@pytest.mark.rule("invoice.tax_amounts")
def test_invoices_tax(sandbox_client, today):
    for i in last_year_and_this(sandbox_client, today):
        assert i["taxRate"] == 10
        assert i["usedTaxAmount"] == i["usedAmount"] * 10 // 100
        assert i["optionPlusTaxAmount"] == i["optionPlusAmount"] * 10 // 100


@pytest.mark.rule("invoice.payment_status")
def test_invoices_payment_status(sandbox_client, today):
    for i in last_year_and_this(sandbox_client, today):
        if i["totalAmount"] == 0:
            assert i["paymentStatus"] == "NONE"
        elif i["paymentStatus"] == "PAID":
            assert i["paidTime"]
        else:
            assert i["paymentStatus"] == "UNPAID" and i["paidTime"] is None
    assert "PAID" in {i["paymentStatus"] for i in last_year_and_this(sandbox_client, today)}


@pytest.mark.rule("invoice.current_month_not_issued")
def test_invoices_current_month_absent(sandbox_client, today):
    assert today.month not in [i["invoiceMonth"] for i in invoices(sandbox_client, today.year)]


@pytest.mark.rule("invoice.either_scope")
def test_invoices_read_scope(sandbox_read_client, today):
    assert sandbox_read_client.get("/partners/invoices", params={"year": today.year}).status_code == 200


# --- listInvoiceDetails -------------------------------------------------------------------------------------------


def last_month(today):
    before = today.replace(day=1) - dt.timedelta(days=1)
    return before.year, before.month


def all_details(api, year, month, count=20):
    found, cursor = [], None
    while True:
        params = {"year": year, "month": month, "count": count, **({"cursor": cursor} if cursor else {})}
        body = api.get("/partners/invoice-details", params=params).json()
        found += body["invoiceDetails"]
        cursor = body["responseMetaData"].get("nextCursor")
        if not cursor:
            return found


@pytest.mark.rule("invoice_detail.year_month_required")
def test_details_year_month(sandbox_client, today):
    refused(
        sandbox_client.get("/partners/invoice-details", params={"year": today.year}),
        "invoice_detail.year_month_required",
    )
    refused(
        sandbox_client.get("/partners/invoice-details", params={"year": today.year, "month": 0}),
        "invoice_detail.year_month_required",
    )


@pytest.mark.rule("invoice_detail.count_range")
def test_details_count_range(sandbox_client, today):
    year, month = last_month(today)
    for count in (0, 21):
        response = sandbox_client.get(
            "/partners/invoice-details", params={"year": year, "month": month, "count": count}
        )
        refused(response, "invoice_detail.count_range")
        assert response.json()["code"] == "OUT_OF_RANGE"
    body = sandbox_client.get("/partners/invoice-details", params={"year": year, "month": month}).json()
    assert len(body["invoiceDetails"]) <= 20


@pytest.mark.rule("invoice_detail.cursor_pages")
def test_details_pages(sandbox_client, today):
    year, month = last_month(today)
    everything = all_details(sandbox_client, year, month, count=20)
    paged = all_details(sandbox_client, year, month, count=3)
    assert len(everything) > 3
    assert [d["domainId"] for d in paged] == [d["domainId"] for d in everything]


@pytest.mark.rule("invoice_detail.foreign_cursor")
def test_details_foreign_cursor(sandbox_client, today):
    year, month = last_month(today)
    cursor = sandbox_client.get(
        "/partners/invoice-details", params={"year": year, "month": month, "count": 1}
    ).json()["responseMetaData"]["nextCursor"]
    other = sandbox_client.get(
        "/partners/invoice-details", params={"year": year - 1, "month": month, "cursor": cursor}
    )
    refused(other, "invoice_detail.foreign_cursor")
    refused(
        sandbox_client.get(
            "/partners/invoice-details", params={"year": year, "month": month, "cursor": "%%%"}
        ),
        "invoice_detail.foreign_cursor",
    )


@pytest.mark.rule("invoice_detail.one_per_customer")
def test_details_one_per_customer(sandbox_client, today):
    year, month = last_month(today)
    details = all_details(sandbox_client, year, month)
    ids = [d["domainId"] for d in details]
    assert len(ids) == len(set(ids)) > 0
    assert all(d["settlementItems"] for d in details)


@pytest.mark.rule("invoice_detail.summary_sum")
def test_details_summary(sandbox_client, today):
    year, month = last_month(today)
    for detail in all_details(sandbox_client, year, month):
        items = detail["settlementItems"]
        [summary] = [i for i in items if i["itemType"] == "SUMMARY"]
        parts = sum(
            i["amount"] for i in items if i["itemType"] in ("PRODUCT", "OPTION_PRODUCT", "ADJUSTMENT")
        )
        assert summary["amount"] == parts


@pytest.mark.rule("invoice_detail.quantity_counted_options_only")
def test_details_quantity(sandbox_client, today):
    year, month = last_month(today)
    for detail in all_details(sandbox_client, year, month):
        for item in detail["settlementItems"]:
            if item.get("quantity") is not None:
                assert item["itemId"] in ("SSTG2", "BCT")


@pytest.mark.rule("invoice_detail.either_scope")
def test_details_read_scope(sandbox_read_client, today):
    year, month = last_month(today)
    assert (
        sandbox_read_client.get(
            "/partners/invoice-details", params={"year": year, "month": month}
        ).status_code
        == 200
    )
