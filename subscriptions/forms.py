"""Forms of the subscriptions pages: the list's filters and the scheduled-changes filters."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.core.formbase import PortalForm
from portal.core.lists import DateInput, customer_search_field
from portal.core.vocabulary import Plan, Product, RenewalType
from portal.core.vocabulary import SubscriptionStatus as Status
from subscriptions.selectors import NO_RENEWAL, SubscriptionFilters


def _choices(known: type, values: list[str] | None) -> list[tuple[str, str]]:
    """Known values first (translated), then any other value the cache holds, as it is."""
    labels = dict(known.choices)
    ordered = list(dict.fromkeys([*labels, *(v for v in values or [] if v)]))
    return [("", _("Any"))] + [(v, labels.get(v, v)) for v in ordered]


class SubscriptionFilterForm(PortalForm):
    """The filters of the subscriptions list, read from the query string (so a URL can be shared); the list
    machinery adds its sort and page size."""

    q = customer_search_field()
    product = forms.ChoiceField(label=_("Product"), required=False)
    plan = forms.ChoiceField(label=_("Plan"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=_choices(Status, None))
    trial_within = forms.IntegerField(
        label=_("Trial ends within (days)"), required=False, min_value=0, max_value=366
    )
    renewal_type = forms.ChoiceField(
        label=_("Renewal"),
        required=False,
        choices=_choices(RenewalType, None) + [(NO_RENEWAL, _("No renewal settings"))],
    )
    end_from = forms.DateField(label=_("Ends from"), required=False, widget=DateInput())
    end_to = forms.DateField(label=_("Ends until"), required=False, widget=DateInput())

    def __init__(self, *args, products: list[str] | None = None, plans: list[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].choices = _choices(Product, products)
        self.fields["plan"].choices = _choices(Plan, plans)

    def to_filters(self, data: dict) -> SubscriptionFilters:
        """The selector's filters from the form's valid values (`portal.core.lists.valid_data`)."""
        return SubscriptionFilters(
            q=data.get("q") or "",
            product=data.get("product") or "",
            plan=data.get("plan") or "",
            status=data.get("status") or "",
            trial_within_days=data.get("trial_within"),
            renewal_type=data.get("renewal_type") or "",
            end_from=data.get("end_from"),
            end_to=data.get("end_to"),
            owner=data.get("owner") or "",
            sort=data["sort"],
        )
