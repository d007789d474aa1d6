"""Every UI string has a Japanese translation.

The catalogue is checked for empty or fuzzy entries, and every literal marked for translation in the templates
and Python code is looked up in it, so a string added without `makemessages` + translation fails here.
"""

import ast
import re
from pathlib import Path

import pytest
from django.utils import translation

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
