"""Iterating over cursor-paginated listings (`responseMetaData.nextCursor`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeVar

from partner_api import constants
from partner_api.errors import PaginationError
from partner_api.models import ApiModel

P = TypeVar("P", bound=ApiModel)
T = TypeVar("T")


def iterate_pages(
    fetch: Callable[[str | None], P], *, operation_id: str, max_pages: int = constants.DEFAULT_MAX_PAGES
) -> Iterator[P]:
    """Yield pages from `fetch(cursor)`, starting without a cursor, until a page has no `nextCursor`.

    Raises `PaginationError` after `max_pages` pages, or when the API hands back a cursor it already gave
    (which would loop forever). The cursor is passed on as received; the query string percent-encodes it.
    """
    cursor: str | None = None
    seen: set[str] = set()
    for _ in range(max_pages):
        page = fetch(cursor)
        yield page
        meta = getattr(page, "response_meta_data", None)
        cursor = meta.next_cursor if meta is not None else None
        if not cursor:
            return
        if cursor in seen:
            raise PaginationError(
                f"{operation_id} returned the same cursor twice; stopped to avoid an endless listing.",
                operation_id=operation_id,
            )
        seen.add(cursor)
    raise PaginationError(
        f"{operation_id} has more than {max_pages} pages; stopped at the page cap. Narrow the listing or raise "
        "the cap.",
        operation_id=operation_id,
    )


def iterate_items(pages: Iterator[P], items: Callable[[P], list[T]]) -> Iterator[T]:
    """Flatten pages into their items."""
    for page in pages:
        yield from items(page)
