"""Every operation of the contract at the wire: method, path, query and body, and the documented responses."""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pydantic
import pytest

from partner_api import OPERATIONS, PartnerClient, constants
from partner_api import models as m
from tests.partner_api import contract
from tests.partner_api.conftest import BASE_URL

DOMAIN_ID = 10000001
SUB_ID = 1021
D = {"domain_id": DOMAIN_ID}
DS = {"domain_id": DOMAIN_ID, "subscription_id": SUB_ID}
DO = {"domain_id": DOMAIN_ID, "option_product_id": "SSTG2"}
PATH_PARAMS = {
    "domain_id": "domainId",
    "subscription_id": "subscriptionId",
    "pre_order_id": "preOrderId",
    "option_product_id": "optionProductId",
    "domain": "domain",
}

# operationId → keyword arguments of a typical call (path parameters, required fields, some optional ones).
CASES: dict[str, dict[str, Any]] = {
    "verifyCustomerDomain": {"domain": "example.com"},
    "createCustomer": {
        "domain": "example.com",
        "company_name": "Example Corp.",
        "phone_number": "03-0000-0000",
        "time_zone": "Asia/Tokyo",
        "locale": m.CustomerLocale.JA_JP,
        "administrator": m.CustomerAdministratorCreate(
            last_name="Yamada", password="Passw0rd1234", id="admin", private_email="taro@example.net"
        ),
        "partnership": m.CustomerPartnershipCreate(enable_partner_profile_display=False),
    },
    "listCustomers": {"domain": "example.com", "count": 30, "order_by": m.CustomerOrderBy.NAME_DESC},
    "getCustomer": D,
    "updateCustomer": {
        **D,
        "company_name": "Example Corp.",
        "phone_number": "03-0000-0000",
        "time_zone": "Asia/Tokyo",
        "locale": "en_US",
        "partnership": m.CustomerPartnershipUpdate(memo="VIP"),
    },
    "patchCustomer": {**D, "company_name": "Renamed Corp."},
    "deleteCustomer": D,
    "getUpgradeDomain": D,
    "createUpgradeDomain": {**D, "domain": "example.com"},
    "deleteUpgradeDomain": D,
    "activateCustomer": D,
    "changeCustomerDomain": {**D, "domain": "example.org"},
    "getPotentialCustomer": {"domain": "example.com", "partner_code": "P-001"},
    "transferPotentialCustomer": {"domain": "example.com", "partner_code": "P-001"},
    "getUsageStatus": D,
    "patchUsageStatus": {**D, "max_member_count": None, "withdrawal_date": date(2026, 12, 31)},
    "createUsageStatusRenewal": {**D, "apply_date": date(2026, 12, 1), "max_member_count": 100},
    "patchUsageStatusRenewal": {**D, "apply_date": date(2026, 12, 5)},
    "deleteUsageStatusRenewal": D,
    "listSubscriptions": D,
    "createSubscription": {**D, "product_id": "STD_T", "plan": m.Plan.TRIAL},
    "getSubscription": DS,
    "cancelSubscription": DS,
    "convertSubscriptionToPaid": {**DS, "plan": m.PaidPlan.ANNUAL_LICENSE, "license_count": 300},
    "upgradeSubscription": {**DS, "product_id": "ADV"},
    "addSubscriptionLicenseCount": {**DS, "license_count": 100},
    "createSubscriptionPreOrder": {
        **D,
        "apply_date": date(2026, 12, 1),
        "product_id": m.ProductId.STD,
        "plan": m.PaidPlan.ANNUAL_LICENSE,
        "license_count": 10,
    },
    "listSubscriptionPreOrders": D,
    "updateSubscriptionPreOrder": {**D, "pre_order_id": 7, "apply_date": date(2026, 12, 10)},
    "deleteSubscriptionPreOrder": {**D, "pre_order_id": 7},
    "createSubscriptionReservation": {
        **DS,
        "type": "ADD_LICENSE",
        "apply_date": date(2026, 12, 1),
        "license_count": 5,
    },
    "getSubscriptionReservation": DS,
    "updateSubscriptionReservation": {**DS, "apply_date": date(2026, 12, 2)},
    "deleteSubscriptionReservation": DS,
    "getSubscriptionRenewal": DS,
    "updateSubscriptionRenewal": {**DS, "type": "CHANGE", "plan": "ANNUAL_LICENSE", "license_count": 50},
    "createOptionProduct": {**D, "option_product_id": "SSTG2", "sub_option_id": m.SubOptionId.SSTG202},
    "listOptionProducts": D,
    "cancelOptionProduct": DO,
    "upgradeOptionProduct": {**DO, "sub_option_id": "SSTG203"},
    "addOptionProductQuantity": {**DO, "quantity": 2},
    "getOptionProductRenewal": DO,
    "updateOptionProductRenewal": {**DO, "type": "CHANGE", "sub_option_id": "SSTG201", "quantity": 1},
    "createOptionProductOrder": {
        **D,
        "option_product_id": "SSTG2",
        "sub_option_id": "SSTG202",
        "type": m.OptionProductOrderType.APPLY,
        "apply_date": date(2026, 12, 1),
        "quantity": 1,
    },
    "listOptionProductOrders": D,
    "getOptionProductOrder": DO,
    "updateOptionProductOrder": {**DO, "apply_date": date(2026, 12, 15)},
    "deleteOptionProductOrder": DO,
    "listOptionProductUsages": {**D, "year": 2026, "month": 10, "product_group_id": "WORKS"},
    "listCustomerUsages": {**D, "year": 2026, "month": 10},
    "listInvoices": {"year": 2026},
    "listInvoiceDetails": {"year": 2026, "month": 10, "count": 20, "cursor": "Y3Vyc29y+/=="},
}


