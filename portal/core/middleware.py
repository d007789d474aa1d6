"""The portal's htmx middleware: messages raised during an htmx request become toasts (an out-of-band swap),
and every answer varies on HX-Request (see portal/core/htmx.py)."""

from django.contrib.messages import get_messages
from django.template.loader import render_to_string
from django.utils.cache import patch_vary_headers


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
        if not getattr(request, "htmx", False) or response.streaming:
            return response
        if 300 <= response.status_code < 400 or "HX-Redirect" in response or "HX-Location" in response:
            return response  # the next full page shows the messages
        if not response.get("Content-Type", "").startswith("text/html"):
            return response
        storage = get_messages(request)
        if not len(storage):
            return response
        toasts = render_to_string("components/_messages.html", {"messages": storage}, request=request)
        response.content += f'<div id="toasts" hx-swap-oob="beforeend">{toasts}</div>'.encode()
        return response
