"""`python -m bench.client`: figures for the Partner API client (never a test).

1. Overhead per call against a local HTTP server on 127.0.0.1: the client's time per call minus the time the
   server's handler took (median), for a GET and a POST; and, for reference, a bare `http.client` request to
   the same server, so the client's own share (models, auth, limiter, logging, requests) is visible.
2. Limiter accuracy: 4 processes take slots from one Redis timeline at the configured rate; achieved rate ÷
   configured rate, and requests over the limit (grants beyond what the rate allows in any span of time).

Options: --calls N (default 2000), --rate PER_MINUTE (default 240), --seconds S (default 30),
--redis URL (default $REDIS_URL or redis://127.0.0.1:6379/0).
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import statistics
import sys
import time
import uuid
from datetime import date

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bench.client.server import serve
from bench.client.workers import take_tokens
from partner_api import MemoryRateLimiter, MemoryTokenStore, OAuthConfig, PartnerClient, ServiceAccountAuth
from partner_api.ratelimit import RedisRateLimiter

TARGET_OVERHEAD_MS = 2.0
TARGET_LIMITER_RATIO = 0.95
WORKERS = 4


def private_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


class ServerTime:
    """Collects the server's own time (X-Server-Time-Ns) of each response through a requests hook."""

    def __init__(self) -> None:
        self.last_ns = 0

    def hook(self, response, *args, **kwargs):
        self.last_ns = int(response.headers.get("X-Server-Time-Ns", "0"))
        return response


def measure_client(port: int, calls: int, limiter=None) -> dict[str, list[float]]:
    base = f"http://127.0.0.1:{port}"
    auth = ServiceAccountAuth(
        OAuthConfig(token_url=f"{base}/oauth2/v2.0/token", client_id="bench", client_secret="bench"),
        service_account="bench.serviceaccount",
        private_key=private_key(),
        store=MemoryTokenStore(),
    )
    client = PartnerClient(
        base_url=f"{base}/v1.0",
        auth=auth,
        limiter=limiter or MemoryRateLimiter(limit=10**9, period=60),
    )
    server = ServerTime()
    client.transport.session.hooks["response"].append(server.hook)
    operations = {
        "GET getSubscription": lambda: client.get_subscription(domain_id=10000001, subscription_id=1021),
        "POST createSubscriptionPreOrder": lambda: client.create_subscription_pre_order(
            domain_id=10000001,
            apply_date=date(2026, 12, 1),
            product_id="STD",
            plan="ANNUAL_LICENSE",
            license_count=10,
        ),
    }
    results: dict[str, list[float]] = {}
    for name, call in operations.items():
        for _ in range(50):  # warm-up: token, connection, caches
            call()
        samples = []
        for _ in range(calls):
            started = time.perf_counter_ns()
            call()
            samples.append((time.perf_counter_ns() - started - server.last_ns) / 1e6)
        results[name] = samples
    client.close()
    return results


def measure_bare(port: int, calls: int) -> list[float]:
    """The same GET with http.client and json.loads only: the floor any HTTP client has on this machine."""
    conn = http.client.HTTPConnection("127.0.0.1", port)
    path = "/v1.0/partners/customers/10000001/subscriptions/1021"
    samples = []
    for i in range(calls + 50):
        started = time.perf_counter_ns()
        conn.request(
            "GET", path, headers={"Authorization": "Bearer bench-token", "Accept": "application/json"}
        )
        response = conn.getresponse()
        json.loads(response.read())
        elapsed = time.perf_counter_ns() - started - int(response.headers["X-Server-Time-Ns"])
        if i >= 50:
            samples.append(elapsed / 1e6)
    conn.close()
    return samples


