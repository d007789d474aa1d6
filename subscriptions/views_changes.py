"""Subscription pages that change things: one subscription (read-only for Support), its scheduled change,
renewal and immediate changes, and a customer's pre-orders and new subscriptions.

Every change is a form in two steps: the form (checked against the contract), then a confirmation that shows
before → after and the side effects, whose button sends the change once (the submission's idempotency key).
The API's refusal comes back as a field error; an answer that never came leads to the operation's page, which
says "unknown" until a read-back knows.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from customers import selectors as customer_selectors
from portal.core import clock
from portal.core.access import can, require
from portal.core.changes.forms import ChangeForm
from portal.core.changes.views import change_page, delete_page, posted
from portal.core.shortcuts import found_or_404
from subscriptions import forms_changes as f
from subscriptions import rules, selectors
from subscriptions.change_args import (
    add_licences_args,
    convert_args,
    new_subscription_args,
    pre_order_args,
    pre_order_move_args,
    pre_order_ref,
    renewal_args,
    reservation_args,
    reservation_move_args,
    subscription_args,
    upgrade_args,
)
from subscriptions.permissions import CHANGE_SUBSCRIPTIONS, VIEW_SUBSCRIPTIONS

CHANGE_TEMPLATE = "subscriptions/subscription_change.html"


def _customer_section(domain_id: int) -> str:
    """The customer page's Subscriptions section, where the per-customer changes lead back to."""
    return reverse("customers:detail", args=[domain_id]) + "#section-subscriptions"


def _change(request, form, *, operation_id, args, domain_id, done, success, context) -> HttpResponse:
    return change_page(
        request,
        form,
        operation_id=operation_id,
        args=args,
        domain_id=domain_id,
        done=done,
        success=success,
        context=context,
        template=CHANGE_TEMPLATE,
    )


def _actions(s, reservation) -> list[tuple[str, str, str | None, bool]]:
    """(url, label, why it cannot be done now, whether it destroys something) of the changes that apply to
    this subscription."""
    url = lambda name: reverse(name, args=[s.pk])  # noqa: E731
    out = []
    if rules.reservation_types(s):
        label = _("Move or delete the scheduled change") if reservation else _("Schedule a change")
        out.append((url("subscriptions:reservation"), label, None, False))
    if not rules.renewal_refusal(s):
        out.append((url("subscriptions:renewal"), _("Change the renewal"), None, False))
    if not rules.convert_refusal(s):
        out.append((url("subscriptions:convert"), _("Convert to paid now"), None, False))
    # Not offered where the contract never allows it as the customer is (Advanced on a group name: the page says
    # why instead, `upgrade_needs_domain`), only greyed out where it may be allowed later.
    if s.product_id in rules.UPGRADES and not _upgrade_needs_domain(s):
        out.append(
            (url("subscriptions:upgrade"), _("Upgrade now"), rules.upgrade_refusal(s, s.customer), False)
        )
    if rules.needs_licences(s.plan):
        out.append(
            (url("subscriptions:add_licences"), _("Add licences now"), rules.add_licences_refusal(s), False)
        )
    out.append((url("subscriptions:cancel"), _("Cancel now"), rules.cancel_refusal(s), True))
    return out


def _upgrade_needs_domain(s) -> str | None:
    """Why a Standard subscription's customer cannot have Advanced until it moves to a domain, or None."""
    target = rules.UPGRADES.get(s.product_id)
    return rules.advanced_needs_domain(s.customer, target) if target else None


# --- One subscription -------------------------------------------------------------------------------------


@require(VIEW_SUBSCRIPTIONS)
@require_GET
def subscription_detail(request: HttpRequest, subscription_id: int) -> HttpResponse:
    s = found_or_404(selectors.subscription_get(user=request.user, subscription_id=subscription_id))
    today = clock.today()
    reservation = getattr(s, "reservation", None)
    actions = _actions(s, reservation) if can(request.user, CHANGE_SUBSCRIPTIONS) else []
    return render(
        request,
        "subscriptions/subscription_detail.html",
        {
            "s": s,
            "customer": s.customer,
            "reservation": reservation,
            "today": today,
            "actions": actions,
            "upgrade_needs_domain": _upgrade_needs_domain(s) if actions else None,
        },
    )


