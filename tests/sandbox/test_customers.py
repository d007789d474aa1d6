"""Rules of the customers, domains and usage-status operations: one test per x-business-rules line."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from tests.sandbox.helpers import assert_rule, create_customer, customer_body, days, unique_group

rule = pytest.mark.rule


@pytest.fixture
def api(sandbox_client):
    return sandbox_client


def _db(sandbox):
    return sqlite3.connect(sandbox.env["SANDBOX_DB"], timeout=30)


# --- verifyCustomerDomain -----------------------------------------------------------------------------------


@rule("domain.verify_length")
def test_verify_domain_length(api):
    assert_rule(api.post("/partners/customers/verify-domain", json={"domain": "a"}), "domain.verify_length")
    assert_rule(
        api.post("/partners/customers/verify-domain", json={"domain": "a" * 23}), "domain.verify_length"
    )
    assert_rule(api.post("/partners/customers/verify-domain", json={}), "domain.verify_length")


@rule("domain.verify_type_by_dot")
def test_verify_domain_type(api):
    name = unique_group()
    assert api.post("/partners/customers/verify-domain", json={"domain": name}).json() == {
        "domain": name,
        "type": "GROUP",
    }
    dotted = name[:10] + ".co.jp"
    assert api.post("/partners/customers/verify-domain", json={"domain": dotted}).json()["type"] == "DOMAIN"


@rule("domain.verify_taken_rejected")
def test_verify_domain_taken(api):
    customer = create_customer(api)
    group = customer["domain"].removesuffix(".by-works.com")
    assert_rule(
        api.post("/partners/customers/verify-domain", json={"domain": group}), "domain.verify_taken_rejected"
    )
    assert_rule(
        api.post("/partners/customers/verify-domain", json={"domain": "admin"}),
        "domain.verify_taken_rejected",
    )


@rule("domain.verify_charset")
def test_verify_domain_charset(api):
    for bad in ("-abc", "abc-", "ab--cd", "ABC", "ab_c"):
        assert_rule(
            api.post("/partners/customers/verify-domain", json={"domain": bad}), "domain.verify_charset"
        )


# --- createCustomer ----------------------------------------------------------------------------------------


@rule("customer.create_json_content_type")
def test_create_needs_json_content_type(api):
    response = api.post(
        "/partners/customers", data=b'{"domain": "x"}', headers={"Content-Type": "text/plain"}
    )
    assert_rule(response, "customer.create_json_content_type")
    assert response.json()["code"] == "BAD_REQUEST"


@rule("customer.create_domain_format")
def test_create_domain_format(api):
    for bad in ("a", "x" * 23, "-abc", "ab--c", "Upper"):
        assert_rule(api.post("/partners/customers", json=customer_body(bad)), "customer.create_domain_format")


@rule("customer.create_company_name")
def test_create_company_name(api):
    assert_rule(
        api.post("/partners/customers", json=customer_body(companyName="x" * 41)),
        "customer.create_company_name",
    )
    body = customer_body()
    del body["companyName"]
    assert_rule(api.post("/partners/customers", json=body), "customer.create_company_name")


@rule("customer.create_phone_number")
def test_create_phone_number(api):
    assert_rule(
        api.post("/partners/customers", json=customer_body(phoneNumber="03-1234/5678")),
        "customer.create_phone_number",
    )
    assert create_customer(api, phoneNumber="+81-3-1234-5678,P*#T")["phoneNumber"] == "+81-3-1234-5678,P*#T"


@rule("customer.create_time_zone")
def test_create_time_zone(api):
    assert_rule(
        api.post("/partners/customers", json=customer_body(timeZone="Mars/Olympus")),
        "customer.create_time_zone",
    )
    body = customer_body()
    del body["timeZone"]
    assert_rule(api.post("/partners/customers", json=body), "customer.create_time_zone")


@rule("customer.create_locale")
def test_create_locale(api):
    assert_rule(api.post("/partners/customers", json=customer_body(locale="fr_FR")), "customer.create_locale")
    assert create_customer(api, locale="zh_TW")["locale"] == "zh_TW"


@rule("customer.create_product_id_deprecated")
def test_create_product_id_starts_a_trial(api):
    assert_rule(
        api.post("/partners/customers", json=customer_body(productId="STD")),
        "customer.create_product_id_deprecated",
    )
    without = create_customer(api)
    assert without["productId"] is None
    trial = create_customer(api, productId="STD_T")
    assert trial["productId"] == "STD_T"


@rule("customer.create_admin_names")
def test_create_admin_names(api):
    long_names = customer_body()
    long_names["administrator"].update(lastName="a" * 50, firstName="b" * 31)
    assert_rule(api.post("/partners/customers", json=long_names), "customer.create_admin_names")
    odd = customer_body()
    odd["administrator"]["lastName"] = "Sato<script>"
    assert_rule(api.post("/partners/customers", json=odd), "customer.create_admin_names")
    allowed = customer_body()
    allowed["administrator"]["lastName"] = "O'Neil"[:1] + "Neil (Sales) & Co."
    assert api.post("/partners/customers", json=allowed).status_code == 201


@rule("customer.create_admin_password")
def test_create_admin_password(api):
    for bad in ("short1", "x" * 21, "onlyletters", "1234567890"):
        body = customer_body()
        body["administrator"]["password"] = bad
        assert_rule(api.post("/partners/customers", json=body), "customer.create_admin_password")


@rule("customer.create_admin_id")
def test_create_admin_id(api):
    body = customer_body()
    body["administrator"]["id"] = "a"
    assert_rule(api.post("/partners/customers", json=body), "customer.create_admin_id")


@rule("customer.create_admin_email")
def test_create_admin_email(api):
    body = customer_body()
    del body["administrator"]["privateEmail"]
    assert_rule(api.post("/partners/customers", json=body), "customer.create_admin_email")
    body["administrator"]["privateEmail"] = "not-an-email"
    assert_rule(api.post("/partners/customers", json=body), "customer.create_admin_email")


@rule("customer.create_profile_display_default")
def test_create_profile_display_default(api):
    assert create_customer(api)["partnership"]["enablePartnerProfileDisplay"] is True
    hidden = create_customer(api, partnership={"enablePartnerProfileDisplay": False})
    assert hidden["partnership"]["enablePartnerProfileDisplay"] is False


@rule("customer.create_admin_required")
def test_create_admin_required(api):
    body = customer_body()
    del body["administrator"]
    response = api.post("/partners/customers", json=body)
    assert_rule(response, "customer.create_admin_required")
    assert response.json()["code"] == "MISSING_PARAMETER"


@rule("customer.create_domain_in_use")
def test_create_domain_in_use(api):
    name = unique_group()
    create_customer(api, name)
    assert_rule(api.post("/partners/customers", json=customer_body(name)), "customer.create_domain_in_use")


@rule("customer.create_custom_domain_inactive")
def test_create_custom_domain_inactive(api):
    group = create_customer(api)
    assert group["domainType"] == "GROUP" and group["domain"].endswith(".by-works.com")
    assert group["enableActiveDomain"] is True
    custom = create_customer(api, unique_group()[:12] + ".jp")
    assert custom["domainType"] == "DOMAIN" and custom["enableActiveDomain"] is False


# --- listCustomers -----------------------------------------------------------------------------------------


@rule("customer.list_count_range")
def test_list_count_range(api):
    for bad in (0, 31):
        response = api.get("/partners/customers", params={"count": bad})
        assert_rule(response, "customer.list_count_range")
        assert response.json()["code"] == "OUT_OF_RANGE"
    assert len(api.get("/partners/customers").json()["customers"]) == 10  # default


@rule("customer.list_order_by")
def test_list_order_by(api):
    asc = [c["companyName"] for c in api.get("/partners/customers", params={"count": 30}).json()["customers"]]
    desc = api.get("/partners/customers", params={"count": 30, "orderBy": "name desc"}).json()["customers"]
    assert asc == sorted(asc)
    assert [c["companyName"] for c in desc] == sorted((c["companyName"] for c in desc), reverse=True)
    assert_rule(api.get("/partners/customers", params={"orderBy": "domain asc"}), "customer.list_order_by")


@rule("customer.list_order_not_guaranteed")
def test_list_pages_cover_every_customer_once(api):
    from sandbox.testing import iter_pages

    ids = [c["domainId"] for c in iter_pages(api, "/partners/customers", "customers", count=7)]
    assert len(ids) == len(set(ids)) and len(ids) >= 30


@rule("customer.list_page_size_and_cursor")
def test_list_page_size_and_cursor(api):
    first = api.get("/partners/customers", params={"count": 5}).json()
    assert len(first["customers"]) == 5
    cursor = first["responseMetaData"]["nextCursor"]
    second = api.get("/partners/customers", params={"count": 5, "cursor": cursor}).json()
    assert {c["domainId"] for c in first["customers"]}.isdisjoint(c["domainId"] for c in second["customers"])
    bad = api.get("/partners/customers", params={"cursor": "not a cursor"})
    assert bad.status_code == 400 and bad.json()["code"] == "INVALID_PARAMETER"


@rule("customer.list_last_page_no_cursor")
def test_list_last_page_has_no_cursor(api):
    customer = create_customer(api)
    only = api.get("/partners/customers", params={"domain": customer["domain"]}).json()
    assert [c["domainId"] for c in only["customers"]] == [customer["domainId"]]
    assert "nextCursor" not in only["responseMetaData"]


@rule("customer.list_only_partner_customers")
def test_list_only_partner_customers(api):
    customer = create_customer(api)
    assert api.delete(f"/partners/customers/{customer['domainId']}").status_code == 204
    assert api.get("/partners/customers", params={"domain": customer["domain"]}).json()["customers"] == []


@rule("customer.list_product_id_deprecated")
def test_list_product_id_nullable(api):
    plain = create_customer(api)
    trial = create_customer(api, productId="STD_T")
    for customer, expected in ((plain, None), (trial, "STD_T")):
        listed = api.get("/partners/customers", params={"domain": customer["domain"]}).json()["customers"][0]
        assert listed["productId"] == expected


@rule("customer.list_product_ids")
def test_product_ids_list_every_service(api, sandbox_server):
    """productIds: the LINE WORKS product (of its subscription), then the other services' (ROG_, NTA_)."""
    plain = create_customer(api)
    trial = create_customer(api, productId="STD_T")
    sandbox_server.customer_facts(trial["domainId"], otherProductIds=["ROG_STD", "NTA_TM"])
    for customer, expected in ((plain, []), (trial, ["STD_T", "ROG_STD", "NTA_TM"])):
        listed = api.get("/partners/customers", params={"domain": customer["domain"]}).json()["customers"][0]
        assert listed["productIds"] == expected
        assert api.get(f"/partners/customers/{customer['domainId']}").json()["productIds"] == expected
    # The deprecated productId still comes with it, LINE WORKS only.
    assert api.get(f"/partners/customers/{trial['domainId']}").json()["productId"] == "STD_T"


