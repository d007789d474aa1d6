"""The API's OpenAPI document (`/api/v1/openapi.json`) answers in the request's language, each time, however many
times it is asked for in one process in each language (it is made once per language), and each answer is whole
on its own: the customer filters added to the list endpoints once, not once more per earlier answer."""

from __future__ import annotations

import pytest
from django.urls import reverse

from portal.core.access import Role
from portal.core.lists import customer_filters

pytestmark = pytest.mark.django_db


def _document(client, language: str) -> dict:
    answer = client.get(reverse("api:schema"), headers={"accept-language": language})
    assert answer.status_code == 200
    return answer.json()


def _customer_filters(document: dict) -> list[list[str]]:
    names = {found.name for found in customer_filters()}
    return [
        [p["name"] for p in operation.get("parameters", []) if p["name"] in names]
        for methods in document["paths"].values()
        for operation in methods.values()
    ]


def test_the_document_answers_in_each_request_s_language_every_time(client_as):
    client = client_as(Role.SUPPORT)
    english, japanese = _document(client, "en"), _document(client, "ja")
    assert english != japanese
    english_words = {
        p.get("description")
        for m in english["paths"].values()
        for o in m.values()
        for p in o.get("parameters", [])
    }
    japanese_words = {
        p.get("description")
        for m in japanese["paths"].values()
        for o in m.values()
        for p in o.get("parameters", [])
    }
    assert any(
        word and any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in word)
        for word in japanese_words
    )
    assert not any(word and any("\u3040" <= ch <= "\u30ff" for ch in word) for word in english_words)
    assert _document(client, "en") == english and _document(client, "ja") == japanese


def test_each_answer_has_the_customer_filters_once(client_as):
    client = client_as(Role.SUPPORT)
    first = _customer_filters(_document(client, "en"))
    assert any(first), "the list endpoints take the customer filters"
    assert all(len(names) == len(set(names)) for names in first)
    assert _customer_filters(_document(client, "en")) == first  # not added again on a later answer
