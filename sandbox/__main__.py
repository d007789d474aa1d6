"""Command line of the sandbox: ``python -m sandbox serve|seed|reset|clock|credentials``.

Runs with its own settings (``sandbox.settings``) and database (``SANDBOX_DB``, default var/sandbox.sqlite3).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.SANDBOX_DB_PATH.parent.mkdir(parents=True, exist_ok=True)
    call_command("migrate", verbosity=0, interactive=False)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description="The local Partner API sandbox.")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser(
        "serve", help="run the HTTP server (creates the portal's credentials on first start)"
    )
    serve.add_argument("--host", default=os.environ.get("SANDBOX_HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("SANDBOX_PORT", "8001")))
    serve.add_argument("--threads", type=int, default=8)
    serve.add_argument("--access-log", action="store_true")
    serve.add_argument(
        "--seed-customers",
        type=int,
        default=0,
        help="seed this many demo customers before serving (as `seed`)",
    )
    serve.add_argument("--seed", type=int, default=1, help="the random seed of --seed-customers")
    serve.add_argument(
        "--credentials-file",
        help="write the portal's credentials (as `credentials --json`) here before serving",
    )

    seed = sub.add_parser(
        "seed", help="add deterministic demo customers with subscriptions, options, billing"
    )
    seed.add_argument("--customers", type=int, default=200)
    seed.add_argument("--seed", type=int, default=1)

    sub.add_parser("reset", help="delete every customer and all state (the app credentials are kept)")

    clock = sub.add_parser("clock", help="show or move the business clock (applies what falls due)")
    group = clock.add_mutually_exclusive_group()
    group.add_argument("--advance", help="e.g. 1d or 2w")
    group.add_argument("--set", dest="set_date", help="YYYY-MM-DD (forward only)")

    creds = sub.add_parser("credentials", help="print the portal's credentials")
    creds.add_argument("--json", action="store_true", help="print JSON")
    creds.add_argument(
        "--base-url", help="the server root, e.g. http://127.0.0.1:8001 (default: last served)"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    _setup()
    from sandbox import clock, credentials

    if args.command == "serve":
        from sandbox import server

        if args.seed_customers:
            from sandbox import seed

            seed.run(customers=args.seed_customers, seed=args.seed)
        state = clock.state()
        state.base_url = f"http://{args.host}:{args.port}"
        state.save(update_fields=["base_url"])
        credentials.ensure_client()
        from sandbox.seeding.messaging import ensure_directory

        ensure_directory()  # the bots, users, talk rooms and Webhook URLs, with or without seeded customers
        clock.catch_up()
        if args.credentials_file:
            # One process seeds, names the credentials and serves: the tests start many sandboxes, and each
            # Python start with Django costs more than the seeding itself.
            target = Path(args.credentials_file)
            partial = target.with_suffix(".partial")
            partial.write_text(json.dumps(credentials.credentials(state.base_url)))
            partial.replace(target)
        server.serve(host=args.host, port=args.port, threads=args.threads, access_log=args.access_log)
    elif args.command == "seed":
        import time

        from sandbox import seed

        started = time.perf_counter()
        ctx = seed.run(customers=args.customers, seed=args.seed)
        counts = ", ".join(f"{k} {v}" for k, v in ctx.counts.items())
        print(
            f"seeded {args.customers} customers (seed {args.seed}) in {time.perf_counter() - started:.1f} s: {counts}"
        )
    elif args.command == "reset":
        from sandbox import maintenance

        maintenance.reset()
        print("sandbox reset: no customers, clock back to real time; credentials kept")
    elif args.command == "clock":
        from sandbox.api.admin import clock_json

        try:
            if args.advance:
                clock.advance(clock.parse_advance(args.advance))
            elif args.set_date:
                clock.set_date(clock.dt.date.fromisoformat(args.set_date))
            else:
                clock.catch_up()
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(json.dumps(clock_json()))
    elif args.command == "credentials":
        data = credentials.credentials(args.base_url)
        if args.json:
            print(json.dumps(data, indent=2))
        else:
            for key, value in data.items():
                print(f"{key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
