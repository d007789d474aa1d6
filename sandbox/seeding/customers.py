"""Seed part of the customers domain: customers (Japanese and English companies, group names under
by-works.com and custom domains), their usage status, upgrade domains and Online Direct potential customers.

It also chooses each customer's commercial shape (``ctx.plans``) for the subscriptions, options and billing
parts: Free, Standard/Advanced Trial, Standard, Advanced; monthly or annual; licence and member counts.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Max

from sandbox.models import Customer, PotentialCustomer, UpgradeDomain
from sandbox.seed import CustomerPlan, SeedContext, seed_part

JP_PLACES = [
    ("Yamada", "山田"),
    ("Sakura", "さくら"),
    ("Fuji", "富士"),
    ("Aoba", "青葉"),
    ("Tokai", "東海"),
    ("Hokuto", "北斗"),
    ("Mirai", "みらい"),
    ("Kyoto", "京都"),
    ("Naniwa", "浪速"),
    ("Asahi", "朝日"),
    ("Hikari", "ひかり"),
    ("Midori", "みどり"),
    ("Seto", "瀬戸"),
    ("Shinano", "信濃"),
    ("Kawasaki", "川崎"),
    ("Minato", "みなと"),
    ("Tsubasa", "つばさ"),
    ("Yamato", "大和"),
    ("Izumi", "和泉"),
    ("Hanamizuki", "花水木"),
]
JP_TRADES = [
    ("shoji", "商事"),
    ("bussan", "物産"),
    ("kogyo", "工業"),
    ("kensetsu", "建設"),
    ("system", "システム"),
    ("foods", "食品"),
    ("unyu", "運輸"),
    ("seiyaku", "製薬"),
    ("denki", "電機"),
    ("fudosan", "不動産"),
    ("iryo", "医療"),
    ("design", "デザイン"),
    ("kikaku", "企画"),
    ("tsushin", "通信"),
]
JP_FORMS = ["株式会社{}", "{}株式会社", "有限会社{}", "合同会社{}"]
EN_NAMES = [
    "Northwind",
    "Blue Harbor",
    "Summit",
    "Pioneer",
    "Crescent",
    "Evergreen",
    "Silverline",
    "Oakridge",
    "Bright Path",
    "Redwood",
    "Harborview",
    "Maple Leaf",
    "Granite",
    "Lighthouse",
    "Riverside",
    "Skyline",
]
EN_TRADES = ["Trading", "Logistics", "Systems", "Foods", "Consulting", "Works", "Partners", "Labs", "Clinic"]
EN_FORMS = ["{} Co., Ltd.", "{} Inc.", "{} K.K.", "{} LLC", "{} Japan"]
TLDS = [".co.jp", ".jp", ".com", ".net", ".ne.jp"]
FIRST_NAMES = [("Taro", "太郎"), ("Hanako", "花子"), ("Kenji", "健二"), ("Yuki", "由紀"), ("Akira", "明")]
LAST_NAMES = [
    ("Sato", "佐藤"),
    ("Suzuki", "鈴木"),
    ("Takahashi", "高橋"),
    ("Tanaka", "田中"),
    ("Ito", "伊藤"),
]
#: The other services' products a customer may use besides LINE WORKS (productIds; by domainId, in turn).
OTHER_SERVICES = [[], [], ["ROG_STD"], [], ["NTA_TM"], [], ["ROG_ADV", "NTA_BZ"], []]
APPS = ["Delivery service (Yamato Transport)", "Attendance Pro", "Expense Cloud", "Visitor Desk"]
PRODUCTS = [("FR", 15), ("STD_T", 10), ("ADV_T", 7), ("STD", 43), ("ADV", 25)]
PAID_PLANS = [("MONTHLY", 50), ("ANNUAL_LICENSE", 30), ("ANNUAL_PREPAY_LICENSE", 20)]
FIRST_DOMAIN_ID = 10_000_000
TENANT_OFFSET = 100_000_000


def _weighted(rng, pairs):
    return rng.choices([v for v, _ in pairs], weights=[w for _, w in pairs])[0]


def _plan(rng, today: dt.date) -> CustomerPlan:
    product = _weighted(rng, PRODUCTS)
    members = max(1, int(rng.lognormvariate(3.0, 1.0)))
    members = min(members, 3000)
    if product == "FR":
        return CustomerPlan(
            "FR", "FREE", today - dt.timedelta(days=rng.randint(1, 900)), None, min(members, 100)
        )
    if product.endswith("_T"):
        # Trials started up to 70 days ago: some still running, some in their grace period.
        return CustomerPlan(product, "TRIAL", today - dt.timedelta(days=rng.randint(0, 70)), None, members)
    plan = _weighted(rng, PAID_PLANS)
    licenses = members + rng.randint(0, max(2, members // 5)) if plan != "MONTHLY" else None
    return CustomerPlan(product, plan, today - dt.timedelta(days=rng.randint(1, 1100)), licenses, members)


@seed_part("customers", order=10)
def seed_customers(ctx: SeedContext) -> None:
    start = max(Customer.objects.aggregate(m=Max("domain_id"))["m"] or FIRST_DOMAIN_ID, FIRST_DOMAIN_ID) + 1
    rows: list[Customer] = []
    upgrades: list[UpgradeDomain] = []
    first_seed = not Customer.objects.filter(is_partner_own=True).exists()
    for offset in range(ctx.customer_count):
        domain_id = start + offset
        rng = ctx.rng_for("customer", offset)
        plan = _plan(rng, ctx.today)
        japanese, company, slug, (last, first), locale, phone = _who(rng)
        # Advanced (and Advanced Trial) customers must use a domain name.
        custom = plan.product_id in ("ADV", "ADV_T") or rng.random() < 0.35
        tag = f"{domain_id % 100000:05d}"
        if custom:
            domain, domain_type = f"{slug[:14]}{tag}{rng.choice(TLDS)}", "DOMAIN"
        else:
            # A group name under either suffix (the vendor's current pages name both); chosen without the random
            # generator, so every other seeded value stays as it was.
            suffix = ".by-works.net" if domain_id % 5 == 0 else ".by-works.com"
            domain, domain_type = f"{slug[:16]}{tag}{suffix}", "GROUP"
        active = not custom or rng.random() < 0.9
        max_members = None
        if rng.random() < 0.3:
            max_members = plan.member_count + rng.randint(0, 50)
        renewal_date = renewal_max = None
        if rng.random() < 0.05:
            renewal_date = ctx.today + dt.timedelta(days=rng.randint(1, 120))
            renewal_max = plan.member_count + rng.randint(5, 100)
        withdrawal = None
        if plan.plan not in ("FREE", "TRIAL") and rng.random() < 0.02:
            withdrawal = ctx.today + dt.timedelta(days=rng.randint(2, 90))
        own = first_seed and offset == 0
        customer = Customer(
            domain_id=domain_id,
            tenant_id=TENANT_OFFSET + domain_id,
            domain="partner-demo.by-works.com" if own else domain,
            domain_type="GROUP" if own else domain_type,
            company_name=("Sandbox Partner K.K." if own else company)[:40],
            phone_number=phone,
            time_zone="Asia/Tokyo" if japanese or rng.random() < 0.6 else "Asia/Seoul",
            locale=locale,
            enable_active_mxrecord=active,
            enable_active_domain=active or own,
            admin_last_name=last,
            admin_first_name=first,
            admin_id=f"admin{tag}",
            admin_private_email=f"it-admin{tag}@example.jp" if japanese else f"it{tag}@example.com",
            admin_accepted_terms=rng.random() < 0.95,
            has_non_realtime_paid_app=rng.random() < 0.03,
            is_partner_own=own,
            other_product_ids=[] if own else OTHER_SERVICES[domain_id % len(OTHER_SERVICES)],
            customer_code=f"C-{domain_id}" if rng.random() < 0.6 else None,
            enable_partner_profile_display=rng.random() < 0.9,
            memo=rng.choice([None, None, "請求書は郵送希望", "Renewal call in March", "担当: 営業2課"]),
            usage_status="SUSPENDED_ADMIN" if rng.random() < 0.01 else "ACTIVE",
            member_count=plan.member_count,
            max_member_count=max_members,
            withdrawal_date=withdrawal,
            renewal_apply_date=renewal_date,
            renewal_max_member_count=renewal_max if renewal_date else None,
            created_on=plan.start_date,
        )
        rows.append(customer)
        ctx.plans[domain_id] = plan
        if custom and not own:
            upgrades.append(_upgrade_domain(ctx.seed, customer, rng))
    Customer.objects.bulk_create(rows, batch_size=1000)
    UpgradeDomain.objects.bulk_create(upgrades, batch_size=1000)
    ctx.customers.extend(rows)

    potentials = _potentials(ctx)
    PotentialCustomer.objects.bulk_create(potentials)
    ctx.counts["customers"] = len(rows)
    ctx.counts["potential customers"] = len(potentials)


def _who(rng):
    """A customer's company and administrator: Japanese seven in ten (company name, a slug for its domain, the
    administrator's last and first names, locale, phone), else English, Korean or Taiwanese."""
    japanese = rng.random() < 0.7
    if japanese:
        (place_en, place_ja), (trade_en, trade_ja) = rng.choice(JP_PLACES), rng.choice(JP_TRADES)
        company = rng.choice(JP_FORMS).format(place_ja + trade_ja)
        slug = f"{place_en}-{trade_en}".lower()
        names = rng.choice(LAST_NAMES)[1], rng.choice(FIRST_NAMES)[1]
        phone = f"0{rng.randint(3, 9)}-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}"
        return japanese, company, slug, names, "ja_JP", phone
    name, trade = rng.choice(EN_NAMES), rng.choice(EN_TRADES)
    company = rng.choice(EN_FORMS).format(f"{name} {trade}")
    slug = f"{name}-{trade}".lower().replace(" ", "")
    names = rng.choice(LAST_NAMES)[0], rng.choice(FIRST_NAMES)[0]
    locale = rng.choice(["en_US", "en_US", "ko_KR", "zh_TW"])
    return (
        japanese,
        company,
        slug,
        names,
        locale,
        f"+81-3-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}",
    )


