"""No export hands a spreadsheet a formula: text that starts like one is written as text, numbers stay numbers."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from portal.core.access import Role
from portal.core.csv_export import csv_rows
from tests.customers.factories import make_customer
from tests.subscriptions.factories import make_subscription

HOSTILE_NAMES = ['=HYPERLINK("http://evil.example","click")', "+1+2", "-2+3", "@SUM(A1:A9)", "\tTAB", "\rCR"]


def _rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8").lstrip("\ufeff")
    return list(csv.reader(io.StringIO(body)))


@pytest.mark.parametrize(
    ("export", "owner"),
    [("customers:export", "customer"), ("subscriptions:export", "subscription")],
)
def test_company_names_that_look_like_formulas_are_exported_as_text(client_as, export, owner):
    for name in HOSTILE_NAMES:
        customer = make_customer(company_name=name, customer_code="=1+1")
        if owner == "subscription":
            make_subscription(customer)
    rows = _rows(client_as(Role.ADMIN).get(reverse(export)))
    cells = [cell for row in rows[1:] for cell in row]
    assert len(rows) == 1 + len(HOSTILE_NAMES)
    for name in HOSTILE_NAMES:
        assert "'" + name in cells
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]


def test_numbers_stay_numbers_and_ordinary_text_is_untouched():
    body = "".join(
        csv_rows(["Company", "Amount", "Licences"], [["Sakura K.K.", -120, 30], ["-dash", 0, None]])
    )
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[1] == ["Sakura K.K.", "-120", "30"]
    assert rows[2] == ["'-dash", "0", ""]


def test_yes_and_no_are_written_as_spreadsheets_write_them_whatever_the_language():
    body = "".join(csv_rows(["Company", "Unlimited"], [["Sakura K.K.", True], ["Nova", False]]))
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert [row[1] for row in rows[1:]] == ["TRUE", "FALSE"]


def test_the_scheduled_changes_export_writes_formula_like_names_as_text(client_as):
    import datetime as dt

    import time_machine

    from tests.subscriptions.factories import make_pre_order

    with time_machine.travel(dt.datetime(2026, 11, 20, 3, 0, tzinfo=dt.UTC), tick=False):
        for index, name in enumerate(HOSTILE_NAMES):
            make_pre_order(make_customer(company_name=name), apply_date=dt.date(2026, 12, 1 + index))
        rows = _rows(client_as(Role.ADMIN).get(reverse("schedule:export")))
    cells = [cell for row in rows[1:] for cell in row]
    assert len(rows) == 1 + len(HOSTILE_NAMES)
    for name in HOSTILE_NAMES:
        assert "'" + name in cells
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
