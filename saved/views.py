"""Saved views: the Views page (every view the reader sees, each with the count its list shows), saving the list
a page showed (the form under every list's results), a view's stable address, deleting one, and home's panel."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal.core.access import can, require
from portal.core.htmx import partial_for
from portal.core.permissions import USE_PORTAL
from saved import selectors, services
from saved.forms import SaveViewForm
from saved.models import SavedView
from saved.permissions import SHARE_VIEWS

#: Home's panel (home/home.html draws the contributed `home_panels`, each `#panel-<key>`), and the views it
#: shows (the Views page has them all).
PANEL = "panel-saved"
PANEL_LIMIT = 8


def _found(request: HttpRequest, view_id: int) -> SavedView:
    view = selectors.saved_view_get(user=request.user, view_id=view_id)
    if view is None:
        raise Http404(_("No such saved view, or it is not shared with you."))
    return view


def _rows(request: HttpRequest, views: list[SavedView], *, groups: bool = False) -> list[dict]:
    """Each view with what the reader may do with it: delete it, and (`groups`, the Views page) on a group,
    start a bulk change and (those who may share views: the digest's readers) follow it."""
    followed = selectors.follows_of(user=request.user) if groups else set()
    may_follow = groups and can(request.user, SHARE_VIEWS)
    return [
        {
            "view": v,
            "deletable": services.may_delete(user=request.user, view=v),
            "group": selectors.group_actions(user=request.user, view=v) if groups else None,
            "followable": may_follow and selectors.is_group(v),
            "followed": v.pk in followed,
        }
        for v in views
    ]


@require(USE_PORTAL)
@require_GET
def view_list(request: HttpRequest) -> HttpResponse:
    """Every view the reader sees: their own, then the team's; each with the count its list shows now. Home's
    panel of saved views is this page's `#panel-saved` partial: the first few."""
    views = selectors.saved_view_list(user=request.user)
    if partial_for(request, PANEL):
        context = {"rows": _rows(request, views[:PANEL_LIMIT]), "more": max(0, len(views) - PANEL_LIMIT)}
        return render(request, "saved/views.html#panel", context)
    return render(request, "saved/views.html", {"rows": _rows(request, views, groups=True)})


@require(USE_PORTAL)
@require_http_methods(["GET", "POST"])
def view_save(request: HttpRequest) -> HttpResponse:
    """The form that keeps a list (`?view=`, the list's save link) under a name; refused, it comes back with
    what was typed and why."""
    if request.method == "POST":
        form = SaveViewForm(request.POST, can_share=can(request.user, SHARE_VIEWS))
        if form.is_valid() and (view := _saved(request, form)):
            if view.shared:
                messages.success(
                    request, _("Saved as “%(name)s”, shared with the team.") % {"name": view.name}
                )
            else:
                messages.success(request, _("Saved as “%(name)s”.") % {"name": view.name})
            return redirect(view.url)
        token = request.POST.get("view", "")
    else:
        token = request.GET.get("view", "")
        form = SaveViewForm(initial={"view": token}, can_share=can(request.user, SHARE_VIEWS))
    listed = selectors.listed_from(token)
    context = {"form": form, "listed": listed}
    return render(request, "saved/save.html", context, status=200 if listed and not form.errors else 400)


def _saved(request: HttpRequest, form: SaveViewForm) -> SavedView | None:
    try:
        return services.saved_view_create(
            user=request.user,
            listed=form.cleaned_data["view"],
            name=form.cleaned_data["name"],
            shared=form.cleaned_data.get("shared", False),
        )
    except ValidationError as error:
        form.add_error("name", error)
    except PermissionDenied as refused:
        form.add_error(None, str(refused))
    return None


@require(USE_PORTAL)
@require_GET
def view_open(request: HttpRequest, view_id: int) -> HttpResponse:
    """A view's stable address: the list with its filters."""
    return redirect(_found(request, view_id).url)


@require(SHARE_VIEWS)
@require_POST
def view_follow(request: HttpRequest, view_id: int) -> HttpResponse:
    """Follow a group (POST `on`: "1" or "0"): who enters or leaves it is told in the morning digest."""
    view = _found(request, view_id)
    choice = request.POST.get("on", "")
    if choice not in ("0", "1") or not selectors.is_group(view):
        return HttpResponseBadRequest(
            _("Only a view of the customer list can be followed; choose to follow or not.")
        )
    services.follow_set(user=request.user, view=view, on=choice == "1")
    if choice == "1":
        messages.success(
            request,
            _("Following “%(name)s”: your morning digest tells who entered or left it.")
            % {"name": view.name},
        )
    else:
        messages.success(request, _("No longer following “%(name)s”.") % {"name": view.name})
    return redirect("saved:list")


@require(USE_PORTAL)
@require_POST
def view_delete(request: HttpRequest, view_id: int) -> HttpResponse:
    view = _found(request, view_id)
    services.saved_view_delete(user=request.user, view=view)
    messages.success(request, _("The view “%(name)s” is deleted.") % {"name": view.name})
    return redirect("saved:list")
