"""A bulk renewal one of whose rows LINE WORKS answers with a 500 without applying it (issue 53, item 4), sent to
a sandbox of its own, the queued tasks and the read-backs run here one by one as the worker would: the row is read
back on the schedule of every change and settles as Failed, explained in the language of whoever reads the batch
(Japanese, then English; the worker's own is the portal's default), and "send the failed rows again" makes a new bulk change of that row
alone, opened on its own dry run; confirmed, it is sent and applied once."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from portal.core.changes.engine import change_reconcile, change_run
from portal.core.changes.timing import timing
from portal.core.models import Batch, Operation
from portal.core.services import language_remember
from subscriptions.models import Subscription

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]

#: The failed row's explanation, as a Japanese reader reads it (the .po's words for the engine's sentence).
FAILED_JA = "LINE WORKS にこの変更は反映されていません"
FAILED_EN = "LINE WORKS did not apply this change"


@pytest.fixture
def on_own_sandbox(own_sandbox, portal_on_sandbox, cache_from_own_sandbox):
    own_sandbox.clear_faults()
    cache_from_own_sandbox.fill()
    yield own_sandbox
    own_sandbox.clear_faults()


def _run_queued(batch: Batch) -> None:
    for operation in Operation.objects.filter(idempotency_key__contains=f"batch:{batch.pk}:").order_by(
        "idempotency_key"
    ):
        with as_a_worker():
            change_run(operation_pk=str(operation.pk))


def as_a_worker():
    """A worker's language, the portal's default (the test client's last request left Japanese active here)."""
    return translation.override(settings.LANGUAGE_CODE)


def test_a_row_answered_500_fails_in_its_senders_language_and_is_sent_again_as_a_new_dry_run(
    on_own_sandbox, account_manager
):
    language_remember(user=account_manager, language="ja")
    client = Client()
    client.force_login(account_manager)
    client.cookies["django_language"] = "ja"
    subs = list(
        Subscription.objects.filter(
            customer__removed_at=None, plan__in=("ANNUAL_LICENSE", "MONTHLY"), renewal_type="STAY"
        ).order_by("pk")[:3]
    )
    assert len(subs) == 3, "the seed has too few paid subscriptions renewing unchanged"
    made = client.post(
        reverse("core:bulk_new"),
        {"action": "subscriptions.renewal", "keys": [str(s.pk) for s in subs], "type": "CANCEL"},
    )
    assert made.status_code == 302
    batch = Batch.objects.get()
    client.post(reverse("core:batch_send", args=[batch.pk]), {"row": [r.key for r in batch.rows.all()]})

    # The first row sent is answered 500 and not applied; the others go through.
    on_own_sandbox.set_fault("updateSubscriptionRenewal", errorRate=1, errorStatus=500, remaining=1)
    _run_queued(batch)
    [lost] = Operation.objects.filter(status=Operation.Status.UNKNOWN)
    # Read back when due, as the reconcile task does: the same read-backs as any change, then settled.
    while lost.status == Operation.Status.UNKNOWN and lost.check_after is not None:
        with as_a_worker():
            change_reconcile(operation_pk=str(lost.pk), attempt=lost.check_attempt)
        lost.refresh_from_db()
    assert lost.status == Operation.Status.FAILED
    assert lost.check_attempt == len(timing().read_backs) - 1
    [failed_sub] = [s for s in subs if s.pk == lost.params["args"]["subscription_id"]]

    page = client.get(reverse("core:batch", args=[batch.pk])).content.decode()
    assert FAILED_JA in page and FAILED_EN not in page
    assert re.search(r'data-count="failed">1<', page) and re.search(r'data-count="applied">2<', page)
    assert 'data-testid="retry"' in page and "失敗した 1 行を再送する" in page
    # The same batch read in English (another day, or a colleague): the explanation is in the reader's language.
    english = Client()
    english.force_login(account_manager)
    english.cookies["django_language"] = "en"
    in_english = english.get(reverse("core:batch", args=[batch.pk])).content.decode()
    assert FAILED_EN in in_english and FAILED_JA not in in_english

    again = client.post(reverse("core:batch_retry", args=[batch.pk]))
    assert again.status_code == 302
    retry = Batch.objects.exclude(pk=batch.pk).get()
    assert again["Location"] == reverse("core:batch", args=[retry.pk])
    assert retry.state == Batch.State.CHECKED and retry.values == batch.values
    assert [r.key for r in retry.rows.all()] == [f"subscriptions:{failed_sub.pk}"]
    assert retry.rows.get().found["refusal"] == ""  # checked again: still to send
    dry_run = client.get(again["Location"]).content.decode()
    assert dry_run.count('data-testid="tick"') == 1 and failed_sub.customer.company_name in dry_run
    assert Operation.objects.count() == 3  # nothing sent yet
    batch.refresh_from_db()
    assert batch.state == Batch.State.FINISHED  # the first batch is left as it was

    on_own_sandbox.clear_requests()
    client.post(reverse("core:batch_send", args=[retry.pk]), {"row": [f"subscriptions:{failed_sub.pk}"]})
    _run_queued(retry)
    assert len(on_own_sandbox.requests("updateSubscriptionRenewal")) == 1
    reader = on_own_sandbox.client("partner", validate=False)
    answer = reader.get(f"/partners/customers/{failed_sub.customer_id}/subscriptions/{failed_sub.pk}/renewal")
    assert answer.json()["type"] == "CANCEL"
    finished = client.get(reverse("core:batch", args=[retry.pk])).content.decode()
    assert re.search(r'data-count="applied">1<', finished) and 'data-testid="retry"' not in finished
