"""The rules of the partner's own invoices, as pure functions: the registration number of the Qualified Invoice
System, the consumption tax per rate, the due date of the payment terms.

**Registration number** (適格請求書発行事業者の登録番号): `T` and 13 digits. A corporation's 13 digits are its
corporate number (法人番号), whose first digit is a check digit computed from the other twelve (the base
number) by the Ministry of Finance's ordinance on corporate numbers (平成二十六年財務省令第七十号, article 2):
with Pn the n-th digit of the base number counted from its last digit and Qn = 1 for odd n and 2 for even n,
the check digit is 9 - ((the sum of Pn x Qn) mod 9), so always 1 to 9. A sole proprietor's number is assigned
by the National Tax Agency and is not a corporate number: only its form is checked.

**Tax per rate**: a qualified invoice states, per tax rate, the total of the items at that rate and the
consumption tax on that total, rounded once per invoice and per rate (never per line). How the fraction of a
yen is rounded is the setting `INVOICE_TAX_ROUNDING` (down by default, as most Japanese businesses do).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

from django.utils.translation import gettext

#: The standard consumption tax rate (%). Each line keeps its own rate, so a reduced rate (8 %) can join it.
STANDARD_RATE = 10
#: The ways a fraction of a yen of tax may be rounded (the setting `INVOICE_TAX_ROUNDING`).
ROUNDINGS = {"floor": ROUND_FLOOR, "half_up": ROUND_HALF_UP, "ceiling": ROUND_CEILING}

_REGISTRATION = re.compile(r"T([0-9]{13})")  # ASCII digits only (\d would take full-width ones)


def corporate_check_digit(base: str) -> int:
    """The check digit of a corporate number whose other twelve digits are `base` (its first digit)."""
    if len(base) != 12 or not base.isascii() or not base.isdigit():
        raise ValueError("a corporate number's base is twelve digits")
    total = sum(int(digit) * (1 if n % 2 else 2) for n, digit in enumerate(reversed(base), start=1))
    return 9 - total % 9


def registration_number_problem(number: str, *, corporation: bool) -> str:
    """Why `number` is not a registration number ("" when it is one): `T` and 13 digits, and for a
    corporation a first digit that is its corporate number's check digit."""
    found = _REGISTRATION.fullmatch(number)
    if found is None:
        return gettext("Write the registration number as T and 13 digits, for example T1234567890123.")
    digits = found.group(1)
    if corporation and int(digits[0]) != corporate_check_digit(digits[1:]):
        return gettext(
            "These 13 digits are not a corporate number: its first digit, the check digit, would be %(digit)d. "
            "Check the number on the National Tax Agency's register."
        ) % {"digit": corporate_check_digit(digits[1:])}
    return ""


def tax_for_rate(amount: int, rate: int, rounding: str = "floor") -> int:
    """The consumption tax on the total of a rate's amounts, rounded once (`ROUNDINGS`)."""
    tax = Decimal(amount) * Decimal(rate) / 100
    return int(tax.to_integral_value(rounding=ROUNDINGS[rounding]))


#: Payment terms: the due date after the invoice's date.
END_OF_NEXT_MONTH = "end_of_next_month"
TERMS_DAYS = {"days_10": 10, "days_14": 14, "days_30": 30, "days_60": 60}


def due_date(issued: dt.date, terms: str) -> dt.date:
    """When an invoice dated `issued` is due under `terms` (the end of the next month, or a number of days)."""
    if terms == END_OF_NEXT_MONTH:
        year, month = issued.year + (issued.month == 12), issued.month % 12 + 1
        return dt.date(year, month, calendar.monthrange(year, month)[1])
    return issued + dt.timedelta(days=TERMS_DAYS[terms])


