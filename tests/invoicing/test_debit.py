"""Direct debit (口座振替): the customers' accounts kept in the Zengin charset, a run for a bank business day with
its request file (read back field by field), an invoice in one waiting run at most, and the bank's result
imported once: each collected debit paid through `payment_record`, each refused one left owed."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.db import IntegrityError, transaction

from invoicing.bank import direct_debit as dd
from invoicing.bank import holidays
from invoicing.bank.kana import zengin_name, zengin_refused
from invoicing.bank.zengin import fields_of
from invoicing.models import DebitAccount, DebitItem, DebitRun, InvoicePayment, IssuedInvoice, OpenInvoice
from invoicing.services import debit as debit_writes
from portal.core.access import Role
from portal.core.models import AuditEntry
from tests.fixtures.personas import make_persona
from tests.fixtures.portal_api import pin_business_today
from tests.invoicing.bank_seed import customer, invoice
from tests.invoicing.debit_files import collector_on, data_fields, records, result_file

TODAY = dt.date(2026, 11, 27)  # a Friday
DEBIT_DAY = dt.date(2026, 12, 7)  # a Monday; the October invoices are due on 1 December
ACCOUNT = {
    "bank_code": "0005",
    "branch_code": "123",
    "deposit_kind": "1",
    "account_number": "1111111",
    "holder": "ヤマダショウジ（カ",
    "customer_number": "",
    "new": True,
    "active": True,
}


@pytest.fixture
def finance(db, settings, monkeypatch):
    pin_business_today(monkeypatch, TODAY)
    collector_on(settings)
    customer(1, "株式会社ヤマダ商事")
    customer(2, "タナカ株式会社")
    customer(3, "現金払い株式会社")
    invoice(1001, 1, 22_000, name="ヤマダ商事")
    invoice(1002, 2, 11_000, name="タナカ")
    invoice(1003, 3, 5_500, name="現金払い")  # no debit account
    invoice(1004, 1, 3_300, month=11, name="ヤマダ商事")  # due 2027-01-01: after the debit date
    user = make_persona(Role.FINANCE)
    debit_writes.debit_account_set(actor=user, domain_id=1, **ACCOUNT)
    other = {**ACCOUNT, "bank_code": "0009", "branch_code": "456", "deposit_kind": "2"}
    debit_writes.debit_account_set(
        actor=user,
        domain_id=2,
        **other | {"account_number": "2222222", "holder": "ﾀﾅｶ(ｶ", "customer_number": "77"},
    )
    return user


# --- the calendar and the charset --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "closed"),
    [
        (dt.date(2026, 12, 7), False),
        (dt.date(2026, 12, 5), True),  # Saturday
        (dt.date(2026, 12, 31), True),  # the banks' year end
        (dt.date(2027, 1, 4), False),
        (dt.date(2027, 1, 11), True),  # 成人の日
        (dt.date(2026, 9, 22), True),  # 国民の休日 between 敬老の日 and 秋分の日
        (dt.date(2025, 11, 24), True),  # 振替休日 of 勤労感謝の日
        (dt.date(2026, 5, 6), True),  # 振替休日 of 憲法記念日 (a Sunday), after みどりの日 and こどもの日
        (dt.date(2027, 3, 22), True),  # 振替休日 of 春分の日
        (dt.date(2027, 3, 23), False),
    ],
)
def test_bank_holidays(day, closed):
    assert holidays.bank_holiday(day) is closed


def test_a_year_the_calendar_does_not_know_is_refused():
    with pytest.raises(holidays.OutsideCalendar):
        holidays.bank_holiday(dt.date(2100, 3, 1))


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("ヤマダショウジ（カ", "ﾔﾏﾀﾞｼﾖｳｼﾞ(ｶ"),
        ("やまだ　たろう", "ﾔﾏﾀﾞ ﾀﾛｳ"),
        ("ｶ)ﾔﾏﾀﾞｼｮｳｼﾞ", "ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ"),
        ("パーク・ヴィラ abc", "ﾊﾟ-ｸ.ｳﾞｲﾗ ABC"),
    ],
)
def test_names_are_written_in_the_zengin_charset(typed, written):
    assert zengin_name(typed) == written and zengin_refused(written) == []


def test_kanji_and_signs_the_charset_lacks_are_named():
    assert zengin_refused(zengin_name("山田商事!")) == ["山", "田", "商", "事", "!"]


# --- the customers' accounts -------------------------------------------------------------------------------


def test_an_account_is_kept_half_width_and_audited_with_what_changed(finance):
    account = DebitAccount.objects.get(customer_id=1)
    assert account.holder == "ﾔﾏﾀﾞｼﾖｳｼﾞ(ｶ" and account.new and account.active
    assert not debit_writes.debit_account_set(actor=finance, domain_id=1, **ACCOUNT)  # nothing changed
    assert debit_writes.debit_account_set(actor=finance, domain_id=1, **ACCOUNT | {"active": False})
    entry = AuditEntry.objects.filter(operation_id="portal.setDebitAccount", domain_id=1).latest("pk")
    assert entry.request_summary == {"changed": {"active": {"before": True, "after": False}}}


@pytest.mark.parametrize(
    ("field", "value", "said"),
    [
        ("holder", "山田商事", "half-width kana"),
        ("holder", "ｱ" * 31, "up to 30"),
        ("bank_code", "05", "4 digits"),
        ("branch_code", "１２３", "3 digits"),
        ("account_number", "12345678", "7 digits"),
        ("customer_number", "12a", "20 digits"),
        ("deposit_kind", "5", "deposit kind"),
    ],
)
def test_an_account_outside_the_zengin_rules_is_refused(finance, field, value, said):
    with pytest.raises(debit_writes.DebitRefused, match=said):
        debit_writes.debit_account_set(actor=finance, domain_id=1, **ACCOUNT | {field: value})


def test_an_account_needs_the_billing_details_first(finance):
    with pytest.raises(debit_writes.DebitRefused, match="billing details first"):
        debit_writes.debit_account_set(actor=finance, domain_id=9, **ACCOUNT)


# --- a run and its request file ----------------------------------------------------------------------------


def test_the_run_freezes_the_invoices_and_its_file_reads_back_field_by_field(finance):
    run = debit_writes.debit_run_make(actor=finance, debit_date=DEBIT_DAY, numbers=[1001, 1002])
    data = bytes(run.request_file)
    assert run.request_sha256 == hashlib.sha256(data).hexdigest()
    assert (run.count, run.total) == (2, 33_000)
    assert list(run.items.values_list("number", "amount", "pending")) == [
        (1001, 22_000, True),
        (1002, 11_000, True),
    ]
    lines = records(data)
    assert [len(line) for line in lines] == [120] * 5
    header = fields_of(lines[0], dd.HEADER, number=1)
    assert header | {"dummy": ""} == {
        "record": "1",
        "kind": "91",
        "code": "0",
        "collector_code": "1234567890",
        "collector_name": "ﾊﾟ-ﾄﾅ-(ｶ",
        "debit_date": "1207",
        "bank_code": "0184",
        "bank_name": "ﾐﾔｻﾞｷ",
        "branch_code": "001",
        "branch_name": "ﾎﾝﾃﾝ",
        "deposit_kind": "1",
        "account_number": "7654321",
        "dummy": "",
    }
    first, second = data_fields(data)
    assert (first["bank_code"], first["branch_code"], first["deposit_kind"]) == ("0005", "123", "1")
    assert (first["account_number"], first["holder"], first["amount"]) == (
        "1111111",
        "ﾔﾏﾀﾞｼﾖｳｼﾞ(ｶ",
        "0000022000",
    )
    assert (first["new_code"], first["customer_number"].lstrip("0"), first["result"]) == ("1", "1001", "0")
    assert (second["bank_code"], second["deposit_kind"], second["holder"]) == ("0009", "2", "ﾀﾅｶ(ｶ")
    assert second["customer_number"].lstrip("0") == "77"  # the number the bank registered
    trailer = fields_of(lines[3], dd.TRAILER, number=4)
    assert (trailer["count"], trailer["total"]) == ("000002", "000000033000")
    assert lines[4][:1] == b"9"
    entry = AuditEntry.objects.get(operation_id="portal.makeDebitRun")
    assert (
        entry.request_summary["debits"] == [[1001, 22_000], [1002, 11_000]]
        and entry.request_summary["sha256"] == run.request_sha256
    )


@pytest.mark.parametrize(
    ("day", "said"),
    [
        (TODAY, "after today"),
        (dt.date(2026, 12, 5), "closed on 2026-12-05: the next day they are open is 2026-12-07"),
        (dt.date(2026, 12, 31), "next day they are open is 2027-01-04"),
        (dt.date(2101, 1, 5), "too far ahead"),
    ],
)
def test_a_debit_date_the_bank_cannot_take_is_refused(finance, day, said):
    with pytest.raises(debit_writes.DebitRefused, match=said):
        debit_writes.debit_run_make(actor=finance, debit_date=day, numbers=[1001])


def test_only_the_open_invoices_of_active_accounts_due_by_then_are_taken(finance):
    with pytest.raises(debit_writes.DebitRefused, match="cannot be debited"):
        debit_writes.debit_run_make(actor=finance, debit_date=DEBIT_DAY, numbers=[1001, 1003])
    with pytest.raises(debit_writes.DebitRefused, match="cannot be debited"):
        debit_writes.debit_run_make(actor=finance, debit_date=DEBIT_DAY, numbers=[1001, 1004])
    with pytest.raises(debit_writes.DebitRefused, match="at least one"):
        debit_writes.debit_run_make(actor=finance, debit_date=DEBIT_DAY, numbers=[])
    assert not DebitRun.objects.exists()


def test_a_debit_date_offers_the_open_invoices_of_active_accounts_read_on_their_own_rows(finance):
    """Each open invoice carries its customer (`OpenInvoice.domain_id`): the invoices a debit date collects are
    chosen on those rows, never on every open invoice's issued invoice; the names are the invoices' as issued."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from invoicing.selectors import debit as debit_reads

    def offered(**kwargs) -> list[tuple[int, int, str, int, int]]:
        found = debit_reads.collectable(user=finance, debit_date=DEBIT_DAY, **kwargs)
        return [(r.number, r.domain_id, r.customer_name, r.owed, r.account.customer_id) for r in found]

    assert list(OpenInvoice.objects.order_by("number").values_list("number", "domain_id")) == [
        (1001, 1),
        (1002, 2),
        (1003, 3),
        (1004, 1),
    ]
    with CaptureQueriesContext(connection) as captured:
        assert offered() == [(1001, 1, "ヤマダ商事", 22_000, 1), (1002, 2, "タナカ", 11_000, 2)]
    [read] = [q["sql"] for q in captured if '"invoicing_openinvoice"' in q["sql"]]
    assert '"invoicing_issuedinvoice"' not in read
    assert offered(limit=1) == [(1001, 1, "ヤマダ商事", 22_000, 1)]
    assert offered(numbers=[1002, 1003, 1004]) == [(1002, 2, "タナカ", 11_000, 2)]
    debit_writes.debit_run_make(actor=finance, debit_date=DEBIT_DAY, numbers=[1001])
    assert offered() == [(1002, 2, "タナカ", 11_000, 2)]  # waiting in a run
    DebitAccount.objects.filter(customer_id=2).update(active=False)
    assert offered() == [] and offered(numbers=[1002]) == []


