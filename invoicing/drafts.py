"""The month's invoice drafts: computed from the month's charged items (`billing.selectors.month_charged_items`:
the invoice details priced by the price book; for a partner that bills in advance, the running month's estimate
in the same shape, `month_estimated_items`), the partner's and the customers' billing details, never stored.

One draft per billed customer: its lines (each with its own tax rate), the total and the consumption tax per
rate (the tax rounded once per invoice and per rate, `rules.tax_for_rate`), the total, and the due date of the
partner's payment terms. A draft that cannot be issued says why (`Draft.blocked`, sentences a person acts on);
the others go. Pure functions of what they are given, so a test builds them without a database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from django.utils import translation
from django.utils.translation import gettext

from invoicing import rules
from portal.core.vocabulary import Plan, billed_item_name, name_of


@dataclass(frozen=True)
class DraftLine:
    item_type: str
    item_id: str
    plan: str
    start_date: dt.date | None
    end_date: dt.date | None
    units: int
    unit_price: int | None
    amount: int | None
    tax_rate: int = rules.STANDARD_RATE
    #: The price book's unit price when Finance changed this line's (`apply_price_edits`), else None.
    book_price: int | None = None

    def description(self) -> str:
        """What was sold, by name in the active language: the product or option, and its plan."""
        name = billed_item_name(self.item_type, self.item_id)
        plan = name_of(self.plan, Plan) if self.plan else ""
        return gettext("%(item)s / %(plan)s") % {"item": name, "plan": plan} if plan else name


@dataclass(frozen=True)
class RateTotal:
    rate: int
    amount: int
    tax: int


@dataclass
class Draft:
    domain_id: int
    customer_name: str
    lines: list[DraftLine]
    recipient: Mapping | None
    issue_date: dt.date
    due_date: dt.date | None
    per_rate: list[RateTotal] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    previous_total: int | None = None
    #: The number of the invoice issued from this draft, once issued.
    issued_number: int | None = None
    #: Finance's price edits that no longer apply, each said in a sentence (`apply_price_edits`).
    stale_edits: list[str] = field(default_factory=list)

    @property
    def edited(self) -> bool:
        return any(line.book_price is not None for line in self.lines)

    @property
    def subtotal(self) -> int:
        return sum(r.amount for r in self.per_rate)

    @property
    def tax(self) -> int:
        return sum(r.tax for r in self.per_rate)

    @property
    def total(self) -> int:
        return self.subtotal + self.tax

    @property
    def difference(self) -> int | None:
        return None if self.previous_total is None else self.total - self.previous_total

    @property
    def ready(self) -> bool:
        return not self.blocked and self.issued_number is None

    @property
    def language(self) -> str:
        return (self.recipient or {}).get("language") or "ja"


def per_rate(lines: Iterable[DraftLine], rounding: str) -> list[RateTotal]:
    """The amounts totalled per tax rate and the tax on each total, rounded once (highest rate first)."""
    totals: dict[int, int] = {}
    for line in lines:
        if line.amount is not None:
            totals[line.tax_rate] = totals.get(line.tax_rate, 0) + line.amount
    return [
        RateTotal(rate, amount, rules.tax_for_rate(amount, rate, rounding))
        for rate, amount in sorted(totals.items(), reverse=True)
    ]


def recipient_problems(recipient: Mapping | None) -> list[str]:
    if recipient is None:
        return [gettext("No billing details: add the name and address to bill.")]
    missing = [
        label
        for key, label in (
            ("bill_to_name", gettext("the name to bill")),
            ("bill_to_address", gettext("the address to bill")),
        )
        if not (recipient.get(key) or "").strip()
    ]
    return [gettext("Billing details lack %(what)s.") % {"what": ", ".join(missing)}] if missing else []


def issuer_problems(issuer: Mapping | None) -> list[str]:
    if issuer is None:
        return [
            gettext("The partner's own billing details (name, address, registration number) are missing.")
        ]
    problem = rules.registration_number_problem(
        issuer.get("registration_number") or "", corporation=issuer.get("corporation", True)
    )
    return (
        [gettext("The partner's registration number is wrong: %(problem)s") % {"problem": problem}]
        if problem
        else []
    )


def month_drafts(
    items: Iterable,
    *,
    issuer: Mapping | None,
    recipients: Mapping[int, Mapping],
    issue_date: dt.date,
    rounding: str = "floor",
    previous_totals: Mapping[int, int] | None = None,
    issued: Mapping[int, int] | None = None,
) -> list[Draft]:
    """One draft per customer of `items` (`ChargedItem`s, customer by customer) whose billing details do not say
    "not billed", in the order of the items. `recipients`: each customer's billing details by domainId (as
    mappings); `issued`: the numbers of the month's invoices already issued, by domainId."""
    common = issuer_problems(issuer)
    terms = (issuer or {}).get("payment_terms") or rules.END_OF_NEXT_MONTH
    due = rules.due_date(issue_date, terms)
    drafts: dict[int, Draft] = {}
    for item in items:
        recipient = recipients.get(item.domain_id)
        if recipient is not None and not recipient.get("billed", True):
            continue
        draft = drafts.get(item.domain_id)
        if draft is None:
            draft = drafts[item.domain_id] = Draft(
                domain_id=item.domain_id,
                customer_name=item.customer_name,
                lines=[],
                recipient=recipient,
                issue_date=issue_date,
                due_date=due,
            )
        draft.lines.append(
            DraftLine(
                item_type=item.item_type,
                item_id=item.item_id,
                plan=item.plan,
                start_date=item.start_date,
                end_date=item.end_date,
                units=item.units,
                unit_price=item.unit_price,
                amount=item.amount,
            )
        )
    for draft in drafts.values():
        draft.per_rate = per_rate(draft.lines, rounding)
        draft.previous_total = (previous_totals or {}).get(draft.domain_id)
        draft.issued_number = (issued or {}).get(draft.domain_id)
        draft.blocked = blocked_reasons(draft, common)
    return list(drafts.values())


