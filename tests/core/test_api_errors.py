"""The API's refusals read as translated messages for every documented error code, the API's text below."""

import re

import pytest
from django.utils import translation

from partner_api.errors import ConfigurationError, NotFoundError, RejectedError, error_class_for
from portal.core.api_errors import CODE_MEANINGS, meaning_of
from portal.core.changes.engine import refusal_from
from tests.partner_api.contract import spec


def _documented_codes():
    schema = spec()["components"]["schemas"]["ErrorResponse"]
    return [(c["status"], c["code"]) for c in schema["x-common-codes"]]


def test_every_documented_code_has_its_own_meaning():
    documented = _documented_codes()
    assert len(documented) >= 20
    for status, code in documented:
        if "{RESOURCE}" in code:
            code = code.replace("{RESOURCE}", "SUBSCRIPTION")
        else:
            assert (status, code) in CODE_MEANINGS, code
        assert meaning_of(status=status, code=code), code


@pytest.mark.parametrize(("status", "code"), _documented_codes())
def test_every_documented_code_reads_in_japanese(status, code):
    code = code.replace("{RESOURCE}", "SUBSCRIPTION")
    english = meaning_of(status=status, code=code)
    with translation.override("ja"):
        japanese = meaning_of(status=status, code=code)
    assert japanese != english
    assert any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in japanese)


def test_refusal_keeps_the_api_text_below_the_translated_one():
    exc = RejectedError(
        status=400, code="OUT_OF_RANGE", description="applyDate <b>must</b> be within 31 days"
    )
    with translation.override("ja"):
        refusal = refusal_from(exc)
    text = str(refusal.message)
    # The lead and the meaning joined as a label and its value: a full-width colon, no space after it.
    assert re.match(r"LINE WORKS が変更を受け付けませんでした：[^\s：]", text), text
    assert "許可された範囲外" in text
    assert '<br><small class="api-said">' in text
    assert "applyDate &lt;b&gt;must&lt;/b&gt; be within 31 days (OUT_OF_RANGE)" in text
    assert "LINE WORKS からの応答：applyDate" in text  # a full-width colon, no space after it

    gone = refusal_from(NotFoundError(status=404, code="SUBSCRIPTION_NOT_EXIST", description="not exist"))
    assert str(gone.message).startswith("LINE WORKS could not do this: the subscription")
    assert "subscription does not exist" in str(gone.message) and "not exist (SUBSCRIPTION_NOT_EXIST)" in str(
        gone.message
    )
    conflict = refusal_from(error_class_for(409)(status=409, code="CONFLICT", description="state"))
    assert "conflicts with the item&#x27;s current state" in str(conflict.message)


@pytest.mark.parametrize(
    ("status", "code", "english", "japanese"),
    [
        (
            400,
            "INVALID_SUBSCRIPTION",
            "the content of the subscription is not valid.",
            "契約の内容に誤りがあります。",
        ),
        (404, "CUSTOMER_NOT_EXIST", "the customer does not exist (any more).", "顧客が存在しません"),
        (409, "OPTION_PRODUCT_ALREADY_EXIST", "the option already exists.", "オプションはすでに存在します。"),
        (404, "PRE_ORDER_NOT_EXIST", "the pre-order does not exist (any more).", "事前注文が存在しません"),
    ],
)
def test_a_code_that_names_its_resource_names_it_in_the_readers_language(status, code, english, japanese):
    """INVALID_{RESOURCE}, {RESOURCE}_NOT_EXIST, {RESOURCE}_ALREADY_EXIST: the resource in words, not the code's
    English inside a Japanese sentence (it read "subscription が存在しません")."""
    assert meaning_of(status=status, code=code) == english
    with translation.override("ja"):
        meaning = meaning_of(status=status, code=code)
    assert meaning.startswith(japanese) and not re.search("[A-Za-z]", meaning), meaning


@pytest.mark.parametrize(("status", "code"), _documented_codes())
def test_no_documented_code_leaves_english_in_a_japanese_message(status, code):
    with translation.override("ja"):
        meaning = meaning_of(status=status, code=code.replace("{RESOURCE}", "SUBSCRIPTION"))
    assert not re.search("[A-Za-z]", meaning.replace("LINE WORKS", "")), meaning


def test_the_portals_own_missing_settings_are_not_called_a_refusal_by_line_works():
    """Opening the Domain page without credentials said "LINE WORKS refused the change", in English."""
    exc = ConfigurationError("Partner API credentials are incomplete; missing: client_id.")
    with translation.override("ja"):
        text = str(refusal_from(exc).message)
    assert text.startswith("ポータルから LINE WORKS に接続できません。") and "管理者" in text
    assert "受け付けませんでした" not in text and "LINE WORKS said" not in text
    assert "詳細：Partner API credentials are incomplete" in text.replace("</small>", "").replace(
        "詳細： ", "詳細："
    )
