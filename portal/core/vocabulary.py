"""The Partner API's words, declared once for every app (the sandbox keeps its own copy on purpose).

Every value of every enum of the contract has its name here, in the reader's language (`CONTRACT_ENUMS` maps the
contract's enum schemas to their names; `tests/core/test_vocabulary.py` checks that none is missing), and the
operations have theirs in each app's `operations.py` (portal/core/operations.py). A page, a mail, a feed or a
file meant for people shows the name, never the code; an export adds the code in a column of its own where a
machine needs it (`code_column`).

The API's enums are open: the vendor lists more values in some languages, so a value not listed here is shown
as the API sent it (`label()`). One word means one thing everywhere:

* **product** (`productId`): which LINE WORKS edition: Free, Standard, Advanced, and their trials;
* **plan** (`plan`): the contract term: Free, Trial, Monthly, Annual (licence), Annual prepaid (licence);
* **option** (`optionProductId`) and **sub option** (`subOptionId`): an option and the tier of it in use
  (Drive, and Drive Plus for Standard); options/rules.py holds their rules.
"""

from __future__ import annotations

import functools
import re
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.signals import setting_changed
from django.db import models
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import get_language, pgettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _


class Product(models.TextChoices):
    FR = "FR", _("Free")
    STD_T = "STD_T", _("Standard (trial)")
    ADV_T = "ADV_T", _("Advanced (trial)")
    STD = "STD", _("Standard")
    ADV = "ADV", _("Advanced")


class OtherServiceProduct(models.TextChoices):
    """The products of the services besides LINE WORKS a customer may use (the customer's productIds): LINE WORKS
    Roger (ROG_) and LINE WORKS AiNote (NTA_). The vendor's pages list the codes only; these names read them."""

    ROG_STD = "ROG_STD", _("LINE WORKS Roger Standard")
    ROG_ADV = "ROG_ADV", _("LINE WORKS Roger Advanced")
    NTA_SL = "NTA_SL", _("LINE WORKS AiNote Solo")
    NTA_TM = "NTA_TM", _("LINE WORKS AiNote Team")
    NTA_BZ = "NTA_BZ", _("LINE WORKS AiNote Business")
    NTA_EP = "NTA_EP", _("LINE WORKS AiNote Enterprise")


class Plan(models.TextChoices):
    FREE = "FREE", _("Free")
    TRIAL = "TRIAL", _("Trial")
    MONTHLY = "MONTHLY", _("Monthly")
    ANNUAL_LICENSE = "ANNUAL_LICENSE", _("Annual (licence)")
    ANNUAL_PREPAY_LICENSE = "ANNUAL_PREPAY_LICENSE", _("Annual (prepaid licence)")


#: Plans whose subscriptions count licences; every plan that is paid.
LICENSE_PLANS = (Plan.ANNUAL_LICENSE, Plan.ANNUAL_PREPAY_LICENSE)
PAID_PLANS = (Plan.MONTHLY, *LICENSE_PLANS)


class SubscriptionStatus(models.TextChoices):
    ACTIVE = "ACTIVE", _("Active")
    SUSPENDED_TRIALEND = "SUSPENDED_TRIALEND", _("Suspended (trial ended)")


class RenewalType(models.TextChoices):
    STAY = "STAY", _("Renew unchanged")
    CHANGE = "CHANGE", _("Renew with changes")
    CANCEL = "CANCEL", _("Do not renew")


class ReservationType(models.TextChoices):
    START_PAID_SERVICE = "START_PAID_SERVICE", _("Start paid service")
    ADD_LICENSE = "ADD_LICENSE", _("Add licences")
    CANCEL = "CANCEL", _("Cancel")


class UsageState(models.TextChoices):
    ACTIVE = "ACTIVE", _("Active")
    SUSPENDED_ADMIN = "SUSPENDED_ADMIN", _("Suspended by the administrator")
    SUSPENDED_WITHDRAWAL = "SUSPENDED_WITHDRAWAL", _("Suspended, pending cancellation")


