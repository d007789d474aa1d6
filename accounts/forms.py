"""Forms of the Users page: the list's filters, adding a user, changing a role, resetting a password.

Every text field is bounded by its column (django.contrib.auth's User: 150 for names, 254 for the email; a
password is hashed, 128 characters is far beyond any typed one); typed passwords pass AUTH_PASSWORD_VALIDATORS,
whose rules the field states.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import password_validators_help_text_html, validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.holdings import Holding
from accounts.selectors import NO_ROLE, UserFilters, people_with_role, username_taken
from portal.core.access import ROLE_LABELS, Role
from portal.core.formbase import PortalForm

NAME_MAX_LENGTH = 150
EMAIL_MAX_LENGTH = 254
PASSWORD_MAX_LENGTH = 128

#: What each role may do, as the Admin chooses it (least to most).
ROLE_CHOICES = [
    (Role.SUPPORT.value, _("Support: reads customers, subscriptions, options and the activity log")),
    (Role.FINANCE.value, _("Finance: billing, and reads customers and options")),
    (
        Role.ACCOUNT_MANAGER.value,
        _(
            "Account manager: reads and changes customers, subscriptions and options; signs in with a code "
            "from an authenticator app as well"
        ),
    ),
    (
        Role.ADMIN.value,
        _("Admin: everything, users included; signs in with a code from an authenticator app as well"),
    ),
]


class UserFilterForm(PortalForm):
    """Filters of the Users page (the list machinery adds its sort)."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=EMAIL_MAX_LENGTH,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("User name, name or email"), "autocomplete": "off"}
        ),
    )
    role = forms.ChoiceField(
        label=_("Role"),
        required=False,
        choices=[
            ("", _("Any")),
            *((role.value, ROLE_LABELS[role]) for role in Role),
            (NO_ROLE, _("No role")),
        ],
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("", _("Any")),
            ("active", pgettext_lazy("a portal user", "Active")),
            ("inactive", _("Deactivated")),
        ],
    )

    def to_filters(self, data: dict) -> UserFilters:
        return UserFilters(
            q=data.get("q") or "",
            role=data.get("role") or "",
            status=data.get("status") or "",
            sort=data["sort"],
        )


def _password_field(label) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=PASSWORD_MAX_LENGTH,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


def _password_help():
    """Said in the active language when the form is made: what an empty field does, then Django's rules."""
    return format_html(
        "{}{}",
        _(
            "Leave it empty and the portal makes up a strong password and shows it to you once, on the next page. "
            "A password you type must follow these rules:"
        ),
        password_validators_help_text_html(),
    )


class UserCreateForm(PortalForm):
    username = forms.CharField(
        label=_("User name"),
        max_length=NAME_MAX_LENGTH,
        validators=[UnicodeUsernameValidator()],
        help_text=_("What they type to sign in: letters, digits and @ . + - _ only, up to 150 characters."),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )
    last_name = forms.CharField(label=_("Last name"), max_length=NAME_MAX_LENGTH)
    first_name = forms.CharField(label=_("First name"), max_length=NAME_MAX_LENGTH)
    email = forms.EmailField(
        label=_("Email"),
        required=False,
        max_length=EMAIL_MAX_LENGTH,
        help_text=_("Optional. Account managers get the daily digest of decisions at this address."),
    )
    role = forms.ChoiceField(label=_("Role"), choices=ROLE_CHOICES, widget=forms.RadioSelect)
    password = _password_field(_("Password"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password"].help_text = _password_help()

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if username_taken(username=username):
            raise ValidationError(
                _("The user name %(username)s is taken. Choose another."), params={"username": username}
            )
        return username

    def clean(self):
        data = super().clean()
        password = data.get("password")
        if password:
            person = get_user_model()(
                username=data.get("username") or "",
                first_name=data.get("first_name") or "",
                last_name=data.get("last_name") or "",
                email=data.get("email") or "",
            )
            try:
                validate_password(password, person)
            except ValidationError as error:
                self.add_error("password", error)
        return data


class UserRoleForm(PortalForm):
    role = forms.ChoiceField(label=_("New role"), choices=ROLE_CHOICES, widget=forms.RadioSelect)


class UserPasswordResetForm(PortalForm):
    """A new password for `user` (typed, or made up when left empty); their authenticator may be reset too."""

    password = _password_field(_("New password"))
    two_factor_reset = forms.BooleanField(
        label=_("Also reset two-step sign-in"),
        required=False,
        help_text=_(
            "Deletes their authenticator app's registration and their recovery codes: they set two-step "
            "sign-in up again at their next sign-in. Tick it when they lost their phone."
        ),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["password"].help_text = _password_help()
        if not user.two_factor:
            del self.fields["two_factor_reset"]

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if password:
            validate_password(password, self.user)
        return password


#: The choice of a handover field that gives what the person holds to nobody.
LEAVE_UNASSIGNED = "none"


class UserDeactivateForm(PortalForm):
    """The deactivation's confirmation: for each thing the person holds (`accounts.holdings`), who takes it
    over: another active user of the holding's role, or nobody ("leave unassigned"). No field when they hold
    nothing."""

    def __init__(self, *args, target, held: list[tuple[Holding, int]], **kwargs):
        super().__init__(*args, **kwargs)
        self.held = held
        for holding, n in held:
            people = [
                (str(pk), label) for pk, label in people_with_role(role=holding.role) if pk != target.pk
            ]
            self.fields[f"hand_{holding.key}"] = forms.ChoiceField(
                label=holding.label(n),
                choices=[("", _("Choose…")), *people, (LEAVE_UNASSIGNED, _("Leave unassigned"))],
            )

    def handovers(self) -> dict[str, int | None]:
        """{holding key: the user id who takes it over, or None}, from the valid form."""
        out: dict[str, int | None] = {}
        for holding, _n in self.held:
            value = self.cleaned_data[f"hand_{holding.key}"]
            out[holding.key] = None if value == LEAVE_UNASSIGNED else int(value)
        return out
