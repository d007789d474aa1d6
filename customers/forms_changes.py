"""Forms of the customer changes, each checking the contract's rules (customers/rules.py) before anything is
sent. Every one is a `portal.core.changes.forms.ChangeForm`: the submission's idempotency key (a double click
sends it once) and a reason or ticket for the audit trail; `preview()` gives the confirmation's now → after.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from customers import rules
from customers.models import Customer
from portal.core.changes.forms import ChangeForm
from portal.core.formbase import PortalForm


def _shown(value) -> str:
    if value in (None, ""):
        return "—"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    return str(value)


def _users(value) -> str:
    return str(_("No limit")) if value is None else str(value)


PHONE_RE = r"^[0-9PT*#+,-]+$"
MAX_USERS_LIMIT = 1_000_000
LOCALE_CHOICES = [
    ("ja_JP", _("Japanese")),
    ("en_US", _("English")),
    ("ko_KR", _("Korean")),
    ("zh_TW", _("Chinese (Traditional)")),
    ("zh_CN", _("Chinese (Simplified)")),
]


def _phone_field():
    return forms.RegexField(
        label=_("Phone number"),
        regex=PHONE_RE,
        max_length=64,
        error_messages={"invalid": _("Use digits and the characters P T - * # + , only.")},
    )


class CustomerEditForm(ChangeForm):
    """patchCustomer: only the fields that changed are sent."""

    company_name = forms.CharField(label=_("Company name"), max_length=40)
    phone_number = _phone_field()
    time_zone = forms.CharField(label=_("Time zone"), max_length=64, help_text=_("For example Asia/Tokyo."))
    locale = forms.ChoiceField(label=_("Language"), choices=LOCALE_CHOICES)
    customer_code = forms.CharField(label=_("Customer code"), required=False, max_length=200)
    memo = forms.CharField(
        label=_("Memo"), required=False, max_length=700, widget=forms.Textarea(attrs={"rows": 3})
    )
    enable_partner_profile_display = forms.BooleanField(label=_("Show the partner profile"), required=False)

    field_order = [
        "company_name",
        "phone_number",
        "time_zone",
        "locale",
        "customer_code",
        "memo",
        "enable_partner_profile_display",
        "reason",
    ]

    @classmethod
    def initial_for(cls, customer: Customer) -> dict:
        return {
            "company_name": customer.company_name,
            "phone_number": customer.phone_number,
            "time_zone": customer.time_zone,
            "locale": customer.locale,
            "customer_code": customer.customer_code,
            "memo": customer.memo,
            "enable_partner_profile_display": bool(customer.enable_partner_profile_display),
        }

    def clean_customer_code(self) -> str:
        code = self.cleaned_data["customer_code"]
        if len(code.encode("utf-8")) > 200:
            raise forms.ValidationError(
                _("The customer code may be at most 200 bytes (a Japanese character counts as 3).")
            )
        return code

    def clean_time_zone(self) -> str:
        from zoneinfo import available_timezones

        value = self.cleaned_data["time_zone"].strip()
        if value not in available_timezones():
            raise forms.ValidationError(_("Unknown time zone; use a name such as Asia/Tokyo."))
        return value

    def changes(self) -> dict:
        """The cleaned values that differ from the initial ones (what patchCustomer will send)."""
        return {
            name: self.cleaned_data[name]
            for name in self.changed_data
            if name not in ("reason", "idempotency_key") and name in self.cleaned_data
        }

    def preview(self):
        return [
            (str(self.fields[name].label), _shown(self.initial.get(name)), _shown(value))
            for name, value in self.changes().items()
        ]


class UsageStatusForm(ChangeForm):
    """patchUsageStatus: maximum users (blank = no limit) and a scheduled cancellation (blank = none)."""

    max_member_count = forms.IntegerField(
        label=_("Maximum users"),
        required=False,
        min_value=1,
        max_value=MAX_USERS_LIMIT,
        help_text=_("Leave blank for no limit. Setting it also deletes a scheduled max-users change."),
    )
    withdrawal_date = forms.DateField(
        label=_("Scheduled cancellation"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Leave blank for none. The customer is suspended, then deleted, from this date."),
    )
    field_order = ["max_member_count", "withdrawal_date", "reason"]

    def preview(self):
        d = self.cleaned_data
        return [
            (
                str(_("Maximum users")),
                _users(self.initial.get("max_member_count")),
                _users(d["max_member_count"]),
            ),
            (
                str(_("Scheduled cancellation")),
                _shown(self.initial.get("withdrawal_date")),
                _shown(d["withdrawal_date"]),
            ),
        ]

    def destroys(self) -> bool:
        """A cancellation date set (or moved): the customer is suspended, then deleted, from it."""
        day = getattr(self, "cleaned_data", {}).get("withdrawal_date")
        return day is not None and day != self.initial.get("withdrawal_date")

    def clean_withdrawal_date(self):
        from portal.core import clock

        day = self.cleaned_data["withdrawal_date"]
        if day is not None and day <= clock.today():
            raise forms.ValidationError(_("The cancellation date must be after today (Japan time)."))
        return day


class RenewalForm(ChangeForm):
    """createUsageStatusRenewal / patchUsageStatusRenewal: a scheduled max-users change.

    A customer has at most one; LINE WORKS can only move its date. A new maximum for an existing one is
    refused here, before anything is sent: delete the scheduled change first, then schedule the new one.
    """

    apply_date = forms.DateField(label=_("Apply on"), widget=forms.DateInput(attrs={"type": "date"}))
    max_member_count = forms.IntegerField(
        label=_("New maximum users"),
        required=False,
        min_value=1,
        max_value=MAX_USERS_LIMIT,
        help_text=_("Leave blank for no limit."),
    )
    field_order = ["apply_date", "max_member_count", "reason"]

    def __init__(self, *args, customer: Customer, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.customer, self.window = customer, rules.max_users_change_window(today)
        self.set_window("apply_date", self.window)

    @property
    def moves(self) -> bool:
        """An existing scheduled change is moved (only its date can change)."""
        return self.customer.renewal_apply_date is not None

    def clean(self):
        data = super().clean()
        self.check_window("apply_date", self.window)
        if (
            self.moves
            and "max_member_count" in data
            and data["max_member_count"] != self.customer.renewal_max_member_count
        ):
            self.add_error(
                "max_member_count",
                rules.renewal_max_fixed_message(
                    self.customer.renewal_apply_date, self.customer.renewal_max_member_count
                ),
            )
        return data

    def preview(self):
        d = self.cleaned_data
        return [
            (str(_("Apply on")), _shown(self.customer.renewal_apply_date), _shown(d["apply_date"])),
            (
                str(_("New maximum users")),
                _users(self.customer.renewal_max_member_count) if self.moves else "—",
                _users(d["max_member_count"]),
            ),
        ]


class CustomerDeleteForm(ChangeForm):
    """Delete behind a confirmation: the user types the customer's domain."""

    confirm_domain = forms.CharField(label=_("Type the domain to confirm"), max_length=255)
    field_order = ["confirm_domain", "reason", "idempotency_key"]

    def __init__(self, *args, customer: Customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.customer = customer

    def clean_confirm_domain(self) -> str:
        value = self.cleaned_data["confirm_domain"].strip()
        if value != self.customer.domain:
            raise forms.ValidationError(_("This is not the customer's domain; nothing was deleted."))
        return value


DOMAIN_RE = r"^[a-z0-9](?:[a-z0-9.]|-(?!-))*[a-z0-9]$"
DOMAIN_ERRORS = {
    "invalid": _(
        "Use lowercase letters, digits, dots and hyphens; no hyphen at the start or end and no two hyphens in a row."
    )
}


def _domain_field(label):
    return forms.RegexField(
        label=label, regex=DOMAIN_RE, min_length=2, max_length=22, error_messages=DOMAIN_ERRORS, strip=True
    )


class AddDomainForm(PortalForm):
    """Step 1: the domain (example.com) or group name (example → example.by-works.com or .by-works.net) to verify."""

    domain = _domain_field(_("Domain or group name"))

    def clean_domain(self) -> str:
        return self.cleaned_data["domain"].lower()


class AddCustomerForm(ChangeForm):
    """Step 2: the customer and its first administrator (createCustomer)."""

    domain = forms.CharField(widget=forms.HiddenInput, max_length=253)
    company_name = forms.CharField(label=_("Company name"), max_length=40)
    phone_number = _phone_field()
    time_zone = forms.CharField(label=_("Time zone"), max_length=64, initial="Asia/Tokyo")
    locale = forms.ChoiceField(label=_("Language"), choices=LOCALE_CHOICES, initial="ja_JP")
    admin_last_name = forms.CharField(label=_("Administrator last name"), max_length=80)
    admin_first_name = forms.CharField(label=_("Administrator first name"), max_length=80, required=False)
    admin_id = forms.RegexField(
        label=_("Administrator user ID"),
        regex=r"^[A-Za-z0-9._-]+$",
        min_length=2,
        max_length=40,
        error_messages={"invalid": _("Use letters, digits, dots, hyphens and underscores.")},
    )
    admin_password = forms.CharField(
        label=_("Administrator password"),
        min_length=8,
        max_length=20,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("8 to 20 characters with letters and digits; never stored by the portal."),
    )
    admin_email = forms.EmailField(label=_("Administrator personal e-mail"))
    enable_partner_profile_display = forms.BooleanField(
        label=_("Show the partner profile"), required=False, initial=True
    )
    field_order = [
        "company_name",
        "phone_number",
        "time_zone",
        "locale",
        "admin_last_name",
        "admin_first_name",
        "admin_id",
        "admin_password",
        "admin_email",
        "enable_partner_profile_display",
        "reason",
    ]

    clean_time_zone = CustomerEditForm.clean_time_zone

    def clean_admin_password(self) -> str:
        value = self.cleaned_data["admin_password"]
        if not (any(c.isalpha() for c in value) and any(c.isdigit() for c in value)):
            raise forms.ValidationError(_("The password must contain both letters and digits."))
        return value

    def preview(self):
        """What the new customer will be: each field as typed (nothing is there before)."""
        d = self.cleaned_data
        rows = [(str(_("Domain or group name")), d["domain"])]
        for name in self.field_order:
            if name in ("reason", "admin_password") or name not in d:
                continue
            value = d[name]
            if name == "locale":
                value = dict(LOCALE_CHOICES).get(value, value)
            rows.append((str(self.fields[name].label), _shown(value)))
        return [(label, "—", value) for label, value in rows]

    def clean(self):
        data = super().clean()
        full = f"{data.get('admin_last_name', '')}{data.get('admin_first_name', '')}"
        if len(full) > 80:
            self.add_error(
                "admin_last_name", _("The administrator's full name may be at most 80 characters.")
            )
        return data


class UpgradeDomainForm(ChangeForm):
    domain = forms.RegexField(
        label=_("Domain to move to"),
        regex=r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$",
        max_length=253,
        error_messages={"invalid": _("Enter a domain name such as example.com.")},
    )


class TransferLookupForm(PortalForm):
    domain = forms.CharField(label=_("Domain of the Online Direct customer"), max_length=253)
    partner_code = forms.CharField(
        label=_("Partner code"), max_length=64, help_text=_("The code the customer issued to you.")
    )


class TransferConfirmForm(ChangeForm):
    domain = forms.CharField(widget=forms.HiddenInput, max_length=253)
    partner_code = forms.CharField(widget=forms.HiddenInput, max_length=64)
