"""Shared fixtures. Plugins in tests/fixtures/ hold the bigger ones (sandbox process, personas, browser).

Tiers: a test that starts or talks to a process (the sandbox server, a Celery worker, Redis, the live server
and a browser) is marked `integration` (or `e2e` with a browser) here, from the fixtures it uses, so
`make test-fast` (`-m "not integration and not e2e"`) runs only unit and view tests. `make test` runs all.
"""

import datetime as dt
import gc
import logging

import pytest
import time_machine

pytest_plugins = [
    "tests.fixtures.databases",
    "tests.fixtures.personas",
    "tests.fixtures.services",
    "tests.fixtures.browser",
    "tests.fixtures.sandbox",
    "tests.fixtures.portal_api",
    "tests.fixtures.cache",
    "tests.fixtures.s3",
]

#: Fixtures that start or reach a real process or service, and the tier they put a test in.
_PROCESS_FIXTURES = {
    "browser": "e2e",
    "page": "e2e",
    "live_server": "e2e",
    "sandbox_server": "integration",
    "own_sandbox": "integration",
    "celery_worker_process": "integration",
    "redis_url": "integration",
    "s3_server": "integration",
}
#: Folders whose every test runs processes of its own (sandbox subprocesses, browsers).
_PROCESS_FOLDERS = {"sandbox": "integration", "e2e": "e2e"}


def pytest_configure(config: pytest.Config) -> None:
    from django.conf import settings

    from tests.fixtures.isolation import isolate

    # Hashing is not what the tests exercise: the fast hasher saves a second per persona.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Each test process (one per xdist worker) has its own cache, never the developer's.
    isolate(settings)
    # The log lines at INFO (one per request the test client or the live server answers) are not what the tests
    # exercise, and rendering them is a fair part of a view test's CPU: the test processes log warnings and errors.
    # The tests of the logs (tests/core/test_logs.py, and those reading `caplog`) set the level they read.
    logging.getLogger().setLevel(logging.WARNING)


def pytest_ignore_collect(collection_path, config: pytest.Config) -> bool | None:
    """A folder whose every test is in a tier the run leaves out (`make test-fast`) is not even collected: each test
    process would import its modules, and build schemathesis' tests of every operation of the contract, for
    nothing."""
    tier = _PROCESS_FOLDERS.get(collection_path.name)
    if tier is None or collection_path.parent.name != "tests" or not config.option.markexpr:
        return None
    from _pytest.mark.expression import Expression

    expression = Expression.compile(config.option.markexpr)
    # Left out only if the expression refuses the folder's tier alone and with every other tier beside it.
    tiers = set(_PROCESS_FIXTURES.values())
    if not expression.evaluate(lambda name, **_: name == tier) and not expression.evaluate(
        lambda name, **_: name in tiers
    ):
        return True
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        tiers = {
            tier for name, tier in _PROCESS_FIXTURES.items() if name in getattr(item, "fixturenames", ())
        }
        parts = item.nodeid.split("/")
        if len(parts) > 2 and parts[0] == "tests" and parts[1] in _PROCESS_FOLDERS:
            tiers.add(_PROCESS_FOLDERS[parts[1]])
        for tier in sorted(tiers):
            item.add_marker(tier)
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:
        items[:] = heavy_first_in_each_share(items, int(workerinput["workercount"]))


#: How much a test is expected to weigh, by its marks: the heaviest are started first.
_WEIGHTS = {"long": 3, "e2e": 2, "integration": 1}


def _weight(item) -> int:
    return max((w for name, w in _WEIGHTS.items() if item.get_closest_marker(name)), default=0)


def heavy_first_in_each_share(items: list, workers: int) -> list:
    """The tests in the order that starts the heavy ones first on every worker.

    pytest-xdist's work stealing gives each of the W workers one contiguous share of the collected tests (the
    first `n // W`, then `rest // (W - 1)`, ...) and lets an idle worker take the second half of the longest
    queue left. Each share here begins with its part of the heavy modules (a module's heavy tests stay together
    and in order, so its module-scoped sandbox or cache is set up once): those holding a long test first, then
    browser, then other integration tests, each module to the share with the fewest heavy tests so far. The
    light tests follow in their own order. A test that runs for a minute then starts at the beginning, never as
    the last test of the run, and stolen work is light. The order changes no test's outcome: every test sets up
    its own world."""
    if workers < 2:
        return items
    modules: dict[str, list] = {}
    light = []
    for item in items:
        if _weight(item):
            modules.setdefault(item.nodeid.split("::")[0], []).append(item)
        else:
            light.append(item)
    shares: list[list] = [[] for _ in range(workers)]
    for module in sorted(modules.values(), key=lambda tests: max(map(_weight, tests)), reverse=True):
        min(shares, key=len).extend(module)
    left = len(items)
    for n, share in enumerate(shares):
        size = left // (workers - n)
        left -= size
        take = max(0, size - len(share))
        share += light[:take]
        light = light[take:]
    shares[-1] += light
    return [item for share in shares for item in share]


