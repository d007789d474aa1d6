"""The customer list's filters (the change forms are in customers/forms_changes.py)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from customers.models import STATUS_CHOICES
from customers.selectors import CustomerFilters, Removed
from portal.core.formbase import PortalForm
from portal.core.lists import customer_search_field
from portal.core.vocabulary import Plan, Product


class CustomerFilterForm(PortalForm):
    """The filters of the customer list, read from the query string (so a URL can be shared); the list machinery
    adds its sort (chosen with the column headers, carried so that a new search keeps the order) and page size."""

    q = customer_search_field(_("Search"))
    product = forms.ChoiceField(label=_("Product"), required=False)
    plan = forms.ChoiceField(label=_("Plan"), required=False, choices=[("", _("Any"))] + Plan.choices)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any")), *STATUS_CHOICES],
    )
    trial_within = forms.IntegerField(
        label=_("Trial ends within (days)"), required=False, min_value=0, max_value=366
    )
    scheduled = forms.BooleanField(label=_("Has scheduled changes"), required=False)
    removed = forms.ChoiceField(
        label=_("Removed customers"),
        required=False,
        choices=[
            (Removed.EXCLUDE, _("Hide")),
            (Removed.INCLUDE, _("Show too")),
            (Removed.ONLY, _("Only removed")),
        ],
    )

    def __init__(self, *args, products: list[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        known = dict(Product.choices)
        values = list(dict.fromkeys([*known, *(products or [])]))
        self.fields["product"].choices = [("", _("Any"))] + [(v, known.get(v, v)) for v in values]

    def to_filters(self, data: dict) -> CustomerFilters:
        """The selector's filters from the form's valid values (`portal.core.lists.valid_data`)."""
        return CustomerFilters(
            q=data.get("q") or "",
            product=data.get("product") or "",
            plan=data.get("plan") or "",
            status=data.get("status") or "",
            trial_within_days=data.get("trial_within"),
            scheduled=bool(data.get("scheduled")),
            removed=data.get("removed") or Removed.EXCLUDE,
            sort=data["sort"],
        )