@require(CHANGE_SUBSCRIPTIONS)
def reservation_edit(request: HttpRequest, subscription_id: int) -> HttpResponse:
    """Schedule a change of the subscription, or move the one it has (only its date can change)."""
    s = found_or_404(selectors.subscription_get(user=request.user, subscription_id=subscription_id))
    today = clock.today()
    reservation = getattr(s, "reservation", None)
    data = posted(request)
    done = reverse("subscriptions:detail", args=[s.pk])
    context = {"customer": s.customer, "subscription": s, "reservation": reservation, "done": done}
    if reservation is not None:
        form = f.ReservationDateForm(data, subscription=s, reservation=reservation, today=today)
        form.initial.setdefault("apply_date", reservation.apply_date)
        return _change(
            request,
            form,
            operation_id="updateSubscriptionReservation",
            args=lambda d: reservation_move_args(s, d),
            domain_id=s.customer_id,
            done=done,
            success=_("The scheduled change was moved."),
            context={
                **context,
                "title": _("Move the scheduled change"),
                "delete_form": ChangeForm(),
                "submit_label": _("Review the new date"),
                "confirm_label": _("Move it"),
            },
        )
    if not rules.reservation_types(s):
        messages.info(request, _("This subscription cannot take a scheduled change."))
        return redirect(done)
    form = f.ReservationForm(data, subscription=s, customer=s.customer, today=today)
    return _change(
        request,
        form,
        operation_id="createSubscriptionReservation",
        args=lambda d: reservation_args(s, d),
        domain_id=s.customer_id,
        done=done,
        success=_("The change was scheduled."),
        context={
            **context,
            "title": _("Schedule a change"),
            "submit_label": _("Review the change"),
            "confirm_label": _("Schedule it"),
        },
    )


@require(CHANGE_SUBSCRIPTIONS)
@require_POST
def reservation_delete(request: HttpRequest, subscription_id: int) -> HttpResponse:
    s = found_or_404(selectors.subscription_get(user=request.user, subscription_id=subscription_id))
    return delete_page(
        request,
        operation_id="deleteSubscriptionReservation",
        args=subscription_args(s),
        domain_id=s.customer_id,
        back=reverse("subscriptions:reservation", args=[s.pk]),
        done=reverse("subscriptions:detail", args=[s.pk]),
        success=_("The scheduled change was deleted."),
    )


@require(CHANGE_SUBSCRIPTIONS)
def renewal_edit(request: HttpRequest, subscription_id: int) -> HttpResponse:
    s = found_or_404(selectors.subscription_get(user=request.user, subscription_id=subscription_id))
    done = reverse("subscriptions:detail", args=[s.pk])
    refusal = rules.renewal_refusal(s)
    if refusal:
        messages.info(request, refusal)
        return redirect(done)
    form = f.RenewalForm(
        posted(request),
        subscription=s,
        customer=s.customer,
        initial=f.RenewalForm.initial_for(s),
    )
    return _change(
        request,
        form,
        operation_id="updateSubscriptionRenewal",
        args=lambda d: renewal_args(s, d),
        domain_id=s.customer_id,
        done=done,
        success=_("The renewal setting was saved."),
        context={
            "customer": s.customer,
            "subscription": s,
            "done": done,
            "title": _("Renewal at the end of the term"),
            "submit_label": _("Review the renewal"),
            "confirm_label": _("Save the renewal"),
        },
    )


def _immediate(request, s, form, *, operation_id, args, title, confirm_label, success) -> HttpResponse:
    done = reverse("subscriptions:detail", args=[s.pk])
    return _change(
        request,
        form,
        operation_id=operation_id,
        args=args,
        domain_id=s.customer_id,
        done=done,
        success=success,
        context={
            "customer": s.customer,
            "subscription": s,
            "done": done,
            "title": title,
            "immediate": True,
            "submit_label": _("Review the change"),
            "confirm_label": confirm_label,
        },
    )


@require(CHANGE_SUBSCRIPTIONS)
def subscription_convert(request: HttpRequest, subscription_id: int) -> HttpResponse:
    s = found_or_404(selectors.subscription_get(user=request.user, subscription_id=subscription_id))
    form = f.ConvertForm(
        posted(request),
        subscription=s,
        customer=s.customer,
    )
    return _immediate(
        request,
        s,
        form,
        operation_id="convertSubscriptionToPaid",
        args=lambda d: convert_args(s, d),
        title=_("Convert to paid now"),
        confirm_label=_("Convert to paid"),
        success=_("The subscription is now paid."),
    )


@require(CHANGE_SUBSCRIPTIONS)
def subscription_upgrade(request: HttpRequest, subscription_id: int) -> HttpResponse:
    s = found_or_404(selectors.subscription_get(user=request.user, subscription_id=subscription_id))
    form = f.UpgradeForm(
        posted(request),
        subscription=s,
        customer=s.customer,
    )
    return _immediate(
        request,
        s,
        form,
        operation_id="upgradeSubscription",
        args=lambda d: upgrade_args(s, form.target),
        title=_("Upgrade to Advanced now"),
        confirm_label=_("Upgrade"),
        success=_("The subscription was upgraded."),
    )


@require(CHANGE_SUBSCRIPTIONS)
def subscription_add_licences(request: HttpRequest, subscription_id: int) -> HttpResponse:
    s = found_or_404(selectors.subscription_get(user=request.user, subscription_id=subscription_id))
    form = f.AddLicencesForm(posted(request), subscription=s)
    return _immediate(
        request,
        s,
        form,
        operation_id="addSubscriptionLicenseCount",
        args=lambda d: add_licences_args(s, d),
        title=_("Add licences now"),
        confirm_label=_("Add the licences"),
        success=_("The licences were added."),
    )


