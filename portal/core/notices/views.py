"""The notices' pages: a person's Notices (how they are told of each kind, their LINE WORKS ID, what was sent to
them lately and what could not be), and the Admins' Team rooms (rooms added by their Incoming Webhook URL)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from portal.core.access import require
from portal.core.models import Notice, NoticeRoom
from portal.core.notices import choices, rooms
from portal.core.notices.content import absolute
from portal.core.notices.delivery import notify
from portal.core.notices.forms import ChoicesForm, RoomForm
from portal.core.notices.kinds import kinds_for, notice_kinds, room_kinds
from portal.core.permissions import MANAGE_NOTICE_ROOMS, USE_PORTAL

#: How many of a person's latest notices their page lists.
RECENT = 20


@require(USE_PORTAL)
@require_http_methods(["GET", "POST"])
def notices_page(request: HttpRequest) -> HttpResponse:
    """How the person is told of each kind of notice, and their latest notices with what became of each."""
    user = request.user
    kinds = kinds_for(user)
    initial = {f"way__{key}": way for key, way in choices.ways_of(user).items()}
    initial["line_works_id"] = (
        "" if choices.line_works_id_of(user) == user.email else choices.line_works_id_of(user)
    )
    form = ChoicesForm(request.POST if request.method == "POST" else None, kinds=kinds, initial=initial)
    if request.method == "POST" and form.is_valid():
        changed = choices.ways_choose(user=user, wanted=form.ways())
        choices.line_works_id_set(user=user, line_works_id=form.cleaned_data["line_works_id"])
        messages.success(request, _("Saved.") if changed or form.has_changed() else _("Nothing changed."))
        return redirect("core:notices")
    recent = _labelled(Notice.objects.filter(user=user).order_by("-created_at")[:RECENT])
    return render(
        request,
        "core/notices.html",
        {"form": form, "id_fields": [form["line_works_id"]], "recent": recent, "email": user.email},
        status=400 if form.is_bound else 200,
    )


def _labelled(notices) -> list[Notice]:
    """The notices, each with the words of its kind (`kind_label`), for the lists of notices sent."""
    labels = {**{kind.key: str(kind.label) for kind in notice_kinds()}, "test": _("A test notice")}
    notices = list(notices)
    for notice in notices:
        notice.kind_label = labels.get(notice.kind, "—")
    return notices


@require(USE_PORTAL)
@require_POST
def notice_test(request: HttpRequest) -> HttpResponse:
    """Send the person a test notice the way they pick, to see that it reaches them."""
    way = request.POST.get("way", "")
    if way not in (Notice.Way.EMAIL, Notice.Way.LINE_WORKS):
        return HttpResponseBadRequest(_("Choose e-mail or LINE WORKS."))
    notify(
        "test",
        user=request.user,
        way=way,
        title=_("A test notice from the Partner Portal"),
        text=_("It reached you: notices you choose to get this way will come here."),
        url=absolute(reverse("core:notices")),
        links=[{"label": _("Your notices"), "url": absolute(reverse("core:notices"))}],
    )
    messages.success(request, _("A test notice is on its way; this page lists whether it was delivered."))
    return redirect("core:notices")


@require(MANAGE_NOTICE_ROOMS)
@require_http_methods(["GET", "POST"])
def rooms_page(request: HttpRequest) -> HttpResponse:
    """The team rooms and what each gets; a form to add one."""
    form = RoomForm(request.POST if request.method == "POST" else None, initial={"language": "ja"})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        room = rooms.room_add(
            user=request.user,
            name=data["name"],
            url=data["url"],
            kinds=data["kinds"],
            language=data["language"],
        )
        messages.success(
            request, _("Room “%(name)s” added: its URL is kept encrypted.") % {"name": room.name}
        )
        return redirect("core:notice_rooms")
    return render(
        request,
        "core/notice_rooms.html",
        {"form": form, "rooms": _named_kinds(rooms.rooms_with_last())},
        status=400 if form.is_bound else 200,
    )


def _named_kinds(found: list[NoticeRoom]) -> list[NoticeRoom]:
    """The rooms, each with the words of the kinds it gets (`kind_names`)."""
    labels = {kind.key: str(kind.for_rooms) for kind in room_kinds()}
    for room in found:
        room.kind_names = [labels[key] for key in room.kinds if key in labels]
    return found


@require(MANAGE_NOTICE_ROOMS)
@require_http_methods(["GET", "POST"])
def room_page(request: HttpRequest, room_id: int) -> HttpResponse:
    """One room: change what it gets, or remove it (after a confirmation)."""
    room = get_object_or_404(NoticeRoom, pk=room_id)
    initial = {"name": room.name, "kinds": room.kinds, "language": room.language, "enabled": room.enabled}
    form = RoomForm(request.POST if request.method == "POST" else None, room=room, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        changed = rooms.room_change(
            user=request.user,
            room=room,
            kinds=data["kinds"],
            language=data["language"],
            enabled=data["enabled"],
        )
        messages.success(request, _("Saved.") if changed else _("Nothing changed."))
        return redirect("core:notice_rooms")
    recent = _labelled(Notice.objects.filter(room=room).order_by("-created_at")[:RECENT])
    return render(
        request,
        "core/notice_room.html",
        {"form": form, "room": room, "recent": recent},
        status=400 if form.is_bound else 200,
    )


@require(MANAGE_NOTICE_ROOMS)
@require_http_methods(["GET", "POST"])
def room_remove(request: HttpRequest, room_id: int) -> HttpResponse:
    """Ask, then remove the room: the portal posts there no more."""
    room = get_object_or_404(NoticeRoom, pk=room_id)
    if request.method == "POST":
        rooms.room_remove(user=request.user, room=room)
        messages.success(request, _("Room “%(name)s” removed.") % {"name": room.name})
        return redirect("core:notice_rooms")
    return render(request, "core/notice_room_remove.html", {"room": room})
