"""Forms of the billing pages: the invoice details' and the findings' filters, the fetch of a month, explaining a
finding, adding a price. (None of them writes to the Partner API: billing's API operations are all reads.)"""

from __future__ import annotations

from django import forms
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from billing import rules, selectors
from billing.models import Finding
from billing.selectors import FindingFilters, ItemFilters
from billing.selectors.findings import ALL, EXPLAINED, TO_EXPLAIN
from customers import selectors as customers_selectors
from options import rules as options_rules
from portal.core.formbase import PortalForm
from portal.core.lists import DateInput, customer_search_field
from portal.core.vocabulary import (
    ItemType,
    OptionProduct,
    Plan,
    Product,
    SubOptionProduct,
    item_name,
    name_of,
)

MAX_YEN = 10**12


class ItemFilterForm(PortalForm):
    """The filters of a month's invoice details, read from the query string."""

    q = forms.CharField(
        label=_("Customer"),
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Company, domain, code or domain ID")}
        ),
    )
    item_type = forms.ChoiceField(
        label=_("Item type"), required=False, choices=[("", _("Any"))] + list(ItemType.choices)
    )
    item_id = forms.ChoiceField(label=_("Product or option"), required=False)
    amount_min = forms.IntegerField(
        label=_("Amount from (¥)"), required=False, min_value=-MAX_YEN, max_value=MAX_YEN
    )
    amount_max = forms.IntegerField(
        label=_("Amount to (¥)"), required=False, min_value=-MAX_YEN, max_value=MAX_YEN
    )
    flagged = forms.BooleanField(label=_("Only flagged"), required=False)

    def __init__(self, *args, items: list[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item_id"].choices = [("", _("Any"))] + [(v, item_name(v)) for v in items or []]

    def to_filters(self, data: dict) -> ItemFilters:
        return ItemFilters(
            q=data.get("q") or "",
            item_type=data.get("item_type") or "",
            item_id=data.get("item_id") or "",
            amount_min=data.get("amount_min"),
            amount_max=data.get("amount_max"),
            flagged=bool(data.get("flagged")),
            sort=data["sort"],
        )


class FindingFilterForm(PortalForm):
    """The filters of a month's findings, read from the query string: the customer (searched, or one by its domainId:
    where the invoice details, the estimate and the customer page link to, a customer the portal does not know
    included), whether explained (those to explain as the page opens), the kind."""

    q = customer_search_field()
    domain_id = forms.IntegerField(label=_("Domain ID"), required=False, min_value=0, max_value=10**15)
    status = forms.ChoiceField(
        label=_("Findings"),
        required=False,
        choices=[(TO_EXPLAIN, _("To explain")), (EXPLAINED, _("Explained")), (ALL, _("All"))],
    )
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("Any")), *Finding.Kind.choices])

    def to_filters(self, data: dict) -> FindingFilters:
        return FindingFilters(
            q=data.get("q") or "",
            domain_id=data.get("domain_id"),
            status=data.get("status") or TO_EXPLAIN,
            kind=data.get("kind") or "",
            sort=data["sort"],
        )


class MonthForm(PortalForm):
    """A usage month (the fetch button, the check)."""

    year = forms.IntegerField(min_value=2000, max_value=2100)
    month = forms.IntegerField(min_value=1, max_value=12)


class ExplainForm(PortalForm):
    note = forms.CharField(
        label=_("Note"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why the difference is expected (e.g. a credit agreed with the vendor, ticket number)."),
    )

    def clean_note(self) -> str:
        note = self.cleaned_data["note"].strip()
        if not note:
            raise forms.ValidationError(_("Write why this difference is expected."))
        return note


class ReopenForm(PortalForm):
    """Reopening a closed month: why (recorded in the activity log and shown on the month's page)."""

    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why the month must change after it was closed (e.g. a credit note from the vendor)."),
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("Write why the month is reopened."))
        return reason


class ItemChoiceField(forms.ChoiceField):
    """A product or an option as the invoice bills it (its itemId), chosen by name; the code is read in any case."""

    def to_python(self, value):
        return super().to_python(value).strip().upper()


def _item_choices():
    return [
        (_("Products"), [(v, n) for v, n in Product.choices]),
        (_("Options"), [(v, n) for v, n in OptionProduct.choices]),
    ]


def _tier_choices():
    return [("", _("Every sub option"))] + [
        (
            name_of(option, OptionProduct),
            [(s.sub_option_id, s.label) for s in options_rules.sub_options_of(option)],
        )
        for option in OptionProduct.values
    ]


