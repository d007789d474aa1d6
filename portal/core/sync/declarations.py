"""What apps declare to the resync engine: the calls it makes for them, as data.

An app contributes a list of declarations from its AppConfig.ready()
(`contribute(self.label, resyncs=[...])`, see portal/core/contrib.py). The engine (full.py, refresh.py, partner.py) reads them all
and decides when and how to make the calls. Four kinds, and one hint:

* `CustomerListing`: the root of every resync, declared once (by the customers app): the paged customer
  listing, the one-customer read, and what to do with customers the listing no longer returns.
* `PerCustomer`: one call per customer (e.g. `getUsageStatus`). Two apps that need the same operation
  declare two stores for it; the call is made once and both stores receive its result.
* `PerItem`: one call per item that a per-customer call's result lists (e.g. `getSubscriptionReservation` once
  per subscription of `listSubscriptions`); a 404 for an item means "nothing there".
* `PartnerWide`: a cursor walk over the whole partner account, not per customer (billing's `listInvoices`,
  `listInvoiceDetails`): every page of one set of parameters is read first, and the store receives them all
  at once, only when the walk completed, so a failed walk leaves the stored data as it was.
* `DueSoon` (a hint, no call): the customers with a decision due soon (a scheduled change, a renewal), whose
  copies the continuous refresh reads ahead of their turn (need.py).

The client method of an operation is found by the client's own naming rule (`createSubscriptionPreOrder` →
`create_subscription_pre_order`); a declaration gives `fetch` only where the call needs more than that.
Stores are the app's service functions: they run in the engine's thread, inside a transaction, and only write
the cache.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from portal.core.contrib import contributions


def method_name(operation_id: str) -> str:
    """The client method of an operationId (partner_api/client.py names them so)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation_id).lower()


@dataclass(frozen=True)
class CustomerListing:
    """The customer listing, root of every resync."""

    operation_id: str
    #: fetch_page(client, cursor) -> (items, next cursor or None); called with cursor None first.
    fetch_page: Callable[[Any, str | None], tuple[list[Any], str | None]]
    #: store_page(items, synced_at) -> the domain ids stored.
    store_page: Callable[[list[Any], Any], list[int]]
    #: remove_missing(seen domain ids, removed_at) -> how many were marked removed (after a complete listing).
    remove_missing: Callable[[set[int], Any], int]
    get_operation_id: str
    store_one: Callable[[Any, Any], None]
    mark_one_removed: Callable[[int, Any], None]
    #: oldest_first(n, before) -> the n live customers whose copies, read before `before`, are oldest, oldest
    #: first (the continuous refresh's turn).
    oldest_first: Callable[[int, Any], list[int]] = lambda n, before: []
    #: copies_of(domain ids) -> {domain id: when its copy was read} for those still live (the refresh's needs).
    copies_of: Callable[[list[int]], dict[int, Any]] = lambda ids: {}

    def fetch_one(self, client: Any, domain_id: int) -> Any:
        return getattr(client, method_name(self.get_operation_id))(domain_id=domain_id)


@dataclass(frozen=True)
class PerCustomer:
    """One call per customer; `store(domain_id, result, synced_at)`."""

    name: str
    operation_id: str
    store: Callable[[int, Any, Any], None]
    #: Called instead of `store` when the API answers 404 for this customer: on_not_found(domain_id, synced_at).
    on_not_found: Callable[[int, Any], None] | None = None
    #: More arguments of the call, computed when it is made (e.g. the current business month of
    #: `listCustomerUsages`): args() -> {"year": 2026, "month": 11}.
    args: Callable[[], Mapping[str, Any]] | None = None

    def fetch(self, client: Any, domain_id: int) -> Any:
        extra = dict(self.args()) if self.args else {}
        return getattr(client, method_name(self.operation_id))(domain_id=domain_id, **extra)


@dataclass(frozen=True)
class PerItem:
    """One call per item the per-customer call `parent` lists; `store(domain_id, {item: result or None},
    synced_at)` receives every item's answer at once (so it can drop what vanished)."""

    name: str
    operation_id: str
    parent: str
    #: items(parent_result) -> the ids to call for.
    items: Callable[[Any], list[Any]]
    #: The client argument that takes the item's id (e.g. "subscription_id").
    item_arg: str
    store: Callable[[int, dict[Any, Any], Any], None]
    #: known() -> {domain_id: how many items the cache holds for it} (what the last read listed). The engine asks
    #: `parent` for the customers with the most items first, so this operation has calls queued from the
    #: parent's first answers to the end of a run instead of waiting on customers that list none.
    known: Callable[[], Mapping[int, int]] | None = None
    #: guess(domain_ids) -> {domain_id: how many items it likely has}, from what the customers' listing said, for
    #: a first sync (the cache holds none of these items yet, so `known` has nothing to rank by). Asked once per
    #: page of the listing, for the customers on it.
    guess: Callable[[Sequence[int]], Mapping[int, int]] | None = None
    #: due_items(parent_result, first, last) -> of the items, those a decision due between two business dates
    #: (inclusive) is about (e.g. an option that ends then). The continuous refresh reads a customer it reads for a
    #: decision alone (need.Pick.whole False) for these items only, and `store` then receives only them: declare it
    #: only where `store` keeps the items it is not given. None: every item, always.
    due_items: Callable[[Any, Any, Any], Iterable[Any]] | None = None

    def fetch(self, client: Any, domain_id: int, item: Any) -> Any:
        return getattr(client, method_name(self.operation_id))(domain_id=domain_id, **{self.item_arg: item})


