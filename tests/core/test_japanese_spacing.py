"""Japanese puts no space after its full-width punctuation: a page reads 「現在：スタンダード」 and
「…コピーから。全件同期は…」, never 「現在： スタンダード」 or 「…から。 全件同期」. A template that puts a label or a
sentence and then a space or a line break before the next one leaves such a space in Japanese (the browser shows a
line break inside a paragraph as a space); `{% labelled %}` joins a label and its value in the reader's language.

Every page an Admin reaches by links, and every change form, is read in Japanese as the browser lays its text out:
block elements apart, any run of white space inside one as a single space.
"""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client
from django.urls import reverse

from portal.core.access import Role
from tests.core.test_hostile_input import change_pages, world  # noqa: F401 - the fixture is used below
from tests.core.test_valid_html import crawl
from tests.fixtures.personas import make_persona

pytestmark = pytest.mark.django_db

#: Elements the browser lays out as blocks (their text never runs on into the next element's).
BLOCK = re.compile(
    r"</?(?:address|article|aside|blockquote|br|caption|dd|details|dialog|div|dl|dt|fieldset|figcaption|figure|"
    r"footer|form|h[1-6]|header|hr|label|legend|li|main|nav|ol|option|p|pre|section|select|summary|table|tbody|"
    r"td|textarea|tfoot|th|thead|tr|ul)\b[^>]*>",
    re.IGNORECASE,
)
HIDDEN = re.compile(r"<(script|style|template|title)\b.*?</\1>|<!--.*?-->", re.IGNORECASE | re.DOTALL)
#: A full-width colon or full stop followed by a space and more text in the same block.
STRAY_SPACE = re.compile(r"[^\s]{0,12}[：。][ \u00a0]+[^\s]{1,12}")


def shown_text(document: str) -> list[str]:
    """The page's text as its blocks, each with its white space collapsed as the browser shows it."""
    body = HIDDEN.sub("", document)
    blocks = BLOCK.sub("\n\n", body)
    text = html.unescape(re.sub(r"<[^>]+>", "", blocks))
    return [" ".join(block.split()) for block in text.split("\n\n") if block.strip()]


def test_no_japanese_page_puts_a_space_after_a_full_width_colon_or_full_stop(world):  # noqa: F811
    client = Client()
    client.force_login(make_persona(Role.ADMIN))
    client.cookies["django_language"] = "ja"
    pages = crawl(client)
    for url in change_pages(world):
        response = client.get(url)
        if response.status_code == 200:
            pages[url] = response.content.decode()
    assert len(pages) > 40
    found = sorted(
        {
            f"{url}: 「{m.group(0)}」"
            for url, doc in pages.items()
            for b in shown_text(doc)
            for m in STRAY_SPACE.finditer(b)
        }
    )
    assert found == [], "\n".join(found)


def test_the_reader_sees_a_label_and_its_value_joined_in_their_language():
    assert shown_text("<p>現在：スタンダード</p><p>a\n   b</p><td>c</td><td>d</td>") == [
        "現在：スタンダード",
        "a b",
        "c",
        "d",
    ]


@pytest.mark.parametrize(
    ("language", "title"), [("en", "Error: Add a user"), ("ja", "エラー：ユーザーを追加")]
)
def test_a_form_with_errors_says_so_first_in_its_title_in_the_readers_language(client_as, language, title):
    client = client_as(Role.ADMIN)
    client.cookies["django_language"] = language
    page = client.post(reverse("accounts:user_add"), {}).content.decode()
    assert re.search(r"<title>\s*" + re.escape(title), page), re.search(r"<title>.*?</title>", page, re.S)
