"""Corrections of issued invoices, as pure functions: what is left to credit on each line of an invoice, a credit
note's lines and its totals per rate.

An issued invoice is final (`models.IssuedInvoice`): a correction is a new document that refers to it. A **credit
note** (適格返還請求書) cancels all or part of an invoice: its lines are the invoice's lines it credits, with
negative amounts, each remembering which line it credits (`original_line`), so that nothing is credited twice
(`remaining`). A **corrected invoice** replaces an invoice: it is issued with a credit note of everything still
owed on the original, and its own lines are the month's draft as it stands now (docs/decisions.md
says why).

The tax of a credit note is totalled per rate and rounded once per rate, like an invoice's; when a credit note
credits the whole of what is left at a rate, its tax is the tax left at that rate, so that the original and
its credit notes add up to nothing, whatever the rounding setting says today.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from invoicing import rules


class CorrectionRefused(Exception):
    """A correction that cannot be issued, with a sentence a person acts on."""


def remaining(original_lines: Sequence[Mapping], credit_notes: Iterable[Sequence[Mapping]]) -> list[int]:
    """What is left to credit on each line of an invoice (its amount less what its credit notes credited)."""
    left = [int(line.get("amount") or 0) for line in original_lines]
    for lines in credit_notes:
        for line in lines:
            index = line.get("original_line")
            if index is not None and 0 <= index < len(left):
                left[index] += int(line.get("amount") or 0)  # a credit note's amounts are negative
    return left


def credit_lines(
    original_lines: Sequence[Mapping], credits: Mapping[int, int], left: Sequence[int]
) -> list[dict]:
    """The lines of a credit note that credits `credits` (line index → yen, tax excluded) of an invoice's lines,
    each at most what is `left` on it. A line credited whole keeps its units and unit price; a part of one
    states only the amount."""
    lines = []
    for index, amount in sorted(credits.items()):
        if not amount:
            continue
        if amount < 0 or index >= len(original_lines) or amount > left[index]:
            raise CorrectionRefused("credit out of range")
        line = dict(original_lines[index])
        whole = amount == int(line.get("amount") or 0)
        line.update(
            amount=-amount,
            units=line.get("units") if whole else None,
            unit_price=line.get("unit_price") if whole else None,
            original_line=index,
        )
        lines.append(line)
    return lines


def credit_per_rate(
    *,
    original_lines: Sequence[Mapping],
    original_per_rate: Sequence[Mapping],
    earlier: Iterable[tuple[Sequence[Mapping], Sequence[Mapping]]],
    lines: Sequence[Mapping],
    rounding: str,
) -> list[dict]:
    """The credit note's totals per rate ({"rate", "amount", "tax"}, negative, highest rate first). `earlier`:
    the (lines, per_rate) of the invoice's credit notes issued before."""
    earlier = list(earlier)
    credited: dict[int, int] = {}
    for line in lines:
        rate = int(line.get("tax_rate") or rules.STANDARD_RATE)
        credited[rate] = credited.get(rate, 0) - int(line["amount"])
    left_amount: dict[int, int] = {}
    left_tax: dict[int, int] = {}
    for total in original_per_rate:
        left_amount[total["rate"]] = left_amount.get(total["rate"], 0) + int(total["amount"])
        left_tax[total["rate"]] = left_tax.get(total["rate"], 0) + int(total["tax"])
    for _lines, per_rate in earlier:
        for total in per_rate:
            left_amount[total["rate"]] = left_amount.get(total["rate"], 0) + int(total["amount"])
            left_tax[total["rate"]] = left_tax.get(total["rate"], 0) + int(total["tax"])
    out = []
    for rate, amount in sorted(credited.items(), reverse=True):
        if amount == left_amount.get(rate):
            tax = left_tax.get(rate, 0)  # the rest of the rate: the tax left, so it all adds up to nothing
        else:
            tax = min(rules.tax_for_rate(amount, rate, rounding), left_tax.get(rate, 0))
        out.append({"rate": rate, "amount": -amount, "tax": -tax})
    return out