def pytest_collection_finish(session: pytest.Session) -> None:
    """What the process holds once its tests are collected (Django, the apps, every test module) lives until it
    ends: the garbage collector is told to stop scanning it (`gc.freeze`); it went over those objects again at
    every full scan. Its thresholds stay Django's and Python's own: a connection a finished thread or greenlet
    left is closed when the collector finds it, and fewer scans would leave more of them open."""
    gc.collect()
    gc.freeze()


#: How many laid-out PDFs a test process keeps (a PDF is tens of kilobytes).
_PDFS_KEPT = 512


@pytest.fixture(autouse=True, scope="session")
def _each_pdf_is_laid_out_once_per_process():
    """WeasyPrint lays out each distinct invoice HTML once per test process, and a second rendering of the same
    HTML is given the bytes of the first. Many tests issue the same month's invoices (the same facts, so the same
    HTML) only to reach an issued state, and laying out was much of the invoice tests' CPU. The same HTML always
    gives the same bytes (`test_the_same_html_gives_the_same_pdf_bytes` checks it on the real function, which
    this leaves alone), so no test sees a difference: every PDF is still WeasyPrint's own."""
    import hashlib

    from invoicing import document

    laid_out = document.pdf_from_html
    kept: dict[bytes, bytes] = {}

    def pdf_from_html(html: str) -> bytes:
        key = hashlib.sha256(html.encode()).digest()
        if key not in kept:
            if len(kept) >= _PDFS_KEPT:
                kept.clear()
            kept[key] = laid_out(html)
        return kept[key]

    pdf_from_html.laid_out = laid_out  # type: ignore[attr-defined]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(document, "pdf_from_html", pdf_from_html)
        yield


@pytest.fixture(autouse=True, scope="session")
def _tasks_stay_in_the_test_process():
    """Tasks a test sends (a browser test's change, a page's refresh after commit) go to an in-memory broker.
    On the default one they waited in the developer's own queue (var/celery, or Redis database 0 with REDIS_URL)
    for the next `make run`, whose worker ran them (refreshes and changes of test databases' ids) against the
    developer's database. A test with a real worker points the app at that worker's broker for its duration,
    then back here (tests/fixtures/services.py)."""
    from portal.celery import app
    from tests.fixtures.services import forget_result_backend

    old = (app.conf.broker_url, app.conf.result_backend)
    app.conf.update(broker_url="memory://", result_backend="cache+memory://")
    forget_result_backend(app)
    yield
    app.conf.update(broker_url=old[0], result_backend=old[1])
    forget_result_backend(app)


@pytest.fixture(autouse=True)
def _kept_copies_are_worked_out_before_each_read(request):
    """A page that reads a copy kept by the worker (`portal.core.kept`: the estimate, the drafts) reads it as
    if the worker had just worked its month out whole: the tests of what a page shows build their rows (with
    factories, round the engines' marks) and read the page at once. The tests of the keeping itself are marked
    `kept_by_worker`: their pages read what is kept and queue the rest, as in production."""
    if request.node.get_closest_marker("kept_by_worker"):
        yield
        return
    from portal.core import kept

    def ask(name: str, year: int, month: int, *, state: kept.KeptState | None = None) -> kept.KeptState:
        keeper = kept.keeper(name)  # a state read before (`state`) is read again once the month is worked out
        keeper.keep(year, month, True)
        return keeper.state(year, month)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(kept, "ask", ask)
        yield


@pytest.fixture
def frozen():
    """2026-11-20 16:00 UTC is already Saturday 2026-11-21 01:00 in Tokyo: the business date is the 21st."""
    with time_machine.travel(dt.datetime(2026, 11, 20, 16, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture(autouse=True)
def _event_endpoints_are_read_afresh():
    """The enabled event endpoints are cached (portal/core/events/outbox.py): a test's endpoints, rolled back
    with it, are not the next test's."""
    from portal.core.events.outbox import endpoints_changed

    endpoints_changed()
    yield
    endpoints_changed()


@pytest.fixture(autouse=True)
def _language_of_each_test_is_its_own():
    """A request in Japanese leaves Japanese active in the thread (LocaleMiddleware does not reset it): each
    test starts from the default language, whatever ran before it."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()
