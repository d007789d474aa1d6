"""Sandbox benchmark (prints figures; never a test): ``.venv/bin/python -m bench.sandbox``.

With 10,000 customers seeded: median latency of GET /partners/customers?count=30 and of a customer's
subscriptions, and requests per second on one server process (8 client threads).
"""

from __future__ import annotations

import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from sandbox.testing import start_sandbox

CUSTOMERS = 10_000
SAMPLES = 300


def _median_ms(session, url, headers, params_list) -> float:
    timings = []
    for params in params_list:
        started = time.perf_counter()
        response = session.get(url, headers=headers, params=params, timeout=30)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.text
    return statistics.median(timings)


def main() -> None:
    started = time.perf_counter()
    sandbox = start_sandbox(seed_customers=CUSTOMERS, seed=1, rate_limit=1_000_000)
    print(f"sandbox with {CUSTOMERS} customers ready in {time.perf_counter() - started:.1f} s")
    try:
        headers = {"Authorization": f"Bearer {sandbox.token()}"}
        session = requests.Session()
        base = sandbox.base_url
        pages, cursor = [], None
        for _ in range(SAMPLES):
            pages.append({"count": 30, **({"cursor": cursor} if cursor else {})})
            body = session.get(
                base + "/partners/customers", headers=headers, params=pages[-1], timeout=30
            ).json()
            cursor = body["responseMetaData"].get("nextCursor")
        ids = [
            c["domainId"]
            for p in pages[:10]
            for c in session.get(base + "/partners/customers", headers=headers, params=p, timeout=30).json()[
                "customers"
            ]
        ]
        list_ms = _median_ms(session, base + "/partners/customers", headers, pages)
        print(f"GET /partners/customers?count=30        median {list_ms:6.2f} ms  ({SAMPLES} pages)")
        subs_urls = [f"{base}/partners/customers/{ids[i % len(ids)]}/subscriptions" for i in range(SAMPLES)]
        timings = []
        for url in subs_urls:
            t0 = time.perf_counter()
            response = session.get(url, headers=headers, timeout=30)
            timings.append((time.perf_counter() - t0) * 1000)
        status = response.status_code
        print(
            f"GET /partners/customers/{{id}}/subscriptions median {statistics.median(timings):6.2f} ms"
            f"  (last status {status})"
        )

        def worker(n: int) -> int:
            s = requests.Session()
            for i in range(n):
                s.get(base + "/partners/customers", headers=headers, params=pages[i % len(pages)], timeout=30)
            return n

        total, threads = 2000, 8
        t0 = time.perf_counter()
        with ThreadPoolExecutor(threads) as pool:
            done = sum(pool.map(worker, [total // threads] * threads))
        elapsed = time.perf_counter() - t0
        print(
            f"throughput: {done / elapsed:7.1f} requests/s (listCustomers, {threads} client threads, 1 process)"
        )
    finally:
        sandbox.stop()


if __name__ == "__main__":
    main()
