"""The contract's option rules (contract/parts/options.notes.md), as data and pure functions.

One named place for every rule the forms check: which sub options exist and what they are called, which
subscription products may have them, which carry a quantity, the tier order (upgrade now only upward), and the
date windows of scheduled option orders, in business dates (Asia/Tokyo). The sandbox keeps its own copy of
each rule in sandbox/rules.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from portal.core.rules import DateWindow
from portal.core.vocabulary import OptionProduct, SubOptionProduct, name_of

STD, STD_T, ADV, ADV_T = "STD", "STD_T", "ADV", "ADV_T"
TRIAL_PRODUCTS = (STD_T, ADV_T)


@dataclass(frozen=True)
class SubOption:
    sub_option_id: str
    option_product_id: str
    trial: bool
    quantity: bool
    #: Products a subscription must have to add this sub option now.
    products: tuple[str, ...]
    #: Position in its option's tier order (upgrade goes to a higher tier; None: not ordered).
    tier: int

    @property
    def label(self):
        """Its name (the vocabulary's, portal/core/vocabulary.py; lazy: read in the language active when shown)."""
        return SubOptionProduct(self.sub_option_id).label


#: The option products (optionProductId); their names are the vocabulary's (portal/core/vocabulary.py).
OPTIONS = OptionProduct.values

_PAID_STD_ADV = (STD, ADV)
SUB_OPTIONS: dict[str, SubOption] = {
    s.sub_option_id: s
    for s in [
        SubOption("ACV200", "ACV2", True, False, (STD, STD_T, ADV, ADV_T), 1),
        SubOption("ACV201", "ACV2", False, False, _PAID_STD_ADV, 1),
        SubOption("DRV00", "DRV", True, False, (STD, STD_T), 1),
        SubOption("DRV01", "DRV", False, False, (STD,), 1),
        SubOption("DRV_PS_T", "DRV", True, False, (STD, STD_T), 2),
        SubOption("DRV_PS", "DRV", False, False, (STD,), 2),
        SubOption("DRV_PA_T", "DRV", True, False, (ADV, ADV_T), 2),
        SubOption("DRV_PA", "DRV", False, False, (ADV,), 2),
        SubOption("SSTG201", "SSTG2", False, True, _PAID_STD_ADV, 1),
        SubOption("SSTG202", "SSTG2", False, True, _PAID_STD_ADV, 2),
        SubOption("SSTG203", "SSTG2", False, True, _PAID_STD_ADV, 3),
        SubOption("SSTG204", "SSTG2", False, True, _PAID_STD_ADV, 4),
        SubOption("SSTG205", "SSTG2", False, True, _PAID_STD_ADV, 5),
        SubOption("SSTG206", "SSTG2", False, True, _PAID_STD_ADV, 6),
        SubOption("SSTG207", "SSTG2", False, True, _PAID_STD_ADV, 7),
        SubOption("BCT01", "BCT", False, True, _PAID_STD_ADV, 1),
        SubOption("BCT02", "BCT", False, True, _PAID_STD_ADV, 2),
        SubOption("BCT03", "BCT", False, True, _PAID_STD_ADV, 3),
        SubOption("BCT04", "BCT", False, True, _PAID_STD_ADV, 4),
    ]
}

#: Options that can be upgraded now (upgradeOptionProduct) and those whose tier or quantity may go down at
#: renewal only.
UPGRADABLE_NOW = ("DRV", "SSTG2", "BCT")
QUANTITY_OPTIONS = ("SSTG2", "BCT")
DOWNGRADE_AT_RENEWAL = ("SSTG2", "BCT")
#: Options billed yearly whose cancellation charges a penalty (annual plans).
ANNUAL_PLANS = ("ANNUAL_LICENSE", "ANNUAL_PREPAY_LICENSE")


def option_label(option_product_id: str) -> str:
    """The option in words ("Drive"); an unknown id is shown as sent."""
    return name_of(option_product_id, OptionProduct)


def sub_option_label(sub_option_id: str) -> str:
    """The sub option in words ("Shared Storage 10 TB"); an unknown id is shown as sent."""
    return name_of(sub_option_id, SubOptionProduct)


def sub_options_of(option_product_id: str) -> list[SubOption]:
    return [s for s in SUB_OPTIONS.values() if s.option_product_id == option_product_id]


def has_quantity(option_product_id: str) -> bool:
    return option_product_id in QUANTITY_OPTIONS


def addable_sub_options(*, product_id: str, in_use: set[str]) -> list[SubOption]:
    """Sub options a subscription of `product_id` may add now: on a Trial subscription only Trial sub options;
    SSTG2 and BCT only on STD/ADV; Drive "for STD" vs "for ADV". Options already in use are left out."""
    return [
        s
        for s in SUB_OPTIONS.values()
        if product_id in s.products
        and s.option_product_id not in in_use
        and not (product_id in TRIAL_PRODUCTS and not s.trial)
    ]


def may_add(*, product_id: str, sub_option_id: str) -> bool:
    sub = SUB_OPTIONS.get(sub_option_id)
    if sub is None or product_id not in sub.products:
        return False
    return not (product_id in TRIAL_PRODUCTS and not sub.trial)


def upgrade_targets(*, sub_option_id: str) -> list[SubOption]:
    """Higher tiers of the same option and of the same family: Drive for STD stays for STD, a Trial stays a
    Trial (DRV00 → DRV_PS_T; a Trial becomes paid by a scheduled START_PAID_SERVICE, not by an upgrade)."""
    current = SUB_OPTIONS.get(sub_option_id)
    if current is None or current.option_product_id not in UPGRADABLE_NOW:
        return []
    return [
        s
        for s in sub_options_of(current.option_product_id)
        if s.tier > current.tier and s.trial == current.trial and set(s.products) & set(current.products)
    ]


def renewal_targets(*, sub_option_id: str) -> list[SubOption]:
    """Sub options an option may change to at renewal: any paid tier of the same family for SSTG2 and BCT
    (downgrade allowed at renewal), otherwise higher tiers only."""
    current = SUB_OPTIONS.get(sub_option_id)
    if current is None:
        return []
    family = [
        s
        for s in sub_options_of(current.option_product_id)
        if not s.trial and s.sub_option_id != sub_option_id and set(s.products) & set(current.products)
    ]
    if current.option_product_id in DOWNGRADE_AT_RENEWAL:
        return family
    return [s for s in family if s.tier > current.tier]


def first_of_next_month(today: dt.date) -> dt.date:
    return (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def readd_date_after_cancel(*, today: dt.date, plan: str) -> dt.date | None:
    """An annual option, once cancelled, can be added again only from the 1st of next month."""
    return first_of_next_month(today) if plan in ANNUAL_PLANS else None


def readd_refusal(*, readd_from: dt.date | None, day: dt.date) -> str | None:
    """Why an option cancelled on an annual contract cannot come back on `day` (None when it can)."""
    if readd_from is None or day >= readd_from:
        return None
    return str(
        _("This option was cancelled on an annual contract: it can be added again only from %(day)s.")
        % {"day": readd_from.isoformat()}
    )


def cancel_has_penalty(plan: str) -> bool:
    return plan in ANNUAL_PLANS


# --- Scheduled option orders (createOptionProductOrder / updateOptionProductOrder) ------------------------

ORDER_TYPES = ("APPLY", "CANCEL", "START_PAID_SERVICE", "CHANGE_QUANTITY")
DAY = dt.timedelta(days=1)


def order_window(
    *,
    order_type: str,
    today: dt.date,
    subscription_plan: str,
    subscription_end: dt.date | None,
    option_end: dt.date | None = None,
    same_date: dt.date | None = None,
) -> DateWindow:
    """The dates a scheduled option order may take, evaluated on today's business date (Asia/Tokyo).

    * `same_date`: the date of the subscription's scheduled change (a paid conversion, a pre-order, any
      reservation for an APPLY): the order must take that very date.
    * CHANGE_QUANTITY: only the 1st of next month, and not in the subscription's last month.
    * APPLY on a paid subscription: tomorrow to the day after its term ends.
    * CANCEL and START_PAID_SERVICE: tomorrow to the day after the option's term ends.
    """
    tomorrow = today + DAY
    if order_type == "CHANGE_QUANTITY":
        first = first_of_next_month(today)
        if (
            subscription_plan not in ("MONTHLY", *ANNUAL_PLANS)
            or not subscription_end
            or first > subscription_end
        ):
            return DateWindow(first, first - DAY)  # empty: the subscription's last month
        return DateWindow(first, first)
    if same_date is not None:
        return DateWindow(same_date, same_date)
    if order_type == "APPLY":
        if subscription_plan in ("MONTHLY", *ANNUAL_PLANS) and subscription_end:
            return DateWindow(tomorrow, subscription_end + DAY)
        return DateWindow(tomorrow, subscription_end or today)
    end = option_end or today
    return DateWindow(tomorrow, end + DAY)


def _product_labels():
    from portal.core.vocabulary import Product

    return [(p, Product(p).label) for p in (STD, STD_T, ADV, ADV_T)]


#: The subscription products an option may go with, in the catalogue's column order.
PRODUCT_LABELS = _product_labels()


#: What one unit of a sub option holds (TB of storage, contacts), for the renewal "usage above" warning.
CAPACITY = {
    **dict(zip([f"SSTG20{i}" for i in range(1, 8)], [1, 5, 10, 25, 50, 100, 500], strict=True)),
    "BCT01": 250_000,
    "BCT02": 500_000,
    "BCT03": 1_500_000,
    "BCT04": 5_000_000,
}


def usage_exceeds(*, sub_option_id: str, quantity: int | None, usage: int | None) -> bool:
    """True when the usage is above what `sub_option_id` × `quantity` holds: a renewal CHANGE to it would be
    silently kept as STAY by the API."""
    capacity = CAPACITY.get(sub_option_id)
    return capacity is not None and usage is not None and usage > capacity * (quantity or 1)


def add_refusal(*, subscription) -> str | None:
    """Why no option can be added now (None when one can)."""
    if subscription is None:
        return str(_("The customer has no subscription: an option needs one."))
    if subscription.status == "SUSPENDED_TRIALEND":
        return str(_("Options cannot be added during the Trial grace period."))
    if subscription.product_id not in (STD, STD_T, ADV, ADV_T):
        return str(_("Options are available only with Standard or Advanced (or their Trials)."))
    return None


#: A Trial product's paid counterpart (what its scheduled paid start converts it to, unless it names another).
PAID_OF_TRIAL = {STD_T: STD, ADV_T: ADV}


def order_product(*, subscription, reservation) -> str:
    """The product an option added by a scheduled APPLY must suit: on a Free or Trial subscription whose paid
    start is scheduled, the product it starts (the options come with it, on its date); on a Free one without,
    none (every option needs the paid start); else the subscription's own (a Trial product takes Trial sub
    options only: `may_add`)."""
    if subscription is None:
        return ""
    product = subscription.product_id
    paid_start = reservation is not None and reservation.type == "START_PAID_SERVICE"
    if subscription.plan in ("FREE", "TRIAL") and paid_start:
        return reservation.product_id or PAID_OF_TRIAL.get(product, product)
    if subscription.plan == "FREE":
        return ""
    return product


def order_kinds(*, options: dict, addable: list[SubOption]) -> list[str]:
    """The kinds of scheduled option change a customer can have now: add one of `addable`; cancel an option in
    use; start the paid service of a Trial one; change the quantity of one that has a quantity."""
    kinds = []
    if addable:
        kinds.append("APPLY")
    if options:
        kinds.append("CANCEL")
    if any(o.trial for o in options.values()):
        kinds.append("START_PAID_SERVICE")
    if any(has_quantity(option_product_id) for option_product_id in options):
        kinds.append("CHANGE_QUANTITY")
    return kinds


def same_date_of(
    *, order_type: str, subscription_plan: str, reservation_type: str, reservation_date: dt.date | None
) -> dt.date | None:
    """The date an order must share with the subscription's scheduled change, if the contract ties them:
    on a Free/Trial subscription, every order but CHANGE_QUANTITY takes the date of its paid conversion; on a
    paid subscription, an APPLY takes the date of the subscription's scheduled change."""
    if reservation_date is None or order_type == "CHANGE_QUANTITY":
        return None
    if subscription_plan in ("FREE", "TRIAL"):
        return reservation_date if reservation_type == "START_PAID_SERVICE" else None
    return reservation_date if order_type == "APPLY" else None