def _a_by_works_net_group(api) -> dict:
    """A seeded customer whose group name lives under by-works.net."""
    cursor = None
    while True:
        page = api.get(
            "/partners/customers", params={"count": 30, **({"cursor": cursor} if cursor else {})}
        ).json()
        found = [c for c in page["customers"] if c["domain"].endswith(".by-works.net")]
        if found:
            return found[0]
        cursor = (page.get("responseMetaData") or {}).get("nextCursor")
        assert cursor, "the seed has a group name under by-works.net"


# --- getCustomer, updateCustomer, patchCustomer ------------------------------------------------------------


@rule("customer.get_unknown_404")
def test_get_unknown_customer(api):
    response = api.get("/partners/customers/99999999999")
    assert response.status_code == 404 and response.json()["code"] == "NOT_FOUND"
    assert api.get("/partners/customers/abc").status_code == 400


@rule("customer.put_required")
def test_put_required_fields(api):
    customer = create_customer(api)
    response = api.put(f"/partners/customers/{customer['domainId']}", json={"companyName": "X"})
    assert_rule(response, "customer.put_required")


@rule("customer.put_resets_absent")
def test_put_resets_absent_fields(api):
    customer = create_customer(api)
    url = f"/partners/customers/{customer['domainId']}"
    api.patch(
        url, json={"partnership": {"customerCode": "C1", "memo": "m", "enablePartnerProfileDisplay": False}}
    )
    body = {
        "companyName": "New Name",
        "phoneNumber": "03-0000-0000",
        "timeZone": "Asia/Seoul",
        "locale": "ko_KR",
    }
    updated = api.put(url, json=body).json()
    assert updated["companyName"] == "New Name" and updated["timeZone"] == "Asia/Seoul"
    assert updated["partnership"]["customerCode"] is None and updated["partnership"]["memo"] is None
    assert updated["partnership"]["enablePartnerProfileDisplay"] is True


