"""Forms of the invoicing pages: the partner's billing details and a customer's (the portal's own data: plain
validated forms, saved at once and audited, as a customer's owner is)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from billing.templatetags.billing import yen
from invoicing import rules
from invoicing.models import BillingBasis, DocumentKind, InvoiceLanguage, PaymentTerms, ReminderTone
from invoicing.selectors import (
    DRAFT_BLOCKED,
    DRAFT_ISSUED,
    DRAFT_READY,
    SEND_FAILED,
    SEND_NOT_SENT,
    SEND_SENT,
    IssuedFilters,
    MonthIssuedFilters,
)
from portal.core import clock
from portal.core.changes.forms import ChangeForm
from portal.core.formbase import PortalForm
from portal.core.lists import DateInput, customer_search_field


class IssuerDetailsForm(PortalForm):
    registered_name = forms.CharField(label=_("Registered name"), max_length=200)
    address = forms.CharField(label=_("Address"), max_length=400, widget=forms.Textarea(attrs={"rows": 3}))
    corporation = forms.BooleanField(
        label=_("A corporation"),
        required=False,
        help_text=_(
            "A corporation's registration number is its corporate number, whose check digit is checked."
        ),
    )
    registration_number = forms.CharField(
        label=_("Registration number"),
        max_length=14,
        help_text=_("The number of the Qualified Invoice System: T and 13 digits."),
    )
    bank_account = forms.CharField(
        label=_("Bank account"),
        max_length=400,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Bank, branch, account type, number and holder, as the invoice shows them."),
    )
    payment_terms = forms.ChoiceField(label=_("Payment terms"), choices=PaymentTerms.choices)
    number_format = forms.CharField(
        label=_("Invoice number format"),
        max_length=rules.NUMBER_FORMAT_MAX,
        required=False,
        help_text=_(
            "How invoices and credit notes write their number: {number} the number, {number:6} the number in "
            "six digits, {year} and {month} those of the invoice date; for example INV-{year}-{number:6}. "
            "Empty: the number alone. An issued document keeps the number it was issued with."
        ),
    )
    sender_name = forms.CharField(
        label=_("Sender name of the invoice e-mail"),
        max_length=100,
        required=False,
        help_text=_("The name customers see the invoice e-mail come from. Empty: the registered name."),
    )
    reply_to = forms.EmailField(
        label=_("Reply-to address"),
        max_length=254,
        required=False,
        help_text=_(
            "Where customers' replies to the invoice e-mail go, for example your billing team's address."
        ),
    )
    billing_basis = forms.ChoiceField(
        label=_("Bill customers"),
        choices=BillingBasis.choices,
        initial=BillingBasis.AFTER_INVOICE,
        widget=forms.RadioSelect,
        help_text=_(
            "In advance: each month's invoices are made at its start from the month's estimate, before LINE "
            "WORKS invoices it."
        ),
    )

    def clean_registration_number(self) -> str:
        # Full-width digits and a lower-case t are what people paste; the stored form is T and ASCII digits.
        value = (self.cleaned_data.get("registration_number") or "").strip().upper()
        return value.translate({0xFF10 + n: ord("0") + n for n in range(10)} | {0xFF34: ord("T")})

    def clean_number_format(self) -> str:
        written = (self.cleaned_data.get("number_format") or "").strip()
        problem = rules.number_format_problem(written)
        if problem:
            raise forms.ValidationError(problem)
        return written

    def clean_sender_name(self) -> str:
        # A header's name: no line breaks or control characters (a Textarea is not offered, but a post may hold them).
        name = " ".join((self.cleaned_data.get("sender_name") or "").split())
        if any(not ch.isprintable() for ch in name):
            raise forms.ValidationError(
                _("The sender name has a character that cannot be written in an e-mail.")
            )
        return name

    def clean(self):
        data = super().clean()
        number = data.get("registration_number")
        if number is not None:
            problem = rules.registration_number_problem(number, corporation=bool(data.get("corporation")))
            if problem:
                self.add_error("registration_number", problem)
        return data


class CustomerBillingForm(PortalForm):
    billed = forms.BooleanField(
        label=_("Bill this customer"),
        required=False,
        help_text=_("Untick for a customer the partner does not invoice: it gets no draft."),
    )
    bill_to_name = forms.CharField(label=_("Name to bill"), max_length=200, required=False)
    bill_to_address = forms.CharField(
        label=_("Address to bill"), max_length=400, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    invoice_email = forms.EmailField(label=_("E-mail for invoices"), max_length=254, required=False)
    language = forms.ChoiceField(label=_("Language of the invoice"), choices=InvoiceLanguage.choices)

    def clean(self):
        data = super().clean()
        if data.get("billed"):
            for name in ("bill_to_name", "bill_to_address"):
                if name in data and not (data.get(name) or "").strip():
                    self.add_error(name, _("A billed customer needs this on its invoice."))
        return data


# --- corrections ---------------------------------------------------------------------------------------


class CreditNoteForm(ChangeForm):
    """A credit note of an issued invoice: how much of each line to credit (whole yen, tax excluded, at most
    what is left on it), the date of the return or discount, a note printed for the customer, and a reason for
    the activity log (never printed)."""

    return_date = forms.DateField(
        label=_("Date of the return"),
        widget=DateInput(),
        help_text=_("When the goods were returned or the discount agreed; today or earlier."),
    )
    customer_note = forms.CharField(
        label=_("Note to the customer"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Optional; printed on the credit note the customer receives."),
    )

    field_order = ["return_date", "customer_note", "reason", "idempotency_key"]

    def __init__(self, data=None, *args, lines, left, **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("return_date", clock.today())
        super().__init__(data, *args, **kwargs)
        # The reason is the activity log's: said beside the note the customer reads.
        self.fields["reason"].help_text = _(
            "Optional; kept in the activity log, never printed on the credit note."
        )
        lines_fields = {}
        for index, (line, most) in enumerate(zip(lines, left, strict=True)):
            if most <= 0:
                continue
            lines_fields[f"line_{index}"] = forms.IntegerField(
                label=line.get("description") or "",
                required=False,
                min_value=0,
                max_value=most,
                initial=most,
                help_text=_("Yen, tax excluded; at most %(most)s left on this line.") % {"most": f"{most:,}"},
            )
        self.fields = {**lines_fields, **self.fields}

    def clean_return_date(self):
        day = self.cleaned_data["return_date"]
        if day > clock.today():
            raise forms.ValidationError(_("The date of the return cannot be in the future."))
        return day

    def clean(self):
        data = super().clean()
        if not any(data.get(name) for name in self.fields if name.startswith("line_")) and not any(
            name.startswith("line_") and name in self.errors for name in self.fields
        ):
            raise forms.ValidationError(_("Nothing is credited: give an amount on at least one line."))
        return data

    def credits(self) -> dict[int, int]:
        return {
            int(name.removeprefix("line_")): value
            for name, value in self.cleaned_data.items()
            if name.startswith("line_") and value
        }


# --- the issued-invoice search -------------------------------------------------------------------------


class SendAgainForm(ChangeForm):
    """Sending an invoice sent already once more: the confirmation carries what it showed (the address and how
    many times it was sent), so a second user's or a double click's request sends nothing more, and a reason
    for the activity log (the customer lost it, its address was put right)."""

    to = forms.EmailField(widget=forms.HiddenInput, max_length=254)
    times_sent = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=32_000)

    field_order = ["reason", "to", "times_sent", "idempotency_key"]


class IssuedFilterForm(PortalForm):
    """The search of issued invoices: customer, issue date range, total range and kind, read from the query
    string (a URL can be shared); the list machinery adds its sort and page size."""

    q = customer_search_field()
    issued_from = forms.DateField(label=_("Issued from"), required=False, widget=DateInput())
    issued_to = forms.DateField(label=_("Issued until"), required=False, widget=DateInput())
    total_min = forms.IntegerField(
        label=_("Total from (JPY)"), required=False, min_value=-(10**12), max_value=10**12
    )
    total_max = forms.IntegerField(
        label=_("Total up to (JPY)"), required=False, min_value=-(10**12), max_value=10**12
    )
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("Any")), *DocumentKind.choices])

    def to_filters(self, data: dict) -> IssuedFilters:
        return IssuedFilters(
            q=data.get("q") or "",
            issued_from=data.get("issued_from"),
            issued_to=data.get("issued_to"),
            total_min=data.get("total_min"),
            total_max=data.get("total_max"),
            kind=data.get("kind") or "",
            sort=data["sort"],
        )


class DraftFilterForm(PortalForm):
    """The month's drafts by state (ready to issue, blocked, issued), read from the query string; the list
    machinery adds its page size."""

    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[
            ("", _("Any")),
            (DRAFT_READY, _("Ready")),
            (DRAFT_BLOCKED, _("Blocked")),
            (DRAFT_ISSUED, _("Issued")),
        ],
    )

    def to_filters(self, data: dict) -> str:
        return data.get("state") or ""


class MonthIssuedFilterForm(PortalForm):
    """The month's issued invoices by whether each went out (not sent yet, failed, sent) and by customer, read
    from the query string; the list machinery adds its page size."""

    q = customer_search_field()
    sending = forms.ChoiceField(
        label=_("By e-mail"),
        required=False,
        choices=[
            ("", _("Any")),
            (SEND_NOT_SENT, _("Not sent yet")),
            (SEND_FAILED, _("Failed")),
            (SEND_SENT, _("Sent")),
        ],
    )

    def to_filters(self, data: dict) -> MonthIssuedFilters:
        return MonthIssuedFilters(q=data.get("q") or "", sending=data.get("sending") or "", sort=data["sort"])


# --- price edits on drafts -----------------------------------------------------------------------------


class DraftPricesForm(PortalForm):
    """The unit prices of one draft that come from the price book, each changeable: whole yen, not negative;
    left empty, the price book's. `groups`: (key, description, book price, price now) of each item and plan."""

    keys = forms.CharField(widget=forms.HiddenInput, max_length=4000)

    def __init__(self, data=None, *args, groups, **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"]["keys"] = self.keys_of(groups)
        super().__init__(data, *args, **kwargs)
        self.groups = groups
        for index, (_key, description, book, now) in enumerate(groups):
            name = f"price_{index}"
            self.fields[name] = forms.IntegerField(
                label=description,
                required=False,
                min_value=0,
                max_value=10**9,
                help_text=_("Price book: %(book)s yen a month. Leave empty for the price book's price.")
                % {"book": f"{book:,}"},
            )
            if now != book:
                self.initial.setdefault(name, now)

    @staticmethod
    def keys_of(groups) -> str:
        return ",".join(f"{key[0]}:{key[1]}" for key, *_rest in groups)

    def clean(self):
        data = super().clean()
        if data.get("keys") is not None and data["keys"] != self.keys_of(self.groups):
            raise forms.ValidationError(
                _("The draft's items changed meanwhile: check the prices below and save again.")
            )
        return data

    def prices(self) -> list[tuple[tuple[str, str], int, int | None]]:
        """(key, book price, price chosen or None for the book's) of each item and plan."""
        return [
            (key, book, self.cleaned_data.get(f"price_{index}"))
            for index, (key, _description, book, _now) in enumerate(self.groups)
        ]


class PaymentForm(PortalForm):
    """A payment received for an issued invoice: how much and when; never more than the invoice still owes."""

    amount = forms.IntegerField(
        label=_("Amount received (yen)"),
        min_value=1,
        max_value=10**12,
        help_text=_("All of what is owed, or part of it."),
    )
    paid_on = forms.DateField(label=_("Date paid"), widget=DateInput())

    def __init__(self, *args, owed: int, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.owed, self.today = owed, today

    def clean_amount(self) -> int:
        amount = self.cleaned_data["amount"]
        if amount > self.owed:
            raise forms.ValidationError(
                _("That is more than the invoice still owes (%(owed)s)."), params={"owed": yen(self.owed)}
            )
        return amount

    def clean_paid_on(self):
        day = self.cleaned_data["paid_on"]
        if day > self.today:
            raise forms.ValidationError(_("The date paid cannot be in the future."))
        return day


# --- records as the law asks --------------------------------------------------------------------------


class RecordsExportForm(IssuedFilterForm):
    """The tax officer's export: the issued-invoice search's keys (customer, issue date range, total range), all
    optional: none selects every document issued (the way out of the portal). The language is the index's
    header's; the written rules are Japanese."""

    kind = None  # type: ignore[assignment]  # every kind: a selection by period, customer and amount
    language = forms.ChoiceField(
        label=_("Language of the index"), choices=InvoiceLanguage.choices, initial=InvoiceLanguage.JA
    )

    def clean(self):
        data = super().clean()
        since, until = data.get("issued_from"), data.get("issued_to")
        if since and until and since > until:
            self.add_error("issued_to", _("The end of the period is before its start."))
        low, high = data.get("total_min"), data.get("total_max")
        if low is not None and high is not None and low > high:
            self.add_error("total_max", _("The highest total is below the lowest."))
        return data

    def filters(self) -> IssuedFilters:
        return self.to_filters({**self.cleaned_data, "sort": "date"})


class StatementForm(PortalForm):
    """A customer's statement of account: its period, read from the query string (a URL can be shared); left
    empty, the twelve months to today (from the first day of the month eleven months back)."""

    start = forms.DateField(label=_("From"), required=False, widget=DateInput())
    end = forms.DateField(label=_("Until"), required=False, widget=DateInput())

    def clean(self):
        data = super().clean()
        end = data.get("end") or clock.today()
        start = data.get("start") or statement_start(end)
        if start > end:
            self.add_error("end", _("The end of the period is before its start."))
        data["start"], data["end"] = start, end
        return data


def statement_start(end):
    """The first day of the month eleven months before `end`'s: twelve months of statement."""
    months = end.year * 12 + end.month - 1 - 11
    return end.replace(year=months // 12, month=months % 12 + 1, day=1)


# --- bank statements (入金消込) ---------------------------------------------------------------------------


class BankImportForm(PortalForm):
    """A bank file to import: the Zengin statement as the bank sends it, or a CSV read by one bank's layout."""

    file = forms.FileField(label=_("Bank file"))
    layout = forms.ChoiceField(label=_("Layout"))

    def __init__(self, *args, mappings=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["layout"].choices = [("zengin", _("Zengin statement (全銀 入出金明細, 種別 03)"))] + [
            (str(m.pk), _("CSV of %(bank)s") % {"bank": m.name}) for m in mappings
        ]

    def mapping_id(self) -> int | None:
        layout = self.cleaned_data["layout"]
        return None if layout == "zengin" else int(layout)


class BankMatchForm(PortalForm):
    """The invoice a bank line pays: the one proposed, or another by its number."""

    number = forms.IntegerField(label=_("Invoice No."), min_value=1, max_value=10**15)


class BankExplainForm(PortalForm):
    """Why a bank line pays no invoice."""

    explanation = forms.ChoiceField(label=_("Why"))
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        from invoicing.models import BankLine

        super().__init__(*args, **kwargs)
        self.fields["explanation"].choices = BankLine.Explanation.choices


def _columns(value: str) -> str:
    parts = [part.strip() for part in value.split(",") if part.strip()]
    if any(not part.isdigit() or not 1 <= int(part) <= 200 for part in parts):
        raise forms.ValidationError(_("Column numbers from 1, separated by commas."))
    return ",".join(parts)


class BankCsvMappingForm(PortalForm):
    """Which column of one bank's CSV holds what (numbered from 1): kept once per bank."""

    name = forms.CharField(label=_("Bank"), max_length=100)
    skip_rows = forms.IntegerField(label=_("Heading rows to skip"), min_value=0, max_value=20, initial=1)
    date_column = forms.IntegerField(label=_("Date column"), min_value=1, max_value=200)
    credit_column = forms.IntegerField(label=_("Amount received column"), min_value=1, max_value=200)
    debit_column = forms.IntegerField(
        label=_("Amount paid out column"),
        min_value=1,
        max_value=200,
        required=False,
        help_text=_("When the bank writes payments out in a column of their own; leave empty otherwise."),
    )
    payer_column = forms.IntegerField(label=_("Payer's name column"), min_value=1, max_value=200)
    memo_columns = forms.CharField(
        label=_("Memo columns"),
        max_length=40,
        required=False,
        help_text=_("Where an invoice number may be written, e.g. 5 or 5,6."),
    )
    delimiter = forms.ChoiceField(
        label=_("Separator"), choices=[(",", _("Comma")), ("\t", _("Tab"))], initial=","
    )

    def clean_memo_columns(self) -> str:
        return _columns(self.cleaned_data.get("memo_columns") or "")


# --- direct debit (口座振替) --------------------------------------------------------------------------------


def _digits(label, width: int, *, exact: bool = True, required: bool = True, help_text=""):
    pattern = rf"^[0-9]{{{width}}}$" if exact else rf"^[0-9]{{1,{width}}}$"
    return forms.RegexField(
        label=label,
        regex=pattern,
        max_length=width,
        required=required,
        help_text=help_text,
        error_messages={
            "invalid": _("%(n)s digits.") % {"n": width} if exact else _("Up to %(n)s digits.") % {"n": width}
        },
    )


class DebitAccountForm(PortalForm):
    """The account a customer's invoices are collected from by direct debit, as on the bank's authorisation."""

    bank_code = _digits(_("Bank code"), 4)
    branch_code = _digits(_("Branch code"), 3)
    deposit_kind = forms.ChoiceField(label=_("Deposit kind"))
    account_number = _digits(_("Account number"), 7)
    holder = forms.CharField(
        label=_("Account holder"),
        max_length=60,
        help_text=_("In kana as the bank has it, e.g. ﾔﾏﾀﾞｼｮｳｼﾞ(ｶ; full-width kana is made half-width."),
    )
    customer_number = _digits(
        _("Customer number"),
        20,
        exact=False,
        required=False,
        help_text=_("The number the bank registered the authorisation under; empty: the invoice number."),
    )
    new = forms.BooleanField(
        label=_("First debit"),
        required=False,
        help_text=_("Ticked until a first debit from this account is collected."),
    )
    active = forms.BooleanField(
        label=_("Collect this customer's invoices by direct debit"), required=False, initial=True
    )

    def __init__(self, *args, **kwargs):
        from invoicing.models import DepositKind

        super().__init__(*args, **kwargs)
        self.fields["deposit_kind"].choices = DepositKind.choices

    def clean_holder(self) -> str:
        from invoicing.bank.kana import zengin_name, zengin_refused

        holder = zengin_name(self.cleaned_data["holder"])
        refused = zengin_refused(holder)
        if refused:
            raise forms.ValidationError(
                _("A bank account's name has no %(chars)s: write it in kana, letters and digits."),
                params={"chars": " ".join(refused)},
            )
        if not holder or len(holder) > 30:
            raise forms.ValidationError(_("Up to 30 half-width characters."))
        return holder


class DebitDateForm(PortalForm):
    """The day the bank debits the customers' accounts."""

    debit_date = forms.DateField(label=_("Debit date"), widget=DateInput())

    def clean_debit_date(self):
        day = self.cleaned_data["debit_date"]
        problem = rules.debit_date_problem(day, today=clock.today())
        if problem:
            raise forms.ValidationError(problem)
        return day


class DebitRunForm(DebitDateForm):
    """A run: the debit date and the invoices chosen (by number)."""

    numbers = forms.TypedMultipleChoiceField(
        label=_("Invoices"),
        coerce=int,
        error_messages={
            "required": _("Choose at least one invoice to debit."),
            "invalid_choice": _(
                "Some of the invoices chosen cannot be debited now (paid, or in another run): look again."
            ),
        },
    )

    def __init__(self, *args, numbers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["numbers"].choices = [(n, str(n)) for n in numbers]


class DebitResultForm(PortalForm):
    """The bank's result file of a run (振替結果データ)."""

    file = forms.FileField(label=_("Result file"))


# --- payment reminders ---------------------------------------------------------------------------------


class ReminderStepsForm(PortalForm):
    """The payment reminders' schedule: for each of its three steps, whether it is on, how many days after the
    due date it comes (1 to 365, each step later than the one before) and its mail's wording."""

    STEPS = (1, 2, 3)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for position in self.STEPS:
            self.fields[f"enabled_{position}"] = forms.BooleanField(
                label=_("Step %(step)s: on") % {"step": position}, required=False
            )
            self.fields[f"days_{position}"] = forms.IntegerField(
                label=_("Step %(step)s: days after the due date") % {"step": position},
                min_value=rules.REMINDER_DAYS_MIN,
                max_value=rules.REMINDER_DAYS_MAX,
            )
            self.fields[f"tone_{position}"] = forms.ChoiceField(
                label=_("Step %(step)s: wording") % {"step": position}, choices=ReminderTone.choices
            )

    def clean(self):
        data = super().clean()
        days = [data.get(f"days_{position}") for position in self.STEPS]
        if all(d is not None for d in days):
            problem = rules.reminder_days_problem(days)
            if problem:
                raise forms.ValidationError(problem)
        return data

    def steps(self) -> list[dict]:
        d = self.cleaned_data
        return [
            {"days": d[f"days_{p}"], "enabled": d[f"enabled_{p}"], "tone": d[f"tone_{p}"]} for p in self.STEPS
        ]


class ReminderPauseForm(PortalForm):
    """A customer's payment reminders paused, with why (in dispute, a payment plan agreed...), or resumed."""

    paused = forms.BooleanField(label=_("Pause payment reminders to this customer"), required=False)
    reason = forms.CharField(
        label=_("Why"),
        max_length=200,
        required=False,
        help_text=_("For example: in dispute, a payment plan agreed. Shown on its invoices' pages."),
    )

    def clean(self):
        data = super().clean()
        if data.get("paused") and not data.get("reason"):
            self.add_error("reason", _("Say why the reminders are paused."))
        return data


class ReminderSendForm(PortalForm):
    """The confirmation of "send a reminder now": the step it showed, so an old page sends nothing."""

    step = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=3)
