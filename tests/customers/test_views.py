import datetime as dt

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


def test_list_view_query_count_does_not_grow_with_page_size(client_as):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_as(Role.SUPPORT)
    for i in range(150):
        make_customer(company_name=f"Row {i:03}")
    client.get(reverse("customers:list"))  # warm the session
    for params in ({"q": "row"}, {"page": 2, "sort": "-members"}):
        counts = []
        for per_page in (25, 100):
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(reverse("customers:list"), {**params, "per_page": per_page})
            assert response.status_code == 200
            counts.append(len(ctx.captured_queries))
        assert counts[0] == counts[1], params


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


@pytest.mark.parametrize(
    ("time_zone", "locale", "zone", "language"),
    [
        ("Asia/Tokyo", "ja_JP", "Asia/Tokyo", "Japanese"),
        ("Asia/Tokyo", "ko_KR", "Asia/Tokyo", "Korean"),
        ("Asia/Tokyo", "", "Asia/Tokyo", "—"),
        ("", "", "—", "—"),
    ],
)
def test_the_overview_shows_time_zone_and_the_tenant_s_language_by_name_or_a_dash(
    client_as, time_zone, locale, zone, language
):
    customer = make_customer(time_zone=time_zone, locale=locale)
    body = (
        client_as(Role.SUPPORT).get(reverse("customers:detail", args=[customer.domain_id])).content.decode()
    )
    assert f"<dt>Time zone</dt><dd>{zone}</dd>" in body
    assert f"<dt>Language</dt><dd>{language}</dd>" in body


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


def test_scheduled_changes_panel_shows_every_kind_of_scheduled_change(client_as):
    """The panel said "nothing is scheduled" while a cancellation or a reservation sat in the table below."""
    import time_machine

    from tests.subscriptions.factories import make_pre_order, make_reservation, make_subscription

    with time_machine.travel(dt.datetime(2026, 11, 2, 3, 0, tzinfo=dt.UTC), tick=False):
        customer = make_customer(company_name="Panel KK")
        other = make_customer(company_name="Other KK")
        sub = make_subscription(customer, plan_end_date=dt.date(2027, 3, 31), renewal_type="CANCEL")
        make_reservation(make_subscription(customer), type="ADD_LICENSE", apply_date=dt.date(2026, 12, 1))
        make_pre_order(customer, apply_date=dt.date(2026, 12, 15))
        make_pre_order(other, apply_date=dt.date(2026, 12, 16))
        body = (
            client_as(Role.SUPPORT)
            .get(reverse("customers:detail", args=[customer.domain_id]))
            .content.decode()
        )
    panel = body.split('data-section="usage-schedule"')[1].split("</section>")[0]
    assert "Nothing is scheduled" not in panel
    for text in (
        "Reservation",
        "2026-12-01",
        "Pre-order",
        "2026-12-15",
        "Renewal",
        "2027-04-01",
        "is not renewed",
    ):
        assert text in panel, text
    assert "2026-12-16" not in panel
    assert reverse("subscriptions:detail", args=[sub.subscription_id]) in panel
    # Support sees them read-only: no links to the forms.
    assert reverse("subscriptions:renewal", args=[sub.subscription_id]) not in panel


def test_scheduled_changes_panel_shows_cancellations_option_orders_and_the_customers_own_changes(client_as):
    """The kinds the test above leaves out: a cancellation reservation, an option order, and the customer's own
    maximum-users change and scheduled cancellation; with the forms' links for an Account manager, in Japanese."""
    import time_machine

    from tests.options.factories import make_order
    from tests.subscriptions.factories import make_reservation, make_subscription

    with time_machine.travel(dt.datetime(2026, 11, 2, 3, 0, tzinfo=dt.UTC), tick=False):
        customer = make_customer(
            company_name="Kinds KK",
            renewal_apply_date=dt.date(2026, 12, 3),
            renewal_max_member_count=80,
            withdrawal_date=dt.date(2027, 1, 31),
        )
        sub = make_subscription(customer)
        make_reservation(sub, type="CANCEL", apply_date=dt.date(2026, 12, 10), license_count=None)
        make_order(customer, apply_date=dt.date(2026, 12, 20), quantity=3)
        client = client_as(Role.ACCOUNT_MANAGER)
        url = reverse("customers:detail", args=[customer.domain_id])
        body = client.get(url).content.decode()
        ja = client.get(url, headers={"Accept-Language": "ja"}).content.decode()
    panel = body.split('data-section="usage-schedule"')[1].split("</section>")[0]
    assert "Nothing is scheduled" not in panel
    for text in (
        "Maximum users change",
        "80 users from 2026-12-03",
        "Scheduled cancellation",
        "2027-01-31",
        "Reservation",
        "2026-12-10: Cancel",
        "Option order",
        "2026-12-20",
        "× 3",
    ):
        assert text in panel, text
    assert reverse("subscriptions:reservation", args=[sub.subscription_id]) in panel
    assert reverse("options:order", args=[customer.domain_id, "SSTG2"]) in panel
    panel_ja = ja.split('data-section="usage-schedule"')[1].split("</section>")[0]
    for text in ("解約予定", "予約", "オプション"):
        assert text in panel_ja, text
    assert "Option order" not in panel_ja and "Reservation" not in panel_ja


