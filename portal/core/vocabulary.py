"""The Partner API's words, declared once for every app (the sandbox keeps its own copy on purpose).

The API's enums are open: the vendor lists more values in some languages, so a value not listed here is shown
as the API sent it (`label()`). One word means one thing everywhere:

* **product** (`productId`): which LINE WORKS edition: Free, Standard, Advanced, and their trials;
* **plan** (`plan`): the contract term: Free, Trial, Monthly, Annual (licence), Annual prepaid (licence).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext


class Product(models.TextChoices):
    FR = "FR", _("Free")
    STD_T = "STD_T", _("Standard (trial)")
    ADV_T = "ADV_T", _("Advanced (trial)")
    STD = "STD", _("Standard")
    ADV = "ADV", _("Advanced")


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


def label(choices: type[models.TextChoices], value: str) -> str:
    """The translated label of a known value, or the value itself (the API may send values not listed)."""
    return str(dict(choices.choices).get(value, value))


def labelled(label, value) -> str:
    """ "Label: value" in the reader's language (in Japanese a full-width colon, no space: 事前注文：新規契約)."""
    return pgettext("a label and its value", "%(label)s: %(value)s") % {"label": label, "value": value}
