"""What is sold: subscription products and their plans, option products and their sub options, and the prices
the sandbox bills them at. Plain data and pure functions (no Django), read by the subscriptions, options and
billing modules and by their seed parts, so that none of them has to import another for it.
"""

from __future__ import annotations

# --- subscription products and plans --------------------------------------------------------------------------

# x-unverified (subscriptions notes): the length of the Trial and of its grace period is not documented
# (TRIAL_DAYS, GRACE_DAYS in sandbox.dates, shared with the customers module).
LICENSE_PLANS = ("ANNUAL_LICENSE", "ANNUAL_PREPAY_LICENSE")
PAID_PLANS = ("MONTHLY", *LICENSE_PLANS)
PAID_PRODUCTS = ("STD", "ADV")
TRIAL_PRODUCTS = ("STD_T", "ADV_T")
# x-unverified (convertSubscriptionToPaid rule 2): the paid product follows the Trial (contract's x-paid-equivalent).
PAID_EQUIVALENT = {"STD_T": "STD", "ADV_T": "ADV"}
PLAN_OF_PRODUCT = {
    "FR": ("FREE",),
    "STD_T": ("TRIAL",),
    "ADV_T": ("TRIAL",),
    "STD": PAID_PLANS,
    "ADV": PAID_PLANS,
}

# --- option products (contract notes, "Sub options vs. subscription products") --------------------------------

PARENT = {
    "ACV200": "ACV2",
    "ACV201": "ACV2",
    "DRV00": "DRV",
    "DRV01": "DRV",
    "DRV_PS_T": "DRV",
    "DRV_PS": "DRV",
    "DRV_PA_T": "DRV",
    "DRV_PA": "DRV",
    **{f"SSTG20{i}": "SSTG2" for i in range(1, 8)},
    **{f"BCT0{i}": "BCT" for i in range(1, 5)},
}
TRIAL_SUB_OPTIONS = ("ACV200", "DRV00", "DRV_PS_T", "DRV_PA_T")
PAID_SUB_OPTION = {"ACV200": "ACV201", "DRV00": "DRV01", "DRV_PS_T": "DRV_PS", "DRV_PA_T": "DRV_PA"}
QUANTITY_OPTIONS = ("SSTG2", "BCT")
TRIAL_ABLE_OPTIONS = ("ACV2", "DRV")
# The Drive sub options labelled "for STD" (an upgrade to Advanced cancels them) and "for ADV".
DRIVE_FOR_STD = ("DRV00", "DRV01", "DRV_PS_T", "DRV_PS")
DRIVE_FOR_ADV = ("DRV_PA_T", "DRV_PA")
# Upgrade order within a family; x-unverified (upgradeOptionProduct rule 4): Drive < Drive Plus is assumed.
RANK = {
    "DRV00": 1,
    "DRV_PS_T": 2,
    "DRV01": 1,
    "DRV_PS": 2,
    "DRV_PA_T": 1,
    "DRV_PA": 1,
    "ACV200": 1,
    "ACV201": 1,
    **{f"SSTG20{i}": i for i in range(1, 8)},
    **{f"BCT0{i}": i for i in range(1, 5)},
}
# Capacity of one unit (TB of storage, number of contacts) for the renewal "usage above capacity" rule.
CAPACITY = {
    **dict(zip([f"SSTG20{i}" for i in range(1, 8)], [1, 5, 10, 25, 50, 100, 500], strict=True)),
    "BCT01": 250_000,
    "BCT02": 500_000,
    "BCT03": 1_500_000,
    "BCT04": 5_000_000,
}


def family(sub_option: str) -> tuple:
    """Sub options that can replace each other by upgrade or renewal: same option, Trial-ness and Drive label."""
    parent = PARENT[sub_option]
    label = "STD" if sub_option in DRIVE_FOR_STD else "ADV" if sub_option in DRIVE_FOR_ADV else ""
    return parent, sub_option in TRIAL_SUB_OPTIONS, label


# --- prices ---------------------------------------------------------------------------------------------------

# Monthly unit prices in yen, tax excluded. The contract gives no prices: these are the sandbox's own figures.
PRODUCT_PRICES = {
    ("STD", "MONTHLY"): 540,
    ("STD", "ANNUAL_LICENSE"): 450,
    ("STD", "ANNUAL_PREPAY_LICENSE"): 450,
    ("ADV", "MONTHLY"): 960,
    ("ADV", "ANNUAL_LICENSE"): 800,
    ("ADV", "ANNUAL_PREPAY_LICENSE"): 800,
}
PER_USER_OPTION_PRICES = {"ACV201": 200, "DRV01": 100, "DRV_PS": 300, "DRV_PA": 300}
PER_UNIT_OPTION_PRICES = {
    "SSTG201": 5_000,
    "SSTG202": 20_000,
    "SSTG203": 36_000,
    "SSTG204": 80_000,
    "SSTG205": 150_000,
    "SSTG206": 280_000,
    "SSTG207": 1_200_000,
    "BCT01": 10_000,
    "BCT02": 18_000,
    "BCT03": 45_000,
    "BCT04": 120_000,
}
OPTION_PLUS_PRICE = 3_000  # a non-realtime paid app (e.g. a delivery service) per month
