"""The one exception handlers raise to answer with the contract's error body ``{code, description}``."""

from __future__ import annotations


class ApiError(Exception):
    def __init__(
        self, status: int, code: str, description: str, *, rule: str = "", headers: dict | None = None
    ):
        super().__init__(f"{status} {code}: {description}")
        self.status = status
        self.code = code
        self.description = description
        self.rule = rule
        self.headers = headers or {}


def bad_request(description: str, code: str = "INVALID_PARAMETER") -> ApiError:
    return ApiError(400, code, description)


def not_found(description: str, code: str = "NOT_FOUND") -> ApiError:
    return ApiError(404, code, description)