class PartnershipStatus(models.TextChoices):
    """Partner-side status of a customer (CustomerPartnership.status). The contract's value list is cut off after
    TRANSFER_READY; ACTIVE is what the sandbox and most customers show. Other values are shown as sent."""

    ACTIVE = "ACTIVE", _("Active")
    TRANSFER_READY = "TRANSFER_READY", _("Ready for transfer")


class DomainType(models.TextChoices):
    DOMAIN = "DOMAIN", _("Domain")
    GROUP = "GROUP", _("Group name")


class EarlierProduct(models.TextChoices):
    """Editions an Online Direct customer may still have (PotentialCustomerProductId), before the transfer."""

    LT_T = "LT_T", _("Lite (trial)")
    BS_T = "BS_T", _("Basic (trial)")
    PRM_T = "PRM_T", _("Premium (trial)")
    LT = "LT", _("Lite")
    BS = "BS", _("Basic")
    PRM = "PRM", _("Premium")


class Locale(models.TextChoices):
    """The language and region of a customer's tenant (CustomerLocale)."""

    ja_JP = "ja_JP", _("Japanese")
    ko_KR = "ko_KR", _("Korean")
    en_US = "en_US", _("English (US)")
    zh_TW = "zh_TW", _("Chinese (Traditional, Taiwan)")
    zh_CN = "zh_CN", _("Chinese (Simplified)")


class ProductGroup(models.TextChoices):
    """The service whose usage a count is of (UsageProductGroupId)."""

    WORKS = "WORKS", _("LINE WORKS")
    NOTE_AI = "NOTE_AI", _("LINE WORKS AiNote")
    ROGER = "ROGER", _("LINE WORKS Roger")


class OptionProduct(models.TextChoices):
    """The options (optionProductId)."""

    ACV2 = "ACV2", _("Archive (Talk)")
    DRV = "DRV", _("Drive")
    SSTG2 = "SSTG2", _("Shared Storage")
    BCT = "BCT", _("Extend contacts")


class SubOptionProduct(models.TextChoices):
    """The tiers of each option (subOptionId); their rules are in options/rules.py."""

    ACV200 = "ACV200", _("Archive (Talk) Trial")
    ACV201 = "ACV201", _("Archive (Talk)")
    DRV00 = "DRV00", _("Drive Trial (for Standard)")
    DRV01 = "DRV01", _("Drive (for Standard)")
    DRV_PS_T = "DRV_PS_T", _("Drive Plus Trial (for Standard)")
    DRV_PS = "DRV_PS", _("Drive Plus (for Standard)")
    DRV_PA_T = "DRV_PA_T", _("Drive Plus Trial (for Advanced)")
    DRV_PA = "DRV_PA", _("Drive Plus (for Advanced)")
    SSTG201 = "SSTG201", _("Shared Storage 1 TB")
    SSTG202 = "SSTG202", _("Shared Storage 5 TB")
    SSTG203 = "SSTG203", _("Shared Storage 10 TB")
    SSTG204 = "SSTG204", _("Shared Storage 25 TB")
    SSTG205 = "SSTG205", _("Shared Storage 50 TB")
    SSTG206 = "SSTG206", _("Shared Storage 100 TB")
    SSTG207 = "SSTG207", _("Shared Storage 500 TB")
    BCT01 = "BCT01", _("Extend contacts up to 250,000")
    BCT02 = "BCT02", _("Extend contacts up to 500,000")
    BCT03 = "BCT03", _("Extend contacts up to 1,500,000")
    BCT04 = "BCT04", _("Extend contacts up to 5,000,000")


class OptionOrderType(models.TextChoices):
    """What a scheduled option change does (OptionProductOrderType)."""

    APPLY = "APPLY", _("Add the option")
    CANCEL = "CANCEL", _("Cancel the option")
    START_PAID_SERVICE = "START_PAID_SERVICE", _("Start paid service")
    CHANGE_QUANTITY = "CHANGE_QUANTITY", _("Change the quantity")


class OptionRenewalType(models.TextChoices):
    STAY = "STAY", _("Renew unchanged")
    CHANGE = "CHANGE", _("Renew with changes")


class PaymentStatus(models.TextChoices):
    """Whether an invoice is paid (InvoicePaymentStatus)."""

    NONE = "NONE", _("Nothing to pay")
    PAID = "PAID", _("Paid")
    UNPAID = "UNPAID", _("Unpaid")


