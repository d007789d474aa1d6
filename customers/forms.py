"""Forms of the customers pages: the list's filters, and the lifecycle forms with the contract's rules."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from customers.models import Customer
from customers.selectors import CustomerFilters, Removed


class CustomerFilterForm(forms.Form):
    """The filters of the customer list, read from the query string (so a URL can be shared); the list machinery
    adds its sort (chosen with the column headers, carried so that a new search keeps the order) and page size."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": _("Company, domain, customer code or domainId"),
                "autocomplete": "off",
            }
        ),
    )
    plan = forms.ChoiceField(label=_("Plan"), required=False)
    contract_type = forms.ChoiceField(
        label=_("Contract type"), required=False, choices=[("", _("Any"))] + Customer.ContractType.choices
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any"))] + Customer.UsageState.choices
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

    def __init__(self, *args, plans: list[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        known = dict(Customer.Plan.choices)
        values = list(dict.fromkeys([*known, *(plans or [])]))
        self.fields["plan"].choices = [("", _("Any"))] + [(v, known.get(v, v)) for v in values]

    def to_filters(self, data: dict) -> CustomerFilters:
        """The selector's filters from the form's valid values (`portal.core.lists.valid_data`)."""
        return CustomerFilters(
            q=data.get("q") or "",
            plan=data.get("plan") or "",
            contract_type=data.get("contract_type") or "",
            status=data.get("status") or "",
            trial_within_days=data.get("trial_within"),
            scheduled=bool(data.get("scheduled")),
            removed=data.get("removed") or Removed.EXCLUDE,
            sort=data["sort"],
        )


# --- Lifecycle forms: the contract's rules are checked here first ------------------------------------

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


class ReasonMixin(forms.Form):
    reason = forms.CharField(
        label=_("Reason / ticket"),
        required=False,
        max_length=500,
        help_text=_("Optional; kept with the change in the activity log."),
    )


class CustomerEditForm(ReasonMixin):
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
            if name != "reason" and name in self.cleaned_data
        }


class UsageStatusForm(ReasonMixin):
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

    def clean_withdrawal_date(self):
        from portal.core.selectors import business_today

        day = self.cleaned_data["withdrawal_date"]
        if day is not None and day <= business_today():
            raise forms.ValidationError(_("The cancellation date must be after today (Japan time)."))
        return day


class RenewalForm(ReasonMixin):
    """createUsageStatusRenewal / patchUsageStatusRenewal: a scheduled max-users change."""

    apply_date = forms.DateField(label=_("Apply on"), widget=forms.DateInput(attrs={"type": "date"}))
    max_member_count = forms.IntegerField(
        label=_("New maximum users"),
        required=False,
        min_value=1,
        max_value=MAX_USERS_LIMIT,
        help_text=_("Leave blank for no limit."),
    )
    field_order = ["apply_date", "max_member_count", "reason"]

    def clean_apply_date(self):
        import datetime as dt

        from portal.core.selectors import business_today

        day = self.cleaned_data["apply_date"]
        today = business_today()
        try:
            last = today.replace(year=today.year + 1)
        except ValueError:  # 29 February
            last = today.replace(year=today.year + 1, day=28)
        if not (today + dt.timedelta(days=1) <= day <= last):
            raise forms.ValidationError(
                _("Choose a date from tomorrow to one year from today (Japan time): %(first)s to %(last)s.")
                % {"first": today + dt.timedelta(days=1), "last": last}
            )
        return day


class CustomerDeleteForm(ReasonMixin):
    """Delete behind a confirmation: the user types the customer's domain."""

    confirm_domain = forms.CharField(label=_("Type the domain to confirm"), max_length=255)
    idempotency_key = forms.CharField(widget=forms.HiddenInput)
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


class IdempotentMixin(forms.Form):
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)


class AddDomainForm(forms.Form):
    """Step 1: the domain (example.com) or group name (example → example.by-works.com) to verify."""

    domain = _domain_field(_("Domain or group name"))

    def clean_domain(self) -> str:
        return self.cleaned_data["domain"].lower()


class AddCustomerForm(IdempotentMixin, ReasonMixin):
    """Step 2: the customer and its first administrator (createCustomer)."""

    domain = forms.CharField(widget=forms.HiddenInput)
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

    def clean(self):
        data = super().clean()
        full = f"{data.get('admin_last_name', '')}{data.get('admin_first_name', '')}"
        if len(full) > 80:
            self.add_error(
                "admin_last_name", _("The administrator's full name may be at most 80 characters.")
            )
        return data


class ConfirmForm(IdempotentMixin, ReasonMixin):
    """A confirmation button for a slow change (activate), carrying its idempotency key."""


class UpgradeDomainForm(ReasonMixin):
    domain = forms.RegexField(
        label=_("Domain to move to"),
        regex=r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$",
        max_length=253,
        error_messages={"invalid": _("Enter a domain name such as example.com.")},
    )


class TransferLookupForm(forms.Form):
    domain = forms.CharField(label=_("Domain of the Online Direct customer"), max_length=253)
    partner_code = forms.CharField(
        label=_("Partner code"), max_length=64, help_text=_("The code the customer issued to you.")
    )


class TransferConfirmForm(IdempotentMixin, ReasonMixin):
    domain = forms.CharField(widget=forms.HiddenInput)
    partner_code = forms.CharField(widget=forms.HiddenInput)