def _upgrade_domain(seed: int, customer: Customer, rng) -> UpgradeDomain:
    """The DNS records a customer with its own domain name was asked to set, found or not."""
    token = f"{seed:04d}{customer.domain_id:010d}"
    active = customer.enable_active_mxrecord
    found = active or rng.random() < 0.5
    # The CNAME is named by the token's last eight digits (the customer's own; the first four are the seed's).
    return UpgradeDomain.asked_of(
        customer, customer.domain, token, cname=token[-8:], active=active, found=found
    )


def _potentials(ctx: SeedContext) -> list[PotentialCustomer]:
    """Companies that could become customers: one for fifty seeded customers, at least three."""
    potentials = []
    base = PotentialCustomer.objects.count()
    for i in range(max(3, ctx.customer_count // 50)):
        rng = ctx.rng_for("potential", base + i)
        place_en, place_ja = rng.choice(JP_PLACES)
        trade_en, trade_ja = rng.choice(JP_TRADES)
        number = base + i + 1
        potentials.append(
            PotentialCustomer(
                domain=f"{place_en.lower()}-{trade_en}{number:04d}.jp",
                tenant_id=TENANT_OFFSET + 90_000_000 + number,
                domain_id=90_000_000 + number,
                product_id=rng.choice(["FR", "STD_T", "STD", "ADV", "LT", "BS"]),
                partner_code=f"PC{number:06d}",
                not_handled_apps=rng.sample(APPS, rng.randint(0, 2)),
                company_name=f"株式会社{place_ja}{trade_ja}",
                member_count=rng.randint(1, 200),
            )
        )
    return potentials
