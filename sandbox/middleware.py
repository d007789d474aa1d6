"""Request log: every call to /v1.0, /oauth2 and /message (the Incoming Webhook) is recorded for tests
(``GET /_sandbox/requests``)."""

from __future__ import annotations

import contextlib
import functools
import itertools
import logging
import socket
import time

from django.conf import settings
from django.db import connection, transaction
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
        logged = request.path.startswith(("/v1.0/", "/oauth2/", "/message/"))  # /message/: Incoming Webhook
        if logged and settings.SANDBOX_REQUEST_LOG_SIZE > 0:
            try:
                self._record(request, response, (time.perf_counter() - started) * 1000)
            except Exception:  # the log must never break an answer
                logger.exception("could not record the request")
        if getattr(request, "sandbox_dropped", False):
            # Only now, with the request in the log: a client that sees the drop and reads the log finds it.
            _close_socket(request)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DroppedConnection):
            request.sandbox_dropped = True  # the socket is closed once the request is in the log
            return HttpResponse(status=499)
        return None

    def _record(self, request: HttpRequest, response: HttpResponse, duration_ms: float) -> None:
        # Token requests carry secrets: their bodies are never recorded; neither is any Authorization header.
        secret = request.path.startswith("/oauth2/")
        request_body = "" if secret else request.body[:BODY_LIMIT].decode("utf-8", "replace")
        response_body = ""
        if not secret and not response.streaming:
            response_body = response.content[:BODY_LIMIT].decode("utf-8", "replace")
        operation_id = getattr(request, "sandbox_operation", "")
        row = {
            "at": timezone.now(),
            "method": request.method or "",
            "path": request.path,
            "query": request.META.get("QUERY_STRING", ""),
            "operation_id": operation_id,
            "client_id": getattr(request, "sandbox_client_id", ""),
            "status": response.status_code,
            "duration_ms": round(duration_ms, 3),
            "request_body": request_body,
            "response_body": response_body,
            "fault": getattr(request, "sandbox_fault", ""),
            "rule": getattr(request, "sandbox_rule", ""),
        }
        insert, fields, count = _statements()
        # The log's row and the count in one transaction, by SQL made once (the ORM would compile both each time).
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(insert, [field.get_db_prep_save(row[field.name], connection) for field in fields])
            cursor.execute(count, [operation_id, response.status_code])
        if next(_counter) % 500 == 499:
            keep = settings.SANDBOX_REQUEST_LOG_SIZE
            cutoff = RequestLog.objects.order_by("-id").values_list("id", flat=True)[keep : keep + 1]
            if cutoff:
                RequestLog.objects.filter(id__lte=cutoff[0]).delete()


def _close_socket(request: HttpRequest) -> None:
    """Shut the request's socket: the client's call ends with no answer."""
    sock = request.META.get("gunicorn.socket")
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


@functools.cache
def _statements() -> tuple[str, list, str]:
    """The log's INSERT with the fields it sets, and the count's: one more request of an operation answered with
    a status (the first of its kind creates its row; SQLite's upsert, so two threads never race to create it)."""
    quote = connection.ops.quote_name
    fields = [field for field in RequestLog._meta.concrete_fields if not field.primary_key]
    insert = (
        f"INSERT INTO {quote(RequestLog._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    table, count = quote(RequestCount._meta.db_table), quote("count")
    upsert = (
        f"INSERT INTO {table} ({quote('operation_id')}, {quote('status')}, {count}) VALUES (%s, %s, 1) "
        f"ON CONFLICT ({quote('operation_id')}, {quote('status')}) DO UPDATE SET {count} = {table}.{count} + 1"
    )
    return insert, fields, upsert
