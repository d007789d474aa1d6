"""Forms of the customers pages: the list's filters, and the lifecycle forms with the contract's rules."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from customers.models import Customer
from customers.selectors import DEFAULT_PAGE_SIZE, DEFAULT_SORT, PAGE_SIZES, SORTS, CustomerFilters, Removed

SORT_LABELS = {
    "company": _("Company"),
    "domain": _("Domain"),
    "domain_id": _("domainId"),
    "code": _("Customer code"),
    "members": _("Members"),
    "max_users": _("Maximum users"),
    "trial": _("Trial ends"),
    "synced": _("Last synced"),
}


def _sort_choices():
    out = []
    for key in SORTS:
        out.append((key, SORT_LABELS[key]))
        out.append((f"-{key}", _("%(label)s (descending)") % {"label": SORT_LABELS[key]}))
    return out


class CustomerFilterForm(forms.Form):
    """The whole state of the customer list, read from the query string (so a URL can be shared)."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": _("Company, domain, customer code or domainId"),
                "autocomplete": "off",
            }
        ),
    )
    plan = forms.ChoiceField(label=_("Plan"), required=False)
    contract_type = forms.ChoiceField(
        label=_("Contract type"), required=False, choices=[("", _("Any"))] + Customer.ContractType.choices
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any"))] + Customer.UsageState.choices
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
    sort = forms.ChoiceField(label=_("Sort by"), required=False)
    per_page = forms.TypedChoiceField(
        label=_("Per page"),
        required=False,
        coerce=int,
        empty_value=DEFAULT_PAGE_SIZE,
        choices=[(n, str(n)) for n in PAGE_SIZES],
    )

    def __init__(self, *args, plans: list[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        known = dict(Customer.Plan.choices)
        values = list(dict.fromkeys([*known, *(plans or [])]))
        self.fields["plan"].choices = [("", _("Any"))] + [(v, known.get(v, v)) for v in values]
        self.fields["sort"].choices = _sort_choices()

    def to_filters(self) -> CustomerFilters:
        """The filters; invalid parameters are ignored rather than failing the page."""
        data = (
            self.cleaned_data
            if self.is_valid()
            else {k: v for k, v in getattr(self, "cleaned_data", {}).items() if k not in self.errors}
        )
        return CustomerFilters(
            q=data.get("q") or "",
            plan=data.get("plan") or "",
            contract_type=data.get("contract_type") or "",
            status=data.get("status") or "",
            trial_within_days=data.get("trial_within"),
            scheduled=bool(data.get("scheduled")),
            removed=data.get("removed") or Removed.EXCLUDE,
            sort=data.get("sort") or DEFAULT_SORT,
        )

    @property
    def per_page_value(self) -> int:
        if self.is_valid() and self.cleaned_data.get("per_page"):
            return self.cleaned_data["per_page"]
        return DEFAULT_PAGE_SIZE