class ItemType(models.TextChoices):
    """Settlement item types (SettlementItemType), in the order a customer's items are grouped: the contract's
    subtotal (SUMMARY) sums the plans, options and adjustments, so it comes right under them; Option Plus and
    penalties are billed beside it, after it."""

    PRODUCT = "PRODUCT", _("Plan")
    OPTION_PRODUCT = "OPTION_PRODUCT", _("Option")
    ADJUSTMENT = "ADJUSTMENT", _("Adjustment")
    SUMMARY = "SUMMARY", _("Subtotal")
    OPTION_PLUS = "OPTION_PLUS", _("Option Plus")
    PENALTY = "PENALTY", _("Penalty")


#: The names of every enum of the contract (the enum schemas of contract/openapi.yaml's components), by the
#: schema's name: a page names a value through the vocabulary its field is declared with.
CONTRACT_ENUMS: dict[str, tuple[type[models.TextChoices], ...]] = {
    "ProductId": (Product,),
    "ProductIdWithTrial": (Product,),
    "CustomerProductId": (Product,),
    "CustomerCreateProductId": (Product,),
    "CustomerServiceProductId": (Product, OtherServiceProduct),
    "SubscriptionUpgradeProductId": (Product,),
    "SubscriptionCreateProductId": (Product,),
    "PotentialCustomerProductId": (Product, EarlierProduct),
    "PaidPlan": (Plan,),
    "Plan": (Plan,),
    "SubscriptionCreatePlan": (Plan,),
    "OptionProductId": (OptionProduct,),
    "SubOptionId": (SubOptionProduct,),
    "CustomerDomainType": (DomainType,),
    "CustomerLocale": (Locale,),
    "CustomerUsageState": (UsageState,),
    "UsageCustomerStatus": (UsageState,),
    "SubscriptionStatus": (SubscriptionStatus,),
    "SubscriptionRenewalType": (RenewalType,),
    "SubscriptionReservationType": (ReservationType,),
    "OptionProductOrderType": (OptionOrderType,),
    "OptionRenewalType": (OptionRenewalType,),
    "OptionUsageProductGroupId": (ProductGroup,),
    "UsageQueryProductGroupId": (ProductGroup,),
    "UsageProductGroupId": (ProductGroup,),
    "InvoicePaymentStatus": (PaymentStatus,),
    "SettlementItemType": (ItemType,),
}

#: What an invoice item is of (its itemId: a product or an option; its subItemId: a sub option).
ITEMS: tuple[type[models.TextChoices], ...] = (Product, EarlierProduct, OptionProduct, SubOptionProduct)


def label(choices: type[models.TextChoices], value: str) -> str:
    """The translated label of a known value, or the value itself (the API may send values not listed)."""
    return str(name_of(value, choices))


def names(*vocabularies: type[models.TextChoices]) -> dict[str, str]:
    """Every value of `vocabularies` -> its name, read now in the active language (the first list that names a
    value wins); for many values at once (an export's rows)."""
    return {value: str(name) for choices in reversed(vocabularies) for value, name in choices.choices}


def name_of(value: str, *vocabularies: type[models.TextChoices]) -> str:
    """The name of `value` in the first of `vocabularies` that lists it, in the active language; the value
    itself when none does (an open enum's newer value)."""
    for choices in vocabularies:
        try:
            member = choices(value)  # the enum's own map from value to member, not a list built per call
        except ValueError:
            continue
        return str(member.label)
    return value


_T = TypeVar("_T")


class _Kept(dict):
    """Words kept per language (a dict its keeper holds: `_MADE` finds it only while it is held)."""


#: Every `_Kept` held (a `per_language` function's, a cached template's `{% translate %}` node's), by id.
_MADE: weakref.WeakValueDictionary[int, _Kept] = weakref.WeakValueDictionary()


def kept_per_language() -> dict:
    """A dict for words kept per language (its keys start with the language), emptied when a test changes the
    catalogues (`_catalogues_changed`)."""
    made = _Kept()
    _MADE[id(made)] = made
    return made


