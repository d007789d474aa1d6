"""Forms of the invoicing pages: the partner's billing details and a customer's (the portal's own data: plain
validated forms, saved at once and audited, as a customer's owner is)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from invoicing import rules
from invoicing.models import InvoiceLanguage, PaymentTerms
from portal.core.formbase import PortalForm


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
