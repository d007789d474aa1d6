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
#: The project package, every app of the repository (a folder with an apps.py: a new app is read without being
#: named here) and the templates.
SOURCE_DIRS = ["portal", *sorted(path.parent.name for path in REPO.glob("*/apps.py")), "templates"]
GETTEXT_NAMES = {
    "_",
    "_lazy",
    "gettext",
    "gettext_lazy",
    "pgettext",
    "pgettext_lazy",
    "ngettext",
    "ngettext_lazy",
    # Marked now, translated when shown (a sentence stored in English and read in the reader's language).
    "gettext_noop",
}
TEMPLATE_LITERAL = re.compile(
    r"""{%\s*(?:translate|trans)\s+(["'])(.+?)\1(?:\s+context\s+(["']).+?\3)?(?:\s+as\s+\w+)?\s*%}"""
)
#: A literal marked inside another tag's arguments: {% labelled _("Now") %}.
TEMPLATE_CONSTANT = re.compile(r"""{%[^%]*?\b_\((["'])(.+?)\1\)[^%]*%}""")


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
                text = path.read_text(encoding="utf-8")
                found |= {m.group(2) for m in TEMPLATE_LITERAL.finditer(text)}
                found |= {m.group(2) for m in TEMPLATE_CONSTANT.finditer(text)}
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


@pytest.mark.parametrize(
    ("english", "japanese"),
    [
        ("Customers", "顧客"),
        ("Log in", "ログイン"),
        ("Subscriptions", "契約"),
        ("From", "開始日"),
        ("Until", "終了日"),
    ],
)
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


#: Choices that read the same in both languages: the product's own name (a way to be told).
PRODUCT_NAMES = {"LINE WORKS"}
#: A choice in a form's drop-down list or radio buttons: its visible text.
CHOICE = re.compile(r"<option[^>]*>([^<]+)</option>|<label[^>]*><input[^>]*>\s*([^<]+)</label>")


@pytest.mark.django_db
def test_no_form_offers_its_choices_in_english_on_a_japanese_page(world, client_as):  # noqa: F811
    """The API's words offered in a form (products, plans, renewal types, statuses...) read in Japanese on every
    change and Admin page: the Convert and Pre-order forms offered "Standard" and "Monthly" (their choices were
    made once, at import, in English)."""
    from portal.core import vocabulary

    with translation.override("en"):
        english = {
            str(label)
            for choices in vars(vocabulary).values()
            if isinstance(choices, type) and issubclass(choices, vocabulary.models.TextChoices)
            for _value, label in choices.choices
        }
    pages = [(Role.ACCOUNT_MANAGER, url) for url in change_pages(world)]
    pages += [(Role.ADMIN, url) for url in admin_pages(world)]
    clients = {role: client_as(role) for role in {Role.ACCOUNT_MANAGER, Role.ADMIN}}
    english_left, forms_read = [], 0
    for role, url in pages:
        response = clients[role].get(url, headers={"Accept-Language": "ja"})
        if response.status_code != 200:
            continue
        texts = [(a or b).strip() for a, b in CHOICE.findall(response.content.decode())]
        forms_read += bool(texts)
        english_left += [(url, text) for text in texts if text in english and text not in PRODUCT_NAMES]
    assert forms_read >= 10 and english_left == []


# What a LINE WORKS partner's staff read: one word per concept, Japanese punctuation, nothing left in English.

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
#: %(name)s / %(n)d placeholders, {name} fields ({number:6} with a width: the invoice number format's) and HTML
#: tags: not text, so left out of the checks on text.
NOT_TEXT = re.compile(r"%\(\w+\)[-#0 +]*\d*[sd]|\{\w*(?::\d+)?\}|<[^>]+>")

