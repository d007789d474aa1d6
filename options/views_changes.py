"""Option pages that change things: add, upgrade, add quantity, cancel, renewal, and scheduled orders (create,
move, delete). Each is a `change_page` (form → check before sending → send once) or a `delete_page`."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from customers import selectors as customer_selectors
from options import forms_changes as f
from options import selectors
from options.change_args import (
    add_args,
    add_form,
    cancel_form,
    option_args,
    order_args,
    order_date_form,
    order_form,
    quantity_args,
    renewal_args,
    renewal_form,
    renewal_refusal,
    upgrade_refusal,
)
from options.permissions import CHANGE_OPTIONS
from portal.core.access import require
from portal.core.changes.views import change_page, delete_page, posted
from portal.core.shortcuts import found_or_404

CHANGE_TEMPLATE = "options/option_change.html"


def _section(domain_id: int) -> str:
    return reverse("customers:detail", args=[domain_id]) + "#section-options"


def _change(request, form, *, operation_id, args, domain_id, success, context) -> HttpResponse:
    done = _section(domain_id)
    return change_page(
        request,
        form,
        operation_id=operation_id,
        args=args,
        domain_id=domain_id,
        done=done,
        success=success,
        context={"done": done, **context},
        template=CHANGE_TEMPLATE,
    )


@require(CHANGE_OPTIONS)
def option_add(request: HttpRequest, domain_id: int) -> HttpResponse:
    customer = found_or_404(
        customer_selectors.customer_get(user=request.user, domain_id=domain_id, live=True)
    )
    form = add_form(posted(request), user=request.user, customer=customer)
    return _change(
        request,
        form,
        operation_id="createOptionProduct",
        args=lambda d: add_args(domain_id, form),
        domain_id=domain_id,
        success=_("The option was added."),
        context={
            "customer": customer,
            "subscription": form.subscription,
            "title": _("Add an option"),
            "immediate": True,
            "submit_label": _("Review the option"),
            "confirm_label": _("Add the option"),
        },
    )


def _immediate(request, option, form, *, operation_id, args, title, confirm_label, success, danger=False):
    return _change(
        request,
        form,
        operation_id=operation_id,
        args=args,
        domain_id=option.customer_id,
        success=success,
        context={
            "customer": option.customer,
            "option": option,
            "title": title,
            "immediate": True,
            "danger": danger,
            "submit_label": _("Review the change"),
            "confirm_label": confirm_label,
        },
    )


@require(CHANGE_OPTIONS)
def option_upgrade(request: HttpRequest, domain_id: int, option_product_id: str) -> HttpResponse:
    option = found_or_404(
        selectors.option_get(user=request.user, domain_id=domain_id, option_product_id=option_product_id)
    )
    refusal = upgrade_refusal(option)
    if refusal:
        messages.info(request, refusal)
        return redirect(_section(domain_id))
    form = f.OptionUpgradeForm(posted(request), option=option)
    return _immediate(
        request,
        option,
        form,
        operation_id="upgradeOptionProduct",
        args=lambda d: option_args(domain_id, option_product_id, sub_option_id=d["sub_option_id"]),
        title=_("Upgrade the option now"),
        confirm_label=_("Upgrade"),
        success=_("The option was upgraded."),
    )


@require(CHANGE_OPTIONS)
def option_add_quantity(request: HttpRequest, domain_id: int, option_product_id: str) -> HttpResponse:
    option = found_or_404(
        selectors.option_get(user=request.user, domain_id=domain_id, option_product_id=option_product_id)
    )
    form = f.OptionAddQuantityForm(posted(request), option=option)
    return _immediate(
        request,
        option,
        form,
        operation_id="addOptionProductQuantity",
        args=lambda d: quantity_args(option, d),
        title=_("Add quantity now"),
        confirm_label=_("Add the units"),
        success=_("The units were added."),
    )


@require(CHANGE_OPTIONS)
def option_cancel(request: HttpRequest, domain_id: int, option_product_id: str) -> HttpResponse:
    option = found_or_404(
        selectors.option_get(user=request.user, domain_id=domain_id, option_product_id=option_product_id)
    )
    form = cancel_form(posted(request), option)
    return _immediate(
        request,
        option,
        form,
        operation_id="cancelOptionProduct",
        args=lambda d: option_args(domain_id, option_product_id, readd_from=form.readd_from()),
        title=_("Cancel the option now"),
        confirm_label=_("Cancel the option"),
        success=_("The option was cancelled."),
        danger=True,
    )


@require(CHANGE_OPTIONS)
def option_renewal(request: HttpRequest, domain_id: int, option_product_id: str) -> HttpResponse:
    option = found_or_404(
        selectors.option_get(user=request.user, domain_id=domain_id, option_product_id=option_product_id)
    )
    refusal = renewal_refusal(option)
    if refusal:
        messages.info(request, refusal)
        return redirect(_section(domain_id))
    form = renewal_form(posted(request), option)
    return _change(
        request,
        form,
        operation_id="updateOptionProductRenewal",
        args=lambda d: renewal_args(option, d),
        domain_id=domain_id,
        success=_("The renewal setting was saved."),
        context={
            "customer": option.customer,
            "option": option,
            "title": _("The option at renewal"),
            "submit_label": _("Review the renewal"),
            "confirm_label": _("Save the renewal"),
        },
    )


# --- Scheduled option orders --------------------------------------------------------------------------------


@require(CHANGE_OPTIONS)
def order_add(request: HttpRequest, domain_id: int) -> HttpResponse:
    customer = found_or_404(
        customer_selectors.customer_get(user=request.user, domain_id=domain_id, live=True)
    )
    form = order_form(
        posted(request),
        user=request.user,
        customer=customer,
        initial={
            "type": request.GET.get("type") or "",
            "sub_option_id": request.GET.get("sub_option_id") or "",
        },
    )
    refusal = form.unavailable()
    if refusal:
        # Nothing this customer could schedule (a Free subscription before its paid start, say): no empty form.
        messages.info(request, refusal)
        return redirect(_section(domain_id))
    return _change(
        request,
        form,
        operation_id="createOptionProductOrder",
        args=lambda d: order_args(domain_id, d),
        domain_id=domain_id,
        success=_("The option change was scheduled."),
        context={
            "customer": customer,
            "subscription": form.subscription,
            "title": _("Schedule an option change"),
            "submit_label": _("Review the change"),
            "confirm_label": _("Schedule it"),
        },
    )


@require(CHANGE_OPTIONS)
def order_edit(request: HttpRequest, domain_id: int, option_product_id: str) -> HttpResponse:
    order = found_or_404(
        selectors.order_get(user=request.user, domain_id=domain_id, option_product_id=option_product_id)
    )
    form = order_date_form(posted(request), user=request.user, order=order)
    return _change(
        request,
        form,
        operation_id="updateOptionProductOrder",
        args=lambda d: option_args(domain_id, option_product_id, apply_date=d["apply_date"]),
        domain_id=domain_id,
        success=_("The scheduled option change was moved."),
        context={
            "customer": order.customer,
            "order": order,
            "delete_form": f.ChangeForm(),
            "title": _("Move the scheduled option change"),
            "submit_label": _("Review the new date"),
            "confirm_label": _("Move it"),
        },
    )


@require(CHANGE_OPTIONS)
@require_POST
def order_delete(request: HttpRequest, domain_id: int, option_product_id: str) -> HttpResponse:
    found_or_404(
        selectors.order_get(user=request.user, domain_id=domain_id, option_product_id=option_product_id)
    )
    return delete_page(
        request,
        operation_id="deleteOptionProductOrder",
        args=option_args(domain_id, option_product_id),
        domain_id=domain_id,
        back=reverse("options:order", args=[domain_id, option_product_id]),
        done=_section(domain_id),
        success=_("The scheduled option change was deleted."),
    )
