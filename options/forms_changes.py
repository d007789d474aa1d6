"""Forms of the option changes, each checking the contract's rules (options/rules.py) before the API is called.

Every form is a `ChangeForm` (idempotency key, reason); `preview()` gives the before → after rows and
`consequences()` what the choices imply; the declared change adds the side effects the contract documents.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from options import rules
from portal.core.changes.forms import ChangeForm, new_key  # noqa: F401 (new_key: the tests fill forms with it)
from portal.core.lists import DateInput
from portal.core.vocabulary import OptionOrderType

QUANTITY = _("Quantity")
SUB_OPTION = _("Sub option")


def _choices(subs) -> list[tuple[str, str]]:
    return [(s.sub_option_id, s.label) for s in subs]


def _option_text(sub_option_id: str, quantity: int | None) -> str:
    text = rules.sub_option_label(sub_option_id)
    return f"{text} × {quantity}" if quantity else text


class OptionAddForm(ChangeForm):
    """createOptionProduct: only the sub options this customer's subscription allows are offered."""

    field_order = ["sub_option_id", "quantity", "reason"]
    sub_option_id = forms.ChoiceField(label=SUB_OPTION)
    quantity = forms.IntegerField(
        label=QUANTITY,
        required=False,
        min_value=1,
        max_value=1000,
        help_text=_("Shared Storage and Extend contacts only; 1 when left empty."),
    )

    def __init__(
        self,
        *args,
        subscription,
        in_use: set[str],
        orders: dict,
        readd_from: dict | None = None,
        today: dt.date | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.subscription, self.orders = subscription, orders
        self.readd_from, self.today = readd_from or {}, today
        product = subscription.product_id if subscription else ""
        self.allowed = rules.addable_sub_options(product_id=product, in_use=in_use)
        self.fields["sub_option_id"].choices = _choices(self.allowed)

    def clean(self):
        data = super().clean()
        refusal = rules.add_refusal(subscription=self.subscription)
        if refusal:
            raise forms.ValidationError(refusal)
        sub = rules.SUB_OPTIONS.get(data.get("sub_option_id") or "")
        if sub is not None:
            if not rules.may_add(product_id=self.subscription.product_id, sub_option_id=sub.sub_option_id):
                self.add_error("sub_option_id", _("This subscription cannot have this sub option."))
            if data.get("quantity") and not sub.quantity:
                self.add_error("quantity", _("Leave the quantity empty: this option has no quantity."))
            if self.today is not None:
                refusal = rules.readd_refusal(
                    readd_from=self.readd_from.get(sub.option_product_id), day=self.today
                )
                if refusal:
                    self.add_error("sub_option_id", refusal)
        return data

    @property
    def sub(self):
        return rules.SUB_OPTIONS[self.cleaned_data["sub_option_id"]]

    def scheduled_order(self) -> str:
        order = self.orders.get(self.sub.option_product_id)
        return order.apply_date.isoformat() if order else ""

    def consequences(self):
        return [str(_("The option starts today and is billed from today."))]

    def preview(self):
        q = self.cleaned_data.get("quantity") or (1 if self.sub.quantity else None)
        return [(str(_("Option")), str(_("None")), _option_text(self.sub.sub_option_id, q))]


class OptionUpgradeForm(ChangeForm):
    """upgradeOptionProduct: only to a higher tier of the same option, now."""

    field_order = ["sub_option_id", "reason"]
    sub_option_id = forms.ChoiceField(label=_("Upgrade to"))

    def __init__(self, *args, option, **kwargs):
        super().__init__(*args, **kwargs)
        self.option = option
        self.fields["sub_option_id"].choices = _choices(
            rules.upgrade_targets(sub_option_id=option.sub_option_id)
        )

    def clean(self):
        data = super().clean()
        if not rules.upgrade_targets(sub_option_id=self.option.sub_option_id):
            raise forms.ValidationError(_("This option has no larger sub option to upgrade to."))
        return data

    def preview(self):
        o = self.option
        return [
            (
                str(SUB_OPTION),
                o.get_sub_option_display(),
                rules.sub_option_label(self.cleaned_data["sub_option_id"]),
            )
        ]


class OptionAddQuantityForm(ChangeForm):
    """addOptionProductQuantity: more units of Shared Storage or Extend contacts, now."""

    field_order = ["quantity", "reason"]
    quantity = forms.IntegerField(label=_("Units to add"), min_value=1, max_value=1000)

    def __init__(self, *args, option, **kwargs):
        super().__init__(*args, **kwargs)
        self.option = option

    def clean(self):
        data = super().clean()
        if not rules.has_quantity(self.option.option_product_id):
            raise forms.ValidationError(_("Only Shared Storage and Extend contacts carry a quantity."))
        if data.get("quantity") and (self.option.quantity or 0) + data["quantity"] > 1000:
            self.add_error("quantity", _("An option holds at most 1,000 units."))
        return data

    def preview(self):
        before = self.option.quantity or 0
        return [(str(QUANTITY), str(before), str(before + self.cleaned_data["quantity"]))]


class OptionCancelForm(ChangeForm):
    """cancelOptionProduct: the option ends today."""

    field_order = ["reason"]

    def __init__(self, *args, option, today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.option, self.today = option, today

    def readd_from(self) -> str:
        day = rules.readd_date_after_cancel(today=self.today, plan=self.option.plan)
        return day.isoformat() if day else ""

    def preview(self):
        o = self.option
        return [(str(_("Option")), _option_text(o.sub_option_id, o.quantity), str(_("Cancelled")))]


class OptionRenewalForm(ChangeForm):
    """updateOptionProductRenewal: keep the option at renewal (STAY) or change its tier or quantity (CHANGE)."""

    field_order = ["type", "sub_option_id", "quantity", "reason"]
    type = forms.ChoiceField(
        label=_("At renewal"),
        choices=[("STAY", _("Renew unchanged")), ("CHANGE", _("Renew with changes"))],
        widget=forms.RadioSelect,
    )
    sub_option_id = forms.ChoiceField(label=_("Sub option at renewal"), required=False)
    quantity = forms.IntegerField(label=_("Quantity at renewal"), required=False, min_value=1, max_value=1000)

    def __init__(self, *args, option, usage: int | None, **kwargs):
        super().__init__(*args, **kwargs)
        self.option, self.usage = option, usage
        self.fields["sub_option_id"].choices = [("", _("Unchanged"))] + _choices(
            rules.renewal_targets(sub_option_id=option.sub_option_id)
        )
        if not rules.has_quantity(option.option_product_id):
            del self.fields["quantity"]

    def clean(self):
        data = super().clean()
        if data.get("type") == "CHANGE" and not data.get("sub_option_id") and not data.get("quantity"):
            self.add_error("sub_option_id", _("Choose what changes at renewal: a sub option or a quantity."))
        if data.get("type") == "STAY":
            data["sub_option_id"], data["quantity"] = "", None
        return data

    def target(self) -> tuple[str, int | None]:
        d = self.cleaned_data
        return d.get("sub_option_id") or self.option.sub_option_id, d.get("quantity") or self.option.quantity

    def consequences(self):
        if self.cleaned_data.get("type") != "CHANGE":
            return []
        sub_option_id, quantity = self.target()
        if rules.usage_exceeds(sub_option_id=sub_option_id, quantity=quantity, usage=self.usage):
            return [
                str(
                    _(
                        "Warning: the current usage (%(usage)s) is already above what this choice holds; unless it "
                        "drops before renewal, LINE WORKS will renew the option unchanged."
                    )
                    % {"usage": self.usage}
                )
            ]
        return []

    def preview(self):
        o = self.option
        if self.cleaned_data.get("type") != "CHANGE":
            return [(str(_("At renewal")), o.get_renewal_type_display() or "—", str(_("Renew unchanged")))]
        sub_option_id, quantity = self.target()
        return [
            (
                str(_("At renewal")),
                _option_text(o.sub_option_id, o.quantity),
                _option_text(sub_option_id, quantity),
            )
        ]


def order_window_for(order_type: str, subscription, reservation, option, today: dt.date):
    """The date window of an order of this type for this customer's subscription (and its scheduled change)."""
    rules_same = rules.same_date_of(
        order_type=order_type,
        subscription_plan=subscription.plan if subscription else "",
        reservation_type=reservation.type if reservation else "",
        reservation_date=reservation.apply_date if reservation else None,
    )
    return rules.order_window(
        order_type=order_type,
        today=today,
        subscription_plan=subscription.plan if subscription else "",
        subscription_end=subscription.plan_end_date if subscription else None,
        option_end=option.plan_end_date if option else None,
        same_date=rules_same,
    )


class OptionOrderForm(ChangeForm):
    """createOptionProductOrder: schedule an option change, each type with its own date window.

    Before anything is sent the form offers only what this customer can schedule: the kinds of change that
    apply, the sub options its plan allows (to add) or that are in use (to cancel, start paid, change the
    quantity), none that already has a scheduled change; and the date help gives each kind's window."""

    field_order = ["type", "sub_option_id", "quantity", "apply_date", "reason"]
    type = forms.ChoiceField(label=_("Change"), choices=OptionOrderType.choices)
    sub_option_id = forms.ChoiceField(label=SUB_OPTION)
    quantity = forms.IntegerField(
        label=QUANTITY,
        required=False,
        min_value=1,
        max_value=1000,
        help_text=_("Shared Storage and Extend contacts only: the new total for a quantity change."),
    )
    apply_date = forms.DateField(label=_("Date"), widget=DateInput())

    def __init__(
        self,
        *args,
        subscription,
        reservation,
        options: dict,
        orders: dict,
        today: dt.date,
        readd_from: dict | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.subscription, self.options, self.orders, self.today = subscription, options, orders, today
        self.readd_from = readd_from or {}
        self.reservation = reservation
        free = {k: o for k, o in options.items() if k not in orders}
        product = rules.order_product(subscription=subscription, reservation=reservation)
        addable = [
            s
            for s in rules.SUB_OPTIONS.values()
            if rules.may_add(product_id=product, sub_option_id=s.sub_option_id)
            and s.option_product_id not in options
            and s.option_product_id not in orders
        ]
        in_use = [
            rules.SUB_OPTIONS[o.sub_option_id] for o in free.values() if o.sub_option_id in rules.SUB_OPTIONS
        ]
        offered = {s.sub_option_id for s in (*addable, *in_use)}
        self.fields["sub_option_id"].choices = _choices(
            s for s in rules.SUB_OPTIONS.values() if s.sub_option_id in offered
        )
        self.kinds = rules.order_kinds(options=free, addable=addable)
        self.fields["type"].choices = [(k, OptionOrderType(k).label) for k in self.kinds]
        if not self.kinds:
            self.fields["type"].help_text = _("No option change can be scheduled for this customer now.")
        # The date help gives the window of the kind chosen (a row's link chooses it), or of each kind.
        source = self.data if self.is_bound else self.initial
        chosen = source.get("type") or ""
        self.set_windows(
            "apply_date",
            self.windows([chosen] if chosen in self.kinds else self.kinds, source.get("sub_option_id") or ""),
        )

    def unavailable(self) -> str | None:
        """Nothing this customer could schedule (a Free subscription before its paid start, say)."""
        return None if self.kinds else str(_("No option change can be scheduled for this customer now."))

    def window(self, order_type: str, sub_option_id: str):
        sub = rules.SUB_OPTIONS.get(sub_option_id)
        option = self.options.get(sub.option_product_id) if sub else None
        return order_window_for(order_type, self.subscription, self.reservation, option, self.today)

    def windows(self, kinds: list[str], sub_option_id: str) -> list[tuple[str, object]]:
        """(label, window) of each kind: a cancellation or a paid start depends on the option (its end), so
        it is given for the option chosen, or for each option it may concern when they differ."""
        chosen = rules.SUB_OPTIONS.get(sub_option_id)
        out: list[tuple[str, object]] = []
        for kind in kinds:
            label = str(OptionOrderType(kind).label)
            if kind not in ("CANCEL", "START_PAID_SERVICE"):
                out.append((label, self.window(kind, sub_option_id)))
                continue
            concerned = [
                o
                for key, o in self.options.items()
                if key not in self.orders
                and (kind == "CANCEL" or o.trial)
                and (chosen is None or key == chosen.option_product_id)
            ]
            per_option = [(o, self.window(kind, o.sub_option_id)) for o in concerned]
            if len({w for _o, w in per_option}) <= 1:
                out += [(label, w) for _o, w in per_option[:1]]
            else:
                out += [
                    (
                        str(
                            _("%(change)s (%(option)s)") % {"change": label, "option": o.get_option_display()}
                        ),
                        w,
                    )
                    for o, w in per_option
                ]
        return out

    def clean(self):
        data = super().clean()
        if self.subscription is not None and self.subscription.status == "SUSPENDED_TRIALEND":
            raise forms.ValidationError(_("Options cannot be scheduled during the Trial grace period."))
        kind, sub = data.get("type"), rules.SUB_OPTIONS.get(data.get("sub_option_id") or "")
        if not kind or sub is None:
            return data
        option = self.options.get(sub.option_product_id)
        if sub.option_product_id in self.orders:
            self.add_error(
                "sub_option_id", _("This option already has a scheduled change: change or delete it.")
            )
        quantity = data.get("quantity")
        if kind == "APPLY" and option is not None:
            self.add_error("sub_option_id", _("This option is already in use."))
        if kind == "APPLY" and data.get("apply_date"):
            refusal = rules.readd_refusal(
                readd_from=self.readd_from.get(sub.option_product_id), day=data["apply_date"]
            )
            if refusal:
                self.add_error("apply_date", refusal)
        if kind in ("CANCEL", "START_PAID_SERVICE", "CHANGE_QUANTITY") and option is None:
            self.add_error("sub_option_id", _("This option is not in use."))
        if kind == "START_PAID_SERVICE" and option is not None and not option.trial:
            self.add_error("sub_option_id", _("Only a Trial option can start its paid service."))
        if kind == "CHANGE_QUANTITY":
            if not sub.quantity:
                self.add_error(
                    "sub_option_id", _("Only Shared Storage and Extend contacts carry a quantity.")
                )
            elif option is not None and (quantity is None or quantity <= (option.quantity or 0)):
                self.add_error(
                    "quantity",
                    _("Enter a new total above the current %(n)s units.") % {"n": option.quantity or 0},
                )
        elif quantity and not (kind == "APPLY" and sub.quantity):
            self.add_error("quantity", _("Leave the quantity empty for this change."))
        window = self.window(kind, sub.sub_option_id)
        self.set_window("apply_date", window)
        if window.empty and "apply_date" not in self.errors:
            self.add_error("apply_date", _("No date is possible for this change now."))
        else:
            self.check_window("apply_date", window)
        return data

    def destroys(self) -> bool:
        return getattr(self, "cleaned_data", {}).get("type") == "CANCEL"

    def preview(self):
        d = self.cleaned_data
        return [
            (
                str(OptionOrderType(d["type"]).label),
                "—",
                f"{_option_text(d['sub_option_id'], d.get('quantity'))} · {d['apply_date'].isoformat()}",
            )
        ]


class OptionOrderDateForm(ChangeForm):
    """updateOptionProductOrder: move a scheduled option change (its type and option stay)."""

    field_order = ["apply_date", "reason"]
    apply_date = forms.DateField(label=_("New date"), widget=DateInput())

    def __init__(self, *args, order, subscription, reservation, option, today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.order = order
        self.window = order_window_for(order.type, subscription, reservation, option, today)
        self.set_window("apply_date", self.window)

    def clean(self):
        data = super().clean()
        self.check_window("apply_date", self.window)
        return data

    def preview(self):
        return [
            (str(_("Date")), self.order.apply_date.isoformat(), self.cleaned_data["apply_date"].isoformat())
        ]
