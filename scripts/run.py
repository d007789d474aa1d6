"""`make run`: the whole portal on one machine, stopped together with Ctrl-C.

Starts the Partner API sandbox (port 8001, seeded on first start), wires its OAuth credentials into the portal,
seeds the demo users, then runs the portal (gunicorn on http://127.0.0.1:8000), a Celery worker and beat, and
fetches billing's invoices once the first sync is done (beat fetches them again at 06:00 and 18:00).
With PARTNER_API_CLIENT_ID set in the environment (a real Partner API), the sandbox is not started.

Quiet for people: each process writes to var/log/<name>.log, the terminal shows the log-in banner, the first
sync's progress on one line, the banner again when that sync is done, and one line on Ctrl-C. A process that
dies is named with the last lines of its log. `make run VERBOSE=1` shows every process's output instead.
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
VERBOSE = os.environ.get("VERBOSE", "") not in ("", "0")
LOGS = Path(os.environ.get("RUN_LOG_DIR") or REPO / "var" / "log")

procs: list[tuple[str, subprocess.Popen]] = []
stopping = False


def log_path(name: str) -> Path:
    return LOGS / f"{name}.log"


def shown(path: Path) -> str:
    """A path as people read it: relative to the repository when inside it."""
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


def output(name: str) -> dict:
    """Where a process's output goes: the terminal with VERBOSE=1, else its own log file (appended)."""
    if VERBOSE:
        return {}
    LOGS.mkdir(parents=True, exist_ok=True)
    return {"stdout": log_path(name).open("ab"), "stderr": subprocess.STDOUT}