def month_before(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


#: What a month's drafts are made from (`draft_basis`).
FROM_INVOICE = "invoice"  # LINE WORKS' invoice for the month, priced by the price book
FROM_ESTIMATE = "estimate"  # the month's estimate, priced by the price book
NOT_BEGUN = "not_begun"  # nothing yet: a partner that bills in advance bills a month once it has begun


def draft_basis(*, in_advance: bool, year: int, month: int, today: dt.date) -> str:
    """What the drafts of a month are made from. Billing after LINE WORKS' invoice: that invoice, always (a month
    it has not invoiced has no drafts). Billing in advance: the running month from its estimate; a month that has
    ended from LINE WORKS' invoice (the months before the partner switched, and a customer not billed at the
    month's start is billed after it, for what LINE WORKS invoiced; a corrected invoice of a month billed in
    advance is made from it too); a month not begun yet, nothing: its estimate moves with every change until it
    begins, and its invoices are issued from its first day."""
    if not in_advance:
        return FROM_INVOICE
    running = (today.year, today.month)
    if (year, month) == running:
        return FROM_ESTIMATE
    return FROM_INVOICE if (year, month) < running else NOT_BEGUN


# --- how the partner writes its invoice numbers -------------------------------------------------------------

#: The placeholders of a number format: the number (zero-padded to N digits with {number:N}), and the year and
#: month of the document's date. Anything else is written as it stands.
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_NUMBER = re.compile(r"number(?::([0-9]{1,2}))?")
#: The widest zero-padding offered: a number is at most 19 digits.
NUMBER_WIDTH_MAX = 19
NUMBER_FORMAT_MAX = 40


def number_format_problem(written: str) -> str:
    """Why `written` is not a number format the portal can write ("" when it is one, the empty one included:
    the number alone). It holds {number} (or {number:N}, N digits at most `NUMBER_WIDTH_MAX`) exactly once,
    may hold {year} and {month}, and no other brace or control character."""
    if not written:
        return ""
    if len(written) > NUMBER_FORMAT_MAX:
        return gettext("Write the number format in at most %(most)d characters.") % {
            "most": NUMBER_FORMAT_MAX
        }
    if any(not ch.isprintable() for ch in written):
        return gettext("The number format has a character that cannot be printed: write it again.")
    numbers = 0
    for found in _PLACEHOLDER.finditer(written):
        name = found.group(1)
        number = _NUMBER.fullmatch(name)
        if number is not None:
            if number.group(1) is not None and not 1 <= int(number.group(1)) <= NUMBER_WIDTH_MAX:
                return gettext("%(placeholder)s: the number is padded to 1 to %(most)d digits.") % {
                    "placeholder": found.group(0),
                    "most": NUMBER_WIDTH_MAX,
                }
            numbers += 1
        elif name not in ("year", "month"):
            return gettext(
                "%(placeholder)s is not a placeholder: use {number}, {number:6}, {year} or {month}."
            ) % {"placeholder": found.group(0)}
    outside = _PLACEHOLDER.sub("", written)
    if "{" in outside or "}" in outside:
        return gettext("A { or } without its pair: placeholders are written {number}, {year} or {month}.")
    if numbers == 0:
        return gettext("The number format must hold the number: {number}, or {number:6} for six digits.")
    if numbers > 1:
        return gettext("The number format holds {number} once.")
    return ""


def number_written(written: str, number: int, *, year: int, month: int) -> str:
    """The document number as the partner writes it (`written`, a format `number_format_problem` accepts; empty
    or not accepted: the number alone)."""
    if not written or number_format_problem(written):
        return str(number)

    def placeholder(found: re.Match) -> str:
        name = found.group(1)
        if name == "year":
            return f"{year:04d}"
        if name == "month":
            return f"{month:02d}"
        width = _NUMBER.fullmatch(name).group(1)  # type: ignore[union-attr]
        return str(number).zfill(int(width)) if width else str(number)

    return _PLACEHOLDER.sub(placeholder, written)


def debit_date_problem(day: dt.date, *, today: dt.date) -> str:
    """Why the bank cannot debit on `day` ("" when it can): a debit date is after today, on a day the banks are
    open (not a weekend, a national holiday nor 31 December to 3 January: `invoicing.bank.holidays`)."""
    from invoicing.bank import holidays

    if day <= today:
        return gettext("The debit date is a day after today.")
    try:
        closed = holidays.bank_holiday(day)
    except holidays.OutsideCalendar:
        return gettext("The debit date is too far ahead.")
    if closed:
        return gettext("The banks are closed on %(day)s: the next day they are open is %(next)s.") % {
            "day": day.isoformat(),
            "next": holidays.next_business_day(day).isoformat(),
        }


#: A payment reminder's step comes 1 to 365 days after the invoice's due date.
REMINDER_DAYS_MIN, REMINDER_DAYS_MAX = 1, 365


def reminder_days_problem(days: list[int]) -> str:
    """What is wrong with the reminders' schedule whose steps come `days` after the due date, in order (empty:
    nothing): each within 1..365, no two the same, each later than the one before."""
    if any(not REMINDER_DAYS_MIN <= d <= REMINDER_DAYS_MAX for d in days):
        return gettext("A step comes 1 to 365 days after the due date.")
    if len(set(days)) != len(days):
        return gettext("Two steps cannot come the same number of days after the due date.")
    if days != sorted(days):
        return gettext("Each step comes later than the one before it.")
    return ""