def test_without_the_collector_settings_no_run_is_made(finance, settings):
    settings.DIRECT_DEBIT_COLLECTOR_CODE = ""
    with pytest.raises(debit_writes.DebitRefused, match="not set up"):
        debit_writes.debit_run_make(actor=finance, debit_date=DEBIT_DAY, numbers=[1001])


def test_an_invoice_is_never_in_two_waiting_runs(finance):
    run = debit_writes.debit_run_make(actor=finance, debit_date=DEBIT_DAY, numbers=[1001])
    with pytest.raises(debit_writes.DebitRefused, match="cannot be debited"):
        debit_writes.debit_run_make(actor=finance, debit_date=DEBIT_DAY, numbers=[1001])
    # The database holds it too, whatever a page or a second person asked.
    copy = DebitItem.objects.get(run=run)
    copy.pk, copy.position = None, 2
    with pytest.raises(IntegrityError), transaction.atomic():
        copy.save()
    assert DebitItem.objects.count() == 1


# --- the bank's result -------------------------------------------------------------------------------------


def test_the_result_pays_the_collected_once_and_leaves_the_refused_owed(finance):
    run = debit_writes.debit_run_make(actor=finance, debit_date=DEBIT_DAY, numbers=[1001, 1002])
    answer = result_file(bytes(run.request_file), ["0", "1"])
    imported = debit_writes.debit_results_import(actor=finance, run_id=run.pk, data=answer, file_name="r.txt")
    assert imported.done_now
    assert list(InvoicePayment.objects.values_list("invoice__number", "amount", "paid_on")) == [
        (1001, 22_000, DEBIT_DAY)
    ]
    assert list(OpenInvoice.objects.order_by("number").values_list("number", "owed")) == [
        (1002, 11_000),
        (1003, 5_500),
        (1004, 3_300),
    ]
    assert list(run.items.order_by("position").values_list("number", "result", "pending")) == [
        (1001, "0", False),
        (1002, "1", False),
    ]
    run.refresh_from_db()
    assert run.resolved_at is not None and run.result_file_name == "r.txt"
    assert not DebitAccount.objects.get(customer_id=1).new  # collected once: no longer a first debit
    assert DebitAccount.objects.get(customer_id=2).new
    entry = AuditEntry.objects.get(operation_id="portal.importDebitResults")
    assert entry.request_summary["results"] == [[1001, 22_000, "0"], [1002, 11_000, "1"]]
    # The same file again records nothing more; another file is refused.
    again = debit_writes.debit_results_import(actor=finance, run_id=run.pk, data=answer, file_name="r.txt")
    assert not again.done_now and InvoicePayment.objects.count() == 1
    other = result_file(bytes(run.request_file), ["0", "0"])
    with pytest.raises(debit_writes.DebitRefused, match="imported already"):
        debit_writes.debit_results_import(actor=finance, run_id=run.pk, data=other, file_name="r2.txt")
    assert InvoicePayment.objects.count() == 1
    # The refused invoice, owed still, can be asked again in a later run.
    later = debit_writes.debit_run_make(actor=finance, debit_date=dt.date(2026, 12, 28), numbers=[1002])
    assert later.items.get().new  # still a first debit for Tanaka


