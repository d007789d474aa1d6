"""The price book from a file (issue 57): the download read back (csv in cp932, openpyxl), edited and uploaded
again; the dry run shows exactly the edited rows, refused with the price form's own words (a price in force is
never rewritten, a closed month keeps its prices), and "Apply" adds the prices all or nothing, audited."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from billing.models import MonthClosing, PriceEntry
from portal.core.access import Role
from portal.core.models import AuditEntry
from tests.customers.factories import make_customer
from tests.fixtures.portal_api import pin_business_today

URL = reverse("billing:prices_import")
EXPORT = reverse("billing:prices_export")
HEADER = [
    "Product or option",
    "Product or option (code)",
    "Sub option",
    "Sub option (code)",
    "Plan",
    "Plan (code)",
    "Customer",
    "Domain ID",
    "Effective from",
    "Cost a month per unit",
    "Price to the customer a month per unit",
]


@pytest.fixture
def book(db, monkeypatch):
    pin_business_today(monkeypatch, dt.date(2026, 11, 20))
    customer = make_customer(company_name="Alpha K.K.", domain_id=90_300_001)
    PriceEntry.objects.create(item_id="STD", plan="", cost=450, price=600, effective_from=dt.date(2026, 1, 1))
    PriceEntry.objects.create(
        item_id="ADV", plan="MONTHLY", cost=800, price=None, effective_from=dt.date(2026, 10, 1)
    )
    PriceEntry.objects.create(
        item_id="STD",
        plan="",
        domain_id=customer.domain_id,
        cost=450,
        price=550,
        effective_from=dt.date(2026, 4, 1),
    )
    return customer


def _sjis_rows(client) -> list[list[str]]:
    answer = client.get(EXPORT, {"encoding": "cp932"})
    assert answer.status_code == 200
    return list(csv.reader(io.StringIO(answer.content.decode("cp932"), newline="")))


def _csv_bytes(rows, encoding="cp932") -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding)


def _upload(client, data: bytes, name="prices.csv"):
    return client.post(URL, {"file": SimpleUploadedFile(name, data)})


def _apply(client, answer):
    return client.post(URL, {"token": answer.context["token"], "confirmed": "1"})


def test_the_download_edited_adds_exactly_the_new_and_priced_rows(client_as, book):
    client = client_as(Role.FINANCE)
    rows = _sjis_rows(client)
    assert rows[0] == HEADER
    assert len(rows) == 4
    adv = next(row for row in rows if row[1] == "ADV")
    assert adv[10] == ""  # no price yet
    adv[10] = "1,200"  # as a spreadsheet writes it
    # A new price from December, with the day as Excel in Japan saves it and the item by its name only.
    rows.append(["Standard", "", "", "", "", "", "", "", "2026/12/1", "460", "620"])
    answer = _upload(client, _csv_bytes(rows))
    result = answer.context["result"]
    changed = [row for row in result.rows if row.status != "unchanged"]
    assert [(row.number, row.status) for row in changed] == [(adv_number(rows), "changed"), (5, "added")]
    assert ("Price to the customer a month per unit", "—", "¥1,200") in changed[0].changes
    assert changed[1].changes == [
        ("Cost a month per unit", "—", "¥460"),
        ("Price to the customer a month per unit", "—", "¥620"),
    ]
    assert PriceEntry.objects.count() == 3
    assert _apply(client, answer).status_code == 302
    assert PriceEntry.objects.count() == 5
    new = PriceEntry.objects.get(effective_from=dt.date(2026, 12, 1))
    assert (new.item_id, new.cost, new.price, new.domain_id) == ("STD", 460, 620, None)
    assert AuditEntry.objects.filter(operation_id="portal.addPrice").count() == 2
    assert AuditEntry.objects.filter(operation_id="portal.importPriceBook").count() == 1
    # Downloaded again, the book has one row per entry in force: the ADV price set replaces its cost-only row.
    again = _sjis_rows(client)
    assert len(again) == 5
    assert next(row for row in again if row[1] == "ADV")[10] == "1200"


def adv_number(rows) -> int:
    return next(index for index, row in enumerate(rows, start=1) if row[1] == "ADV")


def test_a_price_in_force_is_never_rewritten_and_a_closed_month_keeps_its_prices(client_as, book):
    client = client_as(Role.FINANCE)
    MonthClosing.objects.create(year=2026, month=10, closed_at=timezone.now())
    rows = _sjis_rows(client)
    std = next(index for index, row in enumerate(rows) if row[1] == "STD" and not row[7])
    rows[std][10] = "700"
    rows.append(["", "STD", "", "", "", "", "", "", "2026-10-15", "400", "500"])
    rows.append(["", "NOPE", "", "", "", "", "", "", "2026-12-01", "400", "500"])
    rows.append(["", "STD", "", "", "", "", "", "12345", "2026-12-01", "400", "500"])
    rows.append(["", "STD", "", "", "", "", "", "", "soon", "4.5", "500"])
    text = _upload(client, _csv_bytes(rows)).content.decode()
    assert (
        f"Row {std + 1}: The book already has a price for this product or option, plan and customer" in text
    )
    assert "Row 5: This price would be in force in 2026-10, which Finance has closed" in text
    assert "Row 6, column A “Product or option”: Select a valid choice. NOPE is not one of" in text
    assert "Row 7, column H “Domain ID”: No customer has the Domain ID 12345." in text
    assert "Row 8, column I “Effective from”: “soon” is not a day" in text
    assert "Row 8, column J “Cost a month per unit”: Write a whole number here, without decimals." in text
    assert 'data-testid="apply"' not in text


def test_the_workbook_read_by_openpyxl_comes_back_unchanged(client_as, book):
    client = client_as(Role.FINANCE)
    answer = client.get(EXPORT, {"format": "xlsx"})
    data = b"".join(answer.streaming_content)
    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == HEADER
    assert {row[8] for row in values[1:]} >= {dt.datetime(2026, 1, 1)}
    result = _upload(client, data, "prices.xlsx").context["result"]
    assert result.kind == "xlsx" and result.to_apply == 0 and result.count("unchanged") == 3


def test_a_month_closed_between_the_dry_run_and_the_apply_adds_nothing(client_as, book):
    client = client_as(Role.FINANCE)
    rows = _sjis_rows(client)
    rows.append(["", "STD", "", "", "", "", "", "", "2026-11-01", "460", "620"])
    rows.append(["", "ADV", "", "", "", "", "", "", "2026-11-01", "900", "1300"])
    answer = _upload(client, _csv_bytes(rows))
    assert answer.context["result"].to_apply == 2
    MonthClosing.objects.create(year=2026, month=11, closed_at=timezone.now())
    again = _apply(client, answer)
    assert again.status_code == 200 and again.context["moved"]
    assert PriceEntry.objects.count() == 3
    assert not AuditEntry.objects.exists()


def test_the_prices_page_offers_the_download_to_readers_and_the_import_to_finance(client_as, book):
    prices = reverse("billing:prices")
    finance = client_as(Role.FINANCE).get(prices).content.decode()
    assert URL in finance and f"{EXPORT}?format=xlsx" in finance
    reader = client_as(Role.ACCOUNT_MANAGER).get(prices)
    if reader.status_code == 200:
        assert URL not in reader.content.decode() and EXPORT in reader.content.decode()


def test_an_entry_of_a_code_the_portal_has_no_name_for_comes_back_unchanged(client_as, book):
    PriceEntry.objects.create(
        item_id="NEWOPT", plan="", cost=10, price=20, effective_from=dt.date(2026, 5, 1)
    )
    client = client_as(Role.FINANCE)
    rows = _sjis_rows(client)
    assert ["NEWOPT", "NEWOPT"] in [row[:2] for row in rows]
    result = _upload(client, _csv_bytes(rows)).context["result"]
    assert result.count("unchanged") == 4 and result.count("refused") == 0
