"""A production configuration passes Django's deployment checks, and every page carries the portal's
Content-Security-Policy (only its own scripts, styles and requests; nothing inline)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from portal.core.access import Role

ROOT = Path(__file__).resolve().parents[2]


def _production_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PARTNER_API_", "SECRET_KEY", "SECURE_", "DJANGO_", "DEBUG"))
    }
    env.update(
        {
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(60),
            "ALLOWED_HOSTS": "portal.example.com",
            "CSRF_TRUSTED_ORIGINS": "https://portal.example.com",
            "PARTNER_API_CLIENT_ID": "client",
            "PARTNER_API_CLIENT_SECRET": "secret",
            "PARTNER_API_SERVICE_ACCOUNT": "svc@example.com",
            "PARTNER_API_PRIVATE_KEY_FILE": "/run/secrets/partner-api.pem",
            "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO,https",
            # Behind that proxy, the header that carries the client's address (accounts.W001 otherwise).
            "SIGNIN_CLIENT_IP_HEADER": "HTTP_X_FORWARDED_FOR",
            "EMAIL_BACKEND": "",  # SMTP, as production sends
            "DEFAULT_FROM_EMAIL": "Partner Portal <portal@partner.example.co.jp>",
        }
    )
    env.update(extra)
    return env


def _check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = _check_deploy(_production_env())
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNING" not in output and "System check identified no issues" in output


def test_check_deploy_warns_when_https_is_switched_off():
    result = _check_deploy(_production_env(SECURE_SSL_REDIRECT="false", SECURE_HSTS_SECONDS="0"))
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "security.W004" in output and "security.W008" in output


def test_check_deploy_warns_when_mail_would_leave_from_localhost():
    result = _check_deploy(_production_env(DEFAULT_FROM_EMAIL="Partner Portal <portal@localhost>"))
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "portal.W001" in output and "DEFAULT_FROM_EMAIL" in output


@pytest.mark.parametrize(
    ("role", "url"),
    [(None, "/accounts/login/"), (None, "/no-such-page/"), (Role.ADMIN, "/"), (Role.SUPPORT, "/customers/")],
)
def test_every_page_carries_the_content_security_policy(client, client_as, db, role, url):
    caller = client if role is None else client_as(role)
    response = caller.get(url)
    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "<script>" not in response.content.decode() and " style=" not in response.content.decode()