def test_a_result_file_of_another_run_is_refused_whole(finance):
    first = debit_writes.debit_run_make(actor=finance, debit_date=DEBIT_DAY, numbers=[1001])
    second = debit_writes.debit_run_make(actor=finance, debit_date=DEBIT_DAY, numbers=[1002])
    answer = result_file(bytes(first.request_file), ["0"])
    with pytest.raises(debit_writes.DebitRefused, match="did not ask for"):
        debit_writes.debit_results_import(actor=finance, run_id=second.pk, data=answer, file_name="r.txt")
    assert not InvoicePayment.objects.exists() and DebitRun.objects.filter(resolved_at=None).count() == 2


def test_a_collected_debit_of_an_invoice_paid_meanwhile_records_only_what_is_owed(finance):
    from invoicing.services.payments import payment_record

    run = debit_writes.debit_run_make(actor=finance, debit_date=DEBIT_DAY, numbers=[1001])
    payment_record(actor=finance, number=1001, amount=20_000, paid_on=TODAY)  # a transfer came meanwhile
    answer = result_file(bytes(run.request_file), ["0"])
    debit_writes.debit_results_import(actor=finance, run_id=run.pk, data=answer, file_name="r.txt")
    item = run.items.get()
    assert item.payment.amount == 2_000 and item.over_amount == 20_000
    assert not OpenInvoice.objects.filter(number=1001).exists()