@rule("customer.put_field_limits")
def test_put_field_limits(api):
    customer = create_customer(api)
    body = {"companyName": "N", "phoneNumber": "03", "timeZone": "Asia/Tokyo", "locale": "ja_JP"}
    response = api.put(
        f"/partners/customers/{customer['domainId']}", json={**body, "partnership": {"memo": "x" * 701}}
    )
    assert_rule(response, "customer.put_field_limits")
    response = api.put(
        f"/partners/customers/{customer['domainId']}",
        json={**body, "partnership": {"customerCode": "あ" * 67}},
    )
    assert_rule(response, "customer.put_field_limits")


@rule("customer.patch_json_content_type")
def test_patch_needs_json(api):
    customer = create_customer(api)
    response = api.patch(
        f"/partners/customers/{customer['domainId']}",
        data=b"companyName=x",
        headers={"Content-Type": "text/plain"},
    )
    assert_rule(response, "customer.patch_json_content_type")


@rule("customer.patch_keeps_absent")
def test_patch_keeps_absent(api):
    customer = create_customer(api)
    url = f"/partners/customers/{customer['domainId']}"
    api.patch(url, json={"partnership": {"memo": "keep me"}})
    patched = api.patch(url, json={"companyName": "Renamed"}).json()
    assert patched["companyName"] == "Renamed"
    assert patched["phoneNumber"] == customer["phoneNumber"] and patched["partnership"]["memo"] == "keep me"


@rule("customer.patch_company_name")
def test_patch_company_name(api):
    customer = create_customer(api)
    assert_rule(
        api.patch(f"/partners/customers/{customer['domainId']}", json={"companyName": "x" * 41}),
        "customer.patch_company_name",
    )


@rule("customer.patch_phone")
def test_patch_phone(api):
    customer = create_customer(api)
    assert_rule(
        api.patch(f"/partners/customers/{customer['domainId']}", json={"phoneNumber": "abc"}),
        "customer.patch_phone",
    )


@rule("customer.patch_locale")
def test_patch_locale(api):
    customer = create_customer(api)
    assert_rule(
        api.patch(f"/partners/customers/{customer['domainId']}", json={"locale": "de_DE"}),
        "customer.patch_locale",
    )


