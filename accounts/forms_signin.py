"""The forms of signing in with a second factor and of the Admins' Sign-ins page."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.signin import SigninFilters
from portal.core.formbase import PortalForm


class TwoFactorCodeForm(PortalForm):
    """The second step of signing in: a code from the authenticator app, or one recovery code."""

    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        help_text=_("The 6-digit code your authenticator app shows, or one of your recovery codes."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"}
        ),
    )


class TwoFactorSetupForm(PortalForm):
    code = forms.CharField(
        label=_("Code from the app"),
        max_length=16,
        help_text=_("After adding the portal to the app, type the 6-digit code it shows."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}
        ),
    )


class SigninFilterForm(PortalForm):
    """Filters of the Sign-ins page (the list machinery adds its sort)."""

    result = forms.ChoiceField(
        label=_("Result"),
        required=False,
        choices=[("", _("Any")), ("succeeded", _("Successful sign-ins")), ("failed", _("Failed sign-ins"))],
    )
    username = forms.CharField(label=_("User name"), required=False, max_length=150)
    ip = forms.CharField(label=_("IP address"), required=False, max_length=45)

    def to_filters(self, data: dict) -> SigninFilters:
        return SigninFilters(
            result=data.get("result") or "",
            username=data.get("username") or "",
            ip=data.get("ip") or "",
            sort=data["sort"],
        )


class SigninUnlockForm(PortalForm):
    """Which lockout an Admin lifts: an address, or a user name from an address."""

    ip = forms.GenericIPAddressField(
        max_length=45, error_messages={"invalid": _("This is not an IP address.")}
    )
    username = forms.CharField(required=False, max_length=150)
