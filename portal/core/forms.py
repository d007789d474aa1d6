from django import forms
from django.utils.translation import gettext_lazy as _

from portal.core.lists import DateInput
from portal.core.models import AuditEntry
from portal.core.operations import operation_label
from portal.core.selectors import ActivityFilters
from portal.core.signin import SigninFilters


class ActivityFilterForm(forms.Form):
    """The filters of the activity list (the list machinery adds its sort)."""

    user = forms.CharField(label=_("User"), required=False, max_length=150)
    domain_id = forms.IntegerField(
        label=_("Customer domainId"), required=False, min_value=1, max_value=2**63 - 1
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
            sort=data["sort"],
        )


class TwoFactorCodeForm(forms.Form):
    """The second step of signing in: a code from the authenticator app, or one recovery code."""

    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        help_text=_("The 6-digit code your authenticator app shows, or one of your recovery codes."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"}
        ),
    )


class TwoFactorSetupForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the app"),
        max_length=16,
        help_text=_("After adding the portal to the app, type the 6-digit code it shows."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}
        ),
    )


class SigninFilterForm(forms.Form):
    """Filters of the Sign-ins page (the list machinery adds its sort)."""

    result = forms.ChoiceField(
        label=_("Result"),
        required=False,
        choices=[("failed", _("Failed sign-ins")), ("succeeded", _("Successful sign-ins"))],
    )
    username = forms.CharField(label=_("User name"), required=False, max_length=150)
    ip = forms.CharField(label=_("IP address"), required=False, max_length=45)

    def to_filters(self, data: dict) -> SigninFilters:
        return SigninFilters(
            result=data.get("result") or "failed",
            username=data.get("username") or "",
            ip=data.get("ip") or "",
            sort=data["sort"],
        )


class SigninUnlockForm(forms.Form):
    """Which lockout an Admin lifts: a user name or an address."""

    kind = forms.ChoiceField(choices=[("username", _("User name")), ("ip", _("IP address"))])
    value = forms.CharField(max_length=255)

    def clean(self):
        data = super().clean()
        if data.get("kind") == "ip" and data.get("value"):
            from django.core.validators import validate_ipv46_address

            try:
                validate_ipv46_address(data["value"])
            except forms.ValidationError:
                self.add_error("value", _("This is not an IP address."))
        return data