@rule("customer.patch_customer_code_bytes")
def test_patch_customer_code_counts_bytes(api):
    customer = create_customer(api)
    url = f"/partners/customers/{customer['domainId']}"
    assert api.patch(url, json={"partnership": {"customerCode": "あ" * 66}}).status_code == 200  # 198 bytes
    assert_rule(
        api.patch(url, json={"partnership": {"customerCode": "あ" * 67}}),
        "customer.patch_customer_code_bytes",
    )
    assert_rule(
        api.patch(url, json={"partnership": {"customerCode": "x" * 201}}),
        "customer.patch_customer_code_bytes",
    )


@rule("customer.patch_memo_700")
def test_patch_memo_limit(api):
    customer = create_customer(api)
    url = f"/partners/customers/{customer['domainId']}"
    assert api.patch(url, json={"partnership": {"memo": "メ" * 700}}).status_code == 200
    assert_rule(api.patch(url, json={"partnership": {"memo": "x" * 701}}), "customer.patch_memo_700")


@rule("customer.patch_immutable_fields")
def test_patch_ignores_domain_product_and_admin(api):
    customer = create_customer(api)
    patched = api.patch(
        f"/partners/customers/{customer['domainId']}",
        json={"domain": "other.example.com", "productId": "ADV", "administrator": {"lastName": "X"}},
    ).json()
    assert patched["domain"] == customer["domain"] and patched["productId"] is None
    assert patched["administrator"] == customer["administrator"]


# --- deleteCustomer ----------------------------------------------------------------------------------------


@rule("customer.delete_partner_own")
def test_delete_partner_own_domain(api, sandbox_server):
    customer = create_customer(api)
    sandbox_server.customer_facts(customer["domainId"], isPartnerOwn=True)
    assert_rule(api.delete(f"/partners/customers/{customer['domainId']}"), "customer.delete_partner_own")


@rule("customer.delete_cancels_everything")
def test_delete_cancels_subscriptions(api, sandbox_server):
    customer = create_customer(api, productId="STD_T")
    api.delete(f"/partners/customers/{customer['domainId']}")
    with _db(sandbox_server) as db:
        open_subs = db.execute(
            "select count(*) from sandbox_subscription where customer_id=? and cancelled_on is null",
            (customer["domainId"],),
        ).fetchone()[0]
    assert open_subs == 0


@rule("customer.delete_non_realtime_app_202")
def test_delete_with_non_realtime_app_is_pending(api, sandbox_server):
    plain = create_customer(api)
    assert api.delete(f"/partners/customers/{plain['domainId']}").status_code == 204
    pending = create_customer(api)
    sandbox_server.customer_facts(pending["domainId"], hasNonRealtimePaidApp=True)
    response = api.delete(f"/partners/customers/{pending['domainId']}")
    assert response.status_code == 202 and response.content == b""
    status = api.get(f"/partners/customers/{pending['domainId']}/usage-status").json()
    assert status["status"] == "SUSPENDED_WITHDRAWAL" and status["withdrawalDate"]


@rule("customer.delete_pending_irreversible")
def test_pending_cancellation_cannot_be_undone(api, sandbox_server):
    customer = create_customer(api)
    sandbox_server.customer_facts(customer["domainId"], hasNonRealtimePaidApp=True)
    api.delete(f"/partners/customers/{customer['domainId']}")
    url = f"/partners/customers/{customer['domainId']}/usage-status"
    assert_rule(api.patch(url, json={"withdrawalDate": None}), "customer.delete_pending_irreversible")
    assert_rule(
        api.delete(f"/partners/customers/{customer['domainId']}"), "customer.delete_pending_irreversible"
    )


@rule("customer.delete_withdrawal_date_rule")
def test_withdrawal_date_rule():
    from sandbox.dates import withdrawal_date_for

    assert withdrawal_date_for(dt.date(2026, 11, 2)) == dt.date(2026, 12, 2)
    assert withdrawal_date_for(dt.date(2026, 11, 24)) == dt.date(2026, 12, 2)
    assert withdrawal_date_for(dt.date(2026, 11, 25)) == dt.date(2027, 1, 2)
    assert withdrawal_date_for(dt.date(2026, 12, 31)) == dt.date(2027, 2, 2)
    assert withdrawal_date_for(dt.date(2026, 12, 1)) == dt.date(2027, 1, 2)


def _open_period(sandbox, domain_id: int, group: str = "WORKS") -> None:
    with _db(sandbox) as db:
        db.execute(
            "insert into sandbox_usageperiod (customer_id, product_group_id, product_id, plan, option_product_id,"
            " sub_option_id, member_count, status, start_date) values (?, ?, 'STD', 'MONTHLY', '', '', 5,"
            " 'ACTIVE', '2026-01-01')",
            (domain_id, group),
        )


def _period_ends(sandbox, domain_id: int) -> dict[str, str | None]:
    with _db(sandbox) as db:
        return dict(
            db.execute(
                "select product_group_id, end_date from sandbox_usageperiod where customer_id=?", (domain_id,)
            ).fetchall()
        )


