"""The search box's finders (issue 55, deliverable 1): each kind found only by the roles whose permission shows
it, and with PORTFOLIO_ONLY only an Account manager's own customers' things; the full page jumps to the one
exact match; odd input answers, never a 500; the panel's count is read out."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from invoicing.models import DocumentKind
from portal.core.access import Role
from portal.core.finders import cleaned, usable
from portal.core.models import Batch, Operation
from search.selectors import search_groups, search_jump
from tests.billing.factories import make_invoice
from tests.customers.factories import make_customer, make_owner
from tests.fixtures.personas import make_persona
from tests.search.factories import make_issued
from tests.subscriptions.factories import make_subscription

pytestmark = pytest.mark.django_db

URL = reverse("search:results")
PANEL = {"HX-Request": "true", "HX-Target": "find-panel"}


def _found(q: str, user, limit: int = 20) -> dict[str, list[str]]:
    return {g.key: [r.url for r in g.found.results] for g in search_groups(q=q, user=user, limit=limit)}


def _customer_url(customer) -> str:
    return reverse("customers:detail", args=[customer.domain_id])


def test_every_role_has_its_kinds_and_no_other():
    kinds = {role: {f.key for f in usable(make_persona(role))} for role in Role}
    assert kinds[Role.ACCOUNT_MANAGER] == {"customers", "subscriptions", "billing", "changes", "batches"}
    # Support sends no changes, so opens no change's page (`access.reads_changes`).
    assert kinds[Role.SUPPORT] == {"customers", "subscriptions"}
    assert kinds[Role.FINANCE] == {"customers", "invoices", "credit-notes", "billing"}
    assert kinds[Role.ADMIN] == {
        "customers",
        "subscriptions",
        "invoices",
        "credit-notes",
        "billing",
        "changes",
        "batches",
        "users",
    }


def test_customers_by_kana_folded_name_domain_domain_id_and_code():
    sakura = make_customer(
        company_name="サクラ商事株式会社", domain="sakura-shoji.example.com", customer_code="C-0042"
    )
    other = make_customer(company_name="富士物産")
    me = make_persona(Role.SUPPORT)
    for typed in (
        "さくら",
        "ｻｸﾗ",
        "sakura-shoji",
        "SAKURA-SHOJI.example.com",
        str(sakura.domain_id),
        "c-0042",
    ):
        assert _found(typed, me)["customers"] == [_customer_url(sakura)], typed
    assert _found("富士", me)["customers"] == [_customer_url(other)]


def test_customers_come_in_name_order_and_say_when_there_are_more():
    for name in ("さくら C", "さくら A", "さくら B"):
        make_customer(company_name=name)
    groups = search_groups(q="さくら", user=make_persona(Role.SUPPORT), limit=2)
    assert [r.label for r in groups[0].found.results] == ["さくら A", "さくら B"]
    assert groups[0].found.more
    assert groups[0].more_url == reverse("customers:list") + "?q=%E3%81%95%E3%81%8F%E3%82%89"


def test_an_account_manager_with_portfolio_only_finds_only_their_customers_and_their_rows(settings):
    settings.PORTFOLIO_ONLY = True
    me = make_persona(Role.ACCOUNT_MANAGER, username="mine")
    other = make_persona(Role.ACCOUNT_MANAGER, username="theirs")
    mine = make_customer(company_name="さくら 自分", domain="mine.example.com")
    theirs = make_customer(company_name="さくら 他人", domain="theirs.example.com")
    make_owner(mine, account_manager=me)
    make_owner(theirs, account_manager=other)
    my_sub, their_sub = make_subscription(mine), make_subscription(theirs)
    my_op = Operation.objects.create(idempotency_key="p-1", kind="updateCustomer", domain_id=mine.domain_id)
    their_op = Operation.objects.create(
        idempotency_key="p-2", kind="updateCustomer", domain_id=theirs.domain_id
    )

    assert _found("さくら", me) == {"customers": [_customer_url(mine)]}
    assert _found("theirs.example.com", me) == {}
    assert _found(str(theirs.domain_id), me) == {}
    assert _found(str(their_sub.subscription_id), me) == {}
    assert list(_found(str(my_sub.subscription_id), me)) == ["subscriptions"]
    assert _found(str(their_op.pk), me) == {}
    assert _found(str(my_op.pk), me) == {"changes": [reverse("core:operation", args=[my_op.pk])]}
    settings.PORTFOLIO_ONLY = False
    assert len(_found("さくら", me)["customers"]) == 2


def test_subscriptions_by_id_for_those_who_see_subscriptions():
    sub = make_subscription()
    url = reverse("subscriptions:detail", args=[sub.subscription_id])
    assert _found(str(sub.subscription_id), make_persona(Role.SUPPORT))["subscriptions"] == [url]
    assert "subscriptions" not in _found(str(sub.subscription_id), make_persona(Role.FINANCE))


def test_invoices_and_credit_notes_by_number_for_finance_alone():
    customer = make_customer()
    make_issued(555_012, domain_id=customer.domain_id)
    make_issued(
        555_013, domain_id=customer.domain_id, kind=DocumentKind.CREDIT_NOTE, number_format="CN-{number}"
    )
    finance = make_persona(Role.FINANCE)
    assert _found("555012", finance)["invoices"] == [reverse("invoicing:issued", args=[555_012])]
    assert "credit-notes" not in _found("555012", finance)
    assert _found("555013", finance) == {"credit-notes": [reverse("invoicing:issued", args=[555_013])]}
    assert _found("CN-555013", finance) == {"credit-notes": [reverse("invoicing:issued", args=[555_013])]}
    assert _found("XX-555013", finance) == {}
    for role in (Role.ACCOUNT_MANAGER, Role.SUPPORT):
        assert _found("555012", make_persona(role)) == {}


def test_line_works_invoices_by_month():
    make_invoice(year=2026, month=5)
    url = reverse("billing:details", kwargs={"year": 2026, "month": 5})
    finance = make_persona(Role.FINANCE)
    for typed in ("2026-05", "2026/5", "2026年5月", "２０２６－０５"):
        assert _found(typed, finance) == {"billing": [url]}, typed
    assert _found("2026-13", finance) == {}
    assert _found("2026-05", make_persona(Role.SUPPORT)) == {}


def test_changes_and_batches_by_id_for_those_who_send_changes():
    op = Operation.objects.create(idempotency_key="k-1", kind="updateCustomer", domain_id=None)
    batch = Batch.objects.create(action="no-such-action")
    am = make_persona(Role.ACCOUNT_MANAGER)
    assert _found(str(op.pk), am) == {"changes": [reverse("core:operation", args=[op.pk])]}
    assert _found(str(batch.pk).upper(), am) == {"batches": [reverse("core:batch", args=[batch.pk])]}
    assert _found(str(op.pk), make_persona(Role.FINANCE)) == {}
    assert _found(str(uuid.uuid4()), am) == {}
    # A batch of an action the reader may not start is not found: its page would refuse them.
    owners = Batch.objects.create(action="customers.owner")
    assert _found(str(owners.pk), am) == {}
    assert _found(str(owners.pk), make_persona(Role.ADMIN)) == {
        "batches": [reverse("core:batch", args=[owners.pk])]
    }


def test_users_by_name_for_admins_alone():
    make_persona(Role.SUPPORT, username="hanako")
    target = make_persona(Role.FINANCE, username="tsato")
    target.first_name, target.last_name = "Taro", "Sato"
    target.save()
    admin = make_persona(Role.ADMIN)
    assert _found("sato", admin) == {"users": [reverse("accounts:user", args=[target.pk])]}
    assert _found("sato", make_persona(Role.ACCOUNT_MANAGER)) == {}


def test_the_full_page_jumps_to_the_one_exact_match(client):
    customer = make_customer(domain="jump.example.com")
    sub = make_subscription(make_customer())
    client.force_login(make_persona(Role.SUPPORT))
    response = client.get(URL, {"q": "jump.example.com"})
    assert response.status_code == 302
    assert response["Location"] == _customer_url(customer)
    assert client.get(URL, {"q": str(customer.domain_id)})["Location"] == _customer_url(customer)
    assert client.get(URL, {"q": str(sub.subscription_id)})["Location"] == reverse(
        "subscriptions:detail", args=[sub.subscription_id]
    )
    # Asked for the list, or as the box's panel: no jump.
    assert client.get(URL, {"q": "jump.example.com", "all": "1"}).status_code == 200
    assert client.get(URL, {"q": "jump.example.com"}, headers=PANEL).status_code == 200


def test_a_number_that_is_two_things_lists_both():
    customer = make_customer(domain_id=700_900)
    admin = make_persona(Role.ADMIN)
    make_issued(700_900, domain_id=customer.domain_id)
    groups = search_groups(q="700900", user=admin, limit=5)
    assert {g.key for g in groups} == {"customers", "invoices"}
    assert search_jump(groups) is None


def test_a_jump_to_an_invoice_by_number(client):
    customer = make_customer()
    make_issued(555_077, domain_id=customer.domain_id)
    client.force_login(make_persona(Role.FINANCE))
    assert client.get(URL, {"q": "５５５０７７"})["Location"] == reverse("invoicing:issued", args=[555_077])


def test_the_panel_groups_by_kind_and_says_how_many(client):
    make_customer(company_name="さくら 一")
    make_customer(company_name="さくら 二")
    client.force_login(make_persona(Role.ADMIN))
    response = client.get(URL, {"q": "さくら"}, headers=PANEL)
    html = response.content.decode()
    assert html.startswith('<div id="find-panel"')
    assert 'data-testid="find-group-customers"' in html
    assert "2 results" in html
    assert "<html" not in html


def test_the_full_page_lists_the_groups(client):
    make_customer(company_name="さくら 一")
    client.force_login(make_persona(Role.SUPPORT))
    html = client.get(URL, {"q": "さくら"}).content.decode()
    assert 'data-testid="results-customers"' in html
    assert "さくら 一" in html


ODD = [
    "",
    " ",
    "a" * 500,
    "%",
    "_",
    "%_%",
    "'",
    '"',
    "' OR 1=1 --",
    "１２３４５",
    "\x00\x1f",
    "9" * 40,
    "-",
    "年月",
]


@pytest.mark.parametrize("typed", ODD, ids=range(len(ODD)))
def test_odd_input_answers_without_an_error(client, typed):
    make_customer(company_name="100% 株式会社_一")
    client.force_login(make_persona(Role.ADMIN))
    for headers in ({}, PANEL):
        response = client.get(URL, {"q": typed}, headers=headers)
        assert response.status_code in (200, 302), (typed, headers)


def test_like_wildcards_are_taken_as_written():
    make_customer(company_name="100% 商事")
    make_customer(company_name="二百 商事")
    support = make_persona(Role.SUPPORT)
    assert len(_found("%", support).get("customers", [])) == 1
    assert _found("_", support) == {}


def test_the_text_is_cleaned_and_bounded():
    assert cleaned("  １２３\x00 ４  ") == "123 4"
    assert len(cleaned("x" * 500)) == 200


def test_a_search_of_ten_thousand_characters_answers_and_shows_it_bounded(client):
    """The issue's bad input: 10,000 characters typed or pasted into the box answer as any search (nothing
    found), in the panel and on the page, and the page shows at most the LONGEST characters it searched for."""
    make_customer(company_name="サクラ商事")
    client.force_login(make_persona(Role.SUPPORT))
    long_text = "サクラ" + "x" * 9_997
    panel = client.get(URL, {"q": long_text}, headers=PANEL)
    page = client.get(URL, {"q": long_text, "all": "1"})
    assert panel.status_code == page.status_code == 200
    assert "x" * 1001 not in page.content.decode()  # nor in a link (the language switch carries the query)
    assert "Nothing found" in panel.content.decode()


def test_every_page_has_the_box(client):
    client.force_login(make_persona(Role.FINANCE))
    html = client.get(reverse("home")).content.decode()
    assert 'role="search"' in html and 'aria-keyshortcuts="/"' in html and 'id="find-panel"' in html


def test_the_panel_reads_as_many_queries_for_many_customers_as_for_few(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(make_persona(Role.ADMIN))
    client.get(URL, {"q": "さくら"}, headers=PANEL)  # the session and the role, read once

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL, {"q": "さくら"}, headers=PANEL).status_code == 200
        return len(captured)

    make_customer(company_name="さくら 1")
    few = queries()
    for i in range(2, 40):
        make_customer(company_name=f"さくら {i}")
    assert queries() == few