def method_name(operation_id: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation_id).lower()


def path_params(operation_id: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    names = set(re.findall(r"{(\w+)}", contract.operations()[operation_id]["path"]))
    return {PATH_PARAMS[k]: v for k, v in kwargs.items() if PATH_PARAMS.get(k) in names}


def register(rsps, operation_id: str, kwargs: dict[str, Any], *, body: Any = None, status: int | None = None):
    info = contract.operations()[operation_id]
    url = BASE_URL + contract.path_for(operation_id, path_params(operation_id, kwargs))
    status = status or contract.success_status(operation_id)
    if body is None:
        body = contract.sample_response(operation_id)
    if body is None:
        rsps.add(info["method"], url, status=status)
    else:
        rsps.add(info["method"], url, json=body, status=status)
    return url


def call(client: PartnerClient, operation_id: str, kwargs: dict[str, Any]):
    return getattr(client, method_name(operation_id))(**kwargs)


def test_the_client_covers_exactly_the_contract():
    assert set(OPERATIONS) == set(contract.operations()) == set(CASES)
    assert len(OPERATIONS) == 52
    for op_id, info in contract.operations().items():
        assert OPERATIONS[op_id].method == info["method"], op_id
        assert OPERATIONS[op_id].path == info["path"], op_id


@pytest.mark.parametrize("operation_id", sorted(contract.operations()))
def test_method_is_keyword_only_and_documented(operation_id):
    import inspect

    method = getattr(PartnerClient, method_name(operation_id))
    params = list(inspect.signature(method).parameters.values())[1:]
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params)
    assert operation_id in (method.__doc__ or "")
    assert "Raises" in (method.__doc__ or "")


@pytest.mark.parametrize("operation_id", sorted(CASES))
def test_operation_on_the_wire(client, rsps, operation_id):
    """Method, path, query and JSON body as the contract says; the body validates against its schema."""
    kwargs = CASES[operation_id]
    info = contract.operations()[operation_id]
    register(rsps, operation_id, kwargs)

    result = call(client, operation_id, kwargs)

    assert len(rsps.calls) == 1
    request = rsps.calls[0].request
    assert request.method == info["method"]
    url = urlsplit(request.url)
    assert url.path == urlsplit(BASE_URL).path + contract.path_for(
        operation_id, path_params(operation_id, kwargs)
    )
    contract.validate_query(operation_id, parse_qs(url.query, keep_blank_values=True))
    assert request.headers["Authorization"] == "Bearer access-token-1"
    if contract.has_request_body(operation_id):
        assert request.headers["Content-Type"] == "application/json; charset=UTF-8"
        contract.validate_request_body(operation_id, json.loads(request.body))
    else:
        assert request.body is None
    if contract.response_schema_ref(operation_id):
        assert isinstance(result, pydantic.BaseModel)


