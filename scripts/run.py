"""`make run`: the whole portal on one machine, stopped together with Ctrl-C.

Starts the Partner API sandbox (port 8001, seeded on first start), wires its OAuth credentials into the portal,
seeds the demo users, then runs the portal (gunicorn on http://127.0.0.1:8000), a Celery worker and beat.
With PARTNER_API_CLIENT_ID set in the environment (a real Partner API), the sandbox is not started.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PY = sys.executable
PORTAL_URL = "http://127.0.0.1:8000"
SANDBOX_PORT = int(os.environ.get("SANDBOX_PORT", "8001"))
DEMO_CUSTOMERS = os.environ.get("SANDBOX_DEMO_CUSTOMERS", "200")

procs: list[tuple[str, subprocess.Popen]] = []


def start(name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen:
    proc = subprocess.Popen(args, cwd=REPO, env=env, start_new_session=True)
    procs.append((name, proc))
    return proc


def stop_all(*_: object) -> None:
    for _name, proc in reversed(procs):
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    for _name, proc in procs:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def died() -> str | None:
    """The first started process that has exited, said in words (None while all are running)."""
    for name, proc in procs:
        code = proc.poll()
        if code is not None:
            return f"The {name} process exited (code {code}); its error is printed above."
    return None


def wait_http(url: str, what: str, timeout: float = 60) -> None:
    """Wait until `url` answers; stop at once, saying which, when a process this script started dies."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        dead = died()
        if dead:
            raise SystemExit(f"{what} is not running. {dead}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"{what} did not answer at {url} within {timeout:.0f} s")


def sandbox_env(env: dict[str, str]) -> dict[str, str]:
    """Start the sandbox (seeding it on first start) and return the portal's settings for it."""
    sandbox = [PY, "-m", "sandbox"]
    first_start = not (REPO / "var" / "sandbox.sqlite3").exists()
    start("sandbox", [*sandbox, "serve", "--port", str(SANDBOX_PORT)], env)
    wait_http(f"http://127.0.0.1:{SANDBOX_PORT}/_sandbox/clock", "The sandbox")
    if first_start:
        print(f"Seeding the sandbox with {DEMO_CUSTOMERS} customers…", flush=True)
        subprocess.run(
            [*sandbox, "seed", "--customers", DEMO_CUSTOMERS, "--seed", "1"], cwd=REPO, env=env, check=True
        )
    out = subprocess.run(
        [*sandbox, "credentials", "--json"], cwd=REPO, env=env, check=True, capture_output=True
    )
    creds = json.loads(out.stdout)
    return {
        "PARTNER_API_BASE_URL": creds["base_url"],
        "PARTNER_API_TOKEN_URL": creds["token_url"],
        "PARTNER_API_AUTHORIZE_URL": creds["authorize_url"],
        "PARTNER_API_CLIENT_ID": creds["client_id"],
        "PARTNER_API_CLIENT_SECRET": creds["client_secret"],
        "PARTNER_API_SERVICE_ACCOUNT": creds["service_account"],
        "PARTNER_API_PRIVATE_KEY_FILE": creds["private_key_file"],
    }


def main() -> None:
    signal.signal(signal.SIGINT, stop_all)
    signal.signal(signal.SIGTERM, stop_all)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    (REPO / "var").mkdir(exist_ok=True)
    using_sandbox = not env.get("PARTNER_API_CLIENT_ID") and (REPO / "sandbox" / "__main__.py").exists()
    try:
        if using_sandbox:
            env.update(sandbox_env(env))
        subprocess.run([PY, "manage.py", "seed_demo_users"], cwd=REPO, env=env, check=True)
        start("worker", [PY, "-m", "celery", "-A", "portal", "worker", "-l", "INFO", "-c", "2"], env)
        start("beat", [PY, "-m", "celery", "-A", "portal", "beat", "-l", "INFO"], env)
        start(
            "web",
            [
                PY,
                "-m",
                "gunicorn",
                "portal.wsgi",
                "-b",
                "127.0.0.1:8000",
                "-w",
                "2",
                "--threads",
                "4",
                "--access-logfile",
                "-",
            ],
            env,
        )
        wait_http(f"{PORTAL_URL}/healthz", "The portal")
        subprocess.run([PY, "manage.py", "resync", "--enqueue"], cwd=REPO, env=env, check=False)
        api = (
            f"the sandbox on http://127.0.0.1:{SANDBOX_PORT}"
            if using_sandbox
            else env.get("PARTNER_API_BASE_URL")
        )
        print(
            f"\n  Partner Portal is running: {PORTAL_URL}/  (Partner API: {api})\n"
            "  Log in as manager, support, finance or admin, password: portal-demo\n"
            "  Ctrl-C stops everything.\n",
            flush=True,
        )
        while all(p.poll() is None for _n, p in procs):
            time.sleep(1)
        dead = [n for n, p in procs if p.poll() is not None]
        print(f"Stopped because {', '.join(dead)} exited.", file=sys.stderr)
    finally:
        stop_all()


if __name__ == "__main__":
    main()
