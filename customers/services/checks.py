"""Reads through the API that change nothing, made to check a change before it is made: a new customer's domain
(verifyCustomerDomain), an upgrade domain (getUpgradeDomain), an Online Direct customer (getPotentialCustomer).
Not recorded: nothing is changed. A refusal comes back as `portal.core.changes.ChangeRefused` with the API's
reason, on the form field it concerns."""

from __future__ import annotations

from partner_api.errors import NotFoundError, PartnerApiError
from partner_api.models import wire_text
from portal.core.changes import refusal_from
from portal.core.partner import get_client

#: Wire names in the API's error descriptions and the form fields they belong to.
_FIELD_HINTS = {"domain": "domain", "partnerCode": "partner_code"}


def customer_domain_verify(*, domain: str) -> str:
    """Check a domain or group name for a new customer (verifyCustomerDomain). Returns DOMAIN or GROUP.

    A check, not a change: nothing is recorded. Raises ChangeRefused with the API's reason.
    """
    try:
        reply = get_client().verify_customer_domain(domain=domain)
    except PartnerApiError as exc:
        refusal = refusal_from(exc, hints=_FIELD_HINTS)
        refusal.field = "domain"
        raise refusal from exc
    return wire_text(reply.type)


def upgrade_domain_get(*, domain_id: int):
    """The upgrade domain and its DNS records (getUpgradeDomain), or None when none is registered."""
    try:
        return get_client().get_upgrade_domain(domain_id=domain_id)
    except NotFoundError:
        return None
    except PartnerApiError as exc:
        raise refusal_from(exc, hints=_FIELD_HINTS) from exc


def potential_customer_get(*, domain: str, partner_code: str):
    """Look up an Online Direct customer (getPotentialCustomer). A read: nothing is recorded."""
    try:
        return get_client().get_potential_customer(domain=domain, partner_code=partner_code)
    except PartnerApiError as exc:
        refusal = refusal_from(exc, hints=_FIELD_HINTS)
        if refusal.field is None:
            refusal.field = "partner_code" if exc.status == 400 else "domain"
        raise refusal from exc
