"""The whole database: `seed` (an empty database filled, step by step) and `history` (only the running
portal's history, for customers a database holds already), and the rows written per table (`counts`)."""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable, Sequence

from bench.seed.batches import batch_seed
from bench.seed.billing import billing_setup, line_works_months
from bench.seed.customers import customers_seed, options_seed
from bench.seed.history import history_seed
from bench.seed.invoices import (
    bank_statement,
    bank_statements_matched,
    direct_debit,
    issued_months,
    records_exported,
)
from bench.seed.notices import events_seed, notices_seed
from bench.seed.people import ids_of, people
from bench.seed.saved import saved_views_seed
from bench.seed.signins import signins_seed
from bench.seed.usage import usage_seed

#: The one random seed: the same arguments give the same database.
RANDOM_SEED = 2026


def seed(*, customers: int, months: int, verbose: bool = False) -> dict[str, int]:
    """Fill the (migrated, empty) database Django is set up with: what the module docstring says. Returns the
    rows written per table."""
    from django.test import override_settings

    # Without DEBUG's log of every query: it kept each insert's SQL, PDFs and all, and spent the time writing it
    # (the memory it cost is in the commit that turned it off).
    with override_settings(DEBUG=False):
        return _seed(customers=customers, months=months, verbose=verbose)


def _seed(*, customers: int, months: int, verbose: bool) -> dict[str, int]:
    from portal.core import clock

    rng = random.Random(RANDOM_SEED)
    today = clock.today()
    steps = [
        ("people", lambda: people()),
        (
            "customers",
            lambda: customers_seed(
                0, customers, rng, managers=ids_of("account_manager"), support=ids_of("support")
            ),
        ),
        # As the daily job has by then: the words many customers share kept as lists (PostgreSQL).
        ("the search's common words", lambda: _common_words()),
        ("options", lambda: options_seed(rng)),
        ("billing details and prices", lambda: billing_setup(rng, today, months)),
        ("LINE WORKS invoices and details", lambda: line_works_months(rng, today, max(1, months))),
        ("issued invoices", lambda: issued_months(rng, today, max(1, months))),
        ("records export", lambda: records_exported(today)),
        # Today's first: the guard opens the statement of the first key, the same one at every size.
        ("bank statement", lambda: bank_statement(today)),
        ("bank statements of the closed months", lambda: bank_statements_matched(today)),
        ("direct debit", lambda: direct_debit(today)),
        ("usage", lambda: usage_seed(rng, today, months)),
        ("history", lambda: history_seed(rng, today, months)),
        ("sign-ins", lambda: signins_seed(random.Random(RANDOM_SEED), today, months)),
        ("bulk batch", lambda: batch_seed()),
        ("saved views", lambda: saved_views_seed()),
        ("notices", lambda: notices_seed(today)),
        ("events", lambda: events_seed(customers)),
        ("estimates", lambda: estimates_seed(today)),
    ]
    _run(steps, verbose=verbose)
    from portal.core.sync.full import refresh_planner_statistics

    refresh_planner_statistics()
    return counts()


def history(*, months: int, verbose: bool = False) -> dict[str, int]:
    """Only the running portal's history of the customers a database holds already (the soak's, read from the
    sandbox by its first full resync): the people, and `months` months of usage before the running month, sync
    runs, audit entries and operations at `cadence`."""
    from django.test import override_settings

    from portal.core import clock

    rng = random.Random(RANDOM_SEED)
    today = clock.today()
    steps = [
        ("people", people),
        ("usage", lambda: usage_seed(rng, today, months, until=today.replace(day=1) - dt.timedelta(days=1))),
        ("history", lambda: history_seed(rng, today, months)),
        ("sign-ins", lambda: signins_seed(random.Random(RANDOM_SEED), today, months)),
    ]
    with override_settings(DEBUG=False):  # as `seed`
        _run(steps, verbose=verbose)
    return counts()


def _run(steps: Sequence[tuple[str, Callable[[], object]]], *, verbose: bool) -> None:
    """Each of `seed`'s or `history`'s steps in turn, each one's time said when `verbose`."""
    for label, step in steps:
        t0 = time.perf_counter()
        step()
        if verbose:
            print(f"  {label}: {time.perf_counter() - t0:.1f} s", flush=True)


def counts() -> dict[str, int]:
    from django.apps import apps

    out = {}
    for model in apps.get_models():
        if model._meta.app_label in {"sessions", "contenttypes", "auth", "admin", "otp_totp", "otp_static"}:
            continue
        n = model.objects.count() if model._meta.managed is not False else 0
        if n:
            out[model._meta.label] = n
    return out


def _common_words() -> None:
    from customers.services.search_kept import search_common_words_join

    search_common_words_join()


def estimates_seed(today: dt.date) -> None:
    """The estimates and the drafts as the worker keeps them (beat's kept-copies, portal.core.kept)."""
    from portal.core.kept import keep_all

    keep_all(today)