def start(name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen:
    proc = subprocess.Popen(args, cwd=REPO, env=env, start_new_session=True, **output(name))
    procs.append((name, proc))
    return proc


def step(name: str, args: list[str], env: dict[str, str], **kwargs) -> subprocess.CompletedProcess:
    """A one-off command (seeding, demo users), quiet like the rest; its log is named if it fails."""
    try:
        return subprocess.run(args, cwd=REPO, env=env, check=True, **output(name), **kwargs)
    except subprocess.CalledProcessError as exc:
        raise SystemExit(f"{name} failed (code {exc.returncode}).{tail(name)}") from None


def tail(name: str, lines: int = 15) -> str:
    """The last lines of a process's log, to print when it failed (nothing with VERBOSE=1: it is on screen)."""
    path = log_path(name)
    if VERBOSE or not path.exists():
        return ""
    text = path.read_text(encoding="utf-8", errors="replace").rstrip().splitlines()[-lines:]
    return f"\nLast lines of {shown(path)}:\n" + "\n".join(f"  {line}" for line in text)


def request_stop(*_: object) -> None:
    """Ctrl-C or SIGTERM: the main loop stops everything and says so in one line."""
    global stopping
    stopping = True


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
            where = "its error is printed above" if VERBOSE else f"see {shown(log_path(name))}"
            return f"The {name} process exited (code {code}); {where}.{tail(name)}"
    return None


def wait_http(url: str, what: str, timeout: float = 60) -> None:
    """Wait until `url` answers; stop at once, saying which, when a process this script started dies."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if stopping:
            raise SystemExit(0)
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
        step("sandbox-seed", [*sandbox, "seed", "--customers", DEMO_CUSTOMERS, "--seed", "1"], env)
    out = subprocess.run(
        [*sandbox, "credentials", "--json"], cwd=REPO, env=env, check=True, capture_output=True
    )
    from sandbox.testing import portal_settings

    return portal_settings(json.loads(out.stdout))


#: The demo authenticators' key as apps take it (seed_demo_users' DEMO_TOTP_KEY in base32).
DEMO_TOTP_SECRET = "OBQXE5DOMVZC24DPOJ2GC3BNMRSW23ZB"


def banner(api: str) -> str:
    return (
        f"\n  Partner Portal is running: {PORTAL_URL}/  (Partner API: {api})\n"
        "  Log in as manager, support, finance or admin, password: portal-demo\n"
        "  manager and admin also type a code: `.venv/bin/python manage.py demo_code` prints it, or add the\n"
        f"  demo key {DEMO_TOTP_SECRET} to an authenticator app\n"
        f"  Logs: {shown(LOGS)}/ (make run VERBOSE=1 shows them here). Ctrl-C stops everything.\n"
    )


def after_sync(env: dict[str, str], *, using_sandbox: bool, synced: bool) -> None:
    """What follows the sync: after a sync of the sandbox, the demo's owners (the demo's Account manager looks
    after most of its customers: their home page, digest and feed hold their own customers' work); then billing's
    partner-wide walks (the last closed month's invoice and details, the running month's invoices), which beat
    makes only at 06:00 and 18:00, so Finance's first home has the last invoice. A walk that fails is said in a
    line and leaves the portal running (the Sync page shows why; beat tries again)."""
    if synced and using_sandbox:
        step("demo-owners", [PY, "manage.py", "seed_demo_owners"], env)
    try:
        step("billing", [PY, "manage.py", "resync", "--billing"], env)
    except SystemExit as failed:
        print(f"Billing's invoices could not be fetched; the Sync page shows why. {failed}", flush=True)


def main() -> None:
    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    (REPO / "var").mkdir(exist_ok=True)
    using_sandbox = not env.get("PARTNER_API_CLIENT_ID") and (REPO / "sandbox" / "__main__.py").exists()
    # Every process logs one structured line per request or task at INFO (portal/logs.py): to its own file
    # under var/log/, or with VERBOSE=1 to the terminal.
    env.setdefault("LOG_LEVEL", "INFO")
    follow = None
    try:
        if using_sandbox:
            env.update(sandbox_env(env))
        step("demo-users", [PY, "manage.py", "seed_demo_users"], env)
        start("worker", [PY, "-m", "celery", "-A", "portal", "worker", "-c", "2"], env)
        start("beat", [PY, "-m", "celery", "-A", "portal", "beat"], env)
        start(
            "web",
            [
                PY,
                "-m",
                "gunicorn",
                "portal.wsgi",
                "-c",
                "gunicorn.conf.py",  # workers and threads from the machine, as in the README's deployment
                "-b",
                "127.0.0.1:8000",
            ],
            env,
        )
        wait_http(f"{PORTAL_URL}/healthz", "The portal")
        api = (
            f"the sandbox on http://127.0.0.1:{SANDBOX_PORT}"
            if using_sandbox
            else env.get("PARTNER_API_BASE_URL")
        )
        print(banner(api), flush=True)
        # The sync (the first one, or a resync of the data an earlier `make run` left), followed on one line below
        # the banner; the banner comes again when it is done.
        # Its progress line goes to the terminal; its warnings (kombu's, say) and errors to var/log/first-sync.log.
        errors = {} if VERBOSE else {"stderr": output("first-sync")["stdout"]}
        follow = subprocess.Popen(
            [PY, "manage.py", "resync", "--enqueue", "--follow"],
            cwd=REPO,
            env=env,
            start_new_session=True,
            **errors,
        )
        while not stopping and not died():
            if follow is not None and follow.poll() is not None:
                if follow.returncode:
                    print(f"The sync could not be followed.{tail('first-sync')}", flush=True)
                after_sync(env, using_sandbox=using_sandbox, synced=not follow.returncode)
                follow = None
                print(banner(api), flush=True)
            time.sleep(0.2)
        if not stopping:
            print(f"\nStopped: {died()}", file=sys.stderr, flush=True)
            raise SystemExit(1)
    finally:
        if follow is not None and follow.poll() is None:
            os.killpg(follow.pid, signal.SIGTERM)
        if stopping:
            print("\nStopping the portal… ", end="", flush=True)
        stop_all()
        if stopping:
            print("stopped.", flush=True)


if __name__ == "__main__":
    main()
