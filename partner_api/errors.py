"""What can go wrong when calling the Partner API, as exceptions a caller can act on.

Every error carries the HTTP `status` (None when no response came back), the API's `code` and
`description` (from the `{"code", "description"}` error body), the `operation_id`, and `retryable`: True when
sending the same call again later may succeed. `outcome_unknown` is True when a write may or may not have
been applied; reconcile by reading back, never by sending it again blindly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from partner_api.exchange import Exchange


class PartnerApiError(Exception):
    """Base class of every error raised by `partner_api`."""

    retryable: bool = False
    outcome_unknown: bool = False
    hint: str = ""
    #: What was sent, when the error came from `PartnerClient.exchange()` (a `partner_api.exchange.Exchange`).
    exchange: Exchange | None = None

    def __init__(
        self,
        message: str = "",
        *,
        operation_id: str = "",
        status: int | None = None,
        code: str = "",
        description: str = "",
        retryable: bool | None = None,
        outcome_unknown: bool | None = None,
    ) -> None:
        self.operation_id = operation_id
        self.status = status
        self.code = code
        self.description = description
        if retryable is not None:
            self.retryable = retryable
        if outcome_unknown is not None:
            self.outcome_unknown = outcome_unknown
        super().__init__(message or self._default_message())

    def _default_message(self) -> str:
        parts = [f"Partner API {self.operation_id or 'call'}"]
        if self.status is not None:
            parts.append(f"returned HTTP {self.status}")
        if self.code:
            parts.append(f"({self.code}{': ' + self.description if self.description else ''})")
        message = " ".join(parts) + "."
        return f"{message} {self.hint}".strip()

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(operation_id={self.operation_id!r}, status={self.status!r}, "
            f"code={self.code!r}, retryable={self.retryable!r})"
        )


class ConfigurationError(PartnerApiError):
    """The client is missing a setting (credentials, key file, URL) or a setting is invalid."""


class AuthenticationError(PartnerApiError):
    """401, or the token endpoint refused to issue a token."""

    hint = (
        "The access token was refused even after getting a new one: check the client id and secret, the "
        "service account and its private key, or reconnect the partner account."
    )


class ForbiddenError(PartnerApiError):
    """403: the app lacks the scope or the partner lacks access to this resource."""

    hint = "The partner account may not do this: check the app's scopes (partner for writes) and access."


class NotFoundError(PartnerApiError):
    """404: the customer, subscription, option or order does not exist (any more)."""

    hint = "The object no longer exists at LINE WORKS; resync it."


class RejectedError(PartnerApiError):
    """Another 4xx: the request broke a business rule or a field limit; the description says which."""

    hint = "Correct the request as the description says; sending it unchanged will fail again."


class RateLimitedError(PartnerApiError):
    """429 after the bounded retries: the per-operation rate limit is exhausted."""

    retryable = True
    hint = "The API rate limit is exhausted; try again in a minute."

    def __init__(self, message: str = "", *, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kwargs)


class ServerError(PartnerApiError):
    """5xx: LINE WORKS failed or is unavailable."""

    retryable = True
    hint = "LINE WORKS is failing or unavailable; try again later."


class TransportError(PartnerApiError):
    """No usable response: timeout, refused or dropped connection, unreadable body."""

    retryable = True
    hint = "LINE WORKS could not be reached; try again later."


class OutcomeUnknownError(TransportError):
    """A write timed out or lost its connection after it was sent: it may or may not have been applied.

    It is never re-sent by the client. Read the object back to find out, then decide.
    """

    retryable = False
    outcome_unknown = True
    hint = (
        "The change may or may not have been applied: read the object back before trying again; "
        "do not simply resend it."
    )


class ResponseFormatError(PartnerApiError):
    """The response body could not be parsed into the contract's model."""

    hint = "The API answered in a shape the contract does not describe; report it with the operation id."


class PaginationError(PartnerApiError):
    """A paginated listing exceeded its page cap or repeated a cursor."""


STATUS_ERRORS: dict[int, type[PartnerApiError]] = {
    401: AuthenticationError,
    403: ForbiddenError,
    404: NotFoundError,
    429: RateLimitedError,
}


def error_class_for(status: int) -> type[PartnerApiError]:
    """The exception class for an HTTP error status."""
    if status in STATUS_ERRORS:
        return STATUS_ERRORS[status]
    if status >= 500:
        return ServerError
    return RejectedError
