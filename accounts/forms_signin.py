"""The forms of signing in (the password, a second factor) and of the Admins' Sign-ins page."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm, UsernameField
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts import oidc
from accounts.signin import SigninFilters
from portal.core.access import role_of
from portal.core.formbase import PortalForm


class _SigninName(UsernameField):
    """A user name bounded as its column, cut rather than refused: an overlong one is a wrong password, counted
    by the lockouts like any other (`signin.attempt_username` cuts it the same)."""

    def to_python(self, value):
        value = super().to_python(value)
        return value[: self.max_length] if value and self.max_length else value


class LocalSigninForm(AuthenticationForm, PortalForm):
    """Django's user name and password form; while the company's identity provider is on, only for those who may
    still sign in with a password (`oidc.local_signin_allowed`: the break-glass Admins, unless everyone may). Its
    fields bounded as the house's (a user name as the column, a password as Django's hashers take one)."""

    username = _SigninName(max_length=150, widget=forms.TextInput(attrs={"autofocus": True}))
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        if not oidc.local_signin_allowed(role_of(user)):
            raise ValidationError(
                _("Sign in with %(provider)s: the password form is kept for the portal's Admins."),
                code="provider_only",
                params={"provider": oidc.provider_name()},
            )


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
