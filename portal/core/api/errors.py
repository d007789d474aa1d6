"""The API's refusals, in words: every error answer is `{"error": {"code", "message", "fields"}}`, its message
(and each field's) in the request's language (Accept-Language) or, without one, the token owner's. `code` is
for programs, the words for people; `fields` names the body's or query's fields that were refused."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from ninja.errors import AuthenticationError, HttpError, ValidationError

logger = logging.getLogger(__name__)

#: How a token is sent, as the words that ask for one show it.
BEARER = "Authorization: Bearer <token>"


class ApiError(Exception):
    """An answer other than success, said in words: `status`, a stable `code`, the `message`, refused `fields`
    ({name: [words]}) and extra `headers` (Retry-After)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: Any,
        *,
        fields: Mapping[str, Sequence[Any]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(str(message))
        self.status = status
        self.code = code
        self.message = message
        self.fields = {name: [str(w) for w in words] for name, words in (fields or {}).items()}
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": str(self.message)}
        if self.fields:
            error["fields"] = self.fields
        return {"error": error}

    def response(self) -> HttpResponse:
        response = JsonResponse(self.body(), status=self.status, json_dumps_params={"ensure_ascii": False})
        for name, value in self.headers.items():
            response[name] = value
        return response


# --- Words of the request's shape (before any form reads it) ----------------------------------------------------

#: pydantic's error types, in the words Django's own fields use (and translate) where it has them.
TYPE_WORDS = {
    "missing": _("This field is required."),
    "int_parsing": _("Enter a whole number."),
    "int_type": _("Enter a whole number."),
    "int_from_float": _("Enter a whole number."),
    "date_parsing": _("Enter a valid date."),
    "date_type": _("Enter a valid date."),
    "date_from_datetime_parsing": _("Enter a valid date."),
    "date_from_datetime_inexact": _("Enter a valid date."),
    "bool_parsing": _("Enter %(true)s or %(false)s."),
    "bool_type": _("Enter %(true)s or %(false)s."),
    "string_type": _("Enter a text."),
    "extra_forbidden": _("This field is not known here."),
    "literal_error": _("Select one of the values offered."),
    "enum": _("Select one of the values offered."),
    "json_invalid": _("The body is not valid JSON."),
    "model_attributes_type": _("The body must be a JSON object."),
    "dict_type": _("The body must be a JSON object."),
    "model_type": _("The body must be a JSON object."),
}


def _field_of(loc: Sequence[Any]) -> str:
    """The field an error's location names: its last name ("body" for the body as a whole)."""
    names = [str(part) for part in loc if isinstance(part, str) and part not in ("body", "query", "path")]
    names = [n for n in names if n != "payload" and n != "filters"]
    return names[-1] if names else "body"


def shape_error(errors: Sequence[Mapping[str, Any]]) -> ApiError:
    """A request whose body or query has the wrong shape (a text where a number goes, an unknown field)."""
    fields: dict[str, list[str]] = {}
    for error in errors:
        words = str(TYPE_WORDS.get(str(error.get("type", "")), _("Enter a valid value.")))
        if "%(true)s" in words:
            words = words % {"true": "true", "false": "false"}
        fields.setdefault(_field_of(error.get("loc", ())), []).append(words)
    return ApiError(422, "invalid", _("Some values are not valid; see each field."), fields=fields)


def refused_form(form) -> ApiError:
    """A form (the page's own) that refused the values: each field's words, and those of the whole form."""
    fields = {
        ("body" if name == "__all__" else name): [str(w) for w in words]
        for name, words in form.errors.items()
    }
    return ApiError(422, "invalid", _("Some values are not valid; see each field."), fields=fields)


# --- The handlers the API answers with ---------------------------------------------------------------------------


def install(api) -> None:
    """Answer every exception of an endpoint in words (ninja's own handlers answer in English, and with a
    traceback under DEBUG)."""
    api.add_exception_handler(ApiError, lambda request, exc: exc.response())
    api.add_exception_handler(ValidationError, lambda request, exc: shape_error(exc.errors).response())
    api.add_exception_handler(AuthenticationError, _unauthenticated)
    api.add_exception_handler(HttpError, _http_error)
    api.add_exception_handler(Http404, lambda request, exc: not_found().response())
    api.add_exception_handler(PermissionDenied, lambda request, exc: forbidden().response())
    api.add_exception_handler(Exception, _failed)


def unauthenticated(message: Any = None) -> ApiError:
    return ApiError(
        401,
        "unauthenticated",
        message or _("Send a valid API token in the header %(header)s.") % {"header": BEARER},
        headers={"WWW-Authenticate": 'Bearer realm="api"'},
    )


def forbidden(message: Any = None) -> ApiError:
    return ApiError(403, "forbidden", message or _("Your token or your role does not allow this."))


def not_found(message: Any = None) -> ApiError:
    return ApiError(404, "not_found", message or _("There is nothing here, or you may not read it."))


def _unauthenticated(request: HttpRequest, exc: Exception) -> HttpResponse:
    return unauthenticated().response()


def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 405:
        return method_not_allowed().response()
    if exc.status_code == 400:  # ninja could not parse the body
        return ApiError(400, "unreadable", _("The body is not valid JSON.")).response()
    return ApiError(exc.status_code, "error", gettext("The request could not be answered.")).response()


def method_not_allowed() -> ApiError:
    return ApiError(405, "method_not_allowed", _("This endpoint does not take that method."))


def _failed(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("API endpoint failed", exc_info=exc)
    return ApiError(
        500, "failed", _("The portal failed to answer; the request id names the log line.")
    ).response()
