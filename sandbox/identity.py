"""The company's identity provider, as the sandbox plays it (`sandbox.api.oidc` answers its OpenID Connect
endpoints): the people who can sign in, with their groups, the provider's signing key, and the codes and access
tokens it has issued.

People, codes and tokens live in the server's one process (gunicorn serves the sandbox with one process and
threads), not in the database: a restart starts again from the seeded people. The signing key is kept beside the
sandbox's database, so the JWKS a portal has read stays valid across restarts.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import hashlib
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings

#: The groups the seeded people are in that give a portal role; `make run` maps them (docs/sign-in.md).
ROLE_GROUPS = {
    "admin": "portal-admins",
    "account_manager": "portal-account-managers",
    "support": "portal-support",
    "finance": "portal-finance",
}
CODE_LIFETIME = 300
ACCESS_TOKEN_LIFETIME = 3600
ID_TOKEN_LIFETIME = 600


@dataclass
class Person:
    """Someone with a company account: `sub` is the provider's stable id for them."""

    sub: str
    username: str
    name: str
    email: str
    email_verified: bool = True
    groups: list[str] = field(default_factory=list)

    def claims(self) -> dict[str, Any]:
        family, _space, given = self.name.partition(" ")  # the seeded names are written family name first
        return {
            "sub": self.sub,
            "preferred_username": self.username,
            "name": self.name,
            "family_name": family,
            "given_name": given,
            "email": self.email,
            "email_verified": self.email_verified,
            "groups": list(self.groups),
        }


SEEDED = (
    Person("idp-0001", "aoki", "Aoki Haruto", "aoki@partner-demo.example", True, ["portal-admins", "staff"]),
    Person("idp-0002", "sato", "Sato Hanako", "sato@partner-demo.example", True, ["portal-account-managers"]),
    Person("idp-0003", "suzuki", "Suzuki Ichiro", "suzuki@partner-demo.example", True, ["portal-support"]),
    Person("idp-0004", "tanaka", "Tanaka Yui", "tanaka@partner-demo.example", True, ["portal-finance"]),
    Person("idp-0005", "ito", "Ito Ren", "ito@partner-demo.example", True, ["staff"]),
)


@dataclass
class Grant:
    """An authorization code, or an access token, as issued."""

    sub: str
    client_id: str
    scope: str
    expires: float
    redirect_uri: str = ""
    nonce: str = ""
    code_challenge: str = ""
    code_challenge_method: str = ""
    auth_time: int = 0


_lock = threading.Lock()
_people: dict[str, Person] = {}
_codes: dict[str, Grant] = {}
_tokens: dict[str, Grant] = {}
#: What the next ID tokens get wrong on purpose (tests of the portal's checks): aud, iss, expired, other_key.
_faults: dict[str, Any] = {}


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def people() -> list[Person]:
    with _lock:
        if not _people:
            _people.update({p.sub: dataclasses.replace(p, groups=list(p.groups)) for p in SEEDED})
        return list(_people.values())


def person(sub: str) -> Person | None:
    return next((p for p in people() if p.sub == sub), None)


def person_put(person: Person) -> None:
    people()
    with _lock:
        _people[person.sub] = person


def faults_set(faults: dict[str, Any]) -> dict[str, Any]:
    with _lock:
        _faults.clear()
        _faults.update({k: v for k, v in faults.items() if k in ("aud", "iss", "expired", "other_key") and v})
        return dict(_faults)


def faults() -> dict[str, Any]:
    with _lock:
        return dict(_faults)


def code_issue(grant: Grant) -> str:
    code = secrets.token_urlsafe(32)
    with _lock:
        _codes[_digest(code)] = grant
    return code


def code_redeem(code: str) -> Grant | None:
    """The grant of an unexpired code, which is used up (a code works once)."""
    with _lock:
        grant = _codes.pop(_digest(code), None)
    return grant if grant is not None and grant.expires > time.time() else None


def token_issue(grant: Grant) -> str:
    token = secrets.token_urlsafe(32)
    with _lock:
        _tokens[_digest(token)] = dataclasses.replace(grant, expires=time.time() + ACCESS_TOKEN_LIFETIME)
    return token


def token_grant(token: str) -> Grant | None:
    with _lock:
        grant = _tokens.get(_digest(token))
    return grant if grant is not None and grant.expires > time.time() else None


def client_credentials() -> tuple[str, str]:
    """The portal's registration with the provider: client id and secret."""
    return settings.SANDBOX_OIDC_CLIENT_ID, settings.SANDBOX_OIDC_CLIENT_SECRET


def redirect_uri_allowed(uri: str) -> bool:
    return any(uri.startswith(prefix) for prefix in settings.SANDBOX_OIDC_REDIRECT_PREFIXES.split())


# --- The signing key -------------------------------------------------------------------------------------


def _key_path() -> Path:
    db = Path(settings.SANDBOX_DB_PATH)
    return db.with_name(f"{db.stem}-oidc-signing-key.pem")


@functools.cache
def signing_key() -> rsa.RSAPrivateKey:
    """The provider's RS256 key: made once per sandbox database, kept beside it."""
    path = _key_path()
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        return key
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    path.chmod(0o600)
    return key


@functools.cache
def stranger_key() -> rsa.RSAPrivateKey:
    """A key the JWKS does not hold (the `other_key` fault)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def key_id(key: rsa.RSAPrivateKey) -> str:
    numbers = key.public_key().public_numbers()
    n = numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(hashlib.sha256(n).digest()[:12]).decode().rstrip("=")
