"""The one vocabulary names every code of the contract: each enum of contract/openapi.yaml has its names in
portal/core/vocabulary.py (`CONTRACT_ENUMS`), each value one in both languages, and each operationId its words in
an app's operations.py; exports carry the codes in columns of their own, named so in the reader's language."""

from __future__ import annotations

import pytest
from django.utils import translation

from portal.core import vocabulary
from portal.core.operations import operation_labels
from tests.core.test_words_not_codes import contract_codes


def _contract_enums() -> dict[str, set[str]]:
    from tests.partner_api.contract import spec

    schemas = spec()["components"]["schemas"]
    found = {}
    for name, schema in schemas.items():
        if "enum" in schema:
            found[name] = {str(v) for v in schema["enum"]}
    return found


def test_every_enum_of_the_contract_is_named_by_the_vocabulary():
    enums = _contract_enums()
    assert set(enums) - set(vocabulary.CONTRACT_ENUMS) == set(), (
        "name these enums in portal/core/vocabulary.py"
    )
    unnamed = {
        (schema, value)
        for schema, values in enums.items()
        for value in values
        if not any(value in choices.values for choices in vocabulary.CONTRACT_ENUMS[schema])
    }
    assert unnamed == set()


@pytest.mark.parametrize("language", ["en", "ja"])
def test_every_value_has_a_name_that_is_not_its_code(language):
    enums = _contract_enums()
    with translation.override(language):
        named = {
            value: vocabulary.name_of(value, *vocabulary.CONTRACT_ENUMS[schema])
            for schema, values in enums.items()
            for value in values
        }
    assert {value for value, name in named.items() if name == value} == set()


def test_every_operation_of_the_contract_has_its_words():
    unnamed = contract_codes()["operations"] - set(operation_labels())
    assert unnamed == set(), "name these operations in the app's operations.py"


def test_a_sub_option_and_an_invoice_item_are_named_by_the_same_vocabulary():
    from options import rules

    with translation.override("ja"):
        assert (
            rules.sub_option_label("DRV_PS")
            == vocabulary.item_name("DRV_PS")
            == "ドライブプラス（スタンダード用）"
        )
        assert rules.option_label("ACV2") == vocabulary.item_name("ACV2") == "アーカイブ（トーク）"
        assert vocabulary.item_name("ADV") == "アドバンスト"
        assert vocabulary.item_name("ACV301") == "ACV301"  # a newer code is shown as sent
    with translation.override("en"):
        assert str(rules.SUB_OPTIONS["DRV_PA"].label) == "Drive Plus (for Advanced)"


@pytest.mark.parametrize(("language", "header"), [("en", "Plan (code)"), ("ja", "プラン（コード）")])
def test_an_export_names_the_column_of_codes_in_the_readers_language(language, header):
    with translation.override(language):
        assert str(vocabulary.code_column(translation.gettext("Plan"))) == header


@pytest.mark.parametrize(
    ("language", "name"), [("en", "Taro Shinjin"), ("ja", "Shinjin Taro"), ("ko", "Shinjin Taro")]
)
def test_a_name_is_written_in_the_order_of_the_readers_language(language, name):
    with translation.override(language):
        assert vocabulary.full_name(given="Taro", family="Shinjin") == name
        assert vocabulary.full_name(given="", family="Shinjin") == "Shinjin"
        assert vocabulary.full_name(given=None, family=None) == ""
