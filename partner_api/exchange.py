"""What one request sent and what came back: recorded by the transport, carried by an error, kept by the audit
trail through `PartnerClient.exchange()`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass
class Exchange:
    """One request as sent (its JSON body, exactly as the client built it) and the HTTP status that came back
    (None when no answer came). See `PartnerClient.exchange()`."""

    operation_id: str
    sent: Mapping[str, Any] | None = None
    status: int | None = None
    reply: Any = None