def measure_limiter(redis_url: str, per_minute: int, seconds: float) -> dict[str, float] | None:
    import redis

    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        print(f"  Redis at {redis_url} is unreachable ({exc}); limiter figures skipped.")
        return None
    prefix = f"bench:partner_api:{uuid.uuid4().hex}"
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    start_at = time.time() + 3.0  # every worker is up before the clock starts
    procs = [
        ctx.Process(target=take_tokens, args=(redis_url, prefix, per_minute, seconds, start_at, queue))
        for _ in range(WORKERS)
    ]
    for proc in procs:
        proc.start()
    per_worker = [queue.get(timeout=seconds + 60) for _ in procs]
    for proc in procs:
        proc.join()
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)

    stamps = sorted(t for worker in per_worker for t in worker)
    rate = per_minute / 60.0
    # Over the limit: in any span [t_i, t_j] the limiter (burst 1) allows 1 + rate * (t_j - t_i) requests.
    over = 0
    for i in range(len(stamps)):
        worst = 0
        for j in range(i + 1, len(stamps)):
            allowed = 1 + rate * (stamps[j] - stamps[i]) + 1e-6
            worst = max(worst, int((j - i + 1) - allowed) if (j - i + 1) > allowed else 0)
        over = max(over, worst)
    # The API's view: requests in any sliding 60-second window (half-open) against the per-minute limit.
    window_max = 0
    lo = 0
    for hi in range(len(stamps)):
        while stamps[hi] - stamps[lo] >= 60.0:
            lo += 1
        window_max = max(window_max, hi - lo + 1)
    span = stamps[-1] - stamps[0] if len(stamps) > 1 else 0.0
    achieved = (len(stamps) - 1) / span if span else 0.0
    return {
        "requests": len(stamps),
        "per_worker": [len(w) for w in per_worker],
        "achieved_per_minute": achieved * 60,
        "ratio": achieved / rate,
        "over": over,
        "window_max": window_max,
        "expected_in_run": rate * seconds,
    }


def summary(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return f"median {statistics.median(ordered):.3f} ms, p95 {p95:.3f} ms, n={len(ordered)}"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.client")
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rate", type=int, default=240, help="configured limit, requests per minute")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--redis", default=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0")
    args = parser.parse_args(argv)

    ctx = multiprocessing.get_context("spawn")
    port_queue = ctx.Queue()
    server = ctx.Process(target=serve, args=(port_queue,), daemon=True)
    server.start()
    port = port_queue.get(timeout=30)
    ok = True
    try:
        print(
            f"Client overhead per call, local server 127.0.0.1:{port}, server time excluded ({args.calls} calls):"
        )
        bare = measure_bare(port, args.calls)
        print(f"  bare http.client GET + json.loads (floor): {summary(bare)}")
        for name, samples in measure_client(port, args.calls).items():
            median = statistics.median(samples)
            ok &= median <= TARGET_OVERHEAD_MS
            print(f"  PartnerClient {name}: {summary(samples)}  [target ≤ {TARGET_OVERHEAD_MS} ms]")
            print(f"    of which above the bare floor: {median - statistics.median(bare):.3f} ms")
        try:
            import redis

            redis_limiter = RedisRateLimiter(
                redis.Redis.from_url(args.redis), prefix=f"bench:{uuid.uuid4().hex}", limit=10**9, period=60
            )
            redis_limiter.try_acquire("warm-up")
            samples = measure_client(port, args.calls, limiter=redis_limiter)["GET getSubscription"]
            print(f"  PartnerClient GET getSubscription with the Redis limiter: {summary(samples)}")
        except redis.RedisError as exc:
            print(f"  (Redis limiter variant skipped: {exc})")
    finally:
        server.terminate()
        server.join()

    print(
        f"\nLimiter accuracy: {WORKERS} processes, one Redis timeline, configured {args.rate}/min, {args.seconds:.0f} s:"
    )
    figures = measure_limiter(args.redis, args.rate, args.seconds)
    if figures:
        ok &= figures["ratio"] >= TARGET_LIMITER_RATIO and figures["over"] == 0
        print(f"  requests granted: {figures['requests']} (per process {figures['per_worker']})")
        print(
            f"  achieved {figures['achieved_per_minute']:.1f}/min = {figures['ratio'] * 100:.1f}% of the configured "
            f"rate  [target ≥ {TARGET_LIMITER_RATIO * 100:.0f}%]"
        )
        print(f"  requests over the limit (any span, burst 1): {figures['over']}  [target 0]")
        print(f"  most requests in any 60 s window: {figures['window_max']} (limit {args.rate})")
    print("\nAll targets met." if ok else "\nSome targets were missed.")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
