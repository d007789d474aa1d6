"""The portal's middleware: requests refused before anything reads them (too large, undecodable), messages
raised during an htmx request become toasts (an out-of-band swap), every answer varies on HX-Request (see
portal/core/htmx.py), and every answer names its request id (portal/logs.py). Idle sessions and two-factor
sign-in are the people's room's (accounts/middleware.py)."""

import codecs

from django.conf import settings
from django.contrib.messages import get_messages
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.cache import patch_vary_headers

from portal import logs
from portal.core.htmx import counting

#: Encodings a form body may declare. Django reads url-encoded forms as UTF-8 only (and so does every browser
#: that sends the portal's pages' forms); anything else is refused here with the portal's own page.
_FORM_ENCODINGS = {"utf-8", "ascii"}
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class RequestGuardMiddleware:
    """Refuse, before the body is read, a request the portal could not read safely: a declared body larger than
    PORTAL_MAX_REQUEST_BYTES (413), a malformed Content-Length, or a form body in an encoding that is unknown or
    not UTF-8 such as UTF-16 (400). The answers are the portal's own pages, which never read the body. A bare
    405 of a view (wrong method) is answered with the portal's own page too.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        length = request.META.get("CONTENT_LENGTH") or "0"
        if not (length.isascii() and length.isdigit()):
            return _refused(request, 400, "400.html")
        if int(length) > settings.PORTAL_MAX_REQUEST_BYTES:
            return _refused(
                request, 413, "413.html", {"limit_mb": settings.PORTAL_MAX_REQUEST_BYTES / 1_048_576}
            )
        if request.content_type in _FORM_TYPES and not _readable_charset(
            request.content_params.get("charset")
        ):
            return _refused(request, 400, "400.html")
        response = self.get_response(request)
        if (
            response.status_code == 405
            and not getattr(response, "streaming", False)
            and not response.content
            and not _is_api(request)
        ):
            # Django's bare "method not allowed" (require_POST and the like) becomes the portal's own page;
            # the Allow header stays.
            page = render(request, "405.html", status=405)
            page["Allow"] = response.get("Allow", "")
            return page
        return response


def _is_api(request) -> bool:
    """A call of the portal's JSON API (portal/core/api/), answered in JSON rather than with a page."""
    from portal.core.api import PREFIX

    return request.path_info.startswith("/" + PREFIX)


def _refused(request, status: int, template: str, context: dict | None = None):
    """The portal's page of a refusal, or for a call of the API the same refusal in JSON."""
    if _is_api(request):
        from django.utils.translation import gettext_lazy as _

        from portal.core.api.errors import ApiError

        words = {
            400: _("The request could not be read."),
            413: _("The body is too large."),
        }[status]
        return ApiError(status, "too_large" if status == 413 else "unreadable", words).response()
    return render(request, template, context or {}, status=status)


def _readable_charset(charset: str | None) -> bool:
    if not charset:
        return True
    try:
        name = codecs.lookup(charset).name
    except LookupError:
        return False
    return name in {codecs.lookup(known).name for known in _FORM_ENCODINGS}


class RequestIdMiddleware:
    """`X-Request-ID` on every answer: the id of the request's log line, its tasks' lines and its audit entries,
    for a person reporting a problem or an operator following one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        request_id = logs.request_id()
        if request_id:
            response.headers["X-Request-ID"] = request_id
        return response


class VaryOnHtmxMiddleware:
    """`Vary: HX-Request` on every answer: the browser caches a URL's fragment and its whole page apart."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        patch_vary_headers(response, ("HX-Request",))
        return response


class HtmxMessagesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not getattr(request, "htmx", False) or response.streaming or counting(request):
            return response  # a list's count alone (a saved view's) leaves the messages to the next page
        if 300 <= response.status_code < 400 or "HX-Redirect" in response or "HX-Location" in response:
            return response  # the next full page shows the messages
        if not response.get("Content-Type", "").startswith("text/html"):
            return response
        storage = get_messages(request)
        if not len(storage):
            return response
        toasts = render_to_string("components/_messages.html", {"messages": storage}, request=request)
        response.content += f'<div id="toasts" data-hx-swap-oob="beforeend">{toasts}</div>'.encode()
        return response
