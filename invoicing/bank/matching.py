"""Each credit line of a bank statement matched to the open invoices (入金消込): by the invoice's number in the
memo, by the amount, and by the payer's name (normalised kana, `kana.normalised`) against the customers'
transfer names (振込名義: learned from confirmed matches) and names. A proposal names one invoice (or none), why,
and how sure it is; a person confirms it. Only two reasons are certain: the number and the amount, or the name
and the amount (one invoice of that customer); "Confirm all certain ones" takes only those.

Pure: the open invoices and the names are given (`Candidate`, names by normalised name), so a statement of
10,000 lines against 50,000 open invoices is matched from three dictionaries built once.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from invoicing.bank.kana import normalised

# How sure a proposal is.
CERTAIN, LIKELY, POSSIBLE, NONE = 3, 2, 1, 0

# Why (written in words at display: invoicing/bank_words.py).
NUMBER_AMOUNT = "number_amount"
NUMBER_AMOUNT_OTHER_NAME = "number_amount_other_name"
NUMBER_ONLY = "number_only"
NUMBERS = "numbers"
NAME_AMOUNT = "name_amount"
NAME_AMOUNT_SEVERAL = "name_amount_several"
NAME_ONLY = "name_only"
SHARED_NAME_AMOUNT = "shared_name_amount"
AMOUNT_ONLY = "amount_only"
AMOUNT_SEVERAL = "amount_several"
SAME_INVOICE = "same_invoice"
NOTHING = "nothing"


@dataclass(frozen=True)
class Candidate:
    number: int
    domain_id: int
    owed: int
    due_date: dt.date
    written: str = ""  # the number as the customer reads it (`IssuedInvoice.number_written`)


@dataclass(frozen=True)
class Proposal:
    number: int | None
    reason: str
    confidence: int
    candidates: int = 0  # how many invoices fit as well (a reason with "N candidates")


@dataclass(frozen=True)
class Line:
    amount: int
    payer: str
    memo: str


class Book:
    """The open invoices and the customers' names, indexed once for many lines."""

    def __init__(self, candidates: Iterable[Candidate], names: dict[str, set[int]]):
        self.by_number: dict[int, Candidate] = {}
        self.by_written: dict[str, Candidate] = {}
        self.by_amount: dict[int, list[Candidate]] = defaultdict(list)
        self.by_customer: dict[int, list[Candidate]] = defaultdict(list)
        for candidate in sorted(candidates, key=lambda c: (c.due_date, c.number)):
            self.by_number[candidate.number] = candidate
            written = _plain(candidate.written)
            if written and written != str(candidate.number):
                self.by_written[written] = candidate
            self.by_amount[candidate.owed].append(candidate)
            self.by_customer[candidate.domain_id].append(candidate)
        self.names = names


def _plain(text: str) -> str:
    return re.sub(r"\s", "", unicodedata.normalize("NFKC", text or "").upper())


#: A word of a memo that may be an invoice number as written: letters, digits and the signs formats use.
_TOKEN = re.compile(r"[0-9A-Z][0-9A-Z\-_/#.]*[0-9A-Z]|[0-9A-Z]")


def _numbered(book: Book, line: Line) -> list[Candidate]:
    """The open invoices whose number the memo (or the payer's field, where payers often type it) names: as a
    run of digits, or as written on the invoice (its format's letters and all), looked up word by word (never
    every invoice tried against every line)."""
    text = unicodedata.normalize("NFKC", f"{line.memo} {line.payer}").upper()
    found = {int(run) for run in re.findall(r"\d+", text) if len(run) <= 18}
    hits = {book.by_number[n].number: book.by_number[n] for n in found if n in book.by_number}
    for token in _TOKEN.findall(text):
        candidate = book.by_written.get(token)
        if candidate is not None:
            hits[candidate.number] = candidate
    return list(hits.values())


def propose(book: Book, line: Line) -> Proposal:
    """The invoice a credit line most likely pays, why, and how sure."""
    customers = book.names.get(normalised(line.payer), set()) if line.payer else set()
    numbered = _numbered(book, line)
    if numbered:
        return _by_number(numbered, line, customers)
    if len(customers) == 1:
        return _by_name(book.by_customer.get(next(iter(customers)), []), line)
    same_amount = book.by_amount.get(line.amount, [])
    if customers:
        theirs = [c for c in same_amount if c.domain_id in customers]
        if len(theirs) == 1:
            return Proposal(theirs[0].number, SHARED_NAME_AMOUNT, LIKELY, len(customers))
    if len(same_amount) == 1:
        return Proposal(same_amount[0].number, AMOUNT_ONLY, POSSIBLE, 1)
    if same_amount:
        return Proposal(None, AMOUNT_SEVERAL, NONE, len(same_amount))
    return Proposal(None, NOTHING, NONE)


def _by_number(numbered: list[Candidate], line: Line, customers: set[int]) -> Proposal:
    exact = [c for c in numbered if c.owed == line.amount]
    if len(exact) == 1:
        hit = exact[0]
        if customers and hit.domain_id not in customers:
            return Proposal(hit.number, NUMBER_AMOUNT_OTHER_NAME, LIKELY, 1)
        return Proposal(hit.number, NUMBER_AMOUNT, CERTAIN if len(numbered) == 1 else LIKELY, len(numbered))
    if len(numbered) == 1:
        return Proposal(numbered[0].number, NUMBER_ONLY, LIKELY, 1)
    return Proposal(numbered[0].number, NUMBERS, POSSIBLE, len(numbered))


def _by_name(theirs: list[Candidate], line: Line) -> Proposal:
    exact = [c for c in theirs if c.owed == line.amount]
    if len(exact) == 1:
        return Proposal(exact[0].number, NAME_AMOUNT, CERTAIN, 1)
    if exact:
        return Proposal(exact[0].number, NAME_AMOUNT_SEVERAL, LIKELY, len(exact))
    if theirs:
        return Proposal(theirs[0].number, NAME_ONLY, LIKELY if len(theirs) == 1 else POSSIBLE, len(theirs))
    return Proposal(None, NOTHING, NONE)


def propose_all(book: Book, lines: list[Line]) -> list[Proposal]:
    """Each line's proposal; two lines proposing the same invoice when together they pay more than it owes are
    neither certain (which is which is a person's call)."""
    proposals = [propose(book, line) for line in lines]
    taken: dict[int, list[int]] = defaultdict(list)
    for index, proposal in enumerate(proposals):
        if proposal.number is not None:
            taken[proposal.number].append(index)
    for number, indexes in taken.items():
        if len(indexes) > 1 and sum(lines[i].amount for i in indexes) > book.by_number[number].owed:
            for i in indexes:
                if proposals[i].confidence == CERTAIN:
                    proposals[i] = Proposal(number, SAME_INVOICE, LIKELY, len(indexes))
    return proposals
