"""Customer pages: list (search, filters, CSV), detail, refresh, and the lifecycle forms."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from customers import forms, presenters, selectors, services
from customers.lists import CUSTOMER_LIST
from portal.core import lists
from portal.core import selectors as core_selectors
from portal.core.access import Perm, can, require
from portal.core.htmx import partial_for
from portal.core.lists import ListState
from portal.core.models import SyncRun
from portal.core.sections import sections_for

RECENT_ACTIVITY = 10


@require(Perm.VIEW_CUSTOMERS)
@require_GET
def customer_list(request: HttpRequest) -> HttpResponse:
    state = ListState.from_request(request, CUSTOMER_LIST)
    page = selectors.customer_page(
        user=request.user, filters=state.filters, page=state.page, per_page=state.per_page
    )
    return lists.respond(
        request,
        state,
        page,
        {"rows": presenters.rows(page.object_list)},
        full_context=lambda: {
            "filter_fields": presenters.filter_fields(state.form),
            "last_sync": core_selectors.sync_run_latest_finished(kind="full"),
            "can_change": can(request.user, Perm.CHANGE_CUSTOMERS),
        },
    )


@require(Perm.VIEW_CUSTOMERS)
@require_GET
def customer_export(request: HttpRequest) -> StreamingHttpResponse:
    state = ListState.from_request(request, CUSTOMER_LIST)
    return lists.csv_export(
        state, selectors.customer_list(user=request.user, filters=state.filters), name="customers"
    )


@require(Perm.VIEW_CUSTOMERS)
@require_GET
def customer_detail(request: HttpRequest, domain_id: int) -> HttpResponse:
    customer = selectors.customer_get(user=request.user, domain_id=domain_id)
    if customer is None:
        raise Http404
    activity = None
    if can(request.user, Perm.VIEW_ACTIVITY):
        activity = list(
            core_selectors.audit_entry_list(filters=core_selectors.ActivityFilters(), domain_id=domain_id)[
                :RECENT_ACTIVITY
            ]
        )
    return render(
        request,
        "customers/customer_detail.html",
        {
            "customer": customer,
            "sections": sections_for(customer=customer, user=request.user),
            "activity": activity,
            "can_change": can(request.user, Perm.CHANGE_CUSTOMERS),
        },
    )


@require(Perm.VIEW_CUSTOMERS)
@require_POST
def customer_refresh(request: HttpRequest, domain_id: int) -> HttpResponse:
    """Read this customer from the Partner API now (a read: every role that sees customers may ask)."""
    if selectors.customer_get(user=request.user, domain_id=domain_id) is None:
        raise Http404
    run = services.customer_refresh(domain_id=domain_id, user=request.user)
    if run.status == SyncRun.Status.SUCCEEDED:
        if run.counts.get("removed"):
            messages.warning(
                request, _("The Partner API no longer has this customer; it is now marked removed.")
            )
        else:
            messages.success(request, _("Customer refreshed from the Partner API."))
    else:
        detail = "; ".join(e.get("error", "") for e in run.errors[:3])
        messages.error(request, _("Refresh failed: %(detail)s") % {"detail": detail})
    return redirect("customers:detail", domain_id=domain_id)


# --- Lifecycle forms (Account managers and Admins) -----------------------------------------------------


def _customer_or_404(request: HttpRequest, domain_id: int):
    customer = selectors.customer_get(user=request.user, domain_id=domain_id)
    if customer is None or customer.removed_at is not None:
        raise Http404
    return customer


def _refused(form, exc: services.CustomerChangeRefused) -> None:
    """Show the API's refusal on the field it concerns, or on the whole form."""
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


