"""The customer list's filters and the owner form (the change forms are in customers/forms_changes.py)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.selectors import people_with_role
from customers.models import STATUS_CHOICES
from customers.selectors import CustomerFilters, Owner, Removed, owner_choices
from portal.core.access import Role
from portal.core.formbase import PortalForm
from portal.core.lists import customer_search_field
from portal.core.vocabulary import Plan, Product


class OwnerField(forms.ChoiceField):
    """A choice of `owner_choices` whose people are read only when needed, once per field: when the select is
    drawn, or to check a person's id. Everyone's, "Mine" and "Unassigned" are valid without reading anyone, so an
    htmx swap or a download of a list filtered by them adds no query."""

    FIXED = frozenset((Owner.EVERYONE, Owner.MINE, Owner.UNASSIGNED))

    def __init__(self, **kwargs):
        self._people: list[tuple[str, str]] | None = None
        super().__init__(choices=self._read_choices, **kwargs)

    def _read_choices(self) -> list[tuple[str, str]]:
        if self._people is None:
            self._people = owner_choices()
        return self._people

    def valid_value(self, value) -> bool:
        return str(value) in self.FIXED or super().valid_value(value)


#: The Owner filter's label, declared once (read once per language: `portal.core.vocabulary.translated`).
OWNER = _("Owner")


def owner_field() -> forms.ChoiceField:
    """The Owner filter of every list of customers or their rows: everyone's, mine, unassigned, or one Account
    manager's (`owner_choices`, read when drawn or when a person is chosen: `OwnerField`). Contributed as a
    `CustomerFilter` (customers/apps.py) to every list that declares `ListSpec(customer_filters=True)` and to the
    Scheduled changes page; its value goes to `customers.selectors.owned_by`."""
    return OwnerField(label=OWNER, required=False)


class CustomerFilterForm(PortalForm):
    """The filters of the customer list, read from the query string (so a URL can be shared); the list machinery
    adds its sort (chosen with the column headers, carried so that a new search keeps the order) and page size."""

    q = customer_search_field(_("Search"))
    product = forms.ChoiceField(
        label=_("Product"), required=False, choices=[("", _("Any")), *Product.choices]
    )
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
        """`products`: values offered besides the vocabulary's products (by their codes), if any."""
        super().__init__(*args, **kwargs)
        known = dict(Product.choices)
        extra = [v for v in dict.fromkeys(products or ()) if v not in known]
        if extra:
            self.fields["product"].choices = [*self.fields["product"].choices, *((v, v) for v in extra)]

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
            owner=data.get("owner") or "",
            sort=data["sort"],
        )


class CustomerOwnerForm(PortalForm):
    """Who looks after one customer (the portal's own data, no Partner API call, so a plain validated form as
    the Users page's, not a change form): an active Account manager, and optionally a Support user. A person
    no longer offered (deactivated, moved to another role) is refused as any unknown choice is."""

    account_manager = forms.TypedChoiceField(
        label=_("Account manager"), required=False, coerce=int, empty_value=None
    )
    support_contact = forms.TypedChoiceField(
        label=_("Support contact"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("Optional: the Support user this customer's questions go to."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account_manager"].choices = [
            ("", _("Nobody (unassigned)")),
            *people_with_role(role=Role.ACCOUNT_MANAGER),
        ]
        self.fields["support_contact"].choices = [("", _("Nobody")), *people_with_role(role=Role.SUPPORT)]