def _request_example_cases():
    for op_id in sorted(CASES):
        for name, example in contract.request_examples(op_id):
            yield pytest.param(op_id, example, id=f"{op_id}-{name}")


@pytest.mark.parametrize(("operation_id", "example"), list(_request_example_cases()))
def test_documented_request_examples_are_sent_verbatim(client, rsps, operation_id, example):
    path_kwargs = {k: v for k, v in CASES[operation_id].items() if k in PATH_PARAMS and k != "domain"}
    if operation_id in {"getPotentialCustomer", "transferPotentialCustomer"}:
        path_kwargs = {}
    fields = {re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower(): value for key, value in example.items()}
    kwargs = {**path_kwargs, **fields}
    register(rsps, operation_id, kwargs)

    call(client, operation_id, kwargs)

    sent = json.loads(rsps.calls[0].request.body)
    assert sent == example
    contract.validate_request_body(operation_id, sent)


def _response_example_cases():
    for op_id in sorted(CASES):
        for name, example in contract.response_examples(op_id):
            yield pytest.param(op_id, example, id=f"{op_id}-{name}")


def _no_unknown_fields(value: Any, where: str) -> None:
    if isinstance(value, pydantic.BaseModel):
        assert not value.model_extra, f"{where}: fields not in the model: {sorted(value.model_extra)}"
        for name in type(value).model_fields:
            _no_unknown_fields(getattr(value, name), f"{where}.{name}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _no_unknown_fields(item, f"{where}[{index}]")


@pytest.mark.parametrize(("operation_id", "example"), list(_response_example_cases()))
def test_documented_response_examples_parse(client, rsps, operation_id, example):
    kwargs = CASES[operation_id]
    register(rsps, operation_id, kwargs, body=example)

    result = call(client, operation_id, kwargs)

    assert isinstance(result, pydantic.BaseModel)
    _no_unknown_fields(result, operation_id)
    dumped = result.model_dump(mode="json", by_alias=True, exclude_unset=True)
    assert set(dumped) == set(example)


def test_unknown_fields_and_enum_values_are_tolerated(client, rsps):
    body = {
        "domainId": DOMAIN_ID,
        "subscriptionId": SUB_ID,
        "productId": "PRM",
        "plan": "SOMETHING_NEW",
        "planStartDate": "2026-01-01",
        "status": "UPGRADING",
        "newField": {"x": 1},
        "renewal": None,
    }
    register(rsps, "getSubscription", DS, body=body)

    subscription = client.get_subscription(**DS)

    assert subscription.product_id == "PRM" and not isinstance(subscription.product_id, m.ProductIdWithTrial)
    assert subscription.plan == "SOMETHING_NEW"
    assert subscription.status == "UPGRADING"
    assert subscription.model_extra == {"newField": {"x": 1}}
    assert subscription.plan_start_date == date(2026, 1, 1)


def test_known_enum_values_become_members_and_dates_are_dates(client, rsps):
    register(rsps, "getSubscription", DS)

    subscription = client.get_subscription(**DS)

    assert subscription.plan is m.Plan.ANNUAL_LICENSE
    assert subscription.renewal.type is m.SubscriptionRenewalType.STAY
    assert subscription.plan_end_date == date(2025, 12, 31)


def test_nullable_fields_send_null_only_when_given(client, rsps):
    register(rsps, "patchUsageStatus", D)
    client.patch_usage_status(**D, withdrawal_date=date(2026, 12, 31))
    client.patch_usage_status(**D, max_member_count=None)
    register(rsps, "createSubscriptionPreOrder", D)
    client.create_subscription_pre_order(**D, apply_date=date(2026, 12, 1), product_id="STD", plan=None)

    bodies = [json.loads(c.request.body) for c in rsps.calls]
    assert bodies == [
        {"withdrawalDate": "2026-12-31"},
        {"maxMemberCount": None},
        {"applyDate": "2026-12-01", "productId": "STD"},
    ]


def test_a_nested_field_given_as_none_is_left_out_too(client, rsps):
    """An administrator without a first name: firstName (a string, not nullable) is left out, not sent as null."""
    register(rsps, "createCustomer", {})
    administrator = m.CustomerAdministratorCreate(
        last_name="Sato", first_name=None, id="admin", password="Secret123x", private_email="a@example.net"
    )
    client.create_customer(
        domain="example.jp",
        company_name="Example",
        phone_number="03-0000-0000",
        time_zone="Asia/Tokyo",
        locale="ja_JP",
        administrator=administrator,
    )
    sent = json.loads(rsps.calls[0].request.body)["administrator"]
    assert sent == {
        "lastName": "Sato",
        "id": "admin",
        "password": "Secret123x",
        "privateEmail": "a@example.net",
    }


def test_a_customer_s_line_works_product_is_read_from_product_ids_else_product_id(client, rsps):
    """productIds lists every service's product (LINE WORKS, ROG_, NTA_, values not listed yet); the deprecated
    productId, to be removed, is read only from an answer without productIds."""
    body = contract.sample_response("getCustomer")
    register(
        rsps, "getCustomer", D, body={**body, "productId": None, "productIds": ["ROG_STD", "ADV", "NTA_NEW"]}
    )
    register(
        rsps,
        "getCustomer",
        D,
        body={k: v for k, v in body.items() if k != "productIds"} | {"productId": "STD"},
    )
    register(rsps, "getCustomer", D, body={**body, "productId": "STD", "productIds": ["NTA_TM"]})

    services, older, other_only = (client.get_customer(**D) for _ in range(3))

    assert (
        services.product_ids == ["ROG_STD", "ADV", "NTA_NEW"]
        and services.product_ids[0] is m.CustomerServiceProductId.ROG_STD
    )
    assert services.works_product_id == "ADV"
    assert older.product_ids is None and older.works_product_id == "STD"
    assert other_only.works_product_id is None  # no LINE WORKS service in use, whatever productId says


def test_unverified_wire_names_come_from_constants(client, rsps, monkeypatch):
    register(rsps, "addSubscriptionLicenseCount", DS)
    client.add_subscription_license_count(**DS, license_count=3)
    assert json.loads(rsps.calls[0].request.body) == {constants.ADD_LICENSE_COUNT_FIELD: 3}
    item = m.SettlementItem.model_validate({constants.SETTLEMENT_ITEM_AMOUNT_FIELD: 1200})
    assert item.amount == 1200
    assert m.SettlementItem.model_validate({}).amount is None


def test_invalid_request_values_are_refused_before_sending(client, rsps):
    with pytest.raises(pydantic.ValidationError):
        client.create_subscription_pre_order(**D, apply_date=date(2026, 12, 1), product_id="NOT_A_PRODUCT")
    with pytest.raises(pydantic.ValidationError):
        client.add_subscription_license_count(**DS, license_count=0)
    assert len(rsps.calls) == 0


@pytest.mark.parametrize(("status", "accepted"), [(202, True), (204, False)])
def test_delete_customer_tells_scheduled_from_immediate(client, rsps, status, accepted):
    register(rsps, "deleteCustomer", D, status=status)
    assert client.delete_customer(**D) is accepted


def test_path_values_are_percent_encoded(client, rsps):
    url = BASE_URL + "/partners/potential-customers/a%2Fb%20c"
    rsps.add("GET", url, json={"domain": "a/b c"})

    client.get_potential_customer(domain="a/b c", partner_code="P 1")

    assert rsps.calls[0].request.url == url + "?partnerCode=P+1"


def test_enum_fields_are_stored_as_the_text_the_api_sent(client, rsps):
    """A value the contract lists and one it does not (the JP pages list more) both reach the cache as sent."""
    row = {"domainId": 10000001, "planStartDate": "2026-04-01", "status": "ACTIVE"}
    rsps.add(
        "GET",
        BASE_URL + "/partners/customers/10000001/subscriptions",
        json={
            "subscriptions": [
                {**row, "subscriptionId": 1, "productId": "STD", "plan": "MONTHLY"},
                {**row, "subscriptionId": 2, "productId": "ROG_STD", "plan": "ANNUAL_PREPAY"},
            ]
        },
    )
    known, unknown = client.list_subscriptions(domain_id=10000001).subscriptions
    assert isinstance(known.product_id, m.ProductIdWithTrial) and m.wire_text(known.product_id) == "STD"
    assert (m.wire_text(unknown.product_id), m.wire_text(unknown.plan)) == ("ROG_STD", "ANNUAL_PREPAY")
    assert m.wire_text(None) == ""
