"""Direct debit (口座振替): the customers' debit accounts kept (`debit_account_set`), a run made for a debit date
with its request file (`debit_run_make`: the invoices and amounts frozen, an invoice in one waiting run at most),
and the bank's result file imported once (`debit_results_import`: each collected debit recorded through
`payment_record`, each refused one left open). Every write is audited."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from invoicing import rules
from invoicing.bank import direct_debit
from invoicing.bank.kana import zengin_name, zengin_refused
from invoicing.bank.statement import BankFileRefused
from invoicing.models import CustomerBilling, DebitAccount, DebitItem, DebitRun, DepositKind, IssuedInvoice
from invoicing.permissions import CHANGE_INVOICING
from invoicing.selectors import debit as debit_reads
from invoicing.selectors import owed as owed_now
from invoicing.services.payments import payment_record
from portal.core import clock
from portal.core.access import check, person
from portal.core.models import AuditEntry
from portal.core.services import audit_record


class DebitRefused(Exception):
    """A direct debit write that cannot be done as asked, with a sentence saying why."""


ACCOUNT_FIELDS = (
    "bank_code",
    "branch_code",
    "deposit_kind",
    "account_number",
    "holder",
    "customer_number",
    "new",
    "active",
)
_DIGITS = {"bank_code": 4, "branch_code": 3, "account_number": 7}


def account_values_checked(values: dict) -> dict:
    """The account's values as kept: the holder as a Zengin record writes it, every field checked
    (`DebitRefused` with what is wrong)."""
    checked = {name: values[name] for name in ACCOUNT_FIELDS}
    for name, width in _DIGITS.items():
        text = str(checked[name])
        if not (text.isascii() and text.isdigit() and len(text) == width):
            raise DebitRefused(_("The %(field)s is %(n)s digits.") % {"field": _field_name(name), "n": width})
    number = str(checked["customer_number"])
    if number and not (number.isascii() and number.isdigit() and len(number) <= 20):
        raise DebitRefused(_("The customer number is up to 20 digits."))
    if checked["deposit_kind"] not in DepositKind.values:
        raise DebitRefused(_("Choose the deposit kind."))
    holder = zengin_name(str(checked["holder"]))
    refused = zengin_refused(holder)
    if not holder or refused or len(holder) > 30:
        raise DebitRefused(
            _(
                "The account holder is written in half-width kana, letters and digits, up to 30 characters, as "
                "the bank has it (not: %(chars)s)."
            )
            % {"chars": " ".join(refused) or "—"}
        )
    checked["holder"] = holder
    return checked


def _field_name(name: str) -> str:
    return {
        "bank_code": _("bank code"),
        "branch_code": _("branch code"),
        "account_number": _("account number"),
    }[name]


def debit_account_set(*, actor, domain_id: int, **values) -> bool:
    """Keep the account a customer's invoices are collected from. False when nothing changes; otherwise one
    audit entry (`portal.setDebitAccount`) with what changed, before and after. The customer's billing details
    come first (`DebitRefused` without them)."""
    check(actor, CHANGE_INVOICING)
    after = account_values_checked(values)
    with transaction.atomic():
        if not CustomerBilling.objects.select_for_update().filter(domain_id=domain_id).exists():
            raise DebitRefused(_("Save the customer's billing details first."))
        row = DebitAccount.objects.filter(customer_id=domain_id).first()
        before = {name: getattr(row, name) for name in ACCOUNT_FIELDS} if row else {}
        changed = {
            name: {"before": before.get(name), "after": value}
            for name, value in after.items()
            if before.get(name) != value
        }
        if row is not None and not changed:
            return False
        DebitAccount.objects.update_or_create(customer_id=domain_id, defaults=after)
        audit_record(
            actor=actor,
            operation_id="portal.setDebitAccount",
            outcome=AuditEntry.Outcome.SUCCEEDED,
            domain_id=domain_id,
            sent={"changed": changed},
        )
    return True


def debit_date_checked(day: dt.date) -> dt.date:
    """`day` if the bank can debit then (`rules.debit_date_problem`), else `DebitRefused` saying why."""
    problem = rules.debit_date_problem(day, today=clock.today())
    if problem:
        raise DebitRefused(problem)
    return day


def _debit(item: DebitItem) -> direct_debit.Debit:
    return direct_debit.Debit(
        bank_code=item.bank_code,
        branch_code=item.branch_code,
        deposit_kind=item.deposit_kind,
        account_number=item.account_number,
        holder=item.holder,
        amount=item.amount,
        customer_number=item.customer_number,
        new_code="1" if item.new else "0",
    )


def _items(chosen: list[debit_reads.Collectable]) -> list[DebitItem]:
    return [
        DebitItem(
            position=position,
            invoice_id=row.invoice_id,
            number=row.number,
            domain_id=row.domain_id,
            customer_name=row.customer_name[:200],
            bank_code=row.account.bank_code,
            branch_code=row.account.branch_code,
            deposit_kind=row.account.deposit_kind,
            account_number=row.account.account_number,
            holder=row.account.holder,
            customer_number=row.account.customer_number or str(row.number),
            new=row.account.new,
            amount=row.owed,
        )
        for position, row in enumerate(chosen, start=1)
    ]


def debit_run_make(*, actor, debit_date: dt.date, numbers: list[int]) -> DebitRun:
    """A run for `debit_date` of the chosen invoices among those it can collect (`selectors.debit.collectable`),
    each for what it owes now, with its request file and its SHA-256, audited (`portal.makeDebitRun`). An
    invoice already waiting in another run is refused (the database's constraint holds it against two people at
    once)."""
    check(actor, CHANGE_INVOICING)
    debit_date_checked(debit_date)
    collector = debit_reads.collector()
    if collector is None:
        raise DebitRefused(_("Direct debit is not set up: the partner's collector code is missing."))
    wanted = set(numbers)
    if not wanted:
        raise DebitRefused(_("Choose at least one invoice to debit."))
    if len(wanted) > debit_reads.REQUEST_MAX:
        raise DebitRefused(
            _("A request takes at most %(most)s invoices: make it of fewer, then another for the rest.")
            % {"most": debit_reads.REQUEST_MAX}
        )
    chosen = debit_reads.collectable(user=actor, debit_date=debit_date, numbers=wanted)
    if len(chosen) != len(wanted):
        raise DebitRefused(
            _("Some of the invoices chosen cannot be debited now (paid, or in another run): look again.")
        )
    items = _items(chosen)
    try:
        data = direct_debit.request_file(collector, debit_date, [_debit(item) for item in items])
    except BankFileRefused as refused:
        raise DebitRefused(str(refused)) from refused
    try:
        with transaction.atomic():
            run = DebitRun.objects.create(
                debit_date=debit_date,
                made_at=timezone.now(),
                made_by=person(actor),
                request_file=data,
                request_sha256=hashlib.sha256(data).hexdigest(),
                count=len(items),
                total=sum(item.amount for item in items),
            )
            for item in items:
                item.run = run
            DebitItem.objects.bulk_create(items)
            audit_record(
                actor=actor,
                operation_id="portal.makeDebitRun",
                outcome=AuditEntry.Outcome.SUCCEEDED,
                sent={
                    "run": run.pk,
                    "debit_date": debit_date.isoformat(),
                    "sha256": run.request_sha256,
                    "debits": [[item.number, item.amount] for item in items],
                    "total": run.total,
                },
            )
    except IntegrityError as taken:
        raise DebitRefused(
            _("Some of the invoices chosen were put in another run meanwhile: look again.")
        ) from taken
    return run


@dataclass(frozen=True)
class Imported:
    run: DebitRun
    done_now: bool  # False: this result file was imported before; nothing recorded


def _matched(items: list[DebitItem], found: list[direct_debit.Result]) -> list[tuple[DebitItem, str]]:
    """Each of the run's debits with the bank's result code, matched by customer number and amount in the
    order written (the bank returns the request's records); a file that does not answer exactly the run's
    debits is refused."""
    waiting: dict[tuple[str, int], list[DebitItem]] = defaultdict(list)
    for item in items:
        waiting[(item.customer_number.lstrip("0"), item.amount)].append(item)
    pairs = []
    for result in found:
        queue = waiting.get((result.customer_number.lstrip("0"), result.amount))
        if not queue:
            raise DebitRefused(
                _(
                    "The result file has a debit this run did not ask for (customer number %(number)s, %(amount)s)."
                )
                % {"number": result.customer_number.lstrip("0"), "amount": result.amount}
            )
        pairs.append((queue.pop(0), result.code))
    if len(pairs) != len(items):
        raise DebitRefused(
            _("The result file does not answer every debit of this run: it is not this run's.")
        )
    return pairs


def _collect(*, actor, run: DebitRun, item: DebitItem) -> None:
    """Record a collected debit's payment (what the invoice still owes at most: the rest was paid otherwise
    meanwhile, kept as `over_amount`), and clear its account's first-debit mark."""
    invoice = IssuedInvoice.objects.select_for_update().filter(pk=item.invoice_id).first()
    owed = owed_now(invoice) if invoice is not None else 0
    applied = min(item.amount, owed)
    if applied > 0:
        item.payment = payment_record(actor=actor, number=item.number, amount=applied, paid_on=run.debit_date)
    item.over_amount = item.amount - applied
    DebitAccount.objects.filter(customer_id=item.domain_id, new=True).update(new=False)


