from django import forms
from django.utils.translation import gettext_lazy as _

from portal.core.formbase import PortalForm
from portal.core.lists import DateInput, customer_filters
from portal.core.models import AuditEntry
from portal.core.operations import operation_label
from portal.core.selectors import ActivityFilters


class ActivityFilterForm(PortalForm):
    """The filters of the activity list (the list machinery adds its sort)."""

    user = forms.CharField(label=_("User"), required=False, max_length=150)
    domain_id = forms.IntegerField(
        label=_("Customer's domain ID"), required=False, min_value=1, max_value=2**63 - 1
    )
    operation = forms.ChoiceField(label=_("Kind of change"), required=False)
    outcome = forms.ChoiceField(
        label=_("Outcome"), required=False, choices=[("", _("Any"))] + list(AuditEntry.Outcome.choices)
    )
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())

    def __init__(self, *args, operation_ids: list[str] = (), **kwargs):
        super().__init__(*args, **kwargs)
        kinds = sorted(((o, operation_label(o)) for o in operation_ids), key=lambda choice: choice[1])
        self.fields["operation"].choices = [("", _("Any"))] + kinds

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    def to_filters(self, data: dict) -> ActivityFilters:
        """The selector's filters from the form's valid values (`portal.core.lists.valid_data`)."""
        return ActivityFilters(
            user=data.get("user") or "",
            domain_id=data.get("domain_id"),
            operation_id=data.get("operation") or "",
            outcome=data.get("outcome") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            customers={f.name: data.get(f.name) or "" for f in customer_filters()},
            sort=data["sort"],
        )
