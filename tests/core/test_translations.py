"""Every UI string has a Japanese translation.

The catalogue is checked for empty or fuzzy entries, and every literal marked for translation in the templates
and Python code is looked up in it, so a string added without `makemessages` + translation fails here.
"""

import ast
import re
from pathlib import Path

import pytest
from django.utils import translation

from portal.core.access import Role
from tests.core.test_hostile_input import admin_pages, change_pages, world  # noqa: F401 - the fixture is used below

REPO = Path(__file__).resolve().parents[2]
PO = REPO / "locale" / "ja" / "LC_MESSAGES" / "django.po"
SOURCE_DIRS = ["portal", "customers", "subscriptions", "options", "billing", "templates"]
GETTEXT_NAMES = {"_", "gettext", "gettext_lazy", "pgettext", "pgettext_lazy", "ngettext", "ngettext_lazy"}
TEMPLATE_LITERAL = re.compile(
    r"""{%\s*(?:translate|trans)\s+(["'])(.+?)\1(?:\s+context\s+(["']).+?\3)?(?:\s+as\s+\w+)?\s*%}"""
)


def catalogue() -> dict[str, str]:
    """msgid -> msgstr; a fuzzy entry counts as untranslated."""
    entries: dict[str, str] = {}
    parts: dict[str, str] = {}
    field = None
    for line in [*PO.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            if parts.get("msgid"):
                fuzzy = "fuzzy" in parts
                entries[parts["msgid"]] = "" if fuzzy else parts.get("msgstr", parts.get("msgstr[0]", ""))
            parts, field = {}, None
            continue
        if line.startswith("#,") and "fuzzy" in line:
            parts["fuzzy"] = "1"
        m = re.match(r'^(msgid|msgid_plural|msgstr(?:\[\d\])?|msgctxt) "(.*)"$', line)
        if m:
            field = m.group(1)
            parts[field] = ast.literal_eval(f'"{m.group(2)}"')
        elif line.startswith('"') and field:
            parts[field] += ast.literal_eval(line)
    return entries


def marked_literals() -> set[str]:
    found: set[str] = set()
    for folder in SOURCE_DIRS:
        for path in (REPO / folder).rglob("*"):
            if "migrations" in path.parts:
                continue
            if path.suffix == ".html":
                found |= {m.group(2) for m in TEMPLATE_LITERAL.finditer(path.read_text(encoding="utf-8"))}
            elif path.suffix == ".py":
                for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                    if not isinstance(node, ast.Call) or not node.args:
                        continue
                    name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                    if name not in GETTEXT_NAMES:
                        continue
                    literal = (
                        node.args[1] if name.startswith("pgettext") and len(node.args) > 1 else node.args[0]
                    )
                    if isinstance(literal, ast.Constant) and isinstance(literal.value, str):
                        found.add(literal.value)
    return found


def test_catalogue_has_no_untranslated_or_fuzzy_entry():
    blank = [k for k, v in catalogue().items() if not v]
    assert blank == [], f"Untranslated or fuzzy: {blank[:20]}"


def test_every_marked_string_is_in_the_catalogue():
    known = catalogue()
    missing = sorted(s for s in marked_literals() if s not in known)
    assert missing == [], f"Run makemessages and translate: {missing[:20]}"


@pytest.mark.parametrize(("english", "japanese"), [("Customers", "顧客"), ("Log in", "ログイン")])
def test_compiled_catalogue_is_used(english, japanese):
    with translation.override("ja"):
        assert translation.gettext(english) == japanese


#: A link or button reading 解約 ("terminate the contract"), and the address it goes to (None for a button).
TERMINATE = re.compile(r'<a\b[^>]*\bhref="([^"]*)"[^>]*>\s*解約\s*</a>|<button\b[^>]*>\s*解約\s*</button>')
#: A form page's way back: a plain link styled as a button (its text is what this test reads).
WAY_BACK = re.compile(r'<a class="btn" href="[^"]*">([^<]+)</a>')


@pytest.mark.django_db
def test_no_form_goes_back_with_a_button_that_reads_terminate_in_japanese(world, client_as):  # noqa: F811
    """Every change form and Admin form in Japanese: the button that only goes back reads 戻る; 解約 alone
    labels nothing but a link to a cancellation form (it read 解約 on every form, even the delete page)."""
    pages = [(Role.ACCOUNT_MANAGER, url) for url in change_pages(world)]
    pages += [(Role.ADMIN, url) for url in admin_pages(world)]
    clients = {role: client_as(role) for role in {Role.ACCOUNT_MANAGER, Role.ADMIN}}
    checked = 0
    for role, url in pages:
        response = clients[role].get(url, headers={"Accept-Language": "ja"})
        if response.status_code != 200:
            continue
        html = response.content.decode()
        assert 'lang="ja"' in html, url
        for href, *_ in TERMINATE.findall(html):
            assert href and "/cancel/" in href, f"{url}: 解約 labels {href or 'a button'}"
        backs = WAY_BACK.findall(html)
        assert all(text.strip() != "Back" and "解約" not in text for text in backs), (url, backs)
        checked += "戻る" in backs
    assert checked >= 20, checked
