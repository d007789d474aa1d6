"""Forms of the invoicing pages: the partner's billing details and a customer's (the portal's own data: plain
validated forms, saved at once and audited, as a customer's owner is)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from billing.templatetags.billing import yen
from invoicing import rules
from invoicing.models import InvoiceLanguage, PaymentTerms
from portal.core.formbase import PortalForm
from portal.core.lists import DateInput


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

    def clean_registration_number(self) -> str:
        # Full-width digits and a lower-case t are what people paste; the stored form is T and ASCII digits.
        value = (self.cleaned_data.get("registration_number") or "").strip().upper()
        return value.translate({0xFF10 + n: ord("0") + n for n in range(10)} | {0xFF34: ord("T")})

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