@rule("customer.delete_billing")
def test_delete_bills_use_up_to_the_day_before(api, sandbox_server, today):
    customer = create_customer(api)
    _open_period(sandbox_server, customer["domainId"])
    api.delete(f"/partners/customers/{customer['domainId']}")
    assert _period_ends(sandbox_server, customer["domainId"]) == {"WORKS": days(today, -1)}


@rule("customer.delete_pending_option_plus_only")
def test_pending_deletion_keeps_option_plus_only(api, sandbox_server, today):
    customer = create_customer(api)
    _open_period(sandbox_server, customer["domainId"])
    _open_period(sandbox_server, customer["domainId"], group="OPTION_PLUS")
    sandbox_server.customer_facts(customer["domainId"], hasNonRealtimePaidApp=True)
    assert api.delete(f"/partners/customers/{customer['domainId']}").status_code == 202
    assert _period_ends(sandbox_server, customer["domainId"]) == {
        "WORKS": days(today, -1),
        "OPTION_PLUS": None,
    }


@rule("customer.delete_then_404")
def test_deleted_customer_is_404(api):
    customer = create_customer(api)
    api.delete(f"/partners/customers/{customer['domainId']}")
    assert api.get(f"/partners/customers/{customer['domainId']}").status_code == 404
    assert api.delete(f"/partners/customers/{customer['domainId']}").status_code == 404


# --- upgrade-domain, activate, change-domain ---------------------------------------------------------------


def _custom_name() -> str:
    return unique_group()[:12] + ".co.jp"


@rule("upgrade.inactive_until_verified")
def test_upgrade_domain_inactive_until_verified(api):
    customer = create_customer(api)
    name = _custom_name()
    api.post(f"/partners/customers/{customer['domainId']}/upgrade-domain", json={"domain": name})
    got = api.get(f"/partners/customers/{customer['domainId']}/upgrade-domain").json()
    assert got["domain"] == name and got["isActiveDomain"] is False
    assert got["txtToken"] and got["cnameHost"] and got["mxRecordValue"]["priority10"]


@rule("upgrade.get_none_404")
def test_upgrade_domain_get_none(api):
    customer = create_customer(api)
    assert_rule(
        api.get(f"/partners/customers/{customer['domainId']}/upgrade-domain"), "upgrade.get_none_404", 404
    )


@rule("upgrade.domain_required")
def test_upgrade_domain_required(api):
    customer = create_customer(api)
    assert_rule(
        api.post(f"/partners/customers/{customer['domainId']}/upgrade-domain", json={}),
        "upgrade.domain_required",
    )


@rule("upgrade.new_inactive")
def test_new_upgrade_domain_is_inactive(api):
    customer = create_customer(api)
    created = api.post(
        f"/partners/customers/{customer['domainId']}/upgrade-domain", json={"domain": _custom_name()}
    )
    assert created.status_code == 201 and created.json()["isActiveDomain"] is False


@rule("upgrade.group_only")
def test_upgrade_domain_group_only(api):
    customer = create_customer(api, _custom_name())
    response = api.post(
        f"/partners/customers/{customer['domainId']}/upgrade-domain", json={"domain": _custom_name()}
    )
    assert_rule(response, "upgrade.group_only")


@rule("upgrade.domain_taken")
def test_upgrade_domain_taken(api):
    taken = create_customer(api, _custom_name())
    customer = create_customer(api)
    url = f"/partners/customers/{customer['domainId']}/upgrade-domain"
    assert_rule(api.post(url, json={"domain": taken["domain"]}), "upgrade.domain_taken")
    assert_rule(api.post(url, json={"domain": "nodot"}), "upgrade.domain_taken")


@rule("upgrade.replaces_previous")
def test_upgrade_domain_replaces_previous(api):
    customer = create_customer(api)
    url = f"/partners/customers/{customer['domainId']}/upgrade-domain"
    api.post(url, json={"domain": _custom_name()})
    second = _custom_name()
    api.post(url, json={"domain": second})
    assert api.get(url).json()["domain"] == second


@rule("upgrade.deleted_then_404")
def test_upgrade_domain_deleted(api):
    customer = create_customer(api)
    url = f"/partners/customers/{customer['domainId']}/upgrade-domain"
    api.post(url, json={"domain": _custom_name()})
    assert api.delete(url).status_code == 204
    assert api.get(url).status_code == 404


@rule("upgrade.delete_none_404")
def test_upgrade_domain_delete_none(api):
    customer = create_customer(api)
    assert_rule(
        api.delete(f"/partners/customers/{customer['domainId']}/upgrade-domain"),
        "upgrade.delete_none_404",
        404,
    )


def _custom_customer(api, sandbox, *, terms=True, dns=True):
    customer = create_customer(api, _custom_name())
    sandbox.customer_facts(customer["domainId"], adminAcceptedTerms=terms, dnsRecordsFound=dns)
    return customer


@rule("activate.needs_terms")
def test_activate_needs_terms(api, sandbox_server):
    customer = _custom_customer(api, sandbox_server, terms=False)
    assert_rule(api.post(f"/partners/customers/{customer['domainId']}/activate"), "activate.needs_terms")