@dataclass(frozen=True)
class PartnerWide:
    """A cursor walk over the whole partner account for one set of parameters (e.g. a usage month).

    `store(params, items, synced_at)` receives every item of the walk, once it completed; `items_of(page)` and
    `cursor_of(page)` read a page of the client's reply. `count` is the page size asked for.
    """

    name: str
    operation_id: str
    store: Callable[[Mapping[str, Any], list[Any], Any], Any]
    items_of: Callable[[Any], list[Any]]
    cursor_of: Callable[[Any], str | None] = lambda page: None
    count: int | None = None
    #: Fixed arguments of every call (besides the run's own parameters).
    fixed: Mapping[str, Any] = field(default_factory=dict)
    #: label(params) -> what one walk reads, in words (the Sync page's and the app's own pages: "Invoice details
    #: of 2026-10"); None: the operation's name.
    label: Callable[[Mapping[str, Any]], str] | None = None
    #: keep_fresh(today) -> the walks (their parameters) that keep the app's copy fresh as of a business day,
    #: made by beat and by `manage.py resync --partner-wide` (billing: the last closed month and the running
    #: month); None: walked only when asked (a page's button).
    keep_fresh: Callable[[Any], list[Mapping[str, Any]]] | None = None

    def fetch_page(self, client: Any, params: Mapping[str, Any], cursor: str | None) -> Any:
        args = {**self.fixed, **params}
        if self.count is not None:
            args["count"] = self.count
        if cursor:
            args["cursor"] = cursor
        return getattr(client, method_name(self.operation_id))(**args)


@dataclass(frozen=True)
class DueSoon:
    """Customers with a decision due soon, whose copies the continuous refresh keeps fresher (need.py):
    `customers(first, last)` -> the domain ids with something dated between two business dates (inclusive)."""

    name: str
    customers: Callable[[Any, Any], list[int]]


Declaration = CustomerListing | PerCustomer | PerItem | PartnerWide | DueSoon


# --- Reading the declarations (the engine's view) -----------------------------------------------------------


@dataclass
class CustomerCall:
    """A per-customer operation with every store declared for it (the call is made once for all)."""

    operation_id: str
    declarations: list[PerCustomer]

    def fetch(self, client: Any, domain_id: int) -> Any:
        return self.declarations[0].fetch(client, domain_id)


def _declared(kind: type) -> list:
    return [d for d in contributions("resyncs") if isinstance(d, kind)]


def customer_listing() -> CustomerListing:
    found = _declared(CustomerListing)
    if len(found) != 1:
        raise RuntimeError(
            f"Exactly one CustomerListing must be declared (the customers app's); found {len(found)}."
        )
    return found[0]


def customer_calls() -> list[CustomerCall]:
    calls: dict[str, CustomerCall] = {}
    for declaration in _declared(PerCustomer):
        calls.setdefault(
            declaration.operation_id, CustomerCall(declaration.operation_id, [])
        ).declarations.append(declaration)
    return list(calls.values())


def item_calls() -> list[PerItem]:
    return _declared(PerItem)


def due_soon() -> list[DueSoon]:
    return _declared(DueSoon)


def scope_of(name: str, params: Mapping[str, Any]) -> str:
    """How a partner-wide run records its walk: "billing.invoice_details:month=10,year=2026"."""
    return f"{name}:" + ",".join(f"{k}={v}" for k, v in sorted(params.items()))


def parse_scope(scope: str) -> tuple[str, dict[str, Any]]:
    """A partner-wide run's walk back from its scope: (name, params); whole numbers are read as numbers."""
    name, _sep, given = scope.partition(":")
    params: dict[str, Any] = {}
    for pair in given.split(","):
        key, sep, value = pair.partition("=")
        if sep:
            params[key] = int(value) if value.isascii() and value.isdigit() else value
    return name, params


def partner_wide(name: str) -> PartnerWide:
    for declaration in _declared(PartnerWide):
        if declaration.name == name:
            return declaration
    raise KeyError(f"No PartnerWide resync named {name!r} is declared.")


def fresh_walks(today: Any) -> list[tuple[str, dict[str, Any]]]:
    """Every walk the PartnerWide declarations ask for to stay fresh on `today`: (name, params), in the order
    declared, each once."""
    out: list[tuple[str, dict[str, Any]]] = []
    for declaration in _declared(PartnerWide):
        if declaration.keep_fresh is None:
            continue
        for params in declaration.keep_fresh(today):
            walk = (declaration.name, dict(params))
            if walk not in out:
                out.append(walk)
    return out


def calls_needed(*, customers: int, list_pages: int, items: dict[str, int] | None = None) -> dict[str, int]:
    """The calls one full resync needs: every listing page, each per-customer call once per customer, and
    each per-item call once per item (`items`: operationId -> how many items its parent lists in all)."""
    out = {customer_listing().operation_id: list_pages}
    for call in customer_calls():
        out[call.operation_id] = customers
    per_item = items or {}
    for item_call in item_calls():
        if per_item.get(item_call.operation_id):
            out[item_call.operation_id] = per_item[item_call.operation_id]
    return out