def test_a_customer_whose_trial_ended_does_not_read_active(client_as):
    import time_machine

    with time_machine.travel(dt.datetime(2026, 11, 2, 3, 0, tzinfo=dt.UTC), tick=False):
        ended = make_customer(
            company_name="Ended KK", usage_status="ACTIVE", plan="TRIAL", trial_ends_on=dt.date(2026, 11, 1)
        )
        running = make_customer(
            company_name="Running KK", usage_status="ACTIVE", plan="TRIAL", trial_ends_on=dt.date(2026, 11, 2)
        )
        client = client_as(Role.SUPPORT)
        listing = client.get(reverse("customers:list")).content.decode()
        detail = client.get(reverse("customers:detail", args=[ended.domain_id])).content.decode()
        detail_ja = client.get(
            reverse("customers:detail", args=[ended.domain_id]), HTTP_ACCEPT_LANGUAGE="ja"
        ).content.decode()
    ended_row = listing.split(f'data-domain-id="{ended.domain_id}"')[1].split("</tr>")[0]
    running_row = listing.split(f'data-domain-id="{running.domain_id}"')[1].split("</tr>")[0]
    assert "Trial ended" in ended_row and ">Active<" not in ended_row
    assert ">Active<" in running_row
    assert 'data-testid="status">Trial ended<' in detail
    assert "トライアル終了" in detail_ja


def test_the_status_filter_goes_by_the_status_shown_so_active_leaves_out_ended_trials(client_as):
    """Filtering "Active" listed the customers whose rows read "Trial ended"; "Trial ended" can be chosen."""
    import time_machine

    with time_machine.travel(dt.datetime(2026, 11, 2, 3, 0, tzinfo=dt.UTC), tick=False):
        make_customer(company_name="Ended KK", plan="TRIAL", trial_ends_on=dt.date(2026, 11, 1))
        make_customer(company_name="Running KK", plan="TRIAL", trial_ends_on=dt.date(2026, 11, 2))
        make_customer(company_name="Paid KK", plan="MONTHLY")
        client = client_as(Role.SUPPORT)
        active = client.get(reverse("customers:list"), {"status": "ACTIVE"}).content.decode()
        ended = client.get(reverse("customers:list"), {"status": "TRIAL_ENDED"}).content.decode()
        ja = client.get(reverse("customers:list"), headers={"Accept-Language": "ja"}).content.decode()
    assert "Running KK" in active and "Paid KK" in active and "Ended KK" not in active
    assert "Ended KK" in ended and "Running KK" not in ended and "Paid KK" not in ended
    assert '<option value="TRIAL_ENDED"' in ja and "トライアル終了</option>" in ja


def test_the_list_says_its_sync_times_are_japan_time(client_as):
    """The "Last synced" column showed 2026-11-02 12:00 with no zone; its heading now says which."""
    make_customer(company_name="Timed KK", synced_at=dt.datetime(2026, 11, 2, 3, 0, tzinfo=dt.UTC))
    client = client_as(Role.SUPPORT)
    listing = client.get(reverse("customers:list")).content.decode()
    row = listing.split("Timed KK")[1].split("</tr>")[0]
    assert "2026-11-02 12:00" in row
    assert "Synced (JST)" in listing
    ja = client.get(reverse("customers:list"), headers={"Accept-Language": "ja"}).content.decode()
    assert "同期（日本時間）" in ja


@pytest.mark.parametrize(
    ("language", "expected"), [("en", "1,205 customers"), ("ja", "1,205 件の顧客")], ids=["en", "ja"]
)
def test_the_number_of_customers_found_is_written_with_a_thousands_separator(
    client_as, settings, language, expected
):
    """A count a person reads at a glance: "1,205", not "1205", in both languages (the same words head the
    Options, Subscriptions, Users and invoice-details lists). The lists count up to LIST_COUNT_CAP: raised here
    past the rows made."""
    from django.utils import timezone

    from customers.models import Customer

    settings.LIST_COUNT_CAP = 2000
    now = timezone.now()
    Customer.objects.bulk_create(
        Customer(
            domain_id=80_000_000 + i,
            tenant_id=80_000_000 + i,
            domain=f"bulk{i}.example.com",
            domain_type="DOMAIN",
            company_name=f"Bulk Firm {i}",
            usage_status="ACTIVE",
            product_id="STD",
            plan="MONTHLY",
            synced_at=now,
        )
        for i in range(1205)
    )
    client = client_as(Role.SUPPORT)
    client.cookies["django_language"] = language
    page = client.get(reverse("customers:list")).content.decode()
    assert f">{expected}</p>" in page
