"""The API's pages: each person's API tokens (make one, shown once; revoke one), the Admins' list of everyone's
(revoke any), and the API's documentation (the OpenAPI document drawn by Swagger UI, served from the portal's
own static files) with the document itself."""

from __future__ import annotations

import json
from functools import wraps

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import pgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from portal.core import lists
from portal.core.access import can, require
from portal.core.api import errors, site, tokens
from portal.core.api.areas import areas, level_for
from portal.core.api.auth import authenticated
from portal.core.api.forms import MyTokenFilterForm, TokenFilterForm, TokenForm
from portal.core.lists import Badge, Below, Button, Code, Column, Items, ListSpec, ListState, Muted
from portal.core.permissions import MANAGE_API_TOKENS, USE_PORTAL
from portal.core.services import audit_record
from portal.core.templatetags.portal import business_dt, person_name
from portal.core.vocabulary import labelled


def _token(t, page):
    return Code(t.prefix + "…"), Below(t.description)


def _levels(t, page):
    """What the token may do now in each area it was given (its level, capped by its owner's role now)."""
    parts = [
        labelled(area.label, level_for(t, area).label)
        for area in areas()
        if t.levels.get(area.key, "none") != "none"
    ]
    return Items(tuple(parts)) if parts else Muted(_("Nothing"))


def _state(t, page):
    if not t.enabled:
        revoked = business_dt(t.revoked_at) if t.revoked_at else ""
        return Badge(pgettext("an API token", "Revoked"), "danger", title=revoked)
    if t.expires_at <= page["now"]:
        return Badge(pgettext("an API token", "Expired"), "removed")
    return Badge(pgettext("an API token", "Active"), "ok")


def _when(value):
    return business_dt(value) if value else Muted(pgettext("an API token's last use", "Never"))


def _revoke(t, page):
    if not t.enabled:
        return None
    return Button(
        _("Revoke"),
        reverse("core:api_token_revoke", args=[t.pk]),
        fields=(("next", page["request"].path),),
        testid=f"revoke-{t.prefix}",
        css="btn btn-small btn-danger",
    )


COLUMNS = (
    Column(_lazy("Token"), value=_token),
    Column(_lazy("May do"), value=_levels),
    Column(_lazy("Made"), sort="created", value=lambda t, page: business_dt(t.created_at)),
    Column(_lazy("Expires"), sort="expires", value=lambda t, page: business_dt(t.expires_at)),
    Column(_lazy("Last used"), sort="last_used", value=lambda t, page: _when(t.last_used_at)),
    Column(_lazy("State"), value=_state),
    Column("", value=_revoke),
)
OWNER = Column(_lazy("Owner"), sort="owner", value=lambda t, page: person_name(t.user) or t.user.username)


def _now(context) -> dict:
    return {"now": timezone.now()}


MY_TOKENS = ListSpec(
    form=MyTokenFilterForm,
    sorts=tokens.SORTS,
    columns=COLUMNS,
    template="core/api_tokens.html",
    row_attrs=(("data-token", "prefix"),),
    page=_now,
    page_sizes=(50,),
)
ALL_TOKENS = ListSpec(
    form=TokenFilterForm,
    sorts=tokens.SORTS,
    columns=(OWNER, *COLUMNS),
    template="core/api_tokens_all.html",
    row_attrs=(("data-token", "prefix"),),
    page=_now,
    page_sizes=(50, 100),
)


@require(USE_PORTAL)
@never_cache
def api_tokens(request: HttpRequest) -> HttpResponse:
    """One's own tokens, and the form that makes one: made, its secret is on this answer only."""
    form = TokenForm(request.POST if request.method == "POST" else None, user=request.user)
    secret = ""
    if request.method == "POST" and form.is_valid():
        try:
            token, secret = tokens.token_make(
                user=request.user,
                description=form.cleaned_data["description"],
                days=form.cleaned_data["days"],
                levels=form.levels(),
            )
        except tokens.TokenRefused as exc:
            form.add_error(None, exc.message)
        else:
            audit_record(
                actor=request.user,
                operation_id="portal.makeApiToken",
                outcome="succeeded",
                sent={
                    "token": token.prefix,
                    "levels": token.levels,
                    "expires_at": token.expires_at.isoformat(),
                },
            )
            form = TokenForm(user=request.user)
    state = ListState.from_request(request, MY_TOKENS)
    page = tokens.token_page(
        user=request.user, filters=state.filters, every=False, page=state.page, per_page=50
    )
    context = {
        "token_form": form,
        "secret": secret,
        "api_on": site.enabled(),
        "may_see_all": can(request.user, MANAGE_API_TOKENS),
    }
    return lists.respond(request, state, page, context)


@require(MANAGE_API_TOKENS)
def api_tokens_all(request: HttpRequest) -> HttpResponse:
    """Everyone's tokens (Admins): who has which, what it may do, when it was last used; revoke any."""
    state = ListState.from_request(request, ALL_TOKENS)
    page = tokens.token_page(
        user=request.user, filters=state.filters, every=True, page=state.page, per_page=state.per_page
    )
    return lists.respond(request, state, page)


@require(USE_PORTAL)
@require_POST
def api_token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    """Revoke one's own token, or (Admins) anyone's: it stops working at once."""
    every = can(request.user, MANAGE_API_TOKENS)
    token = tokens.token_get(token_id=token_id, user=request.user, every=every)
    if token is None:
        raise Http404
    if tokens.token_revoke(token=token, by=request.user):
        audit_record(
            actor=request.user,
            operation_id="portal.revokeApiToken",
            outcome="succeeded",
            sent={"token": token.prefix, "owner": token.user.username},
        )
        messages.success(
            request, _("The token %(token)s… is revoked: it no longer works.") % {"token": token.prefix}
        )
    back = request.POST.get("next", "")
    allowed = {reverse("core:api_tokens"), reverse("core:api_tokens_all")}
    return redirect(back if back in allowed else "core:api_tokens")


@require(USE_PORTAL)
@require_GET
def api_docs(request: HttpRequest) -> HttpResponse:
    """The API's documentation: Swagger UI drawing the OpenAPI document, in the portal's frame."""
    from django.shortcuts import render

    # No deep links: Swagger UI would put a link inside each operation's button (nested controls).
    settings = {"url": reverse("api:schema"), "layout": "BaseLayout", "deepLinking": False}
    return render(
        request,
        "core/api_docs.html",
        {"swagger_settings": json.dumps(settings), "api_on": site.enabled(), "prefix": "/" + site.PREFIX},
    )


def session_or_token(view):
    """A page open to a signed-in person holding USE_PORTAL, or to a call with a valid API token (a script that
    reads the OpenAPI document)."""
    by_session = require(USE_PORTAL)(view)

    @wraps(view)
    def call(request: HttpRequest, *args, **kwargs):
        if "Authorization" in request.headers:
            try:
                authenticated(request)
            except errors.ApiError as refused:
                return refused.response()
            return view(request, *args, **kwargs)
        return by_session(request, *args, **kwargs)

    call.required_perm = USE_PORTAL  # type: ignore[attr-defined]  # read by what walks the URL resolver
    return call


@session_or_token
@require_GET
def api_schema(request: HttpRequest) -> HttpResponse:
    """The OpenAPI document, made from the code, in the request's language."""
    return JsonResponse(site.openapi_document(), json_dumps_params={"ensure_ascii": False})


def api_unknown(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    """Any other path under the API: a 404 in words, as JSON."""
    return errors.not_found(_lazy("There is no such endpoint; see the API's documentation.")).response()