#: A word or spelling no Japanese string uses (a regular expression), the word used instead, and the msgids
#: that may still have it.
REJECTED = {
    "subscription": (
        "サブスクリプション",
        "a subscription is 契約, as in the LINE WORKS partner console",
        (),
    ),
    "paid": ("有料", "paid is 有償 (有償化, 有償契約, 有償利用), not now one and now the other", ()),
    "sign-in": ("サインイン", "signing in is ログイン everywhere, at LINE WORKS too", ()),
    "changing-a-booking": ("予約変更", "reads 'changing a booking': a scheduled change is 変更予約", ()),
    "change-of-plans": ("予定変更", "reads 'a change of plans': scheduled changes are 変更予定", ()),
    "early-termination-fee": (
        "解約金|解約手数料|解約違約金",
        "the fee for ending a paid term early is 違約金, as in the invoice's Penalty column",
        (),
    ),
    "option-order": (
        "(?<!事前)注文",
        "an option order is a scheduled option change (変更予約); only a pre-order is 事前注文",
        (),
    ),
    "today": ("今日", "a sentence says 本日; only the calendar's Today button reads 今日", ("Today",)),
    "long-vowel": (
        "(?:ユーザ|サーバ|ブラウザ|フォルダ|パラメータ|プロバイダ|マネージャ|メンバ)(?!ー)",
        "katakana keep the long vowel in the modern style: ユーザー, ブラウザー",
        (),
    ),
}


@pytest.mark.parametrize(("rejected", "why", "allowed_in"), REJECTED.values(), ids=REJECTED.keys())
def test_japanese_uses_one_word_per_concept(rejected, why, allowed_in):
    found = [
        (msgid, msgstr)
        for msgid, msgstr in catalogue().items()
        if re.search(rejected, msgstr) and msgid not in allowed_in
    ]
    assert found == [], f"{why}: {found[:5]}"


def test_japanese_text_uses_full_width_punctuation():
    """Japanese sentences take （） and ： (half-width ( ) and : read as code); digits keep theirs (0:00, 1,000)."""
    half_width = re.compile(r"[()!?;]|(?<!\d):|[\u3040-\u30ff\u4e00-\u9fff],|,[\u3040-\u30ff\u4e00-\u9fff]")
    found = [
        (msgid, msgstr)
        for msgid, msgstr in catalogue().items()
        if JAPANESE.search(msgstr) and half_width.search(NOT_TEXT.sub("", msgstr))
    ]
    assert found == [], found[:5]


#: Latin-script words a Japanese string may keep: product and protocol names and identifiers; never one of the API's
#: codes (STD, ACV201) or field names (domainId): a reader gets their names (portal/core/vocabulary.py).
KEPT_IN_LATIN = {
    "API", "ASCII", "AiNote", "App", "Asia", "Authenticator", "Bot", "CSV", "DNS", "Directory", "Excel", "Google", "ID",
    "INV", "IP", "JSON", "Incoming", "LINE", "MB", "MX", "Microsoft", "No", "OAuth", "OpenAPI", "PDF", "POST", "Partner", "Password", "QR",
    "SHA", "SQLite", "Shift_JIS", "Standard", "TB", "Tokyo", "URL", "UTC", "UTF", "UUID", "WORKS", "Webhook", "Webhooks",
    "YYYY-MM", "ZIP", "by-works.com", "by-works.net", "example", "example.com", "freee", "iCalendar", "state",
}  # fmt: skip


def test_no_english_is_left_in_the_japanese():
    """Only names and codes stay in Latin script (the service account's page read 'Service Account を使用します')."""
    found = [
        (msgid, word)
        for msgid, msgstr in catalogue().items()
        for word in re.findall(r"[A-Za-z][A-Za-z_.-]*[A-Za-z]", NOT_TEXT.sub(" ", msgstr))
        if word not in KEPT_IN_LATIN
    ]
    assert found == [], found[:10]


def test_a_quoted_label_reads_as_the_label_does():
    """A sentence naming a button or section in 「」 names it as the page shows it (an option's warning quoted
    「変更なしで更新」 for the choice labelled そのまま更新)."""
    known = catalogue()
    labels = set(known.values())
    found = [
        (msgid, label)
        for msgid, msgstr in known.items()
        for label in re.findall("「(.+?)」", msgstr)
        if label not in labels
    ]
    assert found == [], found


def test_every_translation_keeps_the_placeholders_of_its_english():
    """%(name)s and {name} are filled in by the code: a renamed, dropped or invented one fails at run time."""
    names = re.compile(r"%\((\w+)\)|\{(\w*)\}")
    found = [
        (msgid, msgstr)
        for msgid, msgstr in catalogue().items()
        if {a or b for a, b in names.findall(msgid)} != {a or b for a, b in names.findall(msgstr)}
    ]
    assert found == [], found[:5]