def debit_results_import(*, actor, run_id: int, data: bytes, file_name: str) -> Imported:
    """Import the bank's result file of a run: each collected debit's payment recorded (`payment_record`), each
    refused one left open with the bank's code, the run resolved, one audit entry (`portal.importDebitResults`).
    Once: the run's row is locked, and a run resolved already records nothing more (the same file again:
    `done_now` False; another file: refused). A file that is not the run's answer is refused whole."""
    check(actor, CHANGE_INVOICING)
    found = direct_debit.results(data)
    sha = hashlib.sha256(data).hexdigest()
    with transaction.atomic():
        run = DebitRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None:
            raise DebitRefused(_("No such direct debit run."))
        if run.cancelled_at is not None:
            raise DebitRefused(_("This run was cancelled: its result is not imported."))
        if run.resolved_at is not None:
            if run.result_sha256 == sha:
                return Imported(run, False)
            raise DebitRefused(_("The result of this run was imported already, from another file."))
        pairs = _matched(list(run.items.order_by("position")), found)
        for item, code in pairs:
            item.result, item.pending = code, False
            if code == direct_debit.COLLECTED:
                _collect(actor=actor, run=run, item=item)
        DebitItem.objects.bulk_update(
            [item for item, _code in pairs], ["result", "pending", "payment", "over_amount"]
        )
        run.resolved_at = timezone.now()
        run.resolved_by = person(actor)
        run.result_sha256, run.result_file_name = sha, (file_name or "")[:200]
        run.save(update_fields=["resolved_at", "resolved_by", "result_sha256", "result_file_name"])
        audit_record(
            actor=actor,
            operation_id="portal.importDebitResults",
            outcome=AuditEntry.Outcome.SUCCEEDED,
            sent={
                "run": run.pk,
                "debit_date": run.debit_date.isoformat(),
                "file": run.result_file_name,
                "sha256": sha,
                "results": [[item.number, item.amount, code] for item, code in pairs],
            },
        )
    return Imported(run, True)


def debit_run_cancel(*, actor, run_id: int) -> bool:
    """Cancel a run whose result has not come (its file never sent, or the bank refused it whole): its invoices
    wait in it no more and can go in another run, audited (`portal.cancelDebitRun`). False when it was cancelled
    already (a second click); a run whose result is imported is not cancelled (`DebitRefused`)."""
    check(actor, CHANGE_INVOICING)
    with transaction.atomic():
        run = DebitRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None:
            raise DebitRefused(_("No such direct debit run."))
        if run.cancelled_at is not None:
            return False
        if run.resolved_at is not None:
            raise DebitRefused(_("The bank's result of this run is imported: it is not cancelled."))
        run.items.update(pending=False)
        run.cancelled_at = timezone.now()
        run.cancelled_by = person(actor)
        run.save(update_fields=["cancelled_at", "cancelled_by"])
        audit_record(
            actor=actor,
            operation_id="portal.cancelDebitRun",
            outcome=AuditEntry.Outcome.SUCCEEDED,
            sent={"run": run.pk, "debit_date": run.debit_date.isoformat(), "sha256": run.request_sha256},
        )
    return True