@pytest.mark.django_db(transaction=True)
def test_the_same_result_imported_twice_at_once_pays_once(settings, monkeypatch):
    """Two people import the result at the same moment: the run's row lock lets one record the payments, the
    other finds the run resolved by the same file and records nothing."""
    import threading

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("row locks across connections: PostgreSQL (SQLite serialises every write anyway)")
    pin_business_today(monkeypatch, TODAY)
    collector_on(settings)
    customer(1, "株式会社ヤマダ商事")
    invoice(1001, 1, 22_000)
    user = make_persona(Role.FINANCE)
    debit_writes.debit_account_set(actor=user, domain_id=1, **ACCOUNT)
    run = debit_writes.debit_run_make(actor=user, debit_date=DEBIT_DAY, numbers=[1001])
    answer = result_file(bytes(run.request_file), ["0"])
    barrier = threading.Barrier(2)
    outcomes: list[bool] = []

    def import_it():
        barrier.wait()
        try:
            done = debit_writes.debit_results_import(
                actor=user, run_id=run.pk, data=answer, file_name="r.txt"
            )
            outcomes.append(done.done_now)
        finally:
            connection.close()

    threads = [threading.Thread(target=import_it) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == [False, True]
    assert list(InvoicePayment.objects.values_list("amount", flat=True)) == [22_000]
    assert AuditEntry.objects.filter(operation_id="portal.importDebitResults").count() == 1


def test_a_run_leaves_with_its_invoices_after_the_legal_minimum(finance, django_capture_on_commit_callbacks):
    """A December 2026 run is kept as its invoices are (7 years from two months after the tax year's end), its
    debits with it; the invoices' removal clears the debits' link to them and to their payments (never a
    ProtectedError however the nightly housekeeping orders them)."""
    from zoneinfo import ZoneInfo

    import time_machine

    from portal.core.retention import housekeep

    run = debit_writes.debit_run_make(actor=finance, debit_date=DEBIT_DAY, numbers=[1001, 1002])
    answer = result_file(bytes(run.request_file), ["0", "1"])
    debit_writes.debit_results_import(actor=finance, run_id=run.pk, data=answer, file_name="r.txt")
    tokyo = ZoneInfo("Asia/Tokyo")
    for day, kept in ((dt.date(2034, 2, 28), True), (dt.date(2034, 3, 1), False)):
        with (
            time_machine.travel(dt.datetime.combine(day, dt.time(3), tzinfo=tokyo), tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            housekeep(batch_size=2, today=day)  # the fixture pinned the business date
        assert DebitRun.objects.exists() is kept and DebitItem.objects.exists() is kept
        assert IssuedInvoice.objects.filter(number__in=[1001, 1002]).exists() is kept
        assert InvoicePayment.objects.exists() is kept


def test_a_cancelled_run_frees_its_invoices_and_takes_no_result(finance):
    run = debit_writes.debit_run_make(actor=finance, debit_date=DEBIT_DAY, numbers=[1001])
    assert debit_writes.debit_run_cancel(actor=finance, run_id=run.pk)
    assert not debit_writes.debit_run_cancel(actor=finance, run_id=run.pk)  # a second click
    assert AuditEntry.objects.filter(operation_id="portal.cancelDebitRun").count() == 1
    answer = result_file(bytes(run.request_file), ["0"])
    with pytest.raises(debit_writes.DebitRefused, match="cancelled"):
        debit_writes.debit_results_import(actor=finance, run_id=run.pk, data=answer, file_name="r.txt")
    later = debit_writes.debit_run_make(actor=finance, debit_date=DEBIT_DAY, numbers=[1001])
    debit_writes.debit_results_import(
        actor=finance, run_id=later.pk, data=result_file(bytes(later.request_file), ["0"]), file_name="r.txt"
    )
    with pytest.raises(debit_writes.DebitRefused, match="is imported"):
        debit_writes.debit_run_cancel(actor=finance, run_id=later.pk)
    assert list(InvoicePayment.objects.values_list("amount", flat=True)) == [22_000]
