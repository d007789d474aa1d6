"""Customer pages that change things (Account managers and Admins): edit, usage status and its scheduled
max-users change, deletion, adding a customer, its domain, activation and the transfer of an Online Direct
customer.

Every change goes through the change pipeline (portal.core.changes): it carries the submission's idempotency
key and is confirmed before it is sent (the two-step change page, or a confirmation that states its
consequence); the slow ones (add, activate, transfer, delete) are queued and their operation's page follows
them. The API's refusal comes back on the field it names.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from customers import forms_changes as f
from customers import selectors, services
from customers.change_args import (
    domain_args,
    edit_args,
    new_customer_args,
    renewal_args,
    renewal_form,
    renewal_operation,
    transfer_args,
    usage_args,
    usage_initial,
)
from customers.forms import CustomerOwnerForm
from customers.permissions import ASSIGN_OWNERS, CHANGE_CUSTOMERS
from portal.core.access import require
from portal.core.changes import ChangeRefused
from portal.core.changes.forms import ChangeForm, new_key
from portal.core.changes.views import change_page, delete_page, posted, send
from portal.core.shortcuts import found_or_404

TEMPLATE = "customers/customer_change.html"


def _refused(form, exc: ChangeRefused) -> None:
    """Show the API's refusal on the field it concerns, or on the whole form."""
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def _detail(domain_id: int) -> str:
    return reverse("customers:detail", args=[domain_id])


@require(CHANGE_CUSTOMERS)
def customer_edit(request: HttpRequest, domain_id: int) -> HttpResponse:
    """patchCustomer: only the fields that changed are sent."""
    customer = found_or_404(selectors.customer_get(user=request.user, domain_id=domain_id, live=True))
    form = f.CustomerEditForm(posted(request), initial=f.CustomerEditForm.initial_for(customer))
    if request.method == "POST" and form.is_valid() and not form.changes():
        messages.info(request, _("Nothing changed."))
        return redirect(_detail(domain_id))
    return change_page(
        request,
        form,
        operation_id="patchCustomer",
        args=lambda d: edit_args(domain_id, form),
        domain_id=domain_id,
        done=_detail(domain_id),
        success=_("Customer updated."),
        template=TEMPLATE,
        context={
            "customer": customer,
            "title": _("Edit customer"),
            "note": _("Only the fields you change are sent to LINE WORKS."),
            "submit_label": _("Review the change"),
            "confirm_label": _("Save"),
        },
    )


@require(CHANGE_CUSTOMERS)
def customer_usage(request: HttpRequest, domain_id: int) -> HttpResponse:
    """The usage-status page (GET: both forms), and patchUsageStatus (POST: maximum users and a scheduled
    cancellation, confirmed before sending)."""
    customer = found_or_404(selectors.customer_get(user=request.user, domain_id=domain_id, live=True))
    form = f.UsageStatusForm(posted(request), initial=usage_initial(customer))
    if request.method != "POST":
        return render(
            request,
            "customers/customer_usage.html",
            {
                "customer": customer,
                "form": form,
                "renewal_form": renewal_form(customer),
                "delete_key": new_key(),
            },
        )
    return change_page(
        request,
        form,
        operation_id="patchUsageStatus",
        args=lambda d: usage_args(customer, d),
        domain_id=domain_id,
        done=_detail(domain_id),
        success=_("Usage status updated."),
        template=TEMPLATE,
        context={
            "customer": customer,
            "title": _("Maximum users and scheduled cancellation"),
            "submit_label": _("Review the change"),
            "confirm_label": _("Save"),
        },
    )


@require(CHANGE_CUSTOMERS)
@require_POST
def customer_renewal(request: HttpRequest, domain_id: int) -> HttpResponse:
    """Schedule a max-users change (createUsageStatusRenewal), or move the one there is (its date only)."""
    customer = found_or_404(selectors.customer_get(user=request.user, domain_id=domain_id, live=True))
    form = renewal_form(customer, request.POST)
    moves = form.moves
    return change_page(
        request,
        form,
        operation_id=renewal_operation(form),
        args=lambda d: renewal_args(domain_id, form, d),
        domain_id=domain_id,
        done=_detail(domain_id),
        success=_("Scheduled max-users change saved."),
        template=TEMPLATE,
        context={
            "customer": customer,
            "title": _("Scheduled max-users change"),
            "submit_label": _("Review the scheduled change"),
            "confirm_label": _("Move it") if moves else _("Schedule it"),
        },
    )


