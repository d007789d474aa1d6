"""The Partner API's documented error codes (contract/openapi.yaml, ErrorResponse `x-common-codes`) in words a
partner employee acts on, in both languages. The API's own text is always kept below the translated one.

Codes are not a closed set: INVALID_{RESOURCE}, {RESOURCE}_NOT_EXIST and {RESOURCE}_ALREADY_EXIST name the
resource, so they are matched by their shape; an unknown code falls back to the HTTP status's meaning.
"""

from __future__ import annotations

from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from portal.core.vocabulary import labelled

#: Every code of `x-common-codes`, by (status, code); a code documented under two statuses has two meanings.
CODE_MEANINGS = {
    (400, "BAD_REQUEST"): _("the request could not be processed as sent."),
    (400, "INVALID_PARAMETER"): _("a value in the request has the wrong format or content."),
    (400, "MISSING_PARAMETER"): _("a required value is missing."),
    (400, "LIMIT_EXCEEDED"): _("a value is over its limit."),
    (400, "OUT_OF_RANGE"): _("a value is outside the range allowed."),
    (401, "UNAUTHORIZED"): _(
        "the portal's sign-in to LINE WORKS was not accepted; an Admin must reconnect it."
    ),
    (403, "FORBIDDEN"): _("the portal is not allowed to do this (missing permission or scope)."),
    (403, "ACCESS_DENIED"): _("access to this customer or item is restricted."),
    (403, "LIMIT_EXCEEDED"): _("a limit on this item has been reached."),
    (403, "OUT_OF_RANGE"): _("the request goes beyond what this item allows."),
    (404, "NOT_FOUND"): _("LINE WORKS no longer has this; it may have been changed elsewhere."),
    (409, "CONFLICT"): _("this conflicts with the item's current state; it may have been changed elsewhere."),
    (409, "ALREADY_EXIST"): _("this already exists."),
    (410, "DELETED"): _("this has already been deleted."),
    (429, "TOO_MANY_REQUESTS"): _("too many requests right now; nothing was changed, try again in a minute."),
    (500, "INTERNAL_SERVER_ERROR"): _("LINE WORKS had an internal error."),
    (503, "SERVICE_UNAVAILABLE"): _("LINE WORKS is temporarily unavailable; try again later."),
}
#: The resource-named codes, by their shape.
PATTERN_MEANINGS = {
    "INVALID_": _("the content of %(resource)s is not valid."),
    "_NOT_EXIST": _("%(resource)s does not exist (any more)."),
    "_ALREADY_EXIST": _("%(resource)s already exists."),
}
#: When the code is not documented: the HTTP status's meaning.
STATUS_MEANINGS = {
    400: _("the request is not valid."),
    401: CODE_MEANINGS[(401, "UNAUTHORIZED")],
    403: CODE_MEANINGS[(403, "FORBIDDEN")],
    404: CODE_MEANINGS[(404, "NOT_FOUND")],
    409: CODE_MEANINGS[(409, "CONFLICT")],
    410: CODE_MEANINGS[(410, "DELETED")],
    429: CODE_MEANINGS[(429, "TOO_MANY_REQUESTS")],
}


_NOUN = "a resource named by an API error code (INVALID_X, X_NOT_EXIST, X_ALREADY_EXIST)"
#: The resources a code may name, in words of the active language ("subscription が存在しません" read wrong);
#: a resource not listed reads as the code spells it, in lower case.
RESOURCE_NAMES = {
    "CUSTOMER": pgettext_lazy(_NOUN, "the customer"),
    "DOMAIN": pgettext_lazy(_NOUN, "the domain"),
    "ADMINISTRATOR": pgettext_lazy(_NOUN, "the administrator"),
    "USER": pgettext_lazy(_NOUN, "the user"),
    "SUBSCRIPTION": pgettext_lazy(_NOUN, "the subscription"),
    "PRE_ORDER": pgettext_lazy(_NOUN, "the pre-order"),
    "PREORDER": pgettext_lazy(_NOUN, "the pre-order"),
    "RESERVATION": pgettext_lazy(_NOUN, "the reservation"),
    "RENEWAL": pgettext_lazy(_NOUN, "the renewal"),
    "OPTION": pgettext_lazy(_NOUN, "the option"),
    "OPTION_PRODUCT": pgettext_lazy(_NOUN, "the option"),
    "ORDER": pgettext_lazy(_NOUN, "the option order"),
    "OPTION_PRODUCT_ORDER": pgettext_lazy(_NOUN, "the option order"),
    "PRODUCT": pgettext_lazy(_NOUN, "the product"),
    "PLAN": pgettext_lazy(_NOUN, "the plan"),
    "INVOICE": pgettext_lazy(_NOUN, "the invoice"),
}


def _resource(code: str, marker: str) -> str:
    name = code.removeprefix(marker) if marker.endswith("_") else code.removesuffix(marker)
    known = RESOURCE_NAMES.get(name)
    return str(known) if known is not None else name.replace("_", " ").lower()


def meaning_of(*, status: int | None, code: str) -> str | None:
    """The translated meaning of an error code (None when neither the code nor the status is known)."""
    code = (code or "").upper()
    by_code = {c: m for (s, c), m in CODE_MEANINGS.items() if s == status} or {}
    if code in by_code:
        return str(by_code[code])
    for (_s, known), meaning in CODE_MEANINGS.items():
        if code == known:
            return str(meaning)
    for marker, meaning in PATTERN_MEANINGS.items():
        if code and (code.startswith(marker) if marker.endswith("_") else code.endswith(marker)):
            return str(meaning) % {"resource": _resource(code, marker)}
    by_status = STATUS_MEANINGS.get(status or 0)
    return str(by_status) if by_status is not None else None


def explained(lead: str, *, status: int | None, code: str, description: str) -> SafeString:
    """`lead` and the code's meaning joined as a label and its value in the reader's language ("LINE WORKS refused
    the change: …", 「…受け付けませんでした：…」), then the API's own words on a line below (escaped)."""
    meaning = meaning_of(status=status, code=code)
    said = " ".join(part for part in (description, f"({code})" if code else "") if part)
    first = labelled(lead, meaning) if meaning else lead
    if not said:
        return format_html("{}", first)
    return with_detail(first, gettext("LINE WORKS said: %(detail)s") % {"detail": said})


def with_detail(message: str, detail: str) -> SafeString:
    """A message for people, with the technical words behind it on a smaller line below (both escaped)."""
    return format_html('{}<br><small class="api-said">{}</small>', message, detail)
