"""Renew a subscription through the portal's API, as a partner's script would: a dry run first (what would be
sent, and any refusal, nothing sent), then for real with an Idempotency-Key, then the change's operation polled
until it is settled. Needs a personal API token that may write subscriptions (the portal's API tokens page).

    PORTAL_API_TOKEN=ppat_... python scripts/api_renewal.py --url http://127.0.0.1:8000 \\
        --subscription 91000024 --type CHANGE --licences 30 --reason "Ticket 123"

`--dry-run-only` stops after the dry run. Asked again with the same `--key`, the portal gives the first answer
again and sends nothing twice. Exit status: 0 when the renewal is applied, 1 when it was refused or failed, 2
when its outcome is still open after `--wait` seconds (the portal is reading it back: poll again later).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from typing import Any

import requests

#: Seconds between two polls of an operation whose outcome is open.
POLL_EVERY = 1.0


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default=os.environ.get("PORTAL_URL", "http://127.0.0.1:8000"))
    parser.add_argument("--token", default=os.environ.get("PORTAL_API_TOKEN", ""))
    parser.add_argument("--subscription", type=int, required=True, help="the subscription's subscriptionId")
    parser.add_argument("--type", choices=("STAY", "CHANGE", "CANCEL"), default="STAY")
    parser.add_argument("--licences", type=int, default=None, help="licences at renewal (CHANGE)")
    parser.add_argument("--plan", default=None, help="plan at renewal (CHANGE)")
    parser.add_argument("--product", default=None, help="product at renewal (CHANGE)")
    parser.add_argument("--reason", default="", help="kept in the portal's activity log with the change")
    parser.add_argument("--key", default="", help="the Idempotency-Key (default: a new UUID)")
    parser.add_argument("--wait", type=float, default=60.0, help="seconds to poll an open outcome")
    parser.add_argument("--dry-run-only", action="store_true")
    parser.add_argument("--language", default="", help="the answers' language (en, ja): Accept-Language")
    return parser.parse_args(argv)


def _body(args: argparse.Namespace, *, dry_run: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"type": args.type, "reason": args.reason, "dry_run": dry_run}
    for name, value in (("license_count", args.licences), ("plan", args.plan), ("product_id", args.product)):
        if value is not None:
            body[name] = value
    return body


def _say(title: str, answer: requests.Response) -> dict[str, Any]:
    data = answer.json()
    print(f"--- {title}: HTTP {answer.status_code}")
    print(json.dumps(data, ensure_ascii=False, indent=2))
    return data


def renew(argv: list[str], *, session: requests.Session | None = None) -> int:
    """The whole run (`main`'s); `session`: the HTTP session to use (a test's)."""
    args = _arguments(argv)
    if not args.token:
        print("Give a token: --token or PORTAL_API_TOKEN.", file=sys.stderr)
        return 1
    http = session or requests.Session()
    http.headers.update({"Authorization": f"Bearer {args.token}"})
    if args.language:
        http.headers["Accept-Language"] = args.language
    base = args.url.rstrip("/") + "/api/v1"
    renewal = f"{base}/subscriptions/{args.subscription}/renewal"
    checked = _say("dry run", http.post(renewal, json=_body(args, dry_run=True), timeout=30))
    if "error" in checked or args.dry_run_only:
        return 1 if "error" in checked else 0
    key = args.key or str(uuid.uuid4())
    sent = _say(
        f"sent (Idempotency-Key {key})",
        http.post(renewal, json=_body(args, dry_run=False), headers={"Idempotency-Key": key}, timeout=60),
    )
    if "error" in sent:
        return 1
    return _follow(http, args.url.rstrip("/") + sent["operation"]["url"], args.wait)


def _follow(http: requests.Session, url: str, wait: float) -> int:
    """Poll the operation (once at least: what the portal says of it now) until it is settled, or `wait` seconds
    pass."""
    deadline = time.monotonic() + wait
    operation = _say("operation", http.get(url, timeout=30))
    while not operation["finished"] and time.monotonic() < deadline:
        time.sleep(POLL_EVERY)
        operation = _say("operation", http.get(url, timeout=30))
    if not operation["finished"]:
        print(f"Still open ({operation['status']}): poll {url} again later.")
        return 2
    print(f"Settled: {operation['status_label']}.")
    return 0 if operation["status"] == "succeeded" else 1


def main(argv: list[str] | None = None) -> int:
    return renew(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    sys.exit(main())
