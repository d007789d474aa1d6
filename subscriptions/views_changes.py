"""Subscription pages that change things: one subscription (read-only for Support), its scheduled change,
renewal and immediate changes, and a customer's pre-orders and new subscriptions.

Every change is a form in two steps: the form (checked against the contract), then a confirmation that shows
before → after and the side effects, whose button sends the change once (the submission's idempotency key).
The API's refusal comes back as a field error; an answer that never came leads to the operation's page, which
says "unknown" until a read-back knows.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from customers import selectors as customer_selectors
from portal.core import selectors as core_selectors
from portal.core.access import Perm, can, require
from portal.core.htmx import partial_for
from portal.core.writes import AlreadySubmitted, ChangeOutcomeUnknown, ChangeRefused
from subscriptions import forms_changes as f
from subscriptions import rules, selectors, services

CHANGE_TEMPLATE = "subscriptions/subscription_change.html"


def _subscription_or_404(request: HttpRequest, subscription_id: int):
    subscription = selectors.subscription_get(user=request.user, subscription_id=subscription_id)
    if subscription is None:
        raise Http404
    return subscription


def _posted(request: HttpRequest):
    """The posted data to bind a form to; None (an unbound form) on GET."""
    return request.POST if request.method == "POST" else None


def _customer_section(domain_id: int) -> str:
    """The customer page's Subscriptions section, where the per-customer changes lead back to."""
    return reverse("customers:detail", args=[domain_id]) + "#section-subscriptions"


def _customer_or_404(request: HttpRequest, domain_id: int):
    customer = customer_selectors.customer_get(user=request.user, domain_id=domain_id)
    if customer is None or customer.removed_at is not None:
        raise Http404
    return customer


def _send(request: HttpRequest, send: Callable[[], object], *, done: str, success: str) -> HttpResponse:
    """Send a change once and answer: `done` when it was applied; the operation's page when this submission
    was already received (double click, reload) or no answer came. ChangeRefused (nothing changed) is the
    caller's."""
    try:
        send()
    except AlreadySubmitted as exc:
        messages.info(request, _("This form was already sent; here is what became of it."))
        return redirect("subscriptions:operation", operation_id=exc.operation.pk)
    except ChangeOutcomeUnknown as exc:
        messages.warning(request, exc.message)
        return redirect("subscriptions:operation", operation_id=exc.operation.pk)
    messages.success(request, success)
    return redirect(done)


def _change(
    request: HttpRequest,
    form: f.ChangeForm,
    *,
    send: Callable[[dict], object],
    done: str,
    success: str,
    context: dict,
) -> HttpResponse:
    """The two steps of every change form: form, then confirmation; the confirmed POST sends it once."""
    confirming = False
    if request.method == "POST" and form.is_valid():
        if request.POST.get("confirmed") == "1":
            try:
                return _send(request, lambda: send(form.cleaned_data), done=done, success=success)
            except ChangeRefused as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        elif "edit" not in request.POST:
            confirming = True
    return render(request, CHANGE_TEMPLATE, {**context, "form": form, "confirming": confirming})


def _delete(request: HttpRequest, send: Callable[[dict], object], *, back: str, done: str, success: str):
    """A delete confirmed on its page (components/_confirm.html posts the submission's key)."""
    form = f.ChangeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The form expired; open it again."))
        return redirect(back)
    try:
        return _send(request, lambda: send(form.cleaned_data), done=done, success=success)
    except ChangeRefused as exc:
        messages.error(request, exc.message)
        return redirect(back)


def _of(request: HttpRequest, s, d: dict) -> dict:
    """The arguments every change of one subscription sends: who, which, the submission's key and reason."""
    return {
        "user": request.user,
        "domain_id": s.customer_id,
        "subscription_id": s.pk,
        "idempotency_key": d["idempotency_key"],
        "reason": d["reason"],
    }


def _terms(d: dict) -> dict:
    """Product, plan and licences of a form; a field the form does not have is sent as not given."""
    return {
        "plan": d.get("plan") or "",
        "product_id": d.get("product_id") or "",
        "license_count": d.get("license_count"),
    }


def _actions(s, reservation) -> list[tuple[str, str, str | None]]:
    """(url, label, why it cannot be done now) of the changes that apply to this subscription."""
    url = lambda name: reverse(name, args=[s.pk])  # noqa: E731
    out = []
    if rules.reservation_types(s):
        label = _("Move or delete the scheduled change") if reservation else _("Schedule a change")
        out.append((url("subscriptions:reservation"), label, None))
    if not rules.renewal_refusal(s):
        out.append((url("subscriptions:renewal"), _("Change the renewal"), None))
    if not rules.convert_refusal(s):
        out.append((url("subscriptions:convert"), _("Convert to paid now"), None))
    if s.product_id in rules.UPGRADES:
        out.append((url("subscriptions:upgrade"), _("Upgrade now"), rules.upgrade_refusal(s, s.customer)))
    if rules.needs_licences(s.plan):
        out.append((url("subscriptions:add_licences"), _("Add licences now"), rules.add_licences_refusal(s)))
    out.append((url("subscriptions:cancel"), _("Cancel now"), rules.cancel_refusal(s)))
    return out