@require(Perm.CHANGE_CUSTOMERS)
def customer_edit(request: HttpRequest, domain_id: int) -> HttpResponse:
    customer = _customer_or_404(request, domain_id)
    initial = forms.CustomerEditForm.initial_for(customer)
    form = forms.CustomerEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        changes = form.changes()
        if not changes:
            messages.info(request, _("Nothing changed."))
            return redirect("customers:detail", domain_id=domain_id)
        try:
            services.customer_patch(
                user=request.user, domain_id=domain_id, reason=form.cleaned_data["reason"], **changes
            )
        except services.CustomerChangeRefused as exc:
            _refused(form, exc)
        else:
            messages.success(request, _("Customer updated."))
            return redirect("customers:detail", domain_id=domain_id)
    return render(request, "customers/customer_edit.html", {"customer": customer, "form": form})


def _usage_initial(customer) -> dict:
    return {
        "max_member_count": None if customer.max_member_unlimited else customer.max_member_count,
        "withdrawal_date": customer.withdrawal_date,
    }


def _usage_page(request: HttpRequest, customer, *, form=None, renewal_form=None) -> HttpResponse:
    """The usage-status page: the form that was posted as it came back, the other one from the cache."""
    if form is None:
        form = forms.UsageStatusForm(initial=_usage_initial(customer))
    if renewal_form is None:
        renewal_form = forms.RenewalForm(
            initial={
                "apply_date": customer.renewal_apply_date,
                "max_member_count": customer.renewal_max_member_count,
            }
        )
    return render(
        request,
        "customers/customer_usage.html",
        {"customer": customer, "form": form, "renewal_form": renewal_form},
    )


@require(Perm.CHANGE_CUSTOMERS)
def customer_usage(request: HttpRequest, domain_id: int) -> HttpResponse:
    """Maximum users and scheduled cancellation (POST here); the scheduled change has its own URLs."""
    customer = _customer_or_404(request, domain_id)
    form = forms.UsageStatusForm(request.POST or None, initial=_usage_initial(customer))
    if request.method == "POST" and form.is_valid():
        try:
            services.usage_status_patch(
                user=request.user,
                domain_id=domain_id,
                max_member_count=form.cleaned_data["max_member_count"],
                withdrawal_date=form.cleaned_data["withdrawal_date"],
                reason=form.cleaned_data["reason"],
            )
        except services.CustomerChangeRefused as exc:
            _refused(form, exc)
        else:
            messages.success(request, _("Usage status updated."))
            return redirect("customers:detail", domain_id=domain_id)
    return _usage_page(request, customer, form=form)


@require(Perm.CHANGE_CUSTOMERS)
@require_POST
def customer_renewal(request: HttpRequest, domain_id: int) -> HttpResponse:
    customer = _customer_or_404(request, domain_id)
    renewal_form = forms.RenewalForm(request.POST)
    if renewal_form.is_valid():
        try:
            services.usage_renewal_save(
                user=request.user,
                domain_id=domain_id,
                apply_date=renewal_form.cleaned_data["apply_date"],
                max_member_count=renewal_form.cleaned_data["max_member_count"],
                reason=renewal_form.cleaned_data["reason"],
            )
        except services.CustomerChangeRefused as exc:
            _refused(renewal_form, exc)
        else:
            messages.success(request, _("Scheduled max-users change saved."))
            return redirect("customers:detail", domain_id=domain_id)
    return _usage_page(request, customer, renewal_form=renewal_form)


@require(Perm.CHANGE_CUSTOMERS)
@require_POST
def customer_renewal_delete(request: HttpRequest, domain_id: int) -> HttpResponse:
    _customer_or_404(request, domain_id)
    try:
        services.usage_renewal_delete(
            user=request.user, domain_id=domain_id, reason=request.POST.get("reason", "")[:500]
        )
    except services.CustomerChangeRefused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Scheduled max-users change deleted."))
    return redirect("customers:detail", domain_id=domain_id)


