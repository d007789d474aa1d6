"""Requests the portal cannot read get the portal's own 400 or 413 page, never a 500, and are refused before
their body is read. Anonymous callers included: these answers come before sign-in."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from portal.core.access import Role

FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def anonymous(db):
    return Client(raise_request_exception=False)


@pytest.mark.parametrize(
    ("charset", "body"),
    [
        ("utf-16", "username=a&password=b".encode("utf-16")),
        ("utf-32", "username=a".encode("utf-32")),
        ("shift_jis", "username=さくら".encode("cp932")),
        ("no-such-encoding", b"username=a"),
    ],
)
def test_a_form_in_an_unreadable_encoding_gets_400(anonymous, charset, body):
    response = anonymous.generic(
        "POST", reverse("login"), data=body, content_type=f"{FORM}; charset={charset}"
    )
    assert response.status_code == 400
    assert "The request could not be read" in response.content.decode()


def test_a_form_that_declares_utf_8_is_read(anonymous):
    body = "username=さくら&password=x".encode()
    response = anonymous.generic("POST", reverse("login"), data=body, content_type=f"{FORM}; charset=UTF-8")
    assert response.status_code == 200  # the login form again, with its error


def test_a_body_over_the_limit_is_refused_before_it_is_read(settings, client_as):
    settings.PORTAL_MAX_REQUEST_BYTES = 1000
    manager = client_as(Role.ACCOUNT_MANAGER)
    read = []

    class Body:
        """A body that records being read: a refusal must not read it."""

        def read(self, *args):
            read.append(args)
            return b""

        readline = read

    response = manager.generic(
        "POST",
        reverse("customers:list"),
        content_type=FORM,
        CONTENT_LENGTH="50000000",
        **{"wsgi.input": Body()},
    )
    assert response.status_code == 413
    assert "Too much data was sent" in response.content.decode()
    assert read == []


@pytest.mark.parametrize(
    "length", ["12abc", "\u00b2", "\u2460"]
)  # the last two: digits to str.isdigit() only
def test_a_malformed_content_length_gets_400(anonymous, length):
    response = anonymous.generic(
        "POST", reverse("login"), data=b"x", content_type=FORM, CONTENT_LENGTH=length
    )
    assert response.status_code == 400


def test_a_body_within_the_limit_goes_through(settings, anonymous):
    settings.PORTAL_MAX_REQUEST_BYTES = 1000
    response = anonymous.post(reverse("login"), {"username": "x" * 500, "password": "y"})
    assert response.status_code == 200


def test_the_refusal_pages_are_translated(anonymous):
    anonymous.cookies["django_language"] = "ja"
    response = anonymous.generic(
        "POST", reverse("login"), data="a=b".encode("utf-16"), content_type=f"{FORM}; charset=utf-16"
    )
    assert response.status_code == 400
    assert '<html lang="ja">' in response.content.decode()
    assert "リクエストを読み取れませんでした" in response.content.decode()
