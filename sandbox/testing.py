"""Start a private sandbox for tests and talk to it.

    from sandbox.testing import start_sandbox

    sandbox = start_sandbox(seed_customers=20, rate_limit=240, token_lifetime=3600)
    api = sandbox.client()                       # JWT-bearer token with scope "partner"
    r = api.get("/partners/customers", params={"count": 5})   # validated against the contract
    sandbox.advance_clock("1d"); sandbox.set_fault("getCustomer", errorRate=1, errorStatus=503, remaining=1)
    sandbox.requests(operation_id="getCustomer"); sandbox.stop()

Each sandbox is a subprocess (``python -m sandbox serve``) on a free port of 127.0.0.1 with a fresh database in a
temporary directory. Every answer read through ``SandboxClient`` is checked against the contract's response
schema for its operation and status; a violation raises ``ContractViolation``.
"""

from __future__ import annotations

import ctypes
import functools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import jwt
import requests

from sandbox.contract import Contract, Operation, load_contract
from sandbox.directory import PORTAL_BOT_ID

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

REPO = Path(__file__).resolve().parent.parent


def contract_path() -> str:
    return os.environ.get("SANDBOX_CONTRACT") or str(REPO / "contract" / "openapi.yaml")


def contract() -> Contract:
    return load_contract(contract_path())


def messaging_contract_path() -> str:
    return os.environ.get("SANDBOX_MESSAGING_CONTRACT") or str(REPO / "contract" / "messaging.yaml")


def messaging_contract() -> Contract:
    """contract/messaging.yaml: the bot message operations and the Incoming Webhook."""
    return load_contract(messaging_contract_path())


def _operation_of(method: str, api_path: str) -> tuple[Contract, Operation]:
    """The operation of either contract (the Partner API's first) for ``method api_path``."""
    for spec in (contract(), messaging_contract()):
        op = spec.match(method, api_path)
        if op is not None:
            return spec, op
    raise ContractViolation(f"{method} {api_path} is not an operation of the contracts")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ContractViolation(AssertionError):
    pass


#: Linux's prctl option: the signal a process gets when the thread that started it ends.
_PR_SET_PDEATHSIG = 1


def ends_with_this_process() -> Callable[[], None] | None:
    """A `preexec_fn` for `subprocess.Popen`: the child gets SIGTERM when this process ends, however it ends (a
    test process killed, or stopped by a signal sent to it alone, leaves no server behind it). On Linux only,
    and only from the main thread: the kernel sends the signal when the starting thread ends, and a test
    process's main thread lives as long as the process. Elsewhere the child is left to `stop()` as before."""
    if not sys.platform.startswith("linux") or threading.current_thread() is not threading.main_thread():
        return None
    # Looked up before the fork: the child only calls into libc, taking no lock another thread may hold.
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    parent = os.getpid()

    def in_the_child() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # this process ended before the child asked for the signal
            os._exit(1)

    return in_the_child


