"""Corrections of issued invoices (issue 33, "issued means final"): a credit note of all or part of an invoice
and a corrected invoice, each confirmed first, issued once per submission with the next gap-free number, its
PDF and SHA-256; the original stays exactly as issued, and each refers to it both ways."""

from __future__ import annotations

import datetime as dt
import io
import threading

import pytest
from django.db import connection
from django.urls import reverse
from pypdf import PdfReader

from billing.models import PriceEntry
from invoicing import document, services
from invoicing.corrections import CorrectionRefused
from invoicing.models import DocumentKind, InvoiceCounter, IssuedInvoice, IssuedIsFinal
from portal.core.access import Role
from portal.core.models import AuditEntry
from tests.core.test_hostile_input import HOSTILE
from tests.fixtures.personas import make_persona
from tests.invoicing.conftest import TODAY, M

FIN = Role.FINANCE
KEY = "a" * 32


@pytest.fixture
def original(month):
    """Alpha's October invoice, No. 1: 10 licences ¥6,000 and 3 from the 16th ¥929, tax ¥692, ¥7,621."""
    run = services.month_issue_request(user=make_persona(FIN), **M)
    services.month_issue(run_id=run.pk)
    return IssuedInvoice.objects.get()


def _text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _numbers() -> list[int]:
    return list(IssuedInvoice.objects.order_by("number").values_list("number", flat=True))


def test_a_credit_note_in_part_is_confirmed_then_issued_once(client_as, original):
    client = client_as(FIN)
    sha, pdf = original.pdf_sha256, original.pdf_bytes()
    url = reverse("invoicing:credit_note", kwargs={"number": 1})
    form = client.get(url).content.decode()
    assert "at most 6,000 left on this line" in form and "at most 929 left on this line" in form
    data = {"line_0": "1000", "line_1": "0", "return_date": "2026-11-01", "idempotency_key": KEY}
    check = client.post(url, data).content.decode()
    # The confirmation: the credit note's lines and totals, negative, and that it is final; nothing issued yet.
    assert 'data-testid="confirm"' in check and "-¥1,000" in check and "-¥100" in check
    assert "-¥1,100" in check and "cannot be changed or deleted" in check
    assert _numbers() == [1]
    done = client.post(url, data | {"confirmed": "1"})
    assert done.status_code == 302 and done["Location"] == reverse("invoicing:issued", kwargs={"number": 2})
    # A double submit (the same form again) issues nothing more and shows what the first issued.
    again = client.post(url, data | {"confirmed": "1"})
    assert again["Location"] == reverse("invoicing:issued", kwargs={"number": 2})
    assert _numbers() == [1, 2] and InvoiceCounter.objects.get().next_number == 3
    note = IssuedInvoice.objects.get(number=2)
    assert (note.kind, note.original_id, note.subtotal, note.tax, note.total) == (
        DocumentKind.CREDIT_NOTE,
        original.pk,
        -1_000,
        -100,
        -1_100,
    )
    assert note.return_date == dt.date(2026, 11, 1) and (note.year, note.month) == (2026, 10)
    # The original is untouched: the same bytes, the same SHA-256; and the note is final too.
    original.refresh_from_db()
    assert original.pdf_sha256 == sha and original.pdf_bytes() == pdf and original.total == 7_621
    with pytest.raises(IssuedIsFinal):
        note.save()
    entry = AuditEntry.objects.get(operation_id="portal.issueCreditNote")
    assert entry.request_summary == {"number": 2, "original": 1, "total": -1_100}
    # Linked both ways.
    body = client.get(reverse("invoicing:issued", kwargs={"number": 1})).content.decode()
    assert reverse("invoicing:issued", kwargs={"number": 2}) in body and "Credit note No. 2" in body
    body = client.get(reverse("invoicing:issued", kwargs={"number": 2})).content.decode()
    assert 'data-testid="original"' in body and reverse("invoicing:issued", kwargs={"number": 1}) in body
    assert 'data-testid="credit-note"' not in body  # a credit note is not credited