@require(CHANGE_SUBSCRIPTIONS)
def subscription_cancel(request: HttpRequest, subscription_id: int) -> HttpResponse:
    s = found_or_404(selectors.subscription_get(user=request.user, subscription_id=subscription_id))
    form = f.CancelForm(
        posted(request),
        subscription=s,
    )
    return _change(
        request,
        form,
        operation_id="cancelSubscription",
        args=lambda d: subscription_args(s),
        domain_id=s.customer_id,
        done=_customer_section(s.customer_id),
        success=_("The subscription was cancelled."),
        context={
            "customer": s.customer,
            "subscription": s,
            "done": reverse("subscriptions:detail", args=[s.pk]),
            "title": _("Cancel the subscription now"),
            "immediate": True,
            "danger": True,
            "submit_label": _("Review the cancellation"),
            "confirm_label": _("Cancel the subscription"),
        },
    )


# --- Per customer: new subscription, pre-orders -----------------------------------------------------------


@require(CHANGE_SUBSCRIPTIONS)
def subscription_add(request: HttpRequest, domain_id: int) -> HttpResponse:
    customer = found_or_404(
        customer_selectors.customer_get(user=request.user, domain_id=domain_id, live=True)
    )
    current = selectors.customer_subscriptions(user=request.user, domain_id=domain_id)
    form = f.SubscriptionAddForm(posted(request), customer=customer, current=current)
    done = _customer_section(domain_id)
    return _change(
        request,
        form,
        operation_id="createSubscription",
        args=lambda d: new_subscription_args(domain_id, d),
        domain_id=domain_id,
        done=done,
        success=_("The subscription was added."),
        context={
            "customer": customer,
            "done": done,
            "title": _("Add a subscription now"),
            "immediate": True,
            "submit_label": _("Review the change"),
            "confirm_label": _("Add the subscription"),
        },
    )


@require(CHANGE_SUBSCRIPTIONS)
def pre_order_add(request: HttpRequest, domain_id: int) -> HttpResponse:
    customer = found_or_404(
        customer_selectors.customer_get(user=request.user, domain_id=domain_id, live=True)
    )
    current = selectors.customer_subscriptions(user=request.user, domain_id=domain_id)
    form = f.PreOrderForm(
        posted(request),
        customer=customer,
        today=clock.today(),
        current=current,
    )
    done = _customer_section(domain_id)
    return _change(
        request,
        form,
        operation_id="createSubscriptionPreOrder",
        args=lambda d: pre_order_args(domain_id, d),
        domain_id=domain_id,
        done=done,
        success=_("The pre-order was created."),
        context={
            "customer": customer,
            "done": done,
            "title": _("Pre-order a paid subscription"),
            "submit_label": _("Review the pre-order"),
            "confirm_label": _("Create the pre-order"),
        },
    )


@require(CHANGE_SUBSCRIPTIONS)
def pre_order_edit(request: HttpRequest, domain_id: int, pre_order_id: int) -> HttpResponse:
    """A pre-order: move its date (only the date can change) or delete it."""
    pre_order = found_or_404(
        selectors.pre_order_get(user=request.user, domain_id=domain_id, pre_order_id=pre_order_id)
    )
    form = f.PreOrderDateForm(
        posted(request),
        pre_order=pre_order,
        today=clock.today(),
        initial={"apply_date": pre_order.apply_date},
    )
    done = _customer_section(domain_id)
    return _change(
        request,
        form,
        operation_id="updateSubscriptionPreOrder",
        args=lambda d: pre_order_move_args(domain_id, pre_order_id, d),
        domain_id=domain_id,
        done=done,
        success=_("The pre-order was moved."),
        context={
            "customer": pre_order.customer,
            "pre_order": pre_order,
            "done": done,
            "title": _("Pre-order"),
            "delete_form": ChangeForm(),
            "submit_label": _("Review the new date"),
            "confirm_label": _("Move it"),
        },
    )


@require(CHANGE_SUBSCRIPTIONS)
@require_POST
def pre_order_delete(request: HttpRequest, domain_id: int, pre_order_id: int) -> HttpResponse:
    found_or_404(selectors.pre_order_get(user=request.user, domain_id=domain_id, pre_order_id=pre_order_id))
    return delete_page(
        request,
        operation_id="deleteSubscriptionPreOrder",
        args=pre_order_ref(domain_id, pre_order_id),
        domain_id=domain_id,
        back=reverse("subscriptions:pre_order", args=[domain_id, pre_order_id]),
        done=_customer_section(domain_id),
        success=_("The pre-order was deleted."),
    )
