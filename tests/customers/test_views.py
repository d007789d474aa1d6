import pytest
from django.urls import reverse

from portal.core.access import Role
from tests.customers.factories import make_customer

pytestmark = pytest.mark.django_db


def test_list_page_shows_search_and_results(client_as):
    make_customer(company_name="株式会社ミドリ電機", domain="midori.example.jp")
    make_customer(company_name="Blue Ocean KK")
    response = client_as(Role.SUPPORT).get(reverse("customers:list"), {"q": "ミドリ"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "株式会社ミドリ電機" in body and "Blue Ocean KK" not in body
    assert 'name="q"' in body and "<html" in body


def test_htmx_search_gets_only_the_results_partial(client_as):
    make_customer(company_name="Partial Target")
    response = client_as(Role.SUPPORT).get(
        reverse("customers:list"), {"q": "target"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results"
    )
    body = response.content.decode()
    assert "Partial Target" in body
    assert "<html" not in body and 'name="q"' not in body
    assert body.lstrip().startswith('<div id="results"')


def test_list_view_query_count_does_not_grow_with_page_size(client_as, django_assert_max_num_queries):
    client = client_as(Role.SUPPORT)
    for i in range(150):
        make_customer(company_name=f"Row {i:03}")
    client.get(reverse("customers:list"))  # warm the session
    counts = []
    for per_page in (25, 100):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("customers:list"), {"per_page": per_page, "q": "row"})
        assert response.status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
    with django_assert_max_num_queries(counts[0]):
        client.get(reverse("customers:list"), {"per_page": 100, "page": 2, "sort": "-members"})


def test_invalid_parameters_do_not_break_the_page(client_as):
    make_customer(company_name="Still here")
    response = client_as(Role.SUPPORT).get(
        reverse("customers:list"), {"trial_within": "abc", "sort": "bogus", "per_page": "7", "page": "99"}
    )
    assert response.status_code == 200
    assert "Still here" in response.content.decode()


def test_csv_export_streams_the_filtered_list(client_as):
    make_customer(company_name="Export Me", product_id="ADV")
    make_customer(company_name="Not Me", product_id="STD")
    response = client_as(Role.FINANCE).get(reverse("customers:export"), {"product": "ADV", "page": "3"})
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "Export Me" in body and "Not Me" not in body
    assert len(body.strip().splitlines()) == 2


def test_detail_shows_overview_sections_and_activity(client_as, account_manager):
    from portal.core.services import audit_record

    customer = make_customer(
        company_name="Detail KK", customer_code="DK-1", memo="Call before noon", renewal_max_member_count=80
    )
    audit_record(
        actor=account_manager, operation_id="patchCustomer", outcome="succeeded", domain_id=customer.domain_id
    )
    response = client_as(Role.SUPPORT).get(reverse("customers:detail", args=[customer.domain_id]))
    body = response.content.decode()
    assert response.status_code == 200
    for text in ("Detail KK", "DK-1", "Call before noon", "patchCustomer", 'data-section="usage-schedule"'):
        assert text in body


def test_detail_of_unknown_customer_is_404(client_as):
    assert client_as(Role.SUPPORT).get(reverse("customers:detail", args=[123])).status_code == 404


def test_removed_customer_is_marked(client_as):
    from django.utils import timezone

    customer = make_customer(company_name="Gone KK", removed_at=timezone.now())
    body = (
        client_as(Role.SUPPORT).get(reverse("customers:detail", args=[customer.domain_id])).content.decode()
    )
    assert "no longer listed" in body
    listing = client_as(Role.SUPPORT).get(reverse("customers:list"), {"removed": "include"}).content.decode()
    assert "Gone KK" in listing and "badge-removed" in listing


def test_going_back_from_the_delete_page_does_not_read_as_terminating_in_japanese(client_as):
    """解約 means ending the contract: a button that only goes back must never say it (it read 解約 before)."""
    customer = make_customer()
    html = (
        client_as(Role.ACCOUNT_MANAGER)
        .get(reverse("customers:delete", args=[customer.domain_id]), headers={"Accept-Language": "ja"})
        .content.decode()
    )
    back = f'href="{reverse("customers:detail", args=[customer.domain_id])}">'
    assert back + "戻る</a>" in html
    assert ">解約</a>" not in html and ">解約</button>" not in html
