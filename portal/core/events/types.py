"""The event types: what the portal may send, contributed by the rooms whose work it reports
(`contribute(..., event_types=[EventType(...)])`). No model here: an app's `apps.py` imports it before the models
are ready."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from portal.core.contrib import contributions

if TYPE_CHECKING:
    from django.utils.functional import Promise


@dataclass(frozen=True)
class EventType:
    """One type of event: `key` is the payload's `type` ("invoice.paid"), `label` and `help` its words on the
    Admins' page, `data` the fields its payload's `data` carries (documented on that page)."""

    key: str
    label: str | Promise
    help: str | Promise
    data: tuple[str, ...] = ()
    order: int = 100


def event_types() -> list[EventType]:
    return sorted(contributions("event_types"), key=lambda kind: (kind.order, kind.key))


def type_named(key: str) -> EventType | None:
    return next((kind for kind in event_types() if kind.key == key), None)
