"""The direct debit pages: Finance keeps a customer's debit account from its billing details' page, chooses a
debit date (a bank business day after today), makes the request of the open invoices it can collect, downloads
its file as made, and imports the bank's result (each result in words; the same file twice records nothing
more); an explained bank line is reopened from its statement's page. A bad value or file is answered on the
page, never a 500."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from invoicing.models import BankLine, DebitAccount, DebitRun, InvoicePayment, OpenInvoice
from invoicing.services import bank as bank_writes
from invoicing.services import debit as debit_writes
from portal.core.access import Role
from portal.core.models import AuditEntry
from tests.customers.factories import make_customer
from tests.fixtures.portal_api import pin_business_today
from tests.invoicing.bank_files import zengin_file
from tests.invoicing.bank_seed import customer, invoice
from tests.invoicing.debit_files import collector_on, result_file

TODAY = dt.date(2026, 11, 27)
DEBIT_DAY = "2026-12-07"
ACCOUNT = {
    "debit-bank_code": "0005",
    "debit-branch_code": "123",
    "debit-deposit_kind": "1",
    "debit-account_number": "1111111",
    "debit-holder": "ヤマダショウジ（カ",
    "debit-customer_number": "",
    "debit-new": "on",
    "debit-active": "on",
}


@pytest.fixture
def finance(client_as, settings, monkeypatch):
    pin_business_today(monkeypatch, TODAY)
    collector_on(settings)
    make_customer(company_name="Yamada K.K.", domain_id=1)
    make_customer(company_name="Tanaka K.K.", domain_id=2)
    customer(1, "株式会社ヤマダ商事")
    customer(2, "タナカ株式会社")
    invoice(1001, 1, 22_000, name="ヤマダ商事")
    invoice(1002, 2, 11_000, name="タナカ")
    return client_as(Role.FINANCE)


def _account(client, domain_id: int, **changes):
    url = reverse("invoicing:debit_account", kwargs={"domain_id": domain_id})
    return client.post(url, ACCOUNT | changes)


def test_the_account_is_kept_from_the_billing_details_page(finance):
    page = finance.get(reverse("invoicing:customer", kwargs={"domain_id": 1})).content.decode()
    assert 'data-testid="debit-account-form"' in page and "Direct debit" in page
    response = _account(finance, 1)
    assert response.status_code == 302 and response["Location"] == reverse(
        "invoicing:customer", kwargs={"domain_id": 1}
    )
    assert DebitAccount.objects.get(customer_id=1).holder == "ﾔﾏﾀﾞｼﾖｳｼﾞ(ｶ"
    page = finance.get(response["Location"]).content.decode()
    assert 'value="ﾔﾏﾀﾞｼﾖｳｼﾞ(ｶ"' in page
    again = _account(finance, 1)
    assert (
        again.status_code == 302
        and AuditEntry.objects.filter(operation_id="portal.setDebitAccount").count() == 1
    )


def test_a_bad_account_is_answered_on_its_page(finance):
    response = _account(finance, 1, **{"debit-holder": "山田商事", "debit-bank_code": "５"})
    page = response.content.decode()
    assert response.status_code == 200 and "A bank account&#x27;s name has no 山 田 商 事" in page
    assert "4 digits." in page and not DebitAccount.objects.exists()
    make_customer(company_name="No Details K.K.", domain_id=3)
    refused = _account(finance, 3).content.decode()
    assert "billing details first" in refused and not DebitAccount.objects.exists()


def _run(finance) -> DebitRun:
    _account(finance, 1)
    _account(finance, 2, **{"debit-account_number": "2222222", "debit-holder": "ﾀﾅｶ(ｶ"})
    page = finance.get(reverse("invoicing:debit") + f"?debit_date={DEBIT_DAY}").content.decode()
    assert page.count('data-testid="debit-row"') == 2 and "¥33,000" in page
    # Each customer named as its invoice was issued (its billing name, not the customer's name in the API).
    assert "<td>ヤマダ商事</td>" in page and "<td>タナカ</td>" in page
    response = finance.post(
        reverse("invoicing:debit_run_make"), {"debit_date": DEBIT_DAY, "numbers": ["1001", "1002"]}
    )
    run = DebitRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "invoicing:debit_run", kwargs={"run_id": run.pk}
    )
    return run


def test_a_request_made_downloaded_and_its_result_imported_once(finance):
    run = _run(finance)
    file = finance.get(reverse("invoicing:debit_run_file", kwargs={"run_id": run.pk}))
    data = b"".join(file.streaming_content) if file.streaming else file.content
    assert hashlib.sha256(data).hexdigest() == run.request_sha256
    assert (
        file["Content-Disposition"].startswith("attachment")
        and "direct-debit-20261207" in file["Content-Disposition"]
    )
    # The invoices wait in the run: the page offers them no more.
    page = finance.get(reverse("invoicing:debit") + f"?debit_date={DEBIT_DAY}").content.decode()
    assert 'data-testid="debit-none"' in page
    url = reverse("invoicing:debit_run_results", kwargs={"run_id": run.pk})
    answer = result_file(data, ["0", "2"])
    for _ in range(2):
        upload = SimpleUploadedFile("result.txt", answer, content_type="application/octet-stream")
        assert finance.post(url, {"file": upload}).status_code == 302
    assert list(InvoicePayment.objects.values_list("invoice__number", "amount")) == [(1001, 22_000)]
    assert OpenInvoice.objects.filter(number=1002).exists()
    page = finance.get(reverse("invoicing:debit_run", kwargs={"run_id": run.pk})).content.decode()
    assert "Collected: ¥22,000 recorded" in page and "No such account" in page
    assert "the invoice stays owed" in page and 'data-testid="debit-results-form"' not in page
    listed = finance.get(reverse("invoicing:debit")).content.decode()
    assert "1 collected (¥22,000), 1 not" in listed


def test_a_bad_date_or_file_is_answered_on_the_page(finance):
    saturday = finance.get(reverse("invoicing:debit") + "?debit_date=2026-12-05").content.decode()
    assert "the next day they are open is 2026-12-07" in saturday
    refused = finance.post(
        reverse("invoicing:debit_run_make"), {"debit_date": "2026-11-27", "numbers": ["1001"]}
    )
    assert refused.status_code == 200 and "after today" in refused.content.decode()
    assert not DebitRun.objects.exists()
    run = _run(finance)
    url = reverse("invoicing:debit_run_results", kwargs={"run_id": run.pk})
    for content in (b"not a bank file", bytes(run.request_file), zengin_file([])):
        upload = SimpleUploadedFile("r.txt", content, content_type="application/octet-stream")
        response = finance.post(url, {"file": upload})
        assert response.status_code == 200 and 'data-testid="debit-results-form"' in response.content.decode()
    assert not InvoicePayment.objects.exists() and DebitRun.objects.get().resolved_at is None


def test_without_the_collector_settings_the_page_says_so(finance, settings):
    settings.DIRECT_DEBIT_COLLECTOR_CODE = ""
    page = finance.get(reverse("invoicing:debit")).content.decode()
    assert 'data-testid="debit-not-set-up"' in page and 'data-testid="debit-date-form"' not in page


def test_an_explained_line_is_reopened_and_a_matched_one_is_not(finance):
    statement = bank_writes.bank_statement_import(
        actor=_user(),
        data=zengin_file(
            [
                {"day": TODAY, "amount": 440, "payer": "ﾃｽｳﾘﾖｳ"},
                {"day": TODAY, "amount": 11_000, "payer": "ﾀﾅｶ", "memo": "1002"},
            ]
        ),
        file_name="s.txt",
    )
    fee, paid = statement.lines.order_by("position")
    finance.post(
        reverse("invoicing:bank_line_explain", kwargs={"line_id": fee.pk}), {"explanation": "bank_fee"}
    )
    finance.post(reverse("invoicing:bank_line_confirm", kwargs={"line_id": paid.pk}), {"number": "1002"})
    page = finance.get(
        reverse("invoicing:bank_statement", kwargs={"statement_id": statement.pk}) + "?state=explained"
    ).content.decode()
    assert 'data-testid="bank-reopen"' in page and "Take back the explanation" in page
    response = finance.post(
        reverse("invoicing:bank_line_reopen", kwargs={"line_id": fee.pk}), {"state": "explained"}, follow=True
    )
    assert "The line is to match again." in response.content.decode()
    fee.refresh_from_db()
    assert (fee.state, fee.explanation, fee.done_at) == (BankLine.State.OPEN, "", None)
    entry = AuditEntry.objects.get(operation_id="portal.reopenBankLine")
    assert entry.request_summary["before"] == {"explanation": "bank_fee", "note": ""}
    matched = finance.post(reverse("invoicing:bank_line_reopen", kwargs={"line_id": paid.pk}), follow=True)
    assert "Only an explained line is reopened." in matched.content.decode()
    paid.refresh_from_db()
    assert paid.state == BankLine.State.MATCHED and InvoicePayment.objects.count() == 1
    again = finance.post(reverse("invoicing:bank_line_reopen", kwargs={"line_id": fee.pk}), follow=True)
    assert "Only an explained line is reopened." in again.content.decode()
    assert AuditEntry.objects.filter(operation_id="portal.reopenBankLine").count() == 1


def _user():
    from tests.fixtures.personas import make_persona

    return make_persona(Role.ADMIN)  # another person than the client's (making a persona signs it out)


def test_a_request_is_cancelled_from_its_page(finance):
    run = _run(finance)
    page = finance.get(reverse("invoicing:debit_run", kwargs={"run_id": run.pk})).content.decode()
    assert 'data-testid="debit-cancel"' in page
    url = reverse("invoicing:debit_run_cancel", kwargs={"run_id": run.pk})
    done = finance.post(url, follow=True).content.decode()
    assert "The request is cancelled" in done and 'data-testid="debit-cancelled"' in done
    assert 'data-testid="debit-results-form"' not in done and 'data-testid="debit-cancel"' not in done
    assert "This request was cancelled already." in finance.post(url, follow=True).content.decode()
    page = finance.get(reverse("invoicing:debit") + f"?debit_date={DEBIT_DAY}").content.decode()
    assert page.count('data-testid="debit-row"') == 2  # offered again


def test_an_invoice_taken_meanwhile_is_answered_on_the_page(finance):
    run = _run(finance)
    again = finance.post(reverse("invoicing:debit_run_make"), {"debit_date": DEBIT_DAY, "numbers": ["1001"]})
    assert again.status_code == 200 and "cannot be debited now" in again.content.decode()
    none = finance.post(reverse("invoicing:debit_run_make"), {"debit_date": DEBIT_DAY})
    assert "Choose at least one invoice to debit." in none.content.decode()
    assert list(DebitRun.objects.values_list("pk", flat=True)) == [run.pk]


def test_the_pages_read_as_many_queries_however_many_debits(finance):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    run = _run(finance)

    def counted() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as listed:
            finance.get(reverse("invoicing:debit") + f"?debit_date={DEBIT_DAY}")
        with CaptureQueriesContext(connection) as one:
            finance.get(reverse("invoicing:debit_run", kwargs={"run_id": run.pk}))
        return len(listed), len(one)

    invoice(2000, 1, 1_000, month=6)  # one invoice offered on the page
    counted()  # the first pages after signing in write the session's marks
    before = counted()
    for number in range(2001, 2011):  # January to May, of both customers
        invoice(number, 1 + number % 2, 1_000, month=1 + (number - 2001) // 2)
    later = debit_writes.debit_run_make(
        actor=_user(), debit_date=dt.date(2026, 12, 8), numbers=list(range(2001, 2006))
    )
    debit_writes.debit_results_import(
        actor=_user(),
        run_id=run.pk,
        data=result_file(bytes(run.request_file), ["0", "0"]),
        file_name="r.txt",
    )
    assert later.count == 5  # and six offered on the page, not one
    assert counted() == before


def test_a_large_request_is_shown_a_page_of_debits_at_a_time(finance, monkeypatch):
    from invoicing.selectors import debit as debit_reads

    monkeypatch.setattr(debit_reads, "ITEMS_PER_PAGE", 1)
    run = _run(finance)
    url = reverse("invoicing:debit_run", kwargs={"run_id": run.pk})
    first, second = finance.get(url), finance.get(url + "?page=2")
    assert first.content.count(b'data-testid="debit-item"') == 1
    assert b'data-number="1001"' in first.content and b'data-number="1002"' in second.content
    assert "Page 1 of 2" in first.content.decode() and "Page 2 of 2" in second.content.decode()
    assert "2 debits" in first.content.decode()  # the run's own figures, not the page's


def test_more_invoices_due_than_a_request_takes_are_offered_the_earliest_first(finance, monkeypatch):
    from invoicing.selectors import debit as debit_reads

    monkeypatch.setattr(debit_reads, "REQUEST_MAX", 1)
    _account(finance, 1)
    _account(finance, 2, **{"debit-account_number": "2222222", "debit-holder": "ﾀﾅｶ(ｶ"})
    page = finance.get(reverse("invoicing:debit") + f"?debit_date={DEBIT_DAY}").content.decode()
    assert page.count('data-testid="debit-row"') == 1 and 'data-testid="debit-more"' in page
    both = finance.post(
        reverse("invoicing:debit_run_make"), {"debit_date": DEBIT_DAY, "numbers": ["1001", "1002"]}
    )
    assert both.status_code == 200 and not DebitRun.objects.exists()
    first = page.split('data-testid="debit-row"')[1].split('value="')[1].split('"')[0]
    made = finance.post(reverse("invoicing:debit_run_make"), {"debit_date": DEBIT_DAY, "numbers": [first]})
    assert made.status_code == 302 and DebitRun.objects.get().count == 1
    rest = finance.get(reverse("invoicing:debit") + f"?debit_date={DEBIT_DAY}").content.decode()
    assert rest.count('data-testid="debit-row"') == 1 and 'data-testid="debit-more"' not in rest
    with pytest.raises(debit_writes.DebitRefused, match="at most 1 invoices"):
        debit_writes.debit_run_make(actor=_user(), debit_date=dt.date(2026, 12, 7), numbers=[1001, 1002])


def test_the_accounts_of_the_page_are_read_in_one_pass_not_by_key(finance):
    """The page's accounts are read in one pass over the active accounts (as its choice of invoices reads them),
    each looked up in a hash of the page's customers (`lists.read_in_one_pass`): by key, PostgreSQL probed the
    accounts' index once for each of a page's hundreds of customers, more pages than the table has."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from invoicing.models import CustomerBilling

    _account(finance, 1)
    others = range(100_000, 105_000)  # accounts of customers with nothing due
    CustomerBilling.objects.bulk_create(
        CustomerBilling(domain_id=n, bill_to_name=f"Firm {n}", bill_to_address="東京都") for n in others
    )
    DebitAccount.objects.bulk_create(
        DebitAccount(
            customer_id=n,
            bank_code="0005",
            branch_code="123",
            account_number=f"{n % 10**7:07d}",
            holder="ﾌｱｰﾑ",
        )
        for n in others
    )
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {DebitAccount._meta.db_table}")
    with CaptureQueriesContext(connection) as ctx:
        page = finance.get(reverse("invoicing:debit") + f"?debit_date={DEBIT_DAY}").content.decode()
    assert page.count('data-testid="debit-row"') == 1 and "0005-123" in page and "1111111" in page
    [read] = [q["sql"] for q in ctx.captured_queries if '"invoicing_debitaccount"."holder"' in q["sql"]]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN {read}")
            plan = "\n".join(line for (line,) in cursor.fetchall())
        assert "Seq Scan on invoicing_debitaccount" in plan and "Index" not in plan, plan
