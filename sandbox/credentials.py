"""The portal's app registration: created on first start, printed by ``python -m sandbox credentials --json``."""

from __future__ import annotations

import secrets
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings

from sandbox import clock
from sandbox.models import OAuthClient

DEFAULT_ROOT = "http://127.0.0.1:8001"


def private_key_path() -> Path:
    db = Path(settings.SANDBOX_DB_PATH)
    return db.with_name(f"{db.stem}-private-key.pem")


def ensure_client() -> OAuthClient:
    """The portal's client, service account and RSA key pair; created once per sandbox database."""
    client = OAuthClient.objects.order_by("pk").first()
    key_file = private_key_path()
    if client is not None and key_file.exists():
        return client
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key_file.write_bytes(private_pem)
    key_file.chmod(0o600)
    if client is None:
        client_id = "sbx" + secrets.token_hex(10)
        client = OAuthClient.objects.create(
            client_id=client_id,
            client_secret=secrets.token_urlsafe(24),
            service_account=f"{client_id}.serviceaccount@partner-demo.by-works.com",
            public_key_pem=public_pem,
            private_key_file=str(key_file),
        )
    else:
        client.public_key_pem = public_pem
        client.private_key_file = str(key_file)
        client.save(update_fields=["public_key_pem", "private_key_file"])
    return client


def credentials(root: str | None = None) -> dict[str, str]:
    client = ensure_client()
    root = (root or clock.state().base_url or DEFAULT_ROOT).rstrip("/")
    return {
        "base_url": f"{root}/v1.0",
        "token_url": f"{root}/oauth2/v2.0/token",
        "authorize_url": f"{root}/oauth2/v2.0/authorize",
        "client_id": client.client_id,
        "client_secret": client.client_secret,
        "service_account": client.service_account,
        "private_key_file": client.private_key_file,
        "scope": "partner",
    }
