"""Helpers for the subscriptions, options and billing tests: customers and subscriptions built through the API."""

from __future__ import annotations

import datetime as dt
import itertools
import os

from sandbox.testing import SandboxClient

_counter = itertools.count()
BASE = "/partners/customers"


def unique(prefix: str) -> str:
    return f"{prefix}{os.getpid() % 10000:04d}{next(_counter):05d}"


def new_customer(api: SandboxClient, *, group: bool = False, product: str | None = None) -> int:
    """A new customer (group name under by-works.com, or a domain name) with no subscription unless ``product``."""
    name = unique("g") if group else unique("d") + ".jp"
    body = {
        "domain": name,
        "companyName": "Sandbox Test K.K.",
        "phoneNumber": "03-1234-5678",
        "timeZone": "Asia/Tokyo",
        "locale": "ja_JP",
        "administrator": {
            "lastName": "Tanaka",
            "firstName": "Ken",
            "password": "Passw0rd99",
            "id": "admin",
            "privateEmail": "admin@example.com",
        },
    }
    if product:
        body["productId"] = product
    response = api.post(BASE, json=body)
    assert response.status_code == 201, response.text
    return response.json()["domainId"]


def subs_path(domain_id: int, sub_id: int | str | None = None, tail: str = "") -> str:
    path = f"{BASE}/{domain_id}/subscriptions"
    if sub_id is not None:
        path += f"/{sub_id}"
    return path + tail


def create_sub(api: SandboxClient, domain_id: int, product: str, plan: str, licenses: int | None = None):
    body = {"productId": product, "plan": plan}
    if licenses is not None:
        body["licenseCount"] = licenses
    return api.post(subs_path(domain_id), json=body)


def trial_customer(api: SandboxClient, product: str = "STD_T", *, group: bool = False) -> tuple[int, dict]:
    domain_id = new_customer(api, group=group)
    response = create_sub(api, domain_id, product, "TRIAL")
    assert response.status_code == 201, response.text
    return domain_id, response.json()


def free_customer(api: SandboxClient, *, group: bool = False) -> tuple[int, dict]:
    domain_id = new_customer(api, group=group)
    response = create_sub(api, domain_id, "FR", "FREE")
    assert response.status_code == 201, response.text
    return domain_id, response.json()


def paid_customer(
    api: SandboxClient, product: str = "STD", plan: str = "ANNUAL_LICENSE", licenses: int | None = 10
) -> tuple[int, dict]:
    domain_id, sub = trial_customer(api, f"{product}_T")
    body = {"plan": plan}
    if plan != "MONTHLY":
        body["licenseCount"] = licenses
    response = api.post(subs_path(domain_id, sub["subscriptionId"], "/paid-service"), json=body)
    assert response.status_code == 200, response.text
    return domain_id, response.json()


def rule_of(response) -> str:
    return response.headers.get("X-Sandbox-Rule", "")


def refused(response, name: str, status: int = 400) -> None:
    assert response.status_code == status, response.text
    assert rule_of(response) == name, (rule_of(response), response.text)


def day(today: dt.date, days: int) -> str:
    return (today + dt.timedelta(days=days)).isoformat()


def options_path(domain_id: int, tail: str = "") -> str:
    return f"{BASE}/{domain_id}/option-products{tail}"


def orders_path(domain_id: int, tail: str = "") -> str:
    return f"{BASE}/{domain_id}/option-product-orders{tail}"


def add_option(api: SandboxClient, domain_id: int, option: str, sub_option: str, **extra):
    return api.post(
        options_path(domain_id), json={"optionProductId": option, "subOptionId": sub_option, **extra}
    )
