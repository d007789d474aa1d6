"""What every page draws, made once instead of once per page (`python -m bench frame`): URLs without arguments
and static files' URLs (portal.core.constant_urls, behind the portal library's `{% url %}` and `{% static %}`),
quoted `{% translate %}` messages per language, and labels read once per language
(`portal.core.vocabulary.translated`, `per_language`). Each must draw what Django draws, in each language."""

from __future__ import annotations

import pytest
from django import forms
from django.template import engines
from django.templatetags.static import static
from django.urls import NoReverseMatch, clear_script_prefix, reverse, set_script_prefix
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy, override

from portal.core import constant_urls
from portal.core.access import Role
from portal.core.rendering import field_markup
from portal.core.vocabulary import per_language, translated
from tests.customers.factories import make_customer


def draw(source: str, context: dict | None = None) -> str:
    return engines["django"].from_string("{% load i18n static portal %}" + source).render(context or {})


def test_a_url_without_arguments_is_the_one_django_reverses_under_each_script_prefix():
    assert (
        draw("{% url 'home' %}|{% url 'customers:list' %}")
        == f"{reverse('home')}|{reverse('customers:list')}"
    )
    set_script_prefix("/portal/")
    try:
        assert draw("{% url 'customers:list' %}") == "/portal/customers/" == reverse("customers:list")
    finally:
        clear_script_prefix()
    assert draw("{% url 'customers:list' %}") == "/customers/"


def test_a_url_with_arguments_or_unknown_is_as_djangos_tag_draws_it():
    assert draw("{% url 'customers:detail' 42 %}") == reverse("customers:detail", args=[42])
    assert draw("{% url 'customers:detail' domain_id=n %}", {"n": 7}) == reverse("customers:detail", args=[7])
    assert draw("{% url 'no-such-page' as missing %}[{{ missing }}]") == "[]"
    with pytest.raises(NoReverseMatch):
        draw("{% url 'no-such-page' %}")
    with pytest.raises(NoReverseMatch):  # every time, not only the first
        draw("{% url 'no-such-page' %}")


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("customers:detail", (10000001,)),
        ("invoicing:pdf", (123,)),  # the argument inside a part of the path ("123.pdf")
        ("invoicing:draft", (2026, 11, 10000001)),
        ("subscriptions:pre_order", (10000001, 5)),
    ],
)
def test_a_url_pattern_filled_in_is_the_url_django_reverses_under_each_script_prefix(name, args):
    assert constant_urls.pattern(name, len(args)).format(*args) == reverse(name, args=args)
    set_script_prefix("/portal/")
    try:
        assert constant_urls.pattern(name, len(args)).format(*args) == reverse(name, args=args)
        assert constant_urls.pattern(name, len(args)).startswith("/portal/")
    finally:
        clear_script_prefix()
    assert not constant_urls.pattern(name, len(args)).startswith("/portal/")


def test_a_static_files_url_is_the_one_djangos_tag_draws():
    assert draw("{% static 'css/portal.css' %}") == static("css/portal.css")
    assert draw("{% static 'js/portal.js' as js %}<{{ js }}>") == f"<{static('js/portal.js')}>"


@pytest.mark.parametrize("first", ["en", "ja"])
def test_a_translated_message_is_drawn_in_each_pages_language(first):
    other = "ja" if first == "en" else "en"
    source = (
        '{% translate "Customers" %}|{% translate "Customers" as title %}{{ title }}|'
        '{% translate "Customers" noop %}|{% translate message %}|{% translate "Customers"|upper %}'
    )
    drawn: dict[str, list[str]] = {}
    for language in (first, other, first):
        with override(language):
            drawn.setdefault(language, []).append(draw(source, {"message": "Search"}))
    assert drawn["en"][0] == "Customers|Customers|Customers|Search|CUSTOMERS"
    assert drawn["ja"][0] == "顧客|顧客|Customers|検索|顧客"
    assert drawn[first][0] == drawn[first][1]


@pytest.mark.parametrize("language", ["en", "ja"])
@pytest.mark.parametrize(
    "tag",
    [
        '{% translate "Q&A <b>" %}',
        '{% translate "100%% sure" %}',
        '{% translate "Search" context "a button" %}',
        '{% translate "Customers" as title %}{{ title }}',
        "{% translate message %}",
    ],
)
def test_a_translated_message_is_what_djangos_tag_draws(tag, language):
    context = {"message": "Q&A <b>"}
    for block in ("{}", "{{% autoescape off %}}{}{{% endautoescape %}}"):
        source = block.format(tag)
        django = engines["django"].from_string("{% load i18n %}" + source)
        portal = engines["django"].from_string("{% load i18n portal %}" + source)
        with override(language):
            assert portal.render(context) == django.render(context)
            assert portal.render(context) == django.render(context)  # kept, then read again


def test_labels_read_once_per_language_are_read_in_each_language():
    label = gettext_lazy("Customers")
    for language, expected in (("en", "Customers"), ("ja", "顧客"), ("en", "Customers")):
        with override(language):
            text = translated()
            assert text(label) == expected
            assert text("plain") == "plain"


def test_words_made_once_per_language_are_made_in_each_language():
    made = []

    @per_language
    def words() -> str:
        made.append(1)
        return str(gettext_lazy("Customers"))

    with override("ja"):
        assert words() == words() == "顧客"
    with override("en"):
        assert words() == "Customers"
    assert len(made) == 2


def test_a_fields_help_in_lazy_markup_is_drawn_as_markup():
    """A help text that is markup read lazily (Django's password rules) stays markup, as Django draws it."""

    class PasswordForm(forms.Form):
        password = forms.CharField(help_text=lazy(lambda: mark_safe("<ul><li>Long</li></ul>"), str)())

    drawn = field_markup(PasswordForm()["password"])
    assert '<div class="help" id="id_password_helptext"><ul><li>Long</li></ul></div>' in drawn


def test_the_customer_list_draws_its_words_in_each_readers_language(client_as):
    make_customer(company_name="株式会社ミドリ商事", removed_at=timezone.now())
    client = client_as(Role.ADMIN)
    for language, removed, heading in (
        ("en", "Removed", "Company"),
        ("ja", "削除済み", "会社"),
        ("en", "Removed", "Company"),
    ):
        client.cookies["django_language"] = language
        page = client.get(reverse("customers:list"), {"removed": "include"}).content.decode()
        assert f'<span class="badge badge-removed">{removed}</span>' in page
        assert f'data-focus-id="sort-company">{heading}<' in page
