"""The metrics for Prometheus (`/metrics`, portal/core/metrics.py): off unless switched on, then only for the
token's holder; request latency per view, Celery queues, the oldest copy's age, Partner API calls and 429s per
operation, counted in this process and, with Redis, where every process adds."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from portal.core import metrics

ROOT = Path(__file__).resolve().parents[2]
TOKEN = secrets.token_urlsafe(32)
FAMILIES = (
    "portal_http_request_duration_seconds",
    "portal_partner_api_calls",
    "portal_partner_api_rate_limited",
    "portal_celery_queue_messages",
    "portal_cache_oldest_copy_age_seconds",
)


@pytest.fixture
def metrics_on(settings):
    settings.METRICS_ENABLED = True
    settings.METRICS_TOKEN = TOKEN
    _start_from_zero()
    yield
    _start_from_zero()


def _start_from_zero() -> None:
    """This test's counts start at zero: with Redis, the counts an earlier test or run left in this worker's
    database are deleted too (they outlive the process, as they must for gunicorn's workers)."""
    metrics._tallies.clear()
    found = metrics.tallies()
    if isinstance(found, metrics.RedisTallies):
        for key in found.client.scan_iter(match=f"{found.prefix}:*"):
            found.client.delete(key)
    metrics._tallies.clear()


def scrape(client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a scrape with the token: {(sample name, sorted labels): value}."""
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def test_the_metrics_are_off_by_default(client, db):
    assert django_settings.METRICS_ENABLED is False
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 404
    assert b"portal_" not in response.content


def test_without_the_token_or_with_a_wrong_one_the_metrics_do_not_exist(client, db, metrics_on):
    for headers in (
        {},
        {"HTTP_AUTHORIZATION": "Bearer wrong"},
        {"HTTP_AUTHORIZATION": f"Bearer {TOKEN[:-1]}"},
        {"HTTP_AUTHORIZATION": TOKEN},
        {"HTTP_AUTHORIZATION": f"Basic {TOKEN}"},
    ):
        response = client.get("/metrics", **headers)
        assert response.status_code == 404, headers
        assert b"portal_" not in response.content
    assert client.post("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 405


def test_with_the_token_every_family_is_there_and_requests_are_timed_by_view(
    client, db, metrics_on, django_assert_num_queries
):
    from customers.models import Customer
    from tests.customers.factories import make_customer

    make_customer(synced_at=timezone.now() - timedelta(hours=2))
    make_customer(
        synced_at=timezone.now() - timedelta(hours=5), removed_at=timezone.now()
    )  # gone: not counted
    client.get("/healthz")
    client.get("/healthz")
    client.get("/no-such-page")
    with django_assert_num_queries(1):  # the oldest copy, by index, whatever the number of customers
        response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    text = response.content.decode()
    for family in FAMILIES:
        assert f"# TYPE {family}" in text, family
    samples = scrape(client)
    healthz = (("method", "GET"), ("status", "2xx"), ("view", "healthz"))
    assert samples[("portal_http_request_duration_seconds_count", healthz)] == 2
    assert samples[("portal_http_request_duration_seconds_bucket", (("le", "+Inf"), *healthz))] == 2
    assert samples[("portal_http_request_duration_seconds_sum", healthz)] > 0
    unresolved = (("method", "GET"), ("status", "4xx"), ("view", "unresolved"))
    assert samples[("portal_http_request_duration_seconds_count", unresolved)] == 1
    age = samples[("portal_cache_oldest_copy_age_seconds", ())]
    assert 2 * 3600 <= age < 3 * 3600
    assert Customer.objects.count() == 2


def test_the_celery_queue_depth_is_read_from_the_broker(client, db, metrics_on):
    from portal.celery import app

    queue = (("queue", app.conf.task_default_queue),)
    before = scrape(client).get(("portal_celery_queue_messages", queue), 0.0)
    app.send_task("portal.core.sync.resync_full")  # no worker takes it: it waits in the queue
    assert scrape(client)[("portal_celery_queue_messages", queue)] == before + 1


def test_a_partner_api_call_is_counted_by_its_operation(client, db, metrics_on, portal_sandbox):
    from portal.core.partner import get_client

    key = ("portal_partner_api_calls_total", (("operation", "listCustomers"),))
    before = scrape(client).get(key, 0.0)
    get_client().list_customers(count=1)
    assert scrape(client)[key] == before + 1


def test_a_429_is_counted_by_its_operation(client, db, metrics_on, portal_api):
    """A server allowing one call a minute: another client of the same app takes it, then a client counted by
    the portal's observer, which has seen no answer yet, meets a 429 (and, told not to wait the window out,
    gives up). Its attempt is counted, also as rate-limited; the other client's is not the portal's."""
    from partner_api import PartnerClient, RateLimitedError
    from partner_api.transport import Transport
    from portal.core.partner import get_client
    from sandbox.testing import start_sandbox

    with start_sandbox(seed_customers=1) as sandbox:
        portal_api(sandbox)
        sandbox.configure(rateLimit=1, resetRateLimits=True)
        auth = get_client().auth
        other = PartnerClient(base_url=sandbox.base_url, auth=auth)
        counted = PartnerClient(
            base_url=sandbox.base_url,
            auth=auth,
            transport=Transport(
                base_url=sandbox.base_url, auth=auth, max_rate_limited_retries=0, observer=metrics.observer()
            ),
        )
        try:
            other.list_customers(count=1)
            with pytest.raises(RateLimitedError):
                counted.list_customers(count=1)
        finally:
            other.close()
            counted.close()
        statuses = [r["status"] for r in sandbox.requests(operation_id="listCustomers")]
    assert statuses == [200, 429]
    samples = scrape(client)
    operation = (("operation", "listCustomers"),)
    assert samples[("portal_partner_api_rate_limited_total", operation)] == 1
    assert samples[("portal_partner_api_calls_total", operation)] == 1


def test_an_observer_that_fails_never_fails_the_call(client, metrics_on, portal_sandbox, monkeypatch):
    from portal.core.partner import get_client

    def broken(table, amounts):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(metrics.MemoryTallies, "add", lambda self, table, amounts: broken(table, amounts))
    assert get_client().list_customers(count=1).customers


def test_with_redis_every_process_adds_to_the_same_counts(redis_url):
    """Two processes' tallies (two connections) add to one Redis hash; a scrape of either reads the sum."""
    import redis

    prefix = f"test:metrics:{secrets.token_hex(4)}"
    first = metrics.RedisTallies(redis.Redis.from_url(redis_url), prefix=prefix)
    second = metrics.RedisTallies(redis.Redis.from_url(redis_url), prefix=prefix)
    try:
        first.add(metrics.API_CALLS, {"listCustomers": 1.0})
        second.add(metrics.API_CALLS, {"listCustomers": 1.0, "getCustomer": 1.0})
        second.add(metrics.REQUESTS, {"home\tGET\t2xx\tsum": 0.25})
        first.add(metrics.REQUESTS, {"home\tGET\t2xx\tsum": 0.5})
        assert first.read(metrics.API_CALLS) == {"listCustomers": 2.0, "getCustomer": 1.0}
        assert second.read(metrics.REQUESTS) == {"home\tGET\t2xx\tsum": 0.75}
    finally:
        first.client.delete(f"{prefix}:{metrics.API_CALLS}", f"{prefix}:{metrics.REQUESTS}")


@pytest.mark.django_db(transaction=True)
def test_under_gunicorn_every_scrape_counts_the_requests_of_every_worker(redis_url, tmp_path, settings):
    """The README's deployment with two workers and Redis: whichever worker answers a scrape, it reports the
    requests both answered."""
    import redis
    import requests

    from sandbox.testing import free_port
    from tests.fixtures.services import database_url_of

    store = redis.Redis.from_url(redis_url)
    tables = [f"portal:metrics:{table}" for table in (metrics.REQUESTS, metrics.API_CALLS)]
    store.delete(*tables)
    base = f"http://127.0.0.1:{free_port()}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DATABASE_URL": database_url_of(settings.DATABASES["default"]),
        "REDIS_URL": redis_url,
        "METRICS_ENABLED": "true",
        "METRICS_TOKEN": TOKEN,
        "LOG_LEVEL": "WARNING",
    }
    log = tmp_path / "gunicorn.log"
    command = [sys.executable, "-m", "gunicorn", "portal.wsgi", "-b", base.removeprefix("http://"), "-w", "2"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    answered = 0
    try:
        deadline = time.monotonic() + 60
        while answered == 0:
            try:
                requests.get(f"{base}/healthz", timeout=60)  # a worker loads Django first
                answered += 1
            except requests.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"gunicorn did not start:\n{log.read_text()[-2000:]}")
                time.sleep(0.2)
        for _ in range(19):
            assert requests.get(f"{base}/healthz", headers={"Connection": "close"}, timeout=5).ok
            answered += 1
        healthz = (("method", "GET"), ("status", "2xx"), ("view", "healthz"))
        counts = []
        for _ in range(6):
            response = requests.get(
                f"{base}/metrics",
                headers={"Authorization": f"Bearer {TOKEN}", "Connection": "close"},
                timeout=10,
            )
            assert response.status_code == 200
            samples = {
                (sample.name, tuple(sorted(sample.labels.items()))): sample.value
                for family in text_string_to_metric_families(response.text)
                for sample in family.samples
            }
            counts.append(samples[("portal_http_request_duration_seconds_count", healthz)])
        assert counts == [answered] * 6
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        store.delete(*tables)


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ({"METRICS_ENABLED": "true", "REDIS_URL": "redis://127.0.0.1:6379/15"}, "METRICS_TOKEN"),
        ({"METRICS_ENABLED": "true", "METRICS_TOKEN": "short", "REDIS_URL": "redis://x/0"}, "METRICS_TOKEN"),
        ({"METRICS_ENABLED": "true", "METRICS_TOKEN": TOKEN, "REDIS_URL": ""}, "REDIS_URL"),
    ],
)
def test_production_start_up_stops_on_metrics_without_a_token_or_redis(extra, named):
    from tests.core.test_deploy import _check_deploy, _production_env

    result = _check_deploy(_production_env(**extra))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and named in result.stderr


