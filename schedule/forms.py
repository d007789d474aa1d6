"""The Scheduled changes page's filters and view, read from the query string (the exports read the same)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.core.formbase import PortalForm
from portal.core.lists import (
    DateInput,
    add_customer_filter_fields,
    customer_filters,
    customer_search_field,
    valid_data,
)
from schedule.sources import ScheduleFilters


class MonthField(forms.CharField):
    """A month as YYYY-MM (the calendar's `month` parameter), cleaned to its first day."""

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            month = dt.datetime.strptime(value, "%Y-%m").date()
        except ValueError:
            raise forms.ValidationError(_("Enter a month as YYYY-MM."), code="invalid") from None
        if not 2000 <= month.year <= 2099:
            raise forms.ValidationError(_("Enter a month as YYYY-MM."), code="invalid")
        return month


class ScheduleFilterForm(PortalForm):
    """Filters of the Scheduled changes page (customer, its owner, kinds, date range) and its view (agenda, or the
    calendar of one month), from the query string. The exports read the same form."""

    AGENDA, CALENDAR = "agenda", "calendar"

    q = customer_search_field()
    kind = forms.MultipleChoiceField(
        label=_("Type"), required=False, widget=forms.CheckboxSelectMultiple, choices=()
    )
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("Until"), required=False, widget=DateInput())
    # Not filter controls: the page renders them with the results (they change without the form).
    view = forms.ChoiceField(
        required=False, choices=[(AGENDA, _("Agenda")), (CALENDAR, _("Calendar"))], widget=forms.HiddenInput
    )
    month = MonthField(required=False, widget=forms.HiddenInput)
    #: The agenda's cursor (`ScheduleFilters.after`), carried by its link to the later changes only: a change
    #: of filters starts the day again.
    after = forms.IntegerField(required=False, min_value=1, max_value=10**15, widget=forms.HiddenInput)

    def __init__(self, *args, kinds: list[tuple[str, str]] = (), user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = list(kinds)
        self.user = user
        # The contributed customer filters (the Owner filter), after the search, as every list of customers'
        # rows has them; the view fills in their remembered values (`lists.customer_filter_query`).
        add_customer_filter_fields(self, user=user)

    @property
    def view_value(self) -> str:
        return valid_data(self).get("view") or self.AGENDA

    def to_filters(self) -> ScheduleFilters:
        data = valid_data(self)
        return ScheduleFilters(
            q=data.get("q") or "",
            kinds=tuple(data.get("kind") or ()),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            calendar=self.view_value == self.CALENDAR,
            month=data.get("month") if self.view_value == self.CALENDAR else None,
            after=data.get("after") if data.get("date_from") and self.view_value != self.CALENDAR else None,
            customers={f.name: data.get(f.name) or "" for f in customer_filters()},
            user=self.user,
        )