@require(Perm.CHANGE_CUSTOMERS)
def customer_delete(request: HttpRequest, domain_id: int) -> HttpResponse:
    customer = _customer_or_404(request, domain_id)
    form = forms.CustomerDeleteForm(
        request.POST or None, customer=customer, initial={"idempotency_key": _new_key()}
    )
    if request.method == "POST" and form.is_valid():
        operation = services.customer_delete_request(
            user=request.user,
            domain_id=domain_id,
            idempotency_key=f"deleteCustomer:{domain_id}:{form.cleaned_data['idempotency_key']}",
            reason=form.cleaned_data["reason"],
        )
        return redirect("customers:operation", operation_id=operation.pk)
    return render(request, "customers/customer_delete.html", {"customer": customer, "form": form})


@require(Perm.CHANGE_CUSTOMERS)
@require_GET
def operation_status(request: HttpRequest, operation_id) -> HttpResponse:
    """A slow change's status; the page polls its own partial until the operation has finished."""
    operation = core_selectors.operation_get(operation_id=operation_id)
    if operation is None:
        raise Http404
    template = "customers/operation.html"
    if partial_for(request, "operation"):
        template += "#status"
    return render(request, template, {"operation": operation})


# --- Add a customer, domains, transfer ---------------------------------------------------------------


def _new_key() -> str:
    return uuid.uuid4().hex


@require(Perm.CHANGE_CUSTOMERS)
def customer_add(request: HttpRequest) -> HttpResponse:
    """Wizard step 1: verify the domain or group name."""
    form = forms.AddDomainForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        domain = form.cleaned_data["domain"]
        try:
            kind = services.customer_domain_verify(domain=domain)
        except services.CustomerChangeRefused as exc:
            _refused(form, exc)
        else:
            return redirect(
                f"{reverse('customers:add_details')}?{urlencode({'domain': domain, 'type': kind})}"
            )
    return render(request, "customers/customer_add.html", {"form": form, "step": 1})


@require(Perm.CHANGE_CUSTOMERS)
def customer_add_details(request: HttpRequest) -> HttpResponse:
    """Wizard step 2: the customer and its administrator; creating it runs in the background."""
    domain = (request.POST or request.GET).get("domain", "")
    domain_type = request.GET.get("type", "")
    if not domain:
        return redirect("customers:add")
    form = forms.AddCustomerForm(
        request.POST or None, initial={"domain": domain, "idempotency_key": _new_key()}
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        operation = services.customer_create_request(
            user=request.user, idempotency_key=f"createCustomer:{data.pop('idempotency_key')}", **data
        )
        return redirect("customers:operation", operation_id=operation.pk)
    return render(
        request,
        "customers/customer_add.html",
        {"form": form, "step": 2, "domain": domain, "domain_type": domain_type},
    )


@require(Perm.CHANGE_CUSTOMERS)
def customer_domain(request: HttpRequest, domain_id: int) -> HttpResponse:
    """DNS records to set, activation, and moving a group name to a domain (upgrade, change)."""
    customer = _customer_or_404(request, domain_id)
    error = ""
    try:
        upgrade = services.upgrade_domain_get(domain_id=domain_id)
    except services.CustomerChangeRefused as exc:
        upgrade, error = None, exc.message
    return _domain_page(request, customer, upgrade=upgrade, error=error)


def _domain_page(request: HttpRequest, customer, *, upgrade, error="", upgrade_form=None) -> HttpResponse:
    if upgrade_form is None:
        upgrade_form = forms.UpgradeDomainForm()
    return render(
        request,
        "customers/customer_domain.html",
        {
            "customer": customer,
            "upgrade": upgrade,
            "error": error,
            "upgrade_form": upgrade_form,
            "activate_form": forms.ConfirmForm(initial={"idempotency_key": _new_key()}),
        },
    )


def _domain_post(request, domain_id: int, action) -> HttpResponse:
    _customer_or_404(request, domain_id)
    try:
        message = action()
    except services.CustomerChangeRefused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, message)
    return redirect("customers:domain", domain_id=domain_id)