def per_language(make: Callable[[], _T]) -> Callable[[], _T]:
    """`make` (no argument: words read from the catalogues, the same for every request in a language) run once per
    language, its answer kept for the process and shared: callers read it, never change it. Each translation is
    a read of the active language and a search of the catalogues (`python -m bench frame`), so the words a page
    needs many of (a list's labels for each row) are read once per language instead of once per request."""
    made: dict[str | None, _T] = kept_per_language()

    @functools.wraps(make)
    def read() -> _T:
        language = get_language()
        try:
            return made[language]
        except KeyError:
            found = made[language] = make()
            return found

    return read


#: The texts of lazy translations read by `translated`, by language: {id: (the lazy translation, its text)}.
_TEXTS: dict[str | None, dict[int, tuple[Promise, str]]] = {}
#: More lazy translations than a process's constant labels: some are made per request (a label with a value).
_MOST_TEXTS = 5000


def translated() -> Callable[[Any], Any]:
    """A reader of lazy translations in the active language, for code that reads many labels at once (a form's
    fields, a select's options, a table's headers): ``text = translated()`` reads the language once, then
    ``text(label)`` is the label's text, read from the catalogues once per process and language (a constant label,
    declared once: a field's, a column's, a choice's), or the value itself when it is not a lazy translation."""
    language = get_language()
    kept = _TEXTS.get(language)
    if kept is None:
        kept = _TEXTS[language] = {}

    def text(value):
        if not isinstance(value, Promise):
            return value
        found = kept.get(id(value))
        if found is None or found[0] is not value:
            if len(kept) >= _MOST_TEXTS:
                kept.clear()
            found = kept[id(value)] = (value, str(value))
        return found[1]

    return text


def _catalogues_changed(*, setting: str, **kwargs) -> None:
    """Django reloads the catalogues when a test changes these settings: so are the words made from them."""
    if setting in ("LANGUAGES", "LANGUAGE_CODE", "LOCALE_PATHS"):
        for made in list(_MADE.values()):
            made.clear()
        _TEXTS.clear()


setting_changed.connect(_catalogues_changed)


def item_name(item_id: str) -> str:
    """An invoice item's product, option or sub option by name (Standard, Drive, Drive Plus for Standard)."""
    return name_of(item_id, *ITEMS)


def billed_item_name(item_type: str, item_id: str, sub_item_id: str = "") -> str:
    """What an invoice item bills, by name: its sub option (which names its option too), else its product or
    option; an item the API sends without an item id (Option Plus, an adjustment, a penalty) by its type; a
    subtotal by nothing."""
    if sub_item_id or item_id:
        return item_name(sub_item_id or item_id)
    return "" if item_type == ItemType.SUMMARY else name_of(item_type, ItemType)


def code_column(header):
    """The header of an export's column that carries the API's codes of the column `header` names in words, for
    machines ("Product (code)", 「商品（コード）」); lazy, read in the requester's language."""
    return format_lazy(
        pgettext_lazy("an export's column holding the API's codes", "{header} (code)"), header=header
    )


@per_language
def _label_and_value() -> str:
    return pgettext("a label and its value", "%(label)s: %(value)s")


def labelled(label, value) -> str:
    """ "Label: value" in the reader's language (in Japanese a full-width colon, no space: 事前注文：新規契約); its
    pattern read once per language (a page labels many items: the calendar's titles)."""
    return _label_and_value() % {"label": label, "value": value}


#: Languages that write a person's family name first.
FAMILY_NAME_FIRST = ("ja", "ko", "zh")
#: A name written in kanji, kana or hangul keeps its family name first in any language (新人 太郎, never 太郎 新人).
_EAST_ASIAN_SCRIPT = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]")


def full_name(*, given: str | None, family: str | None) -> str:
    """A person's name as the reader's language writes it: family name first in Japanese (新人 太郎), given name
    first in English (Taro Shinjin), family name first in any language for a name written in kanji or kana; either
    part may be missing."""
    given, family = (given or "").strip(), (family or "").strip()
    language = (get_language() or "").split("-")[0]
    family_first = language in FAMILY_NAME_FIRST or bool(_EAST_ASIAN_SCRIPT.search(given + family))
    parts = (family, given) if family_first else (given, family)
    return " ".join(part for part in parts if part)
