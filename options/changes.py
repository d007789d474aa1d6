"""The options app's writes, declared for the change pipeline (portal.core.changes): one `Change` per
operation of the tags options and option-orders. Arguments are JSON-safe (dates as ISO text)."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from options import rules, selectors, services
from options.permissions import CHANGE_OPTIONS
from partner_api.errors import NotFoundError
from partner_api.models import wire_text
from portal.core.changes import Change, Effect

FIELD_HINTS = {
    "applyDate": "apply_date",
    "subOptionId": "sub_option_id",
    "quantity": "quantity",
    "optionProductId": "sub_option_id",
    "type": "type",
    # Refusals about an option name it by its id (e.g. "SSTG2 was cancelled on an annual contract").
    "ACV2": "sub_option_id",
    "DRV": "sub_option_id",
    "SSTG2": "sub_option_id",
    "BCT": "sub_option_id",
}


def _day(a) -> dt.date:
    return dt.date.fromisoformat(a["apply_date"])


def _option(client, a):
    listing = client.list_option_products(domain_id=a["domain_id"])
    return next(
        (o for o in listing.option_products if wire_text(o.option_product_id) == a["option_product_id"]), None
    )


def _rb_option_is(check):
    def read(client, a):
        found = _option(client, a)
        return found if found is not None and check(found, a) else None

    return read


def _rb_cancel(client, a):
    return {"deleted": a["option_product_id"]} if _option(client, a) is None else None


def _rb_renewal(client, a):
    try:
        renewal = client.get_option_product_renewal(
            domain_id=a["domain_id"], option_product_id=a["option_product_id"]
        )
    except NotFoundError:
        return None
    if wire_text(renewal.type) != a["type"]:
        return None
    if a["type"] == "CHANGE" and (
        (a.get("sub_option_id") and wire_text(renewal.sub_option_id) != a["sub_option_id"])
        # A renewal already set to CHANGE with another quantity is not this change (found by make soak).
        or (a.get("quantity") and renewal.quantity != a["quantity"])
    ):
        return None
    return renewal


def _rb_order(client, a):
    try:
        order = client.get_option_product_order(
            domain_id=a["domain_id"], option_product_id=a["option_product_id"]
        )
    except NotFoundError:
        return None
    return order if order.apply_date.isoformat() == a["apply_date"] else None


def _rb_order_delete(client, a):
    # A 404 (no order any more) is "gone" for a change that deletes (see the engine).
    client.get_option_product_order(domain_id=a["domain_id"], option_product_id=a["option_product_id"])
    return None


def _add_effects(a) -> list[str]:
    out = []
    if a.get("scheduled_order"):
        out.append(
            _(
                "The scheduled change of this option on %(day)s is deleted (LINE WORKS deletes it when the option is added)."
            )
            % {"day": a["scheduled_order"]}
        )
    return out


def _cancel_effects(a) -> list[str]:
    out = [_("The option ends today.")]
    if a.get("readd_from"):
        out.append(
            _(
                "This annual option is charged a cancellation penalty and can be added again only from %(day)s."
            )
            % {"day": a["readd_from"]}
        )
    return out


def _renewal_effects(a) -> list[str]:
    if a["type"] != "CHANGE":
        return []
    return [
        _(
            "If the usage at renewal is above what the new choice allows, LINE WORKS keeps the option unchanged "
            "without telling (the setting silently becomes Renew unchanged)."
        )
    ]


CHANGES = [
    Change(
        operation_id="createOptionProduct",
        send=lambda c, a: c.create_option_product(
            domain_id=a["domain_id"],
            option_product_id=a["option_product_id"],
            sub_option_id=a["sub_option_id"],
            **({"quantity": a["quantity"]} if a.get("quantity") else {}),
        ),
        read_back=_rb_option_is(lambda o, a: wire_text(o.sub_option_id) == a["sub_option_id"]),
        apply=services.option_added,
        side_effects=_add_effects,
        field_hints=FIELD_HINTS,
    ),
    Change(
        operation_id="upgradeOptionProduct",
        send=lambda c, a: c.upgrade_option_product(
            domain_id=a["domain_id"],
            option_product_id=a["option_product_id"],
            sub_option_id=a["sub_option_id"],
        ),
        read_back=_rb_option_is(lambda o, a: wire_text(o.sub_option_id) == a["sub_option_id"]),
        apply=services.option_changed,
        side_effects=lambda a: [_("The larger sub option applies from today, with its price.")],
        field_hints=FIELD_HINTS,
    ),
    Change(
        operation_id="addOptionProductQuantity",
        send=lambda c, a: c.add_option_product_quantity(
            domain_id=a["domain_id"], option_product_id=a["option_product_id"], quantity=a["quantity"]
        ),
        read_back=_rb_option_is(lambda o, a: (o.quantity or 0) >= a["before"] + a["quantity"]),
        apply=services.option_changed,
        side_effects=lambda a: [
            _("The added units are billed from today; fewer units are possible only at renewal.")
        ],
        field_hints=FIELD_HINTS,
    ),
    Change(
        operation_id="cancelOptionProduct",
        send=lambda c, a: c.cancel_option_product(
            domain_id=a["domain_id"], option_product_id=a["option_product_id"]
        ),
        read_back=_rb_cancel,
        apply=services.option_cancelled,
        side_effects=_cancel_effects,
        field_hints=FIELD_HINTS,
        approval="cancellation",
        perm=CHANGE_OPTIONS,
    ),
    Change(
        operation_id="updateOptionProductRenewal",
        send=lambda c, a: c.update_option_product_renewal(
            domain_id=a["domain_id"],
            option_product_id=a["option_product_id"],
            type=a["type"],
            sub_option_id=a.get("sub_option_id") or None,
            **({"quantity": a["quantity"]} if a.get("quantity") else {}),
        ),
        read_back=_rb_renewal,
        apply=services.renewal_applied,
        side_effects=_renewal_effects,
        field_hints=FIELD_HINTS,
        target=lambda a: frozenset({f"option:{a['option_product_id']}:renewal"}),
    ),
    Change(
        operation_id="createOptionProductOrder",
        send=lambda c, a: c.create_option_product_order(
            domain_id=a["domain_id"],
            option_product_id=a["option_product_id"],
            sub_option_id=a["sub_option_id"],
            type=a["type"],
            apply_date=_day(a),
            **({"quantity": a["quantity"]} if a.get("quantity") else {}),
        ),
        read_back=_rb_order,
        apply=services.order_applied,
        field_hints=FIELD_HINTS,
    ),
    Change(
        operation_id="updateOptionProductOrder",
        send=lambda c, a: c.update_option_product_order(
            domain_id=a["domain_id"], option_product_id=a["option_product_id"], apply_date=_day(a)
        ),
        read_back=_rb_order,
        apply=services.order_applied,
        field_hints=FIELD_HINTS,
        refresh=False,
    ),
    Change(
        operation_id="deleteOptionProductOrder",
        send=lambda c, a: c.delete_option_product_order(
            domain_id=a["domain_id"], option_product_id=a["option_product_id"]
        ),
        read_back=_rb_order_delete,
        apply=services.order_deleted,
        side_effects=lambda a: [_("Nothing will change for this option on that date.")],
        field_hints=FIELD_HINTS,
        deletes=True,
    ),
]

__all__ = ["CHANGES", "rules"]


def _naming(template: str, names: list[str]) -> list[str]:
    """One sentence naming the options a change affects (none when it affects none)."""
    if not names:
        return []
    return [template % {"options": pgettext("between the items of a list", ", ").join(names)}]


def _stay_trial(a) -> list[str]:
    names = selectors.options_affected(domain_id=a["domain_id"], change="convert")
    return _naming(_("Trial options stay Trial until each is converted on its own: %(options)s."), names)


def _cancelled_by_upgrade(a) -> list[str]:
    names = selectors.options_affected(
        domain_id=a["domain_id"], change="upgrade", target_product=a.get("product_id", "")
    )
    return _naming(_("Options cancelled by the upgrade: %(options)s."), names)


def _cancelled_with_it(a) -> list[str]:
    names = selectors.options_affected(domain_id=a["domain_id"], change="cancel")
    return _naming(_("Options cancelled with it: %(options)s."), names)


#: What subscriptions' changes do to the customer's options, stated on their confirmation pages.
EFFECTS = [
    Effect("convertSubscriptionToPaid", _stay_trial),
    Effect("upgradeSubscription", _cancelled_by_upgrade),
    Effect("cancelSubscription", _cancelled_with_it),
]
