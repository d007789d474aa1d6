"""The forms of signing in with a second factor and of the Admins' Sign-ins page."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.signin import SigninFilters


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