@rule("activate.sets_active_domain")
def test_activate_sets_active_domain(api, sandbox_server):
    customer = _custom_customer(api, sandbox_server)
    response = api.post(f"/partners/customers/{customer['domainId']}/activate")
    assert response.status_code == 200 and response.json()["enableActiveDomain"] is True
    upgrade = api.get(f"/partners/customers/{customer['domainId']}/upgrade-domain").json()
    assert upgrade["isActiveDomain"] is True


@rule("activate.dns_not_found")
def test_activate_needs_dns_records(api, sandbox_server):
    customer = _custom_customer(api, sandbox_server, dns=False)
    assert_rule(api.post(f"/partners/customers/{customer['domainId']}/activate"), "activate.dns_not_found")


@rule("activate.only_custom_domains")
def test_activate_by_works_is_a_no_op(api, sandbox_server):
    customer = create_customer(api)
    sandbox_server.customer_facts(customer["domainId"], adminAcceptedTerms=True)
    response = api.post(f"/partners/customers/{customer['domainId']}/activate")
    assert response.status_code == 200 and response.json()["enableActiveDomain"] is True


@rule("activate.only_custom_domains")
def test_activate_by_works_net_is_a_no_op_too(api, sandbox_server):
    customer = _a_by_works_net_group(api)
    sandbox_server.customer_facts(customer["domainId"], adminAcceptedTerms=True)
    response = api.post(f"/partners/customers/{customer['domainId']}/activate")
    assert response.status_code == 200 and response.json()["enableActiveDomain"] is True


@rule("domain.verify_taken_rejected")
def test_a_group_name_under_by_works_net_is_taken(api):
    group = _a_by_works_net_group(api)["domain"].removesuffix(".by-works.net")
    assert_rule(
        api.post("/partners/customers/verify-domain", json={"domain": group}), "domain.verify_taken_rejected"
    )


@rule("change.needs_upgrade_domain")
def test_change_domain_needs_upgrade_domain(api):
    customer = create_customer(api)
    response = api.post(
        f"/partners/customers/{customer['domainId']}/change-domain", json={"domain": _custom_name()}
    )
    assert_rule(response, "change.needs_upgrade_domain")


@rule("change.advanced_needs_domain")
def test_advanced_customer_needs_domain_name(api):
    assert_rule(
        api.post("/partners/customers", json=customer_body(productId="ADV_T")), "change.advanced_needs_domain"
    )
    assert create_customer(api, _custom_name(), productId="ADV_T")["productId"] == "ADV_T"


@rule("change.domain_must_match_upgrade")
def test_change_domain_must_match(api):
    customer = create_customer(api)
    api.post(f"/partners/customers/{customer['domainId']}/upgrade-domain", json={"domain": _custom_name()})
    response = api.post(
        f"/partners/customers/{customer['domainId']}/change-domain", json={"domain": _custom_name()}
    )
    assert_rule(response, "change.domain_must_match_upgrade")


@rule("change.already_domain")
def test_change_domain_already_domain(api):
    customer = create_customer(api, _custom_name())
    response = api.post(
        f"/partners/customers/{customer['domainId']}/change-domain", json={"domain": _custom_name()}
    )
    assert_rule(response, "change.already_domain")


@rule("change.result_domain_type")
def test_change_domain_result(api):
    customer = create_customer(api)
    name = _custom_name()
    api.post(f"/partners/customers/{customer['domainId']}/upgrade-domain", json={"domain": name})
    response = api.post(f"/partners/customers/{customer['domainId']}/change-domain", json={"domain": name})
    assert response.status_code == 204 and response.content == b""
    after = api.get(f"/partners/customers/{customer['domainId']}").json()
    assert after["domainType"] == "DOMAIN" and after["domain"] == name


@rule("change.mail_mx_caution")
def test_change_domain_mx_not_active_until_activation(api, sandbox_server):
    customer = create_customer(api)
    name = _custom_name()
    api.post(f"/partners/customers/{customer['domainId']}/upgrade-domain", json={"domain": name})
    api.post(f"/partners/customers/{customer['domainId']}/change-domain", json={})
    assert api.get(f"/partners/customers/{customer['domainId']}").json()["enableActiveMxrecord"] is False
    sandbox_server.customer_facts(customer["domainId"], adminAcceptedTerms=True, dnsRecordsFound=True)
    activated = api.post(f"/partners/customers/{customer['domainId']}/activate").json()
    assert activated["enableActiveMxrecord"] is True


# --- potential customers ----------------------------------------------------------------------------------


def _potential(sandbox):
    with _db(sandbox) as db:
        return db.execute(
            "select domain, partner_code from sandbox_potentialcustomer where transferred_on is null order by id limit 1"
        ).fetchone()


@rule("potential.partner_code_required")
def test_potential_needs_partner_code(api, sandbox_server):
    domain, _ = _potential(sandbox_server)
    assert_rule(api.get(f"/partners/potential-customers/{domain}"), "potential.partner_code_required")