def check_response(method: str, api_path: str, status: int, content_type: str, body: bytes) -> str | None:
    """The contract's operation for ``method api_path`` (path below /v1.0, or /message/<token> for the Incoming
    Webhook), in openapi.yaml or messaging.yaml; raises ContractViolation."""
    spec, op = _operation_of(method, api_path)
    response = op.responses.get(str(status)) or op.responses.get("default")
    if response is None:
        raise ContractViolation(f"{op.operation_id}: status {status} is not documented")
    response = spec.deref(response)
    schema = response.get("content", {}).get("application/json", {}).get("schema")
    if schema is None:
        if body.strip():
            raise ContractViolation(
                f"{op.operation_id} {status}: the contract documents no body, got {body[:200]!r}"
            )
        return op.operation_id
    if not content_type.startswith("application/json"):
        raise ContractViolation(f"{op.operation_id} {status}: Content-Type {content_type!r} is not JSON")
    try:
        document = json.loads(body)
    except ValueError:
        raise ContractViolation(f"{op.operation_id} {status}: body is not JSON: {body[:200]!r}") from None
    errors = sorted(spec.schema_validator(schema).iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        details = "; ".join(
            f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in errors[:5]
        )
        raise ContractViolation(f"{op.operation_id} {status}: {details}")
    return op.operation_id


def portal_settings(credentials: dict[str, str]) -> dict[str, str]:
    """The portal's PARTNER_API_* settings for a sandbox's credentials (as `python -m sandbox credentials --json`
    prints them), as environment variables or to set one by one on django.conf.settings; the caller adds its own
    rate limit or timeouts."""
    return {
        "PARTNER_API_BASE_URL": credentials["base_url"],
        "PARTNER_API_TOKEN_URL": credentials["token_url"],
        "PARTNER_API_AUTHORIZE_URL": credentials["authorize_url"],
        "PARTNER_API_CLIENT_ID": credentials["client_id"],
        "PARTNER_API_CLIENT_SECRET": credentials["client_secret"],
        "PARTNER_API_SERVICE_ACCOUNT": credentials["service_account"],
        "PARTNER_API_PRIVATE_KEY_FILE": credentials["private_key_file"],
        # The partner tenant's bot and Incoming Webhook URLs (sandbox/directory.py), served at the server's root.
        "LINE_WORKS_BOT_ID": str(PORTAL_BOT_ID),
        "LINE_WORKS_WEBHOOK_URL_PREFIX": "{0.scheme}://{0.netloc}/message/".format(
            urlsplit(credentials["base_url"])
        ),
    }


@dataclass
class SandboxClient:
    """A requests session with a bearer token; every answer is validated against the contract."""

    sandbox: Sandbox
    token: str
    validate: bool = True
    session: requests.Session = field(default_factory=requests.Session)
    checked: list[str] = field(default_factory=list)

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        kwargs.setdefault("timeout", 30)
        response = self.session.request(method, self.sandbox.base_url + path, headers=headers, **kwargs)
        if self.validate:
            api_path = path.split("?")[0]
            operation = check_response(
                method,
                api_path,
                response.status_code,
                response.headers.get("Content-Type", ""),
                response.content,
            )
            self.checked.append(f"{operation} {response.status_code}")
        return response

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)

    def messages(self, **filters: Any) -> list[dict]:
        """What the sandbox recorded as posted (`Sandbox.messages`)."""
        return self.sandbox.messages(**filters)


