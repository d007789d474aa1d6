"""Forms of the subscription changes, each checking the contract's rules (subscriptions/rules.py) first.

Every change form is a `portal.core.changes.forms.ChangeForm`: it carries the submission's idempotency key (a
double click sends it once) and an optional reason or ticket for the audit trail. A form states the side effects the contract documents
(`consequences()`) and shows what changes (`preview()`: rows of label, before, after) on its confirmation step.
Date fields carry the allowed window as the date picker's min and max.
"""

from __future__ import annotations

import datetime as dt
from functools import partial

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.core.changes.forms import ChangeForm, new_key  # noqa: F401 (new_key: the tests fill forms with it)
from portal.core.lists import DateInput
from portal.core.vocabulary import PAID_PLANS, Plan, Product, RenewalType, ReservationType
from portal.core.vocabulary import label as _label
from subscriptions import rules


# Passed to a field declared on the class as partial(...), so that Django calls it when the form is shown, in the
# reader's language (called at import instead, the labels would stay in the language of the first import).
def _plan_choices(plans) -> list[tuple[str, str]]:
    return [(p, _label(Plan, p)) for p in plans]


def _product_choices(products) -> list[tuple[str, str]]:
    return [(p, _label(Product, p)) for p in products]


def _terms(product: str, plan: str) -> str:
    """Product and plan in words, once when they read the same (Free, Free)."""
    labels = [_label(Product, product), _label(Plan, plan)]
    return " ".join(dict.fromkeys(str(x) for x in labels if x))


def _licences_text(n) -> str:
    return "" if n is None else str(n)


LICENCES = _("Licences")


def _licence_field(label=LICENCES, **kwargs) -> forms.IntegerField:
    return forms.IntegerField(
        label=label, required=False, min_value=1, max_value=rules.MAX_LICENSES, **kwargs
    )


def _check_licences(form: forms.Form, plan: str, *, minimum: int | None = None) -> None:
    """Licence-based plans need a count (up to the maximum); other plans take none."""
    count = form.cleaned_data.get("license_count")
    if not plan:
        return
    if rules.needs_licences(plan):
        if count is None and "license_count" not in form.errors:
            form.add_error("license_count", _("Enter the number of licences: this plan is licence-based."))
        elif count is not None and minimum is not None and count < minimum:
            form.add_error(
                "license_count",
                _("At least %(n)s licences: the customer has %(n)s members.") % {"n": minimum},
            )
    elif count is not None:
        form.add_error(
            "license_count", _("Leave the licences empty: only annual licence plans count licences.")
        )


def _room(subscription) -> int:
    """How many licences can still be added: a subscription has at most MAX_LICENSES."""
    return rules.MAX_LICENSES - (subscription.license_count or 0)


def _check_room(form: forms.Form, subscription, count: int) -> None:
    """Adding `count` licences (now or on a date) may not take the subscription beyond MAX_LICENSES."""
    if count > _room(subscription):
        form.add_error(
            "license_count",
            _("At most %(n)s more licences: a subscription has at most 1,000,000.")
            % {"n": _room(subscription)},
        )


# --- Pre-orders -------------------------------------------------------------------------------------------