@rule("potential.code_mismatch_400")
def test_potential_code_mismatch(api, sandbox_server):
    domain, _ = _potential(sandbox_server)
    bad = api.get(f"/partners/potential-customers/{domain}", params={"partnerCode": "WRONG"})
    assert_rule(bad, "potential.code_mismatch_400")
    unknown = api.get("/partners/potential-customers/nowhere.jp", params={"partnerCode": "X"})
    assert_rule(unknown, "potential.code_mismatch_400")


@rule("potential.not_handled_apps")
def test_potential_lists_not_handled_apps(api, sandbox_server):
    domain, code = _potential(sandbox_server)
    body = api.get(f"/partners/potential-customers/{domain}", params={"partnerCode": code}).json()
    assert body["domain"] == domain and isinstance(body["notHandledApps"], list)


@rule("transfer.code_required_match")
def test_transfer_needs_matching_code(api, sandbox_server):
    domain, _ = _potential(sandbox_server)
    url = f"/partners/potential-customers/{domain}/transfer"
    assert_rule(api.post(url), "transfer.code_required_match")
    assert_rule(api.post(url, params={"partnerCode": "WRONG"}), "transfer.code_required_match")


@rule("transfer.appears_in_list")
def test_transfer_moves_the_customer(api, sandbox_server):
    domain, code = _potential(sandbox_server)
    moved = api.post(f"/partners/potential-customers/{domain}/transfer", params={"partnerCode": code})
    assert moved.status_code == 200 and moved.json()["domain"] == domain
    listed = api.get("/partners/customers", params={"domain": domain}).json()["customers"]
    assert [c["domainId"] for c in listed] == [moved.json()["domainId"]]
    assert api.get(f"/partners/potential-customers/{domain}", params={"partnerCode": code}).status_code == 400


@rule("transfer.not_handled_apps_unsupported")
def test_transfer_drops_not_handled_apps(api, sandbox_server):
    domain, code = _potential(sandbox_server)
    api.post(f"/partners/potential-customers/{domain}/transfer", params={"partnerCode": code})
    with _db(sandbox_server) as db:
        apps = db.execute(
            "select not_handled_apps from sandbox_potentialcustomer where domain=?", (domain,)
        ).fetchone()
    assert apps[0] == "[]"


# --- usage status -----------------------------------------------------------------------------------------


def _status_url(customer) -> str:
    return f"/partners/customers/{customer['domainId']}/usage-status"


@rule("usage.null_max_means_unlimited")
def test_usage_status_null_max(api):
    customer = create_customer(api)
    status = api.get(_status_url(customer)).json()
    assert status["maxMemberCount"] is None and status["status"] == "ACTIVE" and status["memberCount"] == 1


@rule("usage.withdrawal_date_shown")
def test_usage_status_shows_scheduled_withdrawal(api, today):
    customer = create_customer(api)
    api.patch(_status_url(customer), json={"withdrawalDate": days(today, 10)})
    assert api.get(_status_url(customer)).json()["withdrawalDate"] == days(today, 10)


@rule("usage.renewal_only_when_scheduled")
def test_usage_status_renewal_absent_unless_scheduled(api, today):
    customer = create_customer(api)
    assert "renewal" not in api.get(_status_url(customer)).json()
    api.post(_status_url(customer) + "/renewal", json={"applyDate": days(today, 5), "maxMemberCount": 50})
    assert api.get(_status_url(customer)).json()["renewal"] == {
        "maxMemberCount": 50,
        "applyDate": days(today, 5),
    }


@rule("usage.patch_max_nullable")
def test_patch_max_nullable(api):
    customer = create_customer(api)
    assert api.patch(_status_url(customer), json={"maxMemberCount": 10}).json()["maxMemberCount"] == 10
    assert api.patch(_status_url(customer), json={"maxMemberCount": None}).json()["maxMemberCount"] is None
    assert_rule(api.patch(_status_url(customer), json={"maxMemberCount": "ten"}), "usage.patch_max_nullable")


@rule("usage.patch_max_clears_renewal")
def test_patch_max_clears_renewal(api, today):
    customer = create_customer(api)
    api.post(_status_url(customer) + "/renewal", json={"applyDate": days(today, 5), "maxMemberCount": 50})
    assert "renewal" not in api.patch(_status_url(customer), json={"maxMemberCount": None}).json()


@rule("usage.patch_withdrawal_nullable")
def test_patch_withdrawal_nullable(api, today):
    customer = create_customer(api)
    api.patch(_status_url(customer), json={"withdrawalDate": days(today, 3)})
    assert api.patch(_status_url(customer), json={"withdrawalDate": None}).json()["withdrawalDate"] is None
    assert_rule(
        api.patch(_status_url(customer), json={"withdrawalDate": "03/01/2027"}),
        "usage.patch_withdrawal_nullable",
    )


@rule("usage.patch_withdrawal_not_partner_own")
def test_patch_withdrawal_not_for_partner_own(api, sandbox_server, today):
    customer = create_customer(api)
    sandbox_server.customer_facts(customer["domainId"], isPartnerOwn=True)
    response = api.patch(_status_url(customer), json={"withdrawalDate": days(today, 3)})
    assert_rule(response, "usage.patch_withdrawal_not_partner_own")


