"""Request log: every call to /v1.0 and /oauth2 is recorded for tests (``GET /_sandbox/requests``)."""

from __future__ import annotations

import itertools
import logging
import time

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from sandbox.api.common import DroppedConnection
from sandbox.models import RequestCount, RequestLog

logger = logging.getLogger("sandbox")
_counter = itertools.count()
BODY_LIMIT = 4000


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        if request.path.startswith(("/v1.0/", "/oauth2/")) and settings.SANDBOX_REQUEST_LOG_SIZE > 0:
            try:
                self._record(request, response, (time.perf_counter() - started) * 1000)
            except Exception:  # the log must never break an answer
                logger.exception("could not record the request")
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DroppedConnection):
            return HttpResponse(status=499)
        return None

    def _record(self, request: HttpRequest, response: HttpResponse, duration_ms: float) -> None:
        # Token requests carry secrets: their bodies are never recorded; neither is any Authorization header.
        secret = request.path.startswith("/oauth2/")
        request_body = "" if secret else request.body[:BODY_LIMIT].decode("utf-8", "replace")
        response_body = ""
        if not secret and not response.streaming:
            response_body = response.content[:BODY_LIMIT].decode("utf-8", "replace")
        RequestLog.objects.create(
            at=timezone.now(),
            method=request.method or "",
            path=request.path,
            query=request.META.get("QUERY_STRING", ""),
            operation_id=getattr(request, "sandbox_operation", ""),
            client_id=getattr(request, "sandbox_client_id", ""),
            status=response.status_code,
            duration_ms=round(duration_ms, 3),
            request_body=request_body,
            response_body=response_body,
            fault=getattr(request, "sandbox_fault", ""),
            rule=getattr(request, "sandbox_rule", ""),
        )
        _count(getattr(request, "sandbox_operation", ""), response.status_code)
        if next(_counter) % 500 == 499:
            keep = settings.SANDBOX_REQUEST_LOG_SIZE
            cutoff = RequestLog.objects.order_by("-id").values_list("id", flat=True)[keep : keep + 1]
            if cutoff:
                RequestLog.objects.filter(id__lte=cutoff[0]).delete()


def _count(operation_id: str, status: int) -> None:
    """One more request of `operation_id` answered `status` (the first of its kind creates its row)."""
    for _attempt in range(3):
        if RequestCount.objects.filter(operation_id=operation_id, status=status).update(count=F("count") + 1):
            return
        try:
            with transaction.atomic():
                RequestCount.objects.create(operation_id=operation_id, status=status, count=1)
            return
        except IntegrityError:
            continue  # another thread created it meanwhile: add to it
