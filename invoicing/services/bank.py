"""Bank statements imported and matched to the invoices (入金消込): a file read (`invoicing.bank`), its credit
lines stored once each (a line's identity is unique), each proposed an invoice (`invoicing.bank.matching`); a
person confirms a proposal, which records the payment through `payment_record` (the one way a payment is
written), or explains a line that pays no invoice. Every write is audited."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from invoicing import selectors
from invoicing.bank import csvfile, matching, zengin
from invoicing.bank.kana import normalised
from invoicing.bank.statement import BankFileRefused, Statement
from invoicing.models import (
    BankCsvMapping,
    BankLine,
    BankStatement,
    CustomerBilling,
    DocumentKind,
    IssuedInvoice,
    TransferName,
)
from invoicing.permissions import CHANGE_INVOICING
from invoicing.selectors import bank as bank_reads
from invoicing.services.payments import payment_record
from portal.core.access import check, person
from portal.core.models import AuditEntry
from portal.core.services import audit_record


class MatchRefused(Exception):
    """A bank line that cannot be matched or explained as asked, with a sentence saying why."""


class AlreadyImported(BankFileRefused):
    """Every line of the file was imported before: `statement` is where the first of them is."""

    def __init__(self, message: str, statement: BankStatement):
        super().__init__(message)
        self.statement = statement


def _mapping_of(row: BankCsvMapping) -> csvfile.Mapping:
    return csvfile.Mapping(
        date=row.date_column,
        credit=row.credit_column,
        payer=row.payer_column,
        debit=row.debit_column,
        memo=row.memo_list,
        skip_rows=row.skip_rows,
        delimiter=row.delimiter,
    )


def _keys(statement: Statement, mapping: BankCsvMapping | None) -> list[str]:
    """Each credit line's identity: the account, the date and the bank's sequence number (Zengin); a CSV line's
    bank, date, amount, payer and memo with its occurrence among identical lines (a CSV has no sequence that
    holds from one download to the next)."""
    keys: list[str] = []
    seen: Counter[tuple[str, ...]] = Counter()
    for line in statement.credits:
        if statement.layout == "zengin":
            parts = ["zengin", statement.bank_code, statement.branch_code, statement.account_number]
            parts += [line.date.isoformat(), line.sequence]
        else:
            content = (line.date.isoformat(), str(line.amount), line.payer, line.memo)
            seen[content] += 1
            parts = ["csv", str(mapping.pk if mapping else ""), *content, str(seen[content])]
        keys.append(hashlib.sha256("\x1f".join(parts).encode()).hexdigest())
    return keys


def bank_statement_import(
    *, actor, data: bytes, file_name: str, mapping_id: int | None = None
) -> BankStatement:
    """Read a bank file (Zengin 入出金取引明細, or a CSV by the bank's mapping), store its credit lines not
    imported before, propose an invoice for each, and audit it. Refused (`BankFileRefused`) with a sentence for
    a file that is not a statement; `AlreadyImported` when every line was imported before."""
    check(actor, CHANGE_INVOICING)
    mapping = None
    if mapping_id is not None:
        mapping = BankCsvMapping.objects.filter(pk=mapping_id).first()
        if mapping is None:
            raise BankFileRefused(_("No such bank CSV layout."))
        statement = csvfile.parse(data, _mapping_of(mapping))
    else:
        statement = zengin.parse(data)
    credits = statement.credits
    keys = _keys(statement, mapping)
    date_from = statement.date_from or min(line.date for line in statement.lines)
    date_to = statement.date_to or max(line.date for line in statement.lines)
    with transaction.atomic():
        known = set(BankLine.objects.filter(key__in=keys).values_list("key", flat=True))
        if len(known) == len(keys):
            first = BankLine.objects.select_related("statement").get(key=keys[0])
            raise AlreadyImported(_("Every line of this statement was imported before."), first.statement)
        row = BankStatement.objects.create(
            layout=statement.layout,
            mapping=mapping,
            file_name=(file_name or "")[:200],
            file_sha256=hashlib.sha256(data).hexdigest(),
            bank_code=statement.bank_code,
            bank_name=(statement.bank_name or (mapping.name if mapping else ""))[:100],
            branch_name=statement.branch_name[:100],
            account_number=statement.account_number[:20],
            account_name=statement.account_name[:100],
            date_from=date_from,
            date_to=date_to,
            credits=len(credits) - len(known),
            debits=len(statement.lines) - len(credits),
            repeated=len(known),
            imported_at=timezone.now(),
            imported_by=person(actor),
        )
        lines = [
            BankLine(
                statement=row,
                key=key,
                sequence=line.sequence[:12],
                position=position,
                date=line.date,
                amount=line.amount,
                payer=line.payer[:100],
                payer_key=normalised(line.payer)[:100],
                memo=line.memo[:200],
            )
            for position, (key, line) in enumerate(zip(keys, credits, strict=True), start=1)
            if key not in known
        ]
        _propose(lines)
        BankLine.objects.bulk_create(lines, batch_size=500)
        audit_record(
            actor=actor,
            operation_id="portal.importBankStatement",
            outcome=AuditEntry.Outcome.SUCCEEDED,
            sent={
                "statement": row.pk,
                "file": row.file_name,
                "sha256": row.file_sha256,
                "layout": row.layout,
                "account": f"{row.bank_code} {row.account_number}".strip(),
                "credits": row.credits,
                "repeated": row.repeated,
                "debits": row.debits,
            },
        )
    return row


def _propose(lines: list[BankLine]) -> None:
    """Each line's proposal, set on the rows (not saved)."""
    book = bank_reads.match_book()
    proposals = matching.propose_all(
        book, [matching.Line(amount=x.amount, payer=x.payer, memo=x.memo) for x in lines]
    )
    for line, proposal in zip(lines, proposals, strict=True):
        line.proposed, line.reason = proposal.number, proposal.reason
        line.confidence, line.candidates = proposal.confidence, proposal.candidates


def bank_statement_rematch(*, actor, statement_id: int) -> int:
    """Propose again for the statement's lines still to match (invoices were paid, issued or named since): how
    many lines were proposed again."""
    check(actor, CHANGE_INVOICING)
    with transaction.atomic():
        lines = list(
            BankLine.objects.select_for_update()
            .filter(statement_id=statement_id, state=BankLine.State.OPEN)
            .order_by("position")
        )
        _propose(lines)
        BankLine.objects.bulk_update(
            lines, ["proposed", "reason", "confidence", "candidates"], batch_size=500
        )
    return len(lines)


@dataclass(frozen=True)
class Confirmed:
    line: BankLine
    done_now: bool  # False: the line was matched or explained already (a second click): nothing written


def bank_line_confirm(*, actor, line_id: int, number: int) -> Confirmed:
    """Match a credit line to invoice `number`: its payment recorded through `payment_record` (what the
    invoice still owes at most; the rest is the customer's over-payment, kept on the line), the payer's name
    learned as the customer's transfer name, one audit entry. The line's row is locked, then the invoice's:
    a line is matched once however many clicks or people, and an invoice is never paid beyond what it owes."""
    check(actor, CHANGE_INVOICING)
    with transaction.atomic():
        line = _line_locked(line_id)
        if line.state != BankLine.State.OPEN:
            return Confirmed(line, False)
        invoice = IssuedInvoice.objects.select_for_update().filter(number=number).first()
        if invoice is None or invoice.kind == DocumentKind.CREDIT_NOTE:
            raise MatchRefused(_("There is no invoice No. %(number)s.") % {"number": number})
        owed = selectors.owed(invoice)
        if owed <= 0:
            raise MatchRefused(
                _("Invoice No. %(number)s owes nothing now: choose another or explain the line.")
                % {"number": number}
            )
        applied = min(line.amount, owed)
        payment = payment_record(actor=actor, number=number, amount=applied, paid_on=line.date)
        line.state, line.payment, line.domain_id = BankLine.State.MATCHED, payment, invoice.domain_id
        line.over_amount = line.amount - applied
        line.done_at = timezone.now()
        line.done_by = person(actor)
        line.save(update_fields=["state", "payment", "domain_id", "over_amount", "done_at", "done_by"])
        learned = _transfer_name_learn(line.payer_key, invoice.domain_id)
        audit_record(
            actor=actor,
            operation_id="portal.confirmBankMatch",
            outcome=AuditEntry.Outcome.SUCCEEDED,
            domain_id=invoice.domain_id,
            sent={
                "statement": line.statement_id,
                "line": line.pk,
                "date": line.date.isoformat(),
                "amount": line.amount,
                "payer": line.payer,
                "number": number,
                "proposed": line.proposed,
                "reason": line.reason,
                "applied": applied,
                "over_payment": line.over_amount,
                "transfer_name_learned": learned,
            },
        )
        if applied == owed:
            # Other lines proposing the invoice now paid propose nothing until matched again. Those another
            # person holds (confirming them, and waiting for this invoice) are left alone: waiting for them
            # here would deadlock; their confirmation finds the invoice paid.
            others = BankLine.objects.select_for_update(skip_locked=True).filter(
                state=BankLine.State.OPEN, proposed=number
            )
            BankLine.objects.filter(pk__in=list(others.values_list("pk", flat=True))).update(
                proposed=None, reason=matching.SAME_INVOICE, confidence=matching.NONE, candidates=0
            )
    return Confirmed(line, True)


def _transfer_name_learn(name: str, domain_id: int) -> str:
    """Keep `name` as the customer's transfer name when no customer has it yet: the name learned, or ""."""
    if not name or TransferName.objects.filter(name=name).exists():
        return ""
    if not CustomerBilling.objects.filter(domain_id=domain_id).exists():
        return ""
    TransferName.objects.create(customer_id=domain_id, name=name, learned_at=timezone.now())
    return name


def bank_lines_confirm_certain(*, actor, statement_id: int) -> tuple[int, int]:
    """Confirm every line of the statement still to match whose proposal is certain (the number and the
    amount, or the name and the amount), each in its own transaction as one click would: (confirmed, refused)."""
    check(actor, CHANGE_INVOICING)
    ids = BankLine.objects.filter(
        statement_id=statement_id,
        state=BankLine.State.OPEN,
        confidence=matching.CERTAIN,
        proposed__isnull=False,
    ).values_list("pk", "proposed")
    done = refused = 0
    for line_id, number in list(ids.order_by("position")):
        try:
            if bank_line_confirm(actor=actor, line_id=line_id, number=number or 0).done_now:
                done += 1
        except MatchRefused:
            refused += 1
    return done, refused


def _line_locked(line_id: int) -> BankLine:
    """The bank line, its row locked for the rest of the transaction (`MatchRefused` when there is none)."""
    line = BankLine.objects.select_for_update().filter(pk=line_id).first()
    if line is None:
        raise MatchRefused(_("No such bank line."))
    return line


def _line_settled(
    *, actor, line: BankLine, state: str, explanation: str, note: str, operation_id: str
) -> None:
    """Give a locked line its new state and explanation, and audit it with what it had before."""
    before = {"explanation": line.explanation, "note": line.note}
    line.state, line.explanation, line.note = state, explanation, note[:200]
    explained = state == BankLine.State.EXPLAINED
    line.done_at = timezone.now() if explained else None
    line.done_by = person(actor) if explained else None
    line.save(update_fields=["state", "explanation", "note", "done_at", "done_by"])
    after = {"after": {"explanation": explanation, "note": line.note}} if explained else {}
    audit_record(
        actor=actor,
        operation_id=operation_id,
        outcome=AuditEntry.Outcome.SUCCEEDED,
        sent={
            "statement": line.statement_id,
            "line": line.pk,
            "date": line.date.isoformat(),
            "amount": line.amount,
            "payer": line.payer,
            "before": before,
            **after,
        },
    )


def bank_line_explain(*, actor, line_id: int, explanation: str, note: str = "") -> BankLine:
    """Say why a line pays no invoice (a bank fee, not ours, a refund, ...): it leaves the lines to match,
    audited. A line matched already is not explained."""
    check(actor, CHANGE_INVOICING)
    if explanation not in BankLine.Explanation.values:
        raise MatchRefused(_("Choose why the line pays no invoice."))
    with transaction.atomic():
        line = _line_locked(line_id)
        if line.state == BankLine.State.MATCHED:
            raise MatchRefused(_("The line is matched to an invoice already."))
        _line_settled(
            actor=actor,
            line=line,
            state=BankLine.State.EXPLAINED,
            explanation=explanation,
            note=note,
            operation_id="portal.explainBankLine",
        )
    return line


MAPPING_FIELDS = (
    "name",
    "skip_rows",
    "date_column",
    "credit_column",
    "debit_column",
    "payer_column",
    "memo_columns",
    "delimiter",
)


def bank_mapping_set(*, actor, mapping_id: int | None, **values) -> BankCsvMapping:
    """Keep a bank's CSV column mapping (new, or changed), audited with what changed."""
    check(actor, CHANGE_INVOICING)
    with transaction.atomic():
        if BankCsvMapping.objects.filter(name=values["name"]).exclude(pk=mapping_id or 0).exists():
            raise MatchRefused(_("A layout of this bank is kept already: change that one."))
        row = (
            BankCsvMapping()
            if mapping_id is None
            else BankCsvMapping.objects.select_for_update().get(pk=mapping_id)
        )
        before = {name: getattr(row, name) for name in MAPPING_FIELDS} if mapping_id else {}
        for name in MAPPING_FIELDS:
            setattr(row, name, values[name])
        row.save()
        audit_record(
            actor=actor,
            operation_id="portal.setBankCsvMapping",
            outcome=AuditEntry.Outcome.SUCCEEDED,
            sent={"mapping": row.pk, "before": before, "after": {n: values[n] for n in MAPPING_FIELDS}},
        )
    return row


def bank_line_reopen(*, actor, line_id: int) -> BankLine:
    """Take back a line's explanation: it is to match again, audited with the explanation it had. Only an
    explained line: a line matched to an invoice carries a payment, which is not undone here."""
    check(actor, CHANGE_INVOICING)
    with transaction.atomic():
        line = _line_locked(line_id)
        if line.state != BankLine.State.EXPLAINED:
            raise MatchRefused(_("Only an explained line is reopened."))
        _line_settled(
            actor=actor,
            line=line,
            state=BankLine.State.OPEN,
            explanation="",
            note="",
            operation_id="portal.reopenBankLine",
        )
    return line