def test_the_internal_reason_stays_in_the_activity_log_and_only_the_note_to_the_customer_is_printed(
    client_as, original
):
    """The form's "Reason or ticket" is kept in the activity log; what the customer reads on the credit note is
    its own field, labelled so, and only it."""
    client = client_as(FIN)
    url = reverse("invoicing:credit_note", kwargs={"number": 1})
    form = client.get(url).content.decode()
    assert "Note to the customer" in form and "printed on the credit note the customer receives" in form
    internal = "Discount agreed: 5 unused licences, ticket #4711"
    data = {
        "line_0": "3000",
        "return_date": "2026-11-01",
        "reason": internal,
        "customer_note": "Discount for 5 licences not used in October",
        "idempotency_key": KEY,
    }
    check = client.post(url, data).content.decode()
    assert "Discount for 5 licences not used in October" in check and internal in check
    assert client.post(url, data | {"confirmed": "1"}).status_code == 302
    note = IssuedInvoice.objects.get(number=2)
    text = _text(note.pdf_bytes())
    assert "Discount for 5 licences not used in October" in text
    assert "4711" not in text and "Discount agreed" not in text and "Reason" not in text
    assert AuditEntry.objects.get(operation_id="portal.issueCreditNote").reason == internal
    # Without a note to the customer, the reason alone prints nothing.
    services.credit_note_issue(
        user=make_persona(FIN), number=1, credits={0: 500}, return_date=TODAY, reason=internal, key="f" * 32
    )
    assert "4711" not in _text(IssuedInvoice.objects.get(number=3).pdf_bytes())


def test_nothing_is_credited_twice_and_the_rest_cancels_the_invoice_exactly(client_as, original):
    finance = make_persona(FIN)
    services.credit_note_issue(
        user=finance, number=1, credits={0: 1_000}, return_date=TODAY, reason="", key="b" * 32
    )
    url = reverse("invoicing:credit_note", kwargs={"number": 1})
    client = client_as(FIN)
    page = client.post(url, {"line_0": "5001", "return_date": "2026-11-02", "idempotency_key": KEY})
    assert "Ensure this value is less than or equal to 5000." in page.content.decode()
    future = client.post(url, {"line_0": "1", "return_date": "2026-11-03", "idempotency_key": KEY})
    assert "cannot be in the future" in future.content.decode()
    nothing = client.post(url, {"line_0": "0", "return_date": "2026-11-02", "idempotency_key": KEY})
    assert "Nothing is credited" in nothing.content.decode()
    with pytest.raises(CorrectionRefused):
        services.credit_note_issue(
            user=finance, number=1, credits={0: 5_001}, return_date=TODAY, reason="", key="c" * 32
        )
    rest = services.credit_note_issue(
        user=finance, number=1, credits={0: 5_000, 1: 929}, return_date=TODAY, reason="", key="d" * 32
    )
    # The original and its credit notes add up to nothing, tax included.
    assert sum(IssuedInvoice.objects.values_list("total", flat=True)) == 0 and rest.tax == -592
    assert _numbers() == [1, 2, 3]
    body = client.get(url).content.decode()
    assert "Everything on this invoice is credited already." in body


def test_a_corrected_invoice_replaces_the_original_with_a_credit_note(client_as, original):
    client = client_as(FIN)
    url = reverse("invoicing:correct", kwargs={"number": 1})
    # The draft says what the invoice said: nothing to correct yet.
    assert "says the same as this invoice" in client.get(url).content.decode()
    assert client.post(url, {"idempotency_key": KEY, "confirmed": "1"}).status_code == 200
    assert IssuedInvoice.objects.count() == 1
    # The price was wrong: ¥700 from October.
    PriceEntry.objects.create(
        item_id="STD", plan="", cost=450, price=700, effective_from=dt.date(2026, 10, 1)
    )
    page = client.get(url).content.decode()
    assert (
        "-¥7,621" in page and "¥8,892" in page and 'data-testid="confirm"' in page
    )  # 7,000 + 1,084 + 10 % tax (808)
    assert _numbers() == [1]
    done = client.post(url, {"idempotency_key": KEY, "reason": "price book was wrong", "confirmed": "1"})
    assert done["Location"] == reverse("invoicing:issued", kwargs={"number": 3})
    again = client.post(url, {"idempotency_key": KEY, "confirmed": "1"})
    assert again["Location"] == reverse("invoicing:issued", kwargs={"number": 3})
    note, corrected = IssuedInvoice.objects.get(number=2), IssuedInvoice.objects.get(number=3)
    assert (note.kind, note.total, note.original_id) == (DocumentKind.CREDIT_NOTE, -7_621, original.pk)
    assert (corrected.kind, corrected.total, corrected.original_id) == (
        DocumentKind.CORRECTED,
        8_892,
        original.pk,
    )
    assert _numbers() == [1, 2, 3] and InvoiceCounter.objects.get().next_number == 4
    assert (
        AuditEntry.objects.get(operation_id="portal.issueCorrectedInvoice").reason == "price book was wrong"
    )
    # The month's page shows the corrected invoice as the customer's; the original cannot be corrected twice.
    drafts = client.get(reverse("invoicing:drafts", kwargs=M)).content.decode()
    assert "Issued No. 3" in drafts
    assert "cannot be corrected: it is a credit note or was replaced" in client.get(url).content.decode()
    with pytest.raises(CorrectionRefused):
        services.corrected_invoice_issue(user=make_persona(FIN), number=1, reason="", key="e" * 32)
    # The corrected invoice's PDF names the invoice it replaces.
    text = _text(corrected.pdf_bytes())
    assert "2026年11月2日付け請求書 No. 1 に代わるもの" in text and "8,892円" in text