@rule("usage.patch_max_limit")
def test_patch_max_limit(api):
    customer = create_customer(api)
    assert_rule(api.patch(_status_url(customer), json={"maxMemberCount": 1_000_001}), "usage.patch_max_limit")


@rule("usage.patch_max_below_members")
def test_patch_max_below_members(api, sandbox_server):
    customer = create_customer(api)
    sandbox_server.customer_facts(customer["domainId"], memberCount=20)
    assert_rule(
        api.patch(_status_url(customer), json={"maxMemberCount": 19}), "usage.patch_max_below_members"
    )
    assert api.patch(_status_url(customer), json={"maxMemberCount": 20}).status_code == 200


@rule("usage.patch_withdrawal_future")
def test_patch_withdrawal_future(api, today):
    customer = create_customer(api)
    assert_rule(
        api.patch(_status_url(customer), json={"withdrawalDate": today.isoformat()}),
        "usage.patch_withdrawal_future",
    )


@rule("usage.patch_absent_unchanged")
def test_patch_absent_unchanged(api, today):
    customer = create_customer(api)
    api.patch(_status_url(customer), json={"maxMemberCount": 30, "withdrawalDate": days(today, 9)})
    after = api.patch(_status_url(customer), json={}).json()
    assert after["maxMemberCount"] == 30 and after["withdrawalDate"] == days(today, 9)


# --- usage-status renewal ---------------------------------------------------------------------------------


@rule("renewal.apply_date_window")
def test_renewal_window(api, today):
    customer = create_customer(api)
    url = _status_url(customer) + "/renewal"
    assert_rule(api.post(url, json={"applyDate": today.isoformat()}), "renewal.apply_date_window")
    assert_rule(api.post(url, json={"applyDate": days(today, 366)}), "renewal.apply_date_window")
    assert api.post(url, json={"applyDate": days(today, 1), "maxMemberCount": None}).status_code == 201


@rule("renewal.max_limit")
def test_renewal_max_limit(api, today):
    customer = create_customer(api)
    url = _status_url(customer) + "/renewal"
    assert_rule(
        api.post(url, json={"applyDate": days(today, 2), "maxMemberCount": 1_000_001}), "renewal.max_limit"
    )


@rule("renewal.cleared_by_patch")
def test_renewal_cleared_by_usage_patch(api, today):
    customer = create_customer(api)
    api.post(_status_url(customer) + "/renewal", json={"applyDate": days(today, 4), "maxMemberCount": 9})
    api.patch(_status_url(customer), json={"maxMemberCount": 12})
    assert "renewal" not in api.get(_status_url(customer)).json()
    assert api.delete(_status_url(customer) + "/renewal").status_code == 404


@rule("renewal.one_only")
def test_renewal_one_only(api, today):
    customer = create_customer(api)
    url = _status_url(customer) + "/renewal"
    api.post(url, json={"applyDate": days(today, 4)})
    assert_rule(api.post(url, json={"applyDate": days(today, 6)}), "renewal.one_only")


@rule("renewal.patch_apply_date_required")
def test_renewal_patch_needs_date(api, today):
    customer = create_customer(api)
    url = _status_url(customer) + "/renewal"
    api.post(url, json={"applyDate": days(today, 4)})
    assert_rule(api.patch(url, json={}), "renewal.patch_apply_date_required")


@rule("renewal.patch_only_date")
def test_renewal_patch_keeps_max(api, today):
    customer = create_customer(api)
    url = _status_url(customer) + "/renewal"
    api.post(url, json={"applyDate": days(today, 4), "maxMemberCount": 77})
    moved = api.patch(url, json={"applyDate": days(today, 8), "maxMemberCount": 1}).json()
    assert moved["renewal"] == {"maxMemberCount": 77, "applyDate": days(today, 8)}


@rule("renewal.patch_window")
def test_renewal_patch_window(api, today):
    customer = create_customer(api)
    url = _status_url(customer) + "/renewal"
    api.post(url, json={"applyDate": days(today, 4)})
    assert_rule(api.patch(url, json={"applyDate": days(today, 400)}), "renewal.patch_window")


@rule("renewal.patch_none_404")
def test_renewal_patch_none(api, today):
    customer = create_customer(api)
    assert_rule(
        api.patch(_status_url(customer) + "/renewal", json={"applyDate": days(today, 4)}),
        "renewal.patch_none_404",
        404,
    )


@rule("renewal.deleted_absent")
def test_renewal_delete(api, today):
    customer = create_customer(api)
    url = _status_url(customer) + "/renewal"
    api.post(url, json={"applyDate": days(today, 4)})
    assert api.delete(url).status_code == 204
    assert "renewal" not in api.get(_status_url(customer)).json()


@rule("renewal.delete_none_404")
def test_renewal_delete_none(api):
    customer = create_customer(api)
    assert_rule(api.delete(_status_url(customer) + "/renewal"), "renewal.delete_none_404", 404)
