"""The home page welcomes a person as their language writes a name: 「ようこそ、佐藤 愛子さん」 (family name first,
さん joined to the name), "Welcome, Aiko Sato"; the top bar's user menu writes the name the same way."""

from __future__ import annotations

import pytest
from django.test import Client

from portal.core.access import Role
from tests.fixtures.personas import make_persona

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "given", "family", "welcome", "menu"),
    [
        ("ja", "愛子", "佐藤", "ようこそ、佐藤 愛子さん", "佐藤 愛子"),
        ("en", "Aiko", "Sato", "Welcome, Aiko Sato", "Aiko Sato"),
        ("ja", "Aiko", "Sato", "ようこそ、Sato Aikoさん", "Sato Aiko"),
        ("en", "愛子", "佐藤", "Welcome, 佐藤 愛子", "佐藤 愛子"),
    ],
)
def test_the_home_page_welcomes_a_person_by_name_in_the_order_of_the_language(
    language, given, family, welcome, menu
):
    user = make_persona(Role.SUPPORT)
    user.first_name, user.last_name = given, family
    user.save()
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = language
    page = client.get("/").content.decode()
    assert f"<h1>{welcome}</h1>" in page
    assert f'<span class="user-name">{menu}</span>' in page


def test_a_person_without_a_name_is_welcomed_by_their_user_name(client_as):
    client = client_as(Role.SUPPORT)
    user_name = "support-persona"
    from django.contrib.auth import get_user_model

    get_user_model().objects.filter(username=user_name).update(first_name="", last_name="")
    client.cookies["django_language"] = "ja"
    assert f"<h1>ようこそ、{user_name}さん</h1>" in client.get("/").content.decode()


@pytest.mark.parametrize(
    ("language", "given", "family", "label"),
    [
        ("ja", "愛子", "佐藤", "佐藤 愛子 (aiko)"),
        ("en", "愛子", "佐藤", "佐藤 愛子 (aiko)"),
        ("ja", "Aiko", "Sato", "Sato Aiko (aiko)"),
        ("en", "Aiko", "Sato", "Aiko Sato (aiko)"),
    ],
)
def test_a_person_chosen_in_a_list_is_named_as_the_readers_language_writes_names(
    language, given, family, label
):
    """The owner form's and the Owner filter's choices name each person (accounts.selectors.person_label)."""
    from django.utils import translation

    from accounts.selectors import person_label

    with translation.override(language):
        assert person_label(username="aiko", first_name=given, last_name=family) == label