class PriceEntryForm(PortalForm):
    item_id = ItemChoiceField(
        label=_("Product or option"), choices=_item_choices, help_text=_("As the invoice bills it.")
    )
    sub_item_id = forms.ChoiceField(
        label=_("Sub option"),
        required=False,
        choices=_tier_choices,
        help_text=_(
            "For one sub option of the option, which LINE WORKS bills at its own amount (Shared Storage 5 TB); "
            "empty for all of them."
        ),
    )
    plan = forms.ChoiceField(
        label=_("Plan"), required=False, choices=[("", _("Every plan"))] + list(Plan.choices)
    )
    customer = forms.CharField(
        label=_("Only for customer"),
        required=False,
        max_length=300,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "list": "price-customers",
                "autocomplete": "off",
                "data-hx-get": reverse_lazy("billing:price_customers"),
                "data-hx-trigger": "input changed delay:300ms, search",
                "data-hx-target": "#price-customers",
                "data-hx-swap": "innerHTML",
            }
        ),
        help_text=_(
            "Type part of the company name, domain or customer code and pick the customer from the list; leave "
            "empty for the general price."
        ),
    )
    cost = forms.IntegerField(label=_("Cost (¥ a month per unit)"), min_value=0, max_value=MAX_YEN)
    price = forms.IntegerField(
        label=_("Price to the customer (¥ a month per unit)"), min_value=0, max_value=MAX_YEN
    )
    effective_from = forms.DateField(label=_("Effective from"), widget=DateInput())

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_customer(self) -> str:
        text = self.cleaned_data["customer"].strip()
        self.cleaned_data["domain_id"] = None
        if not text:
            return ""
        picked = customers_selectors.customer_picked(user=self.user, text=text)
        if not picked:
            raise forms.ValidationError(
                _("No customer is called “%(text)s”. Type part of its name and pick it from the list.")
                % {"text": text},
                code="unknown",
            )
        if len(picked) > 1:
            raise forms.ValidationError(
                _("Several customers are called “%(text)s”: pick one from the list, which adds its domain.")
                % {"text": text},
                code="ambiguous",
            )
        self.cleaned_data["domain_id"] = picked[0].domain_id
        return customers_selectors.customer_pick_label(picked[0])

    def entry(self) -> dict:
        """The valid form's price entry, as `services.price_entry_create` takes it (its page and the API's)."""
        data = self.cleaned_data
        return {
            "item_id": data["item_id"],
            "plan": data["plan"],
            "domain_id": data["domain_id"],
            "cost": data["cost"],
            "price": data["price"],
            "effective_from": data["effective_from"],
            "sub_item_id": data.get("sub_item_id") or "",
        }

    def clean(self):
        data = super().clean()
        item_id, day = data.get("item_id"), data.get("effective_from")
        if not item_id or day is None or self.errors:
            return data
        tier = data.get("sub_item_id") or ""
        if tier and tier not in {s.sub_option_id for s in options_rules.sub_options_of(item_id)}:
            raise forms.ValidationError(
                _("%(tier)s is not a sub option of %(item)s: choose one of its own, or every sub option.")
                % {"tier": name_of(tier, SubOptionProduct), "item": item_name(item_id)},
                code="tier",
            )
        plan, domain_id = data.get("plan") or "", self.cleaned_data.get("domain_id")
        same_day = selectors.price_entry_on(
            item_id=item_id, plan=plan, domain_id=domain_id, day=day, sub_item_id=tier
        )
        # A cost learned from LINE WORKS' invoice has no price yet: Finance sets it from the same day.
        if same_day is not None and same_day.price is not None:
            raise forms.ValidationError(
                _(
                    "The book already has a price for this product or option, plan and customer from %(day)s. "
                    "Choose another day: a price in force is never rewritten."
                )
                % {"day": day.isoformat()},
                code="overlap",
            )
        later = selectors.price_entry_next(
            item_id=item_id, plan=plan, domain_id=domain_id, after=day, sub_item_id=tier
        )
        touched = rules.closed_month_touched(day, later, selectors.closed_months())
        if touched is not None:
            raise forms.ValidationError(
                _(
                    "This price would be in force in %(month)s, which Finance has closed: a closed month keeps "
                    "the prices it was checked with. Choose a day after it, or ask an Admin to reopen it."
                )
                % {"month": _("%(year)d-%(month)02d") % {"year": touched[0], "month": touched[1]}},
                code="closed",
            )
        return data


class CostAcceptForm(PortalForm):
    """Accepting costs learned from LINE WORKS' invoice into the price book: the ticked ones or all (`choice`),
    then once more, confirmed, with the very ones the confirmation listed (`keys`)."""

    TICKED, ALL = "ticked", "all"

    keys = forms.MultipleChoiceField(
        label=_("Costs to accept"),
        required=False,
        error_messages={
            "invalid_choice": _(
                "One of the costs chosen is no longer proposed (accepted meanwhile, or the month was fetched "
                "again): the page shows the month's proposal as it stands now."
            ),
        },
    )
    choice = forms.ChoiceField(
        required=False, choices=[(TICKED, _("Accept the ticked")), (ALL, _("Accept all"))]
    )
    confirmed = forms.BooleanField(required=False)

    def __init__(self, *args, acceptable: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.acceptable = acceptable
        self.fields["keys"].choices = [(key, key) for key in acceptable]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if not self.acceptable:
            raise forms.ValidationError(
                _("Nothing to accept: the price book has every cost this month's invoice says."), code="none"
            )
        if data.get("choice") == self.ALL:
            data["keys"] = list(self.acceptable)
        elif not data.get("keys"):
            raise forms.ValidationError(
                _("Tick the costs to accept, or choose Accept all."), code="nothing_ticked"
            )
        return data
