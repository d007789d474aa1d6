"""Forms of the options pages: the list's filters."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from options import rules
from options.selectors import NO_RENEWAL, PAID, TRIAL, OptionFilters
from portal.core.formbase import PortalForm
from portal.core.lists import DateInput, customer_search_field
from portal.core.vocabulary import OptionProduct, OptionRenewalType


class OptionFilterForm(PortalForm):
    """The filters of the Options list, read from the query string; the list machinery adds sort and size."""

    q = customer_search_field()
    option = forms.ChoiceField(
        label=_("Option"), required=False, choices=[("", _("Any"))] + OptionProduct.choices
    )
    sub_option = forms.ChoiceField(
        label=_("Sub option"),
        required=False,
        choices=[("", _("Any"))] + [(k, s.label) for k, s in rules.SUB_OPTIONS.items()],
    )
    trial = forms.ChoiceField(
        label=_("Trial or paid"),
        required=False,
        choices=[
            ("", _("Any")),
            (TRIAL, _("Trial")),
            (PAID, pgettext_lazy("an option not on Trial", "Paid")),
        ],
    )
    renewal_type = forms.ChoiceField(
        label=_("Renewal"),
        required=False,
        choices=[("", _("Any")), *OptionRenewalType.choices, (NO_RENEWAL, _("No renewal settings"))],
    )
    end_from = forms.DateField(label=_("Ends from"), required=False, widget=DateInput())
    end_to = forms.DateField(label=_("Ends until"), required=False, widget=DateInput())

    def to_filters(self, data: dict) -> OptionFilters:
        return OptionFilters(
            q=data.get("q") or "",
            option=data.get("option") or "",
            sub_option=data.get("sub_option") or "",
            trial=data.get("trial") or "",
            renewal_type=data.get("renewal_type") or "",
            end_from=data.get("end_from"),
            end_to=data.get("end_to"),
            owner=data.get("owner") or "",
            sort=data["sort"],
        )