@dataclass
class Sandbox:
    root: str  # http://127.0.0.1:PORT
    credentials: dict[str, str]
    process: subprocess.Popen
    env: dict[str, str]
    workdir: Path
    owns_workdir: bool = True
    #: Customers whose facts `customer_facts` changed (the request log holds API calls only).
    facts_changed: set[int] = field(default_factory=set)

    @property
    def base_url(self) -> str:
        return self.root + "/v1.0"

    def portal_settings(self) -> dict[str, str]:
        """The portal's PARTNER_API_* settings that point it at this sandbox (`portal_settings`)."""
        return portal_settings(self.credentials)

    # --- OAuth --------------------------------------------------------------------------------------------

    def assertion(self, *, lifetime: int = 600, **claims: Any) -> str:
        now = int(time.time())
        payload = {
            "iss": self.credentials["client_id"],
            "sub": self.credentials["service_account"],
            "iat": now,
            "exp": now + lifetime,
            **claims,
        }
        key = _private_key(Path(self.credentials["private_key_file"]).read_text())
        return jwt.encode(payload, key, algorithm="RS256")

    def token_response(self, scope: str = "partner") -> dict[str, Any]:
        response = requests.post(
            self.credentials["token_url"],
            data={
                "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                "assertion": self.assertion(),
                "client_id": self.credentials["client_id"],
                "client_secret": self.credentials["client_secret"],
                "scope": scope,
            },
            timeout=30,
        )
        response.raise_for_status()
        return response.json()

    def token(self, scope: str = "partner") -> str:
        return self.token_response(scope)["access_token"]

    def client(self, scope: str = "partner", *, validate: bool = True) -> SandboxClient:
        return SandboxClient(self, self.token(scope), validate=validate)

    # --- The identity provider (sandbox/api/oidc.py) ------------------------------------------------------

    @property
    def oidc_issuer(self) -> str:
        return self.root + "/oidc"

    def oidc_settings(self, **overrides: str) -> dict[str, str]:
        """The portal's OIDC_* settings that point its "Sign in with ..." at this sandbox's identity provider,
        with its seeded groups mapped to the four roles."""
        provider = self.admin("GET", "oidc/people")
        role_groups = ",".join(f"{role}:{group}" for role, group in provider["roleGroups"].items())
        return {
            "OIDC_ISSUER": provider["issuer"],
            "OIDC_CLIENT_ID": provider["clientId"],
            "OIDC_CLIENT_SECRET": provider["clientSecret"],
            "OIDC_PROVIDER_NAME": "Sandbox IdP",
            "OIDC_ROLE_GROUPS": role_groups,
            **overrides,
        }

    def oidc_person(self, sub: str, **fields: Any) -> dict[str, Any]:
        """Add or replace a person of the identity provider: username, name, email, emailVerified, groups."""
        return self.admin("PUT", f"oidc/people/{sub}", fields)

    def oidc_faults(self, **faults: Any) -> dict[str, Any]:
        """Spoil the next ID tokens on purpose: aud="...", iss="...", expired=True, other_key=True; none clears."""
        return self.admin("PUT", "oidc/faults", faults)

    # --- /_sandbox ----------------------------------------------------------------------------------------

    def admin(self, method: str, path: str, body: dict | None = None, **params: Any) -> Any:
        response = requests.request(
            method, f"{self.root}/_sandbox/{path}", json=body, params=params, timeout=60
        )
        if response.status_code >= 400:
            raise RuntimeError(f"/_sandbox/{path}: {response.status_code} {response.text}")
        return response.json() if response.content else None

    def clock(self) -> dict[str, Any]:
        return self.admin("GET", "clock")

    def today(self):
        import datetime as dt

        return dt.date.fromisoformat(self.clock()["today"])

    def advance_clock(self, amount: str | int = "1d") -> dict[str, Any]:
        return self.admin("POST", "clock", {"advance": str(amount)})

    def set_clock(self, date: str) -> dict[str, Any]:
        return self.admin("POST", "clock", {"date": str(date)})

    def set_fault(self, operation_id: str, **fields: Any) -> dict[str, Any]:
        """Fields: latencyMs, errorRate, errorStatus (500|503), timeoutRate, timeoutSeconds, dropRate,
        afterHandler, remaining."""
        return self.admin("PUT", f"faults/{operation_id}", fields)

    def clear_faults(self) -> None:
        self.admin("DELETE", "faults")

    def requests(
        self, operation_id: str | None = None, since: int | None = None, limit: int = 1000
    ) -> list[dict]:
        params: dict[str, Any] = {"limit": limit}
        if operation_id:
            params["operationId"] = operation_id
        if since is not None:
            params["since"] = since
        return self.admin("GET", "requests", **params)["requests"]

    def clear_requests(self) -> None:
        """Clear the log and the counts."""
        self.admin("DELETE", "requests")

    def request_counts(self) -> dict[str, dict[int, int]]:
        """Every request since the log was last cleared, by operation and status: {operationId: {status: n}}
        (all of them, however many the trimmed log still holds)."""
        counts = self.admin("GET", "requests/counts")["counts"]
        return {op: {int(status): n for status, n in by_status.items()} for op, by_status in counts.items()}

    def configure(self, **fields: Any) -> dict[str, Any]:
        """rateLimit (None = default), tokenLifetime (seconds), resetRateLimits (bool)."""
        return self.admin("PUT", "config", fields)

    def customer_facts(self, domain_id: int, **facts: Any) -> dict[str, Any]:
        """adminAcceptedTerms, dnsRecordsFound, memberCount, hasNonRealtimePaidApp, isPartnerOwn, otherProductIds."""
        if facts:
            self.facts_changed.add(domain_id)
        return self.admin("PATCH" if facts else "GET", f"customers/{domain_id}", facts or None)

    # --- messaging (contract/messaging.yaml) -------------------------------------------------------------

    def messages(self, **filters: Any) -> list[dict]:
        """Every message accepted, oldest first, as posted: filters kind (user, channel, webhook), botId, userId,
        channelId, webhookToken, since (an id), limit. Each: id, kind, botId, userId, addressedAs, channelId,
        webhookToken, webhookTitle, content, shownText, receivedAt (sandbox clock, UTC), businessDate."""
        params = {"limit": 5000, **{k: v for k, v in filters.items() if v is not None}}
        return self.admin("GET", "messages", **params)["messages"]

    def clear_messages(self) -> None:
        self.admin("DELETE", "messages")

    def messaging(self) -> dict[str, Any]:
        """The bots, users, talk rooms and Webhook URLs (with their url) the messaging endpoints know."""
        return self.admin("GET", "messaging")

    def create_webhook(self, title: str, channel_id: str) -> dict[str, Any]:
        """Issue a new Webhook URL for a talk room: {token, url, title, channelId}."""
        return self.admin("POST", "webhooks", {"title": title, "channelId": channel_id})

    def post_webhook(
        self, token: str, body: Any, *, validate: bool = True, **kwargs: Any
    ) -> requests.Response:
        """POST to the Incoming Webhook URL of `token`; the answer is checked against contract/messaging.yaml."""
        kwargs.setdefault("timeout", 30)
        response = requests.post(f"{self.root}/message/{token}", json=body, **kwargs)
        if validate:
            check_response(
                "POST",
                f"/message/{token}",
                response.status_code,
                response.headers.get("Content-Type", ""),
                response.content,
            )
        return response

    # --- CLI on the same database -------------------------------------------------------------------------

    def cli(self, *args: str, timeout: float = 300) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "sandbox", *args],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"python -m sandbox {' '.join(args)} failed: {done.stderr or done.stdout}")
        return done.stdout

    def seed(self, customers: int, seed: int = 1) -> str:
        return self.cli("seed", "--customers", str(customers), "--seed", str(seed))

    def reset(self) -> None:
        self.cli("reset")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self.owns_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_sandbox(
    *,
    seed_customers: int = 0,
    seed: int = 1,
    rate_limit: int | None = None,
    token_lifetime: int | None = None,
    refresh_rotation: bool | None = None,
    threads: int = 8,
    workdir: str | Path | None = None,
    extra_env: dict[str, str] | None = None,
    ready_timeout: float = 60,
    port: int | None = None,
) -> Sandbox:
    """A sandbox server in a subprocess on `port` (default: a free port), with a fresh database; ready when this
    returns."""
    owns = workdir is None
    work = Path(workdir or tempfile.mkdtemp(prefix="sandbox-"))
    work.mkdir(parents=True, exist_ok=True)
    env = _server_env(work, rate_limit, token_lifetime, refresh_rotation, extra_env)
    port = port or free_port()
    credentials_file = work / "credentials.json"
    credentials_file.unlink(missing_ok=True)
    log = open(work / "server.log", "w")  # noqa: SIM115 - lives as long as the process
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sandbox",
            "serve",
            "--port",
            str(port),
            "--threads",
            str(threads),
            "--seed-customers",
            str(seed_customers),
            "--seed",
            str(seed),
            "--credentials-file",
            str(credentials_file),
        ],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        preexec_fn=ends_with_this_process(),
    )
    root = f"http://127.0.0.1:{port}"
    _wait_ready(process, root, work / "server.log", ready_timeout)
    return Sandbox(
        root=root,
        credentials=json.loads(credentials_file.read_text()),
        process=process,
        env=env,
        workdir=work,
        owns_workdir=owns,
    )