@require(CHANGE_CUSTOMERS)
@require_POST
def customer_renewal_delete(request: HttpRequest, domain_id: int) -> HttpResponse:
    found_or_404(selectors.customer_get(user=request.user, domain_id=domain_id, live=True))
    return delete_page(
        request,
        operation_id="deleteUsageStatusRenewal",
        args={"domain_id": domain_id},
        domain_id=domain_id,
        back=reverse("customers:usage", args=[domain_id]),
        done=_detail(domain_id),
        success=_("Scheduled max-users change deleted."),
    )


@require(CHANGE_CUSTOMERS)
def customer_delete(request: HttpRequest, domain_id: int) -> HttpResponse:
    """deleteCustomer, queued, behind typing the customer's domain."""
    customer = found_or_404(selectors.customer_get(user=request.user, domain_id=domain_id, live=True))
    form = f.CustomerDeleteForm(posted(request), customer=customer)
    if request.method == "POST" and form.is_valid():
        return send(
            request,
            "deleteCustomer",
            args={"domain_id": domain_id},
            key=form.cleaned_data["idempotency_key"],
            reason=form.cleaned_data["reason"],
            domain_id=domain_id,
            done=reverse("customers:list"),
            success=_("The customer was deleted."),
        )
    return render(request, "customers/customer_delete.html", {"customer": customer, "form": form})


# --- Add a customer, domains, transfer ---------------------------------------------------------------


@require(CHANGE_CUSTOMERS)
def customer_add(request: HttpRequest) -> HttpResponse:
    """Wizard step 1: verify the domain or group name (a check: nothing is changed)."""
    form = f.AddDomainForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        domain = form.cleaned_data["domain"]
        try:
            kind = services.customer_domain_verify(domain=domain)
        except ChangeRefused as exc:
            _refused(form, exc)
        else:
            return redirect(
                f"{reverse('customers:add_details')}?{urlencode({'domain': domain, 'type': kind})}"
            )
    return render(request, "customers/customer_add.html", {"form": form, "step": 1})


@require(CHANGE_CUSTOMERS)
def customer_add_details(request: HttpRequest) -> HttpResponse:
    """Wizard step 2: the customer and its administrator, then step 3: check before sending (the change page's
    two steps); creating it is queued (createCustomer)."""
    domain = (request.POST or request.GET).get("domain", "")
    domain_type = request.GET.get("type", "")
    if not domain:
        return redirect("customers:add")
    form = f.AddCustomerForm(posted(request), initial={"domain": domain})
    return change_page(
        request,
        form,
        operation_id="createCustomer",
        args=lambda d: new_customer_args(d, added_by=request.user.pk),
        domain_id=None,
        done=reverse("customers:list"),
        success=_("The customer was added."),
        template="customers/customer_add_details.html",
        context={
            "domain": domain,
            "domain_type": domain_type,
            "title": _("Add customer"),
            "submit_label": _("Review the new customer"),
            "confirm_label": _("Create customer"),
        },
    )


@require(CHANGE_CUSTOMERS)
def customer_domain(request: HttpRequest, domain_id: int) -> HttpResponse:
    """DNS records to set, activation, and moving a group name to a domain (register, change)."""
    customer = found_or_404(selectors.customer_get(user=request.user, domain_id=domain_id, live=True))
    error = ""
    try:
        upgrade = services.upgrade_domain_get(domain_id=domain_id)
    except ChangeRefused as exc:
        upgrade, error = None, exc.message
    return render(
        request,
        "customers/customer_domain.html",
        {
            "customer": customer,
            "upgrade": upgrade,
            "error": error,
            "upgrade_form": f.UpgradeDomainForm(),
            "activate_form": ChangeForm(),
            "change_key": new_key(),
            "remove_key": new_key(),
        },
    )


@require(CHANGE_CUSTOMERS)
@require_POST
def customer_domain_upgrade(request: HttpRequest, domain_id: int) -> HttpResponse:
    """Register the domain a group name will move to (createUpgradeDomain), confirmed before sending."""
    customer = found_or_404(selectors.customer_get(user=request.user, domain_id=domain_id, live=True))
    return change_page(
        request,
        f.UpgradeDomainForm(request.POST),
        operation_id="createUpgradeDomain",
        args=lambda d: domain_args(domain_id, d),
        domain_id=domain_id,
        done=reverse("customers:domain", args=[domain_id]),
        success=_("Domain registered. Set the DNS records below, then change the group name to it."),
        template=TEMPLATE,
        context={
            "customer": customer,
            "title": _("Move to the customer's own domain"),
            "submit_label": _("Review the change"),
            "confirm_label": _("Register domain"),
        },
    )


@require(CHANGE_CUSTOMERS)
@require_POST
def customer_domain_upgrade_delete(request: HttpRequest, domain_id: int) -> HttpResponse:
    found_or_404(selectors.customer_get(user=request.user, domain_id=domain_id, live=True))
    back = reverse("customers:domain", args=[domain_id])
    return delete_page(
        request,
        operation_id="deleteUpgradeDomain",
        args={"domain_id": domain_id},
        domain_id=domain_id,
        back=back,
        done=back,
        success=_("The registered domain was removed."),
    )