def blocked_reasons(draft: Draft, common: list[str]) -> list[str]:
    """Why the draft cannot be issued, in the active language: `common` (the partner's own details,
    `issuer_problems`), its recipient's details, the items the price book has no price for."""
    reasons = [*common, *recipient_problems(draft.recipient)]
    unpriced = sorted({line.description() for line in draft.lines if line.amount is None})
    if unpriced:
        reasons.append(gettext("The price book has no price for %(items)s.") % {"items": ", ".join(unpriced)})
    return reasons


def lines_written(draft: Draft) -> list[dict]:
    """The draft's lines as an issued invoice keeps them: each described in the invoice's language."""
    with translation.override(draft.language):
        return [
            {
                "description": line.description(),
                "item_type": line.item_type,
                "item_id": line.item_id,
                "plan": line.plan,
                "start_date": line.start_date.isoformat() if line.start_date else None,
                "end_date": line.end_date.isoformat() if line.end_date else None,
                "units": line.units,
                "unit_price": line.unit_price,
                "amount": line.amount,
                "tax_rate": line.tax_rate,
            }
            for line in draft.lines
        ]


# --- price edits ---------------------------------------------------------------------------------------


def editable(line: DraftLine) -> bool:
    """Whether Finance may change the line's unit price: only a price that comes from the price book (not an
    adjustment or a penalty passed on as billed, nor an item the book has no price for)."""
    return line.unit_price is not None and line.amount is not None


def apply_price_edits(
    found: Iterable[Draft], edits: Iterable[Mapping], *, year: int, month: int, rounding: str = "floor"
) -> None:
    """Put Finance's price edits (`DraftPriceEdit` rows as mappings) on the drafts: each edit sets the unit price
    of the draft's lines of its item and plan while the book still prices them at the edit's `book_price`, each
    line's amount prorated to its days as the book's is (`billing.rules.prorated`). An edit whose lines are gone
    or whose book price changed is not applied, and the draft says so (`Draft.stale_edits`)."""
    from billing.rules import month_bounds, prorated

    first, last = month_bounds(year, month)
    by_customer: dict[int, list[Mapping]] = {}
    for edit in edits:
        by_customer.setdefault(edit["domain_id"], []).append(edit)
    for draft in found:
        for edit in by_customer.get(draft.domain_id, ()):
            key = (edit["item_id"], edit["plan"])
            matching = [line for line in draft.lines if (line.item_id, line.plan) == key and editable(line)]
            name = _edit_name(edit)
            if not matching:
                draft.stale_edits.append(
                    gettext("Your price for %(item)s no longer applies: the month's items have none of it.")
                    % {"item": name}
                )
                continue
            book = matching[0].unit_price
            if any(line.unit_price != edit["book_price"] for line in matching):
                draft.stale_edits.append(
                    gettext(
                        "Your price for %(item)s no longer applies: the price book now says ¥%(now)s, not "
                        "¥%(then)s as when you changed it. Change it again if it still holds."
                    )
                    % {"item": name, "now": f"{book:,}", "then": f"{edit['book_price']:,}"}
                )
                continue
            draft.lines = [
                replace(
                    line,
                    unit_price=edit["unit_price"],
                    amount=prorated(
                        edit["unit_price"] * line.units,
                        line.start_date or first,
                        line.end_date or last,
                        year,
                        month,
                    ),
                    book_price=line.unit_price,
                )
                if (line.item_id, line.plan) == key and editable(line)
                else line
                for line in draft.lines
            ]
        if draft.domain_id in by_customer:
            draft.per_rate = per_rate(draft.lines, rounding)


def _edit_name(edit: Mapping) -> str:
    line = DraftLine(
        item_type="",
        item_id=edit["item_id"],
        plan=edit["plan"],
        start_date=None,
        end_date=None,
        units=0,
        unit_price=None,
        amount=None,
    )
    return line.description()
