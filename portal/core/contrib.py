"""The one place where apps contribute to the portal.

Each domain app calls `contribute()` from its `AppConfig.ready()`, naming what it adds:

* `nav`: main-navigation items
* `figures`: home-page figures
* `sections`: sections of the customer page
* `schedule_sources`: kinds of item on the Scheduled changes agenda and calendar
* `resyncs`: the API calls the resync makes for the app (declarations, not code)
* `changes`: the writes the app makes through the change pipeline
* `customer_names`: a function `(domain_ids) -> {domainId: company name}` reading the cache in one query, so
  core pages (Activity, the home page) show company names rather than ids without importing an app
* `customer_page`: the URL name of a customer's page (one argument, the domainId), so core's and the rooms'
  pages link a customer without naming the app that shows it
* `worklist`: home-page worklist sections (`home.worklist.WorkSection`): what needs doing, per role
* `perms`: the app's permissions (`portal.core.access.Perm`), each with the roles that hold it; the role groups
  and Django's permissions are made from them after every migrate (accounts/roles.py)
* `operation_labels`: `[{operationId: words}]`, the app's Partner API operations named for people (Activity,
  worklist, operation page); portal/core/operations.py merges them
* `effects`: `portal.core.changes.Effect`s: what another app's change does to this app's rows, stated on that
  change's confirmation page (cancelling a subscription cancels its options)
* `urls`: `(prefix, urlconf module)` pairs the project's URLconf mounts, in app order
* `home_links`: buttons of the home page's head (`portal.core.navigation.NavItem`), shown to their permission
* `user_menu`: links of the user menu in the page's top bar (`NavItem`), likewise
* `customer_filters`: filters by customer that every list of customers or their rows offers
  (`portal.core.lists.CustomerFilter`: the Owner filter), so core's lists get them without importing an app
* `oldest_copy`: a function `() -> datetime | None` giving when the app's oldest cached copy still in the API was
  read (by index), for the metrics' `portal_cache_oldest_copy_age_seconds` (portal/core/metrics.py)
* `holdings`: what a person holds that someone must take over when they are deactivated
  (`accounts.holdings.Holding`: the customers an Account manager or support contact looks after)
* `bulk_actions`: actions on many rows of a list at once (`portal.core.changes.bulk.BulkAction`), checked by a
  dry run before anything is sent
* `bulk_sources`: pages other than a list whose rows are a list's rows and offer its bulk actions
  (`portal.core.changes.bulk.BulkSource`: a worklist section's full list), with what "all N" means there
* `retention`: how long the history in the app's tables is kept, and why (`portal.core.retention.Retention`),
  shown on the Admins' Data kept page and applied by the nightly housekeeping
* `keepers`: copies the app keeps of what it works out from the cache, month by month
  (`portal.core.kept.Keeper`: billing's estimate, invoicing's drafts), brought up to date by the worker, never in
  a reader's request
* `periodic`: the jobs beat sends on a schedule (`portal.core.periodic.Periodic`); the project's beat schedule
  is made of them, so it names no app
* `runs`: kinds of long work the reaper looks after (`portal.core.runs.RunKind`: a `Run` model and the task that
  works on one), queued again when their worker is lost (invoicing's month runs)
* `finders`: what the one search box finds of the app's things (`portal.core.finders.Finder`: a kind, its
  permission and `find(q, user, limit)`), so the search page names no app
* `api`: the app's area of the portal's own JSON API (`portal.core.api.ApiArea`: its key, the permissions that read
  and write it, and its endpoints, a django-ninja `Router`), mounted under /api/v1/ and offered on tokens
* `home_panels`: panels of the home page loaded after it (`NavItem`: its fragment's URL name and permission),
  so home names no room that fills one (the saved views)
* `notice_kinds`: what the app's work may tell people outside the portal (`portal.core.notices.kinds.NoticeKind`),
  chosen per person on their Notices page and per team room
* `event_types`: what the app's work sends the partner's own systems (`portal.core.events.types.EventType`),
  chosen per endpoint on the Admins' Event endpoints page

Core reads them back with `contributions(kind)` and never imports an app. A kind given again by the same app
replaces that app's earlier contribution of the kind, so a second `ready()` (tests, autoreload) changes nothing.
"""

from __future__ import annotations

from typing import Any

KINDS = (
    "nav",
    "figures",
    "sections",
    "schedule_sources",
    "resyncs",
    "changes",
    "customer_names",
    "customer_page",
    "worklist",
    "perms",
    "operation_labels",
    "effects",
    "urls",
    "home_links",
    "user_menu",
    "customer_filters",
    "oldest_copy",
    "holdings",
    "bulk_actions",
    "bulk_sources",
    "retention",
    "keepers",
    "periodic",
    "runs",
    "finders",
    "home_panels",
    "api",
    "notice_kinds",
    "event_types",
)

_REGISTRY: dict[str, dict[str, tuple[Any, ...]]] = {kind: {} for kind in KINDS}
#: Each kind's contributions in one tuple, made when first read after a contribution of the kind: pages read
#: them on every request (navigation, permissions, the words of every Activity row).
_FLAT: dict[str, tuple[Any, ...]] = {}


def contribute(app_label: str, **kinds: Any) -> None:
    """Register what `app_label` adds, by kind (see the module docstring), e.g.
    `contribute("options", nav=[...], changes=CHANGES, resyncs=RESYNC)`."""
    unknown = set(kinds) - set(KINDS)
    if unknown:
        raise TypeError(f"Unknown contribution kind(s): {', '.join(sorted(unknown))}")
    for kind, items in kinds.items():
        _REGISTRY[kind][app_label] = tuple(items)
        _FLAT.pop(kind, None)


def contributions(kind: str) -> tuple[Any, ...]:
    """Everything contributed of one kind, app by app in the order the apps registered, then as declared. The
    same tuple until the kind is contributed again, so a reader may keep what it derives from it while it is
    the one returned."""
    flat = _FLAT.get(kind)
    if flat is None:
        if kind not in _REGISTRY:
            raise KeyError(kind)
        flat = _FLAT[kind] = tuple(item for items in _REGISTRY[kind].values() for item in items)
    return flat


def customer_names(domain_ids) -> dict[int, str]:
    """Company names of the given customers, from whichever app contributed `customer_names` (ids unknown to
    it are left out)."""
    ids = {i for i in domain_ids if i is not None}
    names: dict[int, str] = {}
    if ids:
        for resolve in contributions("customer_names"):
            names.update(resolve(ids))
    return names


def customer_page() -> str | None:
    """The URL name of a customer's page, from whichever app contributed `customer_page` (None: no app shows
    customers, and nothing links to one)."""
    names = contributions("customer_page")
    return names[0] if names else None