@require(CHANGE_CUSTOMERS)
@require_POST
def customer_domain_change(request: HttpRequest, domain_id: int) -> HttpResponse:
    """changeCustomerDomain, confirmed on the domain page (which stated the consequence)."""
    found_or_404(selectors.customer_get(user=request.user, domain_id=domain_id, live=True))
    back = reverse("customers:domain", args=[domain_id])
    # The confirmation posts the registered domain; anything else is refused here, before the API.
    form = f.UpgradeDomainForm(
        {**request.POST.dict(), "domain": request.POST.get("domain", "").strip().lower()}
    )
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, errors[0])
        return redirect(back)
    domain = form.cleaned_data["domain"]
    try:
        return send(
            request,
            "changeCustomerDomain",
            args=domain_args(domain_id, form.cleaned_data),
            key=form.cleaned_data["idempotency_key"],
            reason=form.cleaned_data["reason"],
            domain_id=domain_id,
            done=_detail(domain_id),
            success=_("The customer now uses the domain %(domain)s.") % {"domain": domain},
        )
    except ChangeRefused as exc:
        messages.error(request, exc.message)
        return redirect(back)


@require(CHANGE_CUSTOMERS)
@require_POST
def customer_activate(request: HttpRequest, domain_id: int) -> HttpResponse:
    """activateCustomer, queued (the domain page's button is its confirmation)."""
    found_or_404(selectors.customer_get(user=request.user, domain_id=domain_id, live=True))
    form = ChangeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The form expired; open it again."))
        return redirect("customers:domain", domain_id=domain_id)
    return send(
        request,
        "activateCustomer",
        args={"domain_id": domain_id},
        key=form.cleaned_data["idempotency_key"],
        reason=form.cleaned_data["reason"],
        domain_id=domain_id,
        done=_detail(domain_id),
        success=_("The customer's domain is active."),
    )


@require(CHANGE_CUSTOMERS)
def customer_transfer(request: HttpRequest) -> HttpResponse:
    """Look up an Online Direct customer (GET with domain and code), then confirm the transfer (POST: queued)."""
    if request.method == "POST":
        confirm = f.TransferConfirmForm(request.POST)
        if not confirm.is_valid():
            return redirect("customers:transfer")
        d = confirm.cleaned_data
        return send(
            request,
            "transferPotentialCustomer",
            args=transfer_args(d, added_by=request.user.pk),
            key=d["idempotency_key"],
            reason=d["reason"],
            domain_id=None,
            done=reverse("customers:list"),
            success=_("The customer was transferred."),
        )
    lookup = f.TransferLookupForm(request.GET or None)
    potential, confirm = None, None
    if lookup.is_bound and lookup.is_valid():
        try:
            potential = services.potential_customer_get(**lookup.cleaned_data)
        except ChangeRefused as exc:
            _refused(lookup, exc)
        else:
            confirm = f.TransferConfirmForm(initial=lookup.cleaned_data)
    return render(
        request,
        "customers/customer_transfer.html",
        {"lookup": lookup, "potential": potential, "confirm": confirm},
    )


@require(ASSIGN_OWNERS)
def customer_owner(request: HttpRequest, domain_id: int) -> HttpResponse:
    """Who looks after a customer (Admins): the portal's own data, so a plain validated form as on the Users page
    (nothing is sent to the Partner API), saved and recorded at once (`services.customer_owner_set`)."""
    customer = found_or_404(selectors.customer_get(user=request.user, domain_id=domain_id))
    owner = selectors.customer_owner_get(user=request.user, domain_id=domain_id)
    initial = {
        "account_manager": owner.account_manager_id if owner else None,
        "support_contact": owner.support_contact_id if owner else None,
    }
    form = CustomerOwnerForm(request.POST if request.method == "POST" else None, initial=initial)
    if form.is_bound and form.is_valid():
        try:
            changed = services.customer_owner_set(
                actor=request.user,
                domain_id=domain_id,
                account_manager_id=form.cleaned_data["account_manager"],
                support_contact_id=form.cleaned_data["support_contact"],
            )
        except services.OwnerChangeRefused as refused:
            form.add_error(None, str(refused))
        else:
            values = {"company": customer.company_name}
            if changed:
                messages.success(request, _("Who looks after %(company)s is saved.") % values)
            else:
                messages.info(request, _("Nothing changed: %(company)s already had these owners.") % values)
            return redirect("customers:detail", domain_id=domain_id)
    return render(request, "customers/customer_owner.html", {"customer": customer, "form": form})
