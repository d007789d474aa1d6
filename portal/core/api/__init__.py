"""The portal's own JSON API, at /api/v1/ (docs/api.md): the mechanism, naming no app.

Each app contributes its area (`contribute(label, api=[ApiArea(...)])`: a key, the permissions that read and
write it, its endpoints as a django-ninja `Router`); core makes them one API (`site`) and gives every endpoint
the same ways:

* `auth`: personal tokens (`tokens`), a level per area capped by the owner's role at every call (`areas`), the
  rate limit per token (`limits`), the request's language;
* `lists`: a list endpoint is the page's own filter form, selector and pager, answered as JSON;
* `writes`: a change endpoint is the page's own change form and the change pipeline, with a dry run, a reason
  and an `Idempotency-Key` (`idempotency`); `operations`: the change's operation, polled;
* `errors`: every refusal in words, in the request's language;
* `site`: every call recorded with its token (`ApiCall`), writes in the audit trail too (`AuditEntry.api_token`).
"""

#: Where the API is mounted (portal/urls.py).
PREFIX = "api/v1/"

from portal.core.api.areas import ApiArea, Level  # noqa: E402
from portal.core.api.lists import list_answer  # noqa: E402
from portal.core.api.schemas import ApiId, ErrorOut, OperationOut, paged  # noqa: E402
from portal.core.api.writes import (  # noqa: E402
    WRITTEN,
    ChangeOut,
    api_change,
    change_body,
    change_endpoint,
    local_write,
)

__all__ = [
    "PREFIX",
    "WRITTEN",
    "ApiArea",
    "ApiId",
    "ChangeOut",
    "ErrorOut",
    "Level",
    "OperationOut",
    "api_change",
    "change_body",
    "change_endpoint",
    "list_answer",
    "local_write",
    "paged",
]