def test_the_credit_note_pdf_states_every_element_of_a_return_invoice(original):
    note = services.credit_note_issue(
        user=make_persona(FIN),
        number=1,
        credits={0: 1_000},
        return_date=dt.date(2026, 10, 31),
        reason="",
        key=KEY,
    )
    data = note.pdf_bytes()
    assert document.sha256(data) == note.pdf_sha256
    text = _text(data)
    for element in (
        "適格返還請求書",
        "パートナー株式会社",  # the issuer's name
        "T7000012050002",  # and registration number
        "返還日",
        "2026年10月31日",  # the date of the return
        "元の取引の年月",
        "2026年10月",  # the date of the original transaction
        "No. 1（2026年11月2日）",  # the invoice it credits: number and date
        "スタンダード／年額（ライセンス）",  # what is credited
        "10%対象 合計",  # the amounts per rate, with the rate
        "-1,000円",
        "10%対象 消費税",  # the tax per rate
        "-100円",
        "-1,100円",
        "Alpha K.K. 経理部 御中",  # the recipient
    ):
        assert element in text, element


def test_a_credit_note_in_english(month, original):
    from invoicing.models import CustomerBilling

    CustomerBilling.objects.create(
        domain_id=month["beta"].domain_id, bill_to_name="Beta Clinic", bill_to_address="Kobe", language="en"
    )
    run = services.month_issue_request(user=make_persona(FIN), **M)
    services.month_issue(run_id=run.pk)
    note = services.credit_note_issue(
        user=make_persona(FIN), number=2, credits={0: 500}, return_date=TODAY, reason="", key=KEY
    )
    text = _text(note.pdf_bytes())
    for element in ("Credit note", "Date of the return", "Original invoice", "No. 2 of 2026-11-02", "-¥500"):
        assert element in text, element


@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_values_get_an_answer_not_an_error(client_as, original, value):
    client = client_as(FIN)
    fields = (
        "line_0",
        "line_1",
        "return_date",
        "customer_note",
        "reason",
        "idempotency_key",
        "confirmed",
        "edit",
    )
    for url in (
        reverse("invoicing:credit_note", kwargs={"number": 1}),
        reverse("invoicing:correct", kwargs={"number": 1}),
    ):
        assert client.post(url, {name: value for name in fields}).status_code < 500, url
    assert _numbers() == [1]
    assert client.get(reverse("invoicing:issued", kwargs={"number": 10**18})).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_credit_notes_at_once_never_credit_twice_and_keep_numbers_gap_free(month):
    if connection.vendor != "postgresql":
        pytest.skip("row locks across connections: PostgreSQL (SQLite serialises every write anyway)")
    finance = make_persona(FIN)
    run = services.month_issue_request(user=finance, **M)
    services.month_issue(run_id=run.pk)
    barrier = threading.Barrier(4)
    refused = []

    def credit(key: str):
        barrier.wait()
        try:
            services.credit_note_issue(
                user=finance, number=1, credits={0: 6_000}, return_date=TODAY, reason="", key=key
            )
        except CorrectionRefused:
            refused.append(key)
        finally:
            connection.close()

    # Two users crediting the whole line at once, each submitting twice: one credit note, one number.
    threads = [
        threading.Thread(target=credit, args=(key,)) for key in ("a" * 32, "a" * 32, "b" * 32, "b" * 32)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert _numbers() == [1, 2] and InvoiceCounter.objects.get().next_number == 3
    assert len(refused) == 2 and IssuedInvoice.objects.get(number=2).total == -6_600


def test_the_new_pages_read_japanese_without_stray_spaces(client_as, original):
    from tests.core.test_japanese_spacing import STRAY_SPACE, shown_text

    client = client_as(FIN)
    services.credit_note_issue(
        user=make_persona(FIN, "other"), number=1, credits={0: 1_000}, return_date=TODAY, reason="", key=KEY
    )
    one = {**M, "domain_id": original.domain_id}
    for url in (
        reverse("invoicing:issued", kwargs={"number": 1}),
        reverse("invoicing:issued", kwargs={"number": 2}),
        reverse("invoicing:credit_note", kwargs={"number": 1}),
        reverse("invoicing:correct", kwargs={"number": 1}),
        reverse("invoicing:search"),
        reverse("invoicing:draft_prices", kwargs=one),
    ):
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="ja")
        assert page.status_code == 200, url
        body = page.content.decode()
        assert 'lang="ja"' in body, url
        stray = [m.group(0) for block in shown_text(body) for m in STRAY_SPACE.finditer(block)]
        assert not stray, (url, stray)