def _server_env(
    work: Path,
    rate_limit: int | None,
    token_lifetime: int | None,
    refresh_rotation: bool | None,
    extra_env: dict[str, str] | None,
) -> dict[str, str]:
    """The server's environment: this process's, with the sandbox's settings, its database in `work`, and the
    options given (None: the sandbox's default)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "SANDBOX_DATABASE_URL")}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "sandbox.settings",
            "SANDBOX_DB": str(work / "sandbox.sqlite3"),
            "SANDBOX_CONTRACT": contract_path(),
            "SANDBOX_MESSAGING_CONTRACT": messaging_contract_path(),
            "PYTHONUNBUFFERED": "1",
        }
    )
    if rate_limit is not None:
        env["SANDBOX_RATE_LIMIT"] = str(rate_limit)
    if token_lifetime is not None:
        env["SANDBOX_TOKEN_LIFETIME"] = str(token_lifetime)
    if refresh_rotation is not None:
        env["SANDBOX_REFRESH_ROTATION"] = "true" if refresh_rotation else "false"
    env.update(extra_env or {})
    return env


def _wait_ready(process: subprocess.Popen, root: str, log: Path, ready_timeout: float) -> None:
    """Until the server at `root` answers its health check; the server's log's end if it exits first."""
    deadline = time.monotonic() + ready_timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the sandbox exited: {log.read_text()[-2000:]}")
        try:
            if requests.get(f"{root}/_sandbox/health", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"the sandbox did not start in {ready_timeout} s")
        time.sleep(0.1)


def iter_pages(client: SandboxClient, path: str, key: str, **params: Any) -> Iterator[dict]:
    """Every item of a cursor-paginated list."""
    cursor = None
    while True:
        query = dict(params, **({"cursor": cursor} if cursor else {}))
        body = client.get(path, params=query).json()
        yield from body.get(key, [])
        cursor = (body.get("responseMetaData") or {}).get("nextCursor")
        if not cursor:
            return


@functools.lru_cache(maxsize=4)
def _private_key(pem: str) -> PrivateKeyTypes:
    """The service account's private key, loaded once per PEM: loading checks the key's arithmetic, which costs
    far more than signing, and a test process signs an assertion for every sandbox client it makes. Keyed by the
    PEM itself, so a key written anew to the same file is loaded anew."""
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    return load_pem_private_key(pem.encode(), password=None)
