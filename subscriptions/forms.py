"""Forms of the subscriptions pages: the list's filters and the scheduled-changes filters."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.core.formbase import PortalForm
from portal.core.lists import DateInput, customer_search_field
from portal.core.vocabulary import Plan, Product, RenewalType
from portal.core.vocabulary import SubscriptionStatus as Status
from subscriptions.selectors import NO_RENEWAL, SubscriptionFilters


def _choices(known: type) -> list[tuple[str, str]]:
    """ "Any", then the vocabulary's values by name (portal/core/vocabulary.py)."""
    return [("", _("Any")), *known.choices]


class SubscriptionFilterForm(PortalForm):
    """The filters of the subscriptions list, read from the query string (so a URL can be shared); the list
    machinery adds its sort and page size."""

    q = customer_search_field()
    # The menus offer the vocabulary's values: reading the values the cache holds (DISTINCT over every
    # subscription) cost each page a read of the whole table.
    product = forms.ChoiceField(label=_("Product"), required=False, choices=_choices(Product))
    plan = forms.ChoiceField(label=_("Plan"), required=False, choices=_choices(Plan))
    status = forms.ChoiceField(label=_("Status"), required=False, choices=_choices(Status))
    trial_within = forms.IntegerField(
        label=_("Trial ends within (days)"), required=False, min_value=0, max_value=366
    )
    renewal_type = forms.ChoiceField(
        label=_("Renewal"),
        required=False,
        choices=_choices(RenewalType) + [(NO_RENEWAL, _("No renewal settings"))],
    )
    end_from = forms.DateField(label=_("Ends from"), required=False, widget=DateInput())
    end_to = forms.DateField(label=_("Ends until"), required=False, widget=DateInput())

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
