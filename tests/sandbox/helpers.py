"""Small helpers shared by the sandbox tests."""

from __future__ import annotations

import datetime as dt
import uuid


def unique_group() -> str:
    return "t" + uuid.uuid4().hex[:12]


def customer_body(domain: str | None = None, **overrides) -> dict:
    body = {
        "domain": domain or unique_group(),
        "companyName": "テスト商事株式会社",
        "phoneNumber": "03-1234-5678",
        "timeZone": "Asia/Tokyo",
        "locale": "ja_JP",
        "administrator": {
            "lastName": "佐藤",
            "firstName": "太郎",
            "password": "Passw0rd123",
            "id": "admin",
            "privateEmail": "admin@example.com",
        },
    }
    body.update(overrides)
    return body


def create_customer(client, domain: str | None = None, **overrides) -> dict:
    response = client.post("/partners/customers", json=customer_body(domain, **overrides))
    assert response.status_code == 201, response.text
    return response.json()


def days(day: dt.date, n: int) -> str:
    return (day + dt.timedelta(days=n)).isoformat()


def assert_rule(response, name: str, status: int = 400) -> None:
    assert response.status_code == status, response.text
    assert response.headers.get("X-Sandbox-Rule") == name, (
        response.headers.get("X-Sandbox-Rule"),
        response.text,
    )
