"""Names, not codes (issue 32, item 4): the price book picks customers by name from a searched list and shows
them by name, refuses a second price for the same thing and day; the findings name the product or option they
are about; the re-billing statement names a sub option (its code in the code column, for accounting)."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from billing.models import Finding, PriceEntry
from portal.core.access import Role
from tests.billing.factories import make_invoice, make_item
from tests.customers.factories import make_customer
from tests.fixtures.downloads import body

pytestmark = pytest.mark.django_db
OCT = {"year": 2026, "month": 10}
PRICE = {"item_id": "STD", "plan": "", "cost": "450", "price": "600", "effective_from": "2026-11-01"}


@pytest.fixture
def harbor(db):
    return make_customer(company_name="Blue Harbor Clinic", domain="blueharbor.example")


def test_the_pick_list_offers_customers_by_name_as_typed(client_as, harbor):
    make_customer(company_name="Green Field K.K.", domain="greenfield.example")
    response = client_as(Role.FINANCE).get(reverse("billing:price_customers"), {"customer": "harb"})
    assert response.status_code == 200
    assert (
        response.content.decode().strip()
        == '<option value="Blue Harbor Clinic (blueharbor.example)"></option>'
    )
    # Nothing typed: nothing offered (never the whole customer list).
    empty = client_as(Role.FINANCE).get(reverse("billing:price_customers"), {"customer": " "})
    assert empty.content.decode().strip() == ""


def test_a_price_for_a_customer_picked_by_name_shows_its_name(client_as, harbor):
    finance = client_as(Role.FINANCE)
    page = finance.get(reverse("billing:prices")).content.decode()
    assert 'list="price-customers"' in page and 'id="price-customers"' in page
    assert "domain ID" not in page

    response = finance.post(
        reverse("billing:price_add"), {**PRICE, "customer": "Blue Harbor Clinic (blueharbor.example)"}
    )
    assert response.status_code == 302
    assert PriceEntry.objects.get().domain_id == harbor.domain_id
    page = finance.get(reverse("billing:prices")).content.decode()
    book = page.split('data-testid="prices"', 1)[1].split("</table>", 1)[0]
    assert "Blue Harbor Clinic" in book and str(harbor.domain_id) not in book.replace(
        f"/customers/{harbor.domain_id}/", ""
    )


def test_a_company_name_or_domain_typed_whole_is_accepted(client_as, harbor):
    finance = client_as(Role.FINANCE)
    finance.post(reverse("billing:price_add"), {**PRICE, "customer": "Blue Harbor Clinic"})
    finance.post(
        reverse("billing:price_add"),
        {**PRICE, "customer": "blueharbor.example", "effective_from": "2026-12-01"},
    )
    assert list(PriceEntry.objects.values_list("domain_id", flat=True)) == [harbor.domain_id] * 2


@pytest.mark.parametrize(
    ("typed", "said"),
    [("Nobody K.K.", "No customer is called"), ("Twin K.K.", "Several customers are called")],
)
def test_a_customer_not_found_or_not_one_is_refused_in_words(client_as, db, typed, said):
    make_customer(company_name="Twin K.K.", domain="twin-a.example")
    make_customer(company_name="Twin K.K.", domain="twin-b.example")
    response = client_as(Role.FINANCE).post(reverse("billing:price_add"), {**PRICE, "customer": typed})
    assert response.status_code == 200
    assert said in response.content.decode()
    assert not PriceEntry.objects.exists()


def test_a_second_price_for_the_same_thing_and_day_is_refused(client_as, harbor):
    finance = client_as(Role.FINANCE)
    assert finance.post(reverse("billing:price_add"), PRICE).status_code == 302
    response = finance.post(reverse("billing:price_add"), {**PRICE, "cost": "500"})
    assert response.status_code == 200
    assert "already has a price for this product or option, plan and customer from 2026-11-01" in (
        response.content.decode()
    )
    # Another customer, another plan or another day is another thing.
    for other in (
        {"customer": "Blue Harbor Clinic"},
        {"plan": "MONTHLY"},
        {"effective_from": "2026-11-02"},
    ):
        assert finance.post(reverse("billing:price_add"), {**PRICE, **other}).status_code == 302
    assert PriceEntry.objects.count() == 4


def test_findings_name_the_product_or_option_they_are_about(client_as, db):
    make_invoice(**OCT)
    for kind, subject in (("cost", "ACV2:2026-10-01"), ("quantity", "DRV"), ("active_not_billed", "ADV")):
        Finding.objects.create(
            **OCT,
            domain_id=1,
            kind=kind,
            subject=subject,
            expected="1",
            billed="2",
            checked_at=timezone.now(),
        )
    page = client_as(Role.FINANCE).get(reverse("billing:findings", kwargs=OCT)).content.decode()
    subjects = page.count('data-testid="finding-subject"')
    assert subjects == 3
    for code in ("ACV2", "DRV", ">ADV<"):
        assert code not in page.split('data-testid="findings"', 1)[1].split("</table>", 1)[0]


def test_the_statement_names_a_sub_option_and_keeps_its_code_for_accounting(client_as, db):
    make_item(
        **OCT, item_type="OPTION_PRODUCT", item_id="DRV", sub_item_id="DRV_PS", plan="MONTHLY", quantity=2
    )
    response = client_as(Role.FINANCE).get(reverse("billing:statement_export", kwargs=OCT))
    rows = list(csv.reader(io.StringIO(body(response).decode("utf-8").lstrip("\ufeff"))))
    header, first = rows[0], rows[1]
    named, code = header.index("Product or option"), header.index("Product or option (code)")
    assert first[code] == "DRV_PS"
    assert first[named] and "DRV" not in first[named]
