"""URLs that are the same for every request of a process, made once: a URL name without arguments, and a static
file's URL.

Every page draws a dozen of them (the frame's home, language switch, password and logout links, its style sheet
and scripts; a list's own links, export and bulk actions), and Django makes each anew: `reverse` walks the
namespaces and the URL patterns' candidates, quoting as it goes, and the static files' manifest storage splits,
unquotes and joins every name. Both answers change only with the URL configuration, the script prefix or the
storage, so each is kept per resolver (a new one after `clear_url_caches`, an `override_settings` of the URLconf)
or per storage (a new one after an `override_settings` of STORAGES or STATIC_URL), keyed by what else decides
it. The portal's `{% url %}` and `{% static %}` tags (portal/core/templatetags/portal.py) read them here; a URL
with arguments is reversed by Django every time, unless a page that draws many of one name (a list's rows, the
agenda's items, a worklist's links) fills in a `pattern` made once.
"""

from __future__ import annotations

import weakref

from django.conf import STATICFILES_STORAGE_ALIAS
from django.core.files.storage import storages
from django.urls import get_resolver, get_script_prefix, get_urlconf, reverse

_URLS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_STATIC: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _kept_urls() -> dict:
    """The URLs and patterns made for the current resolver (a new one after `clear_url_caches`)."""
    resolver = get_resolver(get_urlconf())
    kept = _URLS.get(resolver)
    if kept is None:
        kept = _URLS[resolver] = {}
    return kept


def url(name: str, current_app: str | None = None, args: tuple = ()) -> str:
    """`reverse(name, args=args, current_app=current_app)`, made once per resolver, script prefix and current app:
    a URL without arguments, or one whose arguments are constants (a row template's address for the key 0, in
    which each row puts its own key). A name that does not reverse raises NoReverseMatch each time, as `reverse`
    does."""
    kept = _kept_urls()
    key = (name, current_app, args, get_script_prefix())
    found = kept.get(key)
    if found is None:
        found = kept[key] = reverse(name, args=args, current_app=current_app)
    return found


def pattern(name: str, nargs: int = 1) -> str:
    """`reverse(name)` with `nargs` positional arguments as a `str.format` pattern, made once as `url` is: each
    row fills it in (`.format(key)`) where a reverse() of its own would walk the URL patterns again.

    >>> pattern("subscriptions:pre_order", 2).format(10000001, 5)
    '/subscriptions/customers/10000001/pre-orders/5/'
    """
    kept = _kept_urls()
    key = ("pattern", name, nargs, get_script_prefix())
    found = kept.get(key)
    if found is None:
        # Numbers no real key has, each found once in the URL, stand for the arguments.
        markers = [str(9_876_543_210 + i) for i in range(nargs)]
        found = reverse(name, args=markers).replace("{", "{{").replace("}", "}}")
        for i, marker in enumerate(markers):
            if found.count(marker) != 1:
                raise ValueError(f"{name}: argument {i} is not one part of {found}")
            found = found.replace(marker, f"{{{i}}}")
        kept[key] = found
    return found


def static(path: str) -> str:
    """`django.templatetags.static.static(path)`: the static file's URL (hashed by the manifest in production),
    made once per storage."""
    storage = storages[STATICFILES_STORAGE_ALIAS]  # the one `staticfiles_storage` stands for
    kept = _STATIC.get(storage)
    if kept is None:
        kept = _STATIC[storage] = {}
    found = kept.get(path)
    if found is None:
        found = kept[path] = storage.url(path)
    return found
