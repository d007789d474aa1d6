"""The customers' changes as their pages make them, from a change form: the forms' starting values and the
changes' arguments, one definition for the change pages (views_changes.py) and the API's write endpoints
(api.py), so a change asked either way sends the same thing."""

from __future__ import annotations

from customers import forms_changes as f
from portal.core import clock


def _iso(day) -> str | None:
    return day.isoformat() if day else None


def edit_args(domain_id: int, form: f.CustomerEditForm) -> dict:
    """patchCustomer: only the fields that changed."""
    return {"domain_id": domain_id, "fields": form.changes()}


def usage_initial(customer) -> dict:
    """The usage-status form's values as the customer has them (blank maximum: no limit)."""
    return {
        "max_member_count": None if customer.max_member_unlimited else customer.max_member_count,
        "withdrawal_date": customer.withdrawal_date,
    }


def usage_args(customer, d: dict) -> dict:
    return {
        "domain_id": customer.domain_id,
        "max_member_count": d["max_member_count"],
        "withdrawal_date": _iso(d["withdrawal_date"]),
        "has_renewal": customer.renewal_apply_date is not None,
    }


def renewal_initial(customer) -> dict:
    """The scheduled max-users change as the customer has it (none: no date, no maximum)."""
    return {
        "apply_date": customer.renewal_apply_date,
        "max_member_count": customer.renewal_max_member_count,
    }


def renewal_form(customer, data=None) -> f.RenewalForm:
    """The scheduled max-users change's form: a new one, or the one there is to move (its date only)."""
    initial = renewal_initial(customer)
    # auto_id: this form shares the usage-status page with UsageStatusForm, whose fields have the same names.
    return f.RenewalForm(data, customer=customer, today=clock.today(), initial=initial, auto_id="renewal_%s")


def renewal_operation(form: f.RenewalForm) -> str:
    return "patchUsageStatusRenewal" if form.moves else "createUsageStatusRenewal"


def renewal_args(domain_id: int, form: f.RenewalForm, d: dict) -> dict:
    """A scheduled max-users change: its date, and its maximum when it is new (a move keeps it)."""
    return {"domain_id": domain_id, "apply_date": d["apply_date"].isoformat()} | (
        {} if form.moves else {"max_member_count": d["max_member_count"]}
    )


def new_customer_args(d: dict, *, added_by: int | None) -> dict:
    """createCustomer: the form's values; who adds it owns it (an Account manager:
    customers.services.customer_owner_adder)."""
    return {**{k: v for k, v in d.items() if k not in ("idempotency_key", "reason")}, "added_by": added_by}


def domain_args(domain_id: int, d: dict) -> dict:
    """The domain a group name moves to (createUpgradeDomain), or moves to now (changeCustomerDomain)."""
    return {"domain_id": domain_id, "domain": d["domain"]}


def transfer_args(d: dict, *, added_by: int) -> dict:
    """An Online Direct customer taken over (transferPotentialCustomer): its domain, the partner code it gave, and
    who asked (an Account manager owns what they bring)."""
    return {"domain": d["domain"], "partner_code": d["partner_code"], "added_by": added_by}