@pytest.fixture
def worker_counts(monkeypatch):
    """The Celery worker started after this counts its Partner API calls (it reads the environment)."""
    monkeypatch.setenv("METRICS_ENABLED", "true")
    monkeypatch.setenv("METRICS_TOKEN", TOKEN)


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_the_calls_a_celery_worker_makes_are_in_the_webs_scrape(
    worker_counts, worker_on_sandbox, celery_worker_process, client, settings
):
    """A customer's refresh runs in a real worker process; the web's scrape (another process, the same Redis)
    shows each of its calls by operation, exactly as the refresh recorded them."""
    from portal.core.models import SyncRun
    from portal.core.sync.tasks import resync_customer_task

    listed = worker_on_sandbox.client().get("/partners/customers", params={"count": 1}).json()
    domain_id = listed["customers"][0]["domainId"]
    settings.METRICS_ENABLED = True
    settings.METRICS_TOKEN = TOKEN
    settings.REDIS_URL = celery_worker_process["broker"]
    metrics._tallies.clear()
    store = metrics.tallies()
    assert isinstance(store, metrics.RedisTallies)
    store.client.delete(*(f"portal:metrics:{t}" for t in (metrics.API_CALLS, metrics.API_RATE_LIMITED)))
    try:
        resync_customer_task.delay(domain_id=domain_id)
        deadline = time.monotonic() + 60
        run = None
        while run is None:
            run = SyncRun.objects.exclude(finished_at=None).filter(scope=str(domain_id)).first()
            if time.monotonic() > deadline:
                pytest.fail(
                    f"the refresh did not finish:\n{celery_worker_process['log'].read_text()[-2000:]}"
                )
            time.sleep(0.2)
        samples = scrape(client)
        counted = {
            dict(labels)["operation"]: value
            for (name, labels), value in samples.items()
            if name == "portal_partner_api_calls_total"
        }
        assert run.calls and counted == run.calls
    finally:
        store.client.delete(*(f"portal:metrics:{t}" for t in (metrics.API_CALLS, metrics.API_RATE_LIMITED)))
        metrics._tallies.clear()
