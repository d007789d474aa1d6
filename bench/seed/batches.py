"""The bulk changes of the history (a week's renewal, finished) and the batch a page shows (a real dry run)."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Iterator, Sequence

from bench.seed.customers import FIRST_DOMAIN, FIRST_SUBSCRIPTION
from bench.seed.people import user_of
from bench.seed.tables import Table

#: Rows of each week's bulk change.
BATCH_ROWS = 20


def batches_seed(rng: random.Random, ids: Sequence[int], span_days: int, manager_ids: Sequence[int]) -> None:
    """A bulk change a week over the history, finished: a renewal of BATCH_ROWS subscriptions, each applied."""
    from django.utils import timezone

    from portal.core.models import Batch, BatchRow

    now = timezone.now()
    weeks = span_days // 7
    batches = Table(
        Batch,
        ["id", "requested_by_id", "action", "values", "state", "requested_at", "started_at", "finished_at"],
    )
    rows = Table(
        BatchRow, ["batch_id", "key", "position", "domain_id", "label", "ticked", "found", "outcome"]
    )
    made = []

    def batch_rows() -> Iterator[tuple]:
        for week in range(weeks):
            at = now - dt.timedelta(days=7 * (week + 1), hours=-10)
            batch = uuid.UUID(int=(2 << 64) + week)
            made.append(batch)
            yield (
                batch,
                manager_ids[week % len(manager_ids)],
                "subscriptions.renewal",
                {"type": "STAY"},
                "finished",
                at,
                at + dt.timedelta(minutes=2),
                at + dt.timedelta(minutes=9),
            )

    def row_rows() -> Iterator[tuple]:
        for batch in made:
            for position, domain_id in enumerate(rng.sample(list(ids), min(BATCH_ROWS, len(ids)))):
                subscription = domain_id - FIRST_DOMAIN + FIRST_SUBSCRIPTION
                yield (
                    batch,
                    f"subscriptions:{subscription}",
                    position,
                    domain_id,
                    f"{subscription}",
                    True,
                    {
                        "changes": [["Renewal", "Renew with changes", "Renew unchanged"]],
                        "side_effects": [],
                        "refusal": "",
                    },
                    "applied",
                )

    batches.write(batch_rows())
    rows.write(row_rows())


def batch_seed() -> None:
    """The bulk batch a page shows: a real dry run of a renewal on the first fifty subscriptions, as an Admin."""
    from portal.core.changes.bulk import batch_check, bulk_action
    from subscriptions.models import Subscription

    keys = [str(pk) for pk in Subscription.objects.order_by("pk").values_list("pk", flat=True)[:50]]
    values = {"type": "STAY", "product_id": "", "plan": "", "license_count": None}
    batch_check(user=user_of("admin"), action=bulk_action("subscriptions.renewal"), values=values, keys=keys)