@require(Perm.CHANGE_CUSTOMERS)
@require_POST
def customer_domain_upgrade(request: HttpRequest, domain_id: int) -> HttpResponse:
    form = forms.UpgradeDomainForm(request.POST)
    if not form.is_valid():
        # Only a group name without a registered domain shows this form: no upgrade to read.
        return _domain_page(request, _customer_or_404(request, domain_id), upgrade=None, upgrade_form=form)

    def action():
        services.upgrade_domain_create(
            user=request.user,
            domain_id=domain_id,
            domain=form.cleaned_data["domain"],
            reason=form.cleaned_data["reason"],
        )
        return _("Domain registered. Set the DNS records below, then change the group name to it.")

    return _domain_post(request, domain_id, action)


@require(Perm.CHANGE_CUSTOMERS)
@require_POST
def customer_domain_upgrade_delete(request: HttpRequest, domain_id: int) -> HttpResponse:
    def action():
        services.upgrade_domain_delete(
            user=request.user, domain_id=domain_id, reason=request.POST.get("reason", "")[:500]
        )
        return _("The registered domain was removed.")

    return _domain_post(request, domain_id, action)


@require(Perm.CHANGE_CUSTOMERS)
@require_POST
def customer_domain_change(request: HttpRequest, domain_id: int) -> HttpResponse:
    # The confirmation posts the registered domain; anything else is refused here, before the API.
    form = forms.UpgradeDomainForm(
        {**request.POST.dict(), "domain": request.POST.get("domain", "").strip().lower()}
    )
    if not form.is_valid():
        _customer_or_404(request, domain_id)
        for errors in form.errors.values():
            messages.error(request, errors[0])
        return redirect("customers:domain", domain_id=domain_id)
    domain = form.cleaned_data["domain"]

    def action():
        services.customer_domain_change(
            user=request.user, domain_id=domain_id, domain=domain, reason=form.cleaned_data["reason"]
        )
        return _("The customer now uses the domain %(domain)s.") % {"domain": domain}

    return _domain_post(request, domain_id, action)


@require(Perm.CHANGE_CUSTOMERS)
@require_POST
def customer_activate(request: HttpRequest, domain_id: int) -> HttpResponse:
    _customer_or_404(request, domain_id)
    form = forms.ConfirmForm(request.POST)
    if not form.is_valid():
        return redirect("customers:domain", domain_id=domain_id)
    operation = services.customer_activate_request(
        user=request.user,
        domain_id=domain_id,
        idempotency_key=f"activateCustomer:{domain_id}:{form.cleaned_data['idempotency_key']}",
        reason=form.cleaned_data["reason"],
    )
    return redirect("customers:operation", operation_id=operation.pk)


@require(Perm.CHANGE_CUSTOMERS)
def customer_transfer(request: HttpRequest) -> HttpResponse:
    """Look up an Online Direct customer (GET with domain and code), then confirm the transfer (POST)."""
    if request.method == "POST":
        confirm = forms.TransferConfirmForm(request.POST)
        if confirm.is_valid():
            operation = services.potential_customer_transfer_request(
                user=request.user,
                domain=confirm.cleaned_data["domain"],
                partner_code=confirm.cleaned_data["partner_code"],
                idempotency_key=f"transfer:{confirm.cleaned_data['idempotency_key']}",
                reason=confirm.cleaned_data["reason"],
            )
            return redirect("customers:operation", operation_id=operation.pk)
        return redirect("customers:transfer")
    lookup = forms.TransferLookupForm(request.GET or None)
    potential, confirm = None, None
    if lookup.is_bound and lookup.is_valid():
        try:
            potential = services.potential_customer_get(**lookup.cleaned_data)
        except services.CustomerChangeRefused as exc:
            _refused(lookup, exc)
        else:
            confirm = forms.TransferConfirmForm(
                initial={**lookup.cleaned_data, "idempotency_key": _new_key()}
            )
    return render(
        request,
        "customers/customer_transfer.html",
        {"lookup": lookup, "potential": potential, "confirm": confirm},
    )
