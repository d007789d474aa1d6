"""Bank lines matched to open invoices (入金消込): by the number in the memo, the amount and the payer's kana name;
on seeded sets with near-duplicates (the same amounts, similar names) no certain proposal is wrong, and
confirming records each payment once, through the one payment service, learning the payer's transfer name."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from invoicing.bank import matching
from invoicing.bank.kana import normalised
from invoicing.models import BankLine, InvoicePayment, IssuedInvoice, TransferName
from invoicing.services import bank as bank_writes
from portal.core.access import Role
from portal.core.models import AuditEntry
from tests.fixtures.personas import make_persona
from tests.invoicing.bank_files import zengin_file
from tests.invoicing.bank_seed import customer, invoice

DAY = dt.date(2026, 11, 25)


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("ｶ)ﾔﾏﾀﾞｼｮｳｼﾞ", "ヤマダシヨウジ"),
        ("ﾔﾏﾀﾞ ｼｮｳｼﾞ(ｶ", "ヤマダシヨウジ"),
        ("株式会社　ヤマダショウジ", "ヤマダシヨウジ"),
        ("カブシキガイシャヤマダショウジ", "ヤマダシヨウジ"),
        ("やまだしょうじ", "ヤマダシヨウジ"),
        ("ﾔﾏﾀﾞｼｮｳｼﾞﾃﾝ", "ヤマダシヨウジテン"),
        ("ｴｰﾋﾞｰｼｰ(ﾕ", "エービーシー"),
        ("ABC(ｶ)ﾄｳｷﾖｳ", "ABCトウキヨウ"),
    ],
)
def test_payer_names_are_normalised(written, expected):
    assert normalised(written) == expected


def _book():
    candidates = [
        matching.Candidate(1001, 1, 22_000, DAY, "A-1001"),
        matching.Candidate(1002, 1, 11_000, DAY, "A-1002"),
        matching.Candidate(1003, 2, 11_000, DAY, "A-1003"),
        matching.Candidate(1004, 3, 11_000, DAY, "A-1004"),
        matching.Candidate(1005, 4, 33_000, DAY, "A-1005"),
    ]
    names = {"ヤマダシヨウジ": {1}, "ヤマダシヨウジテン": {2}, "ヤマモトシヨウジ": {3}, "サトウ": {4, 5}}
    return matching.Book(candidates, names)


@pytest.mark.parametrize(
    ("line", "number", "reason", "confidence"),
    [
        (("ｶ)ﾔﾏﾀﾞｼｮｳｼﾞ", 22_000, ""), 1001, matching.NAME_AMOUNT, matching.CERTAIN),
        (("ﾔﾏﾀﾞｼｮｳｼﾞﾃﾝ", 11_000, ""), 1003, matching.NAME_AMOUNT, matching.CERTAIN),
        (("ﾀﾅｶ", 11_000, "ｾｲｷｭｳ A-1004"), 1004, matching.NUMBER_AMOUNT, matching.CERTAIN),
        (("ﾀﾅｶ", 11_000, "1004"), 1004, matching.NUMBER_AMOUNT, matching.CERTAIN),
        (("ﾔﾏﾀﾞｼｮｳｼﾞ", 11_000, "1004"), 1004, matching.NUMBER_AMOUNT_OTHER_NAME, matching.LIKELY),
        (("ﾀﾅｶ", 11_000, ""), None, matching.AMOUNT_SEVERAL, matching.NONE),
        (("ﾀﾅｶ", 33_000, ""), 1005, matching.AMOUNT_ONLY, matching.POSSIBLE),
        (("ｻﾄｳ(ｶ", 33_000, ""), 1005, matching.SHARED_NAME_AMOUNT, matching.LIKELY),
        (("ﾔﾏﾀﾞｼｮｳｼﾞ", 5_000, ""), 1001, matching.NAME_ONLY, matching.POSSIBLE),
        (("ﾔﾏﾓﾄｼｮｳｼﾞ", 5_000, ""), 1004, matching.NAME_ONLY, matching.LIKELY),
        (("ﾀﾅｶ", 5_000, "1003"), 1003, matching.NUMBER_ONLY, matching.LIKELY),
        (("ﾀﾅｶ", 7, ""), None, matching.NOTHING, matching.NONE),
    ],
)
def test_each_reason(line, number, reason, confidence):
    payer, amount, memo = line
    proposal = matching.propose(_book(), matching.Line(amount=amount, payer=payer, memo=memo))
    assert (proposal.number, proposal.reason, proposal.confidence) == (number, reason, confidence)


def test_two_lines_for_one_invoice_are_neither_certain():
    lines = [
        matching.Line(amount=11_000, payer="ﾔﾏﾀﾞｼｮｳｼﾞﾃﾝ", memo=""),
        matching.Line(amount=11_000, payer="ﾀﾅｶ", memo="1003"),
    ]
    proposals = matching.propose_all(_book(), lines)
    assert [(p.number, p.reason, p.confidence) for p in proposals] == [
        (1003, matching.SAME_INVOICE, matching.LIKELY)
    ] * 2


SYLLABLES = "アイウカキクサシスタチツナニヌハヒフマミムヤユヨラリルワ"
AMOUNTS = [11_000, 22_000, 33_000, 55_000, 110_000]


def _year_of_statements(rng: random.Random):
    """120 customers with names in near-duplicate pairs (a name and the same with テン, or one kana apart), some
    with a transfer name learned, 12 months of invoices of few distinct amounts, and the bank lines that pay
    them: with the number in the memo or not, the name as the bank writes it (half-width, legal form), paid in
    full or less the transfer fee; plus transfers that are not ours."""
    names: dict[int, str] = {}
    truth: list[int | None] = []
    domain = 10_000
    while len(names) < 120:
        base = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(3, 5)))
        for name in (base, base + "テン", base[:-1] + rng.choice(SYLLABLES)):
            if name not in names.values() and len(names) < 120:
                domain += 1
                names[domain] = name
    for domain_id, name in names.items():
        customer(domain_id, f"株式会社{name}", transfer_name=name if domain_id % 3 else "")
    rows = [
        invoice(month * 1000 + i, domain_id, rng.choice(AMOUNTS), month=month, stored=False)
        for month in range(1, 13)
        for i, domain_id in enumerate(names)
    ]
    IssuedInvoice.objects.bulk_create(rows)
    invoices = [(row, names[row.domain_id]) for row in IssuedInvoice.objects.order_by("number")]
    lines = []
    for issued, name in rng.sample(invoices, 600):
        kana = "".join(chr(ord(ch)) for ch in name)
        payer = rng.choice([f"ｶ){kana}", f"{kana}(ｶ", f"カブシキガイシャ {kana}", kana])
        memo = str(issued.number) if rng.random() < 0.3 else ""
        # One in ten paid less the transfer fee (振込手数料 deducted by the payer).
        amount = issued.total if rng.random() < 0.9 else issued.total - 440
        lines.append({"day": DAY, "amount": amount, "payer": payer, "memo": memo})
        truth.append(issued.number)
    for _ in range(30):  # not ours
        lines.append({"day": DAY, "amount": rng.choice(AMOUNTS), "payer": "ﾌﾒｲ", "memo": ""})
        truth.append(None)
    return lines, truth


def _file(lines):
    """A Zengin file (its payer field holds 48 bytes: full-width kana take two)."""
    for line in lines:
        line["payer"] = line["payer"].encode("cp932")[:48].decode("cp932", "ignore")
    return zengin_file(lines)


def test_a_year_of_statements_with_near_duplicates_has_no_wrong_certain_match(db):
    lines, truth = _year_of_statements(random.Random(57))
    finance = make_persona(Role.FINANCE)
    statement = bank_writes.bank_statement_import(actor=finance, data=_file(lines), file_name="year.txt")
    rows = list(statement.lines.order_by("position"))
    certain = [(row, truth[i]) for i, row in enumerate(rows) if row.confidence == matching.CERTAIN]
    wrong = [(row.payer, row.amount, row.proposed, right) for row, right in certain if row.proposed != right]
    assert wrong == [], wrong
    # Each customer has a year of invoices open here, of five amounts: a name and an amount often fit several,
    # which is said (not certain). Still, a good part is certain.
    assert len(certain) >= len(rows) // 4
    done, refused = bank_writes.bank_lines_confirm_certain(actor=finance, statement_id=statement.pk)
    assert (done, refused) == (len(certain), 0)
    paid = {
        p.bank_line.pk: p.invoice.number
        for p in InvoicePayment.objects.select_related("invoice", "bank_line")
    }
    assert all(paid[row.pk] == right for row, right in certain)
    matched = set(BankLine.objects.filter(state=BankLine.State.MATCHED).values_list("pk", flat=True))
    assert not any(row.pk in matched for row, right in zip(rows, truth, strict=True) if right is None)


@pytest.fixture
def seeded(db):
    customer(1, "株式会社ヤマダ商事", transfer_name="ヤマダシヨウジ")
    customer(2, "ヤマダショウジテン株式会社")
    customer(3, "株式会社ヤマモト商事")
    invoice(1001, 1, 22_000)
    invoice(1002, 2, 11_000)
    invoice(1003, 3, 11_000)
    return make_persona(Role.FINANCE)


LINES = [
    {"day": DAY, "amount": 22_000, "payer": "ｶ)ﾔﾏﾀﾞｼｮｳｼﾞ"},
    {"day": DAY, "amount": 11_000, "payer": "ﾔﾏﾀﾞｼｮｳｼﾞﾃﾝ(ｶ"},
    {"day": DAY, "amount": 12_000, "payer": "ﾔﾏﾓﾄｼｮｳｼﾞ", "memo": "1003"},
    {"day": DAY, "amount": 440, "payer": "ﾃｽｳﾘﾖｳ"},
    {"day": DAY, "amount": 1_000, "payer": "ATM", "credit": False},
]


def test_import_proposes_and_a_second_import_adds_nothing(seeded):
    statement = bank_writes.bank_statement_import(actor=seeded, data=zengin_file(LINES), file_name="a.txt")
    rows = list(statement.lines.order_by("position"))
    assert [(r.proposed, r.reason, r.confidence) for r in rows] == [
        (1001, matching.NAME_AMOUNT, matching.CERTAIN),
        (1002, matching.NAME_AMOUNT, matching.CERTAIN),  # ヤマダショウジテン株式会社's bill-to name
        (1003, matching.NUMBER_ONLY, matching.LIKELY),
        (None, matching.NOTHING, matching.NONE),
    ]
    assert (statement.credits, statement.debits, statement.repeated) == (4, 1, 0)
    with pytest.raises(bank_writes.AlreadyImported) as again:
        bank_writes.bank_statement_import(actor=seeded, data=zengin_file(LINES), file_name="a.txt")
    assert again.value.statement == statement
    # The next day's statement overlapping this one adds only its new line.
    more = [*LINES, {"day": DAY, "amount": 500, "payer": "ﾀﾅｶ"}]
    later = bank_writes.bank_statement_import(actor=seeded, data=zengin_file(more), file_name="b.txt")
    assert (later.credits, later.repeated) == (1, 4)
    assert BankLine.objects.count() == 5
    entry = AuditEntry.objects.filter(operation_id="portal.importBankStatement").order_by("pk")[0]
    assert entry.request_summary["credits"] == 4


def test_confirm_records_once_keeps_the_over_payment_and_learns_the_name(seeded):
    statement = bank_writes.bank_statement_import(actor=seeded, data=zengin_file(LINES), file_name="a.txt")
    rows = list(statement.lines.order_by("position"))
    over = rows[2]  # ¥12,000 for No. 1003 of ¥11,000
    first = bank_writes.bank_line_confirm(actor=seeded, line_id=over.pk, number=1003)
    second = bank_writes.bank_line_confirm(actor=seeded, line_id=over.pk, number=1003)
    assert (first.done_now, second.done_now) == (True, False)
    assert list(InvoicePayment.objects.values_list("invoice__number", "amount")) == [(1003, 11_000)]
    over.refresh_from_db()
    assert (over.state, over.over_amount, over.domain_id) == (BankLine.State.MATCHED, 1_000, 3)
    assert TransferName.objects.filter(customer_id=3, name="ヤマモトシヨウジ").exists()
    audit = AuditEntry.objects.get(operation_id="portal.confirmBankMatch")
    assert audit.request_summary["over_payment"] == 1_000
    assert AuditEntry.objects.filter(operation_id="portal.recordInvoicePayment").count() == 1
    # A partial payment: the invoice keeps owing the rest.
    partial = bank_writes.bank_statement_import(
        actor=seeded,
        data=zengin_file(
            [{"day": DAY + dt.timedelta(days=1), "amount": 2_000, "payer": "ｶ)ﾔﾏﾀﾞｼｮｳｼﾞ", "memo": "1001"}]
        ),
        file_name="c.txt",
    )
    line = partial.lines.get()
    assert (line.reason, line.confidence) == (matching.NUMBER_ONLY, matching.LIKELY)
    bank_writes.bank_line_confirm(actor=seeded, line_id=line.pk, number=1001)
    line.refresh_from_db()
    assert line.over_amount == 0 and line.payment is not None and line.payment.amount == 2_000
    # An invoice paid in full refuses another line; an explained line cannot then be matched.
    with pytest.raises(bank_writes.MatchRefused, match="owes nothing"):
        bank_writes.bank_line_confirm(actor=seeded, line_id=rows[3].pk, number=1003)
    bank_writes.bank_line_explain(actor=seeded, line_id=rows[3].pk, explanation="bank_fee", note="振込手数料")
    rows[3].refresh_from_db()
    assert (rows[3].state, rows[3].explanation) == (BankLine.State.EXPLAINED, "bank_fee")
    assert bank_writes.bank_line_confirm(actor=seeded, line_id=rows[3].pk, number=1001).done_now is False


def test_confirm_all_certain_takes_only_the_certain(seeded):
    statement = bank_writes.bank_statement_import(actor=seeded, data=zengin_file(LINES), file_name="a.txt")
    assert bank_writes.bank_lines_confirm_certain(actor=seeded, statement_id=statement.pk) == (2, 0)
    assert bank_writes.bank_lines_confirm_certain(actor=seeded, statement_id=statement.pk) == (0, 0)
    assert sorted(InvoicePayment.objects.values_list("invoice__number", flat=True)) == [1001, 1002]
    assert TransferName.objects.filter(customer_id=2, name="ヤマダシヨウジテン").exists()


def test_support_cannot_import_or_confirm(seeded):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        bank_writes.bank_statement_import(
            actor=make_persona(Role.SUPPORT), data=zengin_file(LINES), file_name="a"
        )


@pytest.mark.django_db(transaction=True)
def test_two_people_confirming_at_once_record_each_payment_once():
    """Four people confirm the same statement at once (all the certain ones, and the same lines by hand): each
    line is matched once, each invoice paid once. The rows are locked on PostgreSQL (SQLite serialises writes)."""
    import threading

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("row locks across connections: PostgreSQL (SQLite serialises every write anyway)")
    customer(1, "株式会社ヤマダ商事", transfer_name="ヤマダシヨウジ")
    customer(2, "ヤマダショウジテン株式会社")
    customer(3, "株式会社ヤマモト商事")
    invoice(1001, 1, 22_000)
    invoice(1002, 2, 11_000)
    invoice(1003, 3, 11_000)
    finance = make_persona(Role.FINANCE)
    statement = bank_writes.bank_statement_import(actor=finance, data=zengin_file(LINES), file_name="a.txt")
    over = statement.lines.get(position=3)
    barrier = threading.Barrier(4)

    def confirm(by_hand: bool):
        barrier.wait()
        try:
            if by_hand:
                bank_writes.bank_line_confirm(actor=finance, line_id=over.pk, number=1003)
            bank_writes.bank_lines_confirm_certain(actor=finance, statement_id=statement.pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm, args=(i % 2 == 0,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(InvoicePayment.objects.values_list("invoice__number", "amount")) == [
        (1001, 22_000),
        (1002, 11_000),
        (1003, 11_000),
    ]
    assert AuditEntry.objects.filter(operation_id="portal.confirmBankMatch").count() == 3


@pytest.mark.django_db(transaction=True)
def test_two_lines_for_one_invoice_confirmed_at_once_pay_it_once_without_a_deadlock():
    """Two lines proposing the same invoice, confirmed by two people at the same moment: one pays it, the other
    is told it owes nothing (never a deadlock between the lines' and the invoice's locks)."""
    import threading

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("row locks across connections: PostgreSQL (SQLite serialises every write anyway)")
    customer(2, "ヤマダショウジテン株式会社")
    invoice(1002, 2, 11_000)
    finance = make_persona(Role.FINANCE)
    twice = [
        {"day": DAY, "amount": 11_000, "payer": "ﾔﾏﾀﾞｼｮｳｼﾞﾃﾝ(ｶ"},
        {"day": DAY, "amount": 11_000, "payer": "ﾔﾏﾀﾞｼｮｳｼﾞﾃﾝ(ｶ", "memo": "1002"},
    ]
    statement = bank_writes.bank_statement_import(actor=finance, data=zengin_file(twice), file_name="a.txt")
    ids = list(statement.lines.order_by("position").values_list("pk", flat=True))
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def confirm(line_id: int):
        barrier.wait()
        try:
            bank_writes.bank_line_confirm(actor=finance, line_id=line_id, number=1002)
            outcomes.append("paid")
        except bank_writes.MatchRefused:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm, args=(line_id,)) for line_id in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["paid", "refused"]
    assert list(InvoicePayment.objects.values_list("amount", flat=True)) == [11_000]


def test_a_statement_and_the_invoices_it_paid_leave_after_the_legal_minimum_in_either_order(
    seeded, django_capture_on_commit_callbacks
):
    """A bank statement is kept as long as the invoices it pays (7 years from two months after the end of the
    tax period), its lines with it; an invoice's payment recorded from a line leaves with the invoice, whichever
    the nightly housekeeping reaches first (the line keeps what it was matched to)."""
    from zoneinfo import ZoneInfo

    import time_machine

    from invoicing.models import BankStatement
    from portal.core.retention import housekeep

    statement = bank_writes.bank_statement_import(actor=seeded, data=zengin_file(LINES), file_name="a.txt")
    line = statement.lines.get(proposed=1001)
    bank_writes.bank_line_confirm(actor=seeded, line_id=line.pk, number=1001)
    tokyo = ZoneInfo("Asia/Tokyo")
    with (
        time_machine.travel(dt.datetime(2034, 2, 28, 3, tzinfo=tokyo), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        housekeep(batch_size=2)
    assert BankStatement.objects.filter(pk=statement.pk).exists() and InvoicePayment.objects.count() == 1
    with (
        time_machine.travel(dt.datetime(2034, 3, 1, 3, tzinfo=tokyo), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        housekeep(batch_size=2)
    assert not IssuedInvoice.objects.exists() and not InvoicePayment.objects.exists()
    assert not BankStatement.objects.exists() and not BankLine.objects.exists()
