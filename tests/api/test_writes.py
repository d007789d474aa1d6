"""The API's writes without LINE WORKS: the dry run (checked by the page's own form, nothing sent or kept), the
Idempotency-Key that a real write needs, refusals in words, and a write refused on the way (the Partner API
unreachable): its answer kept for its key, asked again the same, and another body under it refused."""

from __future__ import annotations

import pytest
from django.urls import reverse

from portal.core.access import Role
from portal.core.models import ApiCall, ApiIdempotency, AuditEntry, Operation
from tests.customers.factories import make_customer
from tests.subscriptions.factories import make_subscription

pytestmark = pytest.mark.django_db


@pytest.fixture
def sub(db):
    return make_subscription(make_customer(), product_id="STD", plan="ANNUAL_LICENSE", license_count=20)


def _renewal(sub) -> str:
    return reverse("api:subscription_renewal", args=[sub.subscription_id])


def _nothing_written():
    return (Operation.objects.count(), AuditEntry.objects.count(), ApiIdempotency.objects.count())


def test_a_dry_run_checks_with_the_pages_form_and_sends_nothing(api_as, sub):
    api = api_as(Role.ACCOUNT_MANAGER)
    answer = api.post(
        _renewal(sub), {"type": "CHANGE", "license_count": 15, "dry_run": True, "reason": "T-1"}
    )
    assert answer.status_code == 200, answer.content
    data = answer.json()
    assert data["dry_run"] is True and data["result"] == "would_send" and data["operation"] is None
    assert data["change"] == "updateSubscriptionRenewal"
    assert data["arguments"] == {
        "domain_id": sub.customer_id,
        "subscription_id": sub.subscription_id,
        "type": "CHANGE",
        "license_count": 15,
        "licences_before": 20,
    }
    assert data["preview"] and data["needs_approval"] is False
    assert _nothing_written() == (0, 0, 0)
    assert ApiCall.objects.get().status == 200  # the call itself is recorded, with its token
    assert ApiCall.objects.get().token == api.token


def test_a_dry_run_refused_by_the_forms_rules_says_why_on_the_field(api_as, sub):
    api = api_as(Role.ACCOUNT_MANAGER)
    answer = api.post(_renewal(sub), {"type": "CHANGE", "license_count": 0, "dry_run": True})
    assert answer.status_code == 422
    assert "license_count" in answer.json()["error"]["fields"]
    assert _nothing_written() == (0, 0, 0)


def test_a_change_the_contract_rules_out_is_refused_in_words(api_as, db):
    trial = make_subscription(
        make_customer(), product_id="STD_T", plan="TRIAL", license_count=None, renewal_type=""
    )
    answer = api_as(Role.ACCOUNT_MANAGER).post(_renewal(trial), {"type": "STAY", "dry_run": True})
    assert answer.status_code == 409
    assert answer.json()["error"] == {
        "code": "refused",
        "message": "Only paid subscriptions have renewal settings.",
    }


def test_a_real_write_needs_an_idempotency_key(api_as, sub):
    answer = api_as(Role.ACCOUNT_MANAGER).post(_renewal(sub), {"type": "CANCEL"})
    assert answer.status_code == 428
    assert answer.json()["error"]["code"] == "idempotency_key_missing"
    assert _nothing_written() == (0, 0, 0)


def test_the_words_follow_accept_language_or_else_the_owners_language(api_as, sub):
    from portal.core.services import language_remember

    api = api_as(Role.ACCOUNT_MANAGER)
    english = api.post(_renewal(sub), {"type": "CANCEL"})
    japanese = api.post(_renewal(sub), {"type": "CANCEL"}, **{"Accept-Language": "ja"})
    assert japanese.json()["error"]["message"].startswith("変更には")
    assert not english.json()["error"]["message"].startswith("変更には")
    language_remember(user=api.user, language="ja")
    assert api.post(_renewal(sub), {"type": "CANCEL"}).json()["error"]["message"].startswith("変更には")


@pytest.fixture
def unreachable(settings):
    """LINE WORKS cannot be reached: a change is refused before anything is sent (nothing listens)."""
    settings.PARTNER_API_BASE_URL = "http://127.0.0.1:9/v1.0"
    from portal.core.partner import reset_clients

    reset_clients()
    yield
    reset_clients()


def test_a_write_refused_on_the_way_is_answered_again_for_its_key_and_never_sent_again(
    api_as, sub, unreachable
):
    api = api_as(Role.ACCOUNT_MANAGER)
    first = api.post(_renewal(sub), {"type": "CANCEL"}, **{"Idempotency-Key": "renewal-1"})
    assert first.status_code == 409, first.content
    attempts = AuditEntry.objects.count()
    assert attempts >= 1 and AuditEntry.objects.filter(api_token=api.token).count() == attempts
    operation = Operation.objects.get()
    assert operation.api_token == api.token and operation.status == Operation.Status.FAILED
    again = api.post(_renewal(sub), {"type": "CANCEL"}, **{"Idempotency-Key": "renewal-1"})
    assert (again.status_code, again.json()) == (first.status_code, first.json())
    other = api.post(_renewal(sub), {"type": "STAY"}, **{"Idempotency-Key": "renewal-1"})
    assert other.status_code == 422 and other.json()["error"]["code"] == "idempotency_key_reused"
    assert (AuditEntry.objects.count(), Operation.objects.count()) == (attempts, 1)  # nothing sent again
    assert ApiCall.objects.filter(token=api.token, operation=operation.pk).count() == 1


def test_two_tokens_may_use_the_same_key_for_their_own_writes(api_as, sub, unreachable):
    first, second = api_as(Role.ACCOUNT_MANAGER), api_as(Role.ADMIN)
    for api in (first, second):
        answer = api.post(_renewal(sub), {"type": "CANCEL"}, **{"Idempotency-Key": "same"})
        assert answer.status_code == 409
    assert Operation.objects.count() == 2