class PreOrderForm(ChangeForm):
    """createSubscriptionPreOrder: a new paid subscription starting on a date."""

    field_order = ["apply_date", "product_id", "plan", "license_count", "reason"]
    apply_date = forms.DateField(label=_("Start date"), widget=DateInput())
    product_id = forms.ChoiceField(label=_("Product"), choices=partial(_product_choices, rules.PAID_PRODUCTS))
    plan = forms.ChoiceField(label=_("Plan"), choices=partial(_plan_choices, PAID_PLANS))
    license_count = _licence_field(help_text=_("Required for annual licence plans; up to 1,000,000."))

    def __init__(self, *args, customer, today: dt.date, current=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.customer, self.today, self.current = customer, today, list(current)
        self.window = rules.pre_order_window(today)
        self.set_window("apply_date", self.window)

    def clean(self):
        data = super().clean()
        self.check_window("apply_date", self.window)
        _check_licences(self, data.get("plan", ""))
        return data

    def consequences(self) -> list[str]:
        out = [
            str(_("On the start date the customer's Free or Trial subscription gives way to this paid one.")),
            str(_("Deleting or moving the pre-order later does not change option orders tied to it.")),
        ]
        if any(rules.is_paid(s.plan) for s in self.current):
            out.append(
                str(_("The customer already has a paid subscription: the pre-order would do nothing."))
            )
        return out

    def preview(self):
        d = self.cleaned_data
        now = ", ".join(_terms(s.product_id, s.plan) for s in self.current) or "—"
        after = _terms(d["product_id"], d["plan"])
        if d.get("license_count"):
            after += " " + str(_("%(n)s licences") % {"n": d["license_count"]})
        return [
            (str(_("Subscription")), now, after),
            (str(_("From")), "—", d["apply_date"].isoformat()),
        ]


class PreOrderDateForm(ChangeForm):
    """updateSubscriptionPreOrder: only the date can change."""

    field_order = ["apply_date", "reason"]
    apply_date = forms.DateField(label=_("New start date"), widget=DateInput())

    def __init__(self, *args, pre_order, today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.pre_order = pre_order
        self.window = rules.pre_order_window(today)
        self.set_window("apply_date", self.window)

    def clean(self):
        data = super().clean()
        self.check_window("apply_date", self.window)
        if data.get("apply_date") == self.pre_order.apply_date:
            self.add_error("apply_date", _("This is already the pre-order's date."))
        return data

    def consequences(self):
        return [str(_("Only the date changes; option orders tied to the pre-order keep their own dates."))]

    def preview(self):
        return [
            (
                str(_("Start date")),
                self.pre_order.apply_date.isoformat(),
                self.cleaned_data["apply_date"].isoformat(),
            )
        ]


# --- Reservations -----------------------------------------------------------------------------------------


class ReservationForm(ChangeForm):
    """createSubscriptionReservation: one scheduled change of an existing subscription."""

    field_order = ["type", "apply_date", "product_id", "plan", "license_count", "reason"]
    type = forms.ChoiceField(label=_("Change"), widget=forms.RadioSelect)
    apply_date = forms.DateField(label=_("Date"), widget=DateInput())
    product_id = forms.ChoiceField(
        label=_("Paid product"),
        required=False,
        help_text=_("Only when a Free subscription starts paid service."),
    )
    plan = forms.ChoiceField(label=_("Paid plan"), required=False, help_text=_("Only for a paid start."))
    license_count = _licence_field(
        help_text=_(
            "Paid start on an annual licence plan: licences to have. Adding licences: licences to add."
        )
    )

    def __init__(self, *args, subscription, customer, today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.subscription, self.customer, self.today = subscription, customer, today
        kinds = rules.reservation_types(subscription)
        self.fields["type"].choices = [(k, _label(ReservationType, k)) for k in kinds]
        if len(kinds) == 1:
            self.fields["type"].initial = kinds[0]
        self.fields["plan"].choices = [("", "—"), *_plan_choices(PAID_PLANS)]
        self.fields["product_id"].choices = [("", "—"), *_product_choices(rules.PAID_PRODUCTS)]
        if subscription.plan != Plan.FREE:
            del self.fields["product_id"]
        if ReservationType.START_PAID_SERVICE not in kinds:
            del self.fields["plan"]
        if not kinds:
            self.fields["type"].help_text = _("This subscription cannot take a scheduled change.")
        # The date picker offers the widest window of the kinds; the chosen kind's window is checked below.
        windows = [
            (_label(ReservationType, k), rules.reservation_window(subscription, k, today)) for k in kinds
        ]
        self.set_windows("apply_date", [(kind, window) for kind, window in windows if window])

    def destroys(self) -> bool:
        return getattr(self, "cleaned_data", {}).get("type") == ReservationType.CANCEL

    def clean(self):
        data = super().clean()
        kind = data.get("type")
        if not kind:
            return data
        window = rules.reservation_window(self.subscription, kind, self.today)
        self.check_window("apply_date", window)
        count = data.get("license_count")
        if kind == ReservationType.START_PAID_SERVICE:
            plan = data.get("plan", "")
            if not plan:
                self.add_error("plan", _("Choose the paid plan to start."))
            _check_licences(self, plan)
            if self.subscription.plan == Plan.FREE:
                product = data.get("product_id", "")
                if not product:
                    self.add_error(
                        "product_id", _("Choose Standard or Advanced: a Free subscription needs one.")
                    )
            else:
                product = rules.PAID_EQUIVALENT.get(self.subscription.product_id, "")
            refusal = rules.advanced_needs_domain(self.customer, product)
            if refusal and self.subscription.product_id in (Product.FR, Product.STD_T):
                self.add_error("product_id" if "product_id" in self.fields else None, refusal)
        elif kind == ReservationType.ADD_LICENSE:
            if count is None:
                self.add_error("license_count", _("Enter how many licences to add."))
            else:
                _check_room(self, self.subscription, count)
        elif count is not None:
            self.add_error("license_count", _("A cancellation takes no licence count."))
        return data

    def consequences(self):
        kind = self.cleaned_data.get("type") if hasattr(self, "cleaned_data") else None
        if kind == ReservationType.CANCEL:
            return [
                str(_("On that date the subscription ends and all of its options are cancelled with it.")),
                str(
                    _(
                        "A subscription can have only one scheduled change: this one blocks others until deleted."
                    )
                ),
            ]
        if kind == ReservationType.START_PAID_SERVICE:
            return [
                str(_("Trial options without a scheduled change of their own become paid on the same date.")),
                str(_("While a paid start is scheduled, the subscription cannot be cancelled.")),
            ]
        return [str(_("The licences are added on that date; the customer's maximum users do not change."))]

    def preview(self):
        d, s = self.cleaned_data, self.subscription
        kind = d["type"]
        rows = [(str(_("Date")), "—", d["apply_date"].isoformat())]
        if kind == ReservationType.START_PAID_SERVICE:
            product = d.get("product_id") or rules.PAID_EQUIVALENT.get(s.product_id, s.product_id)
            rows.append(
                (
                    str(_("Subscription")),
                    _terms(s.product_id, s.plan),
                    _terms(product, d["plan"]),
                )
            )
            if d.get("license_count"):
                rows.append((str(_("Licences")), "—", str(d["license_count"])))
        elif kind == ReservationType.ADD_LICENSE:
            before = s.license_count or 0
            rows.append((str(_("Licences")), str(before), str(before + d["license_count"])))
        else:
            rows.append(
                (
                    str(_("Subscription")),
                    _terms(s.product_id, s.plan),
                    str(_("Cancelled")),
                )
            )
        return rows


class ReservationDateForm(ChangeForm):
    """updateSubscriptionReservation: only the date can change, within the window of the change's kind."""

    field_order = ["apply_date", "reason"]
    apply_date = forms.DateField(label=_("New date"), widget=DateInput())

    def __init__(self, *args, subscription, reservation, today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.subscription, self.reservation = subscription, reservation
        self.window = rules.reservation_window(subscription, reservation.type, today)
        self.set_window("apply_date", self.window)

    def clean(self):
        data = super().clean()
        self.check_window("apply_date", self.window)
        if data.get("apply_date") == self.reservation.apply_date:
            self.add_error("apply_date", _("This is already the scheduled date."))
        return data

    def consequences(self):
        return [str(_("Only the date changes; option orders keep their own dates."))]

    def preview(self):
        return [
            (
                str(_("Date")),
                self.reservation.apply_date.isoformat(),
                self.cleaned_data["apply_date"].isoformat(),
            )
        ]


# --- Renewal ----------------------------------------------------------------------------------------------


class RenewalForm(ChangeForm):
    """updateSubscriptionRenewal: at the end of the term, renew unchanged, with changes, or not at all."""

    field_order = ["type", "product_id", "plan", "license_count", "reason"]
    type = forms.ChoiceField(
        label=_("At the end of the term"), choices=RenewalType.choices, widget=forms.RadioSelect
    )
    product_id = forms.ChoiceField(label=_("Product at renewal"), required=False)
    plan = forms.ChoiceField(label=_("Plan at renewal"), required=False)
    license_count = _licence_field(
        label=_("Licences at renewal"), help_text=_("For annual licence plans; fewer than now is allowed.")
    )

    def __init__(self, *args, subscription, customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.subscription, self.customer = subscription, customer
        self.fields["product_id"].choices = [("", _("Unchanged")), *_product_choices(rules.PAID_PRODUCTS)]
        self.fields["plan"].choices = [("", _("Unchanged")), *_plan_choices(PAID_PLANS)]

    def destroys(self) -> bool:
        return getattr(self, "cleaned_data", {}).get("type") == RenewalType.CANCEL

    @staticmethod
    def initial_for(subscription) -> dict:
        return {
            "type": subscription.renewal_type or RenewalType.STAY,
            "product_id": subscription.renewal_product_id,
            "plan": subscription.renewal_plan,
            "license_count": subscription.renewal_license_count,
        }

    def clean(self):
        data = super().clean()
        s = self.subscription
        refusal = rules.renewal_refusal(s)
        if refusal:
            raise forms.ValidationError(refusal)
        kind = data.get("type")
        if kind != RenewalType.CHANGE:
            # STAY and CANCEL take no terms.
            data["product_id"], data["plan"], data["license_count"] = "", "", None
            return data
        product, plan = rules.renewal_terms(s, product=data.get("product_id", ""), plan=data.get("plan", ""))
        data["product_id"], data["plan"] = product, plan
        error = rules.renewal_change_error(
            s, self.customer, product=product, plan=plan, count=data.get("license_count")
        )
        if error:
            self.add_error(*error)
        return data

    def consequences(self):
        kind = self.cleaned_data.get("type")
        if kind == RenewalType.CANCEL:
            day = self.subscription.renewal_date
            return [
                str(
                    _("The subscription is not renewed: it ends after %(day)s with its term.")
                    % {
                        "day": self.subscription.plan_end_date.isoformat()
                        if self.subscription.plan_end_date
                        else "—"
                    }
                )
            ] + ([str(_("You can change this again until the term ends."))] if day else [])
        said = []
        if kind == RenewalType.CHANGE:
            d = self.cleaned_data
            fewer = rules.renewal_licences_below_members(
                self.subscription, self.customer, plan=d.get("plan", ""), count=d.get("license_count")
            )
            said += [fewer] if fewer else []
            if d.get("product_id"):
                said.append(str(_("An immediate upgrade later would clear this upgrade at renewal.")))
        return said

    def preview(self):
        d, s = self.cleaned_data, self.subscription
        rows = [
            (
                str(_("Renewal")),
                s.get_renewal_type_display() if s.renewal_type else "—",
                _label(RenewalType, d["type"]),
            )
        ]
        if d["type"] == RenewalType.CHANGE:
            rows += [
                (
                    str(_("Product")),
                    s.get_product_display(),
                    _label(Product, d["product_id"] or s.product_id),
                ),
                (str(_("Plan")), s.get_plan_display(), _label(Plan, d["plan"] or s.plan)),
                (
                    str(_("Licences")),
                    _licences_text(s.license_count),
                    _licences_text(d["license_count"] if d["license_count"] is not None else s.license_count),
                ),
            ]
        return rows


# --- Immediate changes ------------------------------------------------------------------------------------


class SubscriptionAddForm(ChangeForm):
    """createSubscription: a subscription from today (Free and Trial can only be added this way)."""

    field_order = ["product_id", "plan", "license_count", "reason"]
    product_id = forms.ChoiceField(label=_("Product"), choices=Product.choices)
    plan = forms.ChoiceField(label=_("Plan"), choices=Plan.choices)
    license_count = _licence_field(help_text=_("Required for annual licence plans; up to 1,000,000."))

    def __init__(self, *args, customer, current=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.customer, self.current = customer, list(current)

    def clean(self):
        data = super().clean()
        product, plan = data.get("product_id", ""), data.get("plan", "")
        if product and plan and plan not in rules.PLANS_OF_PRODUCT.get(product, ()):
            allowed = ", ".join(_label(Plan, p) for p in rules.PLANS_OF_PRODUCT.get(product, ()))
            self.add_error(
                "plan",
                _("%(product)s goes with: %(plans)s.")
                % {"product": _label(Product, product), "plans": allowed},
            )
        if plan and rules.is_paid(plan):
            _check_licences(self, plan)
        elif data.get("license_count") is not None:
            self.add_error(
                "license_count", _("Leave the licences empty: only annual licence plans count licences.")
            )
        refusal = rules.advanced_needs_domain(self.customer, product)
        if refusal:
            self.add_error("product_id", refusal)
        if any(s.plan in (Plan.FREE, Plan.TRIAL) for s in self.current) and rules.is_paid(plan):
            self.add_error(
                None, _("This customer uses a Free or Trial subscription: convert it to paid instead.")
            )
        return data

    def consequences(self):
        out = [str(_("The subscription starts today and is billed from today when it is paid."))]
        if rules.is_paid(self.cleaned_data.get("plan", "")):
            out.append(str(_("A paid subscription needs the Free or Trial plan to have been used first.")))
        return out

    def preview(self):
        d = self.cleaned_data
        now = ", ".join(_terms(s.product_id, s.plan) for s in self.current) or "—"
        after = _terms(d["product_id"], d["plan"])
        if d.get("license_count"):
            after += " " + str(_("%(n)s licences") % {"n": d["license_count"]})
        return [(str(_("Subscriptions")), now, after)]


class ConvertForm(ChangeForm):
    """convertSubscriptionToPaid: a Free or Trial subscription becomes paid today."""

    field_order = ["product_id", "plan", "license_count", "reason"]
    product_id = forms.ChoiceField(
        label=_("Paid product"), choices=partial(_product_choices, rules.PAID_PRODUCTS)
    )
    plan = forms.ChoiceField(label=_("Paid plan"), choices=partial(_plan_choices, PAID_PLANS))
    license_count = _licence_field(
        help_text=_("For annual licence plans: at least the customer's member count.")
    )

    def __init__(self, *args, subscription, customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.subscription, self.customer = subscription, customer
        if subscription.plan != Plan.FREE:
            # A Trial becomes the paid product of the same level; the API refuses a productId here.
            del self.fields["product_id"]

    @property
    def target_product(self) -> str:
        if "product_id" in self.fields:
            return self.cleaned_data.get("product_id", "")
        return rules.PAID_EQUIVALENT.get(self.subscription.product_id, self.subscription.product_id)

    def clean(self):
        data = super().clean()
        refusal = rules.convert_refusal(self.subscription)
        if refusal:
            raise forms.ValidationError(refusal)
        _check_licences(self, data.get("plan", ""), minimum=self.customer.member_count or None)
        refusal = rules.advanced_needs_domain(self.customer, self.target_product)
        if refusal and self.subscription.product_id in (Product.FR, Product.STD_T):
            self.add_error("product_id" if "product_id" in self.fields else None, refusal)
        return data

    def consequences(self):
        # The deleted scheduled change is the declared change's to state (subscriptions/changes.py), the options
        # that stay Trial the options app's (options/changes.py, EFFECTS): each is said once.
        return [str(_("Billing starts today."))]

    def preview(self):
        d, s = self.cleaned_data, self.subscription
        rows = [
            (
                str(_("Subscription")),
                _terms(s.product_id, s.plan),
                _terms(self.target_product, d["plan"]),
            )
        ]
        if d.get("license_count"):
            rows.append((str(_("Licences")), _licences_text(s.license_count) or "—", str(d["license_count"])))
        return rows


class UpgradeForm(ChangeForm):
    """upgradeSubscription: Standard to Advanced today."""

    field_order = ["reason"]

    def __init__(self, *args, subscription, customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.subscription, self.customer = subscription, customer
        self.target = rules.UPGRADES.get(subscription.product_id, "")

    def unavailable(self) -> str | None:
        return rules.upgrade_refusal(self.subscription, self.customer)

    def clean(self):
        data = super().clean()
        refusal = self.unavailable()
        if refusal:
            raise forms.ValidationError(refusal)
        return data

    def consequences(self):
        # The upgrade set for the renewal is the declared change's to state, the options it cancels the options
        # app's, by name: each is said once.
        return [str(_("Advanced applies from today, with its price."))]

    def preview(self):
        s = self.subscription
        return [(str(_("Product")), s.get_product_display(), _label(Product, self.target))]


class AddLicencesForm(ChangeForm):
    """addSubscriptionLicenseCount: more licences from today."""

    field_order = ["license_count", "reason"]
    license_count = forms.IntegerField(label=_("Licences to add"), min_value=1, max_value=rules.MAX_LICENSES)

    def __init__(self, *args, subscription, **kwargs):
        super().__init__(*args, **kwargs)
        self.subscription = subscription
        self.fields["license_count"].widget.attrs["max"] = max(_room(subscription), 1)

    def clean(self):
        data = super().clean()
        refusal = rules.add_licences_refusal(self.subscription)
        if refusal:
            raise forms.ValidationError(refusal)
        count = data.get("license_count")
        if count is not None:
            _check_room(self, self.subscription, count)
        return data

    def consequences(self):
        # When the licences are billed is the declared change's to state (subscriptions/changes.py).
        return [
            str(
                _(
                    "The customer's maximum users do not change; raise it on the customer's usage page if needed."
                )
            ),
        ]

    def preview(self):
        before = self.subscription.license_count or 0
        return [(str(_("Licences")), str(before), str(before + self.cleaned_data["license_count"]))]


class CancelForm(ChangeForm):
    """cancelSubscription: the subscription ends today."""

    field_order = ["reason"]

    def __init__(self, *args, subscription, **kwargs):
        super().__init__(*args, **kwargs)
        self.subscription = subscription

    def clean(self):
        data = super().clean()
        refusal = rules.cancel_refusal(self.subscription)
        if refusal:
            raise forms.ValidationError(refusal)
        return data

    def consequences(self):
        # The options cancelled with it are the options app's to name (options/changes.py, EFFECTS).
        out = [
            str(_("The subscription ends today.")),
            str(
                _(
                    "To end it on a later date, schedule a cancellation; to stop at the end of the term, set the renewal to Do not renew."
                )
            ),
        ]
        if rules.is_paid(self.subscription.plan):
            out.append(
                str(_("A paid term stopped early is billed up to yesterday, plus a cancellation fee."))
            )
        return out

    def preview(self):
        s = self.subscription
        return [(str(_("Subscription")), _terms(s.product_id, s.plan), str(_("Cancelled")))]
