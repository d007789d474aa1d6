"""The subscriptions list's bulk actions (`portal.core.changes.bulk`): each row is one subscription, keyed by its
subscriptionId; every row sends the declared change of its own (subscriptions/changes.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from customers.selectors import readable
from portal.core import clock
from portal.core.access import check
from portal.core.changes.bulk import BulkAction, BulkValuesForm, RowCheck
from portal.core.lists import DateInput, ListState
from portal.core.vocabulary import PAID_PLANS, Plan, Product, RenewalType, ReservationType, name_of
from subscriptions import rules, selectors
from subscriptions.lists import SUBSCRIPTION_LIST
from subscriptions.models import Subscription
from subscriptions.permissions import CHANGE_SUBSCRIPTIONS, VIEW_SUBSCRIPTIONS
from subscriptions.selectors import SubscriptionFilters

LIST = "subscriptions"


def select(request) -> Any:
    """Every subscription the list shows with the request's filters (its query string, as the list page's)."""
    state = ListState.from_request(request, SUBSCRIPTION_LIST)
    return selectors.subscription_list(user=request.user, filters=state.filters)


def read(user, keys: Sequence[str]) -> dict[str, Subscription]:
    """The subscriptions of `keys` still in the cache that `user` may read (an Account manager's own customers'
    under `PORTFOLIO_ONLY`: another's are not found, so not sent), each with its customer and scheduled change."""
    check(user, VIEW_SUBSCRIPTIONS)
    ids = [int(k) for k in keys if k.isascii() and k.isdigit()]
    found = Subscription.objects.filter(pk__in=ids, customer__removed_at=None)
    rows = readable(found, user=user).select_related("customer", "reservation")
    return {str(s.pk): s for s in rows}


def describe(s: Subscription) -> str:
    return gettext("%(company)s · %(product)s %(plan)s (subscription ID %(id)s)") % {
        "company": s.customer.company_name,
        "product": s.get_product_display(),
        "plan": s.get_plan_display(),
        "id": s.pk,
    }


class RenewalValuesForm(BulkValuesForm):
    """What every chosen subscription does at the end of its term: renew unchanged, with changes (the product,
    plan or licences at renewal: each left "Unchanged" keeps the subscription's own), or not at all. Whether
    the changes suit each subscription is the dry run's (its plan, its customer's domain)."""

    type = forms.ChoiceField(
        label=_("At the end of the term"), choices=RenewalType.choices, widget=forms.RadioSelect
    )
    product_id = forms.ChoiceField(label=_("Product at renewal"), required=False)
    plan = forms.ChoiceField(label=_("Plan at renewal"), required=False)
    license_count = forms.IntegerField(
        label=_("Licences at renewal"),
        required=False,
        min_value=1,
        max_value=rules.MAX_LICENSES,
        help_text=_("For annual licence plans; fewer than now is allowed."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product_id"].choices = [
            ("", _("Unchanged")),
            *((p, name_of(p, Product)) for p in rules.PAID_PRODUCTS),
        ]
        self.fields["plan"].choices = [("", _("Unchanged")), *((p, name_of(p, Plan)) for p in PAID_PLANS)]

    def clean(self):
        data = super().clean()
        if data.get("type") != RenewalType.CHANGE:
            # Renewing unchanged or not at all takes no terms.
            data["product_id"], data["plan"], data["license_count"] = "", "", None
        elif not (data.get("product_id") or data.get("plan") or data.get("license_count") is not None):
            self.add_error(
                "type", _("Choose what changes at renewal (product, plan or licences), or renew unchanged.")
            )
        elif (
            data.get("plan")
            and data.get("license_count") is not None
            and not rules.needs_licences(data["plan"])
        ):
            self.add_error(
                "license_count", _("Leave the licences empty: only annual licence plans count licences.")
            )
        return data


def _renewal_text(value: str) -> str:
    return name_of(value, RenewalType) if value else "—"


def _wanted_terms(s: Subscription, values: Mapping[str, Any]) -> tuple[str, str, int | None]:
    """The product, plan and licences a renewal with changes sends for `s` (its own values left out)."""
    product, plan = rules.renewal_terms(
        s, product=values.get("product_id") or "", plan=values.get("plan") or ""
    )
    return product, plan, values.get("license_count")


def _licences_text(n: int | None) -> str:
    return "—" if n is None else str(n)


def check_renewal(s: Subscription, values: Mapping[str, Any]) -> RowCheck:
    """The dry run of updateSubscriptionRenewal for one subscription: the contract's rules (paid subscriptions
    only; with changes, the rules of the one-subscription form: `rules.renewal_change_error`), and nothing to
    send when it is set so already."""
    refusal = rules.renewal_refusal(s)
    if refusal:
        return RowCheck(refusal=refusal)
    wanted = values["type"]
    if wanted != RenewalType.CHANGE:
        if s.renewal_type == wanted:
            return RowCheck(
                refusal=gettext("Already set to %(value)s: nothing to send.")
                % {"value": _renewal_text(wanted)}
            )
        effects = []
        if wanted == RenewalType.CANCEL:
            end = s.plan_end_date.isoformat() if s.plan_end_date else "—"
            effects.append(
                gettext("The subscription is not renewed: it ends after %(day)s with its term.")
                % {"day": end}
            )
        return RowCheck(
            changes=[(gettext("Renewal"), _renewal_text(s.renewal_type), _renewal_text(wanted))],
            side_effects=effects,
        )
    product, plan, count = _wanted_terms(s, values)
    error = rules.renewal_change_error(s, s.customer, product=product, plan=plan, count=count)
    if error:
        return RowCheck(refusal=error[1])
    if (
        s.renewal_type == RenewalType.CHANGE
        and (s.renewal_product_id or "") == product
        and (s.renewal_plan or "") == plan
        and s.renewal_license_count == count
    ):
        return RowCheck(
            refusal=gettext("Already set to %(value)s: nothing to send.") % {"value": _renewal_text(wanted)}
        )
    effects = []
    fewer = rules.renewal_licences_below_members(s, s.customer, plan=plan, count=count)
    if fewer:
        effects.append(fewer)
    if product:
        effects.append(gettext("An immediate upgrade later would clear this upgrade at renewal."))
    return RowCheck(
        changes=[
            (gettext("Renewal"), _renewal_text(s.renewal_type), _renewal_text(wanted)),
            (gettext("Product"), s.get_product_display(), name_of(product or s.product_id, Product)),
            (gettext("Plan"), s.get_plan_display(), name_of(plan or s.plan, Plan)),
            (
                gettext("Licences"),
                _licences_text(s.license_count),
                _licences_text(count if count is not None else s.license_count),
            ),
        ],
        side_effects=effects,
    )


def renewal_args(s: Subscription, values: Mapping[str, Any]) -> dict[str, Any]:
    args = {"domain_id": s.customer_id, "subscription_id": s.pk, "type": values["type"]}
    if s.license_count is not None:  # what a reduction is measured from (changes.licences_taken)
        args["licences_before"] = s.license_count
    if values["type"] == RenewalType.CHANGE:
        product, plan, count = _wanted_terms(s, values)
        args |= {k: v for k, v in (("product_id", product), ("plan", plan), ("license_count", count)) if v}
    return args


class CancellationValuesForm(BulkValuesForm):
    """The day every chosen subscription is cancelled on (each row's own window is checked in the dry run)."""

    apply_date = forms.DateField(label=_("Cancellation date"), widget=DateInput())


def _scheduled_already(s: Subscription) -> str:
    """The contract's one scheduled change per subscription: why another cannot be made ("" when it can)."""
    reservation = getattr(s, "reservation", None)
    if reservation is None:
        return ""
    return gettext(
        "A change is scheduled for this subscription already (%(kind)s on %(day)s); a subscription "
        "takes one. Move or delete it first."
    ) % {"kind": name_of(reservation.type, ReservationType), "day": reservation.apply_date.isoformat()}


def check_cancellation(s: Subscription, values: Mapping[str, Any]) -> RowCheck:
    """The dry run of createSubscriptionReservation (CANCEL) for one subscription: one scheduled change per
    subscription, a paid one without a scheduled paid start, and the date in its window (tomorrow to the day
    after its term ends)."""
    day = dt.date.fromisoformat(values["apply_date"])
    refusal = _scheduled_already(s)
    if refusal:
        return RowCheck(refusal=refusal)
    window = rules.reservation_window(s, ReservationType.CANCEL, clock.today())
    if window is None:
        return RowCheck(refusal=gettext("Only paid subscriptions can be cancelled on a date."))
    if day not in window:
        return RowCheck(refusal=window.error())
    return RowCheck(
        changes=[
            (
                gettext("Scheduled change"),
                "—",
                gettext("%(kind)s on %(day)s")
                % {"kind": name_of(ReservationType.CANCEL, ReservationType), "day": day.isoformat()},
            )
        ]
    )


def cancellation_args(s: Subscription, values: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "domain_id": s.customer_id,
        "subscription_id": s.pk,
        "type": ReservationType.CANCEL.value,
        "apply_date": values["apply_date"],
    }


class LicencesValuesForm(BulkValuesForm):
    """How many licences every chosen subscription gets on a day (each row's own window is checked in the dry
    run)."""

    license_count = forms.IntegerField(label=_("Licences to add"), min_value=1, max_value=rules.MAX_LICENSES)
    apply_date = forms.DateField(label=_("Date"), widget=DateInput())


def check_licences(s: Subscription, values: Mapping[str, Any]) -> RowCheck:
    """The dry run of createSubscriptionReservation (ADD_LICENSE) for one subscription: one scheduled change per
    subscription, an annual licence plan, the date in its window (tomorrow to the end of its term), and at most
    1,000,000 licences in all."""
    day = dt.date.fromisoformat(values["apply_date"])
    refusal = _scheduled_already(s)
    if refusal:
        return RowCheck(refusal=refusal)
    window = rules.reservation_window(s, ReservationType.ADD_LICENSE, clock.today())
    if window is None:
        return RowCheck(refusal=gettext("Licences can be added on a date only to an annual licence plan."))
    if day not in window:
        return RowCheck(refusal=window.error())
    before = s.license_count or 0
    count = values["license_count"]
    if before + count > rules.MAX_LICENSES:
        return RowCheck(
            refusal=gettext("At most %(n)s more licences: a subscription has at most 1,000,000.")
            % {"n": rules.MAX_LICENSES - before}
        )
    return RowCheck(
        changes=[
            (
                gettext("Scheduled change"),
                "—",
                gettext("%(kind)s on %(day)s")
                % {"kind": name_of(ReservationType.ADD_LICENSE, ReservationType), "day": day.isoformat()},
            ),
            (gettext("Licences"), str(before), str(before + count)),
        ],
        side_effects=[
            gettext("The licences are added on that date; the customer's maximum users do not change.")
        ],
    )


def licences_args(s: Subscription, values: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "domain_id": s.customer_id,
        "subscription_id": s.pk,
        "type": ReservationType.ADD_LICENSE.value,
        "apply_date": values["apply_date"],
        "license_count": values["license_count"],
    }


class MoveValuesForm(BulkValuesForm):
    """The day every chosen subscription's scheduled change moves to (each row's own window is checked in the
    dry run)."""

    apply_date = forms.DateField(label=_("New date"), widget=DateInput())


def check_move(s: Subscription, values: Mapping[str, Any]) -> RowCheck:
    """The dry run of updateSubscriptionReservation for one subscription: a scheduled change to move, and the
    new date in the window of that change's kind; only the date changes."""
    day = dt.date.fromisoformat(values["apply_date"])
    reservation = getattr(s, "reservation", None)
    if reservation is None:
        return RowCheck(refusal=gettext("No change is scheduled for this subscription: nothing to move."))
    if reservation.apply_date == day:
        return RowCheck(refusal=gettext("This is already the scheduled date."))
    window = rules.reservation_window(s, reservation.type, clock.today())
    if window is None or day not in window:
        return RowCheck(
            refusal=window.error() if window else gettext("This scheduled change cannot be moved any more.")
        )
    kind = name_of(reservation.type, ReservationType)
    return RowCheck(
        changes=[
            (
                gettext("Scheduled change"),
                gettext("%(kind)s on %(day)s") % {"kind": kind, "day": reservation.apply_date.isoformat()},
                gettext("%(kind)s on %(day)s") % {"kind": kind, "day": day.isoformat()},
            )
        ],
        side_effects=[gettext("Only the date changes; option orders keep their own dates.")],
    )


def move_args(s: Subscription, values: Mapping[str, Any]) -> dict[str, Any]:
    return {"domain_id": s.customer_id, "subscription_id": s.pk, "apply_date": values["apply_date"]}


def of_customers(user, domain_ids) -> Any:
    """The subscriptions of those customers the list shows `user`, in its order (a group's rows)."""
    return selectors.subscription_list(user=user, filters=SubscriptionFilters()).filter(
        customer_id__in=domain_ids
    )


#: What every action of the Subscriptions list shares: its rows, who may start one, how a row is read and named.
_on_the_list = partial(
    BulkAction,
    list_name=LIST,
    list_url="subscriptions:list",
    perm=CHANGE_SUBSCRIPTIONS,
    select=select,
    of_customers=of_customers,
    read=read,
    key_of=lambda s: str(s.pk),
    describe=describe,
    domain_id=lambda s: s.customer_id,
)

BULK_ACTIONS = [
    _on_the_list(
        key="subscriptions.renewal",
        label=_("Renewal at the end of the term"),
        form=RenewalValuesForm,
        check=check_renewal,
        operation_id="updateSubscriptionRenewal",
        args=renewal_args,
        destroys=lambda values: values.get("type") == RenewalType.CANCEL,
    ),
    _on_the_list(
        key="subscriptions.cancellation",
        label=_("Scheduled cancellation"),
        form=CancellationValuesForm,
        check=check_cancellation,
        operation_id="createSubscriptionReservation",
        args=cancellation_args,
        destroys=lambda values: True,
    ),
    _on_the_list(
        key="subscriptions.licences",
        label=_("Licences added on a date"),
        form=LicencesValuesForm,
        check=check_licences,
        operation_id="createSubscriptionReservation",
        args=licences_args,
    ),
    _on_the_list(
        key="subscriptions.reservation_date",
        label=_("Move the scheduled changes to a date"),
        form=MoveValuesForm,
        check=check_move,
        operation_id="updateSubscriptionReservation",
        args=move_args,
    ),
]
