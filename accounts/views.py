"""The Admins' Users page: the list, adding a user with a role, changing a role, deactivating and reactivating,
resetting a password (and two-step sign-in). Django's admin stays for emergencies only."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import pgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts import selectors, services
from accounts.forms import (
    UserCreateForm,
    UserDeactivateForm,
    UserFilterForm,
    UserPasswordResetForm,
    UserRoleForm,
)
from accounts.permissions import MANAGE_USERS
from portal.core import lists
from portal.core.access import Role, require
from portal.core.lists import Badge, Column, ListSpec, ListState, Muted
from portal.core.templatetags.portal import business_dt, person_name, role_label


def _role(user, page):
    return role_label(user.role_value) if user.role_value else Muted(_("No role"))


def _status(user, page):
    if user.is_active:
        return Badge(pgettext("a portal user", "Active"), "ok")
    return Badge(_("Deactivated"), "danger")


def _last_login(user, page):
    return business_dt(user.last_login) if user.last_login else Muted(pgettext("last sign-in", "Never"))


def _two_factor(user, page):
    return Badge(_("Set up"), "ok") if user.two_factor else Muted(_("Not set up"))


USER_LIST = ListSpec(
    form=UserFilterForm,
    sorts=selectors.USER_SORTS,
    columns=(
        Column(
            _lazy("User name"),
            sort="username",
            value="username",
            link=lambda user, page: reverse("accounts:user", args=[user.pk]),
        ),
        Column(_lazy("Name"), sort="name", value=lambda user, page: person_name(user)),
        Column(_lazy("Email"), sort="email", value="email"),
        Column(_lazy("Role"), value=_role),
        Column(_lazy("Status"), value=_status),
        Column(_lazy("Last sign-in"), sort="last_login", value=_last_login),
        Column(_lazy("Two-step sign-in"), value=_two_factor),
    ),
    template="accounts/users.html",
    row_attrs=(("data-user", "username"),),
    page_sizes=(50,),
)


def _target(request: HttpRequest, user_id: int):
    target = selectors.user_get(user=request.user, user_id=user_id)
    if target is None:
        raise Http404
    return target


def _password_shown(request: HttpRequest, target, password: str, *, created: bool) -> HttpResponse:
    """The made-up password, on this answer only (never stored, never cached by the browser)."""
    return render(
        request,
        "accounts/user_password_shown.html",
        {"target": target, "password": password, "created": created},
    )


@require(MANAGE_USERS)
def users(request: HttpRequest) -> HttpResponse:
    state = ListState.from_request(request, USER_LIST)
    page = lists.paginate(
        selectors.user_list(user=request.user, filters=state.filters),
        page=state.page,
        per_page=state.per_page,
    )
    return lists.respond(request, state, page)


@require(MANAGE_USERS)
@never_cache
def user_add(request: HttpRequest) -> HttpResponse:
    form = UserCreateForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            user, made_up = services.user_create(
                actor=request.user,
                username=data["username"],
                role=Role(data["role"]),
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                password=data["password"],
            )
        except services.UsernameTaken as refused:
            form.add_error("username", str(refused))
        else:
            messages.success(
                request,
                _("%(username)s was added as %(role)s.")
                % {"username": user.username, "role": Role(data["role"]).label},
            )
            if made_up:
                return _password_shown(request, user, made_up, created=True)
            return redirect("accounts:user", user.pk)
    return render(request, "accounts/user_add.html", {"form": form})


@require(MANAGE_USERS)
def user_detail(request: HttpRequest, user_id: int) -> HttpResponse:
    """A user's page; its form changes their role."""
    target = _target(request, user_id)
    form = UserRoleForm(
        request.POST if request.method == "POST" else None, initial={"role": target.role_value or None}
    )
    if form.is_bound and form.is_valid():
        role = Role(form.cleaned_data["role"])
        try:
            changed = services.user_role_change(actor=request.user, user_id=target.pk, role=role)
        except services.UserChangeRefused as refused:
            form.add_error("role", str(refused))
        else:
            values = {"username": target.username, "role": role.label}
            if changed:
                messages.success(request, _("%(username)s is now %(role)s.") % values)
            else:
                messages.info(request, _("%(username)s is %(role)s already.") % values)
            if target.pk == request.user.pk and role != Role.ADMIN:
                return redirect("home")  # no longer an Admin: the Users page is closed to them now
            return redirect("accounts:user", target.pk)
    return render(
        request,
        "accounts/user_detail.html",
        {"target": target, "form": form, "is_self": target.pk == request.user.pk},
    )


@require(MANAGE_USERS)
def user_deactivate(request: HttpRequest, user_id: int) -> HttpResponse:
    """The confirmation page (their sessions end; who takes over the customers they look after), then the
    deactivation and the handover, together."""
    target = _target(request, user_id)
    if not target.is_active:
        messages.info(request, _("%(username)s is deactivated already.") % {"username": target.username})
        return redirect("accounts:user", target.pk)
    refusal = selectors.user_removal_refusal(actor=request.user, target=target, deactivate=True)
    form = UserDeactivateForm(
        request.POST if request.method == "POST" else None,
        target=target,
        held=selectors.user_holdings(user=target),
    )
    if form.is_bound and not refusal and form.is_valid():
        try:
            services.user_deactivate(actor=request.user, user_id=target.pk, handovers=form.handovers())
        except services.UserChangeRefused as refused:
            refusal = str(refused)
        else:
            messages.success(
                request,
                _("%(username)s is deactivated and was signed out everywhere.")
                % {"username": target.username},
            )
            return redirect("accounts:user", target.pk)
    return render(
        request, "accounts/user_deactivate.html", {"target": target, "refusal": refusal, "form": form}
    )


@require(MANAGE_USERS)
@require_POST
def user_reactivate(request: HttpRequest, user_id: int) -> HttpResponse:
    target = _target(request, user_id)
    if services.user_reactivate(actor=request.user, user_id=target.pk):
        messages.success(
            request,
            _("%(username)s can sign in again, with the same role and password.")
            % {"username": target.username},
        )
    else:
        messages.info(request, _("%(username)s is active already.") % {"username": target.username})
    return redirect("accounts:user", target.pk)


@require(MANAGE_USERS)
@never_cache
def user_password(request: HttpRequest, user_id: int) -> HttpResponse:
    """Reset a user's password (typed, or made up and shown once); their sessions end."""
    target = _target(request, user_id)
    refusal = selectors.user_password_reset_refusal(actor=request.user, target=target)
    form = UserPasswordResetForm(request.POST if request.method == "POST" else None, user=target)
    if form.is_bound and not refusal and form.is_valid():
        try:
            _user, made_up = services.user_password_reset(
                actor=request.user,
                user_id=target.pk,
                password=form.cleaned_data["password"],
                two_factor_reset=form.cleaned_data.get("two_factor_reset", False),
            )
        except services.UserChangeRefused as refused:
            refusal = str(refused)
        else:
            messages.success(
                request,
                _("The password of %(username)s is reset and they were signed out everywhere.")
                % {"username": target.username},
            )
            if form.cleaned_data.get("two_factor_reset"):
                messages.success(
                    request,
                    _("Their two-step sign-in is reset: they set it up again at their next sign-in."),
                )
            if made_up:
                return _password_shown(request, target, made_up, created=False)
            return redirect("accounts:user", target.pk)
    return render(
        request, "accounts/user_password.html", {"target": target, "form": form, "refusal": refusal}
    )