# --- One subscription -------------------------------------------------------------------------------------


@require(Perm.VIEW_SUBSCRIPTIONS)
@require_GET
def subscription_detail(request: HttpRequest, subscription_id: int) -> HttpResponse:
    s = _subscription_or_404(request, subscription_id)
    today = core_selectors.business_today()
    reservation = getattr(s, "reservation", None)
    actions = _actions(s, reservation) if can(request.user, Perm.CHANGE_SUBSCRIPTIONS) else []
    return render(
        request,
        "subscriptions/subscription_detail.html",
        {"s": s, "customer": s.customer, "reservation": reservation, "today": today, "actions": actions},
    )


@require(Perm.CHANGE_SUBSCRIPTIONS)
def reservation_edit(request: HttpRequest, subscription_id: int) -> HttpResponse:
    """Schedule a change of the subscription, or move the one it has (only its date can change)."""
    s = _subscription_or_404(request, subscription_id)
    today = core_selectors.business_today()
    reservation = getattr(s, "reservation", None)
    data = _posted(request)
    done = reverse("subscriptions:detail", args=[s.pk])
    context = {"customer": s.customer, "subscription": s, "reservation": reservation, "done": done}
    if reservation is not None:
        form = f.ReservationDateForm(data, subscription=s, reservation=reservation, today=today)
        form.initial.setdefault("apply_date", reservation.apply_date)
        return _change(
            request,
            form,
            send=lambda d: services.reservation_move(
                **_of(request, s, d),
                apply_date=d["apply_date"],
            ),
            done=done,
            success=_("The scheduled change was moved."),
            context={
                **context,
                "title": _("Move the scheduled change"),
                "delete_form": f.ChangeForm(),
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
        send=lambda d: services.reservation_create(
            **_of(request, s, d),
            type=d["type"],
            apply_date=d["apply_date"],
            **_terms(d),
        ),
        done=done,
        success=_("The change was scheduled."),
        context={
            **context,
            "title": _("Schedule a change"),
            "submit_label": _("Review the change"),
            "confirm_label": _("Schedule it"),
        },
    )


@require(Perm.CHANGE_SUBSCRIPTIONS)
@require_POST
def reservation_delete(request: HttpRequest, subscription_id: int) -> HttpResponse:
    s = _subscription_or_404(request, subscription_id)
    return _delete(
        request,
        lambda d: services.reservation_delete(**_of(request, s, d)),
        back=reverse("subscriptions:reservation", args=[s.pk]),
        done=reverse("subscriptions:detail", args=[s.pk]),
        success=_("The scheduled change was deleted."),
    )


@require(Perm.CHANGE_SUBSCRIPTIONS)
def renewal_edit(request: HttpRequest, subscription_id: int) -> HttpResponse:
    s = _subscription_or_404(request, subscription_id)
    done = reverse("subscriptions:detail", args=[s.pk])
    refusal = rules.renewal_refusal(s)
    if refusal:
        messages.info(request, refusal)
        return redirect(done)
    form = f.RenewalForm(
        _posted(request),
        subscription=s,
        customer=s.customer,
        initial=f.RenewalForm.initial_for(s),
    )
    return _change(
        request,
        form,
        send=lambda d: services.renewal_update(
            **_of(request, s, d),
            type=d["type"],
            **_terms(d),
        ),
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


def _immediate(request, s, form, *, send, title, confirm_label, success) -> HttpResponse:
    done = reverse("subscriptions:detail", args=[s.pk])
    return _change(
        request,
        form,
        send=send,
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


@require(Perm.CHANGE_SUBSCRIPTIONS)
def subscription_convert(request: HttpRequest, subscription_id: int) -> HttpResponse:
    s = _subscription_or_404(request, subscription_id)
    form = f.ConvertForm(_posted(request), subscription=s, customer=s.customer)
    return _immediate(
        request,
        s,
        form,
        send=lambda d: services.subscription_convert(**_of(request, s, d), **_terms(d)),
        title=_("Convert to paid now"),
        confirm_label=_("Convert to paid"),
        success=_("The subscription is now paid."),
    )


@require(Perm.CHANGE_SUBSCRIPTIONS)
def subscription_upgrade(request: HttpRequest, subscription_id: int) -> HttpResponse:
    s = _subscription_or_404(request, subscription_id)
    form = f.UpgradeForm(_posted(request), subscription=s, customer=s.customer)
    return _immediate(
        request,
        s,
        form,
        send=lambda d: services.subscription_upgrade(
            **_of(request, s, d),
            product_id=form.target,
        ),
        title=_("Upgrade to Advanced now"),
        confirm_label=_("Upgrade"),
        success=_("The subscription was upgraded."),
    )


@require(Perm.CHANGE_SUBSCRIPTIONS)
def subscription_add_licences(request: HttpRequest, subscription_id: int) -> HttpResponse:
    s = _subscription_or_404(request, subscription_id)
    form = f.AddLicencesForm(_posted(request), subscription=s)
    return _immediate(
        request,
        s,
        form,
        send=lambda d: services.subscription_add_licences(
            **_of(request, s, d),
            license_count=d["license_count"],
        ),
        title=_("Add licences now"),
        confirm_label=_("Add the licences"),
        success=_("The licences were added."),
    )


@require(Perm.CHANGE_SUBSCRIPTIONS)
def subscription_cancel(request: HttpRequest, subscription_id: int) -> HttpResponse:
    s = _subscription_or_404(request, subscription_id)
    form = f.CancelForm(_posted(request), subscription=s)
    return _change(
        request,
        form,
        send=lambda d: services.subscription_cancel(**_of(request, s, d)),
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


@require(Perm.CHANGE_SUBSCRIPTIONS)
def subscription_add(request: HttpRequest, domain_id: int) -> HttpResponse:
    customer = _customer_or_404(request, domain_id)
    current = selectors.customer_subscriptions(user=request.user, domain_id=domain_id)
    form = f.SubscriptionAddForm(_posted(request), customer=customer, current=current)
    done = _customer_section(domain_id)
    return _change(
        request,
        form,
        send=lambda d: services.subscription_add(
            user=request.user,
            domain_id=domain_id,
            idempotency_key=d["idempotency_key"],
            product_id=d["product_id"],
            plan=d["plan"],
            license_count=d.get("license_count"),
            reason=d["reason"],
        ),
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


@require(Perm.CHANGE_SUBSCRIPTIONS)
def pre_order_add(request: HttpRequest, domain_id: int) -> HttpResponse:
    customer = _customer_or_404(request, domain_id)
    current = selectors.customer_subscriptions(user=request.user, domain_id=domain_id)
    form = f.PreOrderForm(
        _posted(request),
        customer=customer,
        today=core_selectors.business_today(),
        current=current,
    )
    done = _customer_section(domain_id)
    return _change(
        request,
        form,
        send=lambda d: services.pre_order_create(
            user=request.user,
            domain_id=domain_id,
            idempotency_key=d["idempotency_key"],
            apply_date=d["apply_date"],
            product_id=d["product_id"],
            plan=d["plan"],
            license_count=d.get("license_count"),
            reason=d["reason"],
        ),
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


def _pre_order_or_404(request, domain_id: int, pre_order_id: int):
    pre_order = selectors.pre_order_get(user=request.user, domain_id=domain_id, pre_order_id=pre_order_id)
    if pre_order is None:
        raise Http404
    return pre_order


@require(Perm.CHANGE_SUBSCRIPTIONS)
def pre_order_edit(request: HttpRequest, domain_id: int, pre_order_id: int) -> HttpResponse:
    """A pre-order: move its date (only the date can change) or delete it."""
    pre_order = _pre_order_or_404(request, domain_id, pre_order_id)
    form = f.PreOrderDateForm(
        _posted(request),
        pre_order=pre_order,
        today=core_selectors.business_today(),
        initial={"apply_date": pre_order.apply_date},
    )
    done = _customer_section(domain_id)
    return _change(
        request,
        form,
        send=lambda d: services.pre_order_move(
            user=request.user,
            domain_id=domain_id,
            pre_order_id=pre_order_id,
            idempotency_key=d["idempotency_key"],
            apply_date=d["apply_date"],
            reason=d["reason"],
        ),
        done=done,
        success=_("The pre-order was moved."),
        context={
            "customer": pre_order.customer,
            "pre_order": pre_order,
            "done": done,
            "title": _("Pre-order"),
            "delete_form": f.ChangeForm(),
            "submit_label": _("Review the new date"),
            "confirm_label": _("Move it"),
        },
    )


@require(Perm.CHANGE_SUBSCRIPTIONS)
@require_POST
def pre_order_delete(request: HttpRequest, domain_id: int, pre_order_id: int) -> HttpResponse:
    _pre_order_or_404(request, domain_id, pre_order_id)
    return _delete(
        request,
        lambda d: services.pre_order_delete(
            user=request.user,
            domain_id=domain_id,
            pre_order_id=pre_order_id,
            idempotency_key=d["idempotency_key"],
            reason=d["reason"],
        ),
        back=reverse("subscriptions:pre_order", args=[domain_id, pre_order_id]),
        done=_customer_section(domain_id),
        success=_("The pre-order was deleted."),
    )


@require(Perm.CHANGE_SUBSCRIPTIONS)
@require_GET
def operation_status(request: HttpRequest, operation_id) -> HttpResponse:
    """What became of a change: sent, refused, or unknown until the read-back knows (the page polls)."""
    operation = core_selectors.operation_get(operation_id=operation_id)
    if operation is None:
        raise Http404
    template = "subscriptions/operation.html"
    if partial_for(request, "operation"):
        template += "#status"
    return render(request, template, {"operation": operation})
